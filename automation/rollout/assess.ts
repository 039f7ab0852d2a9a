/**
 * The health gate: a pure function of the policy, the time into the step and the evidence, returning a verdict
 * with its reason and the numbers behind it. Each function is assessed on its own; the worst verdict wins,
 * so functions of one stack move and roll back together.
 *
 * The error test is statistical because the gate looks at small, noisy samples every minute: a candidate is
 * failed only when the evidence is decisive (a one-sided bound at confidence 1 - FAIL_ALPHA lies beyond the
 * limit), and passed only after the bake with enough invocations. No data is never a pass.
 */
import type { GatePolicy } from "../../config/stackConfig";
import type { FunctionEvidence } from "./ports";

/** What a poll decided. `baking`: keep watching; `extended`: bake over, evidence short, still waiting. */
export type Verdict = "passed" | "failed" | "inconclusive" | "extended" | "baking";

/** Worst first: the order in which one function's verdict overrides another's. */
const SEVERITY: Verdict[] = ["failed", "inconclusive", "extended", "baking", "passed"];

/**
 * One-sided z for the fail decision: 3.09 is alpha = 0.001 per look, so that polling every minute over a
 * step (tens of looks, strongly correlated) keeps false rollbacks rare.
 */
export const FAIL_Z = 3.09;

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
}

/** Wilson score bound for a binomial proportion; `side` -1 lower, +1 upper. */
export function wilsonBound(errors: number, n: number, z: number, side: -1 | 1): number {
    if (n === 0) return side < 0 ? 0 : 1;
    const p = errors / n;
    const z2 = z * z;
    const centre = p + z2 / (2 * n);
    const margin = z * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n));
    return Math.min(1, Math.max(0, (centre + side * margin) / (1 + z2 / n)));
}

/**
 * Agresti-Caffo lower bound of (candidate rate - stable rate): one pseudo-success and one pseudo-failure are
 * added to each group, which keeps the interval honest at zero errors.
 */
export function differenceLowerBound(eC: number, nC: number, eS: number, nS: number, z: number): number {
    const pC = (eC + 1) / (nC + 2);
    const pS = (eS + 1) / (nS + 2);
    const se = Math.sqrt((pC * (1 - pC)) / (nC + 2) + (pS * (1 - pS)) / (nS + 2));
    return pC - pS - z * se;
}

const rate = (errors: number, n: number) => (n === 0 ? 0 : (100 * errors) / n);
const fmt = (n: number) => (Math.round(n * 100) / 100).toString();

/** Assesses one function: the first decisive failure, else where the bake stands. */
export function assessFunction(name: string, ev: FunctionEvidence, alarms: string[], input: GateInput): { verdict: Verdict; reason: string; numbers: GateNumbers } {
    const { gates } = input;
    const c = ev.candidate;
    const s = ev.stable;
    const recentP99 = c.p99ByMinute.slice(-5);
    const numbers: GateNumbers = {
        candidateInvocations: c.invocations,
        candidateErrors: c.errors,
        candidateErrorRatePercent: round2(rate(c.errors, c.invocations)),
        stableInvocations: s.invocations,
        stableErrors: s.errors,
        stableErrorRatePercent: round2(rate(s.errors, s.invocations)),
        candidateP99Ms: recentP99.length ? Math.max(...recentP99) : undefined,
        throttles: ev.aliasThrottles,
        deadLetterErrors: ev.deadLetterErrors,
    };
    const counts = `candidate ${c.errors}/${c.invocations} errors (${fmt(numbers.candidateErrorRatePercent)}%), stable ${s.errors}/${s.invocations} (${fmt(numbers.stableErrorRatePercent)}%)`;
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
    const lower = wilsonBound(c.errors, c.invocations, FAIL_Z, -1);
    if (lower * 100 > gates.maxErrorRatePercent) {
        return fail(`error rate above ${gates.maxErrorRatePercent}% with 99.9% confidence (lower bound ${fmt(lower * 100)}%): ${counts}`);
    }
    if (!input.absoluteOnly && s.invocations > 0) {
        const diff = differenceLowerBound(c.errors, c.invocations, s.errors, s.invocations, FAIL_Z);
        if (diff * 100 > gates.maxErrorRateIncreasePercent) {
            return fail(`error rate ${fmt(diff * 100)} points or more above stable's (limit ${gates.maxErrorRateIncreasePercent}) with 99.9% confidence: ${counts}`);
        }
    }
    const breaches = recentP99.filter((p) => p > gates.maxP99Ms);
    if (breaches.length >= LATENCY_BREACHES) {
        return fail(`p99 ${Math.round(Math.max(...breaches))} ms > ${gates.maxP99Ms} ms in ${breaches.length} of the last ${recentP99.length} minutes`);
    }
    return { ...timing(name, c.invocations, input, counts), numbers };
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
