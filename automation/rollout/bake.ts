/**
 * A step's bake: the gates polled on the minute grid until a verdict, and what each poll reads (the aliases, as
 * this rollout set them and with the state operators record there; the metrics; the alarms). The loop in
 * promote.ts decides what a bake's outcome means; this module only watches.
 */
import type { RolloutPolicy } from "../../config/stackConfig";
import { trafficShares, type AliasRouting } from "../../components/routing";
import { assessStep, evidenceSince, type Baseline, type GateResult, type Verdict } from "./assess";
import type { EvidenceRequest, FunctionEvidence } from "./ports";
import type { RolloutDeps, Target } from "./promote";
import { credentialsProblem, describeError } from "./retry";
import { decodeState, isAbortOf, type RolloutState } from "./state";
import { advanceOf, percent, stepsFor, type Step } from "./steps";
import { readAlias, type RolloutLog } from "./traffic";

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
    /** An operator asked for `promote --full`: the remaining bakes are skipped. */
    readonly full?: OperatorSeen;
    /** The wait for approval ended with an approval. */
    readonly approved?: OperatorSeen;
    /** The wait for approval reached its timeout. */
    readonly timedOut?: boolean;
}

/** Who did what, as the recorded state says. */
export type OperatorSeen = { readonly by?: string; readonly reason?: string };

/** How a bake (or a wait for approval) deals with what operators record on the aliases. */
export interface BakeControl {
    readonly baseline?: Record<string, Baseline>;
    readonly lookAlpha?: number;
    /** A wait for approval until then (epoch ms): only a failed gate, an operator or the timeout ends it. */
    readonly approvalUntil?: number;
    /** Called once per pause and resume seen. */
    readonly onOperator: (action: "pause" | "resume", s: OperatorSeen) => void;
}

/** Polls the gates through a step's bake until a verdict other than baking/extended. */
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
    const bakeEnd = waiting ?? start + step.bakeSeconds * 1000;
    for (;;) {
        const wake = nextPollAt(clock.now(), policy.gates.pollInterval * 1000, bakeEnd);
        log.countdown?.(`${label}: baking`, bakeEnd);
        await clock.sleep(wake - clock.now(), deps.signal);
        if (deps.signal?.aborted)
            return { verdict: "failed", result: { verdict: "failed", reason: "interrupted", numbers: {} }, extended, interrupted: true };
        const elapsedSeconds = (clock.now() - start) / 1000;
        const poll = await pollOnce(deps, targets, step, label, minute, windowStart, wholeAliasSinceMs);
        if (poll.stop) return { ...poll.stop, extended };
        const recorded = poll.recorded;
        const asked = requestSeen(recorded, waiting !== undefined, extended);
        if (asked) return asked;
        paused = pauseSeen(paused, recorded, comparison, (text) => log.line(`[min ${minute()}] ${label}: ${text}`), step.weight);
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
        const progress = `${Math.floor(elapsedSeconds / 60)}/${Math.round(step.bakeSeconds / 60)} min`;
        const held = holding(result, waiting, paused !== undefined, clock.now(), (text) => log.line(`[min ${minute()}] ${label}: ${text}`));
        if (held === "timed-out") return { verdict: "passed", result, extended, timedOut: true };
        if (held === "holding") continue;
        if (result.verdict === "extended") extended = true;
        if (result.verdict === "baking" || result.verdict === "extended") {
            log.line(`[min ${minute()}] ${label}: ${result.verdict} ${progress}: ${result.reason}`);
            continue;
        }
        log.line(`[min ${minute()}] ${label}: ${result.verdict.toUpperCase()} after ${progress}: ${result.reason}`);
        return { verdict: result.verdict, result, extended };
    }
}

/**
 * Whether a verdict that did not fail is held (pure but for its line): a wait for approval holds until its
 * deadline, a pause holds a bake that is done. A failed verdict is never held: the gates keep watching.
 */
function holding(
    result: GateResult,
    approvalUntil: number | undefined,
    paused: boolean,
    now: number,
    say: (text: string) => void,
): "holding" | "timed-out" | undefined {
    if (result.verdict === "failed") return undefined;
    if (approvalUntil !== undefined) {
        if (now >= approvalUntil) return "timed-out";
        say(`waiting for approval; gates: ${result.verdict}`);
        return "holding";
    }
    if (paused && result.verdict === "passed") {
        say("bake done, paused: holding until `resume` (gates still watching)");
        return "holding";
    }
    return undefined;
}

/** An operator's `--full` (or, while waiting for approval, an approval) recorded on the aliases: it ends the bake. */
function requestSeen(recorded: RolloutState | undefined, waitingForApproval: boolean, extended: boolean): BakeOutcome | undefined {
    const ended = { verdict: "passed" as const, result: { verdict: "passed" as const, reason: "", numbers: {} }, extended };
    if (recorded?.request === "full") return { ...ended, full: recorded };
    if (waitingForApproval && recorded?.request === "approve") return { ...ended, approved: recorded };
    return undefined;
}

/** A pause or a resume recorded on the aliases since the last poll: said once, and recorded; returns the pause now in force. */
function pauseSeen(
    paused: RolloutState | undefined,
    recorded: RolloutState | undefined,
    control: BakeControl,
    say: (text: string) => void,
    weight: number,
): RolloutState | undefined {
    if (recorded?.phase === "paused" && !paused) {
        control.onOperator("pause", recorded);
        say(`paused by ${recorded.by ?? "an operator"}: holding ${percent(weight)}, gates still watching`);
        return recorded;
    }
    if (paused && recorded && recorded.phase !== "paused") {
        control.onOperator("resume", recorded);
        say(`resumed by ${recorded.by ?? "an operator"}`);
        return undefined;
    }
    return paused;
}

/** What one poll read: the evidence, the alarms, what could not be read; or a reason to stop baking. */
interface Poll {
    readonly evidence?: Record<string, FunctionEvidence>;
    readonly alarmsInAlarm?: Record<string, string[]>;
    /** Per function: why there is no evidence for it this poll. */
    readonly unreadable: Record<string, string>;
    readonly stop?: Omit<BakeOutcome, "extended">;
    /** The rollout state recorded on the aliases (an operator's pause, approval or `--full` shows here). */
    readonly recorded?: RolloutState;
}

/** A poll that ends the bake with a failed verdict. */
function stopPoll(reason: string, flags: Partial<BakeOutcome>): Poll {
    return { unreadable: {}, stop: { verdict: "failed", result: { verdict: "failed", reason, numbers: {} }, ...flags } };
}

/** Credentials that expired or are missing: the rollout cannot watch the candidate, so it stops the bake. */
function stopForCredentials(log: RolloutLog, prefix: string, what: string, err: unknown): Poll {
    const reason = `${credentialsProblem(err)}: cannot ${what}, so the rollout cannot watch the candidate; rolling back through whichever path still works`;
    log.line(`${prefix}: ${reason}`);
    return stopPoll(reason, { credentials: true });
}

/**
 * Someone else moved traffic (an emergency rollback, a hand edit): a poll that stops without touching their
 * routing. An alias that cannot be read is checked again next poll.
 */
async function routingMovedOutside(deps: RolloutDeps, targets: Target[], step: Step, prefix: string): Promise<Poll | undefined> {
    let recorded: RolloutState | undefined;
    for (const t of targets) {
        let live: AliasRouting & { description?: string };
        try {
            live = await readAlias(deps.lambda, deps.clock, t.functionName, t.aliasName);
        } catch (err) {
            if (credentialsProblem(err)) return stopForCredentials(deps.log, prefix, `read ${t.functionName}:${t.aliasName}`, err);
            deps.log.line(`${prefix}: could not read ${t.functionName}:${t.aliasName} (${describeError(err)}); checking again next poll`);
            continue;
        }
        const state = decodeState(live.description);
        // An operator's abort: traffic goes back through the rollback mechanism, which the abort command runs too.
        if (state && isAbortOf(state, t.candidate))
            return {
                unreadable: {},
                stop: { verdict: "failed", result: { verdict: "failed", reason: state.reason ?? "aborted", numbers: {} }, aborted: state },
            };
        if (state?.candidate === t.candidate) recorded ??= state;
        if (!routesAt(live, t, step.weight)) {
            const reason = `${t.key}: the alias was changed outside this promote (now ${JSON.stringify(trafficShares(live))}, expected ${percent(step.weight)} on v${t.candidate}); stopping without touching traffic`;
            deps.log.line(`${prefix}: ${reason}`);
            return stopPoll(reason, { changedOutside: true });
        }
    }
    return recorded ? { unreadable: {}, recorded } : undefined;
}

/** One poll: the aliases (still as this rollout set them?), the metrics, the alarms. */
async function pollOnce(
    deps: RolloutDeps,
    targets: Target[],
    step: Step,
    label: string,
    minute: () => number,
    windowStart: Date,
    wholeAliasSinceMs?: number,
): Promise<Poll> {
    const { clock, log } = deps;
    const credentialsStop = (what: string, err: unknown) => stopForCredentials(log, `[min ${minute()}] ${label}`, what, err);
    const aliases = await routingMovedOutside(deps, targets, step, `[min ${minute()}] ${label}`);
    if (aliases?.stop) return aliases;
    const recorded = aliases?.recorded;
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
    return { evidence, alarmsInAlarm, unreadable, recorded };
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
