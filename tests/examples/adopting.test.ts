import { expect } from "chai";
import * as path from "path";
import { validateProgressiveFunctionArgs, type ProgressiveFunctionArgs } from "../../components/progressiveFunction";
import { readRolloutOutputs } from "../../components/rolloutOutputs";
import { evaluateProgram, PROJECT_ROOT } from "../../automation/engine/evaluate";
import { findProjectRoot, readProject, resolveProject } from "../../automation/project";
import { parseStackName } from "../../automation/stackName";
import { runCli } from "../helpers/cli";

const EXAMPLE = path.join(PROJECT_ROOT, "examples", "existing-project");

describe("another team's project (examples/existing-project) driven with -C", function () {
    this.timeout(120_000);

    it("-C resolves the nearest Pulumi.yaml at or above the directory, and reads its name and main", () => {
        expect(findProjectRoot(path.join(EXAMPLE, "src", "api"))).to.equal(EXAMPLE);
        expect(resolveProject(EXAMPLE)).to.deep.equal({ root: EXAMPLE, name: "orders-service", main: path.join(EXAMPLE, "index.ts") });
        expect(readProject(PROJECT_ROOT)).to.deep.include({ name: "lambda-rollout", main: path.join(PROJECT_ROOT, "index.ts") });
    });

    it("an org/project/stack name is checked against the driven project's name", () => {
        expect(parseStackName("acme/orders-service/dev", "orders-service").name).to.equal("dev");
        expect(() => parseStackName("acme/lambda-rollout/dev", "orders-service")).to.throw(
            'names project "lambda-rollout", but this is the orders-service project',
        );
    });

    it("the mock engine runs that project's program: its names, its extra policy, its managed policy, arm64, and the contract", async () => {
        const { resources, outputs } = await evaluateProgram({ stack: "dev", project: resolveProject(EXAMPLE) });
        const contract = readRolloutOutputs(outputs)!;
        expect(contract.version).to.equal(1);
        expect(contract.region).to.equal("eu-west-1");
        expect(Object.keys(contract.functions)).to.deep.equal(["orders-api", "orders-worker"]);
        expect(contract.functions["orders-api"].functionName).to.equal("orders-api-dev");
        const fn = (name: string) => resources.find((r) => r.type === "aws:lambda/function:Function" && r.name === name)!;
        expect(fn("orders-worker-fn").inputs.architectures).to.deep.equal(["arm64"]);
        const policy = JSON.parse(resources.find((r) => r.name === "orders-api-policy")!.inputs.policy as string);
        expect(policy.Statement[1]).to.deep.equal({
            Sid: "OrdersTable",
            Effect: "Allow",
            Action: ["dynamodb:GetItem", "dynamodb:PutItem"],
            Resource: "arn:aws:dynamodb:eu-west-1:123456789012:table/orders-dev",
        });
        expect(resources.find((r) => r.name === "orders-worker-managed-0")!.inputs.policyArn).to.equal(
            "arn:aws:iam::aws:policy/AWSXRayDaemonWriteAccess",
        );
        expect(resources.some((r) => JSON.stringify(r.inputs).includes("lambda-rollout-dev"))).to.equal(false);
    });

    it("`plan -C examples/existing-project --stack dev` prints that project's resources under its own names", async () => {
        const run = await runCli(["plan", "-C", "examples/existing-project", "--stack", "dev"]);
        expect(run.code, run.stderr).to.equal(0);
        // Rows wider than 100 columns continue on indented lines: read each row whole.
        const stdout = run.stdout.replace(/\n {4,}/g, " ");
        expect(stdout).to.include("function         orders-api-fn                  orders-api-dev nodejs24.x");
        expect(stdout).to.include("dynamodb:GetItem,dynamodb:PutItem on arn:aws:dynamodb:eu-west-1:123456789012:table/orders-dev");
        expect(stdout).to.include("managed policy   orders-worker-managed-0        arn:aws:iam::aws:policy/AWSXRayDaemonWriteAccess");
        expect(run.stdout).to.not.include("lambda-rollout-dev");
    });

    it("`rehearse -C examples/existing-project --stack dev --scenario scenarios/healthy.json` promotes both functions (exit 0)", async () => {
        const run = await runCli([
            "rehearse",
            "-C",
            "examples/existing-project",
            "--stack",
            "dev",
            "--scenario",
            "scenarios/healthy.json",
            "--json",
        ]);
        expect(run.code, run.stderr).to.equal(0);
        const report = JSON.parse(run.stdout.trim().split("\n").pop()!);
        expect(report.outcome).to.equal("promoted");
        expect(Object.keys(report.functions)).to.deep.equal(["orders-api", "orders-worker"]);
    });

    it("a -C with no Pulumi.yaml at or above it is a usage error (exit 2)", async () => {
        const run = await runCli(["plan", "-C", "/", "--stack", "dev"]);
        expect(run.code).to.equal(2);
        expect(run.stderr).to.include("no Pulumi.yaml in / or any directory above it");
    });
});

describe("validateProgressiveFunctionArgs: the new fields, each named in its message", () => {
    const base: ProgressiveFunctionArgs = {
        functionName: "orders-api-dev",
        region: "eu-west-1",
        codePath: "/tmp",
        handler: "index.handler",
        runtime: "nodejs24.x",
        memoryMb: 256,
        timeoutSeconds: 10,
        logRetentionDays: 14,
        strategy: "canary",
        thresholds: { maxErrorRatePercent: 1, maxP99Ms: 6000, maxThrottles: 0 } as ProgressiveFunctionArgs["thresholds"],
        alarmTopicArn: "arn:aws:sns:eu-west-1:123456789012:t",
        release: { version: "1.0.0" },
    };
    const cases: [string, Partial<ProgressiveFunctionArgs>, string | undefined][] = [
        ["valid", {}, undefined],
        ["both codePath and code", { code: {} as never }, "exactly one of `codePath` (a directory) and `code` (an archive)"],
        ["neither", { codePath: undefined }, "exactly one of `codePath` (a directory) and `code` (an archive)"],
        [
            "a bad Effect",
            { policyStatements: [{ Effect: "Permit" as never, Action: "s3:GetObject", Resource: "*" }] },
            '`policyStatements[0].Effect` (got "Permit")',
        ],
        [
            "a bad Action",
            { policyStatements: [{ Effect: "Allow", Action: "GetObject", Resource: "*" }] },
            '`policyStatements[0].Action` (got "GetObject")',
        ],
        [
            "a bad Resource",
            { policyStatements: [{ Effect: "Allow", Action: "s3:GetObject", Resource: "bucket" }] },
            '`policyStatements[0].Resource` (got "bucket")',
        ],
        [
            "a bad managed policy",
            { managedPolicyArns: ["AWSXRayDaemonWriteAccess"] },
            '`managedPolicyArns[0]` (got "AWSXRayDaemonWriteAccess")',
        ],
        ["six layers", { layers: ["a", "b", "c", "d", "e", "f"] }, "`layers` has 6 layers: Lambda allows at most 5"],
        ["two architectures", { architectures: ["x86_64", "arm64"] }, '`architectures` (got ["x86_64","arm64"])'],
    ];
    for (const [what, change, message] of cases) {
        it(`${what}: ${message ?? "accepted"}`, () => {
            const check = () => validateProgressiveFunctionArgs({ ...base, ...change });
            if (message === undefined) expect(check).to.not.throw();
            else expect(check).to.throw(message);
        });
    }
});
