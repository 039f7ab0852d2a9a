import type {
    CompositeAlarm,
    DescribeAlarmsCommandInput,
    DescribeAlarmsCommandOutput,
    MetricAlarm,
    MetricDataQuery,
} from "@aws-sdk/client-cloudwatch";
import {
    alarmRuleNames,
    compileMetricAlarm,
    evaluateAlarmRange,
    evaluateAlarmRule,
    parseAlarmRule,
    type AlarmEvaluation,
    type AlarmRuleExpr,
    type AlarmState,
    type CompiledMetricAlarm,
    type MetricAlarmDef,
} from "./alarms";
import { clientError, SIMULATED_ACCOUNT, SIMULATED_REGION } from "./errors";
import { evaluateQueries, type MetricSource } from "./getMetricData";

interface StoredState {
    state: AlarmState;
    reason: string;
    updatedMs: number;
}

interface StoredMetricAlarm {
    readonly compiled: CompiledMetricAlarm;
    /** Since when the alarm has been evaluated (moved back when the account is given history: existedSince). */
    createdMs: number;
    current: StoredState;
}

interface StoredCompositeAlarm {
    readonly name: string;
    readonly alarmRule: string;
    readonly rule: AlarmRuleExpr;
    current: StoredState;
}

/** The ARN of an alarm in the simulated account. */
export function alarmArn(alarmName: string): string {
    return `arn:aws:cloudwatch:${SIMULATED_REGION}:${SIMULATED_ACCOUNT}:alarm:${alarmName}`;
}

/**
 * The account's alarms. States are not kept up to date in the background: each DescribeAlarms evaluates
 * them at the current virtual time from the visible metrics, which is what CloudWatch's once-a-minute
 * evaluation would show, without paying for it on every simulated minute.
 */
export class AlarmRegistry {
    private readonly metricAlarms = new Map<string, StoredMetricAlarm>();
    private readonly compositeAlarms = new Map<string, StoredCompositeAlarm>();

    /**
     * @param source the visible metrics
     * @param lateDataMs how late data arrives, so that the evaluation range reaches past the newest
     *   (not yet visible) periods, as CloudWatch's evaluation range does
     */
    constructor(
        private readonly source: MetricSource,
        private readonly lateDataMs: number,
    ) {}

    /**
     * PutMetricAlarm (create or replace); ValidationError for what AWS rejects. A new alarm starts in
     * INSUFFICIENT_DATA; an existing one keeps its state and only its definition changes ("When this operation
     * creates an alarm, the alarm state is immediately set to INSUFFICIENT_DATA ... When updating an existing
     * alarm, its StateValue is left unchanged": PutMetricAlarm, https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_PutMetricAlarm.html),
     * so the `up` of every step, which puts every alarm again, does not reset them.
     */
    putMetricAlarm(def: MetricAlarmDef, nowMs: number): void {
        const compiled = compileMetricAlarm(def);
        if (this.compositeAlarms.has(def.name))
            throw clientError("ValidationError", `An alarm named '${def.name}' already exists as a composite alarm.`);
        const existing = this.metricAlarms.get(def.name);
        this.metricAlarms.set(def.name, {
            compiled,
            createdMs: existing?.createdMs ?? nowMs,
            current: existing?.current ?? { state: "INSUFFICIENT_DATA", reason: "Unchecked: Initial alarm creation", updatedMs: nowMs },
        });
    }

    /**
     * The alarms put so far existed since `sinceMs` (the account's history before a rehearsal: the stack was
     * deployed long before): they have been evaluated all along, so their first evaluation reads that history.
     */
    existedSince(sinceMs: number): void {
        for (const stored of this.metricAlarms.values()) stored.createdMs = Math.min(stored.createdMs, sinceMs);
    }

    /** PutCompositeAlarm; the rule must parse and name only alarms that exist, as AWS requires. */
    putCompositeAlarm(def: { name: string; alarmRule: string }, nowMs: number): void {
        if (!def.name) throw clientError("ValidationError", "The parameter AlarmName is required.");
        if (this.metricAlarms.has(def.name))
            throw clientError("ValidationError", `An alarm named '${def.name}' already exists as a metric alarm.`);
        const rule = parseAlarmRule(def.alarmRule);
        const missing = alarmRuleNames(rule).filter((name) => !this.metricAlarms.has(name) && !this.compositeAlarms.has(name));
        if (missing.length > 0) {
            throw clientError(
                "ValidationError",
                `Could not save the composite alarm as alarms [${missing.join(", ")}] in the alarm rule do not exist.`,
            );
        }
        if (alarmRuleNames(rule).includes(def.name))
            throw clientError("ValidationError", `The alarm rule of '${def.name}' refers to itself.`);
        this.compositeAlarms.set(def.name, {
            name: def.name,
            alarmRule: def.alarmRule,
            rule,
            current: { state: "INSUFFICIENT_DATA", reason: "Unchecked: Initial alarm creation", updatedMs: nowMs },
        });
    }

    /** DescribeAlarms at `nowMs`. As in AWS, only metric alarms are returned unless AlarmTypes says otherwise. */
    describeAlarms(input: DescribeAlarmsCommandInput, nowMs: number): DescribeAlarmsCommandOutput {
        if (input.AlarmNames && input.AlarmNamePrefix !== undefined) {
            throw clientError("InvalidParameterCombination", "AlarmNames and AlarmNamePrefix cannot be given together.");
        }
        const types = input.AlarmTypes ?? ["MetricAlarm"];
        const selected = (name: string): boolean =>
            (input.AlarmNames === undefined || input.AlarmNames.includes(name)) &&
            (input.AlarmNamePrefix === undefined || name.startsWith(input.AlarmNamePrefix));
        const stateMatches = (state: AlarmState): boolean => input.StateValue === undefined || input.StateValue === state;

        const metricAlarms: MetricAlarm[] = [];
        if (types.includes("MetricAlarm")) {
            for (const name of [...this.metricAlarms.keys()].sort()) {
                if (!selected(name)) continue;
                const stored = this.metricAlarms.get(name)!;
                const current = this.updateMetricAlarm(stored, nowMs);
                if (stateMatches(current.state)) metricAlarms.push(describeMetricAlarm(stored, current));
            }
        }
        const compositeAlarms: CompositeAlarm[] = [];
        if (types.includes("CompositeAlarm")) {
            for (const name of [...this.compositeAlarms.keys()].sort()) {
                if (!selected(name)) continue;
                const stored = this.compositeAlarms.get(name)!;
                const current = this.updateCompositeAlarm(stored, nowMs, new Set());
                if (!stateMatches(current.state)) continue;
                compositeAlarms.push({
                    AlarmName: name,
                    AlarmArn: alarmArn(name),
                    AlarmRule: stored.alarmRule,
                    StateValue: current.state,
                    StateReason: current.reason,
                    StateUpdatedTimestamp: new Date(current.updatedMs),
                    StateTransitionedTimestamp: new Date(current.updatedMs),
                    ActionsEnabled: true,
                    AlarmActions: [],
                    OKActions: [],
                    InsufficientDataActions: [],
                });
            }
        }
        return { MetricAlarms: metricAlarms, CompositeAlarms: compositeAlarms, $metadata: {} };
    }

    /** The state of one metric alarm at `nowMs`. */
    private evaluateMetricAlarm(stored: StoredMetricAlarm, nowMs: number): AlarmEvaluation {
        const alarm = stored.compiled;
        if (nowMs < stored.createdMs + alarm.periodMs) return { state: "INSUFFICIENT_DATA", reason: "Unchecked: Initial alarm creation" };
        const lookback = alarm.evaluationPeriods + Math.ceil((this.lateDataMs + 60_000) / alarm.periodMs);
        const rangeEndMs = Math.floor(nowMs / alarm.periodMs) * alarm.periodMs;
        const rangeStartMs = rangeEndMs - lookback * alarm.periodMs;
        const series = evaluateQueries(this.source, alarm.queries, rangeStartMs, rangeEndMs, nowMs).get(alarm.alarmQueryId)!;
        const range = Array.from({ length: lookback }, (_, k) => {
            const periodStartMs = rangeEndMs - (k + 1) * alarm.periodMs;
            return { periodStartMs, value: series.get(periodStartMs) };
        });
        return evaluateAlarmRange(alarm, range, stored.current.state);
    }

    private updateMetricAlarm(stored: StoredMetricAlarm, nowMs: number): StoredState {
        return transition(stored, this.evaluateMetricAlarm(stored, nowMs), nowMs);
    }

    private updateCompositeAlarm(stored: StoredCompositeAlarm, nowMs: number, visiting: Set<string>): StoredState {
        if (visiting.has(stored.name)) throw clientError("ValidationError", `Composite alarm '${stored.name}' is part of a cycle.`);
        visiting.add(stored.name);
        const states = new Map<string, AlarmState>();
        const stateOf = (name: string): AlarmState => {
            const metric = this.metricAlarms.get(name);
            const state = metric
                ? this.updateMetricAlarm(metric, nowMs).state
                : this.updateCompositeAlarm(this.compositeAlarms.get(name)!, nowMs, visiting).state;
            states.set(name, state);
            return state;
        };
        for (const name of alarmRuleNames(stored.rule)) stateOf(name);
        const holds = evaluateAlarmRule(stored.rule, (name) => states.get(name)!);
        visiting.delete(stored.name);
        const listed = [...states].map(([name, state]) => `${name}=${state}`).join(", ");
        return transition(
            stored,
            {
                state: holds ? "ALARM" : "OK",
                reason: `AlarmRule ${stored.alarmRule} is ${holds ? "TRUE" : "FALSE"} (${listed || "no alarms"})`,
            },
            nowMs,
        );
    }
}

function transition(stored: { current: StoredState }, evaluation: AlarmEvaluation, nowMs: number): StoredState {
    if (evaluation.state !== stored.current.state)
        stored.current = { state: evaluation.state, reason: evaluation.reason, updatedMs: nowMs };
    else stored.current = { ...stored.current, reason: evaluation.reason };
    return stored.current;
}

function describeMetricAlarm(stored: StoredMetricAlarm, current: StoredState): MetricAlarm {
    const def = stored.compiled.def;
    const dimensions = (record: Record<string, string> | undefined) =>
        Object.entries(record ?? {}).map(([Name, Value]) => ({ Name, Value }));
    const metrics: MetricDataQuery[] | undefined = def.metricQueries?.map((query) => ({
        Id: query.id,
        Expression: query.expression,
        Label: query.label,
        ReturnData: query.returnData,
        MetricStat: query.metricStat && {
            Metric: {
                Namespace: query.metricStat.metric.namespace,
                MetricName: query.metricStat.metric.metricName,
                Dimensions: dimensions(query.metricStat.metric.dimensions),
            },
            Period: query.metricStat.period,
            Stat: query.metricStat.stat,
        },
    }));
    return {
        AlarmName: def.name,
        AlarmArn: alarmArn(def.name),
        StateValue: current.state,
        StateReason: current.reason,
        StateUpdatedTimestamp: new Date(current.updatedMs),
        StateTransitionedTimestamp: new Date(current.updatedMs),
        Threshold: stored.compiled.threshold,
        ComparisonOperator: stored.compiled.comparisonOperator,
        EvaluationPeriods: stored.compiled.evaluationPeriods,
        DatapointsToAlarm: stored.compiled.datapointsToAlarm,
        TreatMissingData: stored.compiled.treatMissingData,
        Namespace: def.namespace,
        MetricName: def.metricName,
        Dimensions: def.metricQueries ? undefined : dimensions(def.dimensions),
        Statistic: def.statistic as MetricAlarm["Statistic"],
        ExtendedStatistic: def.extendedStatistic,
        Period: def.period,
        Metrics: metrics,
        ActionsEnabled: true,
        AlarmActions: [],
        OKActions: [],
        InsufficientDataActions: [],
    };
}
