/**
 * Deployment metrics (the runbook's monitors): at the end of every rollout, its outcome, duration and time to
 * decision go to CloudWatch as custom metrics in the {@link DEPLOYMENT_NAMESPACE} namespace, one datum per
 * function with the dimensions `Stack` and `Function` (the function's key in the stack). The stack's alarms
 * (components/deploymentAlarms.ts) and dashboard read the same names from here.
 */
import type { MetricDatum } from "@aws-sdk/client-cloudwatch";
import type { RolloutReport } from "../rollout/report";
import { DEPLOYMENT_METRICS, DEPLOYMENT_NAMESPACE } from "../../components/deploymentMetrics";
import type { MetricPut } from "./ports";

export { DEPLOYMENT_METRICS, DEPLOYMENT_NAMESPACE };

/** The outcomes that end a rollout and are counted; `nothing-to-do` and `held` put nothing. */
const COUNTED: ReadonlySet<string> = new Set(["promoted", "rolled-back", "aborted", "failed"]);

/**
 * The data a finished rollout puts (pure): per function, `RolloutSucceeded` and `RolloutRolledBack` (Count, 1 or
 * 0: an abort or a failure counts as neither), `RolloutDuration` (Seconds) and, when a decision was made,
 * `RolloutTimeToDecision` (Seconds). `stack` is the stack's short name (`prod`, as `pulumi.getStack()` says).
 */
export function deploymentMetrics(report: RolloutReport, stack: string, at: Date): MetricDatum[] {
    if (!COUNTED.has(report.outcome)) return [];
    return Object.keys(report.functions).flatMap((key) => {
        const Dimensions = [
            { Name: "Stack", Value: stack },
            { Name: "Function", Value: key },
        ];
        const datum = (MetricName: string, Value: number, Unit: "Count" | "Seconds"): MetricDatum => ({
            MetricName,
            Dimensions,
            Value,
            Unit,
            Timestamp: at,
        });
        return [
            datum(DEPLOYMENT_METRICS.succeeded, report.outcome === "promoted" ? 1 : 0, "Count"),
            datum(DEPLOYMENT_METRICS.rolledBack, report.outcome === "rolled-back" ? 1 : 0, "Count"),
            datum(DEPLOYMENT_METRICS.duration, Math.round(report.durationMinutes * 60), "Seconds"),
            ...(report.decisionAtMinute === null
                ? []
                : [datum(DEPLOYMENT_METRICS.timeToDecision, Math.round(report.decisionAtMinute * 60), "Seconds")]),
        ];
    });
}

/**
 * Puts a finished rollout's metrics; returns the metric names put (each once), or a warning when CloudWatch
 * refused (a metric that cannot be put never changes the rollout's outcome).
 */
export async function putDeploymentMetrics(
    put: MetricPut,
    report: RolloutReport,
    stack: string,
    at: Date,
): Promise<{ metricsPut: string[]; warning?: string }> {
    const data = deploymentMetrics(report, stack, at);
    try {
        await put(DEPLOYMENT_NAMESPACE, data);
    } catch (err) {
        return { metricsPut: [], warning: `deployment metrics were not put, the rollout's outcome stands: ${(err as Error).message}` };
    }
    return { metricsPut: [...new Set(data.map((d) => d.MetricName!))] };
}
