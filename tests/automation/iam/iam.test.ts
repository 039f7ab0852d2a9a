import { expect } from "chai";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { checkAdapters, commandsSent } from "../../../automation/iam/adapterCommands";
import { PolicyArgsError, iamActionOf, promoterPolicy, printPolicy } from "../../../automation/iam/promoterPolicy";
import { runCli } from "../../helpers/cli";

const ADAPTERS_DIR = path.resolve(__dirname, "..", "..", "..", "automation", "adapters");
/** The notifications' and deployment metrics' senders (SNS Publish, PutMetricData) send with the same role. */

const base = { stack: "prod", region: "us-east-1", accountId: "123456789012" } as const;

describe("the promoter role's IAM policy (automation/iam/promoterPolicy.ts)", () => {
    it("scopes Lambda actions to the stack's functions, unqualified and qualified (aliases, versions)", () => {
        const fns = promoterPolicy(base).Statement.find((s) => s.Sid === "StackFunctions")!;
        expect(fns.Resource).to.deep.equal([
            "arn:aws:lambda:us-east-1:123456789012:function:lambda-rollout-prod-*",
            "arn:aws:lambda:us-east-1:123456789012:function:lambda-rollout-prod-*:*",
        ]);
        expect(fns.Action.every((a) => a.startsWith("lambda:"))).to.equal(true);
    });

    it("lets prune delete published versions only: DeleteFunction on qualified ARNs, never on a function's own ARN", () => {
        const policy = promoterPolicy({ ...base, functionNames: ["api", "worker"] });
        const prune = policy.Statement.find((s) => s.Sid === "PruneVersions")!;
        expect(prune.Action).to.deep.equal(["lambda:DeleteFunction"]);
        expect(prune.Resource).to.deep.equal([
            "arn:aws:lambda:us-east-1:123456789012:function:lambda-rollout-prod-api:*",
            "arn:aws:lambda:us-east-1:123456789012:function:lambda-rollout-prod-worker:*",
        ]);
        // No other statement grants it, so no unqualified ARN can be deleted.
        expect(policy.Statement.filter((s) => s.Action.includes("lambda:DeleteFunction"))).to.have.length(1);
        // Listing what prune reads is granted with the other reads on the stack's functions.
        expect(policy.Statement.find((s) => s.Sid === "StackFunctions")!.Action).to.include.members([
            "lambda:ListVersionsByFunction",
            "lambda:ListAliases",
        ]);
    });

    it("names exactly the given functions when their names are known", () => {
        const fns = promoterPolicy({ ...base, stack: "staging", region: "eu-west-1", functionNames: ["api", "worker"] }).Statement[0];
        expect(fns.Resource).to.deep.equal([
            "arn:aws:lambda:eu-west-1:123456789012:function:lambda-rollout-staging-api",
            "arn:aws:lambda:eu-west-1:123456789012:function:lambda-rollout-staging-api:*",
            "arn:aws:lambda:eu-west-1:123456789012:function:lambda-rollout-staging-worker",
            "arn:aws:lambda:eu-west-1:123456789012:function:lambda-rollout-staging-worker:*",
        ]);
    });

    it("scopes DescribeAlarms to the stack's alarms, and only GetMetricData (no resource-level permissions) to *", () => {
        const policy = promoterPolicy(base);
        const alarms = policy.Statement.find((s) => s.Sid === "StackAlarms")!;
        expect(alarms.Action).to.deep.equal(["cloudwatch:DescribeAlarms"]);
        expect(alarms.Resource).to.deep.equal(["arn:aws:cloudwatch:us-east-1:123456789012:alarm:lambda-rollout-prod-*"]);
        const star = policy.Statement.filter((s) => s.Resource === "*");
        expect(star.map((s) => [s.Action, s.Condition])).to.deep.equal([
            [["cloudwatch:GetMetricData"], undefined],
            [["cloudwatch:PutMetricData"], { StringEquals: { "cloudwatch:namespace": "LambdaRollout" } }],
        ]);
        expect(policy.Statement.every((s) => s.Effect === "Allow")).to.equal(true);
    });

    it("a stack's Lambda hooks may be invoked, each as the hook names it, and nothing more", () => {
        const policy = promoterPolicy({
            ...base,
            hookFunctions: ["release-verifier:live", "arn:aws:lambda:us-east-1:999999999999:function:shared-checks"],
        });
        const hooks = policy.Statement.find((s) => s.Sid === "HookFunctions")!;
        expect(hooks.Action).to.deep.equal(["lambda:InvokeFunction"]);
        expect(hooks.Resource).to.deep.equal([
            "arn:aws:lambda:us-east-1:123456789012:function:release-verifier:live",
            "arn:aws:lambda:us-east-1:999999999999:function:shared-checks",
        ]);
        expect(promoterPolicy(base).Statement.some((s) => s.Sid === "HookFunctions")).to.equal(false);
    });

    it("puts metrics only in the LambdaRollout namespace, and publishes only to the stack's own SNS topic", () => {
        const policy = promoterPolicy(base);
        const metrics = policy.Statement.find((s) => s.Sid === "DeploymentMetrics")!;
        expect(metrics).to.deep.equal({
            Sid: "DeploymentMetrics",
            Effect: "Allow",
            Action: ["cloudwatch:PutMetricData"],
            Resource: "*",
            Condition: { StringEquals: { "cloudwatch:namespace": "LambdaRollout" } },
        });
        const topic = policy.Statement.find((s) => s.Sid === "NotificationTopic")!;
        expect(topic.Action).to.deep.equal(["sns:Publish"]);
        expect(topic.Resource).to.deep.equal(["arn:aws:sns:us-east-1:123456789012:lambda-rollout-prod-rollback-alarms"]);
    });

    it("a stack's policy never reaches another stack's functions", () => {
        const resources = promoterPolicy({ ...base, stack: "dev" }).Statement.flatMap((s) => (s.Resource === "*" ? [] : s.Resource));
        expect(resources.every((r) => r.includes(":lambda-rollout-dev-"))).to.equal(true);
        expect(resources.length).to.be.greaterThan(0);
    });

    const invalid: [string, Record<string, unknown>, string][] = [
        ["a bad account id", { accountId: "1234" }, '`accountId` must be a 12-digit AWS account id (got "1234")'],
        ["a bad region", { region: "useast1" }, '`region` must be an AWS region such as "us-east-1" (got "useast1")'],
        ["a bad stack", { stack: "Prod" }, '`stack` must be a stack name such as "prod" (got "Prod")'],
        ["an empty function list", { functionNames: [] }, "`functionNames` must list at least one function"],
        ["a full ARN as a function name", { functionNames: ["arn:aws:lambda:x"] }, '`functionNames` must hold short names such as "api"'],
        [
            "an alarm prefix outside the stack",
            { alarmNamePrefix: "lambda-rollout-" },
            '`alarmNamePrefix` must start with "lambda-rollout-prod-"',
        ],
    ];
    for (const [what, change, message] of invalid) {
        it(`refuses ${what}, naming the field`, () => {
            expect(() => promoterPolicy({ ...base, ...change })).to.throw(PolicyArgsError, message);
        });
    }

    it("maps SDK commands to IAM actions: Invoke is lambda:InvokeFunction", () => {
        expect(iamActionOf("InvokeCommand", "lambda")).to.equal("lambda:InvokeFunction");
        expect(iamActionOf("GetAliasCommand", "lambda")).to.equal("lambda:GetAlias");
        expect(iamActionOf("GetMetricDataCommand", "cloudwatch")).to.equal("cloudwatch:GetMetricData");
    });
});

describe("finding the commands a source file sends (automation/iam/adapterCommands.ts)", () => {
    it("tells each command's client from named, renamed and namespace imports", () => {
        const source = [
            'import { GetAliasCommand, InvokeCommand as Call, LambdaClient } from "@aws-sdk/client-lambda";',
            'import * as cw from "@aws-sdk/client-cloudwatch";',
            "await lambda.send(new GetAliasCommand({ FunctionName, Name }));",
            "await lambda.send(new Call({ FunctionName }));",
            "await client.send(new cw.DescribeAlarmsCommand({}));",
        ].join("\n");
        expect(commandsSent(source).map((c) => [c.command, c.action, c.line])).to.deep.equal([
            ["GetAliasCommand", "lambda:GetAlias", 3],
            ["InvokeCommand", "lambda:InvokeFunction", 4],
            ["DescribeAlarmsCommand", "cloudwatch:DescribeAlarms", 5],
        ]);
    });

    it("a command whose client cannot be told has no action (and fails the adapter check)", () => {
        const found = commandsSent('import { ListFunctionsCommand } from "./sdk";\nnew ListFunctionsCommand({});');
        expect(found).to.deep.equal([{ command: "ListFunctionsCommand", action: undefined, line: 2 }]);
    });
});

/** Asserts the policy and the adapters in `dir` agree; the messages say what to change. */
function assertAdaptersMatch(dir: string | string[]): void {
    const check = checkAdapters(dir, promoterPolicy(base));
    if (check.files.length === 0) {
        expect.fail(
            `no adapter files found in ${[dir].flat().map((d) => path.relative(process.cwd(), d) || d)}/*.ts: the policy cannot be checked against ` +
                "the commands the rollout tool sends (this check must not pass on nothing)",
        );
    }
    const problems = [
        ...check.unknown.map((u) => `a command whose client cannot be told: ${u}`),
        ...check.notGranted.map((a) => `an adapter sends a command the promoter policy does not grant: ${a}`),
        ...check.unused.map((a) => `the promoter policy grants an action no adapter sends: ${a}`),
    ];
    if (problems.length > 0) expect.fail(`the promoter policy and automation/adapters disagree:\n  - ${problems.join("\n  - ")}`);
    expect(check.sent.size, "the adapters send no AWS SDK command at all").to.be.greaterThan(0);
}

describe("the promoter policy matches what automation/adapters/*.ts send (notifications' SNS and metrics included)", () => {
    it("every adapter command is granted, and every granted action is sent by some adapter", () => {
        assertAdaptersMatch([ADAPTERS_DIR]);
    });

    describe("the check itself, on made-up adapters", () => {
        let dir: string;
        const lambdaAdapter = [
            "import {",
            "    GetAliasCommand, UpdateAliasCommand, GetFunctionConfigurationCommand, InvokeCommand,",
            "    ListVersionsByFunctionCommand, GetProvisionedConcurrencyConfigCommand, ListAliasesCommand, DeleteFunctionCommand,",
            '} from "@aws-sdk/client-lambda";',
            "new GetAliasCommand({}); new UpdateAliasCommand({}); new GetFunctionConfigurationCommand({});",
            "new InvokeCommand({}); new ListVersionsByFunctionCommand({}); new GetProvisionedConcurrencyConfigCommand({});",
            "new ListAliasesCommand({}); new DeleteFunctionCommand({});",
        ].join("\n");
        const cloudwatchAdapter =
            'import { GetMetricDataCommand, DescribeAlarmsCommand, PutMetricDataCommand } from "@aws-sdk/client-cloudwatch";\nnew GetMetricDataCommand({});\nnew DescribeAlarmsCommand({});\nnew PutMetricDataCommand({});';
        const snsSender = 'import { PublishCommand } from "@aws-sdk/client-sns";\nnew PublishCommand({});';
        const write = (files: Record<string, string>) => {
            for (const [name, text] of Object.entries(files)) fs.writeFileSync(path.join(dir, name), text);
        };

        beforeEach(() => {
            dir = fs.mkdtempSync(path.join(os.tmpdir(), "adapters-"));
        });
        afterEach(() => {
            fs.rmSync(dir, { recursive: true, force: true });
        });

        it("passes when the adapters send exactly the granted actions", () => {
            write({ "lambda.ts": lambdaAdapter, "cloudwatch.ts": cloudwatchAdapter, "sns.ts": snsSender });
            expect(() => assertAdaptersMatch(dir)).not.to.throw();
        });

        it("fails when an adapter sends a command the policy does not grant", () => {
            write({
                "lambda.ts": lambdaAdapter
                    .replace("new InvokeCommand({});", "new InvokeCommand({}); new DeleteAliasCommand({});")
                    .replace("InvokeCommand,", "InvokeCommand, DeleteAliasCommand,"),
                "cloudwatch.ts": cloudwatchAdapter,
            });
            expect(() => assertAdaptersMatch(dir)).to.throw("lambda:DeleteAlias (sent at lambda.ts:6)");
        });

        it("fails when the policy grants an action no adapter sends", () => {
            write({ "lambda.ts": lambdaAdapter, "cloudwatch.ts": cloudwatchAdapter.replace("new DescribeAlarmsCommand({});", "") });
            expect(() => assertAdaptersMatch(dir)).to.throw("cloudwatch:DescribeAlarms");
        });

        it("fails clearly when there are no adapter files", () => {
            expect(() => assertAdaptersMatch(dir)).to.throw("no adapter files found");
        });
    });
});

describe("lambda-rollout iam-policy", function () {
    this.timeout(60_000);

    it("prints the policy for the stack's own functions and region from Pulumi.<stack>.yaml", async () => {
        const run = await runCli(["iam-policy", "-s", "staging", "--account", "123456789012"]);
        expect(run.code).to.equal(0);
        expect(JSON.parse(run.stdout)).to.deep.equal(
            promoterPolicy({ stack: "staging", region: "us-east-1", accountId: "123456789012", functionNames: ["api", "worker"] }),
        );
    });

    it("takes the stack from PULUMI_STACK as every command does; --functions and --region override the stack file", async () => {
        const run = await runCli(["iam-policy", "--account", "123456789012", "--region", "eu-west-1", "--functions", "api"], {
            env: { PULUMI_STACK: "prod" },
        });
        expect(run.code).to.equal(0);
        expect(run.stdout).to.equal(printPolicy({ stack: "prod", region: "eu-west-1", accountId: "123456789012", functionNames: ["api"] }));
    });

    it("a missing --account, a bad account id or a stack without a config file is a usage error: exit 2, nothing on stdout", async () => {
        const missing = await runCli(["iam-policy", "-s", "prod"]);
        expect([missing.code, missing.stdout]).to.deep.equal([2, ""]);
        expect(missing.stderr).to.contain("error: required option '--account <id>' not specified");
        const bad = await runCli(["iam-policy", "-s", "prod", "--account", "42"]);
        expect([bad.code, bad.stdout]).to.deep.equal([2, ""]);
        expect(bad.stderr).to.contain('error: `accountId` must be a 12-digit AWS account id (got "42")');
        const noFile = await runCli(["iam-policy", "-s", "qa", "--account", "123456789012"]);
        expect(noFile.code).to.equal(2);
        expect(noFile.stderr).to.match(/error: cannot read config file \S*Pulumi\.qa\.yaml: ENOENT/);
    });
});
