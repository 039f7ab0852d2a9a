/**
 * The rollout loop, as a linear pipeline of phases: read where each function stands (its live alias and the
 * rollout state recorded on it), plan, preflight, confirm, smoke-test, then walk the steps (move, bake,
 * decide) one `up` at a time, and put traffic back on stable through the one rollback mechanism (traffic.ts)
 * the moment a gate fails, the infrastructure does, or the run is interrupted.
 *
 * Nothing is kept in a local file: the position is the live weight, and the rollout's phase (which step,
 * since when, the rollback target, a rollback decided) is recorded on the alias itself (state.ts), so a
 * promote killed at any instant and run again resumes or completes what was under way.
 *
 * Everything with side effects comes in through `RolloutDeps`; the decisions are pure (steps.ts, assess.ts,
 * preflight.ts, state.ts).
 */
import { HOOK_POINTS, type HookPoint, type RolloutPolicy, type RoutingOverride } from "../../config/stackConfig";
import { policyToFollow } from "./policy";
import { trafficShares, type AliasRouting, type Strategy } from "../../components/routing";
import { ExitCode, exitCodeForSignal } from "../exitCodes";
import { InfrastructureError, isBug, StackLockedError, UsageError } from "../errors";
import { lookAlphas, type Baseline, type Verdict } from "./assess";
import type { Clock, RolloutDeps, RolloutLog, StackOutputs, Target, UpdateRecord } from "./ports";
import { preflightNotes, preflightProblems } from "./preflight";
import { describeHook, hookFailureReason, runHooks, type Hook, type HookContext } from "./hooks";
import { exitCodeForOutcome, ReportRecorder, type OperatorRecord, type Outcome, type RolloutReport, type StepRecord } from "./report";
import {
    describeError,
    INTERRUPT_RETRY,
    RetriesExhausted,
    ROLLBACK_RETRY,
    SMOKE_INVOKE_RETRY,
    withRetries,
    type RetryPolicy,
} from "./retry";
import { readAlias, readRecord, stateOf, type AliasRead } from "./record";
import { bakeLeaseMs, Ownership, UP_LEASE_MS, type OperatorSeen, type WriteRefused } from "./requests";
import {
    decodeState,
    describeActor,
    describeState,
    encodeState,
    isRollbackDecided,
    isUnfinished,
    ownerAlive,
    type RolloutPhase,
    type RolloutState,
} from "./state";
import { percent, resumeFrom, stepsFor, type Step } from "./steps";
import { restoreTraffic, type RestoreResult } from "./traffic";
import { recoveryAdvice, type UnreadableRecord } from "./unreadable";
import { bakeStep, nextPollAt, POLL_OFFSET_MS, readBaseline, routesAt, type BakeOutcome } from "./bake";

export { nextPollAt, POLL_OFFSET_MS, routesAt };
export { policyFrom, withStrategy } from "./policy";

export type { RolloutDeps, RolloutLog, Target } from "./ports";

/** Options of a promote. */
export interface PromoteOptions {
    readonly stackName: string;
    /** Print the plan and touch nothing. */
    readonly dryRun?: boolean;
    /** Use this strategy instead of the stack's (e.g. blue-green for a role change). */
    readonly strategy?: Strategy;
    /** On SIGINT/SIGTERM: put all traffic back on stable (default), or hold the current weight to resume later. */
    readonly onInterrupt?: "abort" | "hold";
    /** Roll out again a candidate whose rollout was rolled back or aborted (from the first step). */
    readonly retry?: boolean;
    /** Hooks in place of the stack's own at the points given (the rehearsal's, answered by its scenario). */
    readonly hooks?: Partial<Record<HookPoint, Hook[]>>;
    /**
     * The checked-out, validated stack config's rollout policy: what this promote follows (hooks, approvers,
     * gates), after checking that the stack's outputs carry the same (policy.ts). Absent: the outputs' own.
     */
    readonly policy?: RolloutPolicy;
}

/** What a promote returns: the report and the exit code. */
export interface RolloutResult {
    readonly report: RolloutReport;
    readonly exitCode: number;
    /** For --dry-run: the planned steps. */
    readonly plan?: string[];
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

/** The routing override for one `up`: every function at `weight`, each with the state it records. */
export function routingAt(targets: readonly Target[], weight: number, state?: (t: Target) => string): RoutingOverride {
    return Object.fromEntries(
        targets.map((t) => [t.key, { stable: t.stable, candidate: t.candidate, weight, ...(state ? { state: state(t) } : {}) }]),
    );
}

/** Does a response contain every expected field with the expected value? */
export function matchesExpectation(payload: unknown, expect: Record<string, unknown>): boolean {
    if (payload === null || typeof payload !== "object") return Object.keys(expect).length === 0;
    return Object.entries(expect).every(([k, v]) => JSON.stringify((payload as Record<string, unknown>)[k]) === JSON.stringify(v));
}

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
    for (let waited = false; ; waited = true) {
        const { all, unreadable, notes } = await readTargets(deps, outputs);
        const run = new PromoteRun(deps, options, policy, outputs.region, all, startedAt);
        // Putting traffic back never waits for anyone: only a run that may move forward waits for a live owner.
        const owner = all.some((t) => isRollbackDecided(t.state)) ? undefined : liveOwner(all, deps.clock.now());
        if (!owner || options.dryRun || unreadable.length > 0) {
            notes.forEach((n) => deps.log.line(n));
            return run.run(unreadable);
        }
        if (waited) return run.ownedElsewhere(owner);
        // A promote killed and run again finds its predecessor's lease: it takes over once that has run out (a
        // predecessor still alive renews it, and this run then leaves the rollout to it).
        deps.log.line(
            `the rollout of v${owner.candidate} is owned by another promote (${owner.owner}), whose lease runs to ${new Date(owner.lease!).toISOString()}: ` +
                `waiting ${Math.ceil((owner.lease! - deps.clock.now()) / 1000)} s for it to run out (if that promote is alive, it renews the lease and this run stops, exit ${ExitCode.locked})`,
        );
        await deps.clock.sleep(owner.lease! - deps.clock.now() + 1_000, deps.signal);
        if (deps.signal?.aborted) return run.run(unreadable);
    }
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

/** What the steps of one walk share: each step's share of the end-of-step budget, and stable's history read once. */
interface BakeContext {
    readonly looks: (number | null)[];
    rolloutStartMs?: number;
    baseline?: Record<string, Baseline>;
}

/** One run of promote: its phases, each a method entered once, over one recorder. */
class PromoteRun {
    private readonly startedAt: number;
    private readonly recorder: ReportRecorder;
    /** The functions this rollout moves (stable differs from candidate). */
    private readonly targets: Target[];
    private readonly steps: Step[];
    private liveWeight = 0;
    /** A `promote --full` this run saw recorded, with evidence that had not failed (carried out at the step boundary). */
    private full?: OperatorSeen;
    /** This run's writes of the record, as the rollout's owner. */
    private readonly ownership: Ownership;
    /** `--retry` of an ended rollout: its first write starts the new rollout over the old record. */
    private restarting: boolean;
    /** When a wait for approval recorded on the aliases began (a run again keeps waiting from then). */
    private approvalSince?: number;
    /** What the steps of the walk share (the evidence window, stable's history); set when the walk starts. */
    private bakes: BakeContext = { looks: [] };
    /** The hooks of each point: the options' (the rehearsal's) in place of the stack's. */
    private readonly hooks: Record<HookPoint, Hook[]>;

    constructor(
        private readonly deps: RolloutDeps,
        private readonly options: PromoteOptions,
        private readonly policy: RolloutPolicy,
        private readonly region: string | undefined,
        private readonly all: Target[],
        startedAt: number,
    ) {
        this.startedAt = startedAt;
        this.targets = all.filter((t) => t.stable !== t.candidate);
        this.ownership = new Ownership(deps, deps.ownerId ?? ownerIdFrom(deps.random ?? Math.random), this.targets);
        this.restarting = Boolean(options.retry);
        this.steps = stepsFor(policy);
        this.hooks = { ...policy.hooks, ...options.hooks };
        const functions = Object.fromEntries(
            all.map((t) => [
                t.key,
                { stable: t.stable, candidate: t.candidate, finalRouting: "unknown" as const, finalRoutingError: "not read yet" },
            ]),
        );
        this.recorder = new ReportRecorder(
            { stack: options.stackName, strategy: policy.strategy, startedAt: new Date(this.startedAt).toISOString(), functions },
            () => this.minute(),
            deps.observe,
        );
    }

    /** Minutes since this run began, to a tenth. */
    private minute(): number {
        return Math.round(((this.deps.clock.now() - this.startedAt) / 60000) * 10) / 10;
    }

    private get log(): RolloutLog {
        return this.deps.log;
    }

    /** The signal that interrupted the run, if one has. */
    private interrupted(): string | undefined {
        const s = this.deps.signal;
        return s?.aborted ? String(s.reason ?? "SIGINT") : undefined;
    }

    async run(unreadable: readonly UnreadableRecord[] = []): Promise<RolloutResult> {
        if (unreadable.length > 0) return this.refuseUnreadable(unreadable);
        const decided = this.targets.filter((t) => isRollbackDecided(t.state));
        if (decided.length > 0) return this.completeDecidedRollback(decided);
        const ended = this.targets.find((t) => (t.state?.phase === "rolled-back" || t.state?.phase === "aborted") && t.liveWeight === 0);
        if (ended && !this.options.retry) return this.alreadyEnded(ended.state!);
        if (this.targets.length === 0) {
            this.log.line(
                `nothing to do: every function's live alias already points at its latest version (${this.all.map((t) => `${t.key} v${t.candidate}`).join(", ")})`,
            );
            return this.finish("nothing-to-do");
        }
        this.liveWeight = Math.min(...this.targets.map((t) => t.liveWeight));
        const { remaining, resumed } = this.resumePoint();
        const plan = describeRollout(this.options.stackName, this.policy, this.targets, remaining, resumed, this.liveWeight);
        plan.forEach((l) => this.log.line(l));
        if (this.options.dryRun) {
            this.log.line("dry run: nothing was called that changes anything");
            return { report: this.recorder.report, exitCode: ExitCode.ok, plan };
        }
        for (const w of zeroBakeWarnings(remaining)) this.recorder.warn(w);
        const hooked = HOOK_POINTS.filter((p) => this.hooks[p].length > 0);
        if (hooked.length > 0 && !this.deps.hooks) {
            throw new UsageError(`the stack declares hooks (${hooked.join(", ")}) but this run has no way to run them: nothing was moved`);
        }
        await this.preflight(remaining);
        if (
            this.deps.confirm &&
            !(await this.deps.confirm(
                `Move ${this.options.stackName} traffic to ${this.targets.map((t) => `${t.key} v${t.candidate}`).join(", ")} (${remaining.map((s) => percent(s.weight)).join(" -> ")})?`,
            ))
        ) {
            throw new UsageError("not confirmed: nothing was invoked and no traffic was moved");
        }
        const smokeFailure = await this.smokeTest();
        if (smokeFailure) return smokeFailure;
        if (!resumed) {
            const hookFailure = await this.hooksAt("preTraffic");
            if (hookFailure) return hookFailure;
        }
        return this.walk(remaining, resumed);
    }

    /**
     * Where this run starts (from the live weight, steps.ts), and what the recorded state adds: a wait for
     * approval goes on waiting (its step is not baked again; its timeout runs from when the wait began). A
     * `promote --full` recorded while no promote ran is carried out at the first poll whose evidence has not failed.
     */
    private resumePoint(): { remaining: Step[]; resumed: boolean } {
        const recorded = this.targets.map((t) => t.state).filter((s): s is RolloutState => s !== undefined);
        const waiting = recorded.find((s) => s.phase === "awaiting-approval" && Math.abs(s.weight - this.liveWeight) < 1e-6);
        if (waiting && this.liveWeight > 0) {
            this.approvalSince = waiting.since;
            return { remaining: this.steps.filter((s) => s.number > waiting.step), resumed: true };
        }
        return resumeFrom(this.steps, this.liveWeight);
    }

    /** AWS's alias constraints, checked before any traffic moves. */
    private async preflight(remaining: Step[]): Promise<void> {
        const facts = [];
        for (const t of this.targets) {
            facts.push({
                name: t.key,
                stable: await this.deps.lambda.getVersion(t.functionName, t.stable),
                candidate: await this.deps.lambda.getVersion(t.functionName, t.candidate),
                aliasHasProvisionedConcurrency: await this.deps.lambda.hasProvisionedConcurrency(t.functionName, t.aliasName),
            });
        }
        for (const note of preflightNotes(facts)) this.log.line(`preflight note: ${note}`);
        const problems = preflightProblems(facts, remaining);
        if (problems.length > 0) {
            throw new UsageError(`preflight failed, no traffic was moved:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
        }
        this.log.line("preflight passed: published versions, same role and dead-letter config");
    }

    /** A smoke test that failed or could not run: recorded as a failed step, then the rollback. */
    private smokeTestFailed(reason: string, outcome: "rolled-back" | "failed", cause?: unknown): Promise<RolloutResult> {
        this.log.line(reason);
        this.recorder.step({ weight: this.liveWeight, startedAtMinute: this.minute(), verdict: "failed", cause: "smoke-test", reason });
        return this.rollBack(reason, outcome, cause);
    }

    /** The candidate, invoked directly, before any (more) traffic reaches it; a failure goes back to stable. */
    private async smokeTest(): Promise<RolloutResult | undefined> {
        const smoke = this.policy.smokeTest;
        if (!smoke) return undefined;
        for (const t of this.targets) {
            if (this.interrupted()) return this.onInterrupt();
            let outcome: SmokeOutcome;
            try {
                outcome = await smokeTest(this.deps.lambda, t, smoke, {
                    clock: this.deps.clock,
                    random: this.deps.random ?? Math.random,
                    onRetry: (err, attempt, delayMs) =>
                        this.log.line(
                            `[min ${this.minute()}] smoke test of ${t.key} v${t.candidate}: Invoke refused (${describeError(err)}); retrying in ${Math.round(delayMs)} ms (retry ${attempt})`,
                        ),
                });
            } catch (err) {
                const why = err instanceof RetriesExhausted ? err.message : describeError(err);
                return this.smokeTestFailed(`smoke test of ${t.key} v${t.candidate} could not run: ${why}`, "failed", err);
            }
            for (const [i, problem] of outcome.failures.entries()) {
                this.log.line(`smoke test of ${t.key} v${t.candidate}, attempt ${i + 1} of ${smoke.attempts}: ${problem}`);
            }
            if (!outcome.passed) {
                const attempts = outcome.failures.length;
                const reason = `smoke test of ${t.key} v${t.candidate} failed ${attempts} of ${attempts} attempts: ${outcome.failures.at(-1)}`;
                return this.smokeTestFailed(reason, "rolled-back");
            }
            this.log.line(
                `smoke test of ${t.key} v${t.candidate} passed${outcome.failures.length ? ` on attempt ${outcome.failures.length + 1}` : ""}`,
            );
        }
        return undefined;
    }

    /** Walks the remaining steps: move, bake, decide. */
    private async walk(remaining: Step[], resumed: boolean): Promise<RolloutResult> {
        const bakes: BakeContext = {
            looks: lookAlphas(
                this.policy.gates,
                remaining.map((s) => s.bakeSeconds),
            ),
        };
        this.bakes = bakes;
        for (const [i, step] of remaining.entries()) {
            if (this.full) return this.promoteFull();
            if (step.approval && step.weight > this.liveWeight + 1e-9) {
                const refused = await this.awaitApproval(step, bakes);
                if (refused) return refused;
                if (this.full) return this.promoteFull();
            }
            const ended = await this.runStep(step, i, resumed && i === 0, bakes);
            if (ended) return ended;
            if (this.full) return this.promoteFull();
            const hookFailure = await this.hooksAt("afterStep", step.number);
            if (hookFailure) return hookFailure;
        }
        return (await this.hooksAt("postTraffic", this.steps.length)) ?? this.promoted();
    }

    /**
     * Runs the hooks of one point, each recorded in the report. A failing one (not at onRollback, which only
     * reports) fails the gate: recorded as a failed step, then the rollback. Returns the result when the run ends.
     */
    private async hooksAt(point: HookPoint, step?: number, reason?: string): Promise<RolloutResult | undefined> {
        const hooks = this.hooks[point];
        if (hooks.length === 0 || !this.deps.hooks) return undefined;
        const context: HookContext = {
            stack: this.options.stackName,
            point,
            ...(step !== undefined ? { step } : {}),
            steps: this.steps.length,
            weight: this.liveWeight,
            functions: this.targets.map((t) => ({
                key: t.key,
                functionName: t.functionName,
                alias: t.aliasName,
                stable: { version: t.stable, ...(t.functionArn ? { arn: `${t.functionArn}:${t.stable}` } : {}) },
                candidate: { version: t.candidate, ...(t.functionArn ? { arn: `${t.functionArn}:${t.candidate}` } : {}) },
            })),
            ...(reason ? { reason } : {}),
        };
        const started = this.minute();
        // The hooks may run longer than a poll: the lease covers them all (every attempt to its timeout).
        if (point !== "onRollback" && point !== "preTraffic") {
            const longest = hooks.reduce((ms, h) => ms + h.timeout * 1000 * (h.retries + 1), 0);
            await this.ownership.extend(this.deps.clock.now() + longest + bakeLeaseMs(this.policy.gates.pollInterval));
        }
        const { records, failed, interrupted } = await runHooks(
            this.deps.hooks,
            hooks,
            context,
            this.deps.clock,
            () => this.minute(),
            this.deps.signal,
        );
        for (const r of records) {
            this.log.line(`[min ${this.minute()}] ${describeHook(r)}`);
            this.recorder.update((rep) => (rep.hooks ??= []).push(r));
        }
        // An interrupt during a hook is the interrupt, not a failing hook (onRollback's hooks only report: the rollback stands).
        if (interrupted && point !== "onRollback") return this.onInterrupt();
        if (!failed) return undefined;
        const why = hookFailureReason(failed);
        this.recorder.step({ weight: this.liveWeight, startedAtMinute: started, verdict: "failed", cause: "hook", reason: why });
        return this.rollBack(why, "rolled-back");
    }

    /**
     * Holds the current weight until a person approves the next step: from a terminal (asked here), or from
     * anywhere with `lambda-rollout approve` (recorded on the aliases, seen at the next poll). The gates keep
     * watching meanwhile and roll back on a failure; `abort` rolls back; the timeout rolls back or holds, as
     * configured. The wait is recorded on the aliases, so a promote run again is still waiting.
     */
    private async awaitApproval(step: Step, bakes: BakeContext): Promise<RolloutResult | undefined> {
        const label = `step ${step.number}/${this.steps.length} ${percent(step.weight)}`;
        const since = this.approvalSince ?? this.deps.clock.now();
        this.approvalSince = undefined;
        const { timeout, onTimeout } = this.policy.approval;
        const deadline = since + timeout * 1000;
        const held = this.steps.filter((s) => s.weight <= this.liveWeight + 1e-9).at(-1)?.number ?? 0;
        const holdStep: Step = { weight: this.liveWeight, bakeSeconds: 0, number: held };
        const refusedWait = await this.recordState((t) => ({
            ...this.stateNow(t, "awaiting-approval"),
            step: held,
            since: Math.floor(since / 1000) * 1000,
        }));
        if (refusedWait) return this.refusedWrite(refusedWait, holdStep, this.minute());
        this.recorder.update((r) => (r.waitingForApproval = { step: step.number, weight: step.weight, sinceMinute: this.minute() }));
        this.log.line(
            `[min ${this.minute()}] ${label} needs approval: holding ${percent(this.liveWeight)} on the candidate (gates still watching) ` +
                `until \`lambda-rollout approve -s ${this.options.stackName}\` (or \`abort\`); after ${Math.round(timeout / 60)} min: ${onTimeout === "hold" ? "hold and stop" : "roll back"}`,
        );
        await this.ensureBaseline(bakes);
        const start = this.minute();
        const outcome = await this.holdForApproval(label, holdStep, deadline, bakes);
        if (outcome === "refused") {
            const by = this.deps.user ?? "the terminal";
            return this.abortedByOperator({ by, reason: "not approved at the terminal" }, holdStep, start);
        }
        this.recorder.update((r) => delete r.waitingForApproval);
        if (outcome.approved) {
            this.sawOperator("approve", outcome.approved);
            this.log.line(`[min ${this.minute()}] ${label}: approved by ${outcome.approved.by ?? "an operator"}`);
            return undefined;
        }
        if (outcome.full) {
            this.full = outcome.full;
            return undefined;
        }
        if (outcome.timedOut) {
            const reason = `${label} was not approved within ${Math.round(timeout / 60)} min`;
            this.log.line(
                `[min ${this.minute()}] ${reason}: ${onTimeout === "hold" ? "holding the weight; the wait stays recorded" : "rolling back"}`,
            );
            this.recorder.step({ weight: this.liveWeight, startedAtMinute: start, verdict: "failed", cause: "approval-timeout", reason });
            if (onTimeout === "rollback") return this.rollBack(reason, "rolled-back");
            this.recorder.decided();
            return this.finish("held", ExitCode.interrupted);
        }
        return (
            (await this.actOn(outcome, holdStep, start)) ?? this.rollBack("the wait for approval ended without an answer", "rolled-back")
        );
    }

    /**
     * The wait itself: the gates polled at the held weight (bakeStep in its approval mode) and, on a terminal, the
     * question asked at the same time; whichever answers first ends it (the other is closed).
     */
    private async holdForApproval(label: string, holdStep: Step, deadline: number, bakes: BakeContext): Promise<BakeOutcome | "refused"> {
        const stopHold = new AbortController();
        const closePrompt = new AbortController();
        const signal = this.deps.signal ? AbortSignal.any([this.deps.signal, stopHold.signal]) : stopHold.signal;
        const hold = bakeStep(
            { ...this.deps, signal },
            this.policy,
            this.targets,
            holdStep,
            `${label} approval`,
            () => this.minute(),
            bakes.rolloutStartMs!,
            {
                baseline: bakes.baseline,
                approvalUntil: deadline,
                onOperator: (action, s) => this.sawOperator(action, s),
                ownership: this.ownership,
                onPoll: (sample) => this.recorder.poll(sample),
            },
        );
        const asked = this.deps.ask?.(
            `Approve ${label} of ${this.options.stackName}? (no aborts the rollout: all traffic back to stable)`,
            closePrompt.signal,
        );
        const first = asked ? await Promise.race([hold.then((o) => ({ o })), asked.then((a) => ({ a }))]) : { o: await hold };
        if ("o" in first) {
            closePrompt.abort();
            return first.o;
        }
        if (first.a === undefined) return hold;
        stopHold.abort();
        await hold;
        if (!first.a) return "refused";
        const by = this.deps.user ?? "the terminal";
        const held = holdStep.number;
        await this.recordState((t) => ({ ...this.stateNow(t, "awaiting-approval"), step: held, request: "approve", by }));
        return { verdict: "passed", result: { verdict: "passed", reason: "approved", numbers: {} }, extended: false, approved: { by } };
    }

    /** An operator action this run saw on the aliases: recorded in the report, once. */
    private sawOperator(action: OperatorRecord["action"], s: OperatorSeen): void {
        this.recorder.update((r) =>
            (r.operator ??= []).push({
                action,
                ...(s.by ? { by: s.by } : {}),
                ...(s.principal ? { principal: s.principal } : {}),
                ...(s.reason && action !== "resume" && action !== "approve" ? { reason: s.reason } : {}),
                atMinute: this.minute(),
            }),
        );
    }

    /** `promote --full`: the remaining bakes skipped at an operator's word, who and why in the report; hooks still run. */
    private async promoteFull(): Promise<RolloutResult> {
        const asked = this.full!;
        this.full = undefined;
        if (!this.recorder.report.operator?.some((o) => o.action === "promote-full")) this.sawOperator("promote-full", asked);
        const last = this.steps.at(-1)!;
        this.log.line(
            `[min ${this.minute()}] promote --full by ${describeActor(asked)} (${asked.reason ?? "no reason given"}): skipping the remaining bakes`,
        );
        const moved = await this.moveTo({ ...last, bakeSeconds: 0 }, `step ${last.number}/${this.steps.length} 100% (--full)`, false);
        if (moved) return moved;
        this.recorder.step({
            weight: 1,
            startedAtMinute: this.minute(),
            verdict: "passed",
            cause: "operator",
            reason: `promote --full by ${describeActor(asked)}: ${asked.reason ?? "no reason given"}; no bake at 100%`,
        });
        return (await this.hooksAt("postTraffic", this.steps.length)) ?? this.promoted();
    }

    /**
     * An operator's abort (seen on the aliases, or a "no" at the prompt): the abort command puts traffic back
     * itself; this run makes sure of it through the same rollback mechanism, and records it.
     */
    private async abortedByOperator(s: OperatorSeen, step: Step, stepStart: number): Promise<RolloutResult> {
        const reason = s.by || s.principal ? `aborted by ${describeActor(s)}${s.reason ? `: ${s.reason}` : ""}` : (s.reason ?? "aborted");
        this.sawOperator("abort", s);
        this.log.line(`[min ${this.minute()}] ${reason}: all traffic back to stable`);
        this.recorder.step({ weight: step.weight, startedAtMinute: stepStart, verdict: "interrupted", cause: "operator", reason });
        this.recorder.decided();
        const restored = await this.restore("aborted", reason, ROLLBACK_RETRY, true);
        await this.hooksAt("onRollback", undefined, reason);
        return this.finish(restored.landed ? "aborted" : "failed", restored.landed ? ExitCode.rolledBack : ExitCode.infrastructure);
    }

    /** The rollout's evidence window starts with the first bake (or wait): stable's history before it is read once. */
    private async ensureBaseline(bakes: BakeContext): Promise<void> {
        if (bakes.rolloutStartMs !== undefined) return;
        bakes.rolloutStartMs = this.deps.clock.now();
        bakes.baseline = await readBaseline(this.deps, this.policy, this.targets, bakes.rolloutStartMs, () => this.minute());
    }

    /** One step: move its weight live, bake it under the gates, act on the verdict. Returns a result when the run ends here. */
    private async runStep(step: Step, index: number, resumedStep: boolean, bakes: BakeContext): Promise<RolloutResult | undefined> {
        const label = `step ${step.number}/${this.steps.length} ${percent(step.weight)}`;
        const stepStart = this.minute();
        const moved = await this.moveTo(step, label, resumedStep);
        if (moved) return moved;
        if (step.bakeSeconds === 0) {
            this.recorder.step({
                weight: step.weight,
                startedAtMinute: stepStart,
                verdict: "passed",
                cause: "no-bake",
                reason: `bake 0s written in the config: no gate ran for ${percent(step.weight)}`,
            });
            return undefined;
        }
        await this.ensureBaseline(bakes);
        let bake: BakeOutcome;
        try {
            bake = await bakeStep(this.deps, this.policy, this.targets, step, label, () => this.minute(), bakes.rolloutStartMs!, {
                baseline: bakes.baseline,
                lookAlpha: bakes.looks[index] ?? undefined,
                onOperator: (action, s) => this.sawOperator(action, s),
                ownership: this.ownership,
                onPoll: (sample) => this.recorder.poll(sample),
            });
        } catch (err) {
            // Anything unexpected while traffic is on the candidate: back to stable, and keep the record.
            if (this.interrupted()) return this.onInterrupt();
            const reason = `unexpected error while baking ${label}: ${describeError(err)}`;
            this.log.line(`[min ${this.minute()}] ${reason}`);
            this.recorder.step({ weight: step.weight, startedAtMinute: stepStart, verdict: "failed", cause: "infrastructure", reason });
            return this.rollBack(reason, "failed", err);
        }
        return this.actOn(bake, step, stepStart);
    }

    /** Records a bake's verdict and acts on it: on to the next step, stop, or roll back. */
    private async actOn(bake: BakeOutcome, step: Step, stepStart: number): Promise<RolloutResult | undefined> {
        if (bake.interrupted) {
            this.recorder.step({
                weight: step.weight,
                startedAtMinute: stepStart,
                verdict: "interrupted",
                cause: "interrupted",
                reason: `interrupted by ${this.interrupted()} while baking`,
            });
            return this.onInterrupt();
        }
        if (bake.aborted) return this.abortedByOperator(bake.aborted, step, stepStart);
        if (bake.takenOver) return this.takenOver(bake.takenOver, step, stepStart);
        if (bake.full) {
            this.full = bake.full;
            this.recorder.step({
                weight: step.weight,
                startedAtMinute: stepStart,
                verdict: "passed",
                cause: "operator",
                reason: `bake cut short: promote --full by ${describeActor(bake.full)}: ${bake.full.reason ?? "no reason given"}`,
            });
            return undefined;
        }
        this.recorder.step({
            weight: step.weight,
            startedAtMinute: stepStart,
            verdict: recordVerdict(bake.verdict, bake.extended),
            reason: bake.result.reason,
            ...causeOf(bake),
            ...(bake.result.severity ? { severity: bake.result.severity } : {}),
        });
        if (bake.result.severity === "incident" && bake.verdict === "failed") {
            this.log.line(`[min ${this.minute()}] INCIDENT: ${bake.result.reason}: rolling back at once; the stack's topic is paged`);
            this.recorder.update((r) => (r.incident = { band: "incident", reason: bake.result.reason, atMinute: this.minute() }));
        }
        if (bake.verdict === "passed") return undefined;
        if (bake.changedOutside) {
            this.recorder.update((r) => (r.error = bake.result.reason));
            return this.finish("failed", ExitCode.infrastructure);
        }
        if (bake.credentials) return this.rollBack(bake.result.reason, "failed", new InfrastructureError(bake.result.reason));
        return this.rollBack(
            bake.result.reason,
            bake.verdict === "inconclusive" && this.policy.gates.onNoData === "fail" ? "failed" : "rolled-back",
        );
    }

    /**
     * Puts the step's weight live with one `up` (the state recorded in the same alias update), or, when it is
     * live already (a resumed run), records that this run is baking it. Returns a result when the run ends here.
     */
    private async moveTo(step: Step, label: string, resuming: boolean): Promise<RolloutResult | undefined> {
        if (this.interrupted()) return this.onInterrupt();
        const at = (t: Target, current?: RolloutState): RolloutState => ({
            phase: "baking",
            stable: t.stable,
            candidate: t.candidate,
            step: step.number,
            steps: this.steps.length,
            weight: step.weight,
            since: this.deps.clock.now(),
            // A `promote --full` recorded and not carried out yet stays asked: the bake's first poll weighs it.
            ...(current?.request === "full"
                ? { request: "full" as const, by: current.by, principal: current.principal, reason: current.reason }
                : {}),
        });
        if (Math.abs(step.weight - this.liveWeight) <= 1e-9) {
            this.log.line(
                `[min ${this.minute()}] ${label}: ${percent(step.weight)} is live already${resuming ? " (resumed: re-baking this step)" : ""}`,
            );
            // A pause recorded while no promote ran stays a pause: this run bakes, and holds, until `resume`.
            const refused = await this.recordState((t, current) => (current?.phase === "paused" ? { ...current } : at(t, current)));
            return refused ? this.refusedWrite(refused, step, this.minute()) : undefined;
        }
        // Before the `up`: the record says an `up` of the owner's is coming (so whoever records a request meanwhile
        // reads again once it has landed), with a lease that covers it; refused over an abort, another owner, or a
        // pause recorded since the last poll (the weight then holds until `resume`).
        const upLease = this.deps.clock.now() + UP_LEASE_MS;
        const refused = await this.recordState(
            (t, current) => ({ ...(current && isUnfinished(current) ? current : this.stateNow(t, "baking")), upInFlight: true }),
            {
                lease: upLease,
                refuseOver: (c) => (c.phase === "paused" ? { kind: "paused", key: "", state: c } : undefined),
            },
        );
        if (refused?.kind === "paused") return (await this.holdWhilePaused(refused.state)) ?? this.moveTo(step, label, resuming);
        if (refused) return this.refusedWrite(refused, step, this.minute());
        const message = `lambda-rollout promote: ${label} (${this.targets.map((t) => `${t.key} v${t.stable}->v${t.candidate}`).join(", ")})`;
        const upState = (t: Target) => encodeState({ ...at(t, this.ownership.last(t.key)), owner: this.ownership.id, lease: upLease });
        try {
            await this.upUnlessInterrupted(routingAt(this.targets, step.weight, upState), message);
            if (this.interrupted()) return this.onInterrupt();
        } catch (err) {
            if (this.interrupted()) return this.onInterrupt();
            // The program refuses to move forward over an abort (components/routing.ts): whatever failed, an abort wins.
            const after = await this.recordsNow();
            if (after?.kind) return this.refusedWrite(after, step, this.minute());
            const reason = `infrastructure: ${describeError(err)}`;
            this.log.line(`${label}: the up failed: ${describeError(err)}`);
            this.recorder.step({ weight: step.weight, startedAtMinute: this.minute(), verdict: "failed", cause: "infrastructure", reason });
            // The `up` may have moved the weight before it failed: the rollback puts every function back anyway.
            this.liveWeight = Math.max(this.liveWeight, step.weight);
            return this.rollBack(reason, "failed", err);
        }
        const ended = await this.afterUp(step, label);
        if (ended) return ended;
        this.liveWeight = step.weight;
        this.log.line(
            `[min ${this.minute()}] ${label}: ${percent(step.weight)} of traffic on the candidate; baking ${Math.round(step.bakeSeconds / 60)} min`,
        );
        return undefined;
    }

    /** After a step's `up`: what it wrote, read back; an abort recorded meanwhile wins over the routing asked. */
    private async afterUp(step: Step, label: string): Promise<RolloutResult | undefined> {
        const after = await this.recordsNow();
        if (after) return this.refusedWrite(after, step, this.minute());
        try {
            await verifyRouting(this.deps, this.targets, step.weight);
            return undefined;
        } catch (err) {
            const reason = `infrastructure: ${describeError(err)}`;
            this.log.line(`${label}: ${describeError(err)}`);
            this.recorder.step({ weight: step.weight, startedAtMinute: this.minute(), verdict: "failed", cause: "infrastructure", reason });
            this.liveWeight = Math.max(this.liveWeight, step.weight);
            return this.rollBack(reason, "failed", err);
        }
    }

    /**
     * What the records say now that forbids this run to go on: an abort of the candidate, or another owner. An
     * alias that cannot be read now is read again at the next poll.
     */
    private async recordsNow(): Promise<WriteRefused | undefined> {
        for (const t of this.targets) {
            let read: AliasRead;
            try {
                read = await readRecord(this.deps.lambda, this.deps.clock, t);
            } catch {
                continue;
            }
            const s = stateOf(read);
            if (!s || s.candidate !== t.candidate) continue;
            if (s.phase === "aborting" || s.phase === "aborted") return { kind: "abort", key: t.key, state: s };
            if (s.owner !== undefined && s.owner !== this.ownership.id) return { kind: "taken-over", key: t.key, state: s };
        }
        return undefined;
    }

    /** A write of the record refused over what someone else recorded: the abort wins; another owner is left to go on. */
    private refusedWrite(refused: WriteRefused, step: Step, stepStart: number): Promise<RolloutResult> {
        if (refused.kind === "taken-over") return this.takenOver(refused.state, step, stepStart);
        return this.abortedByOperator(refused.state, step, stepStart);
    }

    /**
     * Another promote owns the rollout now (its id is on the record, written after this run's lease lapsed): this
     * run stops without touching traffic (exit 4); the other one goes on from where the rollout is.
     */
    private takenOver(other: RolloutState, step: Step, stepStart: number): Promise<RolloutResult> {
        const reason = `another promote (${other.owner}) took the rollout over; this run stops without touching traffic (${describeState(other)})`;
        this.log.line(`[min ${this.minute()}] ${reason}`);
        this.recorder.step({ weight: step.weight, startedAtMinute: stepStart, verdict: "interrupted", cause: "taken-over", reason });
        this.recorder.update((r) => (r.error = reason));
        return this.finish("failed", ExitCode.locked);
    }

    /**
     * A pause recorded just before an `up`: the weight holds (the gates polled at it, a failure still rolls back)
     * until `resume`; returns a result when the run ends meanwhile.
     */
    private async holdWhilePaused(paused: RolloutState): Promise<RolloutResult | undefined> {
        const step = this.steps.filter((s) => s.weight <= this.liveWeight + 1e-9).at(-1) ?? {
            weight: this.liveWeight,
            bakeSeconds: 0,
            number: 0,
        };
        const hold: Step = { ...step, weight: this.liveWeight, bakeSeconds: 0 };
        this.log.line(
            `[min ${this.minute()}] paused by ${describeActor(paused)} before the next step: holding ${percent(this.liveWeight)}`,
        );
        const start = this.minute();
        const bakes = this.bakes;
        await this.ensureBaseline(bakes);
        const bake = await bakeStep(
            this.deps,
            this.policy,
            this.targets,
            hold,
            `step ${hold.number}/${this.steps.length} (paused)`,
            () => this.minute(),
            bakes.rolloutStartMs!,
            {
                baseline: bakes.baseline,
                onOperator: (action, s) => this.sawOperator(action, s),
                ownership: this.ownership,
            },
        );
        return bake.verdict === "passed" && !bake.full ? undefined : this.actOn(bake, hold, start);
    }

    /**
     * One `up`, cancelled through the Automation API's signal on an interrupt. The run does not wait for the
     * cancelled `up` to wind down before it acts: the rollback reads the alias back after it.
     */
    private pendingUp?: Promise<unknown>;
    private async upUnlessInterrupted(routing: RoutingOverride, message: string): Promise<void> {
        const up = this.deps.stack.up(routing, message, this.deps.signal);
        this.pendingUp = up.catch(() => undefined);
        const signal = this.deps.signal;
        if (!signal) {
            await up;
            return;
        }
        const interrupted = new Promise<void>((resolve) =>
            signal.aborted ? resolve() : signal.addEventListener("abort", () => resolve(), { once: true }),
        );
        await Promise.race([up, interrupted]);
    }

    /**
     * Writes the rollout state on every target's alias (description only, traffic untouched) as this run, the
     * owner, means it, with its lease; compare-and-set, never over an abort or another owner's record (that is
     * returned instead) unless `force` (the owner's own rollback or abort, which records why traffic goes back).
     */
    private async recordState(
        state: (t: Target, current: RolloutState | undefined) => RolloutState,
        options: {
            lease?: number;
            force?: boolean;
            retry?: RetryPolicy;
            refuseOver?: (current: RolloutState) => WriteRefused | undefined;
        } = {},
    ): Promise<WriteRefused | undefined> {
        const force = options.force || this.restarting;
        const refused = await this.ownership.write(
            state,
            options.lease ?? this.deps.clock.now() + bakeLeaseMs(this.policy.gates.pollInterval),
            {
                force,
                retry: options.retry,
                refuseOver: options.refuseOver,
            },
        );
        if (!refused) this.restarting = false;
        return refused;
    }

    /** Every bake passed: the promotion is final once recorded, and it is recorded only over a fresh read that shows no abort. */
    private async promoted(): Promise<RolloutResult> {
        const refused = await this.recordState((t) => ({
            phase: "promoted",
            stable: t.stable,
            candidate: t.candidate,
            step: this.steps.length,
            steps: this.steps.length,
            weight: 1,
            since: this.deps.clock.now(),
        }));
        if (refused) return this.refusedWrite(refused, this.steps.at(-1)!, this.minute());
        this.recorder.decided();
        this.log.line(
            `[min ${this.minute()}] promoted: ${this.targets.map((t) => `${t.key} v${t.candidate}`).join(", ")} take all traffic; v${this.targets.map((t) => t.stable).join(", v")} stay published for an instant rollback`,
        );
        // Retention, when configured: what it deleted goes in the report; what it could not, as a warning only.
        const retention = await this.deps.afterPromotion?.();
        if (retention) {
            this.recorder.update((r) => (r.pruned = retention.pruned));
            for (const warning of retention.warnings) this.recorder.warn(warning);
        }
        return this.finish("promoted");
    }

    /**
     * The one path back to stable after a decision (gate, smoke test, infrastructure): the decision recorded on
     * the aliases first (so a run killed now completes it when run again), then the rollback mechanism.
     */
    private async rollBack(reason: string, outcome: "rolled-back" | "failed", cause?: unknown): Promise<RolloutResult> {
        if (cause !== undefined) this.recorder.update((r) => (r.error = describeError(cause)));
        this.recorder.decided();
        const failedCode = outcome === "failed" ? this.failureExitCode(cause) : undefined;
        if (this.liveWeight <= 0 && !this.targets.some((t) => t.state && isUnfinished(t.state))) {
            this.log.line("no traffic was moved: all of it stays on stable");
            return this.finish(outcome, failedCode);
        }
        await this.recordState((t) => ({ ...this.stateNow(t, "rolling-back"), reason }), {
            force: true,
            retry: { baseMs: 100, capMs: 500, budgetMs: 1_000 },
        });
        await this.deps.checkpoint?.("rollback-decision");
        const restored = await this.restore("rolled-back", reason, ROLLBACK_RETRY, true);
        if (restored.landed) await this.hooksAt("onRollback", undefined, reason);
        return this.finish(restored.landed ? outcome : "failed", restored.landed ? failedCode : ExitCode.infrastructure);
    }

    private failureExitCode(cause: unknown): number {
        if (cause instanceof StackLockedError) return ExitCode.locked;
        return isBug(cause) ? ExitCode.bug : ExitCode.infrastructure;
    }

    /**
     * Records this run cannot read: nothing moves (forward or back: the rollback target may be what the record
     * held); the raw text, what the stack's history says and the commands that fix it are said; exit 3.
     */
    private async refuseUnreadable(unreadable: readonly UnreadableRecord[]): Promise<RolloutResult> {
        let history: UpdateRecord[] = [];
        try {
            history = await this.deps.stack.history(50);
        } catch (err) {
            this.log.line(`the stack's history could not be read: ${describeError(err)}`);
        }
        const lines = unreadable.flatMap((u) => recoveryAdvice(u, history, this.options.stackName, this.region));
        lines.forEach((l) => this.log.line(l));
        this.log.line('nothing was moved: a record that cannot be read is never taken for "no rollout"');
        this.recorder.update((r) => {
            r.error = `the rollout record cannot be read for ${unreadable.map((u) => u.key).join(", ")}: nothing was moved`;
            r.unreadableRecords = Object.fromEntries(
                unreadable.map((u) => [
                    u.key,
                    {
                        raw: u.raw,
                        why: u.why,
                        advice: recoveryAdvice(u, history, this.options.stackName, this.region)
                            .slice(1)
                            .map((l) => l.trim()),
                    },
                ]),
            );
        });
        return this.finish("failed", ExitCode.infrastructure);
    }

    /** Another promote owns the rollout and is alive (it renewed its lease while this run waited): nothing moved, exit 4. */
    async ownedElsewhere(owner: RolloutState): Promise<RolloutResult> {
        const reason = `another promote (${owner.owner}) owns the rollout of v${owner.candidate} and is alive (its lease was renewed, now to ${new Date(owner.lease!).toISOString()}): this run moved nothing`;
        this.log.line(reason);
        this.recorder.update((r) => (r.error = reason));
        return this.finish("failed", ExitCode.locked);
    }

    /** A run again after a rollback was decided but perhaps not carried out: carry it out. */
    private async completeDecidedRollback(decided: Target[]): Promise<RolloutResult> {
        const s = decided[0].state!;
        const aborting = s.phase === "aborting";
        this.log.line(
            `a ${aborting ? "abort" : "rollback"} was decided at ${new Date(s.since).toISOString()} (${s.reason ?? "no reason recorded"}) and may not have been carried out: completing it`,
        );
        this.recorder.step({
            weight: s.weight,
            startedAtMinute: 0,
            verdict: "failed",
            cause: s.phase === "aborting" ? "interrupted" : undefined,
            reason: `completing the ${aborting ? "abort" : "rollback"} decided earlier: ${s.reason ?? ""}`,
        });
        this.recorder.decided();
        const restored = await this.restore(aborting ? "aborted" : "rolled-back", s.reason ?? "decided earlier", ROLLBACK_RETRY, true);
        return this.finish(
            restored.landed ? (aborting ? "aborted" : "rolled-back") : "failed",
            restored.landed ? undefined : ExitCode.infrastructure,
        );
    }

    /** A run again after the rollout of this candidate ended in a rollback: say so; move nothing. */
    private async alreadyEnded(s: RolloutState): Promise<RolloutResult> {
        this.log.line(
            `v${s.candidate} was ${s.phase} to v${s.stable} at ${new Date(s.since).toISOString()}${s.reason ? ` (${s.reason})` : ""}; ` +
                `not rolling it out again: publish a new version, or pass --retry to start again from the first step`,
        );
        this.recorder.update((r) => (r.decisionAtMinute = 0));
        return this.finish(s.phase === "aborted" ? "aborted" : "rolled-back", ExitCode.rolledBack);
    }

    /**
     * SIGINT/SIGTERM: nothing moves forward any more; then the traffic goes back to stable through the fast
     * path (default), or the current weight is held and recorded for a person who means to resume.
     */
    private async onInterrupt(): Promise<RolloutResult> {
        const signal = this.interrupted() ?? "SIGINT";
        this.recorder.update((r) => (r.interrupt = signal));
        this.recorder.decided();
        const code = exitCodeForSignal(signal);
        if (this.options.onInterrupt === "hold") {
            this.log.line(
                `[min ${this.minute()}] ${signal}: holding the current weight (--on-interrupt hold); run promote again to resume`,
            );
            const refused = await this.recordState((t) => this.stateNow(t, "held"), { retry: INTERRUPT_RETRY });
            if (refused?.kind === "abort")
                return this.abortedByOperator(refused.state, { weight: this.liveWeight, bakeSeconds: 0, number: 0 }, this.minute());
            await this.settlePendingUp();
            return this.finish("held", code);
        }
        if (this.liveWeight <= 0 && !this.pendingUp && !this.targets.some((t) => t.state && isUnfinished(t.state))) {
            this.log.line(`[min ${this.minute()}] ${signal}: stopped before any traffic moved: all of it stays on stable`);
            return this.finish("aborted", code);
        }
        this.log.line(`[min ${this.minute()}] ${signal}: aborting the rollout, all traffic back to stable through the Lambda API`);
        await this.recordState((t) => ({ ...this.stateNow(t, "aborting"), reason: `interrupted by ${signal}` }), {
            force: true,
            retry: { baseMs: 50, capMs: 200, budgetMs: 500 },
        });
        let restored = await this.restore("aborted", `interrupted by ${signal}`, INTERRUPT_RETRY, false);
        // A cancelled `up` may still have been writing the alias: once it has stopped, make sure.
        if (await this.settlePendingUp()) restored = await this.restore("aborted", `interrupted by ${signal}`, INTERRUPT_RETRY, false);
        return this.finish(restored.landed ? "aborted" : "failed", code);
    }

    /** Waits (a little) for a cancelled `up` to stop; true when there was one. */
    private async settlePendingUp(): Promise<boolean> {
        if (!this.pendingUp) return false;
        const pending = this.pendingUp;
        this.pendingUp = undefined;
        await Promise.race([pending, this.deps.clock.sleep(5_000)]);
        return true;
    }

    /** The state of a target at the weight live now, in `phase`. */
    private stateNow(t: Target, phase: RolloutPhase): RolloutState {
        const step = this.steps.find((s) => Math.abs(s.weight - this.liveWeight) < 1e-6)?.number ?? 0;
        return {
            phase,
            stable: t.stable,
            candidate: t.candidate,
            step,
            steps: this.steps.length,
            weight: this.liveWeight,
            since: this.deps.clock.now(),
        };
    }

    /** Runs the rollback mechanism for every target and records what AWS says at the end. */
    private async restore(
        phase: "rolled-back" | "aborted",
        reason: string,
        retry: typeof ROLLBACK_RETRY,
        slowPathsAllowed: boolean,
    ): Promise<RestoreResult> {
        this.log.line(`rolling back to stable (${this.targets.map((t) => `${t.key} v${t.stable}`).join(", ")}): ${reason}`);
        const moves = this.targets.map((t) => ({
            key: t.key,
            functionName: t.functionName,
            aliasName: t.aliasName,
            to: t.stable,
            from: t.candidate,
            state: { ...this.stateNow(t, phase), reason, owner: this.ownership.id },
        }));
        const restored = await restoreTraffic(this.deps, moves, {
            onLanded: () => this.recorder.update((r) => (r.stableAtMinute = this.minute())),
            message: `lambda-rollout rollback: ${reason}`,
            retry,
            upFallback: slowPathsAllowed,
            converge: slowPathsAllowed,
            region: this.region,
            random: this.deps.random,
        });
        this.recorder.update((r) => {
            if (restored.landed) r.rollbackPath = restored.path;
            if (restored.stackConverged !== undefined) r.stackConverged = restored.stackConverged;
        });
        for (const t of this.targets) {
            const fn = restored.functions[t.key];
            if (fn.landed) continue;
            this.log.line(`ROLLBACK DID NOT LAND for ${t.key}: ${fn.error}. Put its traffic on v${t.stable} by hand: ${fn.manualCommand}`);
            this.recorder.update((r) => (r.functions[t.key].manualRollback = fn.manualCommand));
        }
        if (restored.landed)
            this.log.line(
                `all traffic is on stable: ${this.targets.map((t) => `${t.key} v${t.stable} 100%`).join(", ")} (through ${restored.path})`,
            );
        else
            this.recorder.update(
                (r) =>
                    (r.error = `${r.error ? `${r.error}; ` : ""}the rollback did not land for ${this.targets
                        .filter((t) => !restored.functions[t.key].landed)
                        .map((t) => t.key)
                        .join(", ")}`),
            );
        return restored;
    }

    /** Ends the run: each function's final routing as read from AWS now (or "unknown", with why). */
    private async finish(outcome: Outcome, exitCode = exitCodeForOutcome(outcome)): Promise<RolloutResult> {
        for (const t of this.all) {
            try {
                const live = await withRetries(() => readAlias(this.deps.lambda, this.deps.clock, t.functionName, t.aliasName), {
                    clock: this.deps.clock,
                    policy: INTERRUPT_RETRY,
                    random: this.deps.random ?? Math.random,
                });
                this.recorder.update((r) => {
                    r.functions[t.key].finalRouting = trafficShares(live);
                    delete r.functions[t.key].finalRoutingError;
                });
            } catch (err) {
                const why = describeError((err as { cause?: unknown }).cause ?? err);
                this.log.line(`could not read ${t.functionName}:${t.aliasName} at the end: ${why}`);
                this.recorder.update((r) => {
                    r.functions[t.key].finalRouting = "unknown";
                    r.functions[t.key].finalRoutingError = why;
                });
            }
        }
        return { report: this.recorder.finish(outcome), exitCode };
    }
}

/** Warnings for steps that skip their gate (a 0s bake written in the config). */
export function zeroBakeWarnings(steps: readonly Step[]): string[] {
    return steps
        .filter((s) => s.bakeSeconds === 0 && s.weight > 0)
        .map(
            (s) =>
                `step ${s.number} (${percent(s.weight)}) has bake 0s: no gate runs at that weight${s.weight >= 1 ? ", so the promotion is final without watching the candidate at 100%" : ""}`,
        );
}

/** A bake's cause and numbers for the report: the gate's own, or why the bake stopped outside the gate. */
function causeOf(bake: BakeOutcome): Pick<StepRecord, "cause" | "function" | "numbers"> {
    const cause = bake.changedOutside ? "changed-outside" : bake.credentials ? "credentials" : bake.result.cause;
    const numbers = Object.keys(bake.result.numbers).length > 0 ? bake.result.numbers : undefined;
    return {
        ...(cause ? { cause } : {}),
        ...(bake.result.function ? { function: bake.result.function } : {}),
        ...(numbers ? { numbers } : {}),
    };
}

function recordVerdict(verdict: Verdict, extended: boolean): StepRecord["verdict"] {
    if (verdict === "passed") return extended ? "extended" : "passed";
    if (verdict === "inconclusive") return "inconclusive";
    return "failed";
}

/** What the smoke test of one function saw: whether an attempt passed, and each failed attempt's problem. */
export interface SmokeOutcome {
    readonly passed: boolean;
    readonly failures: string[];
}

/**
 * Invokes the candidate version directly with the smoke payload until an attempt passes, at most
 * `attempts` times. It fails only when every attempt fails: a broken release fails them all, while an
 * occasional error of a release that works is for the gates to weigh against stable's (a single failed
 * invocation of a function that fails 1% of its calls would otherwise block 1% of good releases).
 * An Invoke refused before it ran (429 TooManyRequestsException: the function is at its concurrency limit,
 * which throttles both versions; or a server fault) is not an attempt: it is retried with backoff
 * ({@link SMOKE_INVOKE_RETRY}), and only one that keeps being refused, or cannot be made at all
 * (permissions), throws.
 */
export async function smokeTest(
    lambda: RolloutDeps["lambda"],
    t: { functionName: string; candidate: string },
    smoke: NonNullable<RolloutPolicy["smokeTest"]>,
    retry: { clock: Clock; random: () => number; onRetry?: (err: unknown, attempt: number, delayMs: number) => void },
): Promise<SmokeOutcome> {
    const failures: string[] = [];
    while (failures.length < smoke.attempts) {
        const out = await withRetries(() => lambda.invoke(t.functionName, t.candidate, smoke.payload), {
            ...retry,
            policy: SMOKE_INVOKE_RETRY,
        });
        if (out.functionError) {
            failures.push(`function error (${out.functionError}): ${JSON.stringify(out.payload).slice(0, 300)}`);
        } else if (!matchesExpectation(out.payload, smoke.expect)) {
            failures.push(`expected ${JSON.stringify(smoke.expect)}, got ${JSON.stringify(out.payload).slice(0, 300)}`);
        } else {
            return { passed: true, failures };
        }
    }
    return { passed: false, failures };
}

/** After an `up`, the alias must route what was asked: anything else is an infrastructure error. */
async function verifyRouting(deps: RolloutDeps, targets: Target[], weight: number): Promise<void> {
    for (const t of targets) {
        const live = await readAlias(deps.lambda, deps.clock, t.functionName, t.aliasName);
        if (!routesAt(live, t, weight)) {
            throw new InfrastructureError(
                `${t.key}: after the up the alias routes ${JSON.stringify(trafficShares(live))}, not ${percent(weight)} to v${t.candidate}`,
            );
        }
    }
}

/** The plan a person reads before anything moves (and all that --dry-run prints). */
export function describeRollout(
    stack: string,
    policy: RolloutPolicy,
    targets: Target[],
    remaining: Step[],
    resumed: boolean,
    position: number,
): string[] {
    const g = policy.gates;
    const kept = targets.filter((t) => t.state && isUnfinished(t.state));
    return [
        `${stack}: ${policy.strategy} rollout of ${targets.map((t) => `${t.key} v${t.stable} -> v${t.candidate}`).join(", ")}`,
        resumed
            ? `resuming from ${percent(position)} live on the candidate (the step is baked again)${kept.length ? `; rollback target from the recorded rollout: ${kept.map((t) => `${t.key} v${t.stable}`).join(", ")}` : ""}`
            : "starting from 0% on the candidate",
        `steps: ${remaining.map((s) => `${percent(s.weight)} for ${s.bakeSeconds >= 60 ? `${Math.round(s.bakeSeconds / 60)} min` : `${s.bakeSeconds}s`}`).join(" -> ")}`,
        ...zeroBakeWarnings(remaining).map((w) => `WARNING: ${w}`),
        `gates: error rate <= ${g.maxErrorRatePercent}%, and not above stable's (catching +${g.maxErrorRateIncreasePercent} points; stable's last ${Math.round((g.baseline ?? 0) / 60)} min before the rollout included), ` +
            `false-rollback budget ${g.falseRollbackPercent}% per rollout; p99 <= ${g.maxP99Ms} ms, throttles <= ${g.maxThrottles} beyond the alias's throttle rate before the rollout (+50% tolerated), ` +
            `>= ${g.minInvocations} candidate invocations at 100% (x the weight before; else extend up to ${Math.round(g.maxExtension / 60)} min, then ${g.onNoData}), polled every ${Math.round(g.pollInterval / 60)} min`,
        `calls: one \`pulumi up\` per step with the routing in a temporary config file; CloudWatch GetMetricData + DescribeAlarms per poll; ` +
            `${policy.smokeTest ? "a direct Invoke of each candidate first (smoke test); " : ""}rollback through UpdateAlias (retried, read back), then an \`up\` so the stack agrees`,
    ];
}
