/**
 * A step's bake: the gates polled on the minute grid until a verdict, and what each poll reads (the aliases, as
 * this rollout set them and with the state operators record there; the metrics; the alarms). The loop in
 * promote.ts decides what a bake's outcome means; this module only watches.
 */
import type { RolloutPolicy } from "../../config/stackConfig";
import { trafficShares, type AliasRouting } from "../../domain/routing";
import { assessStep, evidenceSince, type Baseline, type GateResult, type Verdict } from "./assess";
import type { EvidenceRequest, FunctionEvidence, RolloutLog } from "./ports";
import type { RolloutDeps, Target } from "./deps";
import { ALIAS_READS, callPaced } from "./paced";
import { readRecord, stateOf, type AliasRead } from "./record";
import {
    bakeLeaseMs,
    fromApprover,
    ownerMove,
    recordsSeen,
    type OperatorSeen,
    type OwnerMove,
    type Ownership,
    type RecordsSeen,
    type TargetRead,
} from "./requests";
import { credentialsProblem, describeError } from "./retry";
import { describeActor, describeUnreadable, type RolloutState } from "../../domain/state";
import { advanceOf, percent, stepsFor, type Step } from "./steps";
import type { PollSample } from "./series";

/** The window of a rollout's evidence that starts at `ms`: whole minutes (Lambda's metrics are per minute). */
const minuteFloor = (ms: number) => Math.floor(ms / 60000) * 60000;

/**
 * Stable's traffic through the alias in the `gates.baseline` window before the rollout, read once: the error
 * tests add it to stable's evidence, and the throttle check compares the alias's throttles with it. Without
 * it (baseline 0, CloudWatch unavailable, a series unreadable) they compare only the rollout's minutes.
 */
export async function readBaseline(
    deps: RolloutDeps,
    policy: RolloutPolicy,
    targets: Target[],
    startMs: number,
    minute: () => number,
): Promise<Record<string, Baseline> | undefined> {
    const seconds = policy.gates.baseline ?? 0;
    if (seconds <= 0) return undefined;
    const end = minuteFloor(startMs);
    try {
        const evidence = await deps.metrics.evidence(evidenceRequests(targets), new Date(end - seconds * 1000), new Date(end));
        const readable = targets.filter((t) => !evidence[t.key].unreadable);
        for (const t of targets.filter((x) => evidence[x.key].unreadable)) {
            deps.log.line(
                `[min ${minute()}] stable's history before the rollout unreadable for ${t.key} (${evidence[t.key].unreadable}): comparing the rollout's minutes only`,
            );
        }
        const baseline = Object.fromEntries(
            readable.map((t) => {
                const ev = evidence[t.key];
                return [
                    t.key,
                    {
                        invocations: ev.stable.invocations,
                        errors: ev.stable.errors,
                        throttles: ev.aliasThrottles,
                        requests: ev.stable.invocations + ev.candidate.invocations + ev.aliasThrottles,
                        olderHalf: olderHalf(ev.stable, end - (seconds * 1000) / 2),
                    },
                ];
            }),
        );
        if (readable.length > 0) {
            deps.log.line(
                `[min ${minute()}] stable before the rollout (${Math.round(seconds / 60)} min): ` +
                    readable
                        .map(
                            (t) =>
                                `${t.key} v${t.stable} ${baseline[t.key].errors}/${baseline[t.key].invocations} errors, ${baseline[t.key].throttles} throttles`,
                        )
                        .join(", "),
            );
        }
        return baseline;
    } catch (err) {
        deps.log.line(
            `[min ${minute()}] stable's history before the rollout unavailable (${describeError(err)}): comparing the rollout's minutes only`,
        );
        return undefined;
    }
}

/** A version's invocations and errors in its minutes before `ms`: the older half of stable's history. */
function olderHalf(v: FunctionEvidence["stable"], ms: number): { invocations: number; errors: number } {
    const older = v.minutes.flatMap((t, i) => (t < ms ? [i] : []));
    return {
        invocations: older.reduce((sum, i) => sum + (v.invocationsByMinute?.[i] ?? 0), 0),
        errors: older.reduce((sum, i) => sum + (v.errorsByMinute?.[i] ?? 0), 0),
    };
}

export function evidenceRequests(targets: Target[], wholeAliasSinceMs?: number): EvidenceRequest[] {
    return targets.map((t) => ({
        key: t.key,
        functionName: t.functionName,
        aliasName: t.aliasName,
        stableVersion: t.stable,
        candidateVersion: t.candidate,
        ...(wholeAliasSinceMs !== undefined ? { wholeAliasSinceMs } : {}),
    }));
}

/** What the gate needs to know of the step being baked: its weight, the next, how it moves on, when it began. */
function stepFacts(policy: RolloutPolicy, step: Step, stepStartMs: number, rolloutStartMs: number) {
    return {
        weight: step.weight,
        advance: advanceOf(policy),
        nextWeight: stepsFor(policy)[step.number]?.weight ?? 1,
        stepStartMs,
        rolloutStartMs,
    };
}

/** How a bake ended. */
export interface BakeOutcome {
    readonly verdict: Verdict;
    readonly result: GateResult;
    readonly extended: boolean;
    /** Someone else moved the traffic: stop without touching it. */
    readonly changedOutside?: boolean;
    /** The credentials stopped working: nothing can be read any more. */
    readonly credentials?: boolean;
    /** SIGINT/SIGTERM arrived. */
    readonly interrupted?: boolean;
    /** An operator aborted the rollout (recorded on the aliases): who and why. */
    readonly aborted?: OperatorSeen;
    /** Another promote took the rollout over (its id is on the record): stop without touching traffic. */
    readonly takenOver?: RolloutState;
    /** An operator asked for `promote --full` and the evidence had not failed: the remaining bakes are skipped. */
    readonly full?: OperatorSeen;
    /** The wait for approval ended with an approval. */
    readonly approved?: OperatorSeen;
    /** The wait for approval reached its timeout. */
    readonly timedOut?: boolean;
}

export type { OperatorSeen } from "./requests";

/** How a bake (or a wait for approval) deals with what operators record on the aliases. */
export interface BakeControl {
    readonly baseline?: Record<string, Baseline>;
    readonly lookAlpha?: number;
    /** A wait for approval until then (epoch ms): only a failed gate, an operator or the timeout ends it. */
    readonly approvalUntil?: number;
    /** Called once per pause and resume seen. */
    readonly onOperator: (action: "pause" | "resume", s: OperatorSeen) => void;
    /** The owner's record writes: its lease renewed at every poll, a record replaced by hand written again. */
    readonly ownership: Ownership;
    /** Called with what each poll read and decided (the report's series: automation/rollout/series.ts). */
    readonly onPoll?: (sample: PollSample) => void;
}

/** Polls the gates through a step's bake until the precedence (requests.ts) decides something other than baking on. */
export async function bakeStep(
    deps: RolloutDeps,
    policy: RolloutPolicy,
    targets: Target[],
    step: Step,
    label: string,
    minute: () => number,
    rolloutStartMs: number,
    comparison: BakeControl,
): Promise<BakeOutcome> {
    const { clock, log } = deps;
    const start = clock.now();
    const waiting = comparison.approvalUntil;
    let paused: RolloutState | undefined;
    // One query from the minute the rollout's first step began: the error tests read all of it, the rest of
    // the gate only this step's minutes. Per-version metrics need no other alignment.
    const windowStart = new Date(minuteFloor(rolloutStartMs));
    const stepStart = minuteFloor(start);
    // At 100% the alias-level series stands in for a missing ExecutedVersion one, from the first whole minute on.
    const wholeAliasSinceMs = step.weight >= 1 ? Math.ceil(start / 60000) * 60000 : undefined;
    let extended = false;
    const ignored = new Set<number>();
    const bakeEnd = waiting ?? start + step.bakeSeconds * 1000;
    const say = (text: string) => log.line(`[min ${minute()}] ${label}: ${text}`);
    for (;;) {
        const wake = nextPollAt(clock.now(), policy.gates.pollInterval * 1000, bakeEnd);
        log.countdown?.(`${label}: baking`, bakeEnd);
        await clock.sleep(wake - clock.now(), deps.signal);
        if (deps.signal?.aborted)
            return { verdict: "failed", result: { verdict: "failed", reason: "interrupted", numbers: {} }, extended, interrupted: true };
        const elapsedSeconds = (clock.now() - start) / 1000;
        const poll = await pollOnce(deps, targets, step, label, minute, windowStart, comparison.ownership, wholeAliasSinceMs);
        if (poll.stop) return { ...poll.stop, extended };
        await keepRecords(poll, targets, comparison.ownership, policy.gates.pollInterval, clock.now(), say);
        // A pause stays in force until a read of every alias shows it lifted (an alias that could not be read says nothing).
        paused = pauseSeen(paused, poll, targets.length, comparison, say, step.weight);
        const result = assessStep(
            {
                gates: policy.gates,
                bakeSeconds: step.bakeSeconds,
                elapsedSeconds,
                evidence:
                    poll.evidence && Object.fromEntries(Object.entries(poll.evidence).map(([k, ev]) => [k, evidenceSince(ev, stepStart)])),
                rolloutEvidence: poll.evidence,
                ...comparison,
                ...stepFacts(policy, step, start, windowStart.getTime()),
                alarmsInAlarm: poll.alarmsInAlarm,
                unreadable: poll.unreadable,
            },
            targets.map((t) => t.key),
        );
        comparison.onPoll?.(pollSample(clock.now(), step, targets, policy, poll, result));
        if (result.verdict === "extended") extended = true;
        sayIgnored(poll.seen, policy.approvers, ignored, say);
        const move = ownerMove(
            result.verdict,
            { ...poll.seen, ...(paused ? { paused } : {}) },
            { waitingForApproval: waiting !== undefined, approvers: policy.approvers },
        );
        const progress = `${Math.floor(elapsedSeconds / 60)}/${Math.round(step.bakeSeconds / 60)} min`;
        const outcome = outcomeOf(move, result, { extended, waiting, now: clock.now(), progress, say });
        if (outcome) return outcome;
    }
}

/** A bake's end for the owner's move (pure but for its line), or undefined to poll again. */
function outcomeOf(
    move: OwnerMove,
    result: GateResult,
    at: { extended: boolean; waiting?: number; now: number; progress: string; say: (text: string) => void },
): BakeOutcome | undefined {
    const { extended, say } = at;
    const ended = (verdict: Verdict, reason: string) => ({ verdict, result: { verdict, reason, numbers: {} }, extended });
    switch (move.kind) {
        case "roll-back":
        case "go-on":
            say(`${result.verdict.toUpperCase()} after ${at.progress}: ${result.reason}`);
            return { verdict: result.verdict as Verdict, result, extended };
        case "abort":
            return { ...ended("failed", move.by.reason ?? "aborted"), aborted: move.by };
        case "taken-over":
            say(
                `another promote (${move.by.owner}) owns this rollout now (its id is on the alias's record): stopping without touching traffic`,
            );
            return { ...ended("failed", "another promote took the rollout over"), takenOver: move.by };
        case "skip-bakes":
            return { verdict: "passed", result: { ...result, verdict: "passed" }, extended, full: move.by };
        case "approved":
            return { verdict: "passed", result: { ...result, verdict: "passed" }, extended, approved: move.by };
        case "hold":
            if (at.waiting !== undefined) {
                if (at.now >= at.waiting) return { verdict: "passed", result, extended, timedOut: true };
                say(`waiting for approval; gates: ${result.verdict}`);
            } else say("bake done, paused: holding until `resume` (gates still watching)");
            return undefined;
        case "keep-baking":
            say(`${result.verdict} ${at.progress}: ${result.reason}`);
            return undefined;
    }
}

/** What one poll hands to `onPoll` (the report's series): when, at which weight, what it read and decided. */
function pollSample(atMs: number, step: Step, targets: Target[], policy: RolloutPolicy, poll: Poll, result: GateResult): PollSample {
    return {
        atMs,
        weight: step.weight,
        functions: targets.map((t) => t.key),
        gates: policy.gates,
        evidence: poll.evidence,
        alarmsInAlarm: poll.alarmsInAlarm,
        result,
    };
}

/** An approval or `--full` from someone `rollout.approvers` does not name: said once, not acted on. */
function sayIgnored(seen: RecordsSeen, approvers: readonly string[], ignored: Set<number>, say: (text: string) => void): void {
    for (const asked of [seen.approved, seen.full]) {
        if (asked && !fromApprover(asked, approvers) && !ignored.has(asked.since)) {
            ignored.add(asked.since);
            say(
                `not acted on: ${asked.request === "full" ? "promote --full" : "an approval"} recorded by ${describeActor(asked)}, who is not one of \`rollout.approvers\``,
            );
        }
    }
}

/**
 * The owner's record upkeep after a poll: its lease renewed (on the first target's alias), and a record someone
 * replaced by hand written again, with what it said in the log (the owner's record is the owner's; operators act
 * through the verbs).
 */
async function keepRecords(
    poll: Poll,
    targets: Target[],
    ownership: Ownership,
    pollIntervalSeconds: number,
    now: number,
    say: (text: string) => void,
): Promise<void> {
    for (const u of poll.seen.unreadable) {
        const rewritten = await ownership.rewrite(u.key);
        say(
            `${u.key}: ${describeUnreadable(u)}; ${rewritten ? "written again by this promote, which owns the rollout (operators act through approve, pause, resume, abort)" : "could not write it again: checking next poll"}`,
        );
    }
    const lead = poll.reads.find((r) => r.target.key === targets[0].key);
    if (lead) await ownership.heartbeat(lead, now + bakeLeaseMs(pollIntervalSeconds));
}

/** A pause or a resume recorded on the aliases since the last poll: said once, and recorded; returns the pause now in force. */
function pauseSeen(
    paused: RolloutState | undefined,
    poll: Poll,
    targets: number,
    control: BakeControl,
    say: (text: string) => void,
    weight: number,
): RolloutState | undefined {
    const recorded = poll.seen.paused;
    if (recorded && !paused) {
        control.onOperator("pause", recorded);
        say(`paused by ${describeActor(recorded)}: holding ${percent(weight)}, gates still watching`);
        return recorded;
    }
    if (paused && !recorded && poll.reads.length === targets) {
        const resumed = poll.reads.map((r) => stateOf(r.read)).find((s) => s?.phase === "baking") ?? {};
        control.onOperator("resume", resumed);
        say(`resumed by ${describeActor(resumed)}`);
        return undefined;
    }
    return paused;
}

/** What one poll read: the aliases and their records, the evidence, the alarms, what could not be read; or a reason to stop. */
interface Poll {
    readonly reads: TargetRead[];
    readonly seen: RecordsSeen;
    readonly evidence?: Record<string, FunctionEvidence>;
    readonly alarmsInAlarm?: Record<string, string[]>;
    /** Per function: why there is no evidence for it this poll. */
    readonly unreadable: Record<string, string>;
    readonly stop?: Omit<BakeOutcome, "extended">;
}

const NOTHING_SEEN: RecordsSeen = { unreadable: [] };

/** A poll that ends the bake with a failed verdict. */
function stopPoll(reason: string, flags: Partial<BakeOutcome>): Poll {
    return {
        reads: [],
        seen: NOTHING_SEEN,
        unreadable: {},
        stop: { verdict: "failed", result: { verdict: "failed", reason, numbers: {} }, ...flags },
    };
}

/** Credentials that expired or are missing: the rollout cannot watch the candidate, so it stops the bake. */
function stopForCredentials(log: RolloutLog, prefix: string, what: string, err: unknown): Poll {
    const reason = `${credentialsProblem(err)}: cannot ${what}, so the rollout cannot watch the candidate; rolling back through whichever path still works`;
    log.line(`${prefix}: ${reason}`);
    return stopPoll(reason, { credentials: true });
}

/**
 * The aliases and their records. Someone else moved traffic (an emergency rollback, a hand edit) with no abort
 * recorded: a poll that stops without touching their routing. An alias that cannot be read is checked again
 * next poll.
 */
async function readAliases(deps: RolloutDeps, targets: Target[], step: Step, prefix: string, owner: string): Promise<Poll> {
    const reads: TargetRead[] = [];
    let movedOutside: string | undefined;
    // A few at a time, paced under Lambda's control-plane quota (paced.ts); gone through in order, as if one by one.
    const calls = await callPaced(targets, ALIAS_READS, deps.clock, (t) => readRecord(deps.lambda, deps.clock, t));
    for (const [i, t] of targets.entries()) {
        let read: AliasRead;
        try {
            read = await calls[i];
        } catch (err) {
            if (credentialsProblem(err)) return stopForCredentials(deps.log, prefix, `read ${t.functionName}:${t.aliasName}`, err);
            deps.log.line(`${prefix}: could not read ${t.functionName}:${t.aliasName} (${describeError(err)}); checking again next poll`);
            continue;
        }
        reads.push({ target: t, read });
        if (!movedOutside && !routesAt(read, t, step.weight))
            movedOutside = `${t.key}: the alias was changed outside this promote (now ${JSON.stringify(trafficShares(read))}, expected ${percent(step.weight)} on v${t.candidate}); stopping without touching traffic`;
    }
    const seen = recordsSeen(reads, owner);
    // An operator's abort moves traffic itself: that is no change "outside" the rollout, but its end.
    if (movedOutside && !seen.abort) {
        deps.log.line(`${prefix}: ${movedOutside}`);
        return stopPoll(movedOutside, { changedOutside: true });
    }
    return { reads, seen, unreadable: {} };
}

/** One poll: the aliases (still as this rollout set them? what do their records say?), the metrics, the alarms. */
async function pollOnce(
    deps: RolloutDeps,
    targets: Target[],
    step: Step,
    label: string,
    minute: () => number,
    windowStart: Date,
    ownership: Ownership,
    wholeAliasSinceMs?: number,
): Promise<Poll> {
    const { clock, log } = deps;
    const credentialsStop = (what: string, err: unknown) => stopForCredentials(log, `[min ${minute()}] ${label}`, what, err);
    const aliases = await readAliases(deps, targets, step, `[min ${minute()}] ${label}`, ownership.id);
    if (aliases.stop) return aliases;
    const unreadable: Record<string, string> = {};
    let evidence: Record<string, FunctionEvidence> | undefined;
    try {
        evidence = await deps.metrics.evidence(evidenceRequests(targets, wholeAliasSinceMs), windowStart, new Date(clock.now()));
        for (const t of targets) if (evidence[t.key]?.unreadable) unreadable[t.key] = `metrics unreadable: ${evidence[t.key].unreadable}`;
    } catch (err) {
        if (credentialsProblem(err)) return credentialsStop("read CloudWatch", err);
        log.line(`[min ${minute()}] ${label}: CloudWatch unavailable (${describeError(err)}); no evidence this poll`);
    }
    const alarmNames = targets.flatMap((t) => (t.rollbackAlarm ? [t.rollbackAlarm] : []));
    let alarmsInAlarm: Record<string, string[]> | undefined;
    if (alarmNames.length > 0 && evidence) {
        try {
            const states = await deps.metrics.alarmStates(alarmNames);
            alarmsInAlarm = Object.fromEntries(
                targets.map((t) => [t.key, t.rollbackAlarm && states[t.rollbackAlarm] === "ALARM" ? [t.rollbackAlarm] : []]),
            );
            // An alarm DescribeAlarms did not return is not a passing alarm.
            for (const t of targets)
                if (t.rollbackAlarm && !states[t.rollbackAlarm])
                    unreadable[t.key] ??= `alarm ${t.rollbackAlarm} not found by DescribeAlarms`;
        } catch (err) {
            if (credentialsProblem(err)) return credentialsStop("read the alarms", err);
            log.line(
                `[min ${minute()}] ${label}: alarm states unavailable (${describeError(err)}); no evidence this poll for the functions they guard`,
            );
            for (const t of targets) if (t.rollbackAlarm) unreadable[t.key] ??= `alarm states unreadable (${describeError(err)})`;
        }
    }
    for (const [key, why] of Object.entries(unreadable)) log.line(`[min ${minute()}] ${label}: ${key}: no evidence this poll: ${why}`);
    return { reads: aliases.reads, seen: aliases.seen, evidence, alarmsInAlarm, unreadable };
}

/** How long after a poll-interval boundary the gate reads CloudWatch: a just-ended minute has had time to land. */
export const POLL_OFFSET_MS = 5_000;

/**
 * When to poll next (pure): on the poll-interval grid plus {@link POLL_OFFSET_MS}, so each poll sees the newest
 * minute as soon as it can be visible (polling a fixed interval after the `up` would see it up to a minute
 * late); and at the end of the bake, so a healthy step passes on time.
 */
export function nextPollAt(now: number, pollMs: number, bakeEnd: number): number {
    const onGrid = Math.floor((now - POLL_OFFSET_MS) / pollMs) * pollMs + pollMs + POLL_OFFSET_MS;
    return bakeEnd > now ? Math.min(onGrid, bakeEnd) : onGrid;
}

/** Does the live alias route `weight` of a target's traffic to its candidate, as this rollout set it? */
export function routesAt(live: AliasRouting, t: { stable: string; candidate: string }, weight: number): boolean {
    if (weight <= 0) return live.stableVersion === t.stable && !live.candidate;
    return weight >= 1
        ? live.stableVersion === t.candidate && !live.candidate
        : live.stableVersion === t.stable && live.candidate?.version === t.candidate && Math.abs(live.candidate.weight - weight) < 1e-6;
}
