/**
 * The throttle rule of the gate (pure): throttles through the alias during the rollout against the alias's
 * throttle rate before it. Throttles are a function's, not a version's; see {@link throttleCheck}.
 */
import type { GatePolicy } from "../../config/stackConfig";
import type { Baseline } from "./verdict";
import type { FunctionEvidence } from "./ports";

const fmt = (n: number) => (Math.round(n * 100) / 100).toString();

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
