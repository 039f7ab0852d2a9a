/**
 * The owner's side of the rollout record: what the promote that owns a rollout makes of what others recorded on
 * its aliases (an operator's abort, pause, approval or `promote --full`, a second promote taking over, a hand
 * edit), decided once by one rule of precedence, and the owner's own writes of the record (its lease, the mark
 * before an `up`, the promotion), each compare-and-set through record.ts.
 *
 * Precedence (docs/design.md, "Who decides, wins"): a failed verdict beats everything; then an abort; then a
 * pause (or a wait for approval); then an approval and `promote --full`; then the verdict itself.
 */
import type { AliasRouting } from "../../domain/routing";
import type { Verdict } from "./assess";
import type { LambdaControl, RolloutLog, Clock } from "./ports";
import type { Target } from "./deps";
import { readRecord, stateOf, updateRecord, type AliasRead } from "./record";
import { describeError, type RetryPolicy } from "./retry";
import { isApprover } from "./approvers";
import { forbidsForward, isAbortOf, ownerAlive, type RolloutState } from "../../domain/state";

/** Who did what, as the recorded state says. */
export type OperatorSeen = Pick<RolloutState, "by" | "principal" | "reason">;

/** One target's alias as the owner read it. */
export interface TargetRead {
    readonly target: Pick<Target, "key" | "functionName" | "aliasName" | "candidate">;
    readonly read: AliasRead;
}

/** A record the owner cannot read, on one of its aliases. */
export interface UnreadableSeen {
    readonly key: string;
    readonly raw: string;
    readonly why: string;
}

/** What the records on the owner's aliases say, at one read (pure summary; the first alias that says it wins). */
export interface RecordsSeen {
    /** An operator's abort of the candidate (aborting or aborted). */
    readonly abort?: RolloutState;
    /** A pause in force. */
    readonly paused?: RolloutState;
    /** `promote --full` asked. */
    readonly full?: RolloutState;
    /** An approval recorded. */
    readonly approved?: RolloutState;
    /** Another promote owns the rollout now (its id on the record). */
    readonly otherOwner?: RolloutState;
    /** Records that cannot be read. */
    readonly unreadable: readonly UnreadableSeen[];
}

/** Sums up the records of one read (pure). `owner` is this run's id. */
export function recordsSeen(reads: readonly TargetRead[], owner: string): RecordsSeen {
    let abort: RolloutState | undefined;
    let paused: RolloutState | undefined;
    let full: RolloutState | undefined;
    let approved: RolloutState | undefined;
    let otherOwner: RolloutState | undefined;
    const unreadable: UnreadableSeen[] = [];
    for (const { target, read } of reads) {
        if (read.record.kind === "unreadable") {
            unreadable.push({ key: target.key, raw: read.record.raw, why: read.record.why });
            continue;
        }
        const s = stateOf(read);
        if (!s || s.candidate !== target.candidate) continue;
        if (isAbortOf(s, target.candidate)) abort ??= s;
        if (s.owner !== undefined && s.owner !== owner) otherOwner ??= s;
        if (s.phase === "paused") paused ??= s;
        if (s.request === "full") full ??= s;
        if (s.request === "approve") approved ??= s;
    }
    return {
        ...(abort ? { abort } : {}),
        ...(paused ? { paused } : {}),
        ...(full ? { full } : {}),
        ...(approved ? { approved } : {}),
        ...(otherOwner ? { otherOwner } : {}),
        unreadable,
    };
}

/** What the owner does after one poll. */
export type OwnerMove =
    /** The evidence failed (or stayed inconclusive past its limit): roll back. */
    | { readonly kind: "roll-back" }
    /** An operator aborted: all traffic back to stable, recorded as aborted. */
    | { readonly kind: "abort"; readonly by: OperatorSeen }
    /** Another promote owns the rollout now: stop without touching traffic. */
    | { readonly kind: "taken-over"; readonly by: RolloutState }
    /** Paused (after the bake passed), or waiting for approval: hold the weight, the gates still watching. */
    | { readonly kind: "hold" }
    /** `promote --full`: the remaining bakes are skipped (the evidence has not failed). */
    | { readonly kind: "skip-bakes"; readonly by: OperatorSeen }
    /** The wait for approval ended with an approval. */
    | { readonly kind: "approved"; readonly by: OperatorSeen }
    /** The step's bake passed: on to the next step. */
    | { readonly kind: "go-on" }
    /** Not decided yet: poll again. */
    | { readonly kind: "keep-baking" };

/** Where the owner is when it decides. */
export interface MoveContext {
    /** Holding for an approval of the next step (until it comes, the timeout, or an abort). */
    readonly waitingForApproval: boolean;
    /**
     * The reviewed config's `rollout.approvers`: an approval or `--full` recorded by anyone else (a hand-written
     * record: the verbs refuse such callers) is not acted on. Empty: anyone.
     */
    readonly approvers?: readonly string[];
}

/** The principal a record keeps (shortPrincipal), as a full ARN again; undefined when it was cut to fit. */
export function fullPrincipal(short: string | undefined): string | undefined {
    if (!short || short.endsWith("…")) return undefined;
    if (/^\d{12}:assumed-role\//.test(short)) return `arn:aws:sts::${short}`;
    if (/^\d{12}:(user|role)\//.test(short)) return `arn:aws:iam::${short}`;
    return undefined;
}

/** Whether a recorded request comes from one of `approvers` (all do when there are none). */
export function fromApprover(s: Pick<RolloutState, "principal">, approvers: readonly string[] | undefined): boolean {
    if (!approvers || approvers.length === 0) return true;
    const arn = fullPrincipal(s.principal);
    return arn !== undefined && isApprover(arn, approvers);
}

/**
 * The one rule of precedence (pure): the evidence first (a failed verdict rolls back whatever was asked), then
 * an operator's abort, then another owner, then a pause or a wait for approval, then an approval or `--full`,
 * then the verdict. `verdict` is undefined when this poll assessed nothing (no evidence read yet).
 */
export function ownerMove(verdict: Verdict | "baking" | "extended" | undefined, seen: RecordsSeen, ctx: MoveContext): OwnerMove {
    if (verdict === "failed" || verdict === "inconclusive") return { kind: "roll-back" };
    if (seen.abort) return { kind: "abort", by: seen.abort };
    if (seen.otherOwner) return { kind: "taken-over", by: seen.otherOwner };
    const approved = seen.approved && fromApprover(seen.approved, ctx.approvers) ? seen.approved : undefined;
    const full = seen.full && fromApprover(seen.full, ctx.approvers) ? seen.full : undefined;
    if (ctx.waitingForApproval) {
        if (approved) return { kind: "approved", by: approved };
        if (full) return { kind: "skip-bakes", by: full };
        return { kind: "hold" };
    }
    if (seen.paused) return verdict === "passed" ? { kind: "hold" } : { kind: "keep-baking" };
    if (full) return { kind: "skip-bakes", by: full };
    return verdict === "passed" ? { kind: "go-on" } : { kind: "keep-baking" };
}

/** How long an owner's lease runs while it bakes: two polls and a margin, so one late poll does not lose it. */
export function bakeLeaseMs(pollIntervalSeconds: number): number {
    return 2 * pollIntervalSeconds * 1000 + 30_000;
}

/**
 * How long an owner's lease runs across one `up` (it cannot renew it meanwhile): an `up` that takes longer
 * leaves the lease run out, and an abort then acts alone (its own `up` waits for the stack's lock).
 */
export const UP_LEASE_MS = 5 * 60_000;

/** The retries of the owner's record writes: short; a write that cannot land is said, and the next poll tries again. */
const RECORD_RETRY: RetryPolicy = { baseMs: 100, capMs: 1_000, budgetMs: 5_000 };

/** What an owner's write found instead of writing: an abort, another owner, or what the writer said it must not write over. */
export type WriteRefused =
    | { readonly kind: "abort"; readonly key: string; readonly state: RolloutState }
    | { readonly kind: "taken-over"; readonly key: string; readonly state: RolloutState }
    | { readonly kind: "paused"; readonly key: string; readonly state: RolloutState };

/**
 * What an owner's write came to: `written` on every target it could write (a write that failed otherwise is said
 * and left for the next poll), or refused over what someone else recorded.
 */
export type WriteOutcome = { readonly kind: "written" } | WriteRefused;

/** See {@link WriteOutcome}. */
export const WRITTEN: WriteOutcome = { kind: "written" };

/** What {@link Ownership} needs. */
export interface OwnershipDeps {
    readonly lambda: LambdaControl;
    readonly clock: Clock;
    readonly log: RolloutLog;
    readonly random?: () => number;
}

/**
 * The owner's writes of its record: each target's state as this run means it, written only over a record that
 * does not say otherwise (an abort, another owner), compare-and-set. It keeps what it last wrote per target, to
 * write it again over a record someone replaced by hand.
 */
export class Ownership {
    private readonly written = new Map<string, RolloutState>();

    constructor(
        private readonly deps: OwnershipDeps,
        /** This run's id, on every record it writes. */
        readonly id: string,
        private readonly targets: readonly Target[],
    ) {}

    /** The state this run last wrote for a target. */
    last(key: string): RolloutState | undefined {
        return this.written.get(key);
    }

    /**
     * Writes `state(t)` (with this run as owner, its lease to `leaseUntil`) on every target, unless a fresh read
     * shows an abort of the candidate or another owner: then nothing more is written and that is returned. A
     * failed write (other than stale) is said and left for the next poll. `force` writes over an abort too (the
     * owner's own rollback, which records why it put traffic back).
     */
    async write(
        state: (t: Target, current: RolloutState | undefined) => RolloutState,
        leaseUntil: number | undefined,
        options: {
            force?: boolean;
            retry?: RetryPolicy;
            routing?: (t: Target) => AliasRouting;
            /** What else this write must not go over (a pause before an `up`), returned instead of writing. */
            refuseOver?: (current: RolloutState) => WriteRefused | undefined;
        } = {},
    ): Promise<WriteOutcome> {
        const outcomes = await Promise.all(
            this.targets.map(async (t): Promise<WriteOutcome> => {
                try {
                    const { result } = await updateRecord(
                        this.deps,
                        t,
                        (read) => {
                            const current = stateOf(read);
                            const mine = current?.candidate === t.candidate ? current : undefined;
                            // An abort, or a rollback someone else decided or made: never written over (the program
                            // refuses to move forward over it too).
                            if (!options.force && mine && forbidsForward(mine, t.candidate))
                                return { result: { kind: "abort" as const, key: t.key, state: mine } };
                            // Another owner's record: while its lease runs, the rollout is that promote's; once it has run out,
                            // this run takes it over (a promote killed and run again).
                            if (
                                !options.force &&
                                mine?.owner !== undefined &&
                                mine.owner !== this.id &&
                                ownerAlive(mine, this.deps.clock.now())
                            )
                                return { result: { kind: "taken-over" as const, key: t.key, state: mine } };
                            const other = mine && options.refuseOver?.(mine);
                            if (other) return { result: { ...other, key: t.key } };
                            const next: RolloutState = {
                                ...state(t, mine),
                                owner: this.id,
                                ...(leaseUntil !== undefined ? { lease: leaseUntil } : {}),
                            };
                            this.written.set(t.key, next);
                            return {
                                write: { state: next, ...(options.routing ? { routing: options.routing(t) } : {}) },
                                result: WRITTEN,
                            };
                        },
                        { retry: options.retry ?? RECORD_RETRY },
                    );
                    return result;
                } catch (err) {
                    this.deps.log.line(`${t.key}: could not record the rollout state on the alias: ${describeError(err)}`);
                    return WRITTEN;
                }
            }),
        );
        return (
            outcomes.find((o) => o.kind === "abort") ??
            outcomes.find((o) => o.kind === "taken-over") ??
            outcomes.find((o) => o.kind !== "written") ??
            WRITTEN
        );
    }

    /**
     * Writes again, over a record someone replaced (it cannot be read), what this run last wrote there: the owner's
     * record is the owner's, and operators act through the verbs. A record that became readable meanwhile is left.
     */
    async rewrite(key: string): Promise<boolean> {
        const t = this.targets.find((x) => x.key === key);
        const last = this.written.get(key);
        if (!t || !last) return false;
        try {
            const { written } = await updateRecord(
                this.deps,
                t,
                (read) => (read.record.kind === "unreadable" ? { write: { state: last }, result: undefined } : { result: undefined }),
                { retry: RECORD_RETRY },
            );
            return written;
        } catch (err) {
            this.deps.log.line(`${key}: could not write the rollout record again: ${describeError(err)}`);
            return false;
        }
    }

    /** Renews this run's lease on the first target's alias from a fresh read (before work that polls nothing, such as hooks). */
    async extend(leaseUntil: number): Promise<void> {
        const lead = this.targets[0];
        if (!lead) return;
        try {
            await this.heartbeat({ target: lead, read: await readRecord(this.deps.lambda, this.deps.clock, lead) }, leaseUntil);
        } catch (err) {
            this.deps.log.line(`${lead.key}: could not renew this promote's lease on the alias: ${describeError(err)}`);
        }
    }

    /**
     * Renews this run's lease on the first target's alias (one write a poll: an operator's verb reads every alias
     * and takes the freshest lease), from the read just made; a record that changed since is left for the next
     * poll, which reads it anyway.
     */
    async heartbeat(lead: TargetRead, leaseUntil: number): Promise<void> {
        const s = stateOf(lead.read);
        if (!s || s.candidate !== lead.target.candidate || (s.owner !== undefined && s.owner !== this.id) || isAbortOf(s, s.candidate))
            return;
        if (s.lease !== undefined && s.lease >= leaseUntil - 30_000) return;
        try {
            await updateRecord(
                this.deps,
                lead.target,
                (read) => {
                    const now = stateOf(read);
                    if (!now || now.candidate !== s.candidate || now.owner !== s.owner || isAbortOf(now, now.candidate))
                        return { result: undefined };
                    return { write: { state: { ...now, owner: this.id, lease: leaseUntil } }, result: undefined };
                },
                { retry: RECORD_RETRY, first: lead.read },
            );
        } catch (err) {
            this.deps.log.line(`${lead.target.key}: could not renew this promote's lease on the alias: ${describeError(err)}`);
        }
    }
}
