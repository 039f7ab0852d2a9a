/**
 * The gate's error-rate tests, as pure functions of counts: which test fails a candidate, with the numbers
 * behind it. One source for the rule, read twice: by the gate on the evidence it has (assess.ts), and by the
 * power condition on the evidence a must-catch regression would show (sufficiency.ts), so "the tests could have
 * failed it" means these tests.
 *
 * The false-rollback budget (`gates.falseRollbackPercent`) is split between them (a union bound):
 * - the absolute limit, a quarter: the candidate's always-valid lower bound above `maxErrorRatePercent`;
 * - the same-minute comparison with stable, an eighth: a conditional mixture SPRT, read every poll;
 * - the comparison with stable's history, an eighth: an e-process with stable's hour before the rollout as its
 *   first block, read every poll;
 * - the end-of-step looks, half: the exact conditional test of pooled counts, one look per step.
 * A comparison with stable fails only when the observed increase is also at least half of
 * `maxErrorRateIncreasePercent`. No error test fails on fewer than {@link MIN_ERRORS_TO_FAIL} errors.
 * See docs/gates.md.
 */
import type { GatePolicy } from "../../config/stackConfig";
import type { VersionEvidence } from "./ports";
import {
    boundary,
    excessErrorsPValue,
    logHistoryRatio,
    logMixtureRatio,
    lowerConfidenceBound,
    ODDS_RATIOS,
    type MinuteCounts,
    type PooledCounts,
} from "./sequential";

/**
 * The least evidence behind an error-rate failure: candidate errors. The mixtures need about as many anyway
 * (each error is worth at most ln 30 nats); this makes the floor explicit and independent of the budget.
 */
export const MIN_ERRORS_TO_FAIL = 3;

/** The error tests that can fail a candidate. */
export type ErrorCause = "absolute-limit" | "same-minute" | "history" | "end-of-step-look";

/** What the error tests read: the candidate's and stable's counts since the rollout began, stable's history. */
export interface ErrorCounts {
    readonly candidateInvocations: number;
    readonly candidateErrors: number;
    /** Stable's counts in the rollout's minutes. */
    readonly stableInvocations: number;
    readonly stableErrors: number;
    /** Stable's counts in the history before the rollout (`gates.baseline`). */
    readonly baselineInvocations: number;
    readonly baselineErrors: number;
    /** The older half of that history (part of the counts above), which the history e-processes hold out for their prior. */
    readonly baselinePrior?: { readonly invocations: number; readonly errors: number };
}

/** The false-rollback budget's split between the error tests (probabilities; they add up to the budget). */
export function gateAlphas(gates: GatePolicy): { absolute: number; sameMinute: number; history: number; looks: number } {
    const budget = (gates.falseRollbackPercent ?? 1) / 100;
    return { absolute: budget / 4, sameMinute: budget / 8, history: budget / 8, looks: budget / 2 };
}

/**
 * The looks' share of the budget, per gated step of a run: step k of K gets k / (1 + ... + K) of it (later
 * looks see more evidence, as in O'Brien-Fleming's spending). Steps without a bake have no look (null).
 */
export function lookAlphas(gates: GatePolicy, bakes: readonly number[]): (number | null)[] {
    const gated = bakes.filter((b) => b > 0).length;
    const total = (gated * (gated + 1)) / 2;
    let k = 0;
    return bakes.map((b) => (b > 0 ? (gateAlphas(gates).looks * ++k) / total : null));
}

/** Stable's rate from everything known of it (its history and the rollout's minutes); undefined without any. */
export function stableRate(c: ErrorCounts): number | undefined {
    const n = c.stableInvocations + c.baselineInvocations;
    return n > 0 ? (c.stableErrors + c.baselineErrors) / n : undefined;
}

/**
 * The alternatives of the comparisons with stable (rate ratios over stable): the mixture's grid, plus the ratio
 * the gate must catch (stable's rate before the rollout plus `maxErrorRateIncreasePercent`) when that history has
 * errors. Only the history picks it: a mixture's alternatives must be fixed before the evidence it weighs.
 */
export function comparisonRatios(gates: GatePolicy, c: Pick<ErrorCounts, "baselineInvocations" | "baselineErrors">): number[] {
    const base = c.baselineInvocations > 0 && c.baselineErrors > 0 ? c.baselineErrors / c.baselineInvocations : undefined;
    const mustCatch = base !== undefined ? (base + gates.maxErrorRateIncreasePercent / 100) / base : undefined;
    return mustCatch !== undefined && mustCatch > 1 && !ODDS_RATIOS.includes(mustCatch) ? [...ODDS_RATIOS, mustCatch] : [...ODDS_RATIOS];
}

/**
 * The counts as the history e-processes read them: stable's history as the first block, its older half (when
 * read) held out to centre the prior.
 */
export function pooled(c: ErrorCounts): PooledCounts {
    const held = c.baselinePrior ?? { invocations: 0, errors: 0 };
    return {
        stableInvocations: c.stableInvocations + c.baselineInvocations - held.invocations,
        stableErrors: c.stableErrors + c.baselineErrors - held.errors,
        candidateInvocations: c.candidateInvocations,
        candidateErrors: c.candidateErrors,
        ...(c.baselinePrior ? { prior: c.baselinePrior } : {}),
    };
}

/** The minutes in which both versions had traffic, as the same-minute test reads them. */
export function minuteCounts(candidate: VersionEvidence, stable: VersionEvidence): MinuteCounts[] {
    const stableAt = new Map<number, { n: number; e: number }>();
    stable.minutes.forEach((t, i) => stableAt.set(t, { n: stable.invocationsByMinute?.[i] ?? 0, e: stable.errorsByMinute?.[i] ?? 0 }));
    return candidate.minutes.flatMap((t, i) => {
        const s = stableAt.get(t);
        return s && s.n > 0
            ? [
                  {
                      candidateInvocations: candidate.invocationsByMinute?.[i] ?? 0,
                      candidateErrors: candidate.errorsByMinute?.[i] ?? 0,
                      stableInvocations: s.n,
                      stableErrors: s.e,
                  },
              ]
            : [];
    });
}

const rate = (errors: number, n: number) => (n === 0 ? 0 : (100 * errors) / n);
const fmt = (n: number) => (Math.round(n * 100) / 100).toString();
/** A probability as a percentage for people: 0.00125 -> "0.13%". */
export const fmtAlpha = (p: number) => `${Number((p * 100).toPrecision(2))}%`;
const fmtP = (p: number) => (p < 1e-4 ? p.toExponential(1) : Number(p.toPrecision(2)).toString());

/** The statistics the every-poll tests read, computed once per poll (and reported). */
export interface ErrorStatistics {
    /**
     * The candidate's always-valid lower bound of its error rate (a fraction), for the report and the severity
     * bands; undefined when not asked for (the power condition needs only whether the limit is exceeded).
     */
    readonly candidateLower?: number;
    /** The absolute-limit test rejects: the mixture rejects the limit itself (the bound is above it: it is monotone). */
    readonly exceedsLimit: boolean;
    /** ln of the history e-process (rejects at ln(1/alpha)); undefined without stable evidence. */
    readonly historyLogRatio?: number;
    /** The observed increase over stable's rate (points). */
    readonly increasePoints: number;
    /** The increase is at least half of `maxErrorRateIncreasePercent`: a comparison may fail. */
    readonly largeEnough: boolean;
}

/** The statistics of the every-poll tests on `c` (pure); `withBound` also computes the lower bound (a bisection). */
export function errorStatistics(c: ErrorCounts, gates: GatePolicy, withBound = true): ErrorStatistics {
    const alpha = gateAlphas(gates);
    const stable = stableRate(c);
    const increasePoints =
        stable !== undefined && c.candidateInvocations > 0 ? rate(c.candidateErrors, c.candidateInvocations) - 100 * stable : 0;
    const limit = gates.maxErrorRatePercent / 100;
    return {
        ...(withBound ? { candidateLower: lowerConfidenceBound(c.candidateErrors, c.candidateInvocations, alpha.absolute) } : {}),
        exceedsLimit:
            c.candidateErrors > 0 &&
            (limit <= 0 || (limit < 1 && logMixtureRatio(c.candidateErrors, c.candidateInvocations, limit) >= boundary(alpha.absolute))),
        historyLogRatio: stable !== undefined ? logHistoryRatio(pooled(c), comparisonRatios(gates, c)) : undefined,
        increasePoints,
        largeEnough: stable !== undefined && increasePoints >= gates.maxErrorRateIncreasePercent / 2,
    };
}

/**
 * The error tests read every poll, first failure wins: the absolute limit, the same-minute comparison (when its
 * ratio is given), the comparison with stable's history. Undefined when none fails.
 */
export function everyPollTests(
    c: ErrorCounts,
    gates: GatePolicy,
    s: ErrorStatistics,
    sameMinuteLogRatio?: number,
): { cause: ErrorCause; why: string } | undefined {
    if (c.candidateErrors < MIN_ERRORS_TO_FAIL) return undefined;
    const alpha = gateAlphas(gates);
    const size = `increase ${fmt(s.increasePoints)} points >= half the ${gates.maxErrorRateIncreasePercent}-point limit`;
    if (s.exceedsLimit) {
        const bound = s.candidateLower !== undefined ? `always-valid lower bound ${fmt(s.candidateLower * 100)}%` : "the limit rejected";
        return {
            cause: "absolute-limit",
            why: `error rate above ${gates.maxErrorRatePercent}% (sequential test, ${bound} at false-rollback risk ${fmtAlpha(alpha.absolute)})`,
        };
    }
    if (sameMinuteLogRatio !== undefined && s.largeEnough && sameMinuteLogRatio >= boundary(alpha.sameMinute)) {
        return {
            cause: "same-minute",
            why: `error rate above stable's in the same minutes (sequential test: likelihood ratio e^${fmt(sameMinuteLogRatio)} >= 1/${fmtAlpha(alpha.sameMinute)}; ${size})`,
        };
    }
    if (s.historyLogRatio !== undefined && s.largeEnough && s.historyLogRatio >= boundary(alpha.history)) {
        return {
            cause: "history",
            why: `error rate above stable's, stable's history before the rollout included (e-process e^${fmt(s.historyLogRatio)} >= 1/${fmtAlpha(alpha.history)}; ${size})`,
        };
    }
    return undefined;
}

/**
 * The end-of-step look (pure): the exact conditional test of pooled counts, stable's history included, at this
 * step's share of the budget. Undefined when it cannot run (too few errors, no stable evidence).
 */
export function lookTest(
    c: ErrorCounts,
    gates: GatePolicy,
    s: ErrorStatistics,
    lookAlpha: number,
): { failed: boolean; p: number; why: string } | undefined {
    const stableN = c.stableInvocations + c.baselineInvocations;
    if (c.candidateErrors < MIN_ERRORS_TO_FAIL || stableN <= 0) return undefined;
    const p = excessErrorsPValue(c.candidateErrors, c.candidateInvocations, c.stableErrors + c.baselineErrors, stableN);
    return {
        failed: p <= lookAlpha && s.largeEnough,
        p,
        why:
            `error rate above stable's (end-of-step test of pooled counts: p = ${fmtP(p)} <= ${fmtAlpha(lookAlpha)}; ` +
            `increase ${fmt(s.increasePoints)} points >= half the ${gates.maxErrorRateIncreasePercent}-point limit)`,
    };
}
