/**
 * The rollout, as a linear pipeline of phases over one run (run.ts): read where each function stands (its live
 * alias and the record there), wait for a predecessor's lease, then the opening (what the records decide, the
 * plan, preflight, confirmation, smoke test, `preTraffic` hooks: opening.ts), the steps (move, bake, decide, one
 * `up` each: walk.ts), and the end (promoted, rolled back, aborted: ending.ts). Each phase says whether the run goes
 * on or ended.
 *
 * Nothing is kept in a local file: the position is the live weight, and the rollout's phase (which step,
 * since when, the rollback target, a rollback decided, who owns it) is recorded on the alias itself (state.ts,
 * record.ts), so a promote killed at any instant and run again resumes or completes what was under way.
 *
 * Everything with side effects comes in through `RolloutDeps`; the decisions are pure (steps.ts, assess.ts,
 * preflight.ts, requests.ts, state.ts).
 */
import type { AliasRouting } from "../../domain/routing";
import { ownedElsewhere } from "./ending";
import { open } from "./opening";
import { policyToFollow } from "./policy";
import type { StackOutputs } from "./ports";
import type { RolloutDeps, Target } from "./deps";
import { readRecord } from "./record";
import { Run, type PromoteOptions, type RolloutResult } from "./run";
import { decodeState, isRollbackDecided, isUnfinished, ownerAlive, type RolloutState } from "../../domain/state";
import { percent } from "./steps";
import type { UnreadableRecord } from "./unreadable";
import { walk } from "./walk";
import { UsageError } from "../errors";

export { nextPollAt, POLL_OFFSET_MS, routesAt } from "./bake";
export { describeRollout, matchesExpectation, smokeTest, zeroBakeWarnings, type SmokeOutcome } from "./opening";
export { policyFrom, withStrategy } from "./policy";
export type { RolloutDeps, Target } from "./deps";
export type { RolloutLog } from "./ports";
export type { PromoteOptions, RolloutResult } from "./run";
export { routingAt } from "./walk";

/** Runs a promote to its end: promoted, rolled back, aborted, held, nothing to do, or failed. */
export async function promote(deps: RolloutDeps, options: PromoteOptions): Promise<RolloutResult> {
    const outputs = await deps.stack.outputs();
    if (!outputs || !outputs.functions || Object.keys(outputs.functions).length === 0) {
        throw new UsageError(
            `stack ${options.stackName} has no outputs yet: deploy it first with \`pulumi up --stack ${options.stackName}\``,
        );
    }
    const policy = policyToFollow(outputs, options.policy, options.strategy, `stack ${options.stackName}`);
    // Minute 0 of the report is when this promote began: a wait for a predecessor's lease is part of its record.
    const startedAt = deps.clock.now();
    const ownerId = deps.ownerId ?? ownerIdFrom(deps.random ?? Math.random);
    for (let waited = false; ; waited = true) {
        const { all, unreadable, notes } = await readTargets(deps, outputs);
        const run = new Run(deps, options, policy, outputs.region, all, startedAt, ownerId);
        // Putting traffic back never waits for anyone: only a run that may move forward waits for a live owner.
        const owner = all.some((t) => isRollbackDecided(t.state)) ? undefined : liveOwner(all, deps.clock.now());
        if (!owner || options.dryRun || unreadable.length > 0) {
            notes.forEach((n) => deps.log.line(n));
            return pipeline(run, unreadable);
        }
        if (waited) return ownedElsewhere(run, owner);
        // A promote killed and run again finds its predecessor's lease: it takes over once that has run out (a
        // predecessor still alive renews it, and this run then leaves the rollout to it).
        deps.log.line(
            `the rollout of v${owner.candidate} is owned by another promote (${owner.owner}), whose lease runs to ${new Date(owner.lease!).toISOString()}: ` +
                `waiting ${Math.ceil((owner.lease! - deps.clock.now()) / 1000)} s for it to run out (if that promote is alive, it renews the lease and this run stops, exit 4)`,
        );
        await deps.clock.sleep(owner.lease! - deps.clock.now() + 1_000, deps.signal);
        if (deps.signal?.aborted) return pipeline(run, unreadable);
    }
}

/** The run's phases in their order: the opening, then the steps (which end in the promotion or a way back). */
async function pipeline(run: Run, unreadable: readonly UnreadableRecord[]): Promise<RolloutResult> {
    const opening = await open(run, unreadable);
    return opening.kind === "ended" ? opening.result : walk(run, opening.remaining, opening.resumed);
}

/** Each function's target, read from its alias and the record there; the records that cannot be read; notes for people. */
async function readTargets(
    deps: RolloutDeps,
    outputs: StackOutputs,
): Promise<{ all: Target[]; unreadable: UnreadableRecord[]; notes: string[] }> {
    const all: Target[] = [];
    const unreadable: UnreadableRecord[] = [];
    const notes: string[] = [];
    for (const [key, fn] of Object.entries(outputs.functions)) {
        const read = await readRecord(deps.lambda, deps.clock, fn);
        if (read.record.kind === "unreadable")
            unreadable.push({
                key,
                functionName: fn.functionName,
                aliasName: fn.aliasName,
                candidate: fn.candidateVersion,
                ...read.record,
            });
        const { target, note } = targetOf(key, fn, read);
        if (note && read.record.kind !== "unreadable") notes.push(note);
        all.push(target);
    }
    return { all, unreadable, notes };
}

/** A rollout under way whose owner's lease has not run out (pure). */
function liveOwner(all: readonly Target[], now: number): RolloutState | undefined {
    return all.map((t) => t.state).find((s) => s !== undefined && isUnfinished(s) && ownerAlive(s, now));
}

/** A fresh owner id: 8 hex digits. */
function ownerIdFrom(random: () => number): string {
    return Math.floor(random() * 0x1_0000_0000)
        .toString(16)
        .padStart(8, "0");
}

/**
 * Where one function stands (pure): the rollback target and the candidate's live weight, from the live alias
 * and the state recorded on it. A rollout under way keeps its recorded stable (at 100% the alias's primary is
 * the candidate, which must not be mistaken for a finished promotion); a newer candidate published mid-rollout
 * replaces the old one but keeps the stable that last passed its gates.
 */
export function targetOf(
    key: string,
    fn: { functionName: string; functionArn?: string; aliasName: string; candidateVersion: string; alarmNames?: Record<string, string> },
    live: AliasRouting & { description?: string },
): { target: Target; note?: string } {
    const recorded = decodeState(live.description);
    const candidate = fn.candidateVersion;
    const underWay = isUnfinished(recorded) ? recorded : undefined;
    const stable = underWay ? underWay.stable : live.stableVersion;
    let liveWeight = 0;
    let note: string | undefined;
    if (live.stableVersion === candidate && !live.candidate) liveWeight = 1;
    else if (live.candidate?.version === candidate) liveWeight = live.candidate.weight;
    else if (live.candidate || (underWay && live.stableVersion !== stable)) {
        const shown = live.candidate
            ? `v${live.candidate.version} still has ${percent(live.candidate.weight)}`
            : `v${live.stableVersion} takes all traffic`;
        note = `${key}: ${shown} from an earlier rollout that never finished; this rollout replaces it with v${candidate} (rollback target v${stable})`;
    }
    const state = recorded && recorded.candidate === candidate ? recorded : undefined;
    return {
        target: {
            key,
            functionName: fn.functionName,
            ...(fn.functionArn ? { functionArn: fn.functionArn } : {}),
            aliasName: fn.aliasName,
            stable,
            candidate,
            liveWeight,
            rollbackAlarm: fn.alarmNames?.rollback,
            state,
        },
        note,
    };
}
