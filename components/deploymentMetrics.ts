/**
 * The names of the deployment metrics the rollout tool puts at the end of every rollout (automation/notify/
 * metrics.ts) and this stack's alarms and dashboard read: one source for both sides.
 */

/** The custom metrics' namespace; the promoter's IAM policy allows PutMetricData in it only. */
export const DEPLOYMENT_NAMESPACE = "LambdaRollout";

/** The metric names (dimensions `Stack` and `Function`). */
export const DEPLOYMENT_METRICS = {
    /** 1 when the rollout was promoted, else 0 (Count). */
    succeeded: "RolloutSucceeded",
    /** 1 when a gate, a hook or a smoke test rolled the rollout back, else 0 (Count). */
    rolledBack: "RolloutRolledBack",
    /** From the start of the promote to its end (Seconds). */
    duration: "RolloutDuration",
    /** From the start to the moment the outcome was decided (Seconds). */
    timeToDecision: "RolloutTimeToDecision",
} as const;

/** Rollbacks of one function in an hour above which the runbook pages (the alarm fires at 3). */
export const ROLLBACKS_PER_HOUR_PAGE = 2;

/** How far beyond its bakes a rollout may run before the runbook warns (seconds). */
export const SLOW_ROLLOUT_MARGIN_SECONDS = 15 * 60;
