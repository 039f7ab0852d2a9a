import { emptyAggregate, QuantileSketch, type MinuteAggregate } from "./statistics";

/** CloudWatch dimensions as a name -> value map; order never matters. */
export type Dimensions = Readonly<Record<string, string>>;

/** One datapoint minute of a series, as a query sees it. */
export interface MinuteDatapoint {
    /** Start of the minute, ms since the epoch. */
    readonly minuteStartMs: number;
    readonly aggregate: MinuteAggregate;
}

const MINUTE_MS = 60_000;

/**
 * Identity of a series: namespace, metric name and the exact dimension set. Dimensions are sorted so
 * that order does not matter, and the whole set is part of the key so that `{FunctionName}` never
 * matches the `{FunctionName, Resource, ExecutedVersion}` series (CloudWatch matches dimension sets exactly).
 */
export function seriesKey(namespace: string, metricName: string, dimensions: Dimensions): string {
    const dims = Object.keys(dimensions)
        .sort()
        .map((name) => `${name}=${dimensions[name]}`)
        .join("\u0001");
    return `${namespace}\u0000${metricName}\u0000${dims}`;
}

/** Values drawn one by one (durations), as a sketch plus their exact count, sum, minimum and maximum. */
export interface SketchedValues {
    readonly count: number;
    readonly sum: number;
    readonly min: number;
    readonly max: number;
    readonly sketch: QuantileSketch;
}

/** A series' per-minute data, held by handle so the traffic loop does not rebuild keys per request. */
export interface SeriesHandle {
    readonly key: string;
    readonly minutes: Map<number, MinuteAggregate>;
    /** Per minute, how long after the minute's end its last call ended (its metrics are sent then), ms. */
    readonly tails: Map<number, number>;
}

/**
 * How long after its last call ended a series' minute reaches CloudWatch, ms: a constant, or drawn per series and
 * minute (a scenario's `metricDelayMinutes: {min, max}`), so the series of one minute arrive at different times.
 */
export type DelayOf = (seriesKey: string, minuteStartMs: number) => number;

/**
 * The metric data of a simulated account at one-minute resolution, with CloudWatch's ingestion delay:
 * minute m becomes visible at the end of minute m plus the delay, however late the query is. Minutes that
 * end by `historyEndMs` are history written before the rehearsal (SimulatedAws.backfill): already arrived,
 * visible at once.
 */
export class MetricStore {
    private readonly series = new Map<string, SeriesHandle>();

    private readonly delayOf: DelayOf;
    /** Whether a minute waits for its slowest call (variable delays only: a constant delay keeps the whole-minute model). */
    private readonly byCallEnd: boolean;

    /**
     * @param delay how long after the end of its minute a datapoint becomes visible; given as a function (variable
     *   delays), the minute also waits for its slowest call to end (see noteCallEnd)
     * @param historyEndMs minutes ending at or before it are visible whatever the delay (default: none)
     */
    constructor(
        delay: number | DelayOf,
        private readonly historyEndMs = -Infinity,
    ) {
        this.delayOf = typeof delay === "number" ? () => delay : delay;
        this.byCallEnd = typeof delay !== "number";
    }

    /** The handle of a series, created empty if it has never been recorded into. */
    handle(namespace: string, metricName: string, dimensions: Dimensions): SeriesHandle {
        const key = seriesKey(namespace, metricName, dimensions);
        let handle = this.series.get(key);
        if (!handle) {
            handle = { key, minutes: new Map(), tails: new Map() };
            this.series.set(key, handle);
        }
        return handle;
    }

    /**
     * A call of the minute of `timestampMs` lasted `durationMs`: Lambda timestamps a call's metrics at its start and
     * sends them when it ends, so the minute is whole only once its slowest call has ended. The simulator keeps
     * per-minute aggregates, not each call's start: the slowest call is taken as started at the minute's end, the
     * latest the minute can be whole (a timeout then delays the whole minute by the function's timeout).
     */
    noteCallEnd(handle: SeriesHandle, timestampMs: number, durationMs: number): void {
        const minuteStartMs = Math.floor(timestampMs / MINUTE_MS) * MINUTE_MS;
        if (durationMs > (handle.tails.get(minuteStartMs) ?? 0)) handle.tails.set(minuteStartMs, durationMs);
    }

    /** Records `value` `times` times in the minute containing `timestampMs`. */
    recordRepeated(handle: SeriesHandle, timestampMs: number, value: number, times: number): void {
        if (times <= 0) return;
        const minute = this.minuteOf(handle, timestampMs);
        minute.sum += value * times;
        minute.count += times;
        if (value < minute.min) minute.min = value;
        if (value > minute.max) minute.max = value;
        minute.repeated.set(value, (minute.repeated.get(value) ?? 0) + times);
    }

    /**
     * Records individually drawn values, summarised by `batch`: its sketch is merged into the minute's, so a
     * minute costs the same whatever the number of values. A batch is usually recorded into several series.
     */
    recordSketch(handle: SeriesHandle, timestampMs: number, batch: SketchedValues): void {
        if (batch.count === 0) return;
        const minute = this.minuteOf(handle, timestampMs);
        minute.sum += batch.sum;
        minute.count += batch.count;
        if (batch.min < minute.min) minute.min = batch.min;
        if (batch.max > minute.max) minute.max = batch.max;
        minute.sketch ??= new QuantileSketch();
        minute.sketch.merge(batch.sketch);
    }

    /**
     * The minutes of a series in [fromMs, toMs) that are visible at `nowMs`, in ascending order. Empty for
     * a series never recorded: CloudWatch does not know the metric, which is not an error.
     */
    visibleMinutes(
        namespace: string,
        metricName: string,
        dimensions: Dimensions,
        fromMs: number,
        toMs: number,
        nowMs: number,
    ): MinuteDatapoint[] {
        const handle = this.series.get(seriesKey(namespace, metricName, dimensions));
        if (!handle) return [];
        // minute m is visible once m + 1min + (its last call's end past the minute) + delay <= now, or at once if it
        // is history (m + 1min <= historyEnd)
        const result: MinuteDatapoint[] = [];
        for (const [minuteStartMs, aggregate] of handle.minutes) {
            if (minuteStartMs < fromMs || minuteStartMs >= toMs) continue;
            const endMs = minuteStartMs + MINUTE_MS;
            const tailMs = this.byCallEnd ? (handle.tails.get(minuteStartMs) ?? 0) : 0;
            const arrivesMs = endMs + tailMs + this.delayOf(handle.key, minuteStartMs);
            if (arrivesMs <= nowMs || endMs <= this.historyEndMs) result.push({ minuteStartMs, aggregate });
        }
        return result.sort((a, b) => a.minuteStartMs - b.minuteStartMs);
    }

    private minuteOf(handle: SeriesHandle, timestampMs: number): MinuteAggregate {
        const minuteStartMs = Math.floor(timestampMs / MINUTE_MS) * MINUTE_MS;
        let minute = handle.minutes.get(minuteStartMs);
        if (!minute) {
            minute = emptyAggregate();
            handle.minutes.set(minuteStartMs, minute);
        }
        return minute;
    }
}
