import { expect } from "chai";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { parse as parseYaml } from "yaml";
import { PROJECT_ROOT } from "../../../automation/engine/evaluate";
import { SimulatedAws } from "../../../automation/simulator";
import { serveHttp, type WireServer } from "../../../automation/simulator/httpServer";
import { runCli } from "../../helpers/cli";

const EXAMPLE = path.join(PROJECT_ROOT, "examples", "existing-project");

/**
 * A team's project outside this repository: the example's program and Pulumi.yaml, its imports of the library
 * pointed at this checkout, node_modules linked (one @pulumi/pulumi), no stack file for the stack to adopt into.
 */
function teamProject(edit: (program: string) => string = (p) => p): string {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "adopt-project-"));
    const program = fs
        .readFileSync(path.join(EXAMPLE, "index.ts"), "utf8")
        .replace('"../../components"', JSON.stringify(path.join(PROJECT_ROOT, "components")))
        .replace('"../../config"', JSON.stringify(path.join(PROJECT_ROOT, "config")));
    fs.writeFileSync(path.join(dir, "index.ts"), edit(program));
    for (const f of ["Pulumi.yaml", "package.json"]) fs.copyFileSync(path.join(EXAMPLE, f), path.join(dir, f));
    fs.symlinkSync(path.join(PROJECT_ROOT, "node_modules"), path.join(dir, "node_modules"));
    for (const key of ["orders-api", "orders-worker"]) {
        fs.mkdirSync(path.join(dir, "src", key), { recursive: true });
        fs.writeFileSync(path.join(dir, "src", key, "index.js"), "exports.handler = async () => ({ ok: true });\n");
    }
    return dir;
}

/**
 * Two functions as people make them without Pulumi. From the console: `orders-api`, a role the console made under
 * /service-role/, a log group Lambda made on the first call (events kept forever), no version, no alias. From SAM
 * (AutoPublishAlias: live): `shop-OrdersWorker-AbC123`, its own role, two versions and the `live` alias, and an
 * alarm named after it.
 */
function legacyAccount(): SimulatedAws {
    const aws = new SimulatedAws({ seed: 1, startTime: new Date(), metricDelayMinutes: 0 });
    aws.putFunction({
        name: "orders-api",
        role: "arn:aws:iam::123456789012:role/service-role/orders-api-role-x1y2z3ab",
        timeoutSeconds: 3,
        details: { runtime: "nodejs20.x", handler: "index.handler", memorySize: 128, environment: { TABLE: "orders" } },
    });
    aws.putLogGroup({ name: "/aws/lambda/orders-api" });
    aws.putFunction({
        name: "shop-OrdersWorker-AbC123",
        role: "arn:aws:iam::123456789012:role/shop-OrdersWorkerRole-QWERTY12",
        timeoutSeconds: 30,
        details: { runtime: "nodejs22.x", handler: "app.handler", memorySize: 512 },
    });
    aws.publishVersion("shop-OrdersWorker-AbC123");
    aws.publishVersion("shop-OrdersWorker-AbC123");
    aws.putAlias("shop-OrdersWorker-AbC123", "live", "2");
    aws.putLogGroup({ name: "/aws/lambda/shop-OrdersWorker-AbC123", retentionInDays: 30 });
    aws.putMetricAlarm({
        name: "shop-OrdersWorker-AbC123-errors",
        namespace: "AWS/Lambda",
        metricName: "Errors",
        dimensions: { FunctionName: "shop-OrdersWorker-AbC123" },
        statistic: "Sum",
        period: 60,
        evaluationPeriods: 1,
        threshold: 1,
        comparisonOperator: "GreaterThanOrEqualToThreshold",
    });
    return aws;
}

describe("lambda-rollout adopt: existing functions under management without replacement (simulated account over HTTP)", function () {
    this.timeout(180_000);
    let server: WireServer;
    let dir: string;
    const env = () => ({
        AWS_ENDPOINT_URL: server.endpoint,
        AWS_ACCESS_KEY_ID: "AKIDSIMULATED",
        AWS_SECRET_ACCESS_KEY: "simulated",
        AWS_EC2_METADATA_DISABLED: "true",
    });
    const targets = ["orders-api", "shop-OrdersWorker-AbC123=orders-worker"];

    beforeEach(async () => {
        const aws = legacyAccount();
        server = await serveHttp(aws);
    });
    afterEach(async () => {
        await server.close();
        if (dir) fs.rmSync(dir, { recursive: true, force: true });
    });

    it("writes the import file and the stack config; the plan keeps every imported resource's replace-forcing properties", async () => {
        dir = teamProject();
        const run = await runCli(["adopt", ...targets, "-C", dir, "-s", "legacy", "--region", "us-east-1", "--json"], { env: env() });
        expect(run.code, run.stderr).to.equal(0);
        const importFile = JSON.parse(fs.readFileSync(path.join(dir, "import-legacy.json"), "utf8"));
        expect(importFile).to.deep.equal({
            resources: [
                { type: "lambda-rollout:index:ProgressiveFunction", name: "orders-api", component: true },
                { type: "aws:lambda/function:Function", name: "orders-api-fn", id: "orders-api", parent: "orders-api" },
                { type: "aws:iam/role:Role", name: "orders-api-role", id: "orders-api-role-x1y2z3ab", parent: "orders-api" },
                { type: "aws:cloudwatch/logGroup:LogGroup", name: "orders-api-logs", id: "/aws/lambda/orders-api", parent: "orders-api" },
                { type: "lambda-rollout:index:ProgressiveFunction", name: "orders-worker", component: true },
                { type: "aws:lambda/function:Function", name: "orders-worker-fn", id: "shop-OrdersWorker-AbC123", parent: "orders-worker" },
                { type: "aws:iam/role:Role", name: "orders-worker-role", id: "shop-OrdersWorkerRole-QWERTY12", parent: "orders-worker" },
                {
                    type: "aws:cloudwatch/logGroup:LogGroup",
                    name: "orders-worker-logs",
                    id: "/aws/lambda/shop-OrdersWorker-AbC123",
                    parent: "orders-worker",
                },
                {
                    type: "aws:lambda/alias:Alias",
                    name: "orders-worker-live",
                    id: "shop-OrdersWorker-AbC123/live",
                    parent: "orders-worker",
                },
            ],
        });
        const config = parseYaml(fs.readFileSync(path.join(dir, "Pulumi.legacy.yaml"), "utf8")).config;
        expect(config["aws:region"]).to.equal("us-east-1");
        expect(config["orders-service:functions"][0]).to.deep.equal({
            name: "orders-api",
            functionName: "orders-api",
            codeDir: "src/orders-api",
            handler: "index.handler",
            runtime: "nodejs24.x",
            memoryMb: 128,
            timeout: "3s",
            environment: { TABLE: "orders" },
            logRetentionDays: 14,
            roleName: "orders-api-role-x1y2z3ab",
            rolePath: "/service-role/",
        });
        const result = JSON.parse(run.stdout);
        // Every replace-forcing property of every imported resource, as the program declares it, equals the live one.
        expect(result.checks.filter((c: { same: boolean }) => !c.same)).to.deep.equal([]);
        expect(
            result.checks.map((c: { resource: string; property: string; program: string }) => `${c.resource}.${c.property}=${c.program}`),
        ).to.deep.equal([
            "orders-api-fn.name=orders-api",
            "orders-api-fn.packageType=Zip",
            "orders-api-role.name=orders-api-role-x1y2z3ab",
            "orders-api-role.path=/service-role/",
            "orders-api-logs.name=/aws/lambda/orders-api",
            "orders-api-logs.logGroupClass=STANDARD",
            "orders-worker-fn.name=shop-OrdersWorker-AbC123",
            "orders-worker-fn.packageType=Zip",
            "orders-worker-role.name=shop-OrdersWorkerRole-QWERTY12",
            "orders-worker-role.path=/",
            "orders-worker-logs.name=/aws/lambda/shop-OrdersWorker-AbC123",
            "orders-worker-logs.logGroupClass=STANDARD",
            "orders-worker-live.functionName=shop-OrdersWorker-AbC123",
            "orders-worker-live.name=live",
        ]);
        expect(run.stderr).to.contain("runtime nodejs20.x is deprecated: written as nodejs24.x");
        expect(run.stderr).to.contain("no `live` alias: the first `up` creates it");
        expect(run.stderr).to.contain("alarms named after the function exist (shop-OrdersWorker-AbC123-errors)");
        // What it read, it read through the APIs: Lambda, CloudWatch and CloudWatch Logs, and nothing that writes.
        expect([...new Set(server.calls.map((c) => `${c.service}:${c.operation}`))].sort()).to.deep.equal([
            "cloudwatch:DescribeAlarms",
            "lambda:GetFunctionConfiguration",
            "lambda:ListAliases",
            "lambda:ListVersionsByFunction",
            "logs:DescribeLogGroups",
        ]);

        // The adopted project plans offline under its own names.
        const plan = await runCli(["plan", "-C", dir, "-s", "legacy"]);
        expect(plan.code, plan.stderr).to.equal(0);
        const stdout = plan.stdout.replace(/\n {4,}/g, " ");
        expect(stdout).to.match(/function\s+orders-api-fn\s+orders-api nodejs24.x index.handler 128MB timeout 3s/);
        expect(stdout).to.match(/alias\s+orders-worker-live\s+shop-OrdersWorker-AbC123:live/);
    });

    it("refuses, writing nothing, when the program would replace an imported resource (here: it drops the role's name)", async () => {
        dir = teamProject((p) => p.replace("roleName: fn.roleName,", ""));
        const run = await runCli(["adopt", ...targets, "-C", dir, "-s", "legacy", "--region", "us-east-1"], { env: env() });
        expect(run.code).to.equal(2);
        expect(run.stderr).to.contain("the program would replace what it imports, so nothing was written");
        expect(run.stderr).to.contain(
            'REPLACE orders-api-role (aws:iam/role:Role): the program declares no such resource or no name; live "orders-api-role-x1y2z3ab"',
        );
        expect(fs.existsSync(path.join(dir, "Pulumi.legacy.yaml"))).to.equal(false);
        expect(fs.existsSync(path.join(dir, "import-legacy.json"))).to.equal(false);
    });

    it("a function that does not exist, or code that is not there, is exit 2 naming it", async () => {
        dir = teamProject();
        const missing = await runCli(["adopt", "billing", "-C", dir, "-s", "legacy", "--region", "us-east-1"], { env: env() });
        expect(missing.code).to.equal(2);
        expect(missing.stderr).to.contain("`FUNCTION` billing: no such function in this account and region (GetFunctionConfiguration)");
        const noCode = await runCli(["adopt", "orders-api=api", "-C", dir, "-s", "legacy", "--region", "us-east-1"], { env: env() });
        expect(noCode.code).to.equal(2);
        expect(noCode.stderr).to.contain("`--code-dir`: src/api is not a directory of the project");
    });
});
