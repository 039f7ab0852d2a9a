import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { aliasDimensions, versionDimensions } from "./metricDimensions";

/** Thresholds the alarms take from the rollout policy's gates. */
export interface AlarmThresholds {
    /** Candidate error rate, percent. */
    readonly maxErrorRatePercent: number;
    /** p99 duration through the alias, ms. */
    readonly maxP99Ms: number;
    /** Throttles through the alias in a minute. */
    readonly maxThrottles: number;
}

/**
 * Errors a minute must have before its error rate can breach. A canary serves few requests a minute (10% of
 * 200 rpm is 20): one error is 5%, so a rate alone fires on healthy candidates (the gate benchmark measured 125
 * of 300 healthy rollouts rolled back by it). Below this count the minute reads 0; the rollout tool's
 * sequential test, not this alarm, judges small samples.
 */
export const ALARM_MIN_ERRORS_PER_MINUTE = 5;

/**
 * The candidate error alarm fires at this multiple of `maxErrorRatePercent`: it means "clearly broken now".
 * Whether the candidate is over the limit itself is the rollout gate's sequential test's call; an alarm at the
 * limit is a coin toss each minute for a version that sits on it (the benchmark rolled back 50 of 50 healthy
 * rollouts at 1% against a 1% limit that way).
 */
export const ALARM_ERROR_RATE_FACTOR = 2;

/** The candidate error alarm's threshold, percent. */
export function candidateErrorAlarmThreshold(maxErrorRatePercent: number): number {
    return maxErrorRatePercent * ALARM_ERROR_RATE_FACTOR;
}

/**
 * The candidate's error rate (percent) as metric math over `{FunctionName, Resource, ExecutedVersion}`,
 * counted only in minutes with at least {@link ALARM_MIN_ERRORS_PER_MINUTE} errors. Lambda emits nothing for a
 * minute without invocations: such a minute yields no point and the alarm treats it as not breaching (no
 * calls, no failed calls); the rollout tool's gate, not this alarm, insists on data.
 */
export function candidateErrorRateQueries(functionName: string, aliasName: string, candidateVersion: string) {
    const dimensions = versionDimensions(functionName, aliasName, candidateVersion);
    const stat = (metricName: string) => ({
        metric: { namespace: "AWS/Lambda", metricName, dimensions },
        period: 60,
        stat: "Sum",
    });
    return [
        { id: "errors", metricStat: stat("Errors"), returnData: false },
        { id: "invocations", metricStat: stat("Invocations"), returnData: false },
        {
            id: "errorRate",
            expression: `IF(FILL(errors, 0) >= ${ALARM_MIN_ERRORS_PER_MINUTE}, 100 * FILL(errors, 0) / invocations, 0)`,
            label: `candidate error rate (%), in minutes with >= ${ALARM_MIN_ERRORS_PER_MINUTE} errors`,
            returnData: true,
        },
    ];
}

/** Arguments of {@link RollbackAlarms}. */
export interface RollbackAlarmsArgs {
    /** The AWS name of the function. */
    readonly functionName: string;
    /** The alias whose traffic is watched (`live`). */
    readonly aliasName: string;
    /** The version under watch: the candidate this `up` published. */
    readonly candidateVersion: pulumi.Input<string>;
    /** Thresholds, from the rollout policy's gates. */
    readonly thresholds: AlarmThresholds;
    /** Whether the function has a dead-letter queue (adds a DeadLetterErrors alarm). */
    readonly hasDeadLetterQueue: boolean;
    /** The SNS topic told when the composite "roll back" alarm changes state. */
    readonly alarmTopicArn: pulumi.Input<string>;
    /** Tags for every alarm. */
    readonly tags?: Record<string, string>;
}

/**
 * The alarms of one progressively delivered function: the candidate's error rate, the alias's p99 duration,
 * throttles (for people: stable's own throttling shows there too), dead-letter errors when configured, and a
 * composite alarm that means "roll back" (all but the throttles alarm), wired to the
 * stack's SNS topic. Alarm names are physical and derived from the function's name, so the rollout tool finds
 * them with DescribeAlarms.
 */
export class RollbackAlarms extends pulumi.ComponentResource {
    /** Names of the metric alarms, by role. */
    public readonly alarmNames: pulumi.Output<Record<string, string>>;
    /** Name of the composite alarm that means "roll back". */
    public readonly rollbackAlarmName: pulumi.Output<string>;

    constructor(name: string, args: RollbackAlarmsArgs, opts: pulumi.ComponentResourceOptions = {}) {
        super("lambda-rollout:index:RollbackAlarms", name, {}, opts);
        const { functionName, aliasName, thresholds, tags } = args;
        const common = { tags, treatMissingData: "notBreaching" as const };

        const candidateErrors = new aws.cloudwatch.MetricAlarm(
            `${name}-candidate-errors`,
            {
                ...common,
                name: `${functionName}-candidate-errors`,
                alarmDescription: `Error rate of the candidate version through ${functionName}:${aliasName} above ${candidateErrorAlarmThreshold(thresholds.maxErrorRatePercent)}% (twice the rollout limit; >= ${ALARM_MIN_ERRORS_PER_MINUTE} errors) in 3 of 5 minutes`,
                comparisonOperator: "GreaterThanThreshold",
                evaluationPeriods: 5,
                datapointsToAlarm: 3,
                threshold: candidateErrorAlarmThreshold(thresholds.maxErrorRatePercent),
                metricQueries: pulumi
                    .output(args.candidateVersion)
                    .apply((version) => candidateErrorRateQueries(functionName, aliasName, version)),
            },
            { parent: this },
        );

        const p99 = new aws.cloudwatch.MetricAlarm(
            `${name}-p99`,
            {
                ...common,
                name: `${functionName}-p99-duration`,
                alarmDescription: `p99 duration through ${functionName}:${aliasName} above ${thresholds.maxP99Ms} ms in 3 of 5 minutes`,
                namespace: "AWS/Lambda",
                metricName: "Duration",
                dimensions: aliasDimensions(functionName, aliasName),
                extendedStatistic: "p99",
                period: 60,
                comparisonOperator: "GreaterThanThreshold",
                evaluationPeriods: 5,
                datapointsToAlarm: 3,
                threshold: thresholds.maxP99Ms,
            },
            { parent: this },
        );

        const throttles = new aws.cloudwatch.MetricAlarm(
            `${name}-throttles`,
            {
                ...common,
                name: `${functionName}-throttles`,
                alarmDescription: `Throttles through ${functionName}:${aliasName} above ${thresholds.maxThrottles} in a minute`,
                namespace: "AWS/Lambda",
                metricName: "Throttles",
                dimensions: aliasDimensions(functionName, aliasName),
                statistic: "Sum",
                period: 60,
                comparisonOperator: "GreaterThanThreshold",
                evaluationPeriods: 1,
                threshold: thresholds.maxThrottles,
            },
            { parent: this },
        );

        // The throttles alarm watches the whole alias, stable's own throttling included, so it is not part of the
        // "roll back" composite: the gate judges throttles against stable's rate before the rollout instead.
        const alarms: aws.cloudwatch.MetricAlarm[] = [candidateErrors, p99];
        const names: Record<string, pulumi.Output<string>> = {
            candidateErrors: candidateErrors.name,
            p99Duration: p99.name,
            throttles: throttles.name,
        };

        if (args.hasDeadLetterQueue) {
            const deadLetter = new aws.cloudwatch.MetricAlarm(
                `${name}-dead-letter-errors`,
                {
                    ...common,
                    name: `${functionName}-dead-letter-errors`,
                    alarmDescription: `${functionName} failed to deliver an event to its dead-letter queue`,
                    namespace: "AWS/Lambda",
                    metricName: "DeadLetterErrors",
                    dimensions: { FunctionName: functionName },
                    statistic: "Sum",
                    period: 60,
                    comparisonOperator: "GreaterThanThreshold",
                    evaluationPeriods: 1,
                    threshold: 0,
                },
                { parent: this },
            );
            alarms.push(deadLetter);
            names.deadLetterErrors = deadLetter.name;
        }

        const rollback = new aws.cloudwatch.CompositeAlarm(
            `${name}-rollback`,
            {
                alarmName: `${functionName}-rollback`,
                alarmDescription: `Roll back ${functionName}: one of its rollout alarms is in ALARM`,
                alarmRule: pulumi.all(alarms.map((a) => a.name)).apply(rollbackRule),
                alarmActions: [args.alarmTopicArn],
                okActions: [args.alarmTopicArn],
                tags,
            },
            { parent: this },
        );

        names.rollback = rollback.alarmName;
        this.alarmNames = pulumi.all(names);
        this.rollbackAlarmName = rollback.alarmName;
        this.registerOutputs({ alarmNames: this.alarmNames, rollbackAlarmName: this.rollbackAlarmName });
    }
}

/** The composite rule: any of the alarms in ALARM. */
export function rollbackRule(alarmNames: string[]): string {
    return alarmNames.map((n) => `ALARM("${n}")`).join(" OR ");
}
