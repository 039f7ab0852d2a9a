import { expect } from "chai";
import { VPC_NETWORK_INTERFACE_STATEMENT } from "../components/frontDoor";
import * as pulumi from "@pulumi/pulumi";
import * as path from "path";
import { evaluateProgram, PROJECT_ROOT } from "../automation/engine/evaluate";
import { setLambdaClientFactory } from "../components/liveAlias";
import { declared, fakeAccount, namesOf, T } from "./helpers/fakeAccount";

const PROD_API = "lambda-rollout-prod-api";
const fixture = (name: string) => path.join(__dirname, "fixtures", name);

describe("the Pulumi program under the mock engine", () => {
    describe("the prod stack file", () => {
        it("declares one canary function with a published version, the live alias, four alarms, a topic with email and a dashboard", async () => {
            const {
                resources,
                outputs: { lambdaRollout: outputs },
            } = await evaluateProgram({ stack: "prod", world: fakeAccount(), commit: "abc123" });
            expect(namesOf(resources, T.fn)).to.deep.equal(["api-fn"]);
            const fn = declared(resources, T.fn, "api-fn").inputs;
            expect(fn).to.include({
                name: PROD_API,
                publish: true,
                memorySize: 1024,
                timeout: 10,
                runtime: "nodejs24.x",
                handler: "index.handler",
                reservedConcurrentExecutions: 200,
            });
            // As a provider gets it: the directory's path, which the rehearsal hashes (a code change publishes a version).
            expect(fn.code).to.deep.equal({ path: path.join(PROJECT_ROOT, "app", "api") });
            expect(fn.description).to.equal("release 0.1.0 (abc123)");
            expect(fn.tags).to.include({ "lambda-rollout:release": "0.1.0", "lambda-rollout:commit": "abc123" });
            expect(fn.environment.variables).to.deep.equal({ LOG_LEVEL: "warn", RELEASE: "0.1.0" });
            expect(namesOf(resources, T.alarm)).to.deep.equal([
                "api-alarms-candidate-errors",
                "api-alarms-p99",
                "api-alarms-throttles",
                "deployments-api-rollbacks",
                "deployments-api-slow",
            ]);
            // The runbook's monitors on the deployment metrics: more than 2 rollbacks in an hour pages the topic...
            const rollbacks = declared(resources, T.alarm, "deployments-api-rollbacks").inputs;
            expect(rollbacks).to.include({
                name: "lambda-rollout-prod-api-rollbacks",
                namespace: "LambdaRollout",
                metricName: "RolloutRolledBack",
                statistic: "Sum",
                period: 3600,
                comparisonOperator: "GreaterThanThreshold",
                threshold: 2,
                treatMissingData: "notBreaching",
            });
            expect(rollbacks.dimensions).to.deep.equal({ Stack: "prod", Function: "api" });
            expect(rollbacks.alarmActions).to.deep.equal([outputs.alarmTopicArn]);
            // ...and a rollout 15 minutes beyond its bakes (3 x 600 s) warns, with no action.
            const slow = declared(resources, T.alarm, "deployments-api-slow").inputs;
            expect(slow).to.include({ metricName: "RolloutDuration", statistic: "Maximum", threshold: 1800 + 900 });
            expect(slow.alarmActions).to.equal(undefined);
            expect(namesOf(resources, T.composite)).to.deep.equal(["api-alarms-rollback"]);
            expect(declared(resources, T.subscription, "alarms-email").inputs).to.include({
                protocol: "email",
                endpoint: "[secret]", // kept a secret in the state; the plan never shows it
            });
            expect(declared(resources, T.logGroup, "api-logs").inputs).to.include({ name: `/aws/lambda/${PROD_API}`, retentionInDays: 90 });
            expect(namesOf(resources, T.dashboard)).to.deep.equal(["rollout-dashboard"]);
            expect(namesOf(resources, T.queue)).to.deep.equal([]);
            expect(outputs.strategy).to.equal("canary");
            expect(outputs.rolloutPolicy.canary.steps).to.deep.equal([
                { weight: 10, bake: 600 },
                { weight: 50, bake: 600 },
                { weight: 100, bake: 600 },
            ]);
            expect(outputs.rolloutPolicy.gates).to.include({ maxErrorRatePercent: 1, maxP99Ms: 6000, maxThrottles: 0 });
        });

        it("gives the execution role only its own log group to write to, and the network interfaces of its VPC placement", async () => {
            const { resources } = await evaluateProgram({ stack: "prod", world: fakeAccount() });
            const policy = JSON.parse(declared(resources, T.rolePolicy, "api-policy").inputs.policy);
            expect(policy.Statement).to.deep.equal([
                {
                    Sid: "Logs",
                    Effect: "Allow",
                    Action: ["logs:CreateLogStream", "logs:PutLogEvents"],
                    Resource: `arn:aws:logs:us-east-1:123456789012:log-group:/aws/lambda/${PROD_API}:*`,
                },
                VPC_NETWORK_INTERFACE_STATEMENT,
            ]);
        });
    });

    describe("the staging stack file", () => {
        it("declares two blue-green functions, each with its own role, alias and alarms, and a dead-letter queue for the worker", async () => {
            const {
                resources,
                outputs: { lambdaRollout: outputs },
            } = await evaluateProgram({ stack: "staging", world: fakeAccount() });
            expect(namesOf(resources, T.fn)).to.deep.equal(["api-fn", "worker-fn"]);
            expect(namesOf(resources, T.alias)).to.deep.equal(["api-live", "worker-live"]);
            expect(namesOf(resources, T.role)).to.deep.equal(["api-role", "worker-role"]);
            expect(namesOf(resources, T.queue)).to.deep.equal(["worker-dlq", "worker-queue", "worker-queue-dlq"]);
            expect(namesOf(resources, T.alarm)).to.include.members([
                "worker-alarms-dead-letter-errors",
                "api-alarms-candidate-errors",
                "worker-alarms-candidate-errors",
            ]);
            expect(namesOf(resources, T.alarm)).not.to.include("api-alarms-dead-letter-errors");
            const worker = declared(resources, T.fn, "worker-fn").inputs;
            expect(worker.deadLetterConfig).to.deep.equal({
                targetArn: "arn:aws:sqs:us-east-1:123456789012:lambda-rollout-staging-worker-dlq",
            });
            const policy = JSON.parse(declared(resources, T.rolePolicy, "worker-policy").inputs.policy);
            expect(policy.Statement[1]).to.deep.equal({
                Sid: "DeadLetterQueue",
                Effect: "Allow",
                Action: "sqs:SendMessage",
                Resource: "arn:aws:sqs:us-east-1:123456789012:lambda-rollout-staging-worker-dlq",
            });
            const dashboard = JSON.parse(declared(resources, T.dashboard, "rollout-dashboard").inputs.dashboardBody);
            // Three per function, then the deployment metrics' row.
            expect(dashboard.widgets).to.have.length(8);
            expect(dashboard.widgets[7].properties.metrics).to.deep.equal([
                ["LambdaRollout", "RolloutDuration", "Stack", "staging", "Function", "api"],
                ["LambdaRollout", "RolloutDuration", "Stack", "staging", "Function", "worker"],
                ["LambdaRollout", "RolloutTimeToDecision", "Stack", "staging", "Function", "api"],
                ["LambdaRollout", "RolloutTimeToDecision", "Stack", "staging", "Function", "worker"],
            ]);
            expect(outputs.strategy).to.equal("blue-green");
            expect(outputs.rolloutPolicy.blueGreen).to.deep.equal({ bake: 900 });
            expect(Object.keys(outputs.functions)).to.deep.equal(["api", "worker"]);
            expect(outputs.functions.worker.alarmNames.deadLetterErrors).to.equal("lambda-rollout-staging-worker-dead-letter-errors");
        });
    });

    describe("the dev stack file", () => {
        it("declares an all-at-once function and no email subscription", async () => {
            const {
                resources,
                outputs: { lambdaRollout: outputs },
            } = await evaluateProgram({ stack: "dev", world: fakeAccount() });
            expect(namesOf(resources, T.fn)).to.deep.equal(["api-fn"]);
            expect(namesOf(resources, T.subscription)).to.deep.equal([]);
            expect(outputs.strategy).to.equal("all-at-once");
        });
    });

    describe("the rule of routing", () => {
        const alias = async (opts: Parameters<typeof fakeAccount>[0], extraConfig?: Record<string, unknown>, stack = "prod") => {
            const {
                resources,
                outputs: { lambdaRollout: outputs },
            } = await evaluateProgram({ stack, world: fakeAccount(opts), extraConfig });
            const fnName = `lambda-rollout-${stack}-api`;
            return { inputs: declared(resources, T.alias, "api-live").inputs, out: outputs.functions.api, fnName };
        };

        it("explicit routing for one up splits traffic as asked: 10% to the candidate, the rest to stable", async () => {
            const { inputs, out } = await alias(
                { aliases: { [PROD_API]: { functionVersion: "7" } }, published: { [PROD_API]: "8" } },
                { "lambda-rollout:routing": { api: { stable: "7", candidate: "8", weight: 0.1 } } },
            );
            expect(inputs.functionVersion).to.equal("7");
            expect(inputs.routingConfig).to.deep.equal({ additionalVersionWeights: { "8": 0.1 } });
            expect(out).to.include({ stableVersion: "7", candidateVersion: "8", routingSource: "explicit" });
            expect(out.liveWeights).to.deep.equal({ "7": 0.9, "8": 0.1 });
        });

        it("explicit weight 1 makes the candidate primary with no split; weight 0 puts everything back on stable", async () => {
            const live = { aliases: { [PROD_API]: { functionVersion: "7", weights: { "8": 0.5 } } }, published: { [PROD_API]: "8" } };
            const full = await alias(live, { "lambda-rollout:routing": { api: { stable: "7", candidate: "8", weight: 1 } } });
            expect(full.inputs.functionVersion).to.equal("8");
            expect(full.inputs.routingConfig).to.equal(undefined);
            const back = await alias(live, { "lambda-rollout:routing": { api: { stable: "7", candidate: "8", weight: 0 } } });
            expect(back.inputs.functionVersion).to.equal("7");
            expect(back.inputs.routingConfig).to.equal(undefined);
        });

        it("all-at-once points the alias at the newly published version, whatever is live", async () => {
            const { inputs, out } = await alias(
                { aliases: { "lambda-rollout-dev-api": { functionVersion: "3" } }, published: { "lambda-rollout-dev-api": "4" } },
                undefined,
                "dev",
            );
            expect(inputs.functionVersion).to.equal("4");
            expect(out.routingSource).to.equal("follows-new-version");
        });

        it("a plain up in the middle of a canary keeps the live split: it neither advances nor resets traffic", async () => {
            const { inputs, out } = await alias({
                aliases: { [PROD_API]: { functionVersion: "7", weights: { "8": 0.5 } } },
                published: { [PROD_API]: "8" },
            });
            expect(inputs.functionVersion).to.equal("7");
            expect(inputs.routingConfig).to.deep.equal({ additionalVersionWeights: { "8": 0.5 } });
            expect(out).to.include({ stableVersion: "7", candidateVersion: "8", routingSource: "kept-live" });
        });

        it("a plain up after an emergency rollback made through the Lambda API does not undo it", async () => {
            const { inputs } = await alias({ aliases: { [PROD_API]: { functionVersion: "7" } }, published: { [PROD_API]: "8" } });
            expect(inputs.functionVersion).to.equal("7");
            expect(inputs.routingConfig).to.equal(undefined);
        });

        it("a first deploy, with no alias in AWS, points the alias at the first version", async () => {
            const world = fakeAccount();
            const {
                resources,
                outputs: { lambdaRollout: outputs },
            } = await evaluateProgram({ stack: "prod", world });
            expect(declared(resources, T.alias, "api-live").inputs.functionVersion).to.equal("1");
            expect(outputs.functions.api.routingSource).to.equal("first-deploy");
            expect(world.getAliasRequests).to.deep.equal([{ FunctionName: PROD_API, Name: "live" }]);
        });

        it("a live alias whose additional version is no longer the candidate keeps its split; the new version is the candidate", async () => {
            const { inputs, out } = await alias({
                aliases: { [PROD_API]: { functionVersion: "7", weights: { "8": 0.1 } } },
                published: { [PROD_API]: "9" },
            });
            expect(inputs.functionVersion).to.equal("7");
            expect(inputs.routingConfig).to.deep.equal({ additionalVersionWeights: { "8": 0.1 } });
            expect(out).to.include({ stableVersion: "7", candidateVersion: "9" });
        });

        it("AWS's transient weight of 1 on the old version, read mid-switch, is not taken as intent", async () => {
            const { inputs } = await alias({
                aliases: { [PROD_API]: { functionVersion: "8", weights: { "7": 1 } } },
                published: { [PROD_API]: "8" },
            });
            expect(inputs.functionVersion).to.equal("8");
            expect(inputs.routingConfig).to.equal(undefined);
        });

        it("an alias that cannot be read (access denied) fails the up instead of guessing the routing", async () => {
            let error: Error | undefined;
            try {
                await evaluateProgram({
                    stack: "prod",
                    world: fakeAccount({ getAliasError: { name: "AccessDeniedException", message: "not authorized" } }),
                });
            } catch (err) {
                error = err as Error;
            }
            expect(error?.message).to.contain(
                "could not read the live alias lambda-rollout-prod-api:live (AccessDeniedException: not authorized); refusing to guess its routing",
            );
        });
    });

    describe("the alarms", () => {
        it("watch the candidate's error rate per ExecutedVersion through the alias, as metric math: twice the limit, 5 errors in a minute at least, missing minutes not breaching", async () => {
            const { resources } = await evaluateProgram({
                stack: "prod",
                world: fakeAccount({ published: { [PROD_API]: "8" }, aliases: { [PROD_API]: { functionVersion: "7" } } }),
            });
            const alarm = declared(resources, T.alarm, "api-alarms-candidate-errors").inputs;
            expect(alarm).to.include({
                name: `${PROD_API}-candidate-errors`,
                comparisonOperator: "GreaterThanThreshold",
                threshold: 2,
                evaluationPeriods: 5,
                datapointsToAlarm: 3,
                treatMissingData: "notBreaching",
            });
            const dims = { FunctionName: PROD_API, Resource: `${PROD_API}:live`, ExecutedVersion: "8" };
            expect(alarm.metricQueries).to.deep.equal([
                {
                    id: "errors",
                    metricStat: { metric: { namespace: "AWS/Lambda", metricName: "Errors", dimensions: dims }, period: 60, stat: "Sum" },
                    returnData: false,
                },
                {
                    id: "invocations",
                    metricStat: {
                        metric: { namespace: "AWS/Lambda", metricName: "Invocations", dimensions: dims },
                        period: 60,
                        stat: "Sum",
                    },
                    returnData: false,
                },
                {
                    id: "errorRate",
                    expression: "IF(FILL(errors, 0) >= 5, 100 * FILL(errors, 0) / invocations, 0)",
                    label: "candidate error rate (%), in minutes with >= 5 errors",
                    returnData: true,
                },
            ]);
        });

        it("watch the alias's p99 duration and throttles against the gates; the composite \"roll back\" leaves out the alias-wide throttles (stable's own throttling must not roll back a candidate)", async () => {
            const { resources } = await evaluateProgram({ stack: "prod", world: fakeAccount() });
            const aliasDims = { FunctionName: PROD_API, Resource: `${PROD_API}:live` };
            const p99 = declared(resources, T.alarm, "api-alarms-p99").inputs;
            expect(p99).to.deep.include({
                metricName: "Duration",
                extendedStatistic: "p99",
                period: 60,
                threshold: 6000,
                comparisonOperator: "GreaterThanThreshold",
                evaluationPeriods: 5,
                dimensions: aliasDims,
            });
            expect(p99.statistic).to.equal(undefined);
            const throttles = declared(resources, T.alarm, "api-alarms-throttles").inputs;
            expect(throttles).to.deep.include({
                metricName: "Throttles",
                statistic: "Sum",
                threshold: 0,
                comparisonOperator: "GreaterThanThreshold",
                evaluationPeriods: 1,
                dimensions: aliasDims,
            });
            const composite = declared(resources, T.composite, "api-alarms-rollback").inputs;
            expect(composite.alarmRule).to.equal(`ALARM("${PROD_API}-candidate-errors") OR ALARM("${PROD_API}-p99-duration")`);
            expect(composite.alarmActions).to.deep.equal(["arn:aws:sns:us-east-1:123456789012:lambda-rollout-prod-rollback-alarms"]);
        });

        it("every metric alarm sets its comparison and evaluation periods (the v7 types no longer require them)", async () => {
            for (const stack of ["dev", "staging", "prod"]) {
                const { resources } = await evaluateProgram({ stack, world: fakeAccount() });
                for (const alarm of resources.filter((r) => r.type === T.alarm)) {
                    expect(alarm.inputs.comparisonOperator, `${stack} ${alarm.name}`).to.be.a("string");
                    expect(alarm.inputs.evaluationPeriods, `${stack} ${alarm.name}`).to.be.a("number");
                    expect(alarm.inputs.threshold, `${stack} ${alarm.name}`).to.be.a("number");
                }
            }
        });
    });

    describe("bad config", () => {
        it("a config file with falling weights is refused before the engine starts, naming the key and the rule", async () => {
            let error: Error | undefined;
            try {
                await evaluateProgram({ stack: "prod", configFile: fixture("falling-weights.yaml") });
            } catch (err) {
                error = err as Error;
            }
            expect(error?.message).to.match(/^invalid stack config in .*falling-weights\.yaml:\n/);
            expect(error?.message).to.contain(
                "`lambda-rollout:rollout.canary.steps[1].weight` (got 5): is 5 after 10: weights must rise strictly and end at 100",
            );
        });

        it("the program itself throws on bad config before registering any AWS resource (as under `pulumi up`)", async () => {
            const registered: string[] = [];
            await pulumi.runtime.setMocks(
                { newResource: (args) => (registered.push(args.type), { id: "x", state: args.inputs }), call: () => ({}) },
                "lambda-rollout",
                "prod",
                false,
            );
            pulumi.runtime.setAllConfig({
                "lambda-rollout:functions": JSON.stringify([{ name: "api", codeDir: "app/api", handler: "index.handler" }]),
                "lambda-rollout:rollout": JSON.stringify({ strategy: "canary", canary: { steps: [{ weight: 120, bake: "10m" }] } }),
            });
            setLambdaClientFactory(() => ({ send: async () => ({}) }));
            // The program module exports a function: requiring it registers nothing until it is called.
            // eslint-disable-next-line @typescript-eslint/no-require-imports
            const program = require(path.join(PROJECT_ROOT, "index.ts")) as () => Promise<unknown>;
            let error: Error | undefined;
            try {
                await program();
            } catch (err) {
                error = err as Error;
            }
            expect(error?.message).to.contain(
                "`lambda-rollout:rollout.canary.steps[0].weight` (got 120): must be at most 100 (percent of traffic to the candidate)",
            );
            expect(registered.filter((t) => t.startsWith("aws:"))).to.deep.equal([]);
        });
    });
});
