/**
 * A rehearsal's promote processes, one after another: the scenario's kills and signals end a process where they
 * land, and a promote run again takes over, as a person or a CI retry would. Which process meets which fault is
 * decided here (pure), every fault of a kind in its order; and the processes' reports become one, each record
 * at the minute it truly happened (each run's minutes count from its own start).
 */
import type { RolloutReport, StepRecord } from "../rollout/report";
import { resumedSeries, type RolloutSeries } from "../rollout/series";
import type { Fault } from "./scenario";

/** A signal the scenario sends the promote process alive at its instant. */
export interface SignalEvent {
    readonly atMs: number;
    readonly signal: "SIGINT" | "SIGTERM";
    /** SIGKILL follows, as a CI runner's cancel does (CANCEL_TO_KILL_MS later). */
    readonly thenKill?: boolean;
}

/** Every process fault of a scenario, in time order. */
export interface ProcessFaults {
    /** Instants a process dies (epoch ms), each killing the process alive then. */
    readonly kills: number[];
    /** Signals, each to the process alive then: its first aborts it, a second one makes it exit at once. */
    readonly signals: SignalEvent[];
    /** How many processes die right after recording a rollback decision (each such fault kills the next one that decides). */
    readonly killsAfterRollbackDecision: number;
}

/** The scenario's process faults (pure). */
export function processFaults(faults: readonly Fault[], startMs: number): ProcessFaults {
    const at = (minute: number) => startMs + minute * 60_000;
    return {
        kills: faults.flatMap((f) => (f.kind === "killed" && f.atMinute !== undefined ? [at(f.atMinute)] : [])).sort((a, b) => a - b),
        signals: faults
            .flatMap((f) =>
                f.kind === "interrupt"
                    ? [{ atMs: at(f.atMinute), signal: f.signal, ...(f.then === "SIGKILL" ? { thenKill: true } : {}) }]
                    : [],
            )
            .sort((a, b) => a.atMs - b.atMs),
        killsAfterRollbackDecision: faults.filter((f) => f.kind === "killed" && f.after === "rollback-decision").length,
    };
}

/** One process's part of the rehearsal. */
export interface RunPart {
    readonly report: RolloutReport;
    /** When the process started, in rehearsal minutes. */
    readonly startedAtMinute: number;
    /** When it died, and how (a kill, a second signal), if it did. */
    readonly died?: { readonly atMinute: number; readonly how: string; readonly weight: number };
}

const round1 = (n: number) => Math.round(n * 10) / 10;

/**
 * The processes' reports as one (pure): steps, operator actions, hooks and warnings of every run in order, each
 * at its true minute; a run that died adds an `interrupted` step from its last step's end to its death; the
 * outcome, the functions and what came at the end are the last run's; the decision is the first run's that
 * decided.
 */
export function mergeRuns(parts: readonly RunPart[]): RolloutReport {
    const last = parts.at(-1)!;
    const shift = (part: RunPart) => (m: number) => round1(m + part.startedAtMinute);
    const steps: StepRecord[] = [];
    for (const part of parts) {
        const at = shift(part);
        steps.push(...part.report.steps.map((s) => ({ ...s, startedAtMinute: at(s.startedAtMinute), endedAtMinute: at(s.endedAtMinute) })));
        if (part.died) {
            steps.push({
                weight: part.died.weight,
                startedAtMinute: steps.at(-1)?.endedAtMinute ?? part.startedAtMinute,
                endedAtMinute: part.died.atMinute,
                verdict: "interrupted",
                reason: `promote ${part.died.how} at minute ${part.died.atMinute}; a promote run again took over`,
            });
        }
    }
    const decided = parts.find((p) => p.report.decisionAtMinute !== null);
    const stable = parts.find((p) => p.report.stableAtMinute !== undefined);
    const incident = parts.find((p) => p.report.incident !== undefined);
    const interrupt = parts.find((p) => p.report.interrupt !== undefined)?.report.interrupt;
    const operator = parts.flatMap((p) => (p.report.operator ?? []).map((o) => ({ ...o, atMinute: shift(p)(o.atMinute) })));
    const hooks = parts.flatMap((p) => (p.report.hooks ?? []).map((h) => ({ ...h, atMinute: shift(p)(h.atMinute) })));
    const warnings = [...new Set(parts.flatMap((p) => p.report.warnings ?? []))];
    const errors = parts.flatMap((p, i) => (p.report.error && (i === parts.length - 1 || p.died) ? [p.report.error] : []));
    const { waitingForApproval } = last.report;
    // The charts' series and their minute 0 are the first run's (automation/rollout/series.ts).
    const series =
        parts.length === 1
            ? last.report.series
            : parts.reduce<RolloutSeries | undefined>((into, p) => resumedSeries(into, p.report.series, p.startedAtMinute), undefined);
    const startedAt = parts.find((p) => p.report.startedAt)?.report.startedAt;
    return {
        ...last.report,
        ...(startedAt ? { startedAt } : {}),
        ...(series ? { series } : {}),
        steps,
        decisionAtMinute: decided ? shift(decided)(decided.report.decisionAtMinute!) : null,
        durationMinutes: shift(last)(last.report.durationMinutes),
        ...(stable ? { stableAtMinute: shift(stable)(stable.report.stableAtMinute!) } : {}),
        ...(incident ? { incident: { ...incident.report.incident!, atMinute: shift(incident)(incident.report.incident!.atMinute) } } : {}),
        ...(interrupt ? { interrupt } : {}),
        ...(operator.length > 0 ? { operator } : {}),
        ...(hooks.length > 0 ? { hooks } : {}),
        ...(warnings.length > 0 ? { warnings } : {}),
        ...(errors.length > 0 ? { error: [...new Set(errors)].join("; ") } : {}),
        ...(waitingForApproval
            ? { waitingForApproval: { ...waitingForApproval, sinceMinute: shift(last)(waitingForApproval.sinceMinute) } }
            : {}),
    };
}
