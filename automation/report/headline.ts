/**
 * The sentence at the top of a report: what happened and, for a rollback, why, in the gate's own numbers
 * (pure). It is made from the deciding step's cause and numbers, so it reads the same in the HTML report and
 * in the job summary.
 */
import type { StepCause, StepRecord } from "../rollout/report";
import { decidingStep, type StackRun } from "./rows";

/** What each cause means, in a few words. */
export const CAUSE_TITLES: Record<StepCause, string> = {
    alarm: "the stack's rollback alarm went off",
    throttles: "throttles through the alias rose",
    "dead-letter": "dead-letter deliveries failed",
    "absolute-limit": "the candidate's error rate is above the limit",
    "same-minute": "the candidate fails more often than stable in the same minutes",
    "end-of-step-look": "the candidate fails more often than stable (end-of-step test)",
    history: "the candidate fails more often than stable and its history before the rollout",
    latency: "the candidate's p99 duration is above the limit",
    severity: "the candidate's error rate reached the rollback band",
    "no-data": "too little evidence",
    "late-minutes": "the step's own minutes of metrics never arrived",
    underpowered: "too little traffic for the evidence to catch the must-catch regression",
    "not-excluded": "the evidence never excluded the must-catch regression",
    healthy: "healthy",
    "smoke-test": "the smoke test failed",
    hook: "a hook failed",
    operator: "an operator acted",
    "approval-timeout": "nobody approved in time",
    infrastructure: "an infrastructure error",
    credentials: "the credentials stopped working",
    interrupted: "interrupted",
    "changed-outside": "someone else moved the traffic",
    "taken-over": "another promote took the rollout over",
    "no-bake": "no bake",
    release: "the release stopped in another stack",
};

const OUTCOME_WORDS: Record<StackRun["outcome"], string> = {
    promoted: "Promoted",
    "rolled-back": "Rolled back",
    failed: "Failed",
    "nothing-to-do": "Nothing to do",
    aborted: "Aborted",
    held: "Held",
    "not-started": "Not started",
};

const n2 = (n: number) => String(Math.round(n * 100) / 100);

/** The deciding numbers of a step, in words: the candidate's errors against stable's, and what crossed which line. */
export function evidenceWords(step: StepRecord): string | undefined {
    const fn = step.function ?? Object.keys(step.numbers ?? {})[0];
    const n = fn ? step.numbers?.[fn] : undefined;
    if (!n) return undefined;
    const counts =
        `${fn}: candidate ${n.candidateErrors}/${n.candidateInvocations} calls failed (${n2(n.candidateErrorRatePercent)}%), ` +
        `stable ${n.stableErrors}/${n.stableInvocations} (${n2(n.stableErrorRatePercent)}%)`;
    switch (step.cause) {
        case "same-minute":
            return `${counts}; evidence e^${n2(n.sameMinuteLogRatio ?? 0)} crossed the rollback line`;
        case "history":
            return `${counts}; evidence with stable's history e^${n2(n.historyLogRatio ?? 0)} crossed the rollback line`;
        case "absolute-limit":
        case "severity":
            return `${counts}; at least ${n2(n.candidateErrorRateLowerPercent)}% on the always-valid bound`;
        case "end-of-step-look":
            return `${counts}; end-of-step p = ${n.lookPValue === undefined ? "?" : Number(n.lookPValue.toPrecision(2))}`;
        case "latency":
            return `${fn}: candidate p99 ${Math.round(n.candidateP99Ms ?? 0)} ms`;
        case "throttles":
            return `${fn}: ${n.throttles} throttles through the alias`;
        default:
            return counts;
    }
}

/** The outcome and, unless the rollout simply went through, why: `Rolled back at minute 6.1: <cause>: <numbers>`. */
export function headline(run: StackRun): { outcome: string; why?: string; detail?: string } {
    const at = run.decisionAtMinute === null || run.decisionAtMinute === undefined ? "" : ` at minute ${run.decisionAtMinute}`;
    const outcome = `${OUTCOME_WORDS[run.outcome]}${at}`;
    if (run.outcome === "promoted" || run.outcome === "nothing-to-do") {
        const last = run.steps.at(-1);
        const words = last && evidenceWords(last);
        const passed = run.steps.filter((s) => s.verdict === "passed").length;
        const why =
            run.outcome === "promoted"
                ? `${passed} of ${run.steps.length} steps passed their gates${words ? `. ${words}` : ""}`
                : undefined;
        return { outcome, ...(why ? { why } : {}), ...(last ? { detail: last.reason } : {}) };
    }
    const step = decidingStep(run);
    if (!step) return { outcome, ...(run.error ? { why: run.error } : {}) };
    const title = step.cause ? CAUSE_TITLES[step.cause] : step.verdict;
    const words = evidenceWords(step);
    const sentence = title.charAt(0).toUpperCase() + title.slice(1);
    return { outcome, why: words ? `${sentence}. ${words}` : sentence, detail: step.reason };
}
