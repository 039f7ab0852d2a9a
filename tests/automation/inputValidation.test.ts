import * as pulumi from "@pulumi/pulumi";
import { expect } from "chai";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { setLambdaClientFactory } from "../../components/liveAlias";
import { misplacedNamespaceKeys } from "../../config/issues";
import { readStackConfig } from "../../config/projectConfig";
import { StackConfigError } from "../../config/stackConfig";
import { ConfigFileError, evaluateProgram, PROJECT_ROOT, stackConfigPath } from "../../automation/engine/evaluate";
import { exitCodeFor, ExitCode } from "../../automation/errors";
import { MockEngineStack } from "../../automation/rehearsal/mockEngineStack";
import { rehearse } from "../../automation/rehearsal/rehearse";
import { readScenario } from "../../automation/rehearsal/scenario";
import { scenarioFiles } from "../../automation/rehearsal/scenarioFiles";
import { reportKeeper, writeReportFile } from "../../automation/reportWriter";
import { parseStackName, StackNameError } from "../../automation/stackName";
import { SimulatedAws } from "../../automation/simulator";
import { memoryLog } from "../helpers/fakes";

const fixture = (name: string) => path.join(PROJECT_ROOT, "tests", "fixtures", name);

/** A valid prod-like `config:` map of a stack file; each case changes one key. */
function stackFile(): Record<string, unknown> {
    return {
        "aws:region": "us-east-1",
        "lambda-rollout:functions": [{ name: "api", codeDir: "app/api", handler: "index.handler" }],
        "lambda-rollout:rollout": {
            strategy: "canary",
            canary: {
                steps: [
                    { weight: 10, bake: "10m" },
                    { weight: 100, bake: "10m" },
                ],
            },
        },
    };
}

/** The problems readStackConfig reports for the stack file after `mutate`; none when it is accepted. */
function problemsOf(mutate: (config: Record<string, unknown>) => void): string[] {
    const config = stackFile();
    mutate(config);
    try {
        readStackConfig(config, "Pulumi.test.yaml", PROJECT_ROOT);
        return [];
    } catch (err) {
        expect(err).to.be.instanceOf(StackConfigError);
        return (err as StackConfigError).problems;
    }
}

const STACK_RULE =
    "a stack name may contain only letters, digits, '-', '_' and '.' (at most 100 characters), e.g. prod; or be fully qualified as <org>/lambda-rollout/<stack> (or <org>/<stack>)";

describe("stack names (automation/stackName.ts)", () => {
    const accepted: [string, { name: string; org?: string }][] = [
        ["prod", { name: "prod" }],
        ["feature_x.2-b", { name: "feature_x.2-b" }],
        ["acme/prod", { name: "prod", org: "acme" }],
        ["acme/lambda-rollout/prod", { name: "prod", org: "acme" }],
    ];
    for (const [input, expected] of accepted) {
        it(`accepts ${JSON.stringify(input)} as stack ${expected.name}`, () => {
            expect(parseStackName(input)).to.deep.equal({ ...expected, qualified: input });
        });
    }

    const refused: [string, string][] = [
        ["../../etc", STACK_RULE],
        ["..", STACK_RULE],
        ["prod/", STACK_RULE],
        ["/etc/passwd", STACK_RULE],
        ["pro d", STACK_RULE],
        ["prod;rm", STACK_RULE],
        ["", STACK_RULE],
        ["x".repeat(101), STACK_RULE],
        ["a/b/c/d", STACK_RULE],
        ["acme/other-project/prod", `names project "other-project", but this is the lambda-rollout project (Pulumi.yaml): ${STACK_RULE}`],
    ];
    for (const [input, rule] of refused) {
        it(`refuses ${JSON.stringify(input.slice(0, 20))}, saying what a stack name may contain`, () => {
            expect(() => parseStackName(input)).to.throw(StackNameError, `\`--stack\` (got ${JSON.stringify(input)}): ${rule}`);
        });
    }

    it("is checked before a config file path is made, and maps a qualified name to its Pulumi.<stack>.yaml", () => {
        expect(() => stackConfigPath("../../etc")).to.throw(StackNameError);
        expect(stackConfigPath("acme/lambda-rollout/prod")).to.equal(path.join(PROJECT_ROOT, "Pulumi.prod.yaml"));
        expect(exitCodeFor(new StackNameError("x"))).to.equal(ExitCode.usage);
    });

    it("a qualified name evaluates the stack's own config and names its resources by the stack alone", async () => {
        const evaluation = await evaluateProgram({ stack: "acme/lambda-rollout/prod" });
        const fn = evaluation.resources.find((r) => r.type === "aws:lambda/function:Function");
        expect(fn?.inputs.name).to.equal("lambda-rollout-prod-api");
    });
});

describe("a stack's config read against the project (config/projectConfig.ts)", () => {
    const misplaced: [string, string, string][] = [
        ["a typo in the namespace", "lambda-rolout:alarms", "lambda-rollout:alarms"],
        ["an underscore for the dash", "lambda_rollout:rollout", "lambda-rollout:rollout"],
        ["capitals", "Lambda-Rollout:alarms", "lambda-rollout:alarms"],
        ["no dash", "lambdarollout:alarms", "lambda-rollout:alarms"],
        ["a project key under another namespace", "aws:functions", "lambda-rollout:functions"],
    ];
    for (const [label, key, meant] of misplaced) {
        it(`reports a key under a misspelt namespace (${label}), naming it and suggesting ${meant}`, () => {
            expect(problemsOf((c) => (c[key] = { email: "oncall@example.com" }))).to.deep.equal([
                `\`${key}\`: \`${key.split(":")[0]}:\` is not this project's namespace, so nothing reads this key: did you mean \`${meant}\`? (this project's keys are \`lambda-rollout:<key>\`; other namespaces, such as \`aws:\`, belong to their providers)`,
            ]);
        });
    }

    it("reports a key without a namespace", () => {
        expect(problemsOf((c) => (c.alarms = {}))).to.deep.equal([
            "`alarms`: has no namespace, so nothing reads it: config keys are `<namespace>:<key>`; this project's are `lambda-rollout:<key>`, e.g. `lambda-rollout:alarms`",
        ]);
    });

    it("leaves the keys of real other namespaces alone (aws:region, aws:profile, pulumi:, other providers)", () => {
        const others = {
            "aws:profile": "deploy",
            "aws:defaultTags": { tags: { team: "x" } },
            "pulumi:tags": { a: "b" },
            "awsx:x": 1,
            "random:y": 2,
            "pulumiservice:accessToken": "t",
        };
        expect(problemsOf((c) => Object.assign(c, others))).to.deep.equal([]);
        expect(misplacedNamespaceKeys({ ...stackFile(), ...others }, "lambda-rollout", ["functions"])).to.deep.equal([]);
    });

    it("a codeDir that does not exist names the key, the value, the directory looked for and what is valid", () => {
        const problems = problemsOf((c) => ((c["lambda-rollout:functions"] as Record<string, unknown>[])[0].codeDir = "app/nope"));
        expect(problems).to.deep.equal([
            `\`lambda-rollout:functions[0].codeDir\` (got "app/nope"): no such directory (${path.join(PROJECT_ROOT, "app", "nope")}): must be the directory of the function's code, relative to the project root (${PROJECT_ROOT})`,
        ]);
    });

    it("a codeDir that is a file is not a directory", () => {
        const problems = problemsOf((c) => ((c["lambda-rollout:functions"] as Record<string, unknown>[])[0].codeDir = "app/api/index.js"));
        expect(problems[0]).to.match(/^`lambda-rollout:functions\[0\]\.codeDir` \(got "app\/api\/index\.js"\): is not a directory \(/);
    });

    it("reports every problem at once: the namespace, the schema's and the code directory's", () => {
        const problems = problemsOf((c) => {
            c["lambda_rollout:rollout"] = c["lambda-rollout:rollout"];
            delete c["lambda-rollout:rollout"];
            (c["lambda-rollout:functions"] as Record<string, unknown>[])[0].codeDir = "app/nope";
        });
        expect(problems).to.have.length(3);
        expect(problems[0]).to.match(/^`lambda_rollout:rollout`: .*did you mean `lambda-rollout:rollout`\?/);
        expect(problems[1]).to.equal("`lambda-rollout:rollout`: is required (an object)");
        expect(problems[2]).to.match(/^`lambda-rollout:functions\[0\]\.codeDir` \(got "app\/nope"\): no such directory/);
    });

    it("the program itself refuses them under `pulumi up`, before registering any AWS resource", async () => {
        const registered: string[] = [];
        await pulumi.runtime.setMocks(
            { newResource: (args) => (registered.push(args.type), { id: "x", state: args.inputs }), call: () => ({}) },
            "lambda-rollout",
            "prod",
            false,
        );
        pulumi.runtime.setAllConfig({
            "lambda-rollout:functions": JSON.stringify([{ name: "api", codeDir: "app/nope", handler: "index.handler" }]),
            "lambda-rollout:rollout": JSON.stringify({ strategy: "all-at-once" }),
            "lambda-rolout:alarms": JSON.stringify({ email: "oncall@example.com" }),
        });
        setLambdaClientFactory(() => ({ send: async () => ({}) }));
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        const program = require(path.join(PROJECT_ROOT, "index.ts")) as () => Promise<unknown>;
        const error = await program().then(
            () => undefined,
            (err: Error) => err,
        );
        expect(error).to.be.instanceOf(StackConfigError);
        expect(error?.message).to.contain("`lambda-rolout:alarms`: `lambda-rolout:` is not this project's namespace");
        expect(error?.message).to.contain('`lambda-rollout:functions[0].codeDir` (got "app/nope"): no such directory');
        expect(registered.filter((t) => t.startsWith("aws:"))).to.deep.equal([]);
    });
});

describe("the rehearsal keeps bad input a usage error", function () {
    this.timeout(60_000);
    const healthy = () => readScenario(path.join(PROJECT_ROOT, "scenarios", "healthy.json"));

    const cases: [string, string | undefined, string, RegExp][] = [
        ["a bad value", fixture("weight-120.yaml"), "prod", /`lambda-rollout:rollout\.canary\.steps\[1\]\.weight` \(got 120\)/],
        ["a config file that does not exist", fixture("no-such.yaml"), "prod", /^cannot read config file .*no-such\.yaml: ENOENT$/],
        ["YAML that does not parse", fixture("not-yaml.yaml"), "prod", /^config file .*not-yaml\.yaml is not valid YAML/],
        [
            "a stack with no Pulumi.<stack>.yaml",
            undefined,
            "qa",
            /^no stack "qa" in project lambda-rollout .*its stacks: dev, prod, prod-ap-southeast-1, prod-eu-west-1, prod-us-east-1, staging/,
        ],
        ["a stack name that is a path", undefined, "../../etc", /^`--stack` \(got "\.\.\/\.\.\/etc"\)/],
    ];
    for (const [label, configFile, stack, message] of cases) {
        it(`rehearse() refuses ${label} with exit 2 and its message, never 'pulumi up failed'`, async () => {
            const error = await rehearse({ stack, configFile, scenario: healthy(), log: memoryLog() }).then(
                () => undefined,
                (err: Error) => err,
            );
            expect(error?.message).to.match(message);
            expect(exitCodeFor(error)).to.equal(ExitCode.usage);
        });
    }

    for (const [file, type, message] of [
        ["weight-120.yaml", StackConfigError, "`lambda-rollout:rollout.canary.steps[1].weight` (got 120)"],
        ["no-such.yaml", ConfigFileError, "no-such.yaml: ENOENT"],
    ] as const) {
        it(`the mock engine's up passes a config error (${file}) on as it is, with its key path, not as 'pulumi up failed'`, async () => {
            const sim = new SimulatedAws({ seed: 1, startTime: new Date("2026-01-05T09:00:00Z"), metricDelayMinutes: 2 });
            const stack = new MockEngineStack({ stack: "prod", configFile: fixture(file), sim });
            const error = await stack.deploy("c1").then(
                () => undefined,
                (err: Error) => err,
            );
            expect(error).to.be.instanceOf(type);
            expect(error?.message).to.contain(message);
            expect(exitCodeFor(error)).to.equal(ExitCode.usage);
        });
    }

    it("rehearse-all's --dir that cannot be read, or holds no scenarios, is a usage error naming --dir", () => {
        expect(() => scenarioFiles("no-such-folder")).to.throw('`--dir` (got "no-such-folder"): cannot read the scenarios folder: ENOENT');
        expect(() => scenarioFiles(path.join(PROJECT_ROOT, "app"))).to.throw(
            `\`--dir\` (got ${JSON.stringify(path.join(PROJECT_ROOT, "app"))}): holds no scenario files (*.json)`,
        );
        expect(scenarioFiles(path.join(PROJECT_ROOT, "scenarios"))).to.include(path.join(PROJECT_ROOT, "scenarios", "healthy.json"));
    });
});

describe("the report file (automation/reportWriter.ts)", () => {
    let root: string;
    beforeEach(() => (root = fs.mkdtempSync(path.join(os.tmpdir(), "lambda-rollout-report-unit-"))));
    afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

    it("creates the folders it needs and leaves only the report", () => {
        const file = path.join(root, "a", "b", "report.json");
        expect(writeReportFile(file, { outcome: "promoted" })).to.equal(undefined);
        expect(JSON.parse(fs.readFileSync(file, "utf8"))).to.deep.equal({ outcome: "promoted" });
        expect(fs.readdirSync(path.dirname(file))).to.deep.equal(["report.json"]);
    });

    it("a path that is a folder, or lies under a file, is an error returned, never thrown, with no temporary file left", () => {
        expect(writeReportFile(root, {})).to.equal("EISDIR: the path is a directory");
        expect(writeReportFile(`${root}/`, {})).to.equal("the path names a folder, not a file");
        fs.writeFileSync(path.join(root, "a-file"), "x");
        expect(writeReportFile(path.join(root, "a-file", "report.json"), {})).to.match(/^ENOTDIR|^EEXIST/);
        expect(fs.readdirSync(root)).to.deep.equal(["a-file"]);
        expect(fs.readdirSync(path.dirname(root)).filter((f) => f.startsWith(path.basename(root)) && f.endsWith(".tmp"))).to.deep.equal([]);
    });

    it("a write that fails midway keeps the previous report whole", () => {
        const file = path.join(root, "report.json");
        writeReportFile(file, { outcome: "rolled-back" });
        expect(writeReportFile(file, { big: BigInt(1) })).to.match(/BigInt/);
        expect(JSON.parse(fs.readFileSync(file, "utf8"))).to.deep.equal({ outcome: "rolled-back" });
        expect(fs.readdirSync(root)).to.deep.equal(["report.json"]);
    });

    it("the keeper warns once on stderr, naming the file and the error, and never throws", () => {
        const warnings: string[] = [];
        const original = console.error;
        console.error = (text: string) => warnings.push(text);
        try {
            const keeper = reportKeeper(root);
            keeper.observe({ outcome: "promoted" });
            keeper.observe({ outcome: "promoted" });
            expect(keeper.failure()).to.equal("EISDIR: the path is a directory");
        } finally {
            console.error = original;
        }
        expect(warnings).to.deep.equal([
            `warning: could not write the report to ${root}: EISDIR: the path is a directory (the outcome stands)`,
        ]);
    });
});
