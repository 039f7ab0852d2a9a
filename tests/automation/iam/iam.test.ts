import { expect } from "chai";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { checkAdapters, commandsSent } from "../../../automation/iam/adapterCommands";
import {
    GRANTS,
    PolicyArgsError,
    iamActionOf,
    promoterPolicy,
    rollbackPolicy,
    type StackResources,
} from "../../../automation/iam/promoterPolicy";
import { runCli } from "../../helpers/cli";

const ADAPTERS_DIR = path.resolve(__dirname, "..", "..", "..", "automation", "adapters");

/** A stack as its outputs contract names it: the team's own names, nothing derived from a convention. */
const base: StackResources = {
    region: "us-east-1",
    accountId: "123456789012",
    functionNames: ["orders-api-prod", "orders-worker-prod"],
    alarmNames: ["orders-api-prod-rollback", "orders-api-prod-throttles"],
    alarmTopicName: "orders-prod-alarms",
};

describe("the promoter role's IAM policy (automation/iam/promoterPolicy.ts)", () => {
    it("names each function of the contract, unqualified and qualified (aliases, versions)", () => {
        const fns = promoterPolicy(base).Statement.find((s) => s.Sid === "StackFunctions")!;
        expect(fns.Resource).to.deep.equal([
            "arn:aws:lambda:us-east-1:123456789012:function:orders-api-prod",
            "arn:aws:lambda:us-east-1:123456789012:function:orders-api-prod:*",
            "arn:aws:lambda:us-east-1:123456789012:function:orders-worker-prod",
            "arn:aws:lambda:us-east-1:123456789012:function:orders-worker-prod:*",
        ]);
        expect(fns.Action.every((a) => a.startsWith("lambda:"))).to.equal(true);
    });

    it("lets prune delete published versions only: DeleteFunction on qualified ARNs, never on a function's own ARN", () => {
        const policy = promoterPolicy(base);
        const prune = policy.Statement.find((s) => s.Sid === "PruneVersions")!;
        expect(prune.Action).to.deep.equal(["lambda:DeleteFunction"]);
        expect(prune.Resource).to.deep.equal([
            "arn:aws:lambda:us-east-1:123456789012:function:orders-api-prod:*",
            "arn:aws:lambda:us-east-1:123456789012:function:orders-worker-prod:*",
        ]);
        expect(policy.Statement.filter((s) => s.Action.includes("lambda:DeleteFunction"))).to.have.length(1);
        expect(policy.Statement.find((s) => s.Sid === "StackFunctions")!.Action).to.include.members([
            "lambda:ListVersionsByFunction",
            "lambda:ListAliases",
        ]);
    });

    it("scopes DescribeAlarms to the alarms the contract names, and only GetMetricData and PutMetricData (no resource-level permissions) to *", () => {
        const policy = promoterPolicy(base);
        const alarms = policy.Statement.find((s) => s.Sid === "StackAlarms")!;
        expect(alarms.Action).to.deep.equal(["cloudwatch:DescribeAlarms"]);
        expect(alarms.Resource).to.deep.equal([
            "arn:aws:cloudwatch:us-east-1:123456789012:alarm:orders-api-prod-rollback",
            "arn:aws:cloudwatch:us-east-1:123456789012:alarm:orders-api-prod-throttles",
        ]);
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

    it("publishes only to the contract's topic, and grants no Publish when the contract names none", () => {
        const topic = promoterPolicy(base).Statement.find((s) => s.Sid === "NotificationTopic")!;
        expect(topic.Action).to.deep.equal(["sns:Publish"]);
        expect(topic.Resource).to.deep.equal(["arn:aws:sns:us-east-1:123456789012:orders-prod-alarms"]);
        const { alarmTopicName: _none, ...noTopic } = base;
        expect(promoterPolicy(noTopic).Statement.some((s) => s.Action.includes("sns:Publish"))).to.equal(false);
    });

    it("the rollback role may read aliases and versions and move an alias on the stack's functions, and nothing else", () => {
        expect(rollbackPolicy(base)).to.deep.equal({
            Version: "2012-10-17",
            Statement: [
                {
                    Sid: "StackFunctions",
                    Effect: "Allow",
                    Action: ["lambda:GetAlias", "lambda:UpdateAlias", "lambda:GetFunctionConfiguration", "lambda:ListVersionsByFunction"],
                    Resource: promoterPolicy(base).Statement[0].Resource,
                },
            ],
        });
    });

    it("no resource in either policy is a wildcard over names (no `*` but the qualifier and the two actions AWS scopes to *)", () => {
        for (const policy of [promoterPolicy(base), rollbackPolicy(base)]) {
            for (const s of policy.Statement) {
                if (s.Resource === "*") continue;
                for (const r of s.Resource) expect(r.replace(/:\*$/, ""), r).not.to.contain("*");
            }
        }
    });

    const invalid: [string, Partial<StackResources>, string][] = [
        ["a bad account id", { accountId: "1234" }, '`accountId` must be a 12-digit AWS account id (got "1234")'],
        ["a bad region", { region: "useast1" }, '`region` must be an AWS region such as "us-east-1" (got "useast1")'],
        ["no functions", { functionNames: [] }, "`functionNames` must list at least one function"],
        ["an ARN as a function name", { functionNames: ["arn:aws:lambda:x"] }, "`functionNames` must hold Lambda function names"],
        ["a wildcard alarm", { alarmNames: ["orders-*"] }, '`alarmNames` must hold alarm names, no wildcards (got "orders-*")'],
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

    it("every grant says why it is there", () => {
        expect(GRANTS.filter((g) => g.why.length < 10)).to.deep.equal([]);
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
    const check = checkAdapters(dir, promoterPolicy({ ...base, hookFunctions: ["verifier"] }));
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

        it("a call that needs no permission (sts:GetCallerIdentity) passes without a grant", () => {
            const sts = 'import { GetCallerIdentityCommand } from "@aws-sdk/client-sts";\nnew GetCallerIdentityCommand({});';
            write({ "lambda.ts": lambdaAdapter, "cloudwatch.ts": cloudwatchAdapter, "sns.ts": snsSender, "sts.ts": sts });
            expect(() => assertAdaptersMatch(dir)).not.to.throw();
        });

        it("fails clearly when there are no adapter files", () => {
            expect(() => assertAdaptersMatch(dir)).to.throw("no adapter files found");
        });
    });
});

describe("lambda-rollout iam-policy", function () {
    this.timeout(60_000);

    it("names another team's project's own functions, alarms and topic (-C examples/existing-project -s dev)", async () => {
        const run = await runCli(["iam-policy", "-C", "examples/existing-project", "-s", "dev", "--account", "123456789012"]);
        expect(run.code, run.stderr).to.equal(0);
        const policy = JSON.parse(run.stdout);
        const resources = (sid: string) => policy.Statement.find((s: { Sid: string }) => s.Sid === sid).Resource;
        expect(resources("StackFunctions")).to.include("arn:aws:lambda:eu-west-1:123456789012:function:orders-api-dev");
        expect(resources("StackAlarms")).to.include("arn:aws:cloudwatch:eu-west-1:123456789012:alarm:orders-api-dev-rollback");
        expect(resources("NotificationTopic")).to.deep.equal(["arn:aws:sns:eu-west-1:123456789012:orders-dev-alarms"]);
        expect(run.stdout).not.to.contain("lambda-rollout-dev");
    });

    it("--role rollback prints the narrower policy; --functions keeps only the keys named", async () => {
        const run = await runCli(["iam-policy", "-s", "staging", "--account", "123456789012", "--role", "rollback", "--functions", "api"]);
        expect(run.code, run.stderr).to.equal(0);
        expect(JSON.parse(run.stdout)).to.deep.equal(
            rollbackPolicy({
                region: "us-east-1",
                accountId: "123456789012",
                functionNames: ["lambda-rollout-staging-api"],
                alarmNames: [],
            }),
        );
    });

    it("a missing --account, a bad account id, an unknown --functions key or a stack without a config file: exit 2, nothing on stdout", async () => {
        const missing = await runCli(["iam-policy", "-s", "prod"]);
        expect([missing.code, missing.stdout]).to.deep.equal([2, ""]);
        expect(missing.stderr).to.contain("error: required option '--account <id>' not specified");
        const bad = await runCli(["iam-policy", "-s", "prod", "--account", "42"]);
        expect([bad.code, bad.stdout]).to.deep.equal([2, ""]);
        expect(bad.stderr).to.contain('error: `accountId` must be a 12-digit AWS account id (got "42")');
        const unknown = await runCli(["iam-policy", "-s", "prod", "--account", "123456789012", "--functions", "billing"]);
        expect([unknown.code, unknown.stdout]).to.deep.equal([2, ""]);
        expect(unknown.stderr).to.contain('`--functions`: the stack has no function "billing" (its functions: api)');
        const noFile = await runCli(["iam-policy", "-s", "qa", "--account", "123456789012"]);
        expect(noFile.code).to.equal(2);
        expect(noFile.stderr).to.contain("qa");
    });
});
