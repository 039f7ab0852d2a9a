/**
 * The release's next move (pure), as argo-rollouts reconciles: from the plan, every stack's standing (read again
 * on every pass, standing.ts) and the time, never from anything this run remembers. The precedence:
 * 1. a record that cannot be read stops everything (exit 3, nothing moved);
 * 2. a rollback or abort decided and perhaps not carried out is completed first;
 * 3. a stack rolled back (or aborted) ends the release: the stacks that carry the candidate in the rollback's
 *    scope go back to stable (`rollback: all`: every one; `rollback: wave`: the failing wave and any later one,
 *    the earlier waves held with the reason), then the release ends;
 * 4. a release paused before a stack started holds (the released stacks' gates still watching);
 * 5. after a wave, its stacks (and every earlier wave's) are watched for the plan's `watch` before the next wave;
 * 6. the first wave not yet promoted is released, at most `concurrency` stacks at once, those under way first.
 */
import { planStacks, waveOf, type WavePlan } from "./plan";
import { CARRIES_CANDIDATE, type StackStanding } from "./standing";

/** What ended the release: the stack, its wave (0-based) and why. */
export interface ReleaseCause {
    readonly stack: string;
    readonly wave: number;
    readonly kind: "rolled-back" | "aborted";
    readonly reason: string;
}

/** The release's next move. */
export type ReleaseMove =
    | { readonly kind: "unreadable"; readonly stacks: string[] }
    | { readonly kind: "complete"; readonly stacks: string[] }
    | { readonly kind: "put-back"; readonly cause: ReleaseCause; readonly stacks: string[]; readonly held: string[] }
    | { readonly kind: "ended"; readonly cause: ReleaseCause; readonly held: string[] }
    | { readonly kind: "hold"; readonly stacks: string[]; readonly watched: string[] }
    | { readonly kind: "watch"; readonly wave: number; readonly untilMs: number; readonly watched: string[] }
    | { readonly kind: "release"; readonly wave: number; readonly stacks: string[] }
    | { readonly kind: "promoted" };

/** The next move (pure). `standings` holds every stack of the plan. */
export function nextMove(plan: WavePlan, standings: Readonly<Record<string, StackStanding>>, nowMs: number): ReleaseMove {
    const stacks = planStacks(plan);
    const all = stacks.map((s) => standings[s]);
    const unreadable = all.filter((s) => s.kind === "unreadable").map((s) => s.stack);
    if (unreadable.length > 0) return { kind: "unreadable", stacks: unreadable };
    const pending = all.filter((s) => s.kind === "rollback-pending").map((s) => s.stack);
    if (pending.length > 0) return { kind: "complete", stacks: pending };
    const cause = causeOf(plan, all);
    if (cause) return afterFailure(plan, all, cause);
    const released = all.filter((s) => s.kind === "promoted").map((s) => s.stack);
    const paused = all.filter((s) => s.kind === "paused-before-start").map((s) => s.stack);
    const wave = plan.waves.findIndex((w) => w.stacks.some((s) => standings[s].kind !== "promoted"));
    if (wave < 0) return { kind: "promoted" };
    const inWave = plan.waves[wave].stacks.map((s) => standings[s]);
    const started = inWave.some((s) => s.kind === "under-way");
    if (!started && paused.length > 0) return { kind: "hold", stacks: paused, watched: released };
    if (!started && wave > 0) {
        const untilMs = watchEnd(plan, standings, wave);
        if (untilMs > nowMs) return { kind: "watch", wave, untilMs, watched: released };
    }
    const underWay = inWave.filter((s) => s.kind === "under-way").map((s) => s.stack);
    const waiting = inWave.filter((s) => s.kind === "not-started" || s.kind === "paused-before-start").map((s) => s.stack);
    return { kind: "release", wave, stacks: [...underWay, ...waiting].slice(0, Math.max(plan.concurrency, underWay.length)) };
}

/**
 * When the watch before wave `wave` ends: the plan's `watch` after the last promotion of the waves before it
 * (a stack promoted without a record of when, which only a stack with nothing to do has, counts as long ago).
 */
export function watchEnd(
    plan: Pick<WavePlan, "waves" | "watch">,
    standings: Readonly<Record<string, StackStanding>>,
    wave: number,
): number {
    const times = plan.waves
        .slice(0, wave)
        .flatMap((w) => w.stacks)
        .flatMap((s) => (standings[s].promotedAtMs !== undefined ? [standings[s].promotedAtMs!] : []));
    return times.length > 0 ? Math.max(...times) + plan.watch * 1000 : -Infinity;
}

/**
 * What ended the release, if anything did: the stack rolled back first (in time: a stack the release then put back
 * is recorded later), else the one aborted first; plan order between equals.
 */
export function causeOf(plan: WavePlan, all: readonly StackStanding[]): ReleaseCause | undefined {
    const earliest = (kind: "rolled-back" | "aborted") =>
        all.filter((s) => s.kind === kind).sort((a, b) => (a.endedAtMs ?? Infinity) - (b.endedAtMs ?? Infinity))[0];
    const first = earliest("rolled-back") ?? earliest("aborted");
    if (!first) return undefined;
    return {
        stack: first.stack,
        wave: waveOf(plan, first.stack),
        kind: first.kind as "rolled-back" | "aborted",
        reason: first.reason ?? `${first.stack} was ${first.kind}`,
    };
}

/** After a failure: the stacks still carrying the candidate in the rollback's scope go back; the others are held. */
function afterFailure(plan: WavePlan, all: readonly StackStanding[], cause: ReleaseCause): ReleaseMove {
    const carrying = all.filter((s) => CARRIES_CANDIDATE.has(s.kind));
    const inScope = (s: StackStanding) => plan.rollback === "all" || waveOf(plan, s.stack) >= cause.wave;
    const stacks = carrying.filter(inScope).map((s) => s.stack);
    const held = carrying.filter((s) => !inScope(s)).map((s) => s.stack);
    return stacks.length > 0 ? { kind: "put-back", cause, stacks, held } : { kind: "ended", cause, held };
}

/** The release's position in a few words, for `status --waves` and the log. */
export function describeMove(plan: WavePlan, move: ReleaseMove): string {
    const wave = (i: number) => `wave ${i + 1}/${plan.waves.length}`;
    switch (move.kind) {
        case "unreadable":
            return `stopped: the rollout record of ${move.stacks.join(", ")} cannot be read (nothing moves until it is fixed: lambda-rollout status -s <stack>)`;
        case "complete":
            return `a rollback decided on ${move.stacks.join(", ")} is to be completed`;
        case "put-back":
            return `failed in ${wave(move.cause.wave)} (${move.cause.stack} ${move.cause.kind}: ${move.cause.reason}): ${move.stacks.join(", ")} to go back to stable${move.held.length ? `; held: ${move.held.join(", ")}` : ""}`;
        case "ended":
            return `ended in ${wave(move.cause.wave)}: ${move.cause.stack} ${move.cause.kind} (${move.cause.reason})${move.held.length ? `; held on the candidate (rollback: wave): ${move.held.join(", ")}` : ""}`;
        case "hold":
            return `paused before ${move.stacks.join(", ")} started (lambda-rollout resume --waves ${plan.name} goes on)${move.watched.length ? `; gates still watching ${move.watched.join(", ")}` : ""}`;
        case "watch":
            return `watching ${move.watched.join(", ")} until ${new Date(move.untilMs).toISOString().slice(0, 16)}Z, then ${wave(move.wave)}: ${plan.waves[move.wave].stacks.join(", ")}`;
        case "release":
            return `${wave(move.wave)} under way: ${move.stacks.join(", ")}`;
        case "promoted":
            return `promoted: every stack of every wave serves the candidate`;
    }
}
