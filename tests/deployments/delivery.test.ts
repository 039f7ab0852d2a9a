import * as pulumi from "@pulumi/pulumi";
import { expect } from "chai";
import * as fs from "fs";
import * as path from "path";
import { parse as parseYaml } from "yaml";
import {
    DELIVERY_PROJECT,
    DeliveryConfig,
    DeliveryConfigError,
    approvalRule,
    deliveryKeys,
    globToRegExp,
    parseDeliveryConfig,
    pathFilters,
    progressionEdges,
    pushDeploys,
    stackForBranch,
    stacksForBranch,
} from "../../deployments/delivery";

const DELIVERY_DIR = path.resolve(__dirname, "..", "..", "deployments");
const STACK_FILE = path.join(DELIVERY_DIR, "Pulumi.delivery.yaml");

/** The `config:` map of deployments/Pulumi.delivery.yaml. */
function deliveryFileConfig(): Record<string, unknown> {
    return (parseYaml(fs.readFileSync(STACK_FILE, "utf8")) as { config: Record<string, unknown> }).config;
}

/** A valid raw config (namespace stripped) that each table row changes in one place. */
function baseRaw(): Record<string, any> {
    return JSON.parse(JSON.stringify(deliveryKeys(deliveryFileConfig())));
}

function parsed(raw: Record<string, unknown> = baseRaw()): DeliveryConfig {
    return parseDeliveryConfig(raw, "test");
}

function problemsOf(raw: Record<string, unknown>): string[] {
    try {
        parseDeliveryConfig(raw, "test");
    } catch (err) {
        expect(err).to.be.instanceOf(DeliveryConfigError);
        return (err as DeliveryConfigError).problems;
    }
    expect.fail("the config was accepted");
}

interface Declared {
    readonly type: string;
    readonly name: string;
    readonly inputs: Record<string, any>;
}

/** Runs deployments/index.ts under Pulumi's mock engine with this config; returns what it declared. */
async function runDeliveryProgram(config: Record<string, unknown>): Promise<{ resources: Declared[]; outputs: Record<string, any> }> {
    const resources: Declared[] = [];
    await pulumi.runtime.setMocks(
        {
            newResource(args) {
                resources.push({ type: args.type, name: args.name, inputs: args.inputs });
                return { id: `${args.name}-id`, state: args.inputs };
            },
            call(args) {
                throw new Error(`unexpected call ${args.token}`);
            },
        },
        DELIVERY_PROJECT,
        "delivery",
        false,
    );
    pulumi.runtime.setAllConfig(
        Object.fromEntries(Object.entries(config).map(([k, v]) => [k, typeof v === "string" ? v : JSON.stringify(v)])),
    );
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const program = require(path.join(DELIVERY_DIR, "index.ts")) as () => Promise<Record<string, unknown>>;
    const outputs = ((await pulumi.runtime.runInPulumiStack(program)) ?? {}) as Record<string, any>;
    await (pulumi.runtime as unknown as { waitForRPCs?: () => Promise<void> }).waitForRPCs?.();
    return { resources, outputs };
}

describe("delivery decisions (deployments/delivery.ts)", () => {
    describe("stackForBranch: a push to a branch deploys one stack", () => {
        const rows: [string, string | undefined][] = [
            ["develop", "dev"],
            ["main", "staging"],
            ["release", "prod"],
            ["refs/heads/main", "staging"],
            ["release/1.4", undefined],
            ["feature/login", undefined],
            ["Main", undefined],
        ];
        for (const [branch, stack] of rows) {
            it(`${branch} -> ${stack ?? "nothing"}`, () => {
                expect(stackForBranch(parsed(), branch)).to.equal(stack);
            });
        }

        it("release-regions deploys the three regional prod stacks: one release, the stacks of wave plan prod", () => {
            expect(stacksForBranch(parsed(), "release-regions")).to.deep.equal(["prod-us-east-1", "prod-eu-west-1", "prod-ap-southeast-1"]);
            expect(stacksForBranch(parsed(), "main")).to.deep.equal(["staging"]);
        });

        it("follows the config: moving prod to another branch moves the mapping", () => {
            const raw = baseRaw();
            raw.stacks.prod.branch = "production";
            expect(stackForBranch(parsed(raw), "production")).to.equal("prod");
            expect(stackForBranch(parsed(raw), "release")).to.equal(undefined);
        });
    });

    describe("pushDeploys with a stack's path filters: a docs-only push deploys nothing", () => {
        const rows: [string, string[], boolean][] = [
            ["dev", ["docs/delivery.md"], false],
            ["dev", ["README.md"], false],
            ["dev", ["app/api/README.md"], false],
            ["dev", ["docs/delivery.md", "README.md"], false],
            ["dev", ["app/api/index.js"], true],
            ["dev", ["components/progressiveFunction.ts"], true],
            ["dev", ["config/stackConfig.ts"], true],
            ["dev", ["index.ts"], true],
            ["dev", ["Pulumi.yaml"], true],
            ["dev", ["Pulumi.dev.yaml"], true],
            ["dev", ["Pulumi.prod.yaml"], false],
            ["prod", ["Pulumi.prod.yaml"], true],
            ["prod", ["Pulumi.staging.yaml"], false],
            ["dev", ["package.json"], true],
            ["dev", ["package-lock.json"], true],
            ["dev", ["tsconfig.json"], true],
            ["dev", ["README.md", "app/worker/index.js"], true],
            ["dev", ["automation/cli.ts"], false],
            ["dev", ["tests/deployments/delivery.test.ts"], false],
            ["dev", [".github/workflows/promote.yml"], false],
            ["dev", ["deployments/index.ts"], false],
            ["dev", ["scenarios/bad-canary.json"], false],
            ["dev", ["subdir/index.ts"], false],
        ];
        for (const [stack, files, deploys] of rows) {
            it(`${stack}: ${files.join(", ")} -> ${deploys ? "deploys" : "no deployment"}`, () => {
                expect(pushDeploys(pathFilters(stack), files)).to.equal(deploys);
            });
        }

        it("with no filters every push deploys; with only excludes, everything else deploys", () => {
            expect(pushDeploys([], ["docs/a.md"])).to.equal(true);
            expect(pushDeploys(["!docs/**"], ["docs/a.md"])).to.equal(false);
            expect(pushDeploys(["!docs/**"], ["app/x.js"])).to.equal(true);
        });

        it("globs: * stays within a segment, ** crosses segments, a pattern matches the whole path", () => {
            expect(globToRegExp("*.md").test("README.md")).to.equal(true);
            expect(globToRegExp("*.md").test("docs/a.md")).to.equal(false);
            expect(globToRegExp("**/*.md").test("docs/deep/a.md")).to.equal(true);
            expect(globToRegExp("**/*.md").test("a.md")).to.equal(true);
            expect(globToRegExp("app/**").test("app/api/index.js")).to.equal(true);
            expect(globToRegExp("index.ts").test("components/index.ts")).to.equal(false);
            expect(globToRegExp("package*.json").test("package-lock.json")).to.equal(true);
        });
    });

    describe("progression edges", () => {
        it("come from config, sorted", () => {
            const raw = baseRaw();
            raw.progression = [
                { from: "staging", to: "prod" },
                { from: "dev", to: "staging" },
            ];
            expect(progressionEdges(parsed(raw))).to.deep.equal([
                { from: "dev", to: "staging" },
                { from: "staging", to: "prod" },
            ]);
        });

        it("default to none", () => {
            const raw = baseRaw();
            delete raw.progression;
            expect(progressionEdges(parsed(raw))).to.deep.equal([]);
        });
    });

    describe("approval rule", () => {
        it("prod's promotion waits for the `production` GitHub environment; dev and staging have no gate", () => {
            expect(approvalRule("prod")).to.include({ promotion: "github-environment", environment: "production" });
            expect(approvalRule("staging").promotion).to.equal("none");
            expect(approvalRule("dev").promotion).to.equal("none");
        });
    });

    describe("config validation names the key", () => {
        const rows: [string, (raw: Record<string, any>) => void, string][] = [
            [
                "a branch glob",
                (raw) => (raw.stacks.prod.branch = "release/*"),
                '`lambda-rollout-delivery:stacks.prod.branch` (got "release/*"): is a pattern; Pulumi Deployments deploys one named branch per stack (DeploymentSettings sourceContext.git.branch takes no globs), so name a fixed branch such as "release"',
            ],
            [
                "a refs/heads/ branch",
                (raw) => (raw.stacks.dev.branch = "refs/heads/develop"),
                '`lambda-rollout-delivery:stacks.dev.branch` (got "refs/heads/develop"): must be a branch name without "refs/heads/", e.g. "main"',
            ],
            [
                "two stacks on one branch",
                (raw) => (raw.stacks.prod.branch = "main"),
                '`lambda-rollout-delivery:stacks.prod.branch` (got "main"): "main" already deploys stack "staging": a push must deploy one stack (or the stacks of one wave plan, each with the same `release`), so give each stack its own branch',
            ],
            [
                "stacks of two wave plans on one branch",
                (raw) => (raw.stacks["prod-eu-west-1"].release = "other"),
                '`lambda-rollout-delivery:stacks.prod-eu-west-1.branch` (got "release-regions"): "release-regions" already deploys stack "prod-us-east-1": a push must deploy one stack (or the stacks of one wave plan, each with the same `release`)',
            ],
            [
                "a role that is not an IAM role ARN",
                (raw) => (raw.stacks.staging.roleArn = "lambda-rollout-staging-deploy"),
                '`lambda-rollout-delivery:stacks.staging.roleArn` (got "lambda-rollout-staging-deploy"): must be an IAM role ARN such as "arn:aws:iam::123456789012:role/lambda-rollout-dev-deploy"',
            ],
            [
                "a session longer than AWS allows",
                (raw) => (raw.stacks.prod.duration = "13h"),
                '`lambda-rollout-delivery:stacks.prod.duration` (got "13h"): must be between 15m and 12h (the limits of an AWS assume-role session)',
            ],
            [
                "a progression edge to an unknown stack",
                (raw) => (raw.progression = [{ from: "dev", to: "qa" }]),
                '`lambda-rollout-delivery:progression[0].to` (got "qa"): names no stack of `stacks` (stacks: dev, staging, prod, prod-us-east-1, prod-eu-west-1, prod-ap-southeast-1)',
            ],
            [
                "a progression cycle",
                (raw) =>
                    (raw.progression = [
                        { from: "dev", to: "staging" },
                        { from: "staging", to: "dev" },
                    ]),
                "has a cycle (dev -> staging -> dev): every successful update would start the next one forever",
            ],
            [
                "a repository URL for another repository",
                (raw) => (raw.repository.url = "https://github.com/other/thing.git"),
                '`lambda-rollout-delivery:repository.url` (got "https://github.com/other/thing.git"): must point at acme/lambda-rollout (the repository\'s owner/name), not other/thing',
            ],
            ["an unknown key", (raw) => (raw.stacks.dev.brnach = "x"), "`lambda-rollout-delivery:stacks.dev`: has unknown key(s) `brnach`"],
            ["a missing organisation", (raw) => delete raw.organization, "`lambda-rollout-delivery:organization`"],
        ];
        for (const [what, change, message] of rows) {
            it(`rejects ${what}`, () => {
                const raw = baseRaw();
                change(raw);
                const problems = problemsOf(raw);
                expect(
                    problems.some((p) => p.includes(message)),
                    `problems:\n${problems.join("\n")}`,
                ).to.equal(true);
            });
        }

        it("accepts the committed Pulumi.delivery.yaml", () => {
            expect(() => parsed()).not.to.throw();
        });
    });
});

describe("the delivery program (deployments/index.ts) under Pulumi mocks", () => {
    let resources: Declared[];
    let outputs: Record<string, any>;
    const settingsOf = (stack: string) => {
        const found = resources.filter((r) => r.type === "pulumiservice:index:DeploymentSettings" && r.inputs.stack === stack);
        expect(found, `DeploymentSettings of ${stack}`).to.have.length(1);
        return found[0].inputs;
    };

    before(async () => {
        ({ resources, outputs } = await runDeliveryProgram(deliveryFileConfig()));
    });

    it("declares deployment settings for dev, staging and prod of lambda-rollout, in the configured organisation", () => {
        const settings = resources.filter((r) => r.type === "pulumiservice:index:DeploymentSettings");
        expect(settings.map((s) => s.inputs.stack).sort()).to.deep.equal([
            "dev",
            "prod",
            "prod-ap-southeast-1",
            "prod-eu-west-1",
            "prod-us-east-1",
            "staging",
        ]);
        for (const s of settings) {
            expect(s.inputs.organization).to.equal("acme");
            expect(s.inputs.project).to.equal("lambda-rollout");
        }
    });

    const branches: [string, string][] = [
        ["dev", "develop"],
        ["staging", "main"],
        ["prod", "release"],
    ];
    for (const [stack, branch] of branches) {
        it(`${stack}: deploys this repository's ${branch} branch on push`, () => {
            const s = settingsOf(stack);
            expect(s.sourceContext.git).to.deep.equal({
                repoUrl: "https://github.com/acme/lambda-rollout.git",
                branch: `refs/heads/${branch}`,
            });
            expect(s.vcs).to.include({
                provider: "github",
                repository: "acme/lambda-rollout",
                deployCommits: true,
                previewPullRequests: true,
            });
        });

        it(`${stack}: path filters include the program and Pulumi.${stack}.yaml and exclude docs`, () => {
            const paths: string[] = settingsOf(stack).vcs.paths;
            expect(paths).to.deep.equal(pathFilters(stack));
            expect(paths).to.include.members([
                "app/**",
                "components/**",
                "config/**",
                "index.ts",
                `Pulumi.${stack}.yaml`,
                "package*.json",
                "!docs/**",
                "!*.md",
            ]);
            expect(pushDeploys(paths, ["docs/delivery.md", "README.md"])).to.equal(false);
        });

        it(`${stack}: runs npm ci before the operation, in place of the executor's own install`, () => {
            const op = settingsOf(stack).operationContext;
            expect(op.preRunCommands).to.deep.equal(["npm ci"]);
            expect(op.options).to.deep.equal({ skipInstallDependencies: true });
        });
    }

    for (const [stack, account] of [
        ["prod-us-east-1", "333333333333"],
        ["prod-eu-west-1", "444444444444"],
        ["prod-ap-southeast-1", "555555555555"],
    ]) {
        it(`${stack}: deploys release-regions in its own account, and a change to the config it shares (shared/prod.yaml) deploys it`, () => {
            const s = settingsOf(stack);
            expect(s.sourceContext.git.branch).to.equal("refs/heads/release-regions");
            expect(s.operationContext.oidc.aws.roleARN).to.equal(`arn:aws:iam::${account}:role/lambda-rollout-prod-deploy`);
            expect(s.vcs.paths).to.deep.equal(pathFilters(stack, "shared/prod.yaml"));
            expect(pushDeploys(s.vcs.paths, ["shared/prod.yaml"])).to.equal(true);
            expect(pushDeploys(s.vcs.paths, ["Pulumi.prod.yaml"])).to.equal(false);
            expect(pushDeploys(settingsOf("prod").vcs.paths, ["shared/prod.yaml"])).to.equal(false);
            expect(outputs.stacks[stack]).to.include({ release: "prod" });
            expect(outputs.stacks[stack].approval).to.contain("release.yml releases wave plan prod one wave per job");
        });
    }

    const roles: [string, string, string][] = [
        ["dev", "arn:aws:iam::111111111111:role/lambda-rollout-dev-deploy", "1h"],
        ["staging", "arn:aws:iam::222222222222:role/lambda-rollout-staging-deploy", "1h"],
        ["prod", "arn:aws:iam::333333333333:role/lambda-rollout-prod-deploy", "2h"],
    ];
    for (const [stack, roleArn, duration] of roles) {
        it(`${stack}: assumes its own deploy role through OIDC (${duration})`, () => {
            expect(settingsOf(stack).operationContext.oidc).to.deep.equal({
                aws: { roleARN: roleArn, sessionName: `pulumi-deployments-lambda-rollout-${stack}`, duration },
            });
        });
    }

    it("a successful update of dev starts staging's deployment, and nothing else is chained", () => {
        const hooks = resources.filter((r) => r.type === "pulumiservice:index:Webhook");
        expect(hooks).to.have.length(1);
        expect(hooks[0].inputs).to.deep.include({
            active: true,
            organizationName: "acme",
            projectName: "lambda-rollout",
            stackName: "dev",
            format: "pulumi_deployments",
            payloadUrl: "lambda-rollout/staging",
            filters: ["update_succeeded"],
        });
    });

    it("exports each stack's branch, filters and approval rule", () => {
        expect(outputs.stacks.prod.branch).to.equal("release");
        expect(outputs.stacks.prod.approval).to.contain('"production"');
        expect(outputs.stacks.staging.deploysAfter).to.deep.equal(["dev"]);
    });

    it("one webhook per configured edge: staging -> prod adds a second, pointing at prod", async () => {
        const config = deliveryFileConfig();
        config[`${DELIVERY_PROJECT}:progression`] = [
            { from: "dev", to: "staging" },
            { from: "staging", to: "prod" },
        ];
        const run = await runDeliveryProgram(config);
        const hooks = run.resources.filter((r) => r.type === "pulumiservice:index:Webhook");
        expect(hooks.map((h) => [h.inputs.stackName, h.inputs.payloadUrl])).to.deep.equal([
            ["dev", "lambda-rollout/staging"],
            ["staging", "lambda-rollout/prod"],
        ]);
    });

    it("bad config throws before any resource is declared, naming the key", async () => {
        const config = deliveryFileConfig();
        const stacks = JSON.parse(JSON.stringify(config[`${DELIVERY_PROJECT}:stacks`]));
        stacks.prod.branch = "release/*";
        config[`${DELIVERY_PROJECT}:stacks`] = stacks;
        let error: unknown;
        let declared: Declared[] = [];
        try {
            declared = (await runDeliveryProgram(config)).resources;
        } catch (err) {
            error = err;
        }
        expect(declared).to.deep.equal([]);
        expect(String((error as Error)?.message)).to.contain("`lambda-rollout-delivery:stacks.prod.branch`");
    });
});
