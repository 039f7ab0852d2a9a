/**
 * The evidence a rollout's charts are drawn from (docs/design.md, "Report series"): per CloudWatch minute, what
 * each version served and how it failed; per poll of the gates, the weight, the verdict and the statistics the
 * error tests compared with their thresholds. The bake hands each poll to the report's recorder, which folds it
 * in here. Columns (one array per field) keep the JSON small, and every array is bounded by
 * {@link MAX_SERIES_ROWS}, so a report stays a few hundred kilobytes whatever the rollout's length. Pure.
 */
import type { GatePolicy } from "../../config/stackConfig";
import { gateAlphas, perFunction, type GateResult } from "./assess";
import type { FunctionEvidence } from "./ports";
import { boundary } from "./sequential";

/** The most rows any array of a series keeps (12 hours of one-minute polls); older rows are dropped first. */
export const MAX_SERIES_ROWS = 720;

/** What one poll of a bake read and decided, as the bake hands it to the recorder. */
export interface PollSample {
    /** When the poll read the evidence (epoch ms). */
    readonly atMs: number;
    /** The candidate's share of traffic the step was baking at (0-1). */
    readonly weight: number;
    /** The functions the gates judged (the rollout's targets). */
    readonly functions: readonly string[];
    readonly gates: GatePolicy;
    /** The evidence since the rollout's first bake, per function; undefined when CloudWatch could not be read. */
    readonly evidence?: Record<string, FunctionEvidence>;
    /** Alarms in ALARM per function, when their states could be read. */
    readonly alarmsInAlarm?: Record<string, string[]>;
    readonly result: GateResult;
}

/** The limits and thresholds the charts draw as lines: the gate's, as it applied them to each function. */
export interface SeriesLimits {
    readonly maxErrorRatePercent: number;
    readonly maxErrorRateIncreasePercent: number;
    readonly maxP99Ms: number;
    /** ln(1/alpha) of the same-minute comparison with stable: the test fails the candidate at or above it. */
    readonly sameMinuteLogRatio: number;
    /** ln(1/alpha) of the comparison with stable's history included (the e-process); absent in reports made before it. */
    readonly historyLogRatio?: number;
}

/** One row per CloudWatch minute, oldest first; null where CloudWatch had no point for that minute. */
export interface MinuteColumns {
    /** The minute's start, in minutes since the run began (CloudWatch's minutes need not align with it). */
    minute: number[];
    candidateInvocations: (number | null)[];
    candidateErrors: (number | null)[];
    /** The candidate's p99 Duration in that minute, ms. */
    candidateP99Ms: (number | null)[];
    stableInvocations: (number | null)[];
    stableErrors: (number | null)[];
    /** Throttles through the alias (Lambda does not publish them per version). */
    throttles: (number | null)[];
}

/** One function's series. */
export interface FunctionSeries {
    minutes: MinuteColumns;
    /** Per poll, aligned with {@link RolloutSeries.polls}: the candidate's always-valid lower bound, percent; null without evidence. */
    lowerBoundPercent: (number | null)[];
    /** Per poll: ln of the same-minute likelihood ratio against stable; null without evidence or before a shared minute. */
    sameMinuteLogRatio: (number | null)[];
    /**
     * Per poll: ln of the e-process comparing the candidate with stable's history before the rollout and its
     * minutes since; null without evidence or history. Absent in reports made before it.
     */
    historyLogRatio?: (number | null)[];
    /** Each alarm seen in ALARM, at the first poll that saw it. */
    alarms?: { minute: number; name: string }[];
}

/** One row per poll of the gates, oldest first. */
export interface PollColumns {
    /** When the poll read the evidence, minutes since the run began. */
    minute: number[];
    weight: number[];
    /** The gates' verdict at that poll: baking, extended, passed, failed or inconclusive. */
    verdict: string[];
}

/** The series of one run's report. */
export interface RolloutSeries {
    /** Absent until the first poll (a run that only waited for approval has none). */
    limits?: SeriesLimits;
    polls: PollColumns;
    functions: Record<string, FunctionSeries>;
    /** Each wait for approval: from when, until when (absent while it lasts), at which step and weight. */
    approvalWaits?: { step: number; weight: number; fromMinute: number; toMinute?: number }[];
    /** Set when rows were dropped to stay within {@link MAX_SERIES_ROWS}: from this minute on, every array is whole. */
    truncatedBeforeMinute?: number;
}

const round = (n: number, places: number) => Math.round(n * 10 ** places) / 10 ** places;

/** The limits the gates applied to each of `n` functions (their false-rollback budget is split between them). */
export function seriesLimits(gates: GatePolicy, n: number): SeriesLimits {
    const share = perFunction({ gates, bakeSeconds: 0, elapsedSeconds: 0 }, Math.max(1, n)).gates;
    return {
        maxErrorRatePercent: gates.maxErrorRatePercent,
        maxErrorRateIncreasePercent: gates.maxErrorRateIncreasePercent,
        maxP99Ms: gates.maxP99Ms,
        sameMinuteLogRatio: round(boundary(gateAlphas(share).sameMinute), 2),
        historyLogRatio: round(boundary(gateAlphas(share).history), 2),
    };
}

/**
 * The series with one more poll folded in (pure): the poll's row, and each function's minutes as this poll
 * read them (a late minute read again replaces what an earlier poll saw of it). `minute` is the run's minute
 * at the poll; `startedAtMs` the run's start, which places CloudWatch's minutes on the run's axis.
 */
export function recordPoll(series: RolloutSeries | undefined, sample: PollSample, minute: number, startedAtMs: number): RolloutSeries {
    const next: RolloutSeries = series ? structuredClone(series) : emptySeries(sample);
    next.limits = seriesLimits(sample.gates, sample.functions.length);
    const pollIndex = next.polls.minute.length;
    next.polls.minute.push(minute);
    next.polls.weight.push(sample.weight);
    next.polls.verdict.push(sample.result.verdict);
    for (const key of sample.functions) {
        const fn = (next.functions[key] ??= emptyFunction(pollIndex));
        const numbers = sample.result.numbers[key];
        const ev = sample.evidence?.[key];
        const read = ev !== undefined && !ev.unreadable;
        fn.lowerBoundPercent.push(read && numbers ? numbers.candidateErrorRateLowerPercent : null);
        fn.sameMinuteLogRatio.push(read && numbers?.sameMinuteLogRatio !== undefined ? numbers.sameMinuteLogRatio : null);
        (fn.historyLogRatio ??= pad([], pollIndex)).push(read && numbers?.historyLogRatio !== undefined ? numbers.historyLogRatio : null);
        if (read) fn.minutes = mergeMinutes(fn.minutes, minuteRows(ev, startedAtMs));
        for (const name of sample.alarmsInAlarm?.[key] ?? []) {
            if (!fn.alarms?.some((a) => a.name === name)) (fn.alarms ??= []).push({ minute, name });
        }
    }
    // A function the gates did not judge this poll keeps its columns aligned with the polls.
    for (const fn of Object.values(next.functions)) alignPolls(fn, next.polls.minute.length);
    return bounded(next);
}

/** A wait for approval began (`waiting` set) or ended (unset) at `minute` (pure); the series is made if there is none. */
export function recordApprovalWait(
    series: RolloutSeries | undefined,
    waiting: { step: number; weight: number; sinceMinute: number } | undefined,
    minute: number,
): RolloutSeries | undefined {
    const open = series?.approvalWaits?.find((w) => w.toMinute === undefined);
    if (!waiting && !open) return series;
    if (waiting && open?.step === waiting.step && open.fromMinute === waiting.sinceMinute) return series;
    const next: RolloutSeries = series ? structuredClone(series) : { polls: emptyPolls(), functions: {} };
    const stillOpen = next.approvalWaits?.find((w) => w.toMinute === undefined);
    if (stillOpen) stillOpen.toMinute = minute;
    if (waiting) (next.approvalWaits ??= []).push({ step: waiting.step, weight: waiting.weight, fromMinute: waiting.sinceMinute });
    return next;
}

/**
 * The series of a run resumed by a second process, on one axis (pure): the second run's minutes shifted by
 * `offset` (the minute of the first run at which the second began) after the first run's.
 */
export function resumedSeries(
    first: RolloutSeries | undefined,
    second: RolloutSeries | undefined,
    offset: number,
): RolloutSeries | undefined {
    if (!second) return first;
    const shift = (m: number) => round(m + offset, 2);
    const moved: RolloutSeries = structuredClone(second);
    moved.polls.minute = moved.polls.minute.map(shift);
    // A key left out stays out (never `undefined`): the report file must read back as the report.
    for (const fn of Object.values(moved.functions)) {
        fn.minutes.minute = fn.minutes.minute.map(shift);
        if (fn.alarms) fn.alarms = fn.alarms.map((a) => ({ ...a, minute: shift(a.minute) }));
    }
    if (moved.approvalWaits)
        moved.approvalWaits = moved.approvalWaits.map((w) => ({
            ...w,
            fromMinute: shift(w.fromMinute),
            ...(w.toMinute === undefined ? {} : { toMinute: shift(w.toMinute) }),
        }));
    if (!first) return moved;
    const merged: RolloutSeries = structuredClone(first);
    merged.limits = moved.limits;
    const before = merged.polls.minute.length;
    merged.polls.minute.push(...moved.polls.minute);
    merged.polls.weight.push(...moved.polls.weight);
    merged.polls.verdict.push(...moved.polls.verdict);
    for (const [key, fn] of Object.entries(moved.functions)) {
        const into = (merged.functions[key] ??= emptyFunction(before));
        into.lowerBoundPercent.push(...fn.lowerBoundPercent);
        into.sameMinuteLogRatio.push(...fn.sameMinuteLogRatio);
        into.historyLogRatio = [
            ...pad(into.historyLogRatio ?? [], before),
            ...pad([...(fn.historyLogRatio ?? [])], fn.sameMinuteLogRatio.length),
        ];
        into.minutes = mergeMinutes(into.minutes, fn.minutes);
        if (fn.alarms) (into.alarms ??= []).push(...fn.alarms);
    }
    for (const fn of Object.values(merged.functions)) alignPolls(fn, merged.polls.minute.length);
    if (moved.approvalWaits) (merged.approvalWaits ??= []).push(...moved.approvalWaits);
    return bounded(merged);
}

function emptyPolls(): PollColumns {
    return { minute: [], weight: [], verdict: [] };
}

function emptySeries(sample: PollSample): RolloutSeries {
    return { limits: seriesLimits(sample.gates, sample.functions.length), polls: emptyPolls(), functions: {} };
}

function emptyMinutes(): MinuteColumns {
    return {
        minute: [],
        candidateInvocations: [],
        candidateErrors: [],
        candidateP99Ms: [],
        stableInvocations: [],
        stableErrors: [],
        throttles: [],
    };
}

/** A function first seen at poll `polls`: null for the polls before it. */
function emptyFunction(polls: number): FunctionSeries {
    return {
        minutes: emptyMinutes(),
        lowerBoundPercent: Array(polls).fill(null),
        sameMinuteLogRatio: Array(polls).fill(null),
        historyLogRatio: Array(polls).fill(null),
    };
}

type MinuteRow = Omit<{ [K in keyof MinuteColumns]: MinuteColumns[K][number] }, "minute">;
const FIELDS = ["candidateInvocations", "candidateErrors", "candidateP99Ms", "stableInvocations", "stableErrors", "throttles"] as const;

/** One poll's evidence of one function as minute rows, on the run's axis. */
function minuteRows(ev: FunctionEvidence, startedAtMs: number): MinuteColumns {
    const rows = new Map<number, MinuteRow>();
    const at = (t: number) => {
        const m = round((t - startedAtMs) / 60000, 2);
        let row = rows.get(m);
        if (!row) {
            row = Object.fromEntries(FIELDS.map((f) => [f, null])) as MinuteRow;
            rows.set(m, row);
        }
        return row;
    };
    ev.candidate.minutes.forEach((t, i) => {
        const row = at(t);
        row.candidateInvocations = ev.candidate.invocationsByMinute?.[i] ?? null;
        row.candidateErrors = ev.candidate.errorsByMinute?.[i] ?? null;
        const p99 = ev.candidate.p99ByMinute[i];
        row.candidateP99Ms = p99 === undefined ? null : Math.round(p99);
    });
    ev.stable.minutes.forEach((t, i) => {
        const row = at(t);
        row.stableInvocations = ev.stable.invocationsByMinute?.[i] ?? null;
        row.stableErrors = ev.stable.errorsByMinute?.[i] ?? null;
    });
    ev.throttlesByMinute?.minutes.forEach((t, i) => (at(t).throttles = ev.throttlesByMinute!.counts[i]));
    return toColumns(rows);
}

/** `later`'s rows over `earlier`'s: a field later has replaces the earlier value; one it lacks keeps it. */
function mergeMinutes(earlier: MinuteColumns, later: MinuteColumns): MinuteColumns {
    const rows = new Map<number, MinuteRow>();
    for (const cols of [earlier, later]) {
        cols.minute.forEach((m, i) => {
            const row = rows.get(m) ?? (Object.fromEntries(FIELDS.map((f) => [f, null])) as MinuteRow);
            for (const f of FIELDS) if (cols[f][i] !== null && cols[f][i] !== undefined) row[f] = cols[f][i];
            rows.set(m, row);
        });
    }
    return toColumns(rows);
}

function toColumns(rows: Map<number, MinuteRow>): MinuteColumns {
    const out = emptyMinutes();
    for (const m of [...rows.keys()].sort((a, b) => a - b)) {
        out.minute.push(m);
        for (const f of FIELDS) out[f].push(rows.get(m)![f]);
    }
    return out;
}

/** The series within {@link MAX_SERIES_ROWS} rows per array: the oldest rows dropped, and where it now starts said. */
function bounded(series: RolloutSeries): RolloutSeries {
    const dropPolls = Math.max(0, series.polls.minute.length - MAX_SERIES_ROWS);
    const cut: number[] = [];
    if (dropPolls > 0) {
        for (const k of ["minute", "weight", "verdict"] as const) series.polls[k].splice(0, dropPolls);
        for (const fn of Object.values(series.functions)) {
            fn.lowerBoundPercent.splice(0, dropPolls);
            fn.sameMinuteLogRatio.splice(0, dropPolls);
            fn.historyLogRatio?.splice(0, dropPolls);
        }
        cut.push(series.polls.minute[0]);
    }
    for (const fn of Object.values(series.functions)) {
        const drop = Math.max(0, fn.minutes.minute.length - MAX_SERIES_ROWS);
        if (drop === 0) continue;
        fn.minutes.minute.splice(0, drop);
        for (const f of FIELDS) fn.minutes[f].splice(0, drop);
        cut.push(fn.minutes.minute[0]);
    }
    if (cut.length > 0) series.truncatedBeforeMinute = Math.max(series.truncatedBeforeMinute ?? -Infinity, ...cut);
    return series;
}

/** `column` filled with nulls up to `length` rows. */
function pad(column: (number | null)[], length: number): (number | null)[] {
    while (column.length < length) column.push(null);
    return column;
}

/** A function's per-poll columns as long as the polls: a function the gates did not judge in a poll has nulls there. */
function alignPolls(fn: FunctionSeries, polls: number): void {
    pad(fn.lowerBoundPercent, polls);
    pad(fn.sameMinuteLogRatio, polls);
    if (fn.historyLogRatio) pad(fn.historyLogRatio, polls);
}
