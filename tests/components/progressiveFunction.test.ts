import { expect } from "chai";
import * as pulumi from "@pulumi/pulumi";
import { ProgressiveFunction, type ProgressiveFunctionArgs } from "../../components/progressiveFunction";
import { T } from "../../automation/engine/resourceTypes";
import { allRegistered, recordingMocks, unwrap, type Recorder } from "../helpers/pulumiMocks";

const ARGS: ProgressiveFunctionArgs = {
    functionName: "orders-prod",
    region: "us-east-1",
    code: new pulumi.asset.AssetArchive({ "index.js": new pulumi.asset.StringAsset("exports.handler = async () => 1;") }),
    handler: "index.handler",
    runtime: "nodejs22.x",
    memoryMb: 256,
    timeoutSeconds: 10,
    logRetentionDays: 14,
    strategy: "canary",
    thresholds: { maxErrorRatePercent: 1, maxP99Ms: 800, maxThrottles: 3 },
    alarmTopicArn: "arn:aws:sns:us-east-1:123456789012:rollout-alarms",
    release: { version: "2026.11.28", commit: "abc1234" },
};

/** Constructs the component and waits until every child has been registered. */
async function construct(recorder: Recorder, args: Partial<ProgressiveFunctionArgs> = {}, name = "orders") {
    const fn = new ProgressiveFunction(name, { ...ARGS, ...args }, recorder.opts);
    await Promise.all([unwrap(fn.alarmNames), unwrap(fn.liveWeights), unwrap(fn.aliasArn)]);
    await allRegistered();
    return fn;
}

describe("ProgressiveFunction constructed under Pulumi's mocks", () => {
    it("publishes a version on every change and names every child after the component, parented to it", async () => {
        const recorder = await recordingMocks({ publishedVersion: "7" });
        const component = await construct(recorder);
        const own = recorder.resources.filter((r) => r.parent === component).map((r) => `${r.type} ${r.name}`);
        expect(own).to.deep.equal([
            `${T.logGroup} orders-logs`,
            `${T.role} orders-role`,
            `${T.rolePolicy} orders-policy`,
            `${T.fn} orders-fn`,
            `${T.alias} orders-live`,
            "lambda-rollout:index:RollbackAlarms orders-alarms",
        ]);
        const fn = recorder.named("orders-fn").inputs;
        expect(fn).to.deep.include({
            name: "orders-prod",
            publish: true,
            runtime: "nodejs22.x",
            memorySize: 256,
            timeout: 10,
            description: "release 2026.11.28 (abc1234)",
        });
        expect(fn.environment).to.deep.equal({ variables: { RELEASE: "2026.11.28" } });
        expect(await unwrap(component.candidateVersion)).to.equal("7");
    });

    it("a first deploy (no live alias) points `live` at the published version with no split", async () => {
        const recorder = await recordingMocks({ publishedVersion: "1" });
        const component = await construct(recorder);
        const alias = recorder.named("orders-live").inputs;
        expect(alias).to.deep.include({ name: "live", functionName: "orders-prod", functionVersion: "1" });
        expect(alias.routingConfig).to.equal(undefined);
        expect(await unwrap(component.routingSource)).to.equal("first-deploy");
    });

    it("explicit routing for one up sends the candidate its weight through the alias's routingConfig", async () => {
        const recorder = await recordingMocks({ publishedVersion: "7" });
        const component = await construct(recorder, { routing: { stable: "6", candidate: "7", weight: 0.1 } });
        const alias = recorder.named("orders-live").inputs;
        expect(alias.functionVersion).to.equal("6");
        expect(alias.routingConfig).to.deep.equal({ additionalVersionWeights: { "7": 0.1 } });
        expect(await unwrap(component.liveWeights)).to.deep.equal({ "6": 0.9, "7": 0.1 });
    });

    it("a plain up of a canary keeps the live split it reads from AWS", async () => {
        const recorder = await recordingMocks({
            publishedVersion: "7",
            liveAlias: { FunctionVersion: "6", RoutingConfig: { AdditionalVersionWeights: { "7": 0.25 } } },
        });
        await construct(recorder);
        const alias = recorder.named("orders-live").inputs;
        expect(alias.functionVersion).to.equal("6");
        expect(alias.routingConfig).to.deep.equal({ additionalVersionWeights: { "7": 0.25 } });
    });

    it("its alarms watch the candidate version through the live alias, with the policy's thresholds", async () => {
        const recorder = await recordingMocks({ publishedVersion: "7" });
        await construct(recorder);
        const errors = recorder.named("orders-alarms-candidate-errors");
        expect(errors.parent).to.have.property("__name", "orders-alarms");
        expect(errors.inputs.threshold).to.equal(2);
        const dims = errors.inputs.metricQueries.find((q: any) => q.metricStat).metricStat.metric.dimensions;
        expect(dims).to.deep.equal({ FunctionName: "orders-prod", Resource: "orders-prod:live", ExecutedVersion: "7" });
        expect(recorder.named("orders-alarms-p99").inputs).to.deep.include({
            threshold: 800,
            dimensions: { FunctionName: "orders-prod", Resource: "orders-prod:live" },
        });
    });

    it("`deadLetterQueue: true` adds its queue, the role's right to send to it, and a DeadLetterErrors alarm", async () => {
        const recorder = await recordingMocks();
        await construct(recorder, { deadLetterQueue: true });
        expect(recorder.named("orders-dlq").inputs.name).to.equal("orders-prod-dlq");
        const arn = "arn:aws:sqs:us-east-1:123456789012:orders-prod-dlq";
        expect(recorder.named("orders-fn").inputs.deadLetterConfig).to.deep.equal({ targetArn: arn });
        const policy = JSON.parse(recorder.named("orders-policy").inputs.policy);
        expect(policy.Statement[1]).to.deep.equal({ Sid: "DeadLetterQueue", Effect: "Allow", Action: "sqs:SendMessage", Resource: arn });
        expect(recorder.named("orders-alarms-dead-letter-errors").inputs.metricName).to.equal("DeadLetterErrors");
    });

    it("two instances in one stack declare children with distinct names", async () => {
        const recorder = await recordingMocks();
        await construct(recorder, {}, "orders");
        await construct(recorder, { functionName: "billing-prod" }, "billing");
        const names = recorder.resources.map((r) => r.name);
        expect(new Set(names).size).to.equal(names.length);
        expect(names).to.include.members(["orders-fn", "billing-fn", "orders-alarms-rollback", "billing-alarms-rollback"]);
    });

    it("bad arguments throw before any child is registered", async () => {
        const recorder = await recordingMocks();
        expect(() => new ProgressiveFunction("orders", { ...ARGS, functionName: "orders prod" }, recorder.opts)).to.throw(
            "`functionName` \"orders prod\" must be 1-64 letters, digits, '-' or '_' (Lambda's rule)",
        );
        expect(recorder.resources.filter((r) => r.type.startsWith("aws:"))).to.deep.equal([]);
    });
});
