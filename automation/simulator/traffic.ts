import type { SketchedValues } from "./metricStore";
import { lognormalParameters, type VersionProfile } from "./profiles";
import type { Random } from "./random";
import { QuantileSketch } from "./statistics";

/** What a batch of requests to one version did: counts for the users' report, durations for the metrics. */
export interface RequestOutcome {
    readonly requests: number;
    /** Requests refused before invocation (a failed request for the user, not an invocation). */
    readonly throttles: number;
    readonly invocations: number;
    /** Function errors, timeouts included. */
    readonly errors: number;
    readonly timeouts: number;
    /**
     * The durations (ms) of the invocations that did not time out, one drawn per invocation and kept as a
     * sketch: memory does not grow with the number of requests. None is above `timeoutMs`.
     */
    readonly durations: SketchedValues;
    /** How long each timeout lasted (the function's timeout, ms): `timeouts` invocations of exactly this. */
    readonly timeoutMs: number;
}

/**
 * Simulates `requests` requests to one version under one profile. Counts are drawn with binomials, which
 * has exactly the per-request semantics in distribution (each request: throttled when it is among the
 * `throttledByConcurrency` refused for the function's concurrency limit, else with throttleRate; else an error
 * with errorRate; else a timeout with timeoutRate) at a cost independent of the request rate; only the
 * durations are drawn one by one (into a sketch), since percentiles need them. A duration drawn past
 * `timeoutMs` (when > 0) is a timeout.
 */
export function simulateRequests(
    random: Random,
    profile: VersionProfile,
    requests: number,
    timeoutMs: number,
    throttledByConcurrency = 0,
): RequestOutcome {
    const throttles = throttledByConcurrency + random.binomial(requests - throttledByConcurrency, profile.throttleRate ?? 0);
    const invocations = requests - throttles;
    const functionErrors = random.binomial(invocations, profile.errorRate);
    let timeouts = random.binomial(invocations - functionErrors, profile.timeoutRate ?? 0);
    let errors = functionErrors + timeouts;
    const { mu, sigma } = lognormalParameters(profile);
    const drawn = invocations - timeouts;
    const sketch = new QuantileSketch();
    let count = 0;
    let sum = 0;
    let min = Infinity;
    let max = -Infinity;
    for (let i = 0; i < drawn; i++) {
        const duration = random.lognormal(mu, sigma);
        // Lambda stops a call at the function's timeout: its Duration is the timeout and it is an error
        // ("Lambda function metrics": Duration's maximum is the timeout; Errors counts timeouts). The draws are
        // exchangeable, so the first `functionErrors` stand for the calls that failed anyway (one error, not two).
        if (timeoutMs > 0 && duration > timeoutMs) {
            timeouts += 1;
            if (i >= functionErrors) errors += 1;
            continue;
        }
        sketch.add(duration);
        count += 1;
        sum += duration;
        if (duration < min) min = duration;
        if (duration > max) max = duration;
    }
    return {
        requests,
        throttles,
        invocations,
        errors,
        timeouts,
        durations: { count, sum, min, max, sketch },
        timeoutMs,
    };
}

/** How many of `requests` go to the additional version of an alias with weight `weight`. */
export function requestsToAdditional(random: Random, requests: number, weight: number): number {
    return random.binomial(requests, weight);
}

/** Number of requests arriving in `durationMs` at `requestsPerMinute` (a Poisson process). */
export function arrivals(random: Random, requestsPerMinute: number, durationMs: number): number {
    return random.poisson((requestsPerMinute * durationMs) / 60_000);
}
