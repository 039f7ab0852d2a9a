/**
 * CloudWatch through @aws-sdk/client-cloudwatch: one batched GetMetricData per poll for every function and
 * both versions, and DescribeAlarms for the stack's alarms. The per-version series are read under the exact
 * dimension set `{FunctionName, Resource=<fn>:<alias>, ExecutedVersion}`: CloudWatch matches dimension sets
 * exactly, and whole-function metrics would dilute a canary with stable traffic.
 *
 * Every result's `StatusCode` is read (CloudWatch API Reference, MetricDataResult: `Complete` | `PartialData`,
 * more with `NextToken` | `InternalError` | `Forbidden`; GetMetricData's top-level `Messages` concern the whole
 * call): a series that is missing, failed, or partial with nothing more to page makes that function's
 * evidence `unreadable` for the poll, never zero errors.
 */
import {
    DescribeAlarmsCommand,
    GetMetricDataCommand,
    PutMetricDataCommand,
    type MetricDataQuery,
    type MetricDatum,
} from "@aws-sdk/client-cloudwatch";
import { aliasDimensions, versionDimensions } from "../../components/metricDimensions";
import type { EvidenceRequest, FunctionEvidence, MetricsSource, VersionEvidence } from "../rollout/ports";
import type { TrafficEstimate, TrafficTarget } from "../rollout/power";
import { awsCall } from "./awsError";
import type { SdkClient } from "../../domain/sdk";

/** GetMetricData takes at most 500 queries; each function needs at most this many (10 at 100%, 7 before). */
const QUERIES_PER_FUNCTION = 10;
const MAX_QUERIES = 500;

/** One query's answer: its points, in time order. */
export type Series = { timestamps: number[]; values: number[] };

const stat = (id: string, metricName: string, dimensions: Record<string, string>, statName: string, period = 60): MetricDataQuery => ({
    Id: id,
    MetricStat: {
        Metric: {
            Namespace: "AWS/Lambda",
            MetricName: metricName,
            Dimensions: Object.entries(dimensions).map(([Name, Value]) => ({ Name, Value })),
        },
        Period: period,
        Stat: statName,
    },
    ReturnData: true,
});

/** The window of recent traffic the power statement reads: the last day. */
export const RECENT_TRAFFIC_MS = 24 * 3600_000;

/** The queries for one function, ids prefixed `f<i>_`. */
export function evidenceQueries(i: number, r: EvidenceRequest): MetricDataQuery[] {
    const cand = versionDimensions(r.functionName, r.aliasName, r.candidateVersion);
    const stab = versionDimensions(r.functionName, r.aliasName, r.stableVersion);
    return [
        stat(`f${i}_c_inv`, "Invocations", cand, "Sum"),
        stat(`f${i}_c_err`, "Errors", cand, "Sum"),
        stat(`f${i}_c_p99`, "Duration", cand, "p99"),
        stat(`f${i}_s_inv`, "Invocations", stab, "Sum"),
        stat(`f${i}_s_err`, "Errors", stab, "Sum"),
        stat(`f${i}_thr`, "Throttles", aliasDimensions(r.functionName, r.aliasName), "Sum"),
        stat(`f${i}_dlq`, "DeadLetterErrors", { FunctionName: r.functionName }, "Sum"),
        ...(r.wholeAliasSinceMs === undefined
            ? []
            : [
                  stat(`f${i}_a_inv`, "Invocations", aliasDimensions(r.functionName, r.aliasName), "Sum"),
                  stat(`f${i}_a_err`, "Errors", aliasDimensions(r.functionName, r.aliasName), "Sum"),
                  stat(`f${i}_a_p99`, "Duration", aliasDimensions(r.functionName, r.aliasName), "p99"),
              ]),
    ];
}

/**
 * The candidate's series with the alias-level minutes from `sinceMs` on that it lacks (pure): at 100% without a
 * split every call through the alias ran the candidate, so where Lambda published no ExecutedVersion point the
 * alias's point is the candidate's. Minutes the candidate's own series has are kept as they are.
 */
export function withAliasMinutes(candidate: Series | undefined, alias: Series | undefined, sinceMs: number): Series | undefined {
    if (!alias) return candidate;
    const own = new Set(candidate?.timestamps ?? []);
    const added = alias.timestamps.flatMap((t, k) => (t >= sinceMs && !own.has(t) ? [[t, alias.values[k]] as const] : []));
    if (added.length === 0) return candidate;
    const merged = [...(candidate?.timestamps ?? []).map((t, k) => [t, candidate!.values[k]] as const), ...added].sort(
        (a, b) => a[0] - b[0],
    );
    return { timestamps: merged.map(([t]) => t), values: merged.map(([, v]) => v) };
}

/** The metric a query id reads, for messages: `f0_c_err` -> "candidate Errors". */
function metricOf(id: string): string {
    const names: Record<string, string> = {
        c_inv: "candidate Invocations",
        c_err: "candidate Errors",
        c_p99: "candidate Duration p99",
        s_inv: "stable Invocations",
        s_err: "stable Errors",
        thr: "alias Throttles",
        a_inv: "alias Invocations",
        inv: "alias Invocations",
        err: "alias Errors",
        a_err: "alias Errors",
        a_p99: "alias Duration p99",
        dlq: "DeadLetterErrors",
    };
    return names[id.replace(/^[ft]\d+_/, "")] ?? id;
}

function resultProblem(id: string, status: string, messages?: { Code?: string; Value?: string }[]): string {
    const detail = (messages ?? [])
        .map((m) => m.Value ?? m.Code)
        .filter(Boolean)
        .join(", ");
    return `${metricOf(id)}: ${status}${detail ? ` (${detail})` : ""}`;
}

const sum = (s?: Series) => (s ? s.values.reduce((a, b) => a + b, 0) : 0);

/**
 * A version's evidence, over the minutes that have arrived whole (pure). Lambda publishes Errors (0 when none
 * failed) and Duration for every minute with invocations, but each series reaches CloudWatch on its own delay: a
 * minute whose Invocations point is visible and whose Errors (or, for the candidate, Duration) point is not yet is
 * still filling, and is left out of this poll rather than read as a minute without errors.
 */
export function versionEvidence(inv?: Series, err?: Series, p99?: Series, requireDuration = false): VersionEvidence {
    const has = (s: Series | undefined) => new Set(s?.timestamps ?? []);
    const errs = has(err);
    const durations = has(p99);
    const whole = (inv?.timestamps ?? [])
        .map((t, k) => ({ t, k }))
        .filter(({ t }) => errs.has(t) && (!requireDuration || durations.has(t)));
    const minutes = whole.map(({ t }) => t);
    const invocationsByMinute = whole.map(({ k }) => inv!.values[k]);
    const at = (s: Series | undefined, t: number) => {
        const i = s ? s.timestamps.indexOf(t) : -1;
        return i >= 0 ? s!.values[i] : 0;
    };
    const errorsByMinute = minutes.map((t) => at(err, t));
    return {
        invocations: invocationsByMinute.reduce((a, b) => a + b, 0),
        errors: errorsByMinute.reduce((a, b) => a + b, 0),
        // Aligned with `minutes`, so a step's latency check reads only its own.
        p99ByMinute: p99 ? minutes.map((t) => at(p99, t)) : [],
        minutes,
        invocationsByMinute,
        errorsByMinute,
    };
}

/** {@link MetricsSource} over CloudWatch. */
export class CloudWatchAdapter implements MetricsSource {
    constructor(private readonly client: SdkClient) {}

    async evidence(requests: EvidenceRequest[], start: Date, end: Date): Promise<Record<string, FunctionEvidence>> {
        const perCall = Math.floor(MAX_QUERIES / QUERIES_PER_FUNCTION);
        const series = new Map<string, Series>();
        /** Query ids whose result was not whole: id -> why. */
        const problems = new Map<string, string>();
        for (let from = 0; from < requests.length; from += perCall) {
            const queries = requests.slice(from, from + perCall).flatMap((r, j) => evidenceQueries(from + j, r));
            let nextToken: string | undefined;
            const partial = new Set<string>();
            do {
                const out = await awsCall("GetMetricData", () =>
                    this.client.send(
                        new GetMetricDataCommand({
                            MetricDataQueries: queries,
                            StartTime: start,
                            EndTime: end,
                            ScanBy: "TimestampAscending",
                            NextToken: nextToken,
                        }),
                    ),
                );
                // Messages for the whole call (e.g. a limit exceeded) leave every result of this call in doubt.
                const callMessages = (out.Messages ?? []).map((m: { Code?: string; Value?: string }) => m.Code ?? m.Value ?? "message");
                for (const r of out.MetricDataResults ?? []) {
                    const s = series.get(r.Id) ?? { timestamps: [], values: [] };
                    s.timestamps.push(...(r.Timestamps ?? []).map((t: Date) => new Date(t).getTime()));
                    s.values.push(...(r.Values ?? []));
                    series.set(r.Id, s);
                    const status: string = r.StatusCode ?? "Complete";
                    if (status === "PartialData") partial.add(r.Id);
                    else if (status === "Complete") partial.delete(r.Id);
                    else problems.set(r.Id, resultProblem(r.Id, status, r.Messages));
                }
                if (callMessages.length > 0) {
                    for (const q of queries) problems.set(q.Id!, `GetMetricData answered ${callMessages.join(", ")}`);
                }
                nextToken = out.NextToken;
            } while (nextToken);
            // PartialData with no NextToken left: CloudWatch had more than it gave, and there is no way to get it.
            for (const id of partial) problems.set(id, `${metricOf(id)}: PartialData with nothing more to page`);
            for (const q of queries) {
                if (!series.has(q.Id!) && !problems.has(q.Id!)) problems.set(q.Id!, `${metricOf(q.Id!)}: no result in the answer`);
            }
        }
        return Object.fromEntries(
            requests.map((r, i) => {
                const own = (suffix: string) => series.get(`f${i}_${suffix}`);
                // At 100% without a split, the alias's minutes stand in for the candidate's missing ExecutedVersion ones.
                const get = (suffix: string) =>
                    r.wholeAliasSinceMs !== undefined && suffix.startsWith("c_")
                        ? withAliasMinutes(own(suffix), own(`a_${suffix.slice(2)}`), r.wholeAliasSinceMs)
                        : own(suffix);
                const mine = [...problems.entries()].filter(([id]) => id.startsWith(`f${i}_`)).map(([, why]) => why);
                return [
                    r.key,
                    {
                        candidate: versionEvidence(get("c_inv"), get("c_err"), get("c_p99"), true),
                        stable: versionEvidence(get("s_inv"), get("s_err")),
                        aliasThrottles: sum(get("thr")),
                        throttlesByMinute: { minutes: get("thr")?.timestamps ?? [], counts: get("thr")?.values ?? [] },
                        deadLetterErrors: sum(get("dlq")),
                        ...(mine.length > 0 ? { unreadable: [...new Set(mine)].join("; ") } : {}),
                    },
                ];
            }),
        );
    }

    /**
     * Each function's traffic through its alias over the last day before `now` (power.ts's RecentTraffic):
     * hourly sums of Invocations and Errors, averaged over the whole day (a quiet hour counts as quiet). A series
     * that is not whole leaves that function unreadable.
     */
    async recentTraffic(targets: readonly TrafficTarget[], now: Date): Promise<Record<string, TrafficEstimate | { unreadable: string }>> {
        const perCall = Math.floor(MAX_QUERIES / 2);
        const out: Record<string, TrafficEstimate | { unreadable: string }> = {};
        for (let from = 0; from < targets.length; from += perCall) {
            const batch = targets.slice(from, from + perCall);
            const queries = batch.flatMap((t, j) => [
                stat(`t${j}_inv`, "Invocations", aliasDimensions(t.functionName, t.aliasName), "Sum", 3600),
                stat(`t${j}_err`, "Errors", aliasDimensions(t.functionName, t.aliasName), "Sum", 3600),
            ]);
            const sums = new Map<string, number>();
            const problems = new Map<string, string>();
            let nextToken: string | undefined;
            do {
                const answer = await awsCall("GetMetricData", () =>
                    this.client.send(
                        new GetMetricDataCommand({
                            MetricDataQueries: queries,
                            StartTime: new Date(now.getTime() - RECENT_TRAFFIC_MS),
                            EndTime: now,
                            NextToken: nextToken,
                        }),
                    ),
                );
                for (const r of answer.MetricDataResults ?? []) {
                    sums.set(r.Id, (sums.get(r.Id) ?? 0) + (r.Values ?? []).reduce((a: number, b: number) => a + b, 0));
                    const status: string = r.StatusCode ?? "Complete";
                    if (status !== "Complete" && status !== "PartialData") problems.set(r.Id, resultProblem(r.Id, status, r.Messages));
                }
                nextToken = answer.NextToken;
            } while (nextToken);
            batch.forEach((t, j) => {
                const problem = problems.get(`t${j}_inv`) ?? problems.get(`t${j}_err`);
                const invocations = sums.get(`t${j}_inv`) ?? 0;
                const errors = sums.get(`t${j}_err`) ?? 0;
                out[t.key] = problem
                    ? { unreadable: problem }
                    : {
                          requestsPerMinute: invocations / (RECENT_TRAFFIC_MS / 60_000),
                          stableErrorRate: invocations > 0 ? errors / invocations : 0,
                          source: "CloudWatch, the last day through the alias",
                      };
            });
        }
        return out;
    }

    async alarmStates(alarmNames: string[]): Promise<Record<string, "OK" | "ALARM" | "INSUFFICIENT_DATA">> {
        const states: Record<string, "OK" | "ALARM" | "INSUFFICIENT_DATA"> = {};
        for (let from = 0; from < alarmNames.length; from += 100) {
            let nextToken: string | undefined;
            do {
                const out = await awsCall("DescribeAlarms", () =>
                    this.client.send(
                        new DescribeAlarmsCommand({
                            AlarmNames: alarmNames.slice(from, from + 100),
                            AlarmTypes: ["MetricAlarm", "CompositeAlarm"],
                            NextToken: nextToken,
                        }),
                    ),
                );
                for (const a of [...(out.MetricAlarms ?? []), ...(out.CompositeAlarms ?? [])]) {
                    states[a.AlarmName] = a.StateValue;
                }
                nextToken = out.NextToken;
            } while (nextToken);
        }
        return states;
    }
}

/** PutMetricData takes at most 1000 data per call. */
const PUT_LIMIT = 1000;

/** Puts custom metrics (the deployment metrics), in calls of at most {@link PUT_LIMIT} data. */
export async function putMetricData(cloudWatch: SdkClient, namespace: string, data: readonly MetricDatum[]): Promise<void> {
    for (let i = 0; i < data.length; i += PUT_LIMIT) {
        const MetricData = data.slice(i, i + PUT_LIMIT);
        await awsCall("PutMetricData", () => cloudWatch.send(new PutMetricDataCommand({ Namespace: namespace, MetricData })));
    }
}
