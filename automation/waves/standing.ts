/**
 * Where a release stands (pure), derived every time from what each stack's own records say: its outputs (which
 * candidate, which release) and the rollout record on each function's `live` alias (automation/rollout/state.ts).
 * Nothing of the release is kept anywhere else: a release run killed between or inside waves and run again reads
 * the same records, reaches the same position, and never releases again a stack whose records say it passed.
 */
import type { FunctionStatus, StackStatus } from "../rollout/status";
import { describeState } from "../../domain/state";

/** Where one stack stands in the release of its current candidate. */
export type StandingKind =
    /** No traffic on the candidate and no rollout recorded for it. */
    | "not-started"
    /** A pause recorded before its first step (a paused release): it does not start until `resume`. */
    | "paused-before-start"
    /** A rollout of the candidate is under way (baking, held, paused, waiting for approval). */
    | "under-way"
    /** A rollback or an abort was decided and may not have been carried out: a promote run again completes it. */
    | "rollback-pending"
    /** Every function serves the candidate after its last gate passed. */
    | "promoted"
    | "rolled-back"
    | "aborted"
    /** A record that cannot be read: nothing moves (never taken for "no rollout"). */
    | "unreadable";

/** One stack's standing, with what the release needs of it. */
export interface StackStanding {
    readonly stack: string;
    readonly kind: StandingKind;
    /** When its promotion was recorded (epoch ms, the latest function's), for the watch after its wave. */
    readonly promotedAtMs?: number;
    /** The release its outputs carry (`version (commit)`), when they say. */
    readonly release?: string;
    /** Why it rolled back or aborted, as recorded. */
    readonly reason?: string;
    /** When its rollback or abort was recorded (epoch ms, the earliest function's): the first failure in time is the release's cause. */
    readonly endedAtMs?: number;
    /** Each function's phase (status.ts): which verbs apply (a pause to resume, an approval awaited). */
    readonly phases: FunctionStatus["phase"][];
    /** One line per function, for people. */
    readonly detail: string[];
}

/** What the release needs to read of one stack: its status (records, routing) and the release it published. */
export interface StackRead {
    readonly status: StackStatus;
    readonly release?: { readonly version: string; readonly commit?: string };
}

/** The release a stack's outputs carry, for people and for the same-release check: `0.1.0 (abc123)`. */
export function releaseName(release: StackRead["release"]): string | undefined {
    return release ? `${release.version}${release.commit ? ` (${release.commit})` : ""}` : undefined;
}

/** One stack's standing from its read (pure): the worst function decides, in the order of {@link standingKind}. */
export function standingOf(stack: string, read: StackRead): StackStanding {
    const functions = Object.entries(read.status.functions);
    const kind = standingKind(functions.map(([, f]) => f));
    const recorded = functions.map(([, f]) => f.rollout).filter((r, i) => r !== undefined && r.candidate === functions[i][1].candidate);
    const promoted = recorded.filter((r) => r!.phase === "promoted").map((r) => r!.since);
    const ended = recorded.find(
        (r) => r!.phase === "rolled-back" || r!.phase === "aborted" || r!.phase === "rolling-back" || r!.phase === "aborting",
    );
    return {
        stack,
        kind,
        ...(kind === "promoted" && promoted.length > 0 ? { promotedAtMs: Math.max(...promoted) } : {}),
        ...(read.release ? { release: releaseName(read.release) } : {}),
        ...(ended?.reason ? { reason: ended.reason } : {}),
        ...(ended ? { endedAtMs: ended.since } : {}),
        phases: functions.map(([, f]) => f.phase),
        detail: functions.map(
            ([key, f]) =>
                `${key}: ${f.phase}${f.rollout && f.rollout.candidate === f.candidate ? ` (${describeState(f.rollout)})` : `; v${f.candidate} published`}`,
        ),
    };
}

/**
 * A stack's kind from its functions' phases (pure; status.ts's phaseOf reads each from its alias and record). A
 * record that cannot be read wins, then a rollback decided, then one done (rolled back, then aborted), then a
 * rollout under way, then a pause before any traffic moved; a stack is promoted only when every function is.
 */
export function standingKind(functions: readonly Pick<FunctionStatus, "phase" | "rollout" | "liveWeights" | "candidate">[]): StandingKind {
    const phases = functions.map((f) => f.phase);
    if (phases.includes("record-unreadable")) return "unreadable";
    if (phases.includes("rollback-pending")) return "rollback-pending";
    if (phases.includes("rolled-back")) return "rolled-back";
    if (phases.includes("aborted")) return "aborted";
    const moving = functions.filter(
        (f) => f.phase === "in-progress" || f.phase === "held" || f.phase === "paused" || f.phase === "awaiting-approval",
    );
    if (moving.length > 0) {
        // What `pause --waves` records on a stack the release had not started (and `resume` leaves): step 0, no
        // traffic, never owned by a promote. Any promote's first write names it as owner.
        if (moving.every(neverStarted)) return moving.some((f) => f.phase === "paused") ? "paused-before-start" : "not-started";
        return "under-way";
    }
    if (functions.length > 0 && phases.every((p) => p === "promoted")) return "promoted";
    return "not-started";
}

/** A record at step 0 with no traffic that no promote ever owned. */
function neverStarted(f: Pick<FunctionStatus, "rollout" | "liveWeights" | "candidate">): boolean {
    const r = f.rollout;
    return (
        r !== undefined &&
        r.candidate === f.candidate &&
        r.step === 0 &&
        r.weight === 0 &&
        r.owner === undefined &&
        (f.liveWeights[f.candidate] ?? 0) === 0
    );
}

/** Stacks whose users may be getting the candidate now: what a rollback of the release puts back on stable. */
export const CARRIES_CANDIDATE: ReadonlySet<StandingKind> = new Set(["under-way", "rollback-pending", "promoted"]);
