/**
 * A rehearsal's promote processes, one after another: the scenario's kills and signals end a process where they
 * land, and a promote run again takes over, as a person or a CI retry would. Which process meets which fault is
 * decided here (pure), every fault of a kind in its order. Their reports become one in automation/rollout/runs.ts.
 */
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
