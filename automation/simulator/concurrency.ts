/**
 * Lambda's concurrency, as the Lambda Developer Guide describes it, reduced to what a rehearsal needs:
 * - "Understanding Lambda function scaling" (https://docs.aws.amazon.com/lambda/latest/dg/lambda-concurrency.html):
 *   concurrency is the number of requests in flight at the same time, estimated as average requests per second
 *   x average request duration in seconds (Little's law); a function with reserved concurrency never runs more
 *   than that many at once, all its versions and aliases together; the others share the account's unreserved
 *   pool (1,000 by default, minus what functions reserve); a request beyond the limit is throttled: it never
 *   runs, and a synchronous caller gets 429 TooManyRequestsException.
 * - "Configuring reserved concurrency" (https://docs.aws.amazon.com/lambda/latest/dg/configuration-concurrency.html).
 * The simulator applies the estimate second by second: each second's arrivals times each version's mean
 * duration is the concurrency the second asks for; above the limit, the excess share of the second's requests
 * is throttled, whichever version they were routed to.
 */
import { lognormalParameters, type VersionProfile } from "./profiles";

/** The default concurrency quota of an account per Region ("Lambda quotas": 1,000 concurrent executions). */
export const ACCOUNT_CONCURRENCY_LIMIT = 1000;

/**
 * The share of a second's requests that is throttled when they ask for `demand` concurrent executions and
 * `limit` are available: none at or under the limit, else the excess, so that what runs fills the limit.
 */
export function throttledShare(demand: number, limit: number): number {
    if (!(demand > limit)) return 0;
    return limit <= 0 ? 1 : 1 - limit / demand;
}

/**
 * The mean duration (ms) of an invocation of a version: the log-normal of its profile cut at the function's
 * timeout (a call drawn past it lasts the timeout), and the profile's `timeoutRate` share lasting the timeout.
 * E[min(X, T)] for X log-normal(mu, sigma): e^(mu + sigma^2/2) Phi((ln T - mu - sigma^2) / sigma) + T (1 - Phi((ln T - mu) / sigma)).
 */
export function meanDurationMs(profile: VersionProfile, timeoutMs: number): number {
    const { mu, sigma } = lognormalParameters(profile);
    const uncut = Math.exp(mu + (sigma * sigma) / 2);
    let cut: number;
    if (!(timeoutMs > 0)) cut = uncut;
    else if (sigma <= 0) cut = Math.min(Math.exp(mu), timeoutMs);
    else {
        const lnT = Math.log(timeoutMs);
        cut = uncut * normalCdf((lnT - mu - sigma * sigma) / sigma) + timeoutMs * (1 - normalCdf((lnT - mu) / sigma));
    }
    const timeoutRate = profile.timeoutRate ?? 0;
    return timeoutMs > 0 ? (1 - timeoutRate) * cut + timeoutRate * timeoutMs : cut;
}

/** Phi, the standard normal CDF (Abramowitz and Stegun 7.1.26 for erf: absolute error below 1.5e-7). */
export function normalCdf(z: number): number {
    const x = Math.abs(z) / Math.SQRT2;
    const t = 1 / (1 + 0.3275911 * x);
    const erf = 1 - ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * Math.exp(-x * x);
    return z >= 0 ? (1 + erf) / 2 : (1 - erf) / 2;
}

/**
 * The concurrency limit of each function: its reserved concurrency, or, for the functions without one, the
 * account's pool they share (the default quota minus every reservation). `pool` names what a function's
 * seconds are counted against: the function itself, or "" for the shared unreserved pool.
 */
export function concurrencyPools(reserved: ReadonlyMap<string, number | undefined>): Map<string, { pool: string; limit: number }> {
    const reservedTotal = [...reserved.values()].reduce<number>((sum, r) => sum + (r ?? 0), 0);
    const unreserved = Math.max(0, ACCOUNT_CONCURRENCY_LIMIT - reservedTotal);
    return new Map(
        [...reserved].map(([fn, r]) => [fn, r === undefined ? { pool: "", limit: unreserved } : { pool: fn, limit: r }] as const),
    );
}
