/**
 * Relative accuracy of the duration sketch: a percentile read from it is within 1% of a value that was
 * recorded at that rank (see {@link QuantileSketch}). CloudWatch itself computes percentiles from a sketch of
 * its own, not from every sample.
 */
export const SKETCH_RELATIVE_ACCURACY = 0.01;

const GAMMA = (1 + SKETCH_RELATIVE_ACCURACY) / (1 - SKETCH_RELATIVE_ACCURACY);
const LN_GAMMA = Math.log(GAMMA);
/** Buckets added beyond the needed range when the array grows, so that a minute rarely grows twice. */
const GROWTH_MARGIN = 32;

/**
 * A log-bucketed histogram of positive values (DDSketch's layout): bucket i counts the values in
 * (γ^(i-1), γ^i] with γ = (1 + α) / (1 - α), α = {@link SKETCH_RELATIVE_ACCURACY}, and stands for the value
 * 2γ^i / (γ + 1), which is within α of every value in the bucket. The buckets are a dense array over the
 * range of indices seen, so its size depends on the spread of the values (a few hundred buckets for
 * latencies from 1 ms to 10 s), never on how many were recorded.
 */
export class QuantileSketch {
    private offset = 0;
    private counts = new Float64Array(0);

    /** Number of values recorded. */
    get count(): number {
        let n = 0;
        for (const c of this.counts) n += c;
        return n;
    }

    /** Number of buckets held (what the sketch costs in memory, 8 bytes each). */
    get bucketCount(): number {
        return this.counts.length;
    }

    /** Records a positive, finite value `times` times. */
    add(value: number, times = 1): void {
        if (!(value > 0) || !Number.isFinite(value)) throw new Error(`QuantileSketch: values must be positive and finite, got ${value}.`);
        if (times <= 0) return;
        const index = Math.ceil(Math.log(value) / LN_GAMMA);
        this.ensure(index, index);
        this.counts[index - this.offset] += times;
    }

    /** Adds every value of `other` to this sketch. */
    merge(other: QuantileSketch): void {
        const from = other.firstIndex();
        if (from === undefined) return;
        this.ensure(from, other.offset + other.counts.length - 1);
        for (let k = 0; k < other.counts.length; k++) {
            if (other.counts[k] > 0) this.counts[other.offset + k - this.offset] += other.counts[k];
        }
    }

    /** The non-empty buckets in ascending order of value: the value each stands for and its count. */
    *buckets(): Generator<{ value: number; count: number }> {
        for (let k = 0; k < this.counts.length; k++) {
            if (this.counts[k] > 0) yield { value: (2 * Math.pow(GAMMA, this.offset + k)) / (GAMMA + 1), count: this.counts[k] };
        }
    }

    private firstIndex(): number | undefined {
        const k = this.counts.findIndex((c) => c > 0);
        return k < 0 ? undefined : this.offset + k;
    }

    private ensure(low: number, high: number): void {
        const end = this.offset + this.counts.length;
        if (this.counts.length > 0 && low >= this.offset && high < end) return;
        const newOffset = this.counts.length === 0 ? low - GROWTH_MARGIN : Math.min(this.offset, low - GROWTH_MARGIN);
        const newEnd = this.counts.length === 0 ? high + 1 + GROWTH_MARGIN : Math.max(end, high + 1 + GROWTH_MARGIN);
        const grown = new Float64Array(newEnd - newOffset);
        if (this.counts.length > 0) grown.set(this.counts, this.offset - newOffset);
        this.offset = newOffset;
        this.counts = grown;
    }
}

/**
 * Everything CloudWatch keeps about one metric series for one minute: the summary statistics (exact), and
 * what percentiles are read from. Values that repeat (Invocations is always 1, Errors 0 or 1, a timeout
 * lasts the function's timeout) are kept exactly as counts; individually drawn values (durations) go into a
 * {@link QuantileSketch}. Either way a minute costs the same whatever the request rate.
 */
export interface MinuteAggregate {
    sum: number;
    count: number;
    min: number;
    max: number;
    /** The individually drawn values (durations), once any were recorded. */
    sketch?: QuantileSketch;
    /** value -> how many times it was recorded. */
    repeated: Map<number, number>;
}

/** A statistic as GetMetricData and alarms accept it. */
export type Statistic = { kind: "Sum" | "SampleCount" | "Average" | "Minimum" | "Maximum" } | { kind: "percentile"; percentile: number };

const SIMPLE_STATISTICS = new Set(["Sum", "SampleCount", "Average", "Minimum", "Maximum"]);

/**
 * Parses `Sum`, `SampleCount`, `Average`, `Minimum`, `Maximum`, `p99`, `p99.9`; undefined for anything
 * else (the caller knows which parameter to blame).
 */
export function parseStatistic(stat: string): Statistic | undefined {
    if (SIMPLE_STATISTICS.has(stat)) return { kind: stat as "Sum" };
    const match = /^p(\d{1,2}(?:\.\d+)?|100)$/.exec(stat);
    if (!match) return undefined;
    return { kind: "percentile", percentile: Number(match[1]) };
}

/** An empty aggregate, ready to record into. */
export function emptyAggregate(): MinuteAggregate {
    return { sum: 0, count: 0, min: Infinity, max: -Infinity, repeated: new Map() };
}

/**
 * The statistic over a period made of the given minutes; undefined when the period has no samples
 * (CloudWatch returns no datapoint rather than 0). Sum, SampleCount, Average, Minimum and Maximum are exact.
 * Percentiles are nearest-rank over the exact repeated values and the sketch's buckets, each bucket read as
 * its representative value clamped to the period's [Minimum, Maximum]: within
 * {@link SKETCH_RELATIVE_ACCURACY} of the value of that rank, exact for repeated values and for the first
 * and last rank (the Minimum and the Maximum).
 */
export function computeStatistic(stat: Statistic, minutes: readonly MinuteAggregate[]): number | undefined {
    let count = 0;
    let sum = 0;
    let min = Infinity;
    let max = -Infinity;
    for (const minute of minutes) {
        count += minute.count;
        sum += minute.sum;
        if (minute.min < min) min = minute.min;
        if (minute.max > max) max = minute.max;
    }
    if (count === 0) return undefined;
    switch (stat.kind) {
        case "Sum":
            return sum;
        case "SampleCount":
            return count;
        case "Average":
            return sum / count;
        case "Minimum":
            return min;
        case "Maximum":
            return max;
        case "percentile": {
            const rank = Math.min(count, Math.max(1, Math.ceil((stat.percentile / 100) * count)));
            // The extreme ranks are known exactly.
            if (rank === 1) return min;
            if (rank === count) return max;
            let seen = 0;
            for (const { value, count: times } of valueCounts(minutes)) {
                seen += times;
                if (seen >= rank) return Math.min(max, Math.max(min, value));
            }
            return max;
        }
    }
}

/** The values of the minutes, repeated and sketched, as (value, count) in ascending order of value. */
function valueCounts(minutes: readonly MinuteAggregate[]): Array<{ value: number; count: number }> {
    const repeated = new Map<number, number>();
    let sketch: QuantileSketch | undefined;
    for (const minute of minutes) {
        for (const [value, times] of minute.repeated) repeated.set(value, (repeated.get(value) ?? 0) + times);
        if (minute.sketch) {
            sketch ??= new QuantileSketch();
            sketch.merge(minute.sketch);
        }
    }
    const all = [...repeated].map(([value, count]) => ({ value, count }));
    if (sketch) all.push(...sketch.buckets());
    return all.sort((a, b) => a.value - b.value);
}
