/**
 * Everything CloudWatch keeps about one metric series for one minute: the summary statistics, plus the
 * individual values for percentiles. Values that repeat (Invocations is always 1, Errors 0 or 1) are kept
 * as counts, so a busy minute costs a few numbers rather than thousands.
 */
export interface MinuteAggregate {
  sum: number;
  count: number;
  min: number;
  max: number;
  /** Individually drawn values (durations), shared between the series a request is recorded under. */
  sampleChunks: Float64Array[];
  /** value -> how many times it was recorded. */
  repeated: Map<number, number>;
  /** All values in ascending order, built on the first percentile query and dropped on the next write. */
  sorted?: Float64Array;
}

/** A statistic as GetMetricData and alarms accept it. */
export type Statistic =
  | { kind: 'Sum' | 'SampleCount' | 'Average' | 'Minimum' | 'Maximum' }
  | { kind: 'percentile'; percentile: number };

const SIMPLE_STATISTICS = new Set(['Sum', 'SampleCount', 'Average', 'Minimum', 'Maximum']);

/**
 * Parses `Sum`, `SampleCount`, `Average`, `Minimum`, `Maximum`, `p99`, `p99.9`; undefined for anything
 * else (the caller knows which parameter to blame).
 */
export function parseStatistic(stat: string): Statistic | undefined {
  if (SIMPLE_STATISTICS.has(stat)) return { kind: stat as 'Sum' };
  const match = /^p(\d{1,2}(?:\.\d+)?|100)$/.exec(stat);
  if (!match) return undefined;
  return { kind: 'percentile', percentile: Number(match[1]) };
}

/** An empty aggregate, ready to record into. */
export function emptyAggregate(): MinuteAggregate {
  return { sum: 0, count: 0, min: Infinity, max: -Infinity, sampleChunks: [], repeated: new Map() };
}

/**
 * The statistic over a period made of the given minutes; undefined when the period has no samples
 * (CloudWatch returns no datapoint rather than 0). Percentiles are nearest-rank.
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
    case 'Sum':
      return sum;
    case 'SampleCount':
      return count;
    case 'Average':
      return sum / count;
    case 'Minimum':
      return min;
    case 'Maximum':
      return max;
    case 'percentile': {
      const sorted = minutes.length === 1 ? sortedValues(minutes[0]) : mergeSorted(minutes.map(sortedValues));
      const rank = Math.min(sorted.length, Math.max(1, Math.ceil((stat.percentile / 100) * sorted.length)));
      return sorted[rank - 1];
    }
  }
}

function sortedValues(minute: MinuteAggregate): Float64Array {
  if (minute.sorted) return minute.sorted;
  const values = new Float64Array(minute.count);
  let at = 0;
  for (const chunk of minute.sampleChunks) {
    values.set(chunk, at);
    at += chunk.length;
  }
  for (const [value, times] of minute.repeated) {
    values.fill(value, at, at + times);
    at += times;
  }
  minute.sorted = values.sort();
  return minute.sorted;
}

function mergeSorted(parts: Float64Array[]): Float64Array {
  const total = parts.reduce((n, part) => n + part.length, 0);
  const merged = new Float64Array(total);
  let at = 0;
  for (const part of parts) {
    merged.set(part, at);
    at += part.length;
  }
  return merged.sort();
}
