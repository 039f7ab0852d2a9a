/**
 * The opening of a run, before any step: what the records already decide (a record nobody can read, a rollback to
 * complete, a rollout that ended, nothing to do), where the run starts, the plan a person reads (all a dry run
 * does), the preflight of AWS's alias constraints, the confirmation, the smoke test, and the `preTraffic` hooks.
 */
import { HOOK_POINTS, type RolloutPolicy } from "../../config/stackConfig";
import { ExitCode } from "../exitCodes";
import { UsageError } from "../errors";
import { alreadyEnded, completeDecidedRollback, finish, hookGate, onInterrupt, refuseUnreadable, rollBack } from "./ending";
import type { Clock } from "./ports";
import type { RolloutDeps, Target } from "./deps";
import { preflightNotes, preflightProblems } from "./preflight";
import { describeError, RetriesExhausted, SMOKE_INVOKE_RETRY, withRetries } from "./retry";
import { ended, GO_ON, type Next, type RolloutResult, type Run } from "./run";
import { isRollbackDecided, isUnfinished, type RolloutState } from "../../domain/state";
import { statePower } from "./power";
import { advanceOf, percent, resumeFrom, type Step } from "./steps";
import type { UnreadableRecord } from "./unreadable";

/** How the opening came out: the run ended already, or it walks these steps (resumed: the first is live already). */
export type Opening =
    | { readonly kind: "ended"; readonly result: RolloutResult }
    | { readonly kind: "walk"; readonly remaining: Step[]; readonly resumed: boolean };

/** Every phase before the first step, in order; the first that ends the run ends it. */
export async function open(run: Run, unreadable: readonly UnreadableRecord[]): Promise<Opening> {
    const decided = await recordsDecide(run, unreadable);
    if (decided.kind === "ended") return decided;
    run.state.liveWeight = Math.min(...run.targets.map((t) => t.liveWeight));
    const { remaining, resumed } = resumePoint(run);
    const plan = describeRollout(run.options.stackName, run.policy, run.targets, remaining, resumed, run.state.liveWeight);
    plan.forEach((l) => run.log.line(l));
    const power = await statePower(run.deps.recentTraffic, run.policy, run.targets, (l) => run.log.line(l));
    if (power) run.recorder.update((r) => (r.power = power));
    if (run.options.dryRun) {
        run.log.line("dry run: nothing was called that changes anything");
        return { kind: "ended", result: { report: run.recorder.report, exitCode: ExitCode.ok, plan } };
    }
    for (const w of zeroBakeWarnings(remaining)) run.recorder.warn(w);
    const hooked = HOOK_POINTS.filter((p) => run.hooks[p].length > 0);
    if (hooked.length > 0 && !run.deps.hooks) {
        throw new UsageError(`the stack declares hooks (${hooked.join(", ")}) but this run has no way to run them: nothing was moved`);
    }
    await preflight(run, remaining);
    await confirm(run, remaining);
    const smoke = await smokeTestAll(run);
    if (smoke.kind === "ended") return smoke;
    if (!resumed) {
        const hooks = await hookGate(run, "preTraffic");
        if (hooks.kind === "ended") return hooks;
    }
    return { kind: "walk", remaining, resumed };
}

/** What the records already decide, before anything is planned: the run ended (with its result), or it goes on. */
async function recordsDecide(run: Run, unreadable: readonly UnreadableRecord[]): Promise<Next> {
    if (unreadable.length > 0) return ended(await refuseUnreadable(run, unreadable));
    const decided = run.targets.filter((t) => isRollbackDecided(t.state));
    if (decided.length > 0) return ended(await completeDecidedRollback(run, decided));
    const over = run.targets.find((t) => (t.state?.phase === "rolled-back" || t.state?.phase === "aborted") && t.liveWeight === 0);
    if (over && !run.options.retry) return ended(await alreadyEnded(run, over.state!));
    if (run.targets.length > 0) return GO_ON;
    run.log.line(
        `nothing to do: every function's live alias already points at its latest version (${run.all.map((t) => `${t.key} v${t.candidate}`).join(", ")})`,
    );
    return ended(await finish(run, "nothing-to-do"));
}

/**
 * Where this run starts (from the live weight, steps.ts), and what the recorded state adds: a wait for
 * approval goes on waiting (its step is not baked again; its timeout runs from when the wait began). A
 * `promote --full` recorded while no promote ran is carried out at the first poll whose evidence has not failed.
 */
function resumePoint(run: Run): { remaining: Step[]; resumed: boolean } {
    const { liveWeight } = run.state;
    const recorded = run.targets.map((t) => t.state).filter((s): s is RolloutState => s !== undefined);
    const waiting = recorded.find((s) => s.phase === "awaiting-approval" && Math.abs(s.weight - liveWeight) < 1e-6);
    if (waiting && liveWeight > 0) {
        run.state.approvalSince = waiting.since;
        return { remaining: run.steps.filter((s) => s.number > waiting.step), resumed: true };
    }
    return resumeFrom(run.steps, liveWeight);
}

/** AWS's alias constraints, checked before any traffic moves. */
async function preflight(run: Run, remaining: Step[]): Promise<void> {
    const { lambda } = run.deps;
    const facts = [];
    for (const t of run.targets) {
        facts.push({
            name: t.key,
            stable: await lambda.getVersion(t.functionName, t.stable),
            candidate: await lambda.getVersion(t.functionName, t.candidate),
            aliasHasProvisionedConcurrency: await lambda.hasProvisionedConcurrency(t.functionName, t.aliasName),
        });
    }
    for (const note of preflightNotes(facts)) run.log.line(`preflight note: ${note}`);
    const problems = preflightProblems(facts, remaining);
    if (problems.length > 0) {
        throw new UsageError(`preflight failed, no traffic was moved:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
    }
    run.log.line("preflight passed: published versions, same role and dead-letter config");
}

/** Asks a person before anything is invoked or moved (when one can answer; else `--yes` decided). */
async function confirm(run: Run, remaining: Step[]): Promise<void> {
    const ask = run.deps.confirm;
    if (!ask) return;
    const question = `Move ${run.options.stackName} traffic to ${run.targets.map((t) => `${t.key} v${t.candidate}`).join(", ")} (${remaining.map((s) => percent(s.weight)).join(" -> ")})?`;
    if (!(await ask(question))) throw new UsageError("not confirmed: nothing was invoked and no traffic was moved");
}

/** The candidates, invoked directly, before any (more) traffic reaches them; a failure goes back to stable. */
async function smokeTestAll(run: Run): Promise<Next> {
    const smoke = run.policy.smokeTest;
    if (!smoke) return GO_ON;
    for (const t of run.targets) {
        if (run.interrupted()) return ended(await onInterrupt(run));
        let outcome: SmokeOutcome;
        try {
            outcome = await smokeTest(run.deps.lambda, t, smoke, {
                clock: run.deps.clock,
                random: run.deps.random ?? Math.random,
                onRetry: (err, attempt, delayMs) =>
                    run.log.line(
                        `[min ${run.minute()}] smoke test of ${t.key} v${t.candidate}: Invoke refused (${describeError(err)}); retrying in ${Math.round(delayMs)} ms (retry ${attempt})`,
                    ),
            });
        } catch (err) {
            const why = err instanceof RetriesExhausted ? err.message : describeError(err);
            return ended(await smokeTestFailed(run, `smoke test of ${t.key} v${t.candidate} could not run: ${why}`, "failed", err));
        }
        for (const [i, problem] of outcome.failures.entries()) {
            run.log.line(`smoke test of ${t.key} v${t.candidate}, attempt ${i + 1} of ${smoke.attempts}: ${problem}`);
        }
        if (!outcome.passed) {
            const attempts = outcome.failures.length;
            const reason = `smoke test of ${t.key} v${t.candidate} failed ${attempts} of ${attempts} attempts: ${outcome.failures.at(-1)}`;
            return ended(await smokeTestFailed(run, reason, "rolled-back"));
        }
        run.log.line(
            `smoke test of ${t.key} v${t.candidate} passed${outcome.failures.length ? ` on attempt ${outcome.failures.length + 1}` : ""}`,
        );
    }
    return GO_ON;
}

/** A smoke test that failed or could not run: recorded as a failed step, then the rollback. */
function smokeTestFailed(run: Run, reason: string, outcome: "rolled-back" | "failed", cause?: unknown): Promise<RolloutResult> {
    run.log.line(reason);
    run.recorder.step({ weight: run.state.liveWeight, startedAtMinute: run.minute(), verdict: "failed", cause: "smoke-test", reason });
    return rollBack(run, reason, outcome, cause);
}

/** What the smoke test of one function saw: whether an attempt passed, and each failed attempt's problem. */
export interface SmokeOutcome {
    readonly passed: boolean;
    readonly failures: string[];
}

/** Does a response contain every expected field with the expected value? */
export function matchesExpectation(payload: unknown, expect: Record<string, unknown>): boolean {
    if (payload === null || typeof payload !== "object") return Object.keys(expect).length === 0;
    return Object.entries(expect).every(([k, v]) => JSON.stringify((payload as Record<string, unknown>)[k]) === JSON.stringify(v));
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

/** Warnings for steps that skip their gate (a 0s bake written in the config). */
export function zeroBakeWarnings(steps: readonly Step[]): string[] {
    return steps
        .filter((s) => s.bakeSeconds === 0 && s.weight > 0)
        .map(
            (s) =>
                `step ${s.number} (${percent(s.weight)}) has bake 0s: no gate runs at that weight${s.weight >= 1 ? ", so the promotion is final without watching the candidate at 100%" : ""}`,
        );
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
