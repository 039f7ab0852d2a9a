import type { Dimensions, MetricStore, SeriesHandle } from "./metricStore";
import type { RequestOutcome } from "./traffic";

/** The namespace Lambda publishes its metrics in. */
export const LAMBDA_NAMESPACE = "AWS/Lambda";

/** The series one kind of invocation is recorded under, resolved once and reused for every request. */
export interface InvocationSeries {
    readonly invocations: readonly SeriesHandle[];
    readonly errors: readonly SeriesHandle[];
    readonly duration: readonly SeriesHandle[];
    readonly throttles: readonly SeriesHandle[];
}

/**
 * The dimension sets Lambda publishes an invocation through an alias under: per function, per alias, per
 * alias and executed version (what per-version gates read), and account-wide. Throttled requests never
 * run a version, so Throttles has no ExecutedVersion series.
 */
export function aliasInvocationSeries(
    store: MetricStore,
    functionName: string,
    aliasName: string,
    executedVersion: string,
    withExecutedVersion = true,
): InvocationSeries {
    const resource = `${functionName}:${aliasName}`;
    const executed: Dimensions[] = [
        { FunctionName: functionName },
        { FunctionName: functionName, Resource: resource },
        ...(withExecutedVersion ? [{ FunctionName: functionName, Resource: resource, ExecutedVersion: executedVersion }] : []),
        {},
    ];
    const throttled: Dimensions[] = [{ FunctionName: functionName }, { FunctionName: functionName, Resource: resource }, {}];
    return seriesFor(store, executed, throttled);
}

/** A direct, version-qualified Invoke shows only under the function and under `<fn>:<version>`. */
export function versionInvocationSeries(store: MetricStore, functionName: string, version: string): InvocationSeries {
    const dimensions: Dimensions[] = [
        { FunctionName: functionName },
        { FunctionName: functionName, Resource: `${functionName}:${version}` },
    ];
    return seriesFor(store, dimensions, dimensions);
}

function seriesFor(store: MetricStore, executed: readonly Dimensions[], throttled: readonly Dimensions[]): InvocationSeries {
    const handles = (metricName: string, sets: readonly Dimensions[]) =>
        sets.map((dimensions) => store.handle(LAMBDA_NAMESPACE, metricName, dimensions));
    return {
        invocations: handles("Invocations", executed),
        errors: handles("Errors", executed),
        duration: handles("Duration", executed),
        throttles: handles("Throttles", throttled),
    };
}

/**
 * Records a batch of requests as Lambda reports them: Invocations 1 per invocation; Errors and Throttles
 * 0 or 1 per request, so that a minute with invocations has an Errors datapoint even when it is 0;
 * Duration per invocation (a timeout lasts the function's timeout). Nothing for a batch without requests.
 */
export function recordOutcome(store: MetricStore, series: InvocationSeries, timestampMs: number, outcome: RequestOutcome): void {
    // Every series of a call is sent when the call ends: the minute's slowest call (a timeout lasts the timeout) sets when it is whole.
    const lastEndMs = Math.max(outcome.timeouts > 0 ? outcome.timeoutMs : 0, outcome.durations.count > 0 ? outcome.durations.max : 0);
    if (lastEndMs > 0)
        for (const handle of [...series.invocations, ...series.errors, ...series.duration])
            store.noteCallEnd(handle, timestampMs, lastEndMs);
    for (const handle of series.invocations) store.recordRepeated(handle, timestampMs, 1, outcome.invocations);
    for (const handle of series.errors) {
        store.recordRepeated(handle, timestampMs, 1, outcome.errors);
        store.recordRepeated(handle, timestampMs, 0, outcome.invocations - outcome.errors);
    }
    for (const handle of series.duration) {
        store.recordSketch(handle, timestampMs, outcome.durations);
        store.recordRepeated(handle, timestampMs, outcome.timeoutMs, outcome.timeouts);
    }
    for (const handle of series.throttles) {
        store.recordRepeated(handle, timestampMs, 1, outcome.throttles);
        store.recordRepeated(handle, timestampMs, 0, outcome.invocations);
    }
}

/**
 * The series Lambda publishes DeadLetterErrors under for an alias's asynchronous events: per function, per
 * alias (`Resource`) and account-wide. (AWS does not document whether it also has an ExecutedVersion series; the
 * gate reads the per-function one.)
 */
export function deadLetterSeries(store: MetricStore, functionName: string, aliasName: string): readonly SeriesHandle[] {
    const sets: Dimensions[] = [
        { FunctionName: functionName },
        { FunctionName: functionName, Resource: `${functionName}:${aliasName}` },
        {},
    ];
    return sets.map((dimensions) => store.handle(LAMBDA_NAMESPACE, "DeadLetterErrors", dimensions));
}

/** Records writes to a dead-letter queue: 1 for each that failed, 0 for each that landed (a datapoint either way). */
export function recordDeadLetters(
    store: MetricStore,
    series: readonly SeriesHandle[],
    timestampMs: number,
    failed: number,
    delivered: number,
): void {
    for (const handle of series) {
        store.recordRepeated(handle, timestampMs, 1, failed);
        store.recordRepeated(handle, timestampMs, 0, delivered);
    }
}
