import { expect } from "chai";
import { RollbackAlarms, type RollbackAlarmsArgs } from "../../components/rollbackAlarms";
import { T } from "../../automation/engine/resourceTypes";
import { allRegistered, recordingMocks, unwrap, type Recorder } from "../helpers/pulumiMocks";

const ARGS: RollbackAlarmsArgs = {
    functionName: "orders-prod",
    aliasName: "live",
    candidateVersion: "7",
    thresholds: { maxErrorRatePercent: 2, maxP99Ms: 900, maxThrottles: 5 },
    hasDeadLetterQueue: false,
    alarmTopicArn: "arn:aws:sns:us-east-1:123456789012:rollout-alarms",
};

async function construct(recorder: Recorder, args: Partial<RollbackAlarmsArgs> = {}, name = "orders-alarms") {
    const alarms = new RollbackAlarms(name, { ...ARGS, ...args }, recorder.opts);
    await unwrap(alarms.alarmNames);
    await allRegistered();
    return alarms;
}

describe("RollbackAlarms constructed under Pulumi's mocks", () => {
    it("declares the candidate-errors, p99, throttles and rollback alarms, named after the component and parented to it", async () => {
        const recorder = await recordingMocks();
        const component = await construct(recorder);
        expect(recorder.resources.filter((r) => r.parent === component).map((r) => `${r.type} ${r.name}`)).to.deep.equal([
            `${T.alarm} orders-alarms-candidate-errors`,
            `${T.alarm} orders-alarms-p99`,
            `${T.alarm} orders-alarms-throttles`,
            `${T.composite} orders-alarms-rollback`,
        ]);
        expect(await unwrap(component.alarmNames)).to.deep.equal({
            candidateErrors: "orders-prod-candidate-errors",
            p99Duration: "orders-prod-p99-duration",
            throttles: "orders-prod-throttles",
            rollback: "orders-prod-rollback",
        });
    });

    it("the candidate error alarm: metric math per ExecutedVersion through the alias, at twice the limit, 3 of 5 minutes", async () => {
        const recorder = await recordingMocks();
        await construct(recorder);
        const alarm = recorder.named("orders-alarms-candidate-errors").inputs;
        expect(alarm).to.deep.include({
            threshold: 4,
            comparisonOperator: "GreaterThanThreshold",
            evaluationPeriods: 5,
            datapointsToAlarm: 3,
            treatMissingData: "notBreaching",
        });
        const stats = alarm.metricQueries.filter((q: any) => q.metricStat).map((q: any) => q.metricStat.metric);
        expect(stats.map((m: any) => m.metricName)).to.deep.equal(["Errors", "Invocations"]);
        for (const m of stats)
            expect(m.dimensions).to.deep.equal({ FunctionName: "orders-prod", Resource: "orders-prod:live", ExecutedVersion: "7" });
    });

    it("p99 and throttles watch the whole alias (Resource = function:live) against the gates' thresholds", async () => {
        const recorder = await recordingMocks();
        await construct(recorder);
        const dimensions = { FunctionName: "orders-prod", Resource: "orders-prod:live" };
        expect(recorder.named("orders-alarms-p99").inputs).to.deep.include({
            metricName: "Duration",
            extendedStatistic: "p99",
            threshold: 900,
            dimensions,
        });
        expect(recorder.named("orders-alarms-throttles").inputs).to.deep.include({
            metricName: "Throttles",
            statistic: "Sum",
            threshold: 5,
            dimensions,
        });
    });

    it("the composite rolls back on the candidate's errors or p99 (not the alias-wide throttles) and tells the topic", async () => {
        const recorder = await recordingMocks();
        await construct(recorder);
        const rollback = recorder.named("orders-alarms-rollback").inputs;
        expect(rollback.alarmRule).to.equal('ALARM("orders-prod-candidate-errors") OR ALARM("orders-prod-p99-duration")');
        expect(rollback.alarmActions).to.deep.equal([ARGS.alarmTopicArn]);
        expect(rollback.okActions).to.deep.equal([ARGS.alarmTopicArn]);
    });

    it("with a dead-letter queue, a DeadLetterErrors alarm joins the composite", async () => {
        const recorder = await recordingMocks();
        await construct(recorder, { hasDeadLetterQueue: true });
        expect(recorder.named("orders-alarms-dead-letter-errors").inputs).to.deep.include({
            metricName: "DeadLetterErrors",
            threshold: 0,
            dimensions: { FunctionName: "orders-prod" },
        });
        expect(recorder.named("orders-alarms-rollback").inputs.alarmRule).to.contain('OR ALARM("orders-prod-dead-letter-errors")');
    });

    it("two instances in one stack declare children with distinct names, each parented to its own component", async () => {
        const recorder = await recordingMocks();
        const orders = await construct(recorder, {}, "orders-alarms");
        const billing = await construct(recorder, { functionName: "billing-prod" }, "billing-alarms");
        const names = recorder.resources.map((r) => r.name);
        expect(new Set(names).size).to.equal(names.length);
        expect(recorder.resources.filter((r) => r.parent === billing).map((r) => r.name)).to.deep.equal([
            "billing-alarms-candidate-errors",
            "billing-alarms-p99",
            "billing-alarms-throttles",
            "billing-alarms-rollback",
        ]);
        expect(recorder.resources.filter((r) => r.parent === orders)).to.have.length(4);
        expect(recorder.named("billing-alarms-p99").inputs.dimensions).to.deep.equal({
            FunctionName: "billing-prod",
            Resource: "billing-prod:live",
        });
    });
});
