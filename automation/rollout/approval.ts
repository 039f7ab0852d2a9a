/**
 * A step that needs approval: the weight before it holds until a person approves, from a terminal (asked here)
 * or from anywhere with `lambda-rollout approve` (recorded on the aliases, seen at the next poll). The gates keep
 * watching meanwhile and roll back on a failure; `abort` aborts; the timeout rolls back or holds, as configured.
 * The wait is recorded on the aliases, so a promote run again is still waiting.
 */
import { ExitCode } from "../exitCodes";
import { bakeStep, type BakeOutcome } from "./bake";
import { abortedByOperator, finish, refusedWrite, rollBack } from "./ending";
import { ended, GO_ON, type Next, type Run } from "./run";
import { percent, type Step } from "./steps";
import { actOn } from "./verdicts";

/** Holds the weight live now until `step` is approved; goes on, or ends the run (refused, timed out, a failed gate, an abort). */
export async function awaitApproval(run: Run, step: Step): Promise<Next> {
    const { deps, state, recorder } = run;
    const label = `step ${step.number}/${run.steps.length} ${percent(step.weight)}`;
    const since = state.approvalSince ?? deps.clock.now();
    state.approvalSince = undefined;
    const { timeout, onTimeout } = run.policy.approval;
    const deadline = since + timeout * 1000;
    const held = run.steps.filter((s) => s.weight <= state.liveWeight + 1e-9).at(-1)?.number ?? 0;
    const holdStep: Step = { weight: state.liveWeight, bakeSeconds: 0, number: held };
    const waiting = await run.recordState((t) => ({
        ...run.stateNow(t, "awaiting-approval"),
        step: held,
        since: Math.floor(since / 1000) * 1000,
    }));
    if (waiting.kind !== "written") return ended(await refusedWrite(run, waiting, holdStep, run.minute()));
    recorder.update((r) => (r.waitingForApproval = { step: step.number, weight: step.weight, sinceMinute: run.minute() }));
    run.log.line(
        `[min ${run.minute()}] ${label} needs approval: holding ${percent(state.liveWeight)} on the candidate (gates still watching) ` +
            `until \`lambda-rollout approve -s ${run.options.stackName}\` (or \`abort\`); after ${Math.round(timeout / 60)} min: ${onTimeout === "hold" ? "hold and stop" : "roll back"}`,
    );
    await run.ensureBaseline();
    const start = run.minute();
    const outcome = await holdForApproval(run, label, holdStep, deadline);
    if (outcome === "refused") {
        const by = deps.user ?? "the terminal";
        return ended(await abortedByOperator(run, { by, reason: "not approved at the terminal" }, holdStep, start));
    }
    recorder.update((r) => delete r.waitingForApproval);
    if (outcome.approved) {
        run.sawOperator("approve", outcome.approved);
        run.log.line(`[min ${run.minute()}] ${label}: approved by ${outcome.approved.by ?? "an operator"}`);
        return GO_ON;
    }
    if (outcome.full) {
        state.full = outcome.full;
        return GO_ON;
    }
    if (outcome.timedOut) {
        const reason = `${label} was not approved within ${Math.round(timeout / 60)} min`;
        run.log.line(
            `[min ${run.minute()}] ${reason}: ${onTimeout === "hold" ? "holding the weight; the wait stays recorded" : "rolling back"}`,
        );
        recorder.step({ weight: state.liveWeight, startedAtMinute: start, verdict: "failed", cause: "approval-timeout", reason });
        if (onTimeout === "rollback") return ended(await rollBack(run, reason, "rolled-back"));
        recorder.decided();
        return ended(await finish(run, "held", ExitCode.held));
    }
    const next = await actOn(run, outcome, holdStep, start);
    return next.kind === "ended" ? next : ended(await rollBack(run, "the wait for approval ended without an answer", "rolled-back"));
}

/**
 * The wait itself: the gates polled at the held weight (bakeStep in its approval mode) and, on a terminal, the
 * question asked at the same time; whichever answers first ends it (the other is closed).
 */
async function holdForApproval(run: Run, label: string, holdStep: Step, deadline: number): Promise<BakeOutcome | "refused"> {
    const { deps } = run;
    const stopHold = new AbortController();
    const closePrompt = new AbortController();
    const signal = deps.signal ? AbortSignal.any([deps.signal, stopHold.signal]) : stopHold.signal;
    const bakes = run.state.bakes;
    const hold = bakeStep(
        { ...deps, signal },
        run.policy,
        run.targets,
        holdStep,
        `${label} approval`,
        () => run.minute(),
        bakes.rolloutStartMs!,
        {
            baseline: bakes.baseline,
            approvalUntil: deadline,
            onOperator: (action, s) => run.sawOperator(action, s),
            ownership: run.ownership,
            onPoll: (sample) => run.recorder.poll(sample),
        },
    );
    const asked = deps.ask?.(
        `Approve ${label} of ${run.options.stackName}? (no aborts the rollout: all traffic back to stable)`,
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
    const by = deps.user ?? "the terminal";
    await run.recordState((t) => ({ ...run.stateNow(t, "awaiting-approval"), step: holdStep.number, request: "approve", by }));
    return { verdict: "passed", result: { verdict: "passed", reason: "approved", numbers: {} }, extended: false, approved: { by } };
}
