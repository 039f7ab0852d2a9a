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
import { HOOK_POINTS, rolloutSchema, type HookPoint, type RolloutPolicy, type RoutingOverride } from "../../config/stackConfig";
import { trafficShares, type AliasRouting, type Strategy } from "../../components/routing";
import { ExitCode, exitCodeForSignal } from "../exitCodes";
import { InfrastructureError, isBug, StackLockedError, UsageError } from "../errors";
import { lookAlphas, type Baseline, type Verdict } from "./assess";
import type { Clock, LambdaControl, MetricsSource, StackDriver, StackOutputs } from "./ports";
import { preflightNotes, preflightProblems } from "./preflight";
import { describeHook, runHooks, type Hook, type HookContext, type HookRunner } from "./hooks";
import { exitCodeForOutcome, ReportRecorder, type OperatorRecord, type Outcome, type RolloutReport, type StepRecord } from "./report";
import { describeError, INTERRUPT_RETRY, RetriesExhausted, ROLLBACK_RETRY, SMOKE_INVOKE_RETRY, withRetries } from "./retry";
import { decodeState, encodeState, isAbortOf, isRollbackDecided, isUnfinished, type RolloutPhase, type RolloutState } from "./state";
import { advanceOf, percent, resumeFrom, stepsFor, type Step } from "./steps";
import { statePower, type RecentTraffic } from "./power";
import { readAlias, restoreTraffic, type RestoreResult, type RolloutLog } from "./traffic";
import { bakeStep, nextPollAt, POLL_OFFSET_MS, readBaseline, routesAt, type BakeOutcome } from "./bake";

export { nextPollAt, POLL_OFFSET_MS, routesAt };

export type { RolloutLog } from "./traffic";

/** The side effects a rollout needs. */
export interface RolloutDeps {
    readonly stack: StackDriver;
    readonly lambda: LambdaControl;
    readonly metrics: MetricsSource;
    readonly clock: Clock;
    readonly log: RolloutLog;
    /** Asks a person before anything is invoked or moved; absent when `--yes` or not a terminal. */
    readonly confirm?: (question: string) => Promise<boolean>;
    /** Sees the report after every change, so a run that dies midway still leaves the record so far. */
    readonly observe?: (report: RolloutReport) => void;
    /** Aborts on SIGINT/SIGTERM; its `reason` names the signal. */
    readonly signal?: AbortSignal;
    /** Randomness of the rollback's retry jitter (seeded in rehearsals, so a seed replays the same run). */
    readonly random?: () => number;
    /** Called at named points (the rehearsal's `killed` fault stops the run dead there). */
    readonly checkpoint?: (point: "rollback-decision") => Promise<void>;
    /** Runs the stack's hooks (webhooks, Lambda functions, commands; the rehearsal answers them from the scenario). */
    readonly hooks?: HookRunner;
    /**
     * Asks a person on a terminal to approve a step (true), refuse it (false: abort), or nothing (undefined: the
     * prompt was closed because the approval came from elsewhere). Absent when nobody can answer.
     */
    readonly ask?: (question: string, signal: AbortSignal) => Promise<boolean | undefined>;
    /** Who answers at this terminal, for the record of an approval given there. */
    readonly user?: string;
    /** Each function's recent traffic, for the power statement before traffic moves (power.ts); absent: none made. */
    readonly recentTraffic?: RecentTraffic;
    /** Version retention after a promotion, when configured (prune.ts's pruneAfterPromotion): it never throws. */
    readonly afterPromotion?: () => Promise<{ pruned: Record<string, string[]>; warnings: string[] }>;
}

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
}

/** What a promote returns: the report and the exit code. */
export interface RolloutResult {
    readonly report: RolloutReport;
    readonly exitCode: number;
    /** For --dry-run: the planned steps. */
    readonly plan?: string[];
}

/** One function in the rollout, as read from the stack, its alias, and the rollout state recorded there. */
export interface Target {
    readonly key: string;
    readonly functionName: string;
    /** The unqualified ARN, when the stack exports it (hooks are told each version's ARN). */
    readonly functionArn?: string;
    readonly aliasName: string;
    /** The rollback target: the recorded stable of a rollout under way, else the alias's primary. */
    readonly stable: string;
    readonly candidate: string;
    /** The candidate's share of traffic now (1 when it is the primary of a rollout under way). */
    readonly liveWeight: number;
    readonly rollbackAlarm?: string;
    /** The rollout state on the alias, when it records one for this candidate. */
    readonly state?: RolloutState;
}

/**
 * The validated policy the stack exports, with a strategy override applied and validated again: blue-green
 * can stand in for any strategy (one switch, baked as the stack's first step), but canary and linear need
 * their steps in the stack's config; without them the override is a usage error, never an empty plan.
 */
export function policyFrom(outputs: StackOutputs, strategy?: Strategy, stackName = "this stack"): RolloutPolicy {
    const parsed = rolloutSchema.safeParse(outputs.rolloutPolicy);
    if (!parsed.success) {
        throw new UsageError(
            `the stack's exported rolloutPolicy is not valid: ${parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")}; run \`pulumi up\` with a valid config`,
        );
    }
    return withStrategy(parsed.data, strategy, stackName);
}

/**
 * The policy with `--strategy` in place of the stack's own, validated again (pure): a strategy the stack has no
 * config for is a UsageError naming the missing key, never an empty plan. The CLI checks it against the stack's
 * config before anything is read from AWS; promote checks it again against the stack's outputs.
 */
export function withStrategy(policy: RolloutPolicy, strategy?: Strategy, stackName = "this stack"): RolloutPolicy {
    if (!strategy || strategy === policy.strategy) return policy;
    const firstBake = policy.canary?.steps[0]?.bake ?? policy.linear?.every ?? 600;
    const overridden = rolloutSchema.safeParse({ ...policy, strategy, blueGreen: policy.blueGreen ?? { bake: firstBake } });
    if (!overridden.success) {
        const missing = overridden.error.issues.map((i) => `\`lambda-rollout:rollout.${i.path.join(".")}\` ${i.message}`).join("; ");
        throw new UsageError(
            `\`--strategy ${strategy}\`: ${stackName} has no config for it: ${missing}; add it to the stack's config and \`pulumi up\`, or use the stack's own strategy (${policy.strategy})`,
        );
    }
    return overridden.data;
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
    const policy = policyFrom(outputs, options.strategy, `stack ${options.stackName}`);
    const all: Target[] = [];
    for (const [key, fn] of Object.entries(outputs.functions)) {
        const { target, note } = targetOf(key, fn, await readAlias(deps.lambda, deps.clock, fn.functionName, fn.aliasName));
        if (note) deps.log.line(note);
        all.push(target);
    }
    return new PromoteRun(deps, options, policy, outputs.region, all).run();
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
    /** A `promote --full` this run saw recorded (its owner carries it out at the next step boundary). */
    private full?: RolloutState;
    /** When a wait for approval recorded on the aliases began (a run again keeps waiting from then). */
    private approvalSince?: number;
    /** The hooks of each point: the options' (the rehearsal's) in place of the stack's. */
    private readonly hooks: Record<HookPoint, Hook[]>;

    constructor(
        private readonly deps: RolloutDeps,
        private readonly options: PromoteOptions,
        private readonly policy: RolloutPolicy,
        private readonly region: string | undefined,
        private readonly all: Target[],
    ) {
        this.startedAt = deps.clock.now();
        this.targets = all.filter((t) => t.stable !== t.candidate);
        this.steps = stepsFor(policy);
        this.hooks = { ...policy.hooks, ...options.hooks };
        const functions = Object.fromEntries(
            all.map((t) => [
                t.key,
                { stable: t.stable, candidate: t.candidate, finalRouting: "unknown" as const, finalRoutingError: "not read yet" },
            ]),
        );
        this.recorder = new ReportRecorder(
            { stack: options.stackName, strategy: policy.strategy, functions },
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

    async run(): Promise<RolloutResult> {
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
        const power = await statePower(this.deps.recentTraffic, this.policy, this.targets, (l) => this.log.line(l));
        if (power) this.recorder.update((r) => (r.power = power));
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
     * approval goes on waiting (its step is not baked again; its timeout runs from when the wait began), and a
     * `promote --full` recorded while no promote ran is carried out.
     */
    private resumePoint(): { remaining: Step[]; resumed: boolean } {
        const recorded = this.targets.map((t) => t.state).filter((s): s is RolloutState => s !== undefined);
        this.full = recorded.find((s) => s.request === "full" && isUnfinished(s));
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
        const { records, failed } = await runHooks(this.deps.hooks, hooks, context, this.deps.clock, () => this.minute());
        for (const r of records) {
            this.log.line(`[min ${this.minute()}] ${describeHook(r)}`);
            this.recorder.update((rep) => (rep.hooks ??= []).push(r));
        }
        if (!failed) return undefined;
        const why = `${point} hook ${failed.name} failed${step !== undefined && point === "afterStep" ? ` after step ${step}` : ""}: ${failed.output.slice(0, 160) || "no output"}`;
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
        await this.recordState((t) =>
            encodeState({ ...this.stateNow(t, "awaiting-approval"), step: held, since: Math.floor(since / 1000) * 1000 }),
        );
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
            return this.abortedByOperator({ by, reason: `not approved at the terminal by ${by}` }, holdStep, start);
        }
        this.recorder.update((r) => delete r.waitingForApproval);
        if (outcome.approved) {
            this.sawOperator("approve", outcome.approved);
            this.log.line(`[min ${this.minute()}] ${label}: approved by ${outcome.approved.by ?? "an operator"}`);
            return undefined;
        }
        if (outcome.full) {
            this.full = outcome.full as RolloutState;
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
        await this.recordState((t) => encodeState({ ...this.stateNow(t, "awaiting-approval"), step: held, request: "approve", by }));
        return { verdict: "passed", result: { verdict: "passed", reason: "approved", numbers: {} }, extended: false, approved: { by } };
    }

    /** An operator action this run saw on the aliases: recorded in the report, once. */
    private sawOperator(action: OperatorRecord["action"], s: { by?: string; reason?: string }): void {
        this.recorder.update((r) =>
            (r.operator ??= []).push({
                action,
                ...(s.by ? { by: s.by } : {}),
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
            `[min ${this.minute()}] promote --full by ${asked.by ?? "an operator"} (${asked.reason ?? "no reason given"}): skipping the remaining bakes`,
        );
        const moved = await this.moveTo({ ...last, bakeSeconds: 0 }, `step ${last.number}/${this.steps.length} 100% (--full)`, false);
        if (moved) return moved;
        this.recorder.step({
            weight: 1,
            startedAtMinute: this.minute(),
            verdict: "passed",
            cause: "operator",
            reason: `promote --full by ${asked.by ?? "an operator"}: ${asked.reason ?? "no reason given"}; no bake at 100%`,
        });
        return (await this.hooksAt("postTraffic", this.steps.length)) ?? this.promoted();
    }

    /**
     * An operator's abort (seen on the aliases, or a "no" at the prompt): the abort command puts traffic back
     * itself; this run makes sure of it through the same rollback mechanism, and records it.
     */
    private async abortedByOperator(s: { by?: string; reason?: string }, step: Step, stepStart: number): Promise<RolloutResult> {
        const reason = s.reason ?? `aborted by ${s.by ?? "an operator"}`;
        this.sawOperator("abort", s);
        this.log.line(`[min ${this.minute()}] ${reason}: all traffic back to stable`);
        this.recorder.step({ weight: step.weight, startedAtMinute: stepStart, verdict: "interrupted", cause: "operator", reason });
        this.recorder.decided();
        const restored = await this.restore("aborted", reason, ROLLBACK_RETRY, true);
        await this.hooksAt("onRollback", undefined, reason);
        return this.finish(restored.landed ? "aborted" : "failed", restored.landed ? ExitCode.rolledBack : ExitCode.infrastructure);
    }

    /** An operator's abort recorded on any target's alias (read now; an alias that cannot be read is checked at the next poll). */
    private async abortRecorded(): Promise<RolloutState | undefined> {
        for (const t of this.targets) {
            try {
                const s = decodeState((await this.deps.lambda.getAlias(t.functionName, t.aliasName)).description);
                if (s && isAbortOf(s, t.candidate)) return s;
            } catch {
                // the `up` and the next poll read it again
            }
        }
        return undefined;
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
        if (bake.full) {
            this.full = bake.full as RolloutState;
            this.recorder.step({
                weight: step.weight,
                startedAtMinute: stepStart,
                verdict: "passed",
                cause: "operator",
                reason: `bake cut short: promote --full by ${bake.full.by ?? "an operator"}: ${bake.full.reason ?? "no reason given"}`,
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
        if (bake.verdict === "inconclusive" && this.policy.gates.onNoData === "hold") {
            // onNoData: hold: the weight stays, recorded as held; a promote run again bakes this step anew.
            this.log.line(`[min ${this.minute()}] holding ${percent(step.weight)} (onNoData: hold): run promote again to go on watching`);
            this.recorder.decided();
            await this.recordState((t) => encodeState(this.stateNow(t, "held")));
            return this.finish("held", exitCodeForOutcome("held"));
        }
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
        const state = (phase: RolloutPhase) => (t: Target) =>
            encodeState({
                phase,
                stable: t.stable,
                candidate: t.candidate,
                step: step.number,
                steps: this.steps.length,
                weight: step.weight,
                since: this.deps.clock.now(),
            });
        // A pause recorded while no promote ran stays a pause: this run bakes, and holds, until `resume`.
        const keepPause = (t: Target) =>
            t.state?.phase === "paused" ? encodeState({ ...t.state, since: t.state.since, request: undefined }) : state("baking")(t);
        if (Math.abs(step.weight - this.liveWeight) <= 1e-9) {
            this.log.line(
                `[min ${this.minute()}] ${label}: ${percent(step.weight)} is live already${resuming ? " (resumed: re-baking this step)" : ""}`,
            );
            await this.recordState(keepPause);
            return undefined;
        }
        // An abort recorded since the last poll: no `up` may move traffic forward over it.
        const aborted = await this.abortRecorded();
        if (aborted) return this.abortedByOperator(aborted, step, this.minute());
        const message = `lambda-rollout promote: ${label} (${this.targets.map((t) => `${t.key} v${t.stable}->v${t.candidate}`).join(", ")})`;
        try {
            await this.upUnlessInterrupted(routingAt(this.targets, step.weight, state("baking")), message);
            if (this.interrupted()) return this.onInterrupt();
            await verifyRouting(this.deps, this.targets, step.weight);
        } catch (err) {
            if (this.interrupted()) return this.onInterrupt();
            const reason = `infrastructure: ${describeError(err)}`;
            this.log.line(`${label}: the up failed: ${describeError(err)}`);
            this.recorder.step({ weight: step.weight, startedAtMinute: this.minute(), verdict: "failed", cause: "infrastructure", reason });
            // The `up` may have moved the weight before it failed: the rollback puts every function back anyway.
            this.liveWeight = Math.max(this.liveWeight, step.weight);
            return this.rollBack(reason, "failed", err);
        }
        this.liveWeight = step.weight;
        this.log.line(
            `[min ${this.minute()}] ${label}: ${percent(step.weight)} of traffic on the candidate; baking ${Math.round(step.bakeSeconds / 60)} min`,
        );
        return undefined;
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

    /** Writes the rollout state on every target's alias (description only, traffic untouched); best effort. */
    private async recordState(state: (t: Target) => string, retry = ROLLBACK_RETRY): Promise<void> {
        await Promise.all(
            this.targets.map(async (t) => {
                try {
                    await withRetries(() => this.deps.lambda.updateAlias(t.functionName, t.aliasName, undefined, state(t)), {
                        clock: this.deps.clock,
                        policy: retry,
                        random: this.deps.random ?? Math.random,
                    });
                } catch (err) {
                    this.log.line(`${t.key}: could not record the rollout state on the alias: ${(err as Error).message}`);
                }
            }),
        );
    }

    /** Every bake passed: the promotion is final once recorded. */
    private async promoted(): Promise<RolloutResult> {
        this.recorder.decided();
        await this.recordState((t) =>
            encodeState({
                phase: "promoted",
                stable: t.stable,
                candidate: t.candidate,
                step: this.steps.length,
                steps: this.steps.length,
                weight: 1,
                since: this.deps.clock.now(),
            }),
        );
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
        await this.recordState((t) => encodeState({ ...this.stateNow(t, "rolling-back"), reason }), {
            baseMs: 100,
            capMs: 500,
            budgetMs: 1_000,
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
            await this.recordState((t) => encodeState(this.stateNow(t, "held")), INTERRUPT_RETRY);
            await this.settlePendingUp();
            return this.finish("held", code);
        }
        if (this.liveWeight <= 0 && !this.pendingUp && !this.targets.some((t) => t.state && isUnfinished(t.state))) {
            this.log.line(`[min ${this.minute()}] ${signal}: stopped before any traffic moved: all of it stays on stable`);
            return this.finish("aborted", code);
        }
        this.log.line(`[min ${this.minute()}] ${signal}: aborting the rollout, all traffic back to stable through the Lambda API`);
        await this.recordState((t) => encodeState({ ...this.stateNow(t, "aborting"), reason: `interrupted by ${signal}` }), {
            baseMs: 50,
            capMs: 200,
            budgetMs: 500,
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
            state: encodeState({ ...this.stateNow(t, phase), reason }),
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
            `a step moves on (advance: ${advanceOf(policy)}) ${advanceOf(policy) === "evidence" ? "once the evidence excludes the next weight's must-catch, after its bake" : "after its bake, its minutes in, once its evidence could have failed its must-catch"} ` +
            `with >= ${g.minInvocations} candidate invocations at 100% (x the weight before); else extend up to ${Math.round(g.maxExtension / 60)} min, then ${g.onNoData}; polled every ${Math.round(g.pollInterval / 60)} min`,
        `calls: one \`pulumi up\` per step with the routing in a temporary config file; CloudWatch GetMetricData + DescribeAlarms per poll; ` +
            `${policy.smokeTest ? "a direct Invoke of each candidate first (smoke test); " : ""}rollback through UpdateAlias (retried, read back), then an \`up\` so the stack agrees`,
    ];
}
