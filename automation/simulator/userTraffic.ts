/**
 * The simulated account's users: the rate each alias is called at, how each version behaves (its profile), the
 * functions' concurrency limits, and the traffic of a span of virtual time drawn from them, written into the
 * metric store as Lambda's metrics and counted as what users got. SimulatedAws moves the clock and owns the draws.
 */
import { ASYNC_ATTEMPTS, ASYNC_RETRY_DELAYS_MS, AsyncEventQueues } from "./asyncInvocations";
import { concurrencyPools, meanDurationMs, throttledShare } from "./concurrency";
import type { LambdaControlPlane } from "./lambdaControlPlane";
import { aliasInvocationSeries, deadLetterSeries, recordDeadLetters, recordOutcome, type InvocationSeries } from "./lambdaMetrics";
import type { MetricStore } from "./metricStore";
import {
    DEFAULT_PROFILE,
    profileAt,
    profileChangeMinutes,
    validateProfileSchedule,
    type ProfileSchedule,
    type VersionProfile,
} from "./profiles";
import type { Random } from "./random";
import { arrivals, requestsToAdditional, simulateRequests, type RequestOutcome } from "./traffic";

const MINUTE_MS = 60_000;

/** A version's share of what users got. */
export interface VersionRequestCounts {
    /** Requests routed to the version, throttled ones included. */
    requests: number;
    /** Invocations that failed (function errors and timeouts). */
    errors: number;
    /** Requests refused before invocation. */
    throttles: number;
}

/** What users of one function got during the rehearsal, every request, seen by metrics yet or not. */
export interface RequestCounts {
    total: number;
    byVersion: Record<string, VersionRequestCounts>;
}

/** Where a span's draws come from and what they are counted into: the rehearsal's, or the backfilled history's. */
export interface SpanDraws {
    readonly random: Random;
    readonly concurrencyRandom: Random;
    readonly counts: Map<string, RequestCounts>;
    readonly profileMinute: number;
}

/**
 * What the concurrency limits of one span read of the whole account, read once a span rather than once per alias
 * (which made a span's cost grow with the square of the functions): each function's pool, and each alias's mean
 * demand (requests a second x mean duration), in the traffic's order.
 */
interface AccountDemand {
    readonly pools: Map<string, { pool: string; limit: number }>;
    readonly aliases: readonly { readonly functionName: string; readonly aliasName: string; readonly demand: number }[];
}

/** The requests of one span routed to one version through one alias. */
interface Batch {
    readonly version: string;
    readonly requests: number;
}

/** The users of the account's functions, and the traffic they send through the aliases. */
export class UserTraffic {
    private readonly traffic = new Map<
        string,
        { functionName: string; aliasName: string; requestsPerMinute: number; asynchronous: boolean }
    >();
    /** The events of asynchronous traffic waiting for a retry (see asyncInvocations.ts). */
    private readonly asyncEvents = new AsyncEventQueues();
    private readonly versionProfiles = new Map<string, ProfileSchedule>();
    private readonly defaultProfiles = new Map<string, ProfileSchedule>();
    private readonly seriesCache = new Map<string, unknown>();
    /** Reserved concurrency per function (undefined: the function draws on the account's unreserved pool). */
    private readonly reservedConcurrency = new Map<string, number | undefined>();
    /** The share of requests throttled in the last second simulated, per function: what a direct Invoke meets now. */
    private readonly throttledNow = new Map<string, number>();

    constructor(
        private readonly metrics: MetricStore,
        private readonly control: LambdaControlPlane,
        /** Whether Lambda publishes ExecutedVersion for calls through an alias without weights (SimulatedAwsOptions). */
        private readonly executedVersionWithoutSplit: boolean,
    ) {}

    /** Reserved concurrency (see SimulatedAws.setReservedConcurrency). */
    setReservedConcurrency(functionName: string, reserved: number | undefined): void {
        if (reserved !== undefined && reserved !== -1 && !(Number.isInteger(reserved) && reserved >= 0))
            throw new Error(
                `setReservedConcurrency: \`reserved\` must be a whole number >= 0 (or -1 / undefined for none), got ${reserved}.`,
            );
        this.reservedConcurrency.set(functionName, reserved === -1 ? undefined : reserved);
    }

    /** The rate users call the function through the alias (see SimulatedAws.setTraffic). */
    setTraffic(functionName: string, aliasName: string, requestsPerMinute: number, options: { asynchronous?: boolean } = {}): void {
        if (!(requestsPerMinute >= 0) || !Number.isFinite(requestsPerMinute)) {
            throw new Error(`setTraffic: \`requestsPerMinute\` must be a finite number >= 0, got ${requestsPerMinute}.`);
        }
        this.traffic.set(`${functionName}\u0000${aliasName}`, {
            functionName,
            aliasName,
            requestsPerMinute,
            asynchronous: options.asynchronous ?? false,
        });
    }

    /** How one version behaves (versions without one use the function's default profile). */
    setVersionProfile(functionName: string, version: string, schedule: ProfileSchedule): void {
        validateProfileSchedule(schedule, `profile of ${functionName}:${version}`);
        this.versionProfiles.set(`${functionName}\u0000${version}`, schedule);
    }

    /** How the versions of a function without their own profile behave. */
    setDefaultProfile(functionName: string, schedule: ProfileSchedule): void {
        validateProfileSchedule(schedule, `default profile of ${functionName}`);
        this.defaultProfiles.set(functionName, schedule);
    }

    /** The share of requests throttled in the last second simulated: what a direct Invoke meets now. */
    throttledShareNow(functionName: string): number {
        return this.throttledNow.get(functionName) ?? 0;
    }

    /** Whether the function has a reserved concurrency (else it shares the account's unreserved pool). */
    isReserved(functionName: string): boolean {
        return this.reservedConcurrency.get(functionName) !== undefined;
    }

    /** How the version behaves at `minute`: its own profile, the function's default, or the account's default. */
    profileOf(functionName: string, version: string, minute: number): VersionProfile {
        const schedule = this.versionProfiles.get(`${functionName}\u0000${version}`) ?? this.defaultProfiles.get(functionName);
        return schedule === undefined ? DEFAULT_PROFILE : profileAt(schedule, minute);
    }

    /** Every instant (epoch ms, `startMs` being minute 0) a profile changes: a span never crosses one. */
    profileChangeTimes(startMs: number): number[] {
        const minutes = [...this.versionProfiles.values(), ...this.defaultProfiles.values()].flatMap(profileChangeMinutes);
        return [...new Set(minutes)].map((minute) => startMs + minute * MINUTE_MS).sort((a, b) => a - b);
    }

    /**
     * The user traffic of [fromMs, toMs) (within one minute), drawn from `random`, counted into `counts`, with
     * the versions' profiles at `profileMinute`; the concurrency limits' throttling drawn from `concurrencyRandom`.
     */
    simulateSpan(fromMs: number, toMs: number, draws: SpanDraws): void {
        const account = this.accountDemand(draws.profileMinute);
        for (const { functionName, aliasName, requestsPerMinute, asynchronous } of this.traffic.values()) {
            const routing = this.control.routing(functionName, aliasName);
            if (asynchronous && routing) {
                this.simulateAsyncSpan(functionName, aliasName, requestsPerMinute, fromMs, toMs, draws, account);
                continue;
            }
            if (!routing || requestsPerMinute === 0) continue;
            const requests = arrivals(draws.random, requestsPerMinute, toMs - fromMs);
            if (requests === 0) continue;
            const toAdditional = routing.additional ? requestsToAdditional(draws.random, requests, routing.additional.weight) : 0;
            const batches: Batch[] = [{ version: routing.primaryVersion, requests: requests - toAdditional }];
            if (routing.additional && toAdditional > 0) batches.push({ version: routing.additional.version, requests: toAdditional });
            const throttled = this.concurrencyThrottles(functionName, aliasName, batches, fromMs, toMs, draws, account);
            batches.forEach((batch, i) => this.serve(functionName, aliasName, batch.version, batch.requests, throttled[i], fromMs, draws));
        }
    }

    /**
     * The asynchronous events of [fromMs, toMs) through one alias: the new ones and the retries now due, each
     * attempt routed by the alias and limited by the function's concurrency like any invocation. A failed attempt
     * is retried after its delay; a throttled one in the next span; the last failed attempt goes to the function's
     * dead-letter queue when it has one (DeadLetterErrors when that write fails, the version profile's
     * `deadLetterFailureRate`). What users got: an event counts once, on the version of its first attempt, and
     * fails only when its last attempt does.
     */
    private simulateAsyncSpan(
        functionName: string,
        aliasName: string,
        requestsPerMinute: number,
        fromMs: number,
        toMs: number,
        draws: SpanDraws,
        account: AccountDemand,
    ): void {
        const routing = this.control.routing(functionName, aliasName)!;
        const due = this.asyncEvents.takeDue(functionName, aliasName, toMs);
        due.set(1, (due.get(1) ?? 0) + arrivals(draws.random, requestsPerMinute, toMs - fromMs));
        // Every attempt of the span asks for concurrency at once: one throttling over all of them.
        const batches: Array<Batch & { attempt: number }> = [];
        for (const [attempt, events] of [...due].sort((a, b) => a[0] - b[0])) {
            if (events === 0) continue;
            const toAdditional = routing.additional ? requestsToAdditional(draws.random, events, routing.additional.weight) : 0;
            batches.push({ attempt, version: routing.primaryVersion, requests: events - toAdditional });
            if (routing.additional && toAdditional > 0)
                batches.push({ attempt, version: routing.additional.version, requests: toAdditional });
        }
        const throttled = this.concurrencyThrottles(functionName, aliasName, batches, fromMs, toMs, draws, account);
        batches.forEach(({ attempt, version: versionName, requests }, i) => {
            if (requests === 0) return;
            const profile = this.profileOf(functionName, versionName, draws.profileMinute);
            const version = this.control.version(functionName, versionName);
            const outcome = simulateRequests(draws.random, profile, requests, version.timeoutSeconds * 1000, throttled[i]);
            recordOutcome(this.metrics, this.aliasSeries(functionName, aliasName, versionName), fromMs, outcome);
            this.asyncEvents.add(functionName, aliasName, toMs, attempt, outcome.throttles);
            const last = attempt >= ASYNC_ATTEMPTS;
            count(draws.counts, functionName, versionName, {
                requests: attempt === 1 ? outcome.invocations : 0,
                errors: last ? outcome.errors : 0,
                throttles: 0,
            });
            if (!last) {
                this.asyncEvents.add(functionName, aliasName, fromMs + ASYNC_RETRY_DELAYS_MS[attempt - 1], attempt + 1, outcome.errors);
            } else if (version.deadLetterTargetArn && outcome.errors > 0) {
                const undelivered = draws.random.binomial(outcome.errors, profile.deadLetterFailureRate ?? 0);
                const series = this.series(`dlq\u0000${functionName}\u0000${aliasName}`, () =>
                    deadLetterSeries(this.metrics, functionName, aliasName),
                );
                recordDeadLetters(this.metrics, series, fromMs, undelivered, outcome.errors - undelivered);
            }
        });
    }

    /**
     * How many of each batch's requests the function's concurrency limit throttles (see concurrency.ts), second by
     * second: a batch's requests are spread over the span's seconds as Poisson arrivals are (multinomially), each
     * second asks for its arrivals x the versions' mean durations (a partial second is completed at the span's
     * rate), plus the mean demand of the other traffic in the same pool (other aliases, other functions of the
     * unreserved pool), and the excess share of each second's requests is throttled. No draw at all when even
     * all of the span's requests in one second would fit.
     */
    private concurrencyThrottles(
        functionName: string,
        aliasName: string,
        batches: readonly Batch[],
        fromMs: number,
        toMs: number,
        draws: SpanDraws,
        account: AccountDemand,
    ): number[] {
        const throttled = batches.map(() => 0);
        const { pool, limit } = account.pools.get(functionName)!;
        const spanSeconds = (toMs - fromMs) / 1000;
        const meanSeconds = batches.map((b) => this.meanDurationSeconds(functionName, b.version, draws.profileMinute));
        const rates = batches.map((b) => b.requests / spanSeconds);
        let otherDemand = 0;
        for (const other of account.aliases) {
            if (other.functionName === functionName && other.aliasName === aliasName) continue;
            if (account.pools.get(other.functionName)?.pool !== pool) continue;
            otherDemand += other.demand;
        }
        const mostDemand = otherDemand + batches.reduce((sum, b, i) => sum + (b.requests + rates[i]) * meanSeconds[i], 0);
        if (mostDemand <= limit) {
            this.throttledNow.set(functionName, 0);
            return throttled;
        }
        const remaining = batches.map((b) => b.requests);
        let share = 0;
        for (let atMs = fromMs; atMs < toMs;) {
            const endMs = Math.min(toMs, Math.floor(atMs / 1000) * 1000 + 1000);
            const seconds = (endMs - atMs) / 1000;
            const left = (toMs - atMs) / 1000;
            const arrived = remaining.map((n) => draws.concurrencyRandom.binomial(n, seconds / left));
            arrived.forEach((n, i) => (remaining[i] -= n));
            const demand = otherDemand + arrived.reduce((sum, n, i) => sum + (n + rates[i] * (1 - seconds)) * meanSeconds[i], 0);
            share = throttledShare(demand, limit);
            arrived.forEach((n, i) => (throttled[i] += draws.concurrencyRandom.binomial(n, share)));
            atMs = endMs;
        }
        this.throttledNow.set(functionName, share);
        return throttled;
    }

    /** The account's pools, and every alias's mean demand with the versions' profiles at `profileMinute` (see {@link AccountDemand}). */
    private accountDemand(profileMinute: number): AccountDemand {
        const aliases: { functionName: string; aliasName: string; demand: number }[] = [];
        for (const { functionName, aliasName, requestsPerMinute } of this.traffic.values()) {
            if (requestsPerMinute === 0) continue;
            const routing = this.control.routing(functionName, aliasName);
            if (!routing) continue;
            const weight = routing.additional?.weight ?? 0;
            const mean =
                (1 - weight) * this.meanDurationSeconds(functionName, routing.primaryVersion, profileMinute) +
                (routing.additional ? weight * this.meanDurationSeconds(functionName, routing.additional.version, profileMinute) : 0);
            aliases.push({ functionName, aliasName, demand: (requestsPerMinute / 60) * mean });
        }
        return { pools: concurrencyPools(this.functionsWithConcurrency()), aliases };
    }

    /** Every function with traffic or a reserved concurrency, and its reservation (for the account's pools). */
    private functionsWithConcurrency(): Map<string, number | undefined> {
        const all = new Map(this.reservedConcurrency);
        for (const { functionName } of this.traffic.values()) if (!all.has(functionName)) all.set(functionName, undefined);
        return all;
    }

    /** A version's mean duration in seconds, cut at its timeout: what Little's law multiplies the arrival rate by. */
    private meanDurationSeconds(functionName: string, version: string, profileMinute: number): number {
        const timeoutMs = this.control.version(functionName, version).timeoutSeconds * 1000;
        return meanDurationMs(this.profileOf(functionName, version, profileMinute), timeoutMs) / 1000;
    }

    private serve(
        functionName: string,
        aliasName: string,
        version: string,
        requests: number,
        throttledByConcurrency: number,
        timestampMs: number,
        { random, counts, profileMinute }: SpanDraws,
    ): void {
        if (requests === 0) return;
        const timeoutMs = this.control.version(functionName, version).timeoutSeconds * 1000;
        const outcome = simulateRequests(
            random,
            this.profileOf(functionName, version, profileMinute),
            requests,
            timeoutMs,
            throttledByConcurrency,
        );
        count(counts, functionName, version, outcome);
        recordOutcome(this.metrics, this.aliasSeries(functionName, aliasName, version), timestampMs, outcome);
    }

    /** The series a call through an alias is recorded under: with ExecutedVersion, unless the alias has no split and the account does not publish it then. */
    aliasSeries(functionName: string, aliasName: string, version: string): InvocationSeries {
        const executed = this.executedVersionWithoutSplit || this.control.routing(functionName, aliasName)?.additional !== undefined;
        return this.series(`alias\u0000${functionName}\u0000${aliasName}\u0000${version}\u0000${executed}`, () =>
            aliasInvocationSeries(this.metrics, functionName, aliasName, version, executed),
        );
    }

    /** One metric series object per key, made once: the same series is recorded to every span. */
    series<T>(key: string, create: () => T): T {
        let series = this.seriesCache.get(key) as T | undefined;
        if (series === undefined) {
            series = create();
            this.seriesCache.set(key, series);
        }
        return series;
    }
}

/** Adds an outcome to what users of the function got, on its version. */
function count(
    all: Map<string, RequestCounts>,
    functionName: string,
    version: string,
    outcome: Pick<RequestOutcome, "requests" | "errors" | "throttles">,
): void {
    let counts = all.get(functionName);
    if (!counts) {
        counts = { total: 0, byVersion: {} };
        all.set(functionName, counts);
    }
    const byVersion = (counts.byVersion[version] ??= { requests: 0, errors: 0, throttles: 0 });
    counts.total += outcome.requests;
    byVersion.requests += outcome.requests;
    byVersion.errors += outcome.errors;
    byVersion.throttles += outcome.throttles;
}
/** A copy of a function's counts, to hand out (none yet: zero). */
export function copyCounts(counts: RequestCounts | undefined): RequestCounts {
    if (!counts) return { total: 0, byVersion: {} };
    return {
        total: counts.total,
        byVersion: Object.fromEntries(Object.entries(counts.byVersion).map(([version, c]) => [version, { ...c }])),
    };
}
