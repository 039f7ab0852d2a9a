/**
 * The three policies the bench compares, each driving one row's simulated AWS through real SDK commands:
 *
 * (a) the runbook script: 10% / 50% / 100% with 10-minute bakes; after each bake, the whole function's error
 *     rate over the last 5 minutes (GetMetricData, `Errors` / `Invocations` with only the `FunctionName`
 *     dimension), rolled back above 1% (UpdateAlias). No data reads as 0% (0/0 is not above 1%).
 * (b) CodeDeploy as SAM's `DeploymentPreference: Canary10Percent5Minutes` sets it up: 10% for 5 minutes, then
 *     100%, stopped and rolled back when a CloudWatch alarm on the alias fires: a MetricAlarm put into the
 *     simulator on `{FunctionName, Resource=<fn>:live}`, metric math `errors / invocations * 100 > 1`, period
 *     60, 1 of 1 datapoints, evaluated by the simulator's alarm engine (with the metric lag); CodeDeploy reads
 *     its state (DescribeAlarms) every minute. After the shift to 100% the deployment is over: no rollback.
 * (c) ours: the real `promote()` with the real Lambda and CloudWatch adapters and the stack's policy, smoke test
 *     included (a direct Invoke of the candidate, which the row's world fails as often as the candidate fails
 *     its users: see buildWorld).
 */
import { DescribeAlarmsCommand, GetMetricDataCommand } from "@aws-sdk/client-cloudwatch";
import { UpdateAliasCommand } from "@aws-sdk/client-lambda";
import { CloudWatchAdapter } from "../automation/adapters/cloudwatch";
import { LambdaAdapter } from "../automation/adapters/lambda";
import type { Advance } from "../config/stackConfig";
import { nextPollAt, promote } from "../automation/rollout/promote";
import type { StackOutputs } from "../automation/rollout/ports";
import type { Step } from "../automation/rollout/steps";
import type { Shortfall } from "../automation/rollout/sufficiency";
import { DirectStackDriver, HorizonClock, UP_DURATION_MS, type RowWorld } from "./world";

/** How a policy ended, in the row's minutes. */
export interface PolicyOutcome {
    readonly outcome: "promoted" | "rolled-back" | "failed";
    /** Rolled back for want of evidence (ours: an inconclusive step), not by a failed gate. */
    readonly noData: boolean;
    /** Rolled back because one of the stack's CloudWatch alarms (the component's composite) was in ALARM. */
    readonly byAlarm?: boolean;
    /** Rolled back at the end of an extension: why the evidence was short (ours). */
    readonly shortfall?: Shortfall;
    /** Minute of the decision that ended the rollout (promotion or rollback). */
    readonly decisionMinute: number;
    /** Minute the policy's last action finished. */
    readonly endMinute: number;
    /** Why it ended, with numbers. */
    readonly reason: string;
}

/** A policy under test. */
export type Policy = (world: RowWorld, clock: HorizonClock) => Promise<PolicyOutcome>;

const MINUTE = 60_000;

async function setWeight(world: RowWorld, weight: number): Promise<void> {
    const toCandidate = weight >= 1;
    await world.sim.lambda.send(
        new UpdateAliasCommand({
            FunctionName: world.functionName,
            Name: world.aliasName,
            FunctionVersion: toCandidate ? world.candidateVersion : world.stableVersion,
            RoutingConfig: { AdditionalVersionWeights: weight > 0 && weight < 1 ? { [world.candidateVersion]: weight } : {} },
        }),
    );
}

/** (a) The runbook script. */
export const runbookPolicy: Policy = async (world, clock) => {
    for (const weight of [0.1, 0.5, 1]) {
        await setWeight(world, weight);
        await clock.sleep(10 * MINUTE);
        const end = new Date(clock.now());
        const start = new Date(clock.now() - 5 * MINUTE);
        const dims = [{ Name: "FunctionName", Value: world.functionName }];
        const metric = (id: string, name: string) => ({
            Id: id,
            MetricStat: { Metric: { Namespace: "AWS/Lambda", MetricName: name, Dimensions: dims }, Period: 60, Stat: "Sum" },
        });
        const out = await world.sim.cloudWatch.send(
            new GetMetricDataCommand({
                StartTime: start,
                EndTime: end,
                MetricDataQueries: [metric("errors", "Errors"), metric("invocations", "Invocations")],
            }),
        );
        const sum = (id: string) =>
            ((out.MetricDataResults ?? []).find((r: { Id: string }) => r.Id === id)?.Values ?? []).reduce(
                (a: number, b: number) => a + b,
                0,
            );
        const errors = sum("errors");
        const invocations = sum("invocations");
        const ratePercent = invocations > 0 ? (100 * errors) / invocations : 0;
        if (ratePercent > 1) {
            const decisionMinute = clock.minute();
            await setWeight(world, 0);
            return {
                outcome: "rolled-back",
                noData: false,
                decisionMinute,
                endMinute: clock.minute(),
                reason: `${weight * 100}%: function error rate ${ratePercent.toFixed(2)}% (${errors}/${invocations}) over the last 5 min > 1%`,
            };
        }
    }
    return {
        outcome: "promoted",
        noData: false,
        decisionMinute: clock.minute(),
        endMinute: clock.minute(),
        reason: "error rate <= 1% after each bake",
    };
};

/** The alarm CodeDeploy watches, on the alias's traffic. */
export function codeDeployAlarmName(world: RowWorld): string {
    return `${world.functionName}-codedeploy-alias-errors`;
}

/** (b) CodeDeploy Canary10Percent5Minutes with an alias error-rate alarm. */
export const codeDeployPolicy: Policy = async (world, clock) => {
    const dims = { FunctionName: world.functionName, Resource: `${world.functionName}:${world.aliasName}` };
    const name = codeDeployAlarmName(world);
    world.sim.putMetricAlarm({
        name,
        comparisonOperator: "GreaterThanThreshold",
        threshold: 1,
        evaluationPeriods: 1,
        datapointsToAlarm: 1,
        metricQueries: [
            {
                id: "errors",
                metricStat: { metric: { namespace: "AWS/Lambda", metricName: "Errors", dimensions: dims }, period: 60, stat: "Sum" },
                returnData: false,
            },
            {
                id: "invocations",
                metricStat: { metric: { namespace: "AWS/Lambda", metricName: "Invocations", dimensions: dims }, period: 60, stat: "Sum" },
                returnData: false,
            },
            { id: "rate", expression: "errors / invocations * 100", returnData: true },
        ],
    });
    await setWeight(world, 0.1);
    for (let minute = 1; minute <= 5; minute++) {
        await clock.sleep(MINUTE);
        const out = await world.sim.cloudWatch.send(new DescribeAlarmsCommand({ AlarmNames: [name] }));
        const alarm = out.MetricAlarms?.[0];
        if (alarm?.StateValue === "ALARM") {
            const decisionMinute = clock.minute();
            await setWeight(world, 0);
            return {
                outcome: "rolled-back",
                noData: false,
                decisionMinute,
                endMinute: clock.minute(),
                reason: `alarm in ALARM: ${alarm.StateReason}`,
            };
        }
    }
    await setWeight(world, 1);
    return {
        outcome: "promoted",
        noData: false,
        decisionMinute: clock.minute(),
        endMinute: clock.minute(),
        reason: "no alarm during the 10% interval",
    };
};

/**
 * (c) Ours: the real promote loop with the real adapters and the stack's policy, its steps moving on as `advance`
 * says (the stack's own setting when not given).
 */
export const oursPolicy: Policy = (world, clock) => oursWith(world, clock);

/** Ours with `advance: evidence` in place of the stack's setting: every other key as the stack has it. */
export const oursEvidencePolicy: Policy = (world, clock) => oursWith(world, clock, "evidence");

/** Ours with `advance: time` in place of the stack's setting. */
export const oursTimePolicy: Policy = (world, clock) => oursWith(world, clock, "time");

async function oursWith(world: RowWorld, clock: HorizonClock, advance?: Advance): Promise<PolicyOutcome> {
    const stack = new DirectStackDriver(world, advance ? withAdvance(world.outputs, advance) : world.outputs);
    const result = await promote(
        {
            stack,
            lambda: new LambdaAdapter(world.sim.lambda),
            metrics: new CloudWatchAdapter(world.sim.cloudWatch),
            clock,
            log: { line: () => undefined },
        },
        { stackName: "prod" },
    );
    const report = result.report;
    const last = report.steps.at(-1);
    const outcome = report.outcome === "promoted" ? "promoted" : report.outcome === "rolled-back" ? "rolled-back" : "failed";
    return {
        outcome,
        noData: outcome !== "promoted" && last?.verdict === "inconclusive",
        byAlarm: outcome !== "promoted" && last?.cause === "alarm",
        shortfall: outcome !== "promoted" && last?.verdict === "inconclusive" ? (last.cause as Shortfall | undefined) : undefined,
        decisionMinute: report.decisionAtMinute ?? report.durationMinutes,
        endMinute: clock.minute(),
        reason: last?.reason ?? report.error ?? "",
    };
}

/**
 * What-if, not a policy of the project: ours without the smoke test, i.e. the same run of ours but the
 * candidate's direct invocation always answers what the real handler answers, whatever the candidate's error
 * rate (the row's world fails it as often as the candidate fails users: see buildWorld). Shows what the gates
 * alone do, in particular on a candidate that fails every request, which the smoke test stops before any
 * traffic reaches it.
 */
export const oursWithoutSmokeTestPolicy: Policy = async (world, clock) => {
    world.sim.setInvokeHandler(world.functionName, world.candidateVersion, () => ({ payload: world.smokeAnswer }));
    return oursTimePolicy(world, clock);
};

/** The stack's outputs with the exported rollout policy's canary or linear `advance` set (pure). */
export function withAdvance(outputs: StackOutputs, advance: Advance): StackOutputs {
    const policy = outputs.rolloutPolicy as { strategy?: string; canary?: object; linear?: object };
    const key = policy.strategy === "linear" ? "linear" : "canary";
    return { ...outputs, rolloutPolicy: { ...policy, [key]: { ...(policy[key] ?? {}), advance } } };
}

/**
 * The second reference line: an oracle SPRT that knows both error rates, on the policy's own schedule (each step
 * moved with UpdateAlias after an `up`'s 45 s, held for its bake, no extension), reading the candidate's
 * per-version Invocations and Errors from the row's CloudWatch every minute with the metric lag, and rolling
 * back the moment Wald's likelihood ratio of the candidate's rate against stable's reaches (1 - beta) / alpha
 * (both the false-rollback budget). What no gate reading CloudWatch on this schedule can beat on average.
 */
export async function oracleSprt(
    world: RowWorld,
    clock: HorizonClock,
    steps: Step[],
    p0: number,
    p1: number,
    budget: number,
): Promise<PolicyOutcome> {
    const start = clock.now();
    const reject = Math.log((1 - budget) / budget);
    const perError = Math.log(p1 / p0);
    const perSuccess = Math.log((1 - p1) / (1 - p0));
    const dims = [
        { Name: "FunctionName", Value: world.functionName },
        { Name: "Resource", Value: `${world.functionName}:${world.aliasName}` },
        { Name: "ExecutedVersion", Value: world.candidateVersion },
    ];
    const metric = (id: string, name: string) => ({
        Id: id,
        MetricStat: { Metric: { Namespace: "AWS/Lambda", MetricName: name, Dimensions: dims }, Period: 60, Stat: "Sum" },
    });
    for (const step of steps) {
        await setWeight(world, step.weight);
        await clock.sleep(UP_DURATION_MS);
        const bakeEnd = clock.now() + step.bakeSeconds * 1000;
        while (clock.now() < bakeEnd) {
            await clock.sleep(Math.min(nextPollAt(clock.now(), MINUTE, bakeEnd), bakeEnd) - clock.now());
            const out = await world.sim.cloudWatch.send(
                new GetMetricDataCommand({
                    StartTime: new Date(Math.floor(start / MINUTE) * MINUTE),
                    EndTime: new Date(clock.now()),
                    MetricDataQueries: [metric("inv", "Invocations"), metric("err", "Errors")],
                }),
            );
            const series = (id: string) => (out.MetricDataResults ?? []).find((r: { Id?: string }) => r.Id === id);
            const errorsAt = new Map<number, number>();
            const err = series("err");
            (err?.Timestamps ?? []).forEach((t: Date, i: number) => errorsAt.set(new Date(t).getTime(), err!.Values![i]));
            const inv = series("inv");
            let n = 0;
            let e = 0;
            (inv?.Timestamps ?? []).forEach((t: Date, i: number) => {
                const errors = errorsAt.get(new Date(t).getTime());
                if (errors === undefined) return; // the minute is still filling
                n += inv!.Values![i];
                e += errors;
            });
            // A candidate failing every call (p1 = 1) has no successes to weigh: 0 x ln 0 is 0.
            const llr = e * perError + (n > e ? (n - e) * perSuccess : 0);
            if (llr >= reject) {
                const decisionMinute = clock.minute();
                await setWeight(world, 0);
                return {
                    outcome: "rolled-back",
                    noData: false,
                    decisionMinute,
                    endMinute: clock.minute(),
                    reason: `oracle SPRT: ${e}/${n}`,
                };
            }
        }
    }
    return {
        outcome: "promoted",
        noData: false,
        decisionMinute: clock.minute(),
        endMinute: clock.minute(),
        reason: "oracle SPRT did not reject",
    };
}

/** The policies in table order; `whatIf` ones are shown but not held to the targets. */
export const POLICIES: ReadonlyArray<{
    readonly id: PolicyId;
    readonly label: string;
    readonly run: Policy;
    readonly whatIf?: boolean;
}> = [
    { id: "runbook", label: "(a) runbook", run: runbookPolicy },
    { id: "codedeploy", label: "(b) CodeDeploy", run: codeDeployPolicy },
    { id: "ours", label: "ours, advance: time", run: oursTimePolicy },
    { id: "oursEvidence", label: "ours, advance: evidence", run: oursEvidencePolicy },
    { id: "oursNoSmoke", label: "what-if: ours (time) without the smoke test", run: oursWithoutSmokeTestPolicy, whatIf: true },
];

/** The policies' ids. */
export type PolicyId = "runbook" | "codedeploy" | "ours" | "oursEvidence" | "oursNoSmoke";

/** Ours under both ways of moving on: the columns the targets are checked on. */
export const OURS: ReadonlyArray<{ readonly id: PolicyId; readonly advance: Advance }> = [
    { id: "ours", advance: "time" },
    { id: "oursEvidence", advance: "evidence" },
];
