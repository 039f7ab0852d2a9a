/**
 * The gate's verdicts as data (assess.ts decides them): what a poll decided, why, and the numbers behind it.
 */
import type { ErrorCause } from "./errorTests";
import type { Shortfall, PowerNumbers } from "./sufficiency";

/**
 * The runbook's severity bands (under 1% monitor; 1-5% roll back; over 5% or a total failure roll back at once
 * and open an incident), read on the candidate's always-valid lower bound of its error rate, never on the raw
 * rate: 1 error in 3 requests is a raw 33% but a bound near 0, so it is `monitor`, not an incident.
 */
export type SeverityBand = "monitor" | "rollback" | "incident";

/** What a poll decided. `baking`: keep watching; `extended`: bake over, evidence short, still waiting. */
export type Verdict = "passed" | "failed" | "inconclusive" | "extended" | "baking";

/** The numbers behind one function's verdict. */
export interface GateNumbers {
    readonly candidateInvocations: number;
    readonly candidateErrors: number;
    readonly candidateErrorRatePercent: number;
    readonly stableInvocations: number;
    readonly stableErrors: number;
    readonly stableErrorRatePercent: number;
    /** Stable's invocations and errors in the history before the rollout (`gates.baseline`). */
    readonly baselineInvocations: number;
    readonly baselineErrors: number;
    /** Always-valid lower bound of the candidate's error rate, percent (the absolute-limit test). */
    readonly candidateErrorRateLowerPercent: number;
    /** ln of the likelihood ratio of the same-minute comparison with stable (rejects at ln(1/alpha)). */
    readonly sameMinuteLogRatio?: number;
    /** ln of the e-process of the comparison with stable's history (rejects at ln(1/alpha)). */
    readonly historyLogRatio?: number;
    /** The power condition (`advance: time`), when the step's bake was over and its minutes in. */
    readonly power?: PowerNumbers;
    /** ln of the e-process against the must-catch regression (`advance: evidence`; accepts at ln(1/beta)). */
    readonly acceptanceLogRatio?: number;
    /** Minutes since the rollout began through which this function's metrics have arrived. */
    readonly arrivedThroughMinute?: number;
    /** The end-of-step look's p-value, when this poll was the look. */
    readonly lookPValue?: number;
    readonly candidateP99Ms?: number;
    readonly throttles: number;
    readonly deadLetterErrors: number;
}

/**
 * Why a verdict is what it is, as data (the prose reason is made from it for people; nothing downstream reads
 * the prose). The gate's failures name their test; a step short of evidence says why (sufficiency.ts's
 * Shortfall: too few invocations, its minutes not arrived, too little power, the regression not excluded);
 * `healthy` passed.
 */
export type GateCause = "alarm" | "throttles" | "dead-letter" | ErrorCause | "latency" | "severity" | Shortfall | "healthy";

/** A gate decision for a step. */
export interface GateResult {
    readonly verdict: Verdict;
    readonly reason: string;
    /** The deciding function's cause (the worst verdict's). */
    readonly cause?: GateCause;
    /** The function whose verdict decided (the worst one). */
    readonly function?: string;
    /** Per function. */
    readonly numbers: Record<string, GateNumbers>;
    /** The band of a failed or marginal verdict (the deciding function's, or the worst marginal one's). */
    readonly severity?: SeverityBand;
}

/** Stable's traffic through the alias before the rollout began. */
export interface Baseline {
    readonly invocations: number;
    readonly errors: number;
    /** Throttles through the alias in the same window (all of them stable's: no candidate had traffic). */
    readonly throttles?: number;
    /** Requests through the alias in that window: invocations plus throttles. */
    readonly requests?: number;
    /**
     * Stable's invocations and errors in the older half of the window (included in the totals above): the history
     * e-processes hold it out to centre their prior of stable's rate (sequential.ts, PooledCounts.prior).
     */
    readonly olderHalf?: { readonly invocations: number; readonly errors: number };
}
