/**
 * The rows the charts of one rollout plot, made from its report (pure): the weight over time, the steps as
 * bands, every marker (decision, operator, hook, approval wait, alarm, interrupt) with its reason, and each
 * function's per-minute and per-poll series. The charts read these rows only, never the report itself.
 */
import type { RolloutReport, StepRecord } from "../rollout/report";
import type { FunctionSeries } from "../rollout/series";

/**
 * What the charts draw of one stack's run: a promote's (or a rollback's) report, or, once multi-region
 * releases exist, one stack of a wave (`waves[].stacks[]`, which carries the same fields).
 */
export type StackRun = Pick<RolloutReport, "stack" | "functions" | "steps"> & {
    /** A rollout's outcome, or `not-started`: a stack of a release that never moved it. */
    readonly outcome: RolloutReport["outcome"] | "not-started";
} & Partial<
        Pick<
            RolloutReport,
            | "strategy"
            | "startedAt"
            | "series"
            | "decisionAtMinute"
            | "durationMinutes"
            | "stableAtMinute"
            | "rollbackPath"
            | "operator"
            | "hooks"
            | "interrupt"
            | "incident"
            | "error"
        >
    >;

/** A step as a band on the time axis. */
export interface StepBand {
    readonly from: number;
    readonly to: number;
    readonly label: string;
    readonly verdict: StepRecord["verdict"];
    /** Step, weight, verdict and reason, for hovering. */
    readonly text: string;
}

/** Something that happened at a minute, with what it was and why. */
export interface Marker {
    readonly minute: number;
    readonly kind: "decision" | "stable" | "operator" | "hook" | "approval" | "alarm" | "interrupt" | "incident";
    /** A few words under the marker. */
    readonly label: string;
    /** The whole reason, shown on hover and in the table. */
    readonly text: string;
    /** The function it concerns, when one. */
    readonly function?: string;
}

const pct = (w: number) => `${Math.round(w * 1000) / 10}%`;
const round = (n: number, places = 2) => Math.round(n * 10 ** places) / 10 ** places;

/** The minutes the charts span: from the earliest datum (or 0) to the end of the run, the same for every chart. */
export function timeDomain(run: StackRun): [number, number] {
    const s = run.series;
    const firsts = [0, ...Object.values(s?.functions ?? {}).map((f) => f.minutes.minute[0] ?? 0)];
    const lasts = [
        run.durationMinutes ?? 0,
        ...(run.steps.map((x) => x.endedAtMinute) ?? []),
        s?.polls.minute.at(-1) ?? 0,
        ...Object.values(s?.functions ?? {}).map((f) => (f.minutes.minute.at(-1) ?? 0) + 1),
    ];
    const from = Math.floor(Math.min(...firsts));
    const to = Math.ceil(Math.max(...lasts, from + 1));
    return [from, to];
}

/** The steps as bands, labelled with their weight. */
export function stepBands(run: StackRun): StepBand[] {
    return run.steps.map((s, i) => ({
        from: s.startedAtMinute,
        to: Math.max(s.endedAtMinute, s.startedAtMinute),
        label: pct(s.weight),
        verdict: s.verdict,
        text: `step ${i + 1} at ${pct(s.weight)}, minute ${s.startedAtMinute} to ${s.endedAtMinute}: ${s.verdict}${s.cause ? ` (${s.cause})` : ""}: ${s.reason}`,
    }));
}

/**
 * The candidate's share of traffic over time (percent), as steps: each step's weight from its start; after the
 * last one, 0 from when traffic was back on stable after a rollback or an abort, else the last weight to the end.
 */
export function weightLine(run: StackRun): { minute: number; percent: number }[] {
    const points: { minute: number; percent: number }[] = [{ minute: Math.min(0, run.steps[0]?.startedAtMinute ?? 0), percent: 0 }];
    for (const s of run.steps) points.push({ minute: s.startedAtMinute, percent: round(s.weight * 100, 1) });
    const end = run.durationMinutes ?? run.steps.at(-1)?.endedAtMinute ?? 0;
    const last = points.at(-1)!;
    if ((run.outcome === "rolled-back" || run.outcome === "aborted") && run.steps.length > 0) {
        points.push({ minute: run.stableAtMinute ?? run.decisionAtMinute ?? end, percent: 0 });
    } else if (run.outcome === "promoted" && last.percent !== 100) {
        points.push({ minute: run.decisionAtMinute ?? end, percent: 100 });
    }
    points.push({ minute: Math.max(end, points.at(-1)!.minute), percent: points.at(-1)!.percent });
    return points;
}

/** The deciding step: the last failed one, else the last one. */
export function decidingStep(run: StackRun): StepRecord | undefined {
    return [...run.steps].reverse().find((s) => s.verdict === "failed") ?? run.steps.at(-1);
}

/** Every marker of the run, in time order. */
export function markers(run: StackRun): Marker[] {
    const out: Marker[] = [];
    const decided = decidingStep(run);
    if (run.decisionAtMinute !== null && run.decisionAtMinute !== undefined && run.outcome !== "nothing-to-do") {
        const why = run.outcome === "promoted" ? "the last bake passed" : (decided?.reason ?? run.error ?? run.outcome);
        out.push({
            minute: run.decisionAtMinute,
            kind: "decision",
            label: `${run.outcome.replace("-", " ")}${decided?.cause && run.outcome !== "promoted" ? ` (${decided.cause})` : ""}`,
            text: `decided: ${run.outcome} at minute ${run.decisionAtMinute}: ${why}`,
            ...(decided?.function ? { function: decided.function } : {}),
        });
    }
    if (run.stableAtMinute !== undefined) {
        out.push({
            minute: run.stableAtMinute,
            kind: "stable",
            label: "on stable",
            text: `all traffic back on stable at minute ${run.stableAtMinute}${run.rollbackPath ? ` (through ${run.rollbackPath})` : ""}`,
        });
    }
    for (const o of run.operator ?? []) {
        out.push({
            minute: o.atMinute,
            kind: "operator",
            label: o.action,
            text: `${o.action} by ${o.by ?? "an operator"}${o.reason ? `: ${o.reason}` : ""}`,
        });
    }
    for (const h of run.hooks ?? []) {
        out.push({
            minute: h.atMinute,
            kind: "hook",
            label: `hook ${h.outcome}`,
            text: `${h.point} hook ${h.name} ${h.outcome} (${h.attempts} attempt${h.attempts === 1 ? "" : "s"}, ${h.durationMs} ms)${h.output ? `: ${h.output}` : ""}`,
        });
    }
    for (const w of run.series?.approvalWaits ?? []) {
        out.push({
            minute: w.fromMinute,
            kind: "approval",
            label: "awaiting approval",
            text: `step ${w.step} (${pct(w.weight)}) waiting for approval from minute ${w.fromMinute}${w.toMinute === undefined ? "" : ` to ${w.toMinute}`}`,
        });
    }
    for (const [name, fn] of Object.entries(run.series?.functions ?? {})) {
        for (const a of fn.alarms ?? []) {
            out.push({ minute: a.minute, kind: "alarm", label: "alarm", text: `${name}: alarm ${a.name} in ALARM`, function: name });
        }
    }
    if (run.interrupt) {
        out.push({
            minute: run.decisionAtMinute ?? run.durationMinutes ?? 0,
            kind: "interrupt",
            label: run.interrupt,
            text: `interrupted by ${run.interrupt}`,
        });
    }
    if (run.incident) {
        out.push({ minute: run.incident.atMinute, kind: "incident", label: "incident", text: `INCIDENT: ${run.incident.reason}` });
    }
    // At one minute the decision is drawn last, on top.
    return out.sort((a, b) => a.minute - b.minute || Number(a.kind === "decision") - Number(b.kind === "decision"));
}

/** One version's error rate in one minute. */
export interface ErrorRateRow {
    readonly minute: number;
    readonly series: string;
    readonly percent: number;
    readonly errors: number;
    readonly invocations: number;
}

/**
 * Each version's error rate per CloudWatch minute (percent), plotted at the minute's middle; a minute without
 * invocations has no rate (it is not 0%).
 */
export function errorRateRows(fn: FunctionSeries, names: { candidate: string; stable: string }): ErrorRateRow[] {
    const m = fn.minutes;
    const rows: ErrorRateRow[] = [];
    m.minute.forEach((minute, i) => {
        const add = (series: string, n: number | null, e: number | null) => {
            if (n && n > 0 && e !== null)
                rows.push({ minute: round(minute + 0.5), series, percent: round((100 * e) / n, 3), errors: e, invocations: n });
        };
        add(names.candidate, m.candidateInvocations[i], m.candidateErrors[i]);
        add(names.stable, m.stableInvocations[i], m.stableErrors[i]);
    });
    return rows;
}

/** A per-poll statistic (null where the poll had no evidence) as rows. */
export function pollRows(
    minutes: number[],
    values: (number | null)[],
    verdicts: string[],
): { minute: number; value: number; verdict: string }[] {
    return minutes.flatMap((minute, i) =>
        values[i] === null || values[i] === undefined ? [] : [{ minute, value: values[i]!, verdict: verdicts[i] }],
    );
}

/** A per-minute column as rows at each minute's middle, leaving out minutes without a value. */
export function minuteRows(fn: FunctionSeries, column: "candidateP99Ms" | "throttles"): { minute: number; value: number }[] {
    return fn.minutes.minute.flatMap((minute, i) => {
        const v = fn.minutes[column][i];
        return v === null || v === undefined ? [] : [{ minute: round(minute + 0.5), value: v }];
    });
}
