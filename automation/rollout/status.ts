/**
 * Status: where each function stands (stable, candidate, live weights, alarm states) and the last rollout's
 * record, read from the stack's update history (every promote and rollback `up` carries its step and verdict
 * in its message). Nothing is kept in local files.
 */
import { trafficShares } from "../../domain/routing";
import { UsageError } from "../errors";
import type { Clock, LambdaControl, MetricsSource, StackDriver, UpdateRecord } from "./ports";
import { readRecord, stateOf } from "./record";
import { describeState, describeUnreadable, isUnfinished, type RolloutState } from "../../domain/state";
import { recoveryAdvice } from "./unreadable";

/** One function's state. */
export interface FunctionStatus {
    readonly functionName: string;
    readonly stable: string;
    readonly candidate: string;
    readonly liveWeights: Record<string, number>;
    readonly phase:
        | "promoted"
        | "candidate-waiting"
        | "in-progress"
        | "paused"
        | "awaiting-approval"
        | "rolled-back"
        | "aborted"
        | "rollback-pending"
        | "held"
        | "record-unreadable";
    readonly alarms: Record<string, string>;
    /** The rollout state recorded on the alias, when there is one. */
    readonly rollout?: RolloutState;
    /** The alias's record, when it cannot be read: its text, why, and what fixes it (status then exits 3). */
    readonly unreadableRecord?: { readonly raw: string; readonly why: string; readonly advice?: string[] };
}

/** The status report. */
export interface StackStatus {
    readonly stack: string;
    readonly strategy: string;
    readonly functions: Record<string, FunctionStatus>;
    /** The rollout-related updates, newest first. */
    readonly lastRollout: { at: string; message: string; result: string }[];
    /** Parts that could not be read (e.g. CloudWatch down), so a person knows what is missing. */
    readonly unavailable: string[];
}

/** The updates of the most recent promote run, newest first: back to (and with) its first step, rollbacks included. */
export function lastRollout(history: UpdateRecord[]): UpdateRecord[] {
    const out: UpdateRecord[] = [];
    for (const u of history.filter((h) => h.message.startsWith("lambda-rollout "))) {
        out.push(u);
        if (u.message.includes(": step 1/")) break;
    }
    return out;
}

/**
 * A function's phase (pure): the recorded rollout state first (at 100% a rollout still baking looks like a
 * finished promotion), else what the routing shows.
 */
export function phaseOf(
    live: { stableVersion: string; candidate?: unknown },
    candidateVersion: string,
    rollout?: RolloutState,
): FunctionStatus["phase"] {
    if (rollout && rollout.candidate === candidateVersion) {
        if (rollout.phase === "rolling-back" || rollout.phase === "aborting") return "rollback-pending";
        if (rollout.phase === "held" || rollout.phase === "paused" || rollout.phase === "awaiting-approval") return rollout.phase;
        if (isUnfinished(rollout)) return "in-progress";
        if (rollout.phase === "rolled-back" || rollout.phase === "aborted")
            return live.candidate || live.stableVersion === candidateVersion ? "in-progress" : rollout.phase;
    }
    return live.candidate ? "in-progress" : live.stableVersion === candidateVersion ? "promoted" : "candidate-waiting";
}

/** Reads a stack's status. */
export async function status(
    deps: { stack: StackDriver; lambda: LambdaControl; metrics: MetricsSource; clock: Clock },
    stackName: string,
): Promise<StackStatus> {
    const outputs = await deps.stack.outputs();
    if (!outputs || !outputs.functions) {
        throw new UsageError(`stack ${stackName} has no outputs yet: deploy it with \`pulumi up --stack ${stackName}\``);
    }
    const unavailable: string[] = [];
    const alarmNames = Object.values(outputs.functions).flatMap((f) => Object.values(f.alarmNames ?? {}));
    let states: Record<string, string> = {};
    try {
        states = await deps.metrics.alarmStates(alarmNames);
    } catch (err) {
        unavailable.push(`alarm states: ${(err as Error).message}`);
    }
    const functions: Record<string, FunctionStatus> = {};
    for (const [key, fn] of Object.entries(outputs.functions)) {
        const live = await readRecord(deps.lambda, deps.clock, fn);
        const rollout = stateOf(live);
        const phase = live.record.kind === "unreadable" ? "record-unreadable" : phaseOf(live, fn.candidateVersion, rollout);
        functions[key] = {
            functionName: fn.functionName,
            stable: rollout && isUnfinished(rollout) && rollout.candidate === fn.candidateVersion ? rollout.stable : live.stableVersion,
            candidate: fn.candidateVersion,
            liveWeights: trafficShares(live),
            phase,
            alarms: Object.fromEntries(Object.entries(fn.alarmNames ?? {}).map(([role, name]) => [role, states[name] ?? "unknown"])),
            ...(rollout ? { rollout } : {}),
            ...(live.record.kind === "unreadable" ? { unreadableRecord: { raw: live.record.raw, why: live.record.why } } : {}),
        };
    }
    let history: UpdateRecord[] = [];
    try {
        history = await deps.stack.history(50);
    } catch (err) {
        unavailable.push(`stack history: ${(err as Error).message}`);
    }
    for (const [key, f] of Object.entries(functions)) {
        const u = f.unreadableRecord;
        if (!u) continue;
        const fn = outputs.functions[key];
        const advice = recoveryAdvice(
            { key, ...fn, candidate: fn.candidateVersion, raw: u.raw, why: u.why },
            history,
            stackName,
            outputs.region,
        );
        functions[key] = { ...f, unreadableRecord: { ...u, advice: advice.slice(1).map((l) => l.trim()) } };
    }
    return {
        stack: stackName,
        strategy: outputs.strategy,
        functions,
        lastRollout: lastRollout(history).map((u) => ({ at: new Date(u.startTime).toISOString(), message: u.message, result: u.result })),
        unavailable,
    };
}

/** Status as lines for a person. */
export function describeStatus(s: StackStatus): string[] {
    const lines = [`stack ${s.stack} (${s.strategy})`];
    for (const [key, f] of Object.entries(s.functions)) {
        const weights = Object.entries(f.liveWeights)
            .map(([v, w]) => `v${v} ${Math.round(w * 1000) / 10}%`)
            .join(", ");
        const alarms = Object.entries(f.alarms)
            .map(([role, state]) => `${role}=${state}`)
            .join(" ");
        lines.push(`  ${key} (${f.functionName}): ${f.phase}; stable v${f.stable}, candidate v${f.candidate}; traffic ${weights}`);
        if (f.rollout) lines.push(`    rollout: ${describeState(f.rollout)}`);
        if (f.unreadableRecord) {
            lines.push(`    RECORD UNREADABLE: ${describeUnreadable(f.unreadableRecord)}`);
            for (const a of f.unreadableRecord.advice ?? []) lines.push(`      ${a}`);
        }
        lines.push(`    alarms: ${alarms}`);
    }
    lines.push(s.lastRollout.length ? "last rollout (newest first):" : "no rollout recorded in the stack's history");
    for (const u of s.lastRollout) lines.push(`  ${u.at} ${u.result.padEnd(9)} ${u.message}`);
    for (const u of s.unavailable) lines.push(`unavailable: ${u}`);
    return lines;
}

/**
 * Phases in which a rollout is still under way: a watch keeps refreshing while any function is in one. A pause
 * or a wait for approval goes on (the gates still watch, and a person's word moves it); `held` does not.
 */
const MOVING: ReadonlySet<FunctionStatus["phase"]> = new Set(["in-progress", "rollback-pending", "paused", "awaiting-approval"]);

/**
 * Whether the rollout a watch follows has ended (pure): no function is still moving (promoted, rolled back,
 * aborted, held for a person, or no rollout in progress at all).
 */
export function rolloutEnded(s: StackStatus): boolean {
    return Object.values(s.functions).every((f) => !MOVING.has(f.phase));
}

/**
 * What an ended status means as an exit code (pure): 3 when a function's record cannot be read, 1 when a
 * function's rollout was rolled back or aborted, else 0.
 */
export function watchExitCode(s: StackStatus): number {
    const phases = Object.values(s.functions).map((f) => f.phase);
    if (phases.includes("record-unreadable")) return 3;
    return phases.some((p) => p === "rolled-back" || p === "aborted") ? 1 : 0;
}

/** What {@link watchStatus} needs: the read, the clock, and where each status goes. */
export interface WatchDeps {
    /** Reads the status once (the real `status`, or a fake in tests). */
    readonly read: () => Promise<StackStatus>;
    readonly clock: Clock;
    /** Shows one status; called on every pass, the renderer decides whether to redraw or skip an unchanged one. */
    readonly show: (s: StackStatus) => void;
    /** Ends the watch early (Ctrl-C): the last status shown is returned. */
    readonly signal?: AbortSignal;
}

/**
 * Reads the status every `intervalMs` until the rollout ends or `signal` aborts; returns the last status
 * read. The time between reads comes from the injected clock, so a test runs a long watch in no time.
 */
export async function watchStatus(deps: WatchDeps, intervalMs: number): Promise<StackStatus> {
    for (;;) {
        const s = await deps.read();
        deps.show(s);
        if (rolloutEnded(s) || deps.signal?.aborted) return s;
        await deps.clock.sleep(intervalMs, deps.signal);
        if (deps.signal?.aborted) return s;
    }
}
