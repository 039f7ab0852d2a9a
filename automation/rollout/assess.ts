/**
 * The health gate: a pure function of the policy, the time into the step and the evidence, returning a verdict
 * with its reason and the numbers behind it. Each function is assessed on its own; the worst verdict wins,
 * so functions of one stack move and roll back together.
 *
 * The error tests read the whole rollout's evidence (a version's error rate does not depend on its share of
 * traffic) and split the false-rollback budget (`gates.falseRollbackPercent`) three ways (a union bound):
 * - absolute limit, a quarter: the candidate's always-valid lower bound above `maxErrorRatePercent`;
 * - candidate against stable in the same minutes, a quarter: a conditional mixture SPRT, read every poll;
 * - candidate against stable at the end of each step, half: the exact conditional test of pooled counts,
 *   stable's history before the rollout (`gates.baseline`) included, one look per step; a later look has
 *   more evidence and gets a larger share.
 * A comparison with stable fails only when the observed increase is also at least half of
 * `maxErrorRateIncreasePercent` (nearer the rate the gate must catch than no increase at all). A step passes
 * only after its bake with enough candidate invocations. No data is never a pass. See docs/gates.md.
 */
import type { GatePolicy } from "../../config/stackConfig";
import type { FunctionEvidence, VersionEvidence } from "./ports";
import {
    excessErrorsPValue,
    logConditionalMixtureRatio,
    lowerConfidenceBound,
    ODDS_RATIOS,
    boundary,
    type MinuteCounts,
} from "./sequential";

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
    /** Stable's invocations and errors in the history before the rollout (`gates.baseline`). */
    readonly baselineInvocations: number;
    readonly baselineErrors: number;
    /** Always-valid lower bound of the candidate's error rate, percent (the absolute-limit test). */
    readonly candidateErrorRateLowerPercent: number;
    /** ln of the likelihood ratio of the same-minute comparison with stable (rejects at ln(1/alpha)). */
    readonly sameMinuteLogRatio?: number;
    /** The end-of-step look's p-value, when this poll was the look. */
    readonly lookPValue?: number;
    readonly candidateP99Ms?: number;
    readonly throttles: number;
    readonly deadLetterErrors: number;
}

/**
 * Why a verdict is what it is, as data (the prose reason is made from it for people; nothing downstream reads
 * the prose). The gate's failures name their test; `no-data` is a step short of evidence; `healthy` passed.
 */
export type GateCause =
    | "alarm"
    | "throttles"
    | "dead-letter"
    | "absolute-limit"
    | "same-minute"
    | "end-of-step-look"
    | "latency"
    | "severity"
    | "no-data"
    | "healthy";

/**
 * The runbook's severity bands (under 1% monitor; 1-5% roll back; over 5% or a total failure roll back at once
 * and open an incident), read on the candidate's always-valid lower bound of its error rate, never on the raw
 * rate: 1 error in 3 requests is a raw 33% but a bound near 0, so it is `monitor`, not an incident.
 */
export type SeverityBand = "monitor" | "rollback" | "incident";

/** The default bands (the runbook's): `gates.severity` in the stack's config overrides them. */
export const DEFAULT_SEVERITY = { rollbackAtPercent: 1, incidentAtPercent: 5 } as const;

/** The band of one function's numbers (pure). A total failure (every call failed, at least 3) is an incident whatever the bound. */
export function severityBand(
    n: GateNumbers,
    bands: { rollbackAtPercent: number; incidentAtPercent: number } = DEFAULT_SEVERITY,
): SeverityBand {
    const totalFailure = n.candidateInvocations >= MIN_ERRORS_TO_FAIL && n.candidateErrors === n.candidateInvocations;
    if (totalFailure || n.candidateErrorRateLowerPercent > bands.incidentAtPercent) return "incident";
    if (n.candidateErrorRateLowerPercent >= bands.rollbackAtPercent) return "rollback";
    return "monitor";
}

/**
 * A verdict that did not fail but is marginal (pure): the candidate's errors are certain to be there (its
 * always-valid lower bound is above 0) and its rate is above stable's. Such a verdict carries its band.
 */
export function isMarginal(n: GateNumbers): boolean {
    return n.candidateErrorRateLowerPercent > 0 && n.candidateErrorRatePercent > n.stableErrorRatePercent;
}

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
}

/** Everything a gate decision depends on. */
export interface GateInput {
    readonly gates: GatePolicy;
    readonly bakeSeconds: number;
    readonly elapsedSeconds: number;
    /** The candidate's share of traffic in this step (0-1]: a step needs `minInvocations` x weight. Default 1. */
    readonly weight?: number;
    /** This step's evidence per function; undefined when CloudWatch could not be read on this poll. */
    readonly evidence?: Record<string, FunctionEvidence>;
    /**
     * Evidence since the rollout's first step, per function: the error tests run on it (on `evidence` when
     * absent). `evidence` still decides minInvocations, p99, throttles and dead-letter errors.
     */
    readonly rolloutEvidence?: Record<string, FunctionEvidence>;
    /** Stable's history before the rollout, per function; absent when none could be read. */
    readonly baseline?: Record<string, Baseline>;
    /**
     * This step's share of the budget for its end-of-step look (a probability), from {@link lookAlphas}.
     * Without it the step has no look (only the every-poll tests run).
     */
    readonly lookAlpha?: number;
    /** Alarms in ALARM per function (names), when the alarm states could be read. */
    readonly alarmsInAlarm?: Record<string, string[]>;
    /**
     * Per function, why its evidence could not be read whole this poll (a metric series missing or failed,
     * the alarm states unreadable): that function then has no evidence, never zero errors or a quiet alarm.
     */
    readonly unreadable?: Record<string, string>;
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

/** The false-rollback budget's split between the error tests (probabilities; they add up to the budget). */
export function gateAlphas(gates: GatePolicy): { absolute: number; sameMinute: number; looks: number } {
    const budget = (gates.falseRollbackPercent ?? 1) / 100;
    return { absolute: budget / 4, sameMinute: budget / 4, looks: budget / 2 };
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

/** The candidate invocations a step at `weight` needs before it may pass. */
export function requiredInvocations(gates: GatePolicy, weight: number): number {
    return Math.max(1, Math.ceil(gates.minInvocations * Math.min(1, Math.max(0, weight)) - 1e-9));
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

/**
 * The alternatives of the same-minute test (rate ratios over stable): the mixture's grid, plus the ratio the
 * gate must catch (stable's historical rate plus `maxErrorRateIncreasePercent`) when the history has errors.
 */
export function sameMinuteRatios(gates: GatePolicy, baseline?: Baseline): number[] {
    const base = baseline && baseline.invocations > 0 && baseline.errors > 0 ? baseline.errors / baseline.invocations : undefined;
    const mustCatch = base !== undefined ? (base + gates.maxErrorRateIncreasePercent / 100) / base : undefined;
    return mustCatch !== undefined && mustCatch > 1 && !ODDS_RATIOS.includes(mustCatch) ? [...ODDS_RATIOS, mustCatch] : [...ODDS_RATIOS];
}

const rate = (errors: number, n: number) => (n === 0 ? 0 : (100 * errors) / n);
const fmt = (n: number) => (Math.round(n * 100) / 100).toString();
const fmtAlpha = (p: number) => `${Number((p * 100).toPrecision(2))}%`;
const fmtP = (p: number) => (p < 1e-4 ? p.toExponential(1) : Number(p.toPrecision(2)).toString());

/** What one poll measured of one function: the evidence the tests read, the numbers, the counts in words. */
interface Measured {
    readonly c: VersionEvidence;
    readonly lowerC: number;
    readonly logRatio?: number;
    readonly stableN: number;
    readonly stableE: number;
    readonly increasePoints: number;
    /** The observed increase is at least half of `maxErrorRateIncreasePercent`: a comparison may fail. */
    readonly largeEnough: boolean;
    readonly recentP99: number[];
    readonly numbers: GateNumbers;
    readonly counts: string;
}

/** Measures one function's evidence (pure): the statistics every test of {@link assessFunction} reads. */
function measure(name: string, ev: FunctionEvidence, input: GateInput): Measured {
    const { gates } = input;
    const cumulative = input.rolloutEvidence?.[name];
    const c = cumulative?.candidate ?? ev.candidate;
    const s = cumulative?.stable ?? ev.stable;
    const base = input.baseline?.[name] ?? { invocations: 0, errors: 0 };
    const recentP99 = ev.candidate.p99ByMinute.slice(-5);
    const lowerC = lowerConfidenceBound(c.errors, c.invocations, gateAlphas(gates).absolute);
    const sameMinute = minuteCounts(c, s);
    const logRatio = sameMinute.length > 0 ? logConditionalMixtureRatio(sameMinute, sameMinuteRatios(gates, base)) : undefined;
    // Stable's rate from everything known of it: the rollout's minutes and the history before them.
    const stableN = s.invocations + base.invocations;
    const stableE = s.errors + base.errors;
    const increasePoints = stableN > 0 && c.invocations > 0 ? rate(c.errors, c.invocations) - rate(stableE, stableN) : 0;
    const numbers: GateNumbers = {
        candidateInvocations: c.invocations,
        candidateErrors: c.errors,
        candidateErrorRatePercent: round2(rate(c.errors, c.invocations)),
        stableInvocations: s.invocations,
        stableErrors: s.errors,
        stableErrorRatePercent: round2(rate(s.errors, s.invocations)),
        baselineInvocations: base.invocations,
        baselineErrors: base.errors,
        candidateErrorRateLowerPercent: round3(lowerC * 100),
        sameMinuteLogRatio: logRatio === undefined ? undefined : round2(logRatio),
        candidateP99Ms: recentP99.length ? Math.max(...recentP99) : undefined,
        throttles: ev.aliasThrottles,
        deadLetterErrors: ev.deadLetterErrors,
    };
    const history =
        base.invocations > 0
            ? `, stable before the rollout ${base.errors}/${base.invocations} (${fmt(rate(base.errors, base.invocations))}%)`
            : "";
    const counts =
        `${cumulative ? "since the rollout began: " : ""}candidate ${c.errors}/${c.invocations} errors (${fmt(numbers.candidateErrorRatePercent)}%), stable ${s.errors}/${s.invocations} (${fmt(numbers.stableErrorRatePercent)}%)${history}` +
        (cumulative ? `; this step: candidate ${ev.candidate.errors}/${ev.candidate.invocations}` : "");
    const largeEnough = stableN > 0 && increasePoints >= gates.maxErrorRateIncreasePercent / 2;
    return { c, lowerC, logRatio, stableN, stableE, increasePoints, largeEnough, recentP99, numbers, counts };
}

/** Assesses one function: the first decisive failure, else where the bake stands. */
export function assessFunction(
    name: string,
    ev: FunctionEvidence,
    alarms: string[],
    input: GateInput,
): { verdict: Verdict; reason: string; cause: GateCause; numbers: GateNumbers } {
    const { gates } = input;
    const m = measure(name, ev, input);
    const fail = (cause: GateCause, why: string, extra: Partial<GateNumbers> = {}) => ({
        verdict: "failed" as const,
        cause,
        reason: `${name}: ${why}`,
        numbers: { ...m.numbers, ...extra },
    });
    if (alarms.length > 0) return fail("alarm", `alarm ${alarms.join(", ")} in ALARM; ${m.counts}`);
    const throttles = throttleCheck(gates, input.rolloutEvidence?.[name] ?? ev, input.baseline?.[name]);
    if (throttles.exceeded) return fail("throttles", throttles.reason);
    if (ev.deadLetterErrors > 0) return fail("dead-letter", `${ev.deadLetterErrors} dead-letter delivery errors`);
    const errors = errorTests(m, gates);
    if (errors) return fail(errors.cause, `${errors.why}: ${m.counts}`);
    const breaches = m.recentP99.filter((p) => p > gates.maxP99Ms);
    if (breaches.length >= LATENCY_BREACHES) {
        return fail(
            "latency",
            `p99 ${Math.round(Math.max(...breaches))} ms > ${gates.maxP99Ms} ms in ${breaches.length} of the last ${m.recentP99.length} minutes`,
        );
    }
    const where = timing(name, ev.candidate.invocations, input, m.counts);
    if (where.verdict === "passed" && input.lookAlpha !== undefined && m.c.errors >= MIN_ERRORS_TO_FAIL && m.stableN > 0) {
        // The end-of-step look: once per step, when it would pass.
        const p = excessErrorsPValue(m.c.errors, m.c.invocations, m.stableE, m.stableN);
        if (p <= input.lookAlpha && m.largeEnough) {
            return fail(
                "end-of-step-look",
                `error rate above stable's (end-of-step test of pooled counts: p = ${fmtP(p)} <= ${fmtAlpha(input.lookAlpha)}; ` +
                    `increase ${fmt(m.increasePoints)} points >= half the ${gates.maxErrorRateIncreasePercent}-point limit): ${m.counts}`,
                { lookPValue: p },
            );
        }
        return { ...where, cause: causeOfTiming(where.verdict), numbers: { ...m.numbers, lookPValue: p } };
    }
    return { ...where, cause: causeOfTiming(where.verdict), numbers: m.numbers };
}

/** The error tests read every poll: the absolute limit, then the same-minute comparison with stable. */
function errorTests(m: Measured, gates: GatePolicy): { cause: GateCause; why: string } | undefined {
    if (m.c.errors < MIN_ERRORS_TO_FAIL) return undefined;
    const alpha = gateAlphas(gates);
    if (m.lowerC * 100 > gates.maxErrorRatePercent) {
        return {
            cause: "absolute-limit",
            why: `error rate above ${gates.maxErrorRatePercent}% (sequential test, always-valid lower bound ${fmt(m.lowerC * 100)}% at false-rollback risk ${fmtAlpha(alpha.absolute)})`,
        };
    }
    if (m.logRatio !== undefined && m.largeEnough && m.logRatio >= boundary(alpha.sameMinute)) {
        return {
            cause: "same-minute",
            why:
                `error rate above stable's in the same minutes (sequential test: likelihood ratio e^${fmt(m.logRatio)} >= 1/${fmtAlpha(alpha.sameMinute)}; ` +
                `increase ${fmt(m.increasePoints)} points >= half the ${gates.maxErrorRateIncreasePercent}-point limit)`,
        };
    }
    return undefined;
}

/** The cause of a verdict that no test failed: still short of evidence, or healthy. */
function causeOfTiming(verdict: Verdict): GateCause {
    return verdict === "extended" || verdict === "inconclusive" ? "no-data" : "healthy";
}

/**
 * Whether the alias's throttles since the rollout began are more than the rollout explains away. Why this rule:
 * - Lambda publishes Throttles per function and per alias (`Resource`), never per executed version: a throttled
 *   request runs no version. And a function's reserved concurrency is shared by all its versions, so a function
 *   at its limit throttles stable's requests and the candidate's alike ("Understanding Lambda function scaling",
 *   https://docs.aws.amazon.com/lambda/latest/dg/lambda-concurrency.html). Throttles cannot be blamed on the
 *   candidate by whose requests they hit.
 * - The evidence that separates "the function was already at its limit" from "the candidate pushed it over" is
 *   the alias's throttle rate (throttles per request) during the rollout against the same alias's rate in the
 *   baseline window before it, when all traffic was stable's: a candidate that needs more concurrency raises
 *   the rate; an identical one leaves it where it was.
 * - Throttling comes in bursts (every request of a second over the limit is at risk at once), so the count
 *   varies far more than a Poisson count of the same mean: a function throttling 6% of its requests was seen
 *   throttling 7% over a 10% step with an identical candidate. So the rate may rise by up to
 *   {@link THROTTLE_RATE_TOLERANCE} (half again) before the rise is the candidate's, on top of an upper Poisson
 *   quantile for chance. A candidate that pushes a function from under its limit to over it meets a rate before
 *   of 0, and any throttle beyond `maxThrottles` fails it.
 * Allowed: `maxThrottles` + the upper quantile of the throttles the rate before predicts, times 1 + the
 * tolerance, for the requests since the rollout began. Without a baseline: `maxThrottles`.
 */
export function throttleCheck(
    gates: GatePolicy,
    ev: FunctionEvidence,
    baseline?: Baseline,
): { exceeded: boolean; allowed: number; expected: number; reason: string } {
    const requests = ev.candidate.invocations + ev.stable.invocations + ev.aliasThrottles;
    const rateBefore = baseline?.requests ? (baseline.throttles ?? 0) / baseline.requests : 0;
    const expected = rateBefore * requests;
    const tolerated = expected * (1 + THROTTLE_RATE_TOLERANCE);
    const allowed = gates.maxThrottles + (tolerated > 0 ? poissonUpperQuantile(tolerated, THROTTLE_QUANTILE) : 0);
    const history = baseline?.requests
        ? `; the alias's rate before the rollout ${baseline.throttles ?? 0}/${baseline.requests} predicts ${fmt(expected)}, ` +
          `tolerated up to ${fmt(tolerated)} (x${1 + THROTTLE_RATE_TOLERANCE}: throttles come in bursts)`
        : "";
    return {
        exceeded: ev.aliasThrottles > allowed,
        allowed,
        expected,
        reason: `${ev.aliasThrottles} throttles through the alias > ${allowed} allowed (${gates.maxThrottles} beyond what the function's own throttling before the rollout explains${history})`,
    };
}

/**
 * How much the alias's throttle rate may rise during the rollout before the rise is blamed on the candidate:
 * by half (see {@link throttleCheck}). A candidate slow enough to matter at a function's limit raises it by
 * more than that at the latest by its 50% step (6% -> 13% for a candidate 20% slower on a function asking
 * for 5% more than its limit).
 */
export const THROTTLE_RATE_TOLERANCE = 0.5;

/** The quantile of the throttle check's allowance: a healthy candidate exceeds it with chance 1e-4 per poll. */
const THROTTLE_QUANTILE = 1 - 1e-4;

/** The smallest k with P(X <= k) >= q for X ~ Poisson(mean). */
export function poissonUpperQuantile(mean: number, q: number): number {
    let k = 0;
    let term = Math.exp(-mean);
    let cdf = term;
    if (term === 0) {
        // Large means: the normal approximation, continuity-corrected (z = 3.72 at 1 - 1e-4).
        return Math.ceil(mean + 3.72 * Math.sqrt(mean) + 0.5);
    }
    while (cdf < q) {
        k += 1;
        term *= mean / k;
        cdf += term;
    }
    return k;
}

/** Where the bake stands when nothing failed. */
function timing(name: string, invocations: number, input: GateInput, counts: string): { verdict: Verdict; reason: string } {
    const { gates, elapsedSeconds, bakeSeconds } = input;
    const needed = requiredInvocations(gates, input.weight ?? 1);
    if (elapsedSeconds < bakeSeconds) {
        return { verdict: "baking", reason: `${name}: healthy so far: ${counts}` };
    }
    if (invocations >= needed) {
        return { verdict: "passed", reason: `${name}: ${counts}; >= ${needed} candidate invocations this step, within limits` };
    }
    const short = `${invocations} of ${needed} candidate invocations needed this step`;
    if (elapsedSeconds < bakeSeconds + gates.maxExtension) {
        return { verdict: "extended", reason: `${name}: ${short}; bake extended` };
    }
    return {
        verdict: "inconclusive",
        reason: `${name}: ${short} after the bake and ${Math.round(gates.maxExtension / 60)} min of extension`,
    };
}

/** The input with the false-rollback budget (and this step's look) split evenly between `n` functions. */
export function perFunction(input: GateInput, n: number): GateInput {
    return {
        ...input,
        gates: { ...input.gates, falseRollbackPercent: (input.gates.falseRollbackPercent ?? 1) / n },
        lookAlpha: input.lookAlpha === undefined ? undefined : input.lookAlpha / n,
    };
}

/** Assesses a step across the stack's functions. */
export function assessStep(input: GateInput, functionNames: string[]): GateResult {
    // The budget is the rollout's: the functions roll back together, so each function's tests get an even share.
    const share = functionNames.length > 1 ? perFunction(input, functionNames.length) : input;
    const results = functionNames.map((name) => {
        const missing = !input.evidence ? "CloudWatch unavailable" : input.unreadable?.[name];
        return missing !== undefined
            ? withoutEvidence(name, missing, input.alarmsInAlarm?.[name] ?? [], input)
            : assessFunction(name, input.evidence![name], input.alarmsInAlarm?.[name] ?? [], share);
    });
    const worst = results.reduce((a, b) => (SEVERITY.indexOf(b.verdict) < SEVERITY.indexOf(a.verdict) ? b : a));
    const reason = worst.verdict === "passed" ? results.map((r) => r.reason).join("; ") : worst.reason;
    const gated: GateResult = {
        verdict: worst.verdict,
        reason,
        cause: worst.cause,
        function: functionNames[results.indexOf(worst)],
        numbers: Object.fromEntries(functionNames.flatMap((n, i) => (results[i].numbers ? [[n, results[i].numbers!]] : []))),
    };
    return withSeverity(gated, input.gates.severity ?? DEFAULT_SEVERITY);
}

const BAND_ORDER: SeverityBand[] = ["monitor", "rollback", "incident"];

/**
 * The result with its band (pure). A failed verdict carries the deciding function's band (a band never turns a
 * failure into a pass). A verdict that has not failed but is marginal carries the worst marginal function's
 * band, and in the `rollback` or `incident` band it fails, as the runbook says: the bound shows the candidate
 * failing at least that share of its calls.
 */
export function withSeverity(result: GateResult, bands: { rollbackAtPercent: number; incidentAtPercent: number }): GateResult {
    if (result.verdict === "failed") {
        const n = result.function ? result.numbers[result.function] : undefined;
        return n ? { ...result, severity: severityBand(n, bands) } : result;
    }
    const marginal = Object.entries(result.numbers)
        .filter(([, n]) => isMarginal(n))
        .map(([fn, n]) => ({ fn, n, band: severityBand(n, bands) }))
        .sort((a, b) => BAND_ORDER.indexOf(b.band) - BAND_ORDER.indexOf(a.band));
    if (marginal.length === 0) return result;
    const top = marginal[0];
    if (top.band === "monitor") return { ...result, severity: "monitor" };
    const from = top.band === "incident" ? `above ${bands.incidentAtPercent}%` : `${bands.rollbackAtPercent}% or more`;
    return {
        ...result,
        verdict: "failed",
        cause: "severity",
        function: top.fn,
        severity: top.band,
        reason:
            `${top.fn}: candidate error rate ${top.n.candidateErrorRatePercent}% (${top.n.candidateErrors}/${top.n.candidateInvocations}), ` +
            `at least ${top.n.candidateErrorRateLowerPercent}% on its always-valid bound: ${top.band} band (${from}), above stable's ${top.n.stableErrorRatePercent}%`,
    };
}

/**
 * A function whose evidence could not be read this poll: it may keep baking or wait, never pass (no data is
 * never a pass); an alarm that could be read and is in ALARM still fails it.
 */
function withoutEvidence(
    name: string,
    why: string,
    alarms: string[],
    input: GateInput,
): { verdict: Verdict; reason: string; cause: GateCause; numbers?: GateNumbers } {
    if (alarms.length > 0)
        return { verdict: "failed", cause: "alarm", reason: `${name}: alarm ${alarms.join(", ")} in ALARM (no metrics this poll: ${why})` };
    const { verdict, reason } = timing(name, 0, input, `no evidence this poll (${why})`);
    if (verdict === "baking") return { verdict, cause: "no-data", reason: `${name}: no evidence this poll (${why})` };
    return { verdict: verdict === "passed" ? "extended" : verdict, cause: "no-data", reason: `${reason}; no evidence this poll (${why})` };
}

function round2(n: number): number {
    return Math.round(n * 100) / 100;
}

function round3(n: number): number {
    return Math.round(n * 1000) / 1000;
}
