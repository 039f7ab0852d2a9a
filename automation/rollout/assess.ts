/**
 * The health gate: a pure function of the policy, the time into the step and the evidence, returning a verdict
 * with its reason and the numbers behind it. Each function is assessed on its own; the worst verdict wins,
 * so functions of one stack move and roll back together.
 *
 * The error tests are sequential (sequential.ts): the gate reads the step's cumulative counts every minute,
 * and a fixed-sample bound read every minute fires on noise far more often than its level says. Instead each
 * version's error rate gets an always-valid confidence bound (the inversion of a mixture SPRT): the chance
 * that it is EVER wrong during the step, however often it is read, is at most its share of the
 * false-rollback budget (`gates.falseRollbackPercent`, split between the gated steps and, with stable
 * traffic, between candidate and stable). A candidate fails when its lower bound is above the absolute
 * limit, or above stable's upper bound by more than the allowed increase (both bounds from the same minutes).
 * It passes only after the bake with enough invocations. No data is never a pass. See docs/gates.md.
 */
import type { GatePolicy } from "../../config/stackConfig";
import type { FunctionEvidence } from "./ports";
import { lowerConfidenceBound, upperConfidenceBound } from "./sequential";

/** What a poll decided. `baking`: keep watching; `extended`: bake over, evidence short, still waiting. */
export type Verdict = "passed" | "failed" | "inconclusive" | "extended" | "baking";

/** Worst first: the order in which one function's verdict overrides another's. */
const SEVERITY: Verdict[] = ["failed", "inconclusive", "extended", "baking", "passed"];

/**
 * The least evidence behind an error-rate failure: candidate errors. The mixture needs about as many anyway
 * (each error is worth at most ln 30 nats); this makes the floor explicit and independent of the budget.
 */
export const MIN_ERRORS_TO_FAIL = 3;

/** Minutes out of the last five whose candidate p99 must exceed the limit to fail (as the p99 alarm). */
export const LATENCY_BREACHES = 3;

/** The numbers behind one function's verdict. */
export interface GateNumbers {
    readonly candidateInvocations: number;
    readonly candidateErrors: number;
    readonly candidateErrorRatePercent: number;
    readonly stableInvocations: number;
    readonly stableErrors: number;
    readonly stableErrorRatePercent: number;
    /** Always-valid lower bound of the candidate's error rate, percent. */
    readonly candidateErrorRateLowerPercent: number;
    /** Always-valid upper bound of stable's error rate, percent (absent when stable is not compared). */
    readonly stableErrorRateUpperPercent?: number;
    /** The false-rollback budget spent on the candidate's bound in this step, percent. */
    readonly candidateAlphaPercent: number;
    readonly candidateP99Ms?: number;
    readonly throttles: number;
    readonly deadLetterErrors: number;
}

/** A gate decision for a step. */
export interface GateResult {
    readonly verdict: Verdict;
    readonly reason: string;
    /** Per function. */
    readonly numbers: Record<string, GateNumbers>;
}

/** Everything a gate decision depends on. */
export interface GateInput {
    readonly gates: GatePolicy;
    readonly bakeSeconds: number;
    readonly elapsedSeconds: number;
    /** Evidence per function; undefined when CloudWatch could not be read on this poll. */
    readonly evidence?: Record<string, FunctionEvidence>;
    /** Alarms in ALARM per function (names), when the alarm states could be read. */
    readonly alarmsInAlarm?: Record<string, string[]>;
    /** True when stable serves no traffic in this step (weight 1): only absolute limits apply. */
    readonly absoluteOnly: boolean;
    /**
     * How many steps of the rollout are gated (have a bake): the false-rollback budget is split evenly
     * between them (a union bound: each step's window is fresh data). Default 1. Ignored when
     * `rolloutEvidence` is given: then one sequence runs over the whole rollout with the whole budget.
     */
    readonly gatedSteps?: number;
    /**
     * Evidence since the rollout's first step, per function. When present, the error-rate tests run on it:
     * a version's error rate does not depend on its share of traffic, so the evidence of earlier steps still
     * counts, and an always-valid sequence may be read at any time, across steps, within one budget.
     * `evidence` (this step only) still decides minInvocations, p99, throttles and dead-letter errors.
     */
    readonly rolloutEvidence?: Record<string, FunctionEvidence>;
}

/**
 * A function's evidence restricted to the minutes from `fromMs` on (the rollout's evidence cut to one step).
 * Throttles and dead-letter errors are totals and stay as they are: over the longer window they are only
 * stricter.
 */
export function evidenceSince(ev: FunctionEvidence, fromMs: number): FunctionEvidence {
    const cut = (v: FunctionEvidence["candidate"]) => {
        const keep = v.minutes.map((t) => t >= fromMs);
        const pick = <T>(xs: T[] | undefined) => (xs ?? []).filter((_, i) => keep[i]);
        const invocationsByMinute = pick(v.invocationsByMinute);
        const errorsByMinute = pick(v.errorsByMinute);
        return {
            invocations: invocationsByMinute.reduce((a, b) => a + b, 0),
            errors: errorsByMinute.reduce((a, b) => a + b, 0),
            p99ByMinute: v.p99ByMinute.length === v.minutes.length ? pick(v.p99ByMinute) : v.p99ByMinute,
            minutes: pick(v.minutes),
            invocationsByMinute,
            errorsByMinute,
        };
    };
    return { ...ev, candidate: cut(ev.candidate), stable: cut(ev.stable) };
}

/** The share of the false-rollback budget for one step's bounds: the candidate's and stable's (each a probability). */
export function stepAlphas(gates: GatePolicy, gatedSteps: number, absoluteOnly: boolean): { candidate: number; stable: number } {
    const step = (gates.falseRollbackPercent ?? 1) / 100 / Math.max(1, gatedSteps);
    return absoluteOnly ? { candidate: step, stable: 0 } : { candidate: step / 2, stable: step / 2 };
}

const rate = (errors: number, n: number) => (n === 0 ? 0 : (100 * errors) / n);
const fmt = (n: number) => (Math.round(n * 100) / 100).toString();
const fmtAlpha = (p: number) => `${Number((p * 100).toPrecision(2))}%`;

/** Assesses one function: the first decisive failure, else where the bake stands. */
export function assessFunction(name: string, ev: FunctionEvidence, alarms: string[], input: GateInput): { verdict: Verdict; reason: string; numbers: GateNumbers } {
    const { gates } = input;
    const cumulative = input.rolloutEvidence?.[name];
    // The error tests read the whole rollout's evidence when there is some, else this step's.
    const c = cumulative?.candidate ?? ev.candidate;
    const s = cumulative?.stable ?? ev.stable;
    const recentP99 = ev.candidate.p99ByMinute.slice(-5);
    const compare = cumulative ? s.invocations > 0 : !input.absoluteOnly && s.invocations > 0;
    const alpha = cumulative ? stepAlphas(gates, 1, !compare) : stepAlphas(gates, input.gatedSteps ?? 1, input.absoluteOnly);
    const lowerC = lowerConfidenceBound(c.errors, c.invocations, alpha.candidate);
    const upperS = compare ? upperConfidenceBound(s.errors, s.invocations, alpha.stable) : undefined;
    const numbers: GateNumbers = {
        candidateInvocations: c.invocations,
        candidateErrors: c.errors,
        candidateErrorRatePercent: round2(rate(c.errors, c.invocations)),
        stableInvocations: s.invocations,
        stableErrors: s.errors,
        stableErrorRatePercent: round2(rate(s.errors, s.invocations)),
        candidateErrorRateLowerPercent: round3(lowerC * 100),
        stableErrorRateUpperPercent: upperS === undefined ? undefined : round3(upperS * 100),
        candidateAlphaPercent: Number((alpha.candidate * 100).toPrecision(3)),
        candidateP99Ms: recentP99.length ? Math.max(...recentP99) : undefined,
        throttles: ev.aliasThrottles,
        deadLetterErrors: ev.deadLetterErrors,
    };
    const counts =
        `${cumulative ? "since the rollout began: " : ""}candidate ${c.errors}/${c.invocations} errors (${fmt(numbers.candidateErrorRatePercent)}%), stable ${s.errors}/${s.invocations} (${fmt(numbers.stableErrorRatePercent)}%)` +
        (cumulative ? `; this step: candidate ${ev.candidate.errors}/${ev.candidate.invocations}` : "");
    const fail = (why: string) => ({ verdict: "failed" as const, reason: `${name}: ${why}`, numbers });

    if (alarms.length > 0) {
        return fail(`alarm ${alarms.join(", ")} in ALARM; ${counts}`);
    }
    if (ev.aliasThrottles > gates.maxThrottles) {
        return fail(`${ev.aliasThrottles} throttles through the alias > ${gates.maxThrottles} allowed`);
    }
    if (ev.deadLetterErrors > 0) {
        return fail(`${ev.deadLetterErrors} dead-letter delivery errors`);
    }
    if (c.errors >= MIN_ERRORS_TO_FAIL) {
        if (lowerC * 100 > gates.maxErrorRatePercent) {
            return fail(
                `error rate above ${gates.maxErrorRatePercent}% (sequential test, always-valid lower bound ${fmt(lowerC * 100)}% at false-rollback risk ${fmtAlpha(alpha.candidate)}): ${counts}`,
            );
        }
        if (upperS !== undefined && (lowerC - upperS) * 100 > gates.maxErrorRateIncreasePercent) {
            return fail(
                `error rate ${fmt((lowerC - upperS) * 100)} points or more above stable's (limit ${gates.maxErrorRateIncreasePercent}; sequential test, ` +
                    `candidate lower bound ${fmt(lowerC * 100)}%, stable upper bound ${fmt(upperS * 100)}%, false-rollback risk ${fmtAlpha(alpha.candidate + alpha.stable)}): ${counts}`,
            );
        }
    }
    const breaches = recentP99.filter((p) => p > gates.maxP99Ms);
    if (breaches.length >= LATENCY_BREACHES) {
        return fail(`p99 ${Math.round(Math.max(...breaches))} ms > ${gates.maxP99Ms} ms in ${breaches.length} of the last ${recentP99.length} minutes`);
    }
    return { ...timing(name, ev.candidate.invocations, input, counts), numbers };
}

/** Where the bake stands when nothing failed. */
function timing(name: string, invocations: number, input: GateInput, counts: string): { verdict: Verdict; reason: string } {
    const { gates, elapsedSeconds, bakeSeconds } = input;
    if (elapsedSeconds < bakeSeconds) {
        return { verdict: "baking", reason: `${name}: healthy so far: ${counts}` };
    }
    if (invocations >= gates.minInvocations) {
        return { verdict: "passed", reason: `${name}: ${counts}; >= ${gates.minInvocations} candidate invocations, within limits` };
    }
    const short = `${invocations} of ${gates.minInvocations} candidate invocations needed`;
    if (elapsedSeconds < bakeSeconds + gates.maxExtension) {
        return { verdict: "extended", reason: `${name}: ${short}; bake extended` };
    }
    return { verdict: "inconclusive", reason: `${name}: ${short} after the bake and ${Math.round(gates.maxExtension / 60)} min of extension` };
}

/** Assesses a step across the stack's functions. */
export function assessStep(input: GateInput, functionNames: string[]): GateResult {
    if (!input.evidence) {
        const { verdict, reason } = timing("all functions", 0, input, "no evidence this poll (CloudWatch unavailable)");
        // Without evidence a step can keep baking or wait, never pass.
        const safe: Verdict = verdict === "passed" ? "extended" : verdict;
        return { verdict: safe, reason: verdict === "baking" ? "CloudWatch unavailable: no evidence this poll" : reason, numbers: {} };
    }
    const results = functionNames.map((name) =>
        assessFunction(name, input.evidence![name], input.alarmsInAlarm?.[name] ?? [], input),
    );
    const worst = results.reduce((a, b) => (SEVERITY.indexOf(b.verdict) < SEVERITY.indexOf(a.verdict) ? b : a));
    const reason = worst.verdict === "passed" ? results.map((r) => r.reason).join("; ") : worst.reason;
    return {
        verdict: worst.verdict,
        reason,
        numbers: Object.fromEntries(functionNames.map((n, i) => [n, results[i].numbers])),
    };
}

function round2(n: number): number {
    return Math.round(n * 100) / 100;
}

function round3(n: number): number {
    return Math.round(n * 1000) / 1000;
}
