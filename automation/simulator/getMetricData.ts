import type { GetMetricDataCommandInput, GetMetricDataCommandOutput, MetricDataQuery } from "@aws-sdk/client-cloudwatch";
import { clientError } from "./errors";
import { worstStatus, type MetricStatusCode } from "./injectedFaults";
import type { Dimensions, MinuteDatapoint } from "./metricStore";
import {
    evaluateExpression,
    MetricMathError,
    parseExpression,
    referencedIds,
    type MathExpr,
    type MathValue,
    type Series,
} from "./metricMath";
import { computeStatistic, parseStatistic, type MinuteAggregate, type Statistic } from "./statistics";

/** Where GetMetricData reads from: the visible minutes of one exact series. */
export interface MetricSource {
    visibleMinutes(
        namespace: string,
        metricName: string,
        dimensions: Dimensions,
        fromMs: number,
        toMs: number,
        nowMs: number,
    ): MinuteDatapoint[];
}

/** A query after validation: either a metric statistic or a parsed expression. */
export type ParsedQuery =
    | {
          readonly id: string;
          readonly label: string;
          readonly returnData: boolean;
          readonly kind: "metric";
          readonly namespace: string;
          readonly metricName: string;
          readonly dimensions: Dimensions;
          readonly periodMs: number;
          readonly stat: Statistic;
      }
    | { readonly id: string; readonly label: string; readonly returnData: boolean; readonly kind: "expression"; readonly expr: MathExpr };

/** CloudWatch's limit on queries per GetMetricData call. */
export const MAX_QUERIES = 500;
const ID_PATTERN = /^[a-z][a-zA-Z0-9_]*$/;
const MINUTE_MS = 60_000;

const invalid = (message: string) => clientError("ValidationError", message);

/**
 * Validates GetMetricData queries as CloudWatch does, throwing a ValidationError that names the
 * offending query and parameter.
 */
export function parseMetricDataQueries(queries: readonly MetricDataQuery[] | undefined): ParsedQuery[] {
    if (!queries || queries.length === 0) throw invalid("The parameter MetricDataQueries is required and must not be empty.");
    if (queries.length > MAX_QUERIES) {
        throw invalid(`The collection MetricDataQueries must not have a size greater than ${MAX_QUERIES}; it has ${queries.length}.`);
    }
    const seen = new Set<string>();
    const parsed = queries.map((query, index): ParsedQuery => {
        const member = `MetricDataQueries.member.${index + 1}`;
        const id = query.Id ?? "";
        if (!ID_PATTERN.test(id)) {
            throw invalid(
                `The value '${id}' for parameter ${member}.Id is invalid: it must start with a lowercase letter and contain only letters, digits and underscores (^[a-z][a-zA-Z0-9_]*$).`,
            );
        }
        if (seen.has(id)) throw invalid(`The values for parameter id in MetricDataQueries are not unique: '${id}' appears more than once.`);
        seen.add(id);
        const returnData = query.ReturnData !== false;
        if ((query.MetricStat === undefined) === (query.Expression === undefined)) {
            throw invalid(`Exactly one of ${member}.MetricStat and ${member}.Expression must be specified (query '${id}').`);
        }
        if (query.Expression !== undefined) {
            try {
                return { id, label: query.Label ?? id, returnData, kind: "expression", expr: parseExpression(query.Expression) };
            } catch (error) {
                if (error instanceof MetricMathError) throw invalid(`Error in expression '${id}' (${query.Expression}): ${error.message}`);
                throw error;
            }
        }
        const stat = query.MetricStat!;
        const metric = stat.Metric;
        if (!metric?.Namespace || !metric.MetricName) {
            throw invalid(`${member}.MetricStat.Metric needs a Namespace and a MetricName (query '${id}').`);
        }
        const period = stat.Period;
        if (period === undefined || !Number.isInteger(period) || period <= 0 || period % 60 !== 0) {
            throw invalid(
                `The parameter ${member}.MetricStat.Period must be a positive multiple of 60 seconds for this data (query '${id}' has ${period}).`,
            );
        }
        const statistic = parseStatistic(stat.Stat ?? "");
        if (!statistic) {
            throw invalid(
                `The value '${stat.Stat}' for parameter ${member}.MetricStat.Stat is not supported: use Sum, SampleCount, Average, Minimum, Maximum or a percentile such as p99 or p99.9 (query '${id}').`,
            );
        }
        const dimensions: Record<string, string> = {};
        for (const dimension of metric.Dimensions ?? []) {
            if (!dimension.Name || dimension.Value === undefined)
                throw invalid(`${member}: every dimension needs a Name and a Value (query '${id}').`);
            if (dimension.Name in dimensions) throw invalid(`${member}: dimension '${dimension.Name}' is given twice (query '${id}').`);
            dimensions[dimension.Name] = dimension.Value;
        }
        return {
            id,
            label: query.Label ?? metric.MetricName,
            returnData,
            kind: "metric",
            namespace: metric.Namespace,
            metricName: metric.MetricName,
            dimensions,
            periodMs: period * 1000,
            stat: statistic,
        };
    });
    for (const query of parsed) {
        if (query.kind !== "expression") continue;
        for (const ref of referencedIds(query.expr)) {
            if (!seen.has(ref)) throw invalid(`Error in expression '${query.id}': unknown metric or expression id '${ref}'.`);
            if (ref === query.id) throw invalid(`Error in expression '${query.id}': it refers to itself.`);
        }
    }
    return parsed;
}

/**
 * Evaluates validated queries over [fromMs, toMs) as seen at `nowMs`: every query's series by id.
 * A minute's datapoint counts when its timestamp is in the range; periods are aligned to the epoch and
 * timestamped at their start.
 */
export function evaluateQueries(
    source: MetricSource,
    queries: readonly ParsedQuery[],
    fromMs: number,
    toMs: number,
    nowMs: number,
): Map<string, Series> {
    const values = new Map<string, MathValue>();
    const timestamps = new Set<number>();
    for (const query of queries) {
        if (query.kind !== "metric") continue;
        const series = statisticSeries(
            source.visibleMinutes(query.namespace, query.metricName, query.dimensions, fromMs, toMs, nowMs),
            query.periodMs,
            query.stat,
        );
        for (const ts of series.keys()) timestamps.add(ts);
        values.set(query.id, series);
    }
    const allTimestamps = [...timestamps].sort((a, b) => a - b);
    const rangeTimestamps = periodsOf(queries, fromMs, toMs);
    const byId = new Map(queries.map((query) => [query.id, query]));
    const inProgress = new Set<string>();
    const resolve = (id: string): MathValue => {
        const known = values.get(id);
        if (known !== undefined) return known;
        const query = byId.get(id);
        if (!query || query.kind !== "expression") throw invalid(`unknown id '${id}'`);
        if (inProgress.has(id)) throw invalid(`Error in expression '${id}': circular reference.`);
        inProgress.add(id);
        for (const ref of referencedIds(query.expr)) resolve(ref);
        let value: MathValue;
        try {
            value = evaluateExpression(query.expr, { values, allTimestamps, rangeTimestamps });
        } catch (error) {
            if (error instanceof MetricMathError) throw invalid(`Error in expression '${id}': ${error.message}`);
            throw error;
        }
        inProgress.delete(id);
        values.set(id, value);
        return value;
    };
    const result = new Map<string, Series>();
    for (const query of queries) {
        const value = resolve(query.id);
        if (Array.isArray(value))
            throw invalid(`Error in expression '${query.id}': the result must be a single time series, not an array.`);
        result.set(query.id, typeof value === "number" ? spread(value, allTimestamps) : (value as Series));
    }
    return result;
}

/** The periods of [fromMs, toMs) at the request's finest metric period (aligned to the epoch): what FILL fills. */
function periodsOf(queries: readonly ParsedQuery[], fromMs: number, toMs: number): number[] {
    const periods = queries.flatMap((q) => (q.kind === "metric" ? [q.periodMs] : []));
    const periodMs = periods.length > 0 ? Math.min(...periods) : 60_000;
    const out: number[] = [];
    for (let ts = Math.ceil(fromMs / periodMs) * periodMs; ts < toMs; ts += periodMs) out.push(ts);
    return out;
}

function spread(value: number, timestamps: readonly number[]): Series {
    return new Map(Number.isFinite(value) ? timestamps.map((ts) => [ts, value] as [number, number]) : []);
}

function statisticSeries(minutes: readonly MinuteDatapoint[], periodMs: number, stat: Statistic): Series {
    const byPeriod = new Map<number, MinuteAggregate[]>();
    for (const { minuteStartMs, aggregate } of minutes) {
        const periodStart = Math.floor(minuteStartMs / periodMs) * periodMs;
        const bucket = byPeriod.get(periodStart);
        if (bucket) bucket.push(aggregate);
        else byPeriod.set(periodStart, [aggregate]);
    }
    const series = new Map<number, number>();
    for (const [periodStart, aggregates] of byPeriod) {
        const value = computeStatistic(stat, aggregates);
        if (value !== undefined) series.set(periodStart, value);
    }
    return series;
}

function toMs(value: unknown, parameter: string): number {
    const ms =
        value instanceof Date ? value.getTime() : typeof value === "string" || typeof value === "number" ? new Date(value).getTime() : NaN;
    if (!Number.isFinite(ms)) throw invalid(`The parameter ${parameter} is required and must be a timestamp.`);
    return ms;
}

/** The status a metric query's results have now (undefined: Complete); see InjectedFaults.metricStatus. */
export type MetricStatusOf = (namespace: string, metricName: string, dimensions: Dimensions) => MetricStatusCode | undefined;

/**
 * The status of every query: a metric's from `statusOf`, an expression's the worst of the queries it
 * reads (an expression over a metric that could not be read cannot be computed either).
 */
function queryStatuses(queries: readonly ParsedQuery[], statusOf: MetricStatusOf): Map<string, MetricStatusCode | undefined> {
    const byId = new Map(queries.map((query) => [query.id, query]));
    const statuses = new Map<string, MetricStatusCode | undefined>();
    const resolve = (id: string, visiting: Set<string>): MetricStatusCode | undefined => {
        if (statuses.has(id)) return statuses.get(id);
        const query = byId.get(id);
        if (!query || visiting.has(id)) return undefined;
        visiting.add(id);
        const status =
            query.kind === "metric"
                ? statusOf(query.namespace, query.metricName, query.dimensions)
                : worstStatus(referencedIds(query.expr).map((ref) => resolve(ref, visiting)));
        statuses.set(id, status);
        return status;
    };
    for (const query of queries) resolve(query.id, new Set());
    return statuses;
}

/**
 * GetMetricData over a metric source at `nowMs`. StartTime is rounded down to the minute (as CloudWatch
 * does for recent data) and inclusive; EndTime is exclusive. Results are `Complete`, except those
 * `statusOf` degrades: they carry its StatusCode, a message saying why, no values and no NextToken. The
 * top-level Messages are about the call as a whole, as in AWS, so they stay empty.
 */
export function getMetricData(
    source: MetricSource,
    input: GetMetricDataCommandInput,
    nowMs: number,
    statusOf: MetricStatusOf = () => undefined,
): GetMetricDataCommandOutput {
    const queries = parseMetricDataQueries(input.MetricDataQueries);
    const startMs = Math.floor(toMs(input.StartTime, "StartTime") / MINUTE_MS) * MINUTE_MS;
    const endMs = toMs(input.EndTime, "EndTime");
    if (startMs >= endMs) throw invalid("The parameter StartTime must be less than the parameter EndTime.");
    if (input.ScanBy !== undefined && input.ScanBy !== "TimestampAscending" && input.ScanBy !== "TimestampDescending") {
        throw invalid(`The value '${input.ScanBy}' for parameter ScanBy is invalid: use TimestampAscending or TimestampDescending.`);
    }
    const series = evaluateQueries(source, queries, startMs, endMs, nowMs);
    const statuses = queryStatuses(queries, statusOf);
    const ascending = input.ScanBy === "TimestampAscending";
    return {
        MetricDataResults: queries
            .filter((query) => query.returnData)
            .map((query) => {
                const status = statuses.get(query.id);
                if (status !== undefined) {
                    return {
                        Id: query.id,
                        Label: query.label,
                        Timestamps: [],
                        Values: [],
                        StatusCode: status,
                        Messages: [{ Code: status, Value: STATUS_MESSAGES[status] }],
                    };
                }
                const points = [...series.get(query.id)!];
                points.sort(([a], [b]) => (ascending ? a - b : b - a));
                return {
                    Id: query.id,
                    Label: query.label,
                    Timestamps: points.map(([ts]) => new Date(ts)),
                    Values: points.map(([, value]) => value),
                    StatusCode: "Complete" as const,
                };
            }),
        Messages: [],
        $metadata: {},
    };
}

const STATUS_MESSAGES: Record<MetricStatusCode, string> = {
    InternalError: "An internal error occurred while retrieving the data of this metric (simulated); retry the request.",
    Forbidden: "You are not authorized to read the data of this metric (simulated).",
    PartialData: "Only part of the data of this metric could be returned (simulated); no datapoints are included.",
};
