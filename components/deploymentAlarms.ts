import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { DEPLOYMENT_METRICS, DEPLOYMENT_NAMESPACE, ROLLBACKS_PER_HOUR_PAGE, SLOW_ROLLOUT_MARGIN_SECONDS } from "./deploymentMetrics";

/** Arguments of {@link DeploymentAlarms}. */
export interface DeploymentAlarmsArgs {
    /** The stack's short name (`pulumi.getStack()`): the metrics' `Stack` dimension. */
    readonly stack: string;
    /** The functions' keys in the stack (their `Function` dimension). */
    readonly functionKeys: readonly string[];
    /** The sum of the rollout's bakes (seconds): a rollout longer than this plus 15 minutes warns. */
    readonly bakeSeconds: number;
    /** The topic the "too many rollbacks" alarm pages. */
    readonly alarmTopicArn: pulumi.Input<string>;
    /** A prefix of the alarms' physical names (e.g. `lambda-rollout-prod`). */
    readonly namePrefix: string;
    /** Tags. */
    readonly tags?: Record<string, string>;
}

/** The problem with a {@link DeploymentAlarmsArgs}, or undefined (pure). */
export function deploymentAlarmsProblem(args: Pick<DeploymentAlarmsArgs, "functionKeys" | "bakeSeconds">): string | undefined {
    if (args.functionKeys.length === 0) return "`functionKeys` must name at least one function";
    if (!Number.isFinite(args.bakeSeconds) || args.bakeSeconds < 0) return `\`bakeSeconds\` must be 0 or more (got ${args.bakeSeconds})`;
    return undefined;
}

/** The duration above which a rollout warns (seconds): its bakes plus the runbook's 15 minutes (pure). */
export function slowRolloutThresholdSeconds(bakeSeconds: number): number {
    return bakeSeconds + SLOW_ROLLOUT_MARGIN_SECONDS;
}

/**
 * The runbook's alarms on the deployment metrics the rollout tool puts (components/deploymentMetrics.ts), per
 * function: more than 2 rollbacks in an hour pages (the stack's SNS topic); a rollout that ran more than 15
 * minutes beyond its bakes warns (an alarm with no action, on the dashboard). No data is not breaching: a
 * quiet hour has no rollout.
 */
export class DeploymentAlarms extends pulumi.ComponentResource {
    /** The alarms' names, by function key and role (`rollbacks`, `slow`). */
    public readonly alarmNames: Record<string, { rollbacks: string; slow: string }>;

    constructor(name: string, args: DeploymentAlarmsArgs, opts: pulumi.ComponentResourceOptions = {}) {
        super("lambda-rollout:index:DeploymentAlarms", name, {}, opts);
        const problem = deploymentAlarmsProblem(args);
        if (problem) throw new Error(problem);
        this.alarmNames = {};
        for (const key of args.functionKeys) {
            const dimensions = { Stack: args.stack, Function: key };
            const common = { namespace: DEPLOYMENT_NAMESPACE, dimensions, treatMissingData: "notBreaching", tags: args.tags };
            const names = { rollbacks: `${args.namePrefix}-${key}-rollbacks`, slow: `${args.namePrefix}-${key}-slow-rollout` };
            new aws.cloudwatch.MetricAlarm(
                `${name}-${key}-rollbacks`,
                {
                    ...common,
                    name: names.rollbacks,
                    alarmDescription: `More than ${ROLLBACKS_PER_HOUR_PAGE} rollbacks of ${key} on stack ${args.stack} in an hour: page (docs/runbook.md)`,
                    metricName: DEPLOYMENT_METRICS.rolledBack,
                    statistic: "Sum",
                    period: 3600,
                    evaluationPeriods: 1,
                    comparisonOperator: "GreaterThanThreshold",
                    threshold: ROLLBACKS_PER_HOUR_PAGE,
                    alarmActions: [args.alarmTopicArn],
                },
                { parent: this },
            );
            new aws.cloudwatch.MetricAlarm(
                `${name}-${key}-slow`,
                {
                    ...common,
                    name: names.slow,
                    alarmDescription: `A rollout of ${key} on stack ${args.stack} ran more than 15 minutes beyond its bakes (${args.bakeSeconds}s): warning (docs/runbook.md)`,
                    metricName: DEPLOYMENT_METRICS.duration,
                    statistic: "Maximum",
                    period: 3600,
                    evaluationPeriods: 1,
                    comparisonOperator: "GreaterThanThreshold",
                    threshold: slowRolloutThresholdSeconds(args.bakeSeconds),
                },
                { parent: this },
            );
            this.alarmNames[key] = names;
        }
        this.registerOutputs({ alarmNames: this.alarmNames });
    }
}
