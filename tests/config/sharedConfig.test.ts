import { expect } from "chai";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { evaluateProgram, loadStackConfig, PROJECT_ROOT, type ProgramWorld } from "../../automation/engine/evaluate";
import { awsClientSettings } from "../../components/awsClientSettings";
import { withSharedConfig } from "../../config/sharedConfig";
import { StackConfigError } from "../../config/stackConfig";
import { runCli } from "../helpers/cli";
import { declared, fakeAccount, T } from "../helpers/fakeAccount";

const REGIONS = { "prod-us-east-1": "us-east-1", "prod-eu-west-1": "eu-west-1", "prod-ap-southeast-1": "ap-southeast-1" } as const;

/** A fake account that also records the region of every Lambda client the program asks for. */
function regionalAccount(): ProgramWorld & { regions: string[] } {
    const account = fakeAccount();
    const regions: string[] = [];
    return {
        ...account,
        regions,
        lambda: (region: string) => {
            regions.push(region);
            return account.lambda(region);
        },
    };
}

describe("config shared by the regional prod stacks (lambda-rollout:sharedConfig)", () => {
    describe("the example stacks, under the mock engine", () => {
        for (const [stack, region] of Object.entries(REGIONS)) {
            it(`${stack}: declares shared/prod.yaml's canary function, alarms and dashboard in ${region}, read with the stack's own region`, async () => {
                const world = regionalAccount();
                const { resources, outputs } = await evaluateProgram({ stack, world, commit: "abc123" });
                const fn = declared(resources, T.fn, "api-fn").inputs;
                expect(fn).to.include({
                    name: `lambda-rollout-${stack}-api`,
                    memorySize: 1024,
                    reservedConcurrentExecutions: 200,
                    publish: true,
                });
                expect(outputs.lambdaRollout.region).to.equal(region);
                expect(outputs.lambdaRollout.strategy).to.equal("canary");
                expect(outputs.lambdaRollout.rolloutPolicy.canary.steps.map((s: { weight: number }) => s.weight)).to.deep.equal([
                    10, 50, 100,
                ]);
                // The program reads the live alias in the stack's region, and the dashboard graphs that region's metrics.
                expect([...new Set(world.regions)]).to.deep.equal([region]);
                const dashboard = JSON.parse(declared(resources, T.dashboard, "rollout-dashboard").inputs.dashboardBody);
                expect(new Set(dashboard.widgets.map((w: { properties: { region: string } }) => w.properties.region))).to.deep.equal(
                    new Set([region]),
                );
            });
        }

        it("a key in the stack's own file replaces the shared one: ap-southeast-1's alarms page its own on-call", () => {
            expect(loadStackConfig("prod-us-east-1").stackConfig.alarms.email).to.equal("oncall@example.com");
            expect(loadStackConfig("prod-ap-southeast-1").stackConfig.alarms.email).to.equal("oncall-apac@example.com");
            expect(loadStackConfig("prod-ap-southeast-1").stackConfig.functions).to.deep.equal(
                loadStackConfig("prod-us-east-1").stackConfig.functions,
            );
        });

        it("each stack reaches its own account as the AWS provider does: the default chain, an assumed role, a named profile", () => {
            const settings = (stack: string) => {
                const loaded = loadStackConfig(stack);
                return awsClientSettings(loaded.config, loaded.stackConfig.region);
            };
            expect(settings("prod-us-east-1")).to.deep.equal({ region: "us-east-1", assumeRoles: [] });
            expect(settings("prod-eu-west-1")).to.deep.equal({
                region: "eu-west-1",
                assumeRoles: [
                    { roleArn: "arn:aws:iam::444444444444:role/lambda-rollout-prod-deploy", sessionName: "lambda-rollout-prod-eu-west-1" },
                ],
            });
            expect(settings("prod-ap-southeast-1")).to.deep.equal({ region: "ap-southeast-1", profile: "acme-prod-apac", assumeRoles: [] });
        });
    });

    describe("withSharedConfig", () => {
        let root: string;
        beforeEach(() => {
            root = fs.mkdtempSync(path.join(os.tmpdir(), "shared-config-"));
            fs.mkdirSync(path.join(root, "shared"));
        });
        afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

        const write = (name: string, text: string) => fs.writeFileSync(path.join(root, name), text);
        const merged = (config: Record<string, unknown>) => withSharedConfig(config, "Pulumi.x.yaml", root, "lambda-rollout");
        const problems = (config: Record<string, unknown>): string[] => {
            try {
                merged(config);
            } catch (err) {
                expect(err).to.be.instanceOf(StackConfigError);
                return (err as StackConfigError).problems;
            }
            throw new Error("expected a StackConfigError");
        };

        it("puts the shared keys under the stack's own, whole keys replaced, and drops the key that named the file", () => {
            write(
                "shared/prod.yaml",
                "config:\n  lambda-rollout:alarms: { email: a@example.com }\n  lambda-rollout:vpc: { availabilityZones: 3 }\n",
            );
            expect(
                merged({
                    "aws:region": "eu-west-1",
                    "lambda-rollout:sharedConfig": "shared/prod.yaml",
                    "lambda-rollout:vpc": { availabilityZones: 2 },
                }),
            ).to.deep.equal({
                "lambda-rollout:alarms": { email: "a@example.com" },
                "lambda-rollout:vpc": { availabilityZones: 2 },
                "aws:region": "eu-west-1",
            });
        });

        it("leaves a config that names no shared file as it is", () => {
            const config = { "aws:region": "us-east-1", "lambda-rollout:functions": [] };
            expect(merged(config)).to.equal(config);
        });

        const bad: [string, () => void, Record<string, unknown>, string][] = [
            [
                "a file that does not exist",
                () => undefined,
                { "lambda-rollout:sharedConfig": "shared/nope.yaml" },
                '`lambda-rollout:sharedConfig` (got "shared/nope.yaml"): cannot read',
            ],
            [
                "a path outside the project",
                () => undefined,
                { "lambda-rollout:sharedConfig": "../elsewhere.yaml" },
                '`lambda-rollout:sharedConfig` (got "../elsewhere.yaml"): must be a file inside the project',
            ],
            [
                "not a YAML file name",
                () => undefined,
                { "lambda-rollout:sharedConfig": 3 },
                "`lambda-rollout:sharedConfig` (got 3): must be the path of a YAML file, relative to the project root",
            ],
            [
                "a file without a config map",
                () => write("shared/prod.yaml", "functions: []\n"),
                { "lambda-rollout:sharedConfig": "shared/prod.yaml" },
                "shared/prod.yaml has no `config:` map",
            ],
            [
                "an aws: key, which the provider reads from the stack's own file",
                () => write("shared/prod.yaml", "config:\n  aws:region: eu-west-1\n"),
                { "lambda-rollout:sharedConfig": "shared/prod.yaml" },
                "`aws:region` in shared/prod.yaml: only this project's keys (`lambda-rollout:<key>`) can be shared",
            ],
            [
                "a secret, encrypted with one stack's key",
                () => write("shared/prod.yaml", "config:\n  lambda-rollout:alarms:\n    email: { secure: v1:abc }\n"),
                { "lambda-rollout:sharedConfig": "shared/prod.yaml" },
                "`lambda-rollout:alarms` in shared/prod.yaml: holds a secret",
            ],
            [
                "a second level of sharing",
                () => write("shared/prod.yaml", "config:\n  lambda-rollout:sharedConfig: shared/base.yaml\n"),
                { "lambda-rollout:sharedConfig": "shared/prod.yaml" },
                "`lambda-rollout:sharedConfig` in shared/prod.yaml: a shared file cannot name another one",
            ],
        ];
        for (const [what, setUp, config, message] of bad) {
            it(`refuses ${what}, naming the key and the file`, () => {
                setUp();
                expect(problems(config).join("\n")).to.include(message);
            });
        }
    });

    it("plan refuses a stack whose shared file is missing: exit 2, the key named", async () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "shared-plan-"));
        try {
            const file = path.join(dir, "Pulumi.prod-eu-west-1.yaml");
            fs.writeFileSync(file, "config:\n  aws:region: eu-west-1\n  lambda-rollout:sharedConfig: shared/missing.yaml\n");
            const run = await runCli(["plan", "-s", "prod-eu-west-1", "--config-file", file]);
            expect(run.code).to.equal(2);
            expect(run.stderr).to.include('`lambda-rollout:sharedConfig` (got "shared/missing.yaml"): cannot read');
            expect(run.stderr).to.include(path.join(PROJECT_ROOT, "shared", "missing.yaml"));
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });
});
