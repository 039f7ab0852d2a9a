import { expect } from "chai";
import { execFile } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { promisify } from "util";
import { CreateAliasCommand, InvokeCommand, ListAliasesCommand } from "@aws-sdk/client-lambda";
import { CloudWatchAdapter } from "../../../automation/adapters/cloudwatch";
import { LambdaAdapter } from "../../../automation/adapters/lambda";
import type { AwsCallError } from "../../../automation/adapters/awsError";
import { PROJECT_ROOT } from "../../../automation/engine/evaluate";
import { rehearse, type RehearsalResult } from "../../../automation/rehearsal/rehearse";
import { readScenario } from "../../../automation/rehearsal/scenario";
import { SIMULATED_CREDENTIALS, sdkClients } from "../../../automation/rehearsal/transport";
import { updateAliasCommand } from "../../../automation/rollout/traffic";
import { SimulatedAws, SIMULATED_REGION } from "../../../automation/simulator";
import { clientError } from "../../../automation/simulator/errors";
import { serveHttp, type WireCall, type WireServer, type WireServerOptions } from "../../../automation/simulator/httpServer";
import { memoryLog } from "../../helpers/fakes";

const START = new Date("2026-01-05T09:00:00Z");
const ROLE = "arn:aws:iam::123456789012:role/api";
/** The function and alias docs/runbook.md's commands name. */
const RUNBOOK_FUNCTION = "lambda-rollout-prod-api";

/** A function with versions 1..`versions` and an alias `live` routed as given. */
function account(functionName: string, versions: number, primary: string, weights: Record<string, number> = {}): SimulatedAws {
    const aws = new SimulatedAws({ seed: 11, startTime: START, metricDelayMinutes: 0 });
    aws.putFunction({ name: functionName, role: ROLE, timeoutSeconds: 10 });
    for (let i = 0; i < versions; i++) aws.publishVersion(functionName);
    aws.putAlias(functionName, "live", primary, weights);
    return aws;
}

/** The real SDK clients against a server over `aws`, closed by `close()`. */
async function wire(aws: SimulatedAws, options: WireServerOptions = {}) {
    const server = await serveHttp(aws, options);
    const clients = sdkClients(server.endpoint);
    return {
        server,
        lambda: new LambdaAdapter(clients.lambda),
        metrics: new CloudWatchAdapter(clients.cloudWatch),
        close: async () => {
            clients.lambda.destroy();
            clients.cloudWatch.destroy();
            await server.close();
        },
    };
}

/** An intercept that answers the first `n` calls of `service` with `error`, then lets calls through. */
function throttleFirst(n: number, service: WireCall["service"], error: () => Error) {
    let left = n;
    return (call: WireCall) => (call.service === service && left-- > 0 ? error() : undefined);
}

describe("the simulator over HTTP: the real SDK clients on the wire", function () {
    // The SDK's standard retry strategy waits for real between attempts (up to 2^n x 500 ms for a throttle).
    this.timeout(60_000);

    describe("rehearsals give the same result over HTTP as in process", () => {
        const gated = ["lambda:GetAlias", "lambda:GetFunctionConfiguration", "lambda:Invoke", "cloudwatch:GetMetricData"];
        // smoke-fail too: its verdict comes through Invoke's X-Amz-Function-Error header, before any metric is read.
        const expected: Record<string, { outcome: string; operations: string[] }> = {
            healthy: { outcome: "promoted", operations: gated },
            "bad-canary": { outcome: "rolled-back", operations: gated },
            "smoke-fail": { outcome: "rolled-back", operations: ["lambda:GetAlias", "lambda:Invoke"] },
        };
        for (const name of Object.keys(expected)) {
            it(`${name}: same outcome, report and final routing, the adapters' calls over the wire`, async () => {
                const scenario = readScenario(path.join(PROJECT_ROOT, "scenarios", `${name}.json`));
                const inProcess = await rehearse({ stack: "prod", scenario, log: memoryLog() });
                const calls: WireCall[] = [];
                const overHttp: RehearsalResult = await rehearse({
                    stack: "prod",
                    scenario,
                    log: memoryLog(),
                    transport: "http",
                    wire: { intercept: (call) => void calls.push(call) },
                });
                expect(overHttp.report.outcome).to.equal(expected[name].outcome);
                expect(overHttp.report.outcome).to.equal(inProcess.report.outcome);
                expect(overHttp.exitCode).to.equal(inProcess.exitCode);
                expect(overHttp.report.functions.api.finalRouting).to.deep.equal(inProcess.report.functions.api.finalRouting);
                expect(overHttp.safety).to.deep.equal(inProcess.safety);
                expect(overHttp.report).to.deep.equal(inProcess.report);
                const operations = new Set(calls.map((c) => `${c.service}:${c.operation}`));
                expect([...operations]).to.include.members(expected[name].operations);
            });
        }
    });

    it("every Lambda operation served answers the real SDK as the model says: versions, provisioned concurrency, aliases, invocation types", async () => {
        const aws = account("api", 3, "1");
        aws.setProvisionedConcurrency("api", "live", 5);
        const server = await serveHttp(aws);
        const { lambda } = sdkClients(server.endpoint);
        const adapter = new LambdaAdapter(lambda);
        try {
            expect(await adapter.listVersions("api")).to.deep.equal(["1", "2", "3"]);
            expect(await adapter.hasProvisionedConcurrency("api", "live")).to.equal(true);
            expect(await adapter.hasProvisionedConcurrency("api", "3")).to.equal(false);
            const created = await lambda.send(new CreateAliasCommand({ FunctionName: "api", Name: "beta", FunctionVersion: "2" }));
            expect(created).to.deep.include({ Name: "beta", FunctionVersion: "2" });
            expect(created.$metadata.httpStatusCode).to.equal(201);
            const aliases = await lambda.send(new ListAliasesCommand({ FunctionName: "api" }));
            expect((aliases.Aliases ?? []).map((a) => `${a.Name}=${a.FunctionVersion}`).sort()).to.deep.equal(["beta=2", "live=1"]);
            const dryRun = await lambda.send(new InvokeCommand({ FunctionName: "api", Qualifier: "2", InvocationType: "DryRun" }));
            expect(dryRun.StatusCode).to.equal(204);
            expect(server.calls.map((c) => [c.operation, c.status])).to.deep.equal([
                ["ListVersionsByFunction", 200],
                ["GetProvisionedConcurrencyConfig", 200],
                ["GetProvisionedConcurrencyConfig", 404],
                ["CreateAlias", 201],
                ["ListAliases", 200],
                ["Invoke", 204],
            ]);
        } finally {
            lambda.destroy();
            await server.close();
        }
    });

    describe("throttled answers are retried by the SDK itself", () => {
        it("Lambda: two 429 TooManyRequestsException answers, then the SDK's third attempt reads the alias", async () => {
            const aws = account("api", 2, "1", { "2": 0.1 });
            const throttled = () => clientError("TooManyRequestsException", "Rate exceeded", 429);
            const w = await wire(aws, { intercept: throttleFirst(2, "lambda", throttled) });
            try {
                const alias = await w.lambda.getAlias("api", "live");
                expect(alias).to.deep.include({ functionVersion: "1", additionalVersionWeights: { "2": 0.1 } });
                expect(w.server.calls.map((c) => [c.operation, c.status, c.errorCode])).to.deep.equal([
                    ["GetAlias", 429, "TooManyRequestsException"],
                    ["GetAlias", 429, "TooManyRequestsException"],
                    ["GetAlias", 200, undefined],
                ]);
            } finally {
                await w.close();
            }
        });

        it("CloudWatch: two ThrottlingException (400) answers, then the SDK's third attempt reads the alarms", async () => {
            const aws = account("api", 2, "1");
            aws.putMetricAlarm({
                name: "api-throttles",
                namespace: "AWS/Lambda",
                metricName: "Throttles",
                dimensions: { FunctionName: "api", Resource: "api:live" },
                statistic: "Sum",
                period: 60,
                evaluationPeriods: 1,
                threshold: 1,
                comparisonOperator: "GreaterThanOrEqualToThreshold",
                treatMissingData: "notBreaching",
            });
            const throttled = () => clientError("ThrottlingException", "Rate exceeded", 400);
            const w = await wire(aws, { intercept: throttleFirst(2, "cloudwatch", throttled) });
            try {
                const states = await w.metrics.alarmStates(["api-throttles"]);
                expect(Object.keys(states)).to.deep.equal(["api-throttles"]);
                expect(w.server.calls.map((c) => [c.operation, c.status, c.errorCode])).to.deep.equal([
                    ["DescribeAlarms", 400, "ThrottlingException"],
                    ["DescribeAlarms", 400, "ThrottlingException"],
                    ["DescribeAlarms", 200, undefined],
                ]);
            } finally {
                await w.close();
            }
        });

        it("throttled past the SDK's 3 attempts: the adapter's error names the operation, AWS's code and the 429", async () => {
            const aws = account("api", 2, "1");
            const throttled = () => clientError("TooManyRequestsException", "Rate exceeded", 429);
            const w = await wire(aws, { intercept: throttleFirst(3, "lambda", throttled) });
            try {
                const err = (await w.lambda.getAlias("api", "live").catch((e: unknown) => e)) as AwsCallError;
                expect(err).to.include({
                    name: "AwsCallError",
                    operation: "GetAlias",
                    code: "TooManyRequestsException",
                    httpStatusCode: 429,
                });
                expect(w.server.calls).to.have.length(3);
            } finally {
                await w.close();
            }
        });
    });

    describe("errors as the protocols define them", () => {
        it("Lambda REST-JSON: a missing alias or version is the SDK's ResourceNotFoundException (404), the alias untouched", async () => {
            const aws = account("api", 2, "1");
            const w = await wire(aws);
            try {
                const missing = (await w.lambda.getAlias("api", "nope").catch((e: unknown) => e)) as AwsCallError;
                expect(missing).to.include({
                    operation: "GetAlias",
                    code: "ResourceNotFoundException",
                    httpStatusCode: 404,
                    fault: "client",
                });
                const refused = (await w.lambda
                    .updateAlias("api", "live", { stableVersion: "1", candidate: { version: "9", weight: 0.1 } })
                    .catch((e: unknown) => e)) as AwsCallError;
                expect(refused).to.include({ operation: "UpdateAlias", code: "ResourceNotFoundException", httpStatusCode: 404 });
                expect(refused.message).to.contain("function:api:9");
                expect(aws.aliasRouting("api", "live")).to.deep.equal({ primaryVersion: "1" });
            } finally {
                await w.close();
            }
        });

        it("CloudWatch awsJson1_0: a refused GetMetricData is the SDK's modelled error (query code ValidationError -> ValidationException)", async () => {
            const aws = account("api", 2, "1");
            const w = await wire(aws);
            try {
                const request = { key: "api", functionName: "api", aliasName: "live", stableVersion: "1", candidateVersion: "2" };
                const at = new Date(START.getTime() + 60_000);
                const err = (await w.metrics.evidence([request], at, at).catch((e: unknown) => e)) as AwsCallError;
                // The SDK maps the awsQueryCompatible code (x-amzn-query-error: ValidationError;Sender) to the JSON
                // model's error; in process the stand-in's error keeps the query code's name.
                expect(err).to.include({ operation: "GetMetricData", code: "ValidationException", fault: "client", httpStatusCode: 400 });
                expect(err.message).to.contain("StartTime must be less than the parameter EndTime");
            } finally {
                await w.close();
            }
        });
    });

    describe("the AWS CLI runs docs/runbook.md's emergency commands against the simulator", () => {
        const runbook = fs.readFileSync(path.join(PROJECT_ROOT, "docs", "runbook.md"), "utf8");
        /** A command of the runbook, whitespace (line breaks, continuations, list indentation) made single spaces. */
        const runbookCommand = (pattern: RegExp) => {
            const match = pattern.exec(runbook);
            expect(match, `docs/runbook.md no longer has a command matching ${pattern}`).to.not.equal(null);
            return match![0].replace(/\\\n/g, " ").replace(/\s+/g, " ").trim();
        };
        const updateAlias = runbookCommand(/aws lambda update-alias [^`]*?'\{"AdditionalVersionWeights":\{\}\}'/);
        const getAlias = runbookCommand(/aws lambda get-alias --function-name\s+\S+ --name \S+?(?=`)/);

        let cli: string;
        before(async function () {
            cli = process.env.AWS_CLI ?? "aws";
            const found = await promisify(execFile)("bash", ["-c", `command -v ${cli}`]).catch(() => undefined);
            if (!found) {
                throw new Error(
                    `the AWS CLI (\`${cli}\`) is not on PATH: this test runs the runbook's commands with it. Install it ` +
                        "(Debian/Ubuntu: `apt-get install -y --no-install-recommends awscli`, as .ci/run does), or set AWS_CLI to its path.",
                );
            }
        });

        /** Runs `command` (a shell line, as a person pastes it) against `endpoint`, with fake credentials and no config. */
        async function runCli(command: string, endpoint: string): Promise<unknown> {
            const home = fs.mkdtempSync(path.join(os.tmpdir(), "lambda-rollout-cli-"));
            const env: NodeJS.ProcessEnv = {
                ...Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("AWS_"))),
                AWS_ACCESS_KEY_ID: SIMULATED_CREDENTIALS.accessKeyId,
                AWS_SECRET_ACCESS_KEY: SIMULATED_CREDENTIALS.secretAccessKey,
                AWS_DEFAULT_REGION: SIMULATED_REGION,
                AWS_REGION: SIMULATED_REGION,
                AWS_EC2_METADATA_DISABLED: "true",
                AWS_PAGER: "",
                AWS_CONFIG_FILE: path.join(home, "config"),
                AWS_SHARED_CREDENTIALS_FILE: path.join(home, "credentials"),
            };
            const line = `${command.replace(/^aws /, `${cli} `)} --endpoint-url ${endpoint} --output json`;
            try {
                // Asynchronous on purpose: the server answering the CLI runs in this process.
                const { stdout } = await promisify(execFile)("bash", ["-c", line], { env });
                return stdout.trim() ? JSON.parse(stdout) : undefined;
            } catch (err) {
                const e = err as { stderr?: string; message: string };
                throw new Error(`\`${line}\` failed: ${e.stderr?.trim() || e.message}`, { cause: err });
            } finally {
                fs.rmSync(home, { recursive: true, force: true });
            }
        }

        it("get-alias shows the split, update-alias puts all traffic on version 7, and the alias has changed in the simulator", async () => {
            expect(getAlias).to.equal(`aws lambda get-alias --function-name ${RUNBOOK_FUNCTION} --name live`);
            expect(updateAlias).to.contain(`--function-name ${RUNBOOK_FUNCTION} --name live --function-version 7`);
            const aws = account(RUNBOOK_FUNCTION, 8, "7", { "8": 0.5 });
            const server: WireServer = await serveHttp(aws);
            try {
                const before = (await runCli(getAlias, server.endpoint)) as Record<string, unknown>;
                expect(before).to.deep.include({
                    Name: "live",
                    FunctionVersion: "7",
                    RoutingConfig: { AdditionalVersionWeights: { "8": 0.5 } },
                });

                const updated = (await runCli(updateAlias, server.endpoint)) as Record<string, unknown>;
                expect(updated).to.deep.include({ Name: "live", FunctionVersion: "7" });
                expect(updated).to.not.have.property("RoutingConfig");
                expect(aws.aliasRouting(RUNBOOK_FUNCTION, "live")).to.deep.equal({ primaryVersion: "7" });

                const after = (await runCli(getAlias, server.endpoint)) as Record<string, unknown>;
                expect(after).to.deep.include({ FunctionVersion: "7" });
                expect(after).to.not.have.property("RoutingConfig");
                expect(server.calls.map((c) => [c.operation, c.status])).to.deep.equal([
                    ["GetAlias", 200],
                    ["UpdateAlias", 200],
                    ["GetAlias", 200],
                ]);
            } finally {
                await server.close();
            }
        });

        it("the command the tool prints when a rollback did not land moves a promoted alias back", async () => {
            const aws = account(RUNBOOK_FUNCTION, 8, "8");
            const server = await serveHttp(aws);
            try {
                await runCli(
                    updateAliasCommand({ functionName: RUNBOOK_FUNCTION, aliasName: "live", to: "7" }, SIMULATED_REGION),
                    server.endpoint,
                );
                expect(aws.aliasRouting(RUNBOOK_FUNCTION, "live")).to.deep.equal({ primaryVersion: "7" });
            } finally {
                await server.close();
            }
        });
    });
});
