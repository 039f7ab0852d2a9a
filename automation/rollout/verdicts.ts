/**
 * What a bake's outcome means for the run: the step recorded (its verdict, cause and numbers as data), then on to
 * the next step, or the end the precedence decided (requests.ts): an interrupt, an operator's abort, another
 * owner, `--full` carried on at the step boundary, a failed or inconclusive gate rolled back.
 */
import { InfrastructureError } from "../errors";
import type { Verdict } from "./assess";
import type { BakeOutcome } from "./bake";
import { abortedByOperator, finish, heldForEvidence, onInterrupt, rollBack, takenOver } from "./ending";
import { ExitCode } from "../exitCodes";
import type { StepRecord } from "./report";
import { ended, GO_ON, type Next, type Run } from "./run";
import { describeActor } from "../../domain/state";
import type { Step } from "./steps";

/** Records a bake's verdict and acts on it: on to the next step, or the run's end. */
export async function actOn(run: Run, bake: BakeOutcome, step: Step, stepStart: number): Promise<Next> {
    const { recorder } = run;
    if (bake.interrupted) {
        recorder.step({
            weight: step.weight,
            startedAtMinute: stepStart,
            verdict: "interrupted",
            cause: "interrupted",
            reason: `interrupted by ${run.interrupted()} while baking`,
        });
        return ended(await onInterrupt(run));
    }
    if (bake.aborted) return ended(await abortedByOperator(run, bake.aborted, step, stepStart));
    if (bake.takenOver) return ended(await takenOver(run, bake.takenOver, step, stepStart));
    if (bake.full) {
        run.state.full = bake.full;
        recorder.step({
            weight: step.weight,
            startedAtMinute: stepStart,
            verdict: "passed",
            cause: "operator",
            reason: `bake cut short: promote --full by ${describeActor(bake.full)}: ${bake.full.reason ?? "no reason given"}`,
        });
        return GO_ON;
    }
    recorder.step({
        weight: step.weight,
        startedAtMinute: stepStart,
        verdict: recordVerdict(bake.verdict, bake.extended),
        reason: bake.result.reason,
        ...causeOf(bake),
        ...(bake.result.severity ? { severity: bake.result.severity } : {}),
    });
    if (bake.result.severity === "incident" && bake.verdict === "failed") {
        run.log.line(`[min ${run.minute()}] INCIDENT: ${bake.result.reason}: rolling back at once; the stack's topic is paged`);
        recorder.update((r) => (r.incident = { band: "incident", reason: bake.result.reason, atMinute: run.minute() }));
    }
    if (bake.verdict === "passed") return GO_ON;
    if (bake.changedOutside) {
        recorder.update((r) => (r.error = bake.result.reason));
        return ended(await finish(run, "failed", ExitCode.infrastructure));
    }
    if (bake.credentials) return ended(await rollBack(run, bake.result.reason, "failed", new InfrastructureError(bake.result.reason)));
    if (bake.verdict === "inconclusive" && run.policy.gates.onNoData === "hold") return ended(await heldForEvidence(run, step, stepStart));
    const outcome = bake.verdict === "inconclusive" && run.policy.gates.onNoData === "fail" ? "failed" : "rolled-back";
    return ended(await rollBack(run, bake.result.reason, outcome));
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
