/**
 * How a run of promote ends: promoted (over a fresh read with no abort), rolled back (the decision recorded
 * first, then the one rollback mechanism), aborted (an operator, an interrupt), taken over by another promote, or
 * refused (a record it cannot read, a live owner elsewhere); and `finish`, which reads each function's routing from
 * AWS for the report. The hooks at a point are here too, since a failing one ends the run.
 */
import { trafficShares } from "../../domain/routing";
import type { HookPoint } from "../../config/stackConfig";
import { ExitCode, exitCodeForSignal } from "../exitCodes";
import { isBug, StackLockedError } from "../errors";
import { describeHook, hookFailureReason, runHooks, type HookContext } from "./hooks";
import type { UpdateRecord } from "./ports";
import type { Target } from "./deps";
import { readAlias } from "./record";
import { exitCodeForOutcome, type Outcome } from "./report";
import { bakeLeaseMs, type OperatorSeen, type WriteRefused } from "./requests";
import { describeError, INTERRUPT_RETRY, ROLLBACK_RETRY, withRetries } from "./retry";
import { ended, GO_ON, type Next, type RolloutResult, type Run } from "./run";
import { describeActor, describeState, isUnfinished, type RolloutState } from "../../domain/state";
import { percent, type Step } from "./steps";
import { restoreTraffic, type RestoreResult } from "./traffic";
import { recoveryAdvice, type UnreadableRecord } from "./unreadable";

/** Ends the run: each function's final routing as read from AWS now (or "unknown", with why). */
export async function finish(run: Run, outcome: Outcome, exitCode = exitCodeForOutcome(outcome)): Promise<RolloutResult> {
    const { deps, recorder } = run;
    for (const t of run.all) {
        try {
            const live = await withRetries(() => readAlias(deps.lambda, deps.clock, t.functionName, t.aliasName), {
                clock: deps.clock,
                policy: INTERRUPT_RETRY,
                random: deps.random ?? Math.random,
            });
            recorder.update((r) => {
                r.functions[t.key].finalRouting = trafficShares(live);
                delete r.functions[t.key].finalRoutingError;
            });
        } catch (err) {
            const why = describeError((err as { cause?: unknown }).cause ?? err);
            run.log.line(`could not read ${t.functionName}:${t.aliasName} at the end: ${why}`);
            recorder.update((r) => {
                r.functions[t.key].finalRouting = "unknown";
                r.functions[t.key].finalRoutingError = why;
            });
        }
    }
    return { report: recorder.finish(outcome), exitCode };
}

/** Runs the rollback mechanism for every target and records what AWS says at the end. */
export async function restore(
    run: Run,
    phase: "rolled-back" | "aborted",
    reason: string,
    retry: typeof ROLLBACK_RETRY,
    slowPathsAllowed: boolean,
): Promise<RestoreResult> {
    const { targets, recorder } = run;
    run.log.line(`rolling back to stable (${targets.map((t) => `${t.key} v${t.stable}`).join(", ")}): ${reason}`);
    const moves = targets.map((t) => ({
        key: t.key,
        functionName: t.functionName,
        aliasName: t.aliasName,
        to: t.stable,
        from: t.candidate,
        state: { ...run.stateNow(t, phase), reason, owner: run.ownership.id },
    }));
    const restored = await restoreTraffic(run.deps, moves, {
        onLanded: () => recorder.update((r) => (r.stableAtMinute = run.minute())),
        message: `lambda-rollout rollback: ${reason}`,
        retry,
        upFallback: slowPathsAllowed,
        converge: slowPathsAllowed,
        region: run.region,
        random: run.deps.random,
    });
    recorder.update((r) => {
        if (restored.landed) r.rollbackPath = restored.path;
        if (restored.stackConverged !== undefined) r.stackConverged = restored.stackConverged;
    });
    for (const t of targets) {
        const fn = restored.functions[t.key];
        if (fn.landed) continue;
        run.log.line(`ROLLBACK DID NOT LAND for ${t.key}: ${fn.error}. Put its traffic on v${t.stable} by hand: ${fn.manualCommand}`);
        recorder.update((r) => (r.functions[t.key].manualRollback = fn.manualCommand));
    }
    if (restored.landed) {
        run.log.line(`all traffic is on stable: ${targets.map((t) => `${t.key} v${t.stable} 100%`).join(", ")} (through ${restored.path})`);
    } else {
        const stranded = targets.filter((t) => !restored.functions[t.key].landed).map((t) => t.key);
        recorder.update((r) => (r.error = `${r.error ? `${r.error}; ` : ""}the rollback did not land for ${stranded.join(", ")}`));
    }
    return restored;
}

/**
 * The one path back to stable after a decision (gate, smoke test, hook, infrastructure): the decision recorded on
 * the aliases first (so a run killed now completes it when run again), then the rollback mechanism.
 */
export async function rollBack(run: Run, reason: string, outcome: "rolled-back" | "failed", cause?: unknown): Promise<RolloutResult> {
    if (cause !== undefined) run.recorder.update((r) => (r.error = describeError(cause)));
    run.recorder.decided();
    const failedCode = outcome === "failed" ? failureExitCode(cause) : undefined;
    if (run.state.liveWeight <= 0 && !run.targets.some((t) => t.state && isUnfinished(t.state))) {
        run.log.line("no traffic was moved: all of it stays on stable");
        return finish(run, outcome, failedCode);
    }
    await run.recordState((t) => ({ ...run.stateNow(t, "rolling-back"), reason }), {
        force: true,
        retry: { baseMs: 100, capMs: 500, budgetMs: 1_000 },
    });
    await run.deps.checkpoint?.("rollback-decision");
    const restored = await restore(run, "rolled-back", reason, ROLLBACK_RETRY, true);
    if (restored.landed) await runPoint(run, "onRollback", undefined, reason);
    return finish(run, restored.landed ? outcome : "failed", restored.landed ? failedCode : ExitCode.infrastructure);
}

function failureExitCode(cause: unknown): number {
    if (cause instanceof StackLockedError) return ExitCode.locked;
    return isBug(cause) ? ExitCode.bug : ExitCode.infrastructure;
}

/**
 * SIGINT/SIGTERM: nothing moves forward any more; then the traffic goes back to stable through the fast
 * path (default), or the current weight is held and recorded for a person who means to resume.
 */
export async function onInterrupt(run: Run): Promise<RolloutResult> {
    const signal = run.interrupted() ?? "SIGINT";
    run.recorder.update((r) => (r.interrupt = signal));
    run.recorder.decided();
    const code = exitCodeForSignal(signal);
    if (run.options.onInterrupt === "hold") {
        run.log.line(`[min ${run.minute()}] ${signal}: holding the current weight (--on-interrupt hold); run promote again to resume`);
        const outcome = await run.recordState((t) => run.stateNow(t, "held"), { retry: INTERRUPT_RETRY });
        if (outcome.kind === "abort") {
            return abortedByOperator(run, outcome.state, { weight: run.state.liveWeight, bakeSeconds: 0, number: 0 }, run.minute());
        }
        await settlePendingUp(run);
        return finish(run, "held", code);
    }
    if (run.state.liveWeight <= 0 && !run.state.pendingUp && !run.targets.some((t) => t.state && isUnfinished(t.state))) {
        run.log.line(`[min ${run.minute()}] ${signal}: stopped before any traffic moved: all of it stays on stable`);
        return finish(run, "aborted", code);
    }
    run.log.line(`[min ${run.minute()}] ${signal}: aborting the rollout, all traffic back to stable through the Lambda API`);
    await run.recordState((t) => ({ ...run.stateNow(t, "aborting"), reason: `interrupted by ${signal}` }), {
        force: true,
        retry: { baseMs: 50, capMs: 200, budgetMs: 500 },
    });
    let restored = await restore(run, "aborted", `interrupted by ${signal}`, INTERRUPT_RETRY, false);
    // A cancelled `up` may still have been writing the alias: once it has stopped, make sure.
    if (await settlePendingUp(run)) restored = await restore(run, "aborted", `interrupted by ${signal}`, INTERRUPT_RETRY, false);
    return finish(run, restored.landed ? "aborted" : "failed", code);
}

/** Waits (a little) for a cancelled `up` to stop; true when there was one. */
async function settlePendingUp(run: Run): Promise<boolean> {
    const pending = run.state.pendingUp;
    if (!pending) return false;
    run.state.pendingUp = undefined;
    await Promise.race([pending, run.deps.clock.sleep(5_000)]);
    return true;
}

/**
 * An operator's abort (seen on the aliases, or a "no" at the prompt): the abort command puts traffic back
 * itself; this run makes sure of it through the same rollback mechanism, and records it.
 */
export async function abortedByOperator(run: Run, s: OperatorSeen, step: Step, stepStart: number): Promise<RolloutResult> {
    const reason = s.by || s.principal ? `aborted by ${describeActor(s)}${s.reason ? `: ${s.reason}` : ""}` : (s.reason ?? "aborted");
    run.sawOperator("abort", s);
    run.log.line(`[min ${run.minute()}] ${reason}: all traffic back to stable`);
    run.recorder.step({ weight: step.weight, startedAtMinute: stepStart, verdict: "interrupted", cause: "operator", reason });
    run.recorder.decided();
    const restored = await restore(run, "aborted", reason, ROLLBACK_RETRY, true);
    await runPoint(run, "onRollback", undefined, reason);
    return finish(run, restored.landed ? "aborted" : "failed", restored.landed ? ExitCode.rolledBack : ExitCode.infrastructure);
}

/**
 * Another promote owns the rollout now (its id is on the record, written after this run's lease lapsed): this
 * run stops without touching traffic (exit 4); the other one goes on from where the rollout is.
 */
export function takenOver(run: Run, other: RolloutState, step: Step, stepStart: number): Promise<RolloutResult> {
    const reason = `another promote (${other.owner}) took the rollout over; this run stops without touching traffic (${describeState(other)})`;
    run.log.line(`[min ${run.minute()}] ${reason}`);
    run.recorder.step({ weight: step.weight, startedAtMinute: stepStart, verdict: "interrupted", cause: "taken-over", reason });
    run.recorder.update((r) => (r.error = reason));
    return finish(run, "failed", ExitCode.locked);
}

/**
 * A step still short of evidence after its extension, with `onNoData: hold`: the weight stays, recorded as held
 * (an abort recorded meanwhile wins); a promote run again bakes this step anew.
 */
export async function heldForEvidence(run: Run, step: Step, stepStart: number): Promise<RolloutResult> {
    run.log.line(`[min ${run.minute()}] holding ${percent(step.weight)} (onNoData: hold): run promote again to go on watching`);
    run.recorder.decided();
    const outcome = await run.recordState((t) => run.stateNow(t, "held"));
    if (outcome.kind !== "written") return refusedWrite(run, outcome, step, stepStart);
    return finish(run, "held");
}

/** A write of the record refused over what someone else recorded: the abort wins; another owner is left to go on. */
export function refusedWrite(run: Run, refused: WriteRefused, step: Step, stepStart: number): Promise<RolloutResult> {
    if (refused.kind === "taken-over") return takenOver(run, refused.state, step, stepStart);
    return abortedByOperator(run, refused.state, step, stepStart);
}

/** Every bake passed: the promotion is final once recorded, and it is recorded only over a fresh read that shows no abort. */
export async function promoted(run: Run): Promise<RolloutResult> {
    const last = run.steps.length;
    const outcome = await run.recordState((t) => ({
        phase: "promoted",
        stable: t.stable,
        candidate: t.candidate,
        step: last,
        steps: last,
        weight: 1,
        since: run.deps.clock.now(),
    }));
    if (outcome.kind !== "written") return refusedWrite(run, outcome, run.steps.at(-1)!, run.minute());
    run.recorder.decided();
    run.log.line(
        `[min ${run.minute()}] promoted: ${run.targets.map((t) => `${t.key} v${t.candidate}`).join(", ")} take all traffic; v${run.targets.map((t) => t.stable).join(", v")} stay published for an instant rollback`,
    );
    // Retention, when configured: what it deleted goes in the report; what it could not, as a warning only.
    const retention = await run.deps.afterPromotion?.();
    if (retention) {
        run.recorder.update((r) => (r.pruned = retention.pruned));
        for (const warning of retention.warnings) run.recorder.warn(warning);
    }
    return finish(run, "promoted");
}

/**
 * Records this run cannot read: nothing moves (forward or back: the rollback target may be what the record
 * held); the raw text, what the stack's history says and the commands that fix it are said; exit 3.
 */
export async function refuseUnreadable(run: Run, unreadable: readonly UnreadableRecord[]): Promise<RolloutResult> {
    let history: UpdateRecord[] = [];
    try {
        history = await run.deps.stack.history(50);
    } catch (err) {
        run.log.line(`the stack's history could not be read: ${describeError(err)}`);
    }
    const advice = unreadable.map((u) => recoveryAdvice(u, history, run.options.stackName, run.region));
    advice.flat().forEach((l) => run.log.line(l));
    run.log.line('nothing was moved: a record that cannot be read is never taken for "no rollout"');
    run.recorder.update((r) => {
        r.error = `the rollout record cannot be read for ${unreadable.map((u) => u.key).join(", ")}: nothing was moved`;
        r.unreadableRecords = Object.fromEntries(
            unreadable.map((u, i) => [u.key, { raw: u.raw, why: u.why, advice: advice[i].slice(1).map((l) => l.trim()) }]),
        );
    });
    return finish(run, "failed", ExitCode.infrastructure);
}

/** Another promote owns the rollout and is alive (it renewed its lease while this run waited): nothing moved, exit 4. */
export function ownedElsewhere(run: Run, owner: RolloutState): Promise<RolloutResult> {
    const reason = `another promote (${owner.owner}) owns the rollout of v${owner.candidate} and is alive (its lease was renewed, now to ${new Date(owner.lease!).toISOString()}): this run moved nothing`;
    run.log.line(reason);
    run.recorder.update((r) => (r.error = reason));
    return finish(run, "failed", ExitCode.locked);
}

/** A run again after a rollback was decided but perhaps not carried out: carry it out. */
export async function completeDecidedRollback(run: Run, decided: Target[]): Promise<RolloutResult> {
    const s = decided[0].state!;
    const aborting = s.phase === "aborting";
    const what = aborting ? "abort" : "rollback";
    run.log.line(
        `a ${what} was decided at ${new Date(s.since).toISOString()} (${s.reason ?? "no reason recorded"}) and may not have been carried out: completing it`,
    );
    run.recorder.step({
        weight: s.weight,
        startedAtMinute: 0,
        verdict: "failed",
        cause: aborting ? "interrupted" : undefined,
        reason: `completing the ${what} decided earlier: ${s.reason ?? ""}`,
    });
    run.recorder.decided();
    const restored = await restore(run, aborting ? "aborted" : "rolled-back", s.reason ?? "decided earlier", ROLLBACK_RETRY, true);
    return finish(
        run,
        restored.landed ? (aborting ? "aborted" : "rolled-back") : "failed",
        restored.landed ? undefined : ExitCode.infrastructure,
    );
}

/** A run again after the rollout of this candidate ended in a rollback: say so; move nothing. */
export function alreadyEnded(run: Run, s: RolloutState): Promise<RolloutResult> {
    run.log.line(
        `v${s.candidate} was ${s.phase} to v${s.stable} at ${new Date(s.since).toISOString()}${s.reason ? ` (${s.reason})` : ""}; ` +
            `not rolling it out again: publish a new version, or pass --retry to start again from the first step`,
    );
    run.recorder.update((r) => (r.decisionAtMinute = 0));
    return finish(run, s.phase === "aborted" ? "aborted" : "rolled-back", ExitCode.rolledBack);
}

/** What the hooks of one point came to: all passed, one failed (why, and since when), or the run was interrupted. */
export type PointOutcome =
    | { readonly kind: "passed" }
    | { readonly kind: "failed"; readonly reason: string; readonly startedAtMinute: number }
    | { readonly kind: "interrupted" };

/** Runs the hooks of one point, each recorded in the report (onRollback's only report: they never fail the run). */
export async function runPoint(run: Run, point: HookPoint, step?: number, reason?: string): Promise<PointOutcome> {
    const hooks = run.hooks[point];
    if (hooks.length === 0 || !run.deps.hooks) return { kind: "passed" };
    const context: HookContext = {
        stack: run.options.stackName,
        point,
        ...(step !== undefined ? { step } : {}),
        steps: run.steps.length,
        weight: run.state.liveWeight,
        functions: run.targets.map((t) => ({
            key: t.key,
            functionName: t.functionName,
            alias: t.aliasName,
            stable: { version: t.stable, ...(t.functionArn ? { arn: `${t.functionArn}:${t.stable}` } : {}) },
            candidate: { version: t.candidate, ...(t.functionArn ? { arn: `${t.functionArn}:${t.candidate}` } : {}) },
        })),
        ...(reason ? { reason } : {}),
    };
    const started = run.minute();
    // The hooks may run longer than a poll: the lease covers them all (every attempt to its timeout).
    if (point !== "onRollback" && point !== "preTraffic") {
        const longest = hooks.reduce((ms, h) => ms + h.timeout * 1000 * (h.retries + 1), 0);
        await run.ownership.extend(run.deps.clock.now() + longest + bakeLeaseMs(run.policy.gates.pollInterval));
    }
    const { records, failed, interrupted } = await runHooks(
        run.deps.hooks,
        hooks,
        context,
        run.deps.clock,
        () => run.minute(),
        run.deps.signal,
    );
    for (const r of records) {
        run.log.line(`[min ${run.minute()}] ${describeHook(r)}`);
        run.recorder.update((rep) => (rep.hooks ??= []).push(r));
    }
    if (interrupted) return { kind: "interrupted" };
    return failed ? { kind: "failed", reason: hookFailureReason(failed), startedAtMinute: started } : { kind: "passed" };
}

/**
 * The hooks of a gate point (preTraffic, afterStep, postTraffic): all pass and the run goes on; an interrupt
 * during one is the interrupt (not a failing hook); a failing one fails the gate: a failed step, then the rollback.
 */
export async function hookGate(run: Run, point: Exclude<HookPoint, "onRollback">, step?: number): Promise<Next> {
    const outcome = await runPoint(run, point, step);
    if (outcome.kind === "passed") return GO_ON;
    if (outcome.kind === "interrupted") return ended(await onInterrupt(run));
    run.recorder.step({
        weight: run.state.liveWeight,
        startedAtMinute: outcome.startedAtMinute,
        verdict: "failed",
        cause: "hook",
        reason: outcome.reason,
    });
    return ended(await rollBack(run, outcome.reason, "rolled-back"));
}
