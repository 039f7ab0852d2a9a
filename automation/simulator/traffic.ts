import { lognormalParameters, type VersionProfile } from './profiles.js';
import type { Random } from './random.js';

/** What a batch of requests to one version did: counts for the users' report, durations for the metrics. */
export interface RequestOutcome {
  readonly requests: number;
  /** Requests refused before invocation (a failed request for the user, not an invocation). */
  readonly throttles: number;
  readonly invocations: number;
  /** Function errors, timeouts included. */
  readonly errors: number;
  readonly timeouts: number;
  /** One duration (ms) per invocation. */
  readonly durations: Float64Array;
  readonly durationSummary: { readonly sum: number; readonly min: number; readonly max: number };
}

/**
 * Simulates `requests` requests to one version under one profile. Counts are drawn with binomials, which
 * has exactly the per-request semantics in distribution (each request: throttled with throttleRate; else
 * an error with errorRate; else a timeout with timeoutRate) at a cost independent of the request rate;
 * only the durations are drawn one by one, since percentiles need them.
 */
export function simulateRequests(random: Random, profile: VersionProfile, requests: number, timeoutMs: number): RequestOutcome {
  const throttles = random.binomial(requests, profile.throttleRate ?? 0);
  const invocations = requests - throttles;
  const functionErrors = random.binomial(invocations, profile.errorRate);
  const timeouts = random.binomial(invocations - functionErrors, profile.timeoutRate ?? 0);
  const durations = new Float64Array(invocations);
  const { mu, sigma } = lognormalParameters(profile);
  const drawn = invocations - timeouts;
  let sum = 0;
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < invocations; i++) {
    const duration = i < drawn ? random.lognormal(mu, sigma) : timeoutMs;
    durations[i] = duration;
    sum += duration;
    if (duration < min) min = duration;
    if (duration > max) max = duration;
  }
  return { requests, throttles, invocations, errors: functionErrors + timeouts, timeouts, durations, durationSummary: { sum, min, max } };
}

/** How many of `requests` go to the additional version of an alias with weight `weight`. */
export function requestsToAdditional(random: Random, requests: number, weight: number): number {
  return random.binomial(requests, weight);
}

/** Number of requests arriving in `durationMs` at `requestsPerMinute` (a Poisson process). */
export function arrivals(random: Random, requestsPerMinute: number, durationMs: number): number {
  return random.poisson((requestsPerMinute * durationMs) / 60_000);
}
