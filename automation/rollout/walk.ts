/**
 * The steps of a rollout, one after another: wait for approval where a step asks for it, move its weight live with
 * one `up` (the owner's record marked first), bake it under the gates, act on the verdict, run the `afterStep`
 * hooks; then the `postTraffic` hooks and the promotion. `promote --full` cuts it short at a step boundary.
 */
import type { RoutingOverride } from "../../config/stackConfig";
import { trafficShares } from "../../domain/routing";
import { InfrastructureError } from "../errors";
import { lookAlphas } from "./assess";
import { awaitApproval } from "./approval";
import { bakeStep, routesAt, type BakeOutcome } from "./bake";
import { hookGate, onInterrupt, promoted, refusedWrite, rollBack } from "./ending";
import type { RolloutDeps, Target } from "./deps";
import { readAlias, readRecord, stateOf, type AliasRead } from "./record";
import { UP_LEASE_MS, type WriteRefused } from "./requests";
import { describeError } from "./retry";
import { ended, GO_ON, type Next, type RolloutResult, type Run } from "./run";
import { describeActor, encodeState, isUnfinished, type RolloutState } from "../../domain/state";
import { percent, type Step } from "./steps";
import { actOn } from "./verdicts";

/** Walks the remaining steps: move, bake, decide; then the promotion. */
export async function walk(run: Run, remaining: Step[], resumed: boolean): Promise<RolloutResult> {
    const { state } = run;
    state.bakes = {
        looks: lookAlphas(
            run.policy.gates,
            remaining.map((s) => s.bakeSeconds),
        ),
    };
    for (const [i, step] of remaining.entries()) {
        if (state.full) return promoteFull(run);
        if (step.approval && step.weight > state.liveWeight + 1e-9) {
            const approval = await awaitApproval(run, step);
            if (approval.kind === "ended") return approval.result;
            if (state.full) return promoteFull(run);
        }
        const stepped = await runStep(run, step, i, resumed && i === 0);
        if (stepped.kind === "ended") return stepped.result;
        if (state.full) return promoteFull(run);
        const hooks = await hookGate(run, "afterStep", step.number);
        if (hooks.kind === "ended") return hooks.result;
    }
    return lastHooksThenPromoted(run);
}

/** The `postTraffic` hooks, then the promotion. */
async function lastHooksThenPromoted(run: Run): Promise<RolloutResult> {
    const hooks = await hookGate(run, "postTraffic", run.steps.length);
    return hooks.kind === "ended" ? hooks.result : promoted(run);
}

/** `promote --full`: the remaining bakes skipped at an operator's word, who and why in the report; hooks still run. */
async function promoteFull(run: Run): Promise<RolloutResult> {
    const asked = run.state.full!;
    run.state.full = undefined;
    if (!run.recorder.report.operator?.some((o) => o.action === "promote-full")) run.sawOperator("promote-full", asked);
    const last = run.steps.at(-1)!;
    run.log.line(
        `[min ${run.minute()}] promote --full by ${describeActor(asked)} (${asked.reason ?? "no reason given"}): skipping the remaining bakes`,
    );
    const moved = await moveTo(run, { ...last, bakeSeconds: 0 }, `step ${last.number}/${run.steps.length} 100% (--full)`, false);
    if (moved.kind === "ended") return moved.result;
    run.recorder.step({
        weight: 1,
        startedAtMinute: run.minute(),
        verdict: "passed",
        cause: "operator",
        reason: `promote --full by ${describeActor(asked)}: ${asked.reason ?? "no reason given"}; no bake at 100%`,
    });
    return lastHooksThenPromoted(run);
}

/** One step: move its weight live, bake it under the gates, act on the verdict. */
async function runStep(run: Run, step: Step, index: number, resumedStep: boolean): Promise<Next> {
    const label = `step ${step.number}/${run.steps.length} ${percent(step.weight)}`;
    const stepStart = run.minute();
    const moved = await moveTo(run, step, label, resumedStep);
    if (moved.kind === "ended") return moved;
    if (step.bakeSeconds === 0) {
        run.recorder.step({
            weight: step.weight,
            startedAtMinute: stepStart,
            verdict: "passed",
            cause: "no-bake",
            reason: `bake 0s written in the config: no gate ran for ${percent(step.weight)}`,
        });
        return GO_ON;
    }
    const bakes = await run.ensureBaseline();
    let bake: BakeOutcome;
    try {
        bake = await bakeStep(run.deps, run.policy, run.targets, step, label, () => run.minute(), bakes.rolloutStartMs!, {
            baseline: bakes.baseline,
            lookAlpha: bakes.looks[index] ?? undefined,
            onOperator: (action, s) => run.sawOperator(action, s),
            ownership: run.ownership,
            onPoll: (sample) => run.recorder.poll(sample),
        });
    } catch (err) {
        // Anything unexpected while traffic is on the candidate: back to stable, and keep the record.
        if (run.interrupted()) return ended(await onInterrupt(run));
        const reason = `unexpected error while baking ${label}: ${describeError(err)}`;
        run.log.line(`[min ${run.minute()}] ${reason}`);
        run.recorder.step({ weight: step.weight, startedAtMinute: stepStart, verdict: "failed", cause: "infrastructure", reason });
        return ended(await rollBack(run, reason, "failed", err));
    }
    return actOn(run, bake, step, stepStart);
}

/** The state a step's `up` records: baking at its weight (a `--full` recorded and not carried out yet stays asked). */
function stepState(run: Run, step: Step, t: Target, current?: RolloutState): RolloutState {
    return {
        phase: "baking",
        stable: t.stable,
        candidate: t.candidate,
        step: step.number,
        steps: run.steps.length,
        weight: step.weight,
        since: run.deps.clock.now(),
        // The bake's first poll weighs a `--full` against the evidence.
        ...(current?.request === "full"
            ? { request: "full" as const, by: current.by, principal: current.principal, reason: current.reason }
            : {}),
    };
}

/**
 * Puts the step's weight live with one `up` (the state recorded in the same alias update), or, when it is live
 * already (a resumed run), records that this run is baking it.
 */
async function moveTo(run: Run, step: Step, label: string, resuming: boolean): Promise<Next> {
    if (run.interrupted()) return ended(await onInterrupt(run));
    const { deps, state } = run;
    if (Math.abs(step.weight - state.liveWeight) <= 1e-9) {
        run.log.line(
            `[min ${run.minute()}] ${label}: ${percent(step.weight)} is live already${resuming ? " (resumed: re-baking this step)" : ""}`,
        );
        // A pause recorded while no promote ran stays a pause: this run bakes, and holds, until `resume`.
        const outcome = await run.recordState((t, current) =>
            current?.phase === "paused" ? { ...current } : stepState(run, step, t, current),
        );
        return outcome.kind === "written" ? GO_ON : ended(await refusedWrite(run, outcome, step, run.minute()));
    }
    // Before the `up`: the record says an `up` of the owner's is coming (so whoever records a request meanwhile reads
    // again once it has landed), with a lease that covers it; refused over an abort, another owner, or a pause
    // recorded since the last poll (the weight then holds until `resume`).
    const upLease = deps.clock.now() + UP_LEASE_MS;
    const outcome = await run.recordState(
        (t, current) => ({ ...(current && isUnfinished(current) ? current : run.stateNow(t, "baking")), upInFlight: true }),
        { lease: upLease, refuseOver: (c) => (c.phase === "paused" ? { kind: "paused", key: "", state: c } : undefined) },
    );
    if (outcome.kind === "paused") {
        const held = await holdWhilePaused(run, outcome.state);
        return held.kind === "ended" ? held : moveTo(run, step, label, resuming);
    }
    if (outcome.kind !== "written") return ended(await refusedWrite(run, outcome, step, run.minute()));
    const message = `lambda-rollout promote: ${label} (${run.targets.map((t) => `${t.key} v${t.stable}->v${t.candidate}`).join(", ")})`;
    const upState = (t: Target) =>
        encodeState({ ...stepState(run, step, t, run.ownership.last(t.key)), owner: run.ownership.id, lease: upLease });
    try {
        await upUnlessInterrupted(run, routingAt(run.targets, step.weight, upState), message);
        if (run.interrupted()) return ended(await onInterrupt(run));
    } catch (err) {
        if (run.interrupted()) return ended(await onInterrupt(run));
        // The program refuses to move forward over an abort (forwardRefusal): whatever failed, an abort wins.
        const found = await recordsNow(run);
        if (found.kind !== "clear") return ended(await refusedWrite(run, found, step, run.minute()));
        return ended(await upFailed(run, step, `${label}: the up failed: ${describeError(err)}`, err));
    }
    const after = await afterUp(run, step, label);
    if (after.kind === "ended") return after;
    state.liveWeight = step.weight;
    run.log.line(
        `[min ${run.minute()}] ${label}: ${percent(step.weight)} of traffic on the candidate; baking ${Math.round(step.bakeSeconds / 60)} min`,
    );
    return GO_ON;
}

/** A step's `up` failed (or left the alias otherwise than asked): a failed step, then back to stable. */
function upFailed(run: Run, step: Step, line: string, err: unknown): Promise<RolloutResult> {
    const reason = `infrastructure: ${describeError(err)}`;
    run.log.line(line);
    run.recorder.step({ weight: step.weight, startedAtMinute: run.minute(), verdict: "failed", cause: "infrastructure", reason });
    // The `up` may have moved the weight before it failed: the rollback puts every function back anyway.
    run.state.liveWeight = Math.max(run.state.liveWeight, step.weight);
    return rollBack(run, reason, "failed", err);
}

/** After a step's `up`: what it wrote, read back; an abort recorded meanwhile wins over the routing asked. */
async function afterUp(run: Run, step: Step, label: string): Promise<Next> {
    const found = await recordsNow(run);
    if (found.kind !== "clear") return ended(await refusedWrite(run, found, step, run.minute()));
    try {
        await verifyRouting(run.deps, run.targets, step.weight);
        return GO_ON;
    } catch (err) {
        return ended(await upFailed(run, step, `${label}: ${describeError(err)}`, err));
    }
}

/**
 * What the records say now that forbids this run to go on: an abort of the candidate, or another owner. An
 * alias that cannot be read now is read again at the next poll.
 */
async function recordsNow(run: Run): Promise<{ readonly kind: "clear" } | WriteRefused> {
    for (const t of run.targets) {
        let read: AliasRead;
        try {
            read = await readRecord(run.deps.lambda, run.deps.clock, t);
        } catch {
            continue;
        }
        const s = stateOf(read);
        if (!s || s.candidate !== t.candidate) continue;
        if (s.phase === "aborting" || s.phase === "aborted") return { kind: "abort", key: t.key, state: s };
        if (s.owner !== undefined && s.owner !== run.ownership.id) return { kind: "taken-over", key: t.key, state: s };
    }
    return { kind: "clear" };
}

/**
 * A pause recorded just before an `up`: the weight holds (the gates polled at it, a failure still rolls back)
 * until `resume`.
 */
async function holdWhilePaused(run: Run, paused: RolloutState): Promise<Next> {
    const { liveWeight } = run.state;
    const step = run.steps.filter((s) => s.weight <= liveWeight + 1e-9).at(-1) ?? { weight: liveWeight, bakeSeconds: 0, number: 0 };
    const hold: Step = { ...step, weight: liveWeight, bakeSeconds: 0 };
    run.log.line(`[min ${run.minute()}] paused by ${describeActor(paused)} before the next step: holding ${percent(liveWeight)}`);
    const start = run.minute();
    const bakes = await run.ensureBaseline();
    const bake = await bakeStep(
        run.deps,
        run.policy,
        run.targets,
        hold,
        `step ${hold.number}/${run.steps.length} (paused)`,
        () => run.minute(),
        bakes.rolloutStartMs!,
        {
            baseline: bakes.baseline,
            onOperator: (action, s) => run.sawOperator(action, s),
            ownership: run.ownership,
        },
    );
    return bake.verdict === "passed" && !bake.full ? GO_ON : actOn(run, bake, hold, start);
}

/**
 * One `up`, cancelled through the Automation API's signal on an interrupt. The run does not wait for the
 * cancelled `up` to wind down before it acts: the rollback reads the alias back after it.
 */
async function upUnlessInterrupted(run: Run, routing: RoutingOverride, message: string): Promise<void> {
    const { deps } = run;
    const up = deps.stack.up(routing, message, deps.signal);
    run.state.pendingUp = up.catch(() => undefined);
    const signal = deps.signal;
    if (!signal) {
        await up;
        return;
    }
    const interrupted = new Promise<void>((resolve) =>
        signal.aborted ? resolve() : signal.addEventListener("abort", () => resolve(), { once: true }),
    );
    await Promise.race([up, interrupted]);
}

/** The routing override for one `up`: every function at `weight`, each with the state it records. */
export function routingAt(targets: readonly Target[], weight: number, state?: (t: Target) => string): RoutingOverride {
    return Object.fromEntries(
        targets.map((t) => [t.key, { stable: t.stable, candidate: t.candidate, weight, ...(state ? { state: state(t) } : {}) }]),
    );
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
