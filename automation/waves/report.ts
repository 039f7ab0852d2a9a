/**
 * The release's report (the contract's names): today's fields, with the top-level `outcome` the release's, and
 * `waves: [{stacks: [{stack, outcome, functions, steps, ...}], outcome}]`, each stack's entry its own rollout
 * report (what `promote -s <stack>` would have written, the release's own actions on it added as steps). One
 * recorder owns it and shows every change to whoever keeps the record (the CLI's report file).
 *
 * The top-level `functions` are each stack's, keyed `<stack>/<function>`; the top-level `steps` are every stack's
 * steps on the release's time axis, each reason starting with its stack, so the deciding one (the failed step
 * that ended the release) reads as the release's reason.
 */
import type { Outcome, RolloutReport, StepRecord } from "../rollout/report";
import { mergeRuns } from "../rollout/runs";
import type { ReleaseCause } from "./decide";
import { planStacks, type WavePlan } from "./plan";
import type { StackStanding } from "./standing";

/** A stack's outcome in the release: a rollout's, or `not-started` (the release never moved it). */
export type StackOutcome = Outcome | "not-started";

/** One stack's entry in a wave: its rollout report. */
export type WaveStackRecord = Omit<RolloutReport, "outcome"> & { outcome: StackOutcome; note?: string };

/** A wave's outcome: its stacks', or `held` (rollback: wave kept it on the candidate after a later wave failed). */
export type WaveOutcome = Outcome | "not-started" | "in-progress";

/** The watch after a wave: from when, until when, and how it ended (on the release's minutes). */
export interface WatchRecord {
    fromMinute: number;
    toMinute: number;
    /** `watching` while it goes on (or in the report of a run that died in it). */
    verdict: "watching" | "passed" | "failed" | "stopped";
    reason: string;
}

/** One wave in the report. */
export interface WaveRecord {
    stacks: WaveStackRecord[];
    outcome: WaveOutcome;
    /** Why the wave is held or was put back, when the release decided it. */
    reason?: string;
    /** The watches of this wave's stacks before the next wave began. */
    watch?: WatchRecord[];
}

/** The release's own facts beside the waves. */
export interface ReleaseFacts {
    /** The wave plan's name (`--waves`). */
    plan: string;
    rollback: WavePlan["rollback"];
    concurrency: number;
    watchMinutes: number;
    /** The release the stacks' outputs carry. */
    version?: string;
    /** What ended the release, when something did. */
    cause?: ReleaseCause;
    /** Stacks kept on the candidate after the failure (rollback: wave). */
    held?: string[];
    /** With `--through-wave`: the last wave this run was to release. */
    throughWave?: number;
    /** The stacks whose promote this run is running now (a report read mid-run says what is moving). */
    moving?: string[];
}

/** The release's report. */
export type ReleaseReport = RolloutReport & { waves: WaveRecord[]; release: ReleaseFacts };

const round1 = (n: number) => Math.round(n * 10) / 10;
const minutesBetween = (fromIso: string | undefined, toIso: string | undefined) =>
    fromIso && toIso ? round1((Date.parse(toIso) - Date.parse(fromIso)) / 60_000) : 0;

/** The outcome a stack's standing amounts to in the report (under way and not moving in this run: held). */
export function standingOutcome(kind: StackStanding["kind"]): StackOutcome {
    if (kind === "promoted" || kind === "rolled-back" || kind === "aborted") return kind;
    if (kind === "not-started" || kind === "paused-before-start") return "not-started";
    return kind === "unreadable" ? "failed" : "held";
}

/** A stack's entry before the release moves it (or when an earlier run did), from its standing. */
export function entryFromStanding(standing: StackStanding, startedAt: string): WaveStackRecord {
    const outcome = standingOutcome(standing.kind);
    return {
        outcome,
        stack: standing.stack,
        strategy: "",
        startedAt,
        functions: {},
        steps: [],
        decisionAtMinute: null,
        durationMinutes: 0,
        note: `as its records said when this run began: ${standing.detail.join("; ")}`,
    };
}

/** One part of a stack's entry: one promote of it (or one action of the release on it), and whether its process died in it. */
export interface StackPart {
    readonly report: WaveStackRecord;
    /** The process died while this part was under way: when (ISO), how, and the candidate's weight then. */
    readonly died?: { readonly at: string; readonly how: string; readonly weight: number };
}

/**
 * A stack's parts as one entry (pure): each part a report of one promote of it (or one action of the release on
 * it), at its true minute from the first part's start (rehearsal/runs.ts's merge, which also marks where a process
 * died). A part that only restates what the records said is dropped once a real one exists.
 */
export function entryOf(parts: readonly StackPart[]): WaveStackRecord {
    const real = parts.filter((p) => p.report.note === undefined || p.report.steps.length > 0);
    const kept = real.length > 0 ? real : parts.slice(-1);
    if (kept.length === 1 && !kept[0].died) return kept[0].report;
    const origin = kept[0].report.startedAt;
    const merged = mergeRuns(
        kept.map((p) => ({
            report: p.report as RolloutReport,
            startedAtMinute: minutesBetween(origin, p.report.startedAt),
            ...(p.died ? { died: { atMinute: minutesBetween(origin, p.died.at), how: p.died.how, weight: p.died.weight } } : {}),
        })),
    );
    // The last part that decided is the entry's decision (a release that put a promoted stack back decided last).
    const deciding = [...kept].reverse().find((p) => p.report.decisionAtMinute !== null);
    const decisionAtMinute =
        deciding === undefined ? null : round1(deciding.report.decisionAtMinute! + minutesBetween(origin, deciding.report.startedAt));
    return { ...merged, decisionAtMinute, outcome: kept.at(-1)!.report.outcome };
}

/**
 * The reports of the release's runs as one (pure): a run killed (or that stopped after `--through-wave`) and the
 * run that went on from the records. Each stack's parts are merged at their true minutes, a stack a run was moving
 * when it died is marked so, and each run's watches keep their minutes on the first run's axis.
 */
export function mergeReleaseRuns(
    plan: WavePlan,
    runs: readonly {
        readonly report: ReleaseReport;
        /** The run's process died: when, how, and each stack's candidate weight then (as read from AWS). */
        readonly died?: { readonly at: string; readonly how: string; readonly weights?: Readonly<Record<string, number>> };
    }[],
): ReleaseReport {
    const first = runs[0].report;
    const last = runs.at(-1)!.report;
    const shift = (r: ReleaseReport) => minutesBetween(first.startedAt, r.startedAt);
    const entries = Object.fromEntries(
        planStacks(plan).map((stack) => [
            stack,
            entryOf(
                runs.map((run) => {
                    const entry = run.report.waves.flatMap((w) => w.stacks).find((e) => e.stack === stack)!;
                    const moving = run.died && run.report.release.moving?.includes(stack);
                    return {
                        report: entry,
                        ...(moving
                            ? { died: { at: run.died!.at, how: run.died!.how, weight: run.died!.weights?.[stack] ?? weightOf(entry) } }
                            : {}),
                    };
                }),
            ),
        ]),
    );
    const watches = mergedWatches(runs, first.startedAt);
    const warnings = [...new Set(runs.flatMap((r) => r.report.warnings ?? []))];
    const errors = [...new Set(runs.flatMap((r) => (r.report.error ? [r.report.error] : [])))];
    const { moving: _moving, ...facts } = last.release;
    return releaseReport(
        {
            plan,
            startedAt: first.startedAt!,
            outcome: last.outcome,
            decisionAtMinute: last.decisionAtMinute === null ? null : round1(last.decisionAtMinute + shift(last)),
            durationMinutes: round1(last.durationMinutes + shift(last)),
            facts,
            watches,
            ...(errors.length > 0 ? { error: errors.join("; ") } : {}),
            ...(warnings.length > 0 ? { warnings } : {}),
        },
        entries,
    );
}

/** Each run's watches on the first run's minutes; a watch its run died in ends there, stopped (the next run watched on). */
function mergedWatches(
    runs: readonly { readonly report: ReleaseReport; readonly died?: { readonly at: string; readonly how: string } }[],
    firstStartedAt: string | undefined,
): Record<number, WatchRecord[]> {
    const shift = (r: ReleaseReport) => minutesBetween(firstStartedAt, r.startedAt);
    const watches: Record<number, WatchRecord[]> = {};
    for (const run of runs) {
        const diedAt = run.died ? minutesBetween(firstStartedAt, run.died.at) : undefined;
        run.report.waves.forEach((w, i) =>
            (w.watch ?? []).forEach((x) => {
                const cut = diedAt !== undefined && x.verdict === "watching";
                (watches[i] ??= []).push({
                    ...x,
                    fromMinute: round1(x.fromMinute + shift(run.report)),
                    toMinute: cut ? diedAt : round1(x.toMinute + shift(run.report)),
                    ...(cut
                        ? { verdict: "stopped" as const, reason: `${x.reason}: the release's process ${run.died!.how} at minute ${diedAt}` }
                        : {}),
                });
            }),
        );
    }
    return watches;
}

/** The candidate's weight in an entry's last step (where a stack stood when its process died). */
function weightOf(entry: WaveStackRecord): number {
    return entry.steps.at(-1)?.weight ?? 0;
}

/** What the top of the report is made from, besides the entries. */
export interface ReleaseMeta {
    readonly plan: WavePlan;
    readonly startedAt: string;
    readonly outcome: Outcome;
    readonly decisionAtMinute: number | null;
    readonly durationMinutes: number;
    readonly facts: ReleaseFacts;
    readonly watches: Record<number, WatchRecord[]>;
    readonly error?: string;
    readonly warnings?: string[];
}

/** The whole report from each stack's entry (pure). */
export function releaseReport(meta: ReleaseMeta, entries: Readonly<Record<string, WaveStackRecord>>): ReleaseReport {
    const { plan, facts } = meta;
    const waves: WaveRecord[] = plan.waves.map((w, i) => {
        const stacks = w.stacks.map((s) => entries[s]);
        const outcome = waveOutcome(stacks.map((s) => s.outcome));
        const held = facts.held?.some((s) => w.stacks.includes(s));
        return {
            stacks,
            outcome: held && outcome === "promoted" ? "held" : outcome,
            ...(held && facts.cause
                ? {
                      reason: `held on the candidate (rollback: wave): wave ${facts.cause.wave + 1} failed: ${facts.cause.stack}: ${facts.cause.reason}`,
                  }
                : {}),
            ...(meta.watches[i]?.length ? { watch: meta.watches[i] } : {}),
        };
    });
    const all = plan.waves.flatMap((w) => w.stacks).map((s) => entries[s]);
    const steps: StepRecord[] = all
        .flatMap((e) => {
            const offset = minutesBetween(meta.startedAt, e.startedAt);
            return e.steps.map((step) => ({
                ...step,
                startedAtMinute: round1(step.startedAtMinute + offset),
                endedAtMinute: round1(step.endedAtMinute + offset),
                reason: `${e.stack}: ${step.reason}`,
            }));
        })
        .sort((a, b) => a.startedAtMinute - b.startedAtMinute || a.endedAtMinute - b.endedAtMinute);
    const requests = all.flatMap((e) => (e.requests ? [e.requests] : []));
    return {
        outcome: meta.outcome,
        stack: plan.name,
        strategy: "waves",
        startedAt: meta.startedAt,
        functions: Object.fromEntries(all.flatMap((e) => Object.entries(e.functions).map(([k, f]) => [`${e.stack}/${k}`, f]))),
        steps,
        decisionAtMinute: meta.decisionAtMinute,
        durationMinutes: meta.durationMinutes,
        ...(requests.length > 0
            ? {
                  requests: {
                      total: requests.reduce((n, r) => n + r.total, 0),
                      candidate: requests.reduce((n, r) => n + r.candidate, 0),
                      candidateErrors: requests.reduce((n, r) => n + r.candidateErrors, 0),
                  },
              }
            : {}),
        ...(meta.error ? { error: meta.error } : {}),
        ...(meta.warnings?.length ? { warnings: meta.warnings } : {}),
        waves,
        release: facts,
    };
}

/** A wave's outcome from its stacks' (pure): the worst one wins; all not started is not started. */
export function waveOutcome(outcomes: readonly StackOutcome[]): WaveOutcome {
    for (const worst of ["failed", "rolled-back", "aborted"] as const) if (outcomes.includes(worst)) return worst;
    if (outcomes.every((o) => o === "not-started")) return "not-started";
    if (outcomes.every((o) => o === "promoted" || o === "nothing-to-do")) return "promoted";
    return "in-progress";
}

/** The release report in a few lines for a person: the outcome, why, and each wave and stack. */
export function describeRelease(report: ReleaseReport): string[] {
    const cause = report.release.cause;
    const lines = [
        `release ${report.release.version ?? ""} through wave plan ${report.release.plan}: ${report.outcome.toUpperCase()}` +
            (cause ? `: ${cause.stack} (wave ${cause.wave + 1}) ${cause.kind}: ${cause.reason}` : ""),
    ];
    report.waves.forEach((w, i) => {
        lines.push(`  wave ${i + 1}: ${w.outcome}${w.reason ? ` (${w.reason})` : ""}`);
        for (const s of w.stacks) {
            const where = Object.entries(s.functions)
                .map(
                    ([k, f]) =>
                        `${k} ${
                            f.finalRouting === "unknown"
                                ? "unknown"
                                : Object.entries(f.finalRouting)
                                      .map(([v, x]) => `v${v} ${round1(x * 100)}%`)
                                      .join(" + ")
                        }`,
                )
                .join(", ");
            lines.push(`    ${s.stack}: ${s.outcome}${where ? `; traffic ${where}` : ""}`);
        }
        for (const watch of w.watch ?? [])
            lines.push(`    watched minute ${watch.fromMinute}-${watch.toMinute}: ${watch.verdict}: ${watch.reason}`);
    });
    return lines;
}
