import { AlarmRegistry } from "./alarmRegistry";
import type { MetricAlarmDef } from "./alarms";
import { createCloudWatchClient } from "./cloudWatchApi";
import { createSnsClient, type SnsPublish } from "./snsApi";
import { InjectedFaults, type MetricStatusFault } from "./injectedFaults";
import { LambdaControlPlane, type FunctionSpec } from "./lambdaControlPlane";
import { createLambdaClient, type InvokeResult } from "./lambdaApi";
import { aliasInvocationSeries, recordOutcome, versionInvocationSeries, type InvocationSeries } from "./lambdaMetrics";
import { MetricStore } from "./metricStore";
import type { MetricSource } from "./getMetricData";
import {
    DEFAULT_PROFILE,
    lognormalParameters,
    profileAt,
    profileChangeMinutes,
    validateProfileSchedule,
    type ProfileSchedule,
    type VersionProfile,
} from "./profiles";
import { createRandom, type Random } from "./random";
import { QuantileSketch } from "./statistics";
import type { SimulatedClient } from "./sdkDispatch";
import { arrivals, requestsToAdditional, simulateRequests, type RequestOutcome } from "./traffic";

/** How a simulated account starts. */
/** One custom metric datum the account received (PutMetricData). */
export interface CustomDatum {
    readonly namespace: string;
    readonly metricName: string;
    readonly dimensions: Record<string, string>;
    readonly value: number;
    readonly unit?: string;
    /** Virtual epoch ms when it was put. */
    readonly atMs: number;
}

export interface SimulatedAwsOptions {
    /** Seeds the one random generator: the same seed and the same calls replay the same rehearsal. */
    seed: number;
    /** Virtual time at the start of the rehearsal (minute 0). */
    startTime: Date;
    /** How many minutes after the end of its minute a datapoint becomes visible (Lambda metrics arrive late). */
    metricDelayMinutes: number;
    /** ms after an alias version change during which GetAlias shows AWS's transient {"<old version>": 1} routing (terraform-provider-aws PR #48116); default 0 */
    transientRoutingMs?: number;
}

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

/** What a test invocation runs in place of the version's code. */
export type InvokeHandler = (payload: unknown) => { payload: unknown; functionError?: string };

const MINUTE_MS = 60_000;

/** The random stream of the backfilled history (see createRandom): 'hist'. */
const HISTORY_STREAM = 0x68697374;

/** The random stream of direct invocations (a smoke test): 'inv', so invoking leaves the traffic's draws alone. */
const INVOKE_STREAM = 0x696e76;

/**
 * A simulated AWS account for rehearsing rollouts: Lambda and CloudWatch stand-ins that take the real SDK
 * v3 commands, user traffic through aliases, and metrics and alarms derived from that traffic, all on a
 * virtual clock so that an hour of rollout costs milliseconds.
 */
export class SimulatedAws {
    /** LambdaClient stand-in. */
    readonly lambda: SimulatedClient;
    /** CloudWatchClient stand-in. */
    readonly cloudWatch: SimulatedClient;
    /** SNS: Publish, recorded (see {@link snsPublishes}). */
    readonly sns: SimulatedClient;
    private readonly customData: CustomDatum[] = [];
    private readonly published: SnsPublish[] = [];

    private readonly startMs: number;
    private currentMs: number;
    private readonly seed: number;
    private readonly random: Random;
    /** Direct invocations draw from their own stream: a smoke test must not change the traffic of the same seed. */
    private readonly invokeRandom: Random;
    private readonly metrics: MetricStore;
    private readonly control: LambdaControlPlane;
    private readonly alarms: AlarmRegistry;
    private readonly traffic = new Map<string, { functionName: string; aliasName: string; requestsPerMinute: number }>();
    private readonly versionProfiles = new Map<string, ProfileSchedule>();
    private readonly defaultProfiles = new Map<string, ProfileSchedule>();
    private readonly invokeHandlers = new Map<string, InvokeHandler>();
    private readonly faults: InjectedFaults;
    private readonly counts = new Map<string, RequestCounts>();
    private readonly history = new Map<string, RequestCounts>();
    private backfilledMinutes = 0;
    private readonly seriesCache = new Map<string, InvocationSeries>();

    constructor(opts: SimulatedAwsOptions) {
        const startMs = opts.startTime.getTime();
        if (!Number.isFinite(startMs)) throw new Error("SimulatedAws: `startTime` must be a valid Date.");
        if (!(opts.metricDelayMinutes >= 0))
            throw new Error(`SimulatedAws: \`metricDelayMinutes\` must be 0 or more, got ${opts.metricDelayMinutes}.`);
        this.startMs = startMs;
        this.currentMs = startMs;
        this.seed = opts.seed;
        this.random = createRandom(opts.seed);
        this.invokeRandom = createRandom(opts.seed, INVOKE_STREAM);
        const delayMs = opts.metricDelayMinutes * MINUTE_MS;
        // Whole minutes before startTime can only hold backfilled history, which has already arrived.
        const firstMinuteMs = Math.floor(startMs / MINUTE_MS) * MINUTE_MS;
        this.metrics = new MetricStore(delayMs, firstMinuteMs);
        this.control = new LambdaControlPlane(() => this.currentMs, opts.transientRoutingMs ?? 0);
        // Alarms see the rehearsal's minutes only, never the backfilled history (see backfill()).
        const metrics = this.metrics;
        const rehearsalMetrics: MetricSource = {
            visibleMinutes: (namespace, metricName, dimensions, fromMs, toMs, nowMs) =>
                metrics.visibleMinutes(namespace, metricName, dimensions, Math.max(fromMs, firstMinuteMs), toMs, nowMs),
        };
        this.alarms = new AlarmRegistry(rehearsalMetrics, delayMs);
        const faults = new InjectedFaults(() => this.minute());
        this.faults = faults;
        this.lambda = createLambdaClient(
            this.control,
            (functionName, qualifier, payload) => this.invoke(functionName, qualifier, payload),
            {
                checkCall: () => faults.checkCredentials(),
                checkUpdateAlias: (functionName) => faults.checkUpdateAlias(functionName),
            },
        );
        this.cloudWatch = createCloudWatchClient({
            metrics: this.metrics,
            alarms: this.alarms,
            nowMs: () => this.currentMs,
            checkAvailable: () => faults.checkCloudWatch(),
            checkAlarmsReadable: () => faults.checkDescribeAlarms(),
            metricStatus: (namespace, metricName, dimensions) => faults.metricStatus(namespace, metricName, dimensions),
            putMetricData: (input) => {
                for (const d of input.MetricData ?? []) {
                    this.customData.push({
                        namespace: input.Namespace!,
                        metricName: d.MetricName ?? "",
                        dimensions: Object.fromEntries((d.Dimensions ?? []).map((x) => [x.Name ?? "", x.Value ?? ""])),
                        value: d.Value ?? 0,
                        ...(d.Unit ? { unit: d.Unit } : {}),
                        atMs: this.currentMs,
                    });
                }
            },
        });
        this.sns = createSnsClient({
            nowMs: () => this.currentMs,
            checkAvailable: () => faults.checkCredentials(),
            published: this.published,
        });
    }

    /** The custom metric data put so far (PutMetricData), oldest first. */
    customMetrics(namespace?: string): CustomDatum[] {
        return this.customData.filter((d) => namespace === undefined || d.namespace === namespace);
    }

    /** The messages published to SNS so far, oldest first. */
    snsPublishes(): SnsPublish[] {
        return [...this.published];
    }

    /** Virtual time. */
    now(): Date {
        return new Date(this.currentMs);
    }

    /** Minutes since startTime (fractional): the clock scenario profiles and outages are written in. */
    minute(): number {
        return (this.currentMs - this.startMs) / MINUTE_MS;
    }

    /**
     * Moves virtual time on by `ms`, generating the traffic and metrics of that span. The alias routing of
     * the moment applies to the whole span, so callers change aliases between calls.
     */
    advance(ms: number): void {
        if (!(ms >= 0) || !Number.isFinite(ms)) throw new Error(`advance: \`ms\` must be a finite number of ms >= 0, got ${ms}.`);
        const endMs = this.currentMs + ms;
        const changesMs = this.profileChangeTimes();
        while (this.currentMs < endMs) {
            // Spans never cross a minute (metrics are per minute) nor a profile change, so each span has one profile.
            let spanEndMs = Math.min(endMs, Math.floor(this.currentMs / MINUTE_MS) * MINUTE_MS + MINUTE_MS);
            const change = changesMs.find((t) => t > this.currentMs);
            if (change !== undefined && change < spanEndMs) spanEndMs = change;
            this.simulateSpan(this.currentMs, spanEndMs, this.random, this.counts, (this.currentMs - this.startMs) / MINUTE_MS);
            this.currentMs = spanEndMs;
        }
    }

    /**
     * Gives the account `minutes` of user traffic before startTime, so that what the rollout reads from before
     * its start (stable's baseline) exists: for each minute of [startTime - minutes, startTime), Poisson arrivals
     * at each setTraffic rate, routed by the aliases as they are now, each version behaving as its profile at
     * minute 0. Call it once the aliases, traffic rates and profiles are set, before the rollout moves traffic.
     *
     * The metrics are those live traffic writes (Invocations, Errors, Duration, Throttles under the same
     * dimension sets) and have already arrived: the metric delay is over for every history minute (a minute
     * straddling a startTime that is not on the minute keeps the delay). What it is not:
     * - not part of the rehearsal's clock: minute 0 stays startTime, so profiles' `fromMinute` and faults keep
     *   their minutes; virtual time does not move;
     * - not counted in requestCounts() (what users got during the rollout): see historyCounts();
     * - not seen by alarms, which are evaluated over the rehearsal's minutes only, as before history existed (an
     *   alias-wide alarm, such as a p99 or a CodeDeploy-style error-rate alarm, would otherwise judge stable's
     *   minutes from before the rollout as soon as it is put);
     * - not drawn from the rehearsal's random sequence: it has its own stream of the seed, so that backfilling
     *   (or not, or more) leaves the rehearsal's own traffic exactly as it was, and the same seed replays it.
     * 0 minutes does nothing; the history can be backfilled once.
     */
    backfill(minutes: number): void {
        if (!Number.isInteger(minutes) || minutes < 0)
            throw new Error(`backfill: \`minutes\` must be a whole number of minutes >= 0, got ${minutes}.`);
        if (minutes === 0) return;
        if (this.backfilledMinutes > 0) throw new Error(`backfill: the history (${this.backfilledMinutes} minutes) is already backfilled.`);
        this.backfilledMinutes = minutes;
        const random = createRandom(this.seed, HISTORY_STREAM);
        const endMs = this.startMs;
        let atMs = endMs - minutes * MINUTE_MS;
        while (atMs < endMs) {
            const spanEndMs = Math.min(endMs, Math.floor(atMs / MINUTE_MS) * MINUTE_MS + MINUTE_MS);
            this.simulateSpan(atMs, spanEndMs, random, this.history, 0);
            atMs = spanEndMs;
        }
    }

    /** Creates a function or updates its $LATEST configuration, as `pulumi up` leaves it. */
    putFunction(spec: FunctionSpec): void {
        this.control.putFunction(spec);
    }

    /** Publishes $LATEST as "1", "2", ...: the version keeps the role, DLQ and description of the moment, like Lambda. */
    publishVersion(functionName: string): string {
        return this.control.publishVersion(functionName);
    }

    /** Creates or updates an alias with the same validation as UpdateAlias (AWS errors by name). */
    putAlias(
        functionName: string,
        aliasName: string,
        functionVersion: string,
        additionalVersionWeights?: Record<string, number>,
        description?: string,
    ): void {
        this.control.putAlias(functionName, aliasName, functionVersion, additionalVersionWeights ?? {}, description);
    }

    /** Sets provisioned concurrency on a version or alias (refused on an alias with routing weights). */
    setProvisionedConcurrency(functionName: string, qualifier: string, n: number): void {
        this.control.setProvisionedConcurrency(functionName, qualifier, n);
    }

    /** Creates or replaces a metric alarm from the Pulumi `aws.cloudwatch.MetricAlarm` input shape. */
    putMetricAlarm(def: MetricAlarmDef): void {
        this.alarms.putMetricAlarm(def, this.currentMs);
    }

    /** Creates or replaces a composite alarm; every alarm its rule names must exist. */
    putCompositeAlarm(def: { name: string; alarmRule: string }): void {
        this.alarms.putCompositeAlarm(def, this.currentMs);
    }

    /** Users call the function through `aliasName` at this rate from now on (0 stops them). */
    setTraffic(functionName: string, aliasName: string, requestsPerMinute: number): void {
        if (!(requestsPerMinute >= 0) || !Number.isFinite(requestsPerMinute)) {
            throw new Error(`setTraffic: \`requestsPerMinute\` must be a finite number >= 0, got ${requestsPerMinute}.`);
        }
        this.traffic.set(`${functionName}\u0000${aliasName}`, { functionName, aliasName, requestsPerMinute });
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

    /** What a direct Invoke of this version returns (the smoke test's view of the version). */
    setInvokeHandler(functionName: string, version: string, handler: InvokeHandler): void {
        this.invokeHandlers.set(`${functionName}\u0000${version}`, handler);
    }

    /**
     * CloudWatch answers ServiceUnavailable (503, server fault) to every call during [fromMinute, toMinute);
     * metrics are still recorded. Several outages all apply.
     */
    addCloudWatchOutage(fromMinute: number, toMinute: number): void {
        this.faults.addCloudWatchOutage(fromMinute, toMinute);
    }

    /**
     * During [fromMinute, toMinute), GetMetricData results for `metric` (AWS/Lambda), only for the series of
     * `functionName` (dimension FunctionName) when it is given, come back with `statusCode` instead of
     * `Complete`, with a message in the result's Messages, no Timestamps or Values and no NextToken; so do the
     * results of expressions that read them. Other results of the same call are unaffected; metrics are still
     * recorded, alarms still see them. Several such faults all apply (Forbidden wins over InternalError, which
     * wins over PartialData).
     */
    addMetricStatusFault(fault: MetricStatusFault): void {
        this.faults.addMetricStatusFault(fault);
    }

    /**
     * DescribeAlarms answers CloudWatch's throttling error (name `Throttling`, client fault, HTTP 400) during
     * [fromMinute, toMinute); GetMetricData still works. Several windows all apply.
     */
    addAlarmsUnreadable(fromMinute: number, toMinute: number): void {
        this.faults.addAlarmsUnreadable(fromMinute, toMinute);
    }

    /**
     * The next `times` UpdateAlias calls for the function, sent through `lambda`, answer ResourceConflictException
     * (HTTP 409: an update is in progress), then UpdateAlias works again. Calls again for the same function add
     * to the count. putAlias (the mock engine's write) is not affected.
     */
    addAliasConflict(functionName: string, times: number): void {
        this.faults.addAliasConflict(functionName, times);
    }

    /**
     * From rehearsal minute `minute` on, every call through `lambda` and `cloudWatch` fails with
     * ExpiredTokenException (client fault, HTTP 403), as the SDK does once a session token has expired;
     * see credentialsExpired(). Called more than once, the earliest minute holds.
     */
    expireCredentialsAt(minute: number): void {
        this.faults.expireCredentialsAt(minute);
    }

    /** Whether the account's credentials have expired by now (see expireCredentialsAt): a stack `up` fails too. */
    credentialsExpired(): boolean {
        return this.faults.credentialsExpired();
    }

    /**
     * Where the alias sends traffic now, read straight from the account (no API call, so no fault applies): the
     * rehearsal's ground truth for "where did traffic end up".
     */
    aliasRouting(
        functionName: string,
        aliasName: string,
    ): { primaryVersion: string; additional?: { version: string; weight: number } } | undefined {
        return this.control.routing(functionName, aliasName);
    }

    /**
     * Every request users sent to the function so far, including those metrics do not show yet; test
     * invocations and the backfilled history excluded.
     */
    requestCounts(functionName: string): RequestCounts {
        return copyCounts(this.counts.get(functionName));
    }

    /** The requests of the backfilled history (before startTime; see backfill()), not in requestCounts(). */
    historyCounts(functionName: string): RequestCounts {
        return copyCounts(this.history.get(functionName));
    }

    private profileOf(functionName: string, version: string, minute: number): VersionProfile {
        const schedule = this.versionProfiles.get(`${functionName}\u0000${version}`) ?? this.defaultProfiles.get(functionName);
        return schedule === undefined ? DEFAULT_PROFILE : profileAt(schedule, minute);
    }

    private profileChangeTimes(): number[] {
        const minutes = [...this.versionProfiles.values(), ...this.defaultProfiles.values()].flatMap(profileChangeMinutes);
        return [...new Set(minutes)].map((minute) => this.startMs + minute * MINUTE_MS).sort((a, b) => a - b);
    }

    /**
     * The user traffic of [fromMs, toMs) (within one minute), drawn from `random`, counted into `counts`, with
     * the versions' profiles at `profileMinute`.
     */
    private simulateSpan(fromMs: number, toMs: number, random: Random, counts: Map<string, RequestCounts>, profileMinute: number): void {
        for (const { functionName, aliasName, requestsPerMinute } of this.traffic.values()) {
            const routing = this.control.routing(functionName, aliasName);
            if (!routing || requestsPerMinute === 0) continue;
            const requests = arrivals(random, requestsPerMinute, toMs - fromMs);
            if (requests === 0) continue;
            const toAdditional = routing.additional ? requestsToAdditional(random, requests, routing.additional.weight) : 0;
            const served = { random, counts, timestampMs: fromMs, profileMinute };
            this.serve(functionName, aliasName, routing.primaryVersion, requests - toAdditional, served);
            if (routing.additional && toAdditional > 0)
                this.serve(functionName, aliasName, routing.additional.version, toAdditional, served);
        }
    }

    private serve(
        functionName: string,
        aliasName: string,
        version: string,
        requests: number,
        {
            random,
            counts,
            timestampMs,
            profileMinute,
        }: { random: Random; counts: Map<string, RequestCounts>; timestampMs: number; profileMinute: number },
    ): void {
        if (requests === 0) return;
        const timeoutMs = this.control.version(functionName, version).timeoutSeconds * 1000;
        const outcome = simulateRequests(random, this.profileOf(functionName, version, profileMinute), requests, timeoutMs);
        count(counts, functionName, version, outcome);
        recordOutcome(
            this.metrics,
            this.series(`alias\u0000${functionName}\u0000${aliasName}\u0000${version}`, () =>
                aliasInvocationSeries(this.metrics, functionName, aliasName, version),
            ),
            timestampMs,
            outcome,
        );
    }

    private series(key: string, create: () => InvocationSeries): InvocationSeries {
        let series = this.seriesCache.get(key);
        if (!series) {
            series = create();
            this.seriesCache.set(key, series);
        }
        return series;
    }

    /** One Invoke: through an alias it is routed like user traffic; otherwise it runs the named version. */
    private invoke(functionName: string, qualifier: string | undefined, payload: unknown): InvokeResult {
        const viaAlias = qualifier !== undefined && this.control.isAlias(functionName, qualifier) ? qualifier : undefined;
        let version: string;
        if (viaAlias !== undefined) {
            const routing = this.control.routing(functionName, viaAlias)!;
            version =
                routing.additional && this.invokeRandom.uniform() < routing.additional.weight
                    ? routing.additional.version
                    : routing.primaryVersion;
        } else {
            version = qualifier ?? "$LATEST";
            this.control.version(functionName, version);
        }
        const handler = this.invokeHandlers.get(`${functionName}\u0000${version}`);
        let result: { payload: unknown; functionError?: string };
        if (!handler) {
            result = {
                payload: { errorType: "Error", errorMessage: `No invoke handler is set for ${functionName}:${version} in this rehearsal.` },
                functionError: "Unhandled",
            };
        } else {
            try {
                result = handler(payload);
            } catch (error) {
                const e = error instanceof Error ? error : new Error(String(error));
                result = { payload: { errorType: e.name, errorMessage: e.message }, functionError: "Unhandled" };
            }
        }
        const { mu, sigma } = lognormalParameters(this.profileOf(functionName, version, this.minute()));
        const duration = this.invokeRandom.lognormal(mu, sigma);
        const failed = result.functionError !== undefined ? 1 : 0;
        const sketch = new QuantileSketch();
        sketch.add(duration);
        const outcome: RequestOutcome = {
            requests: 1,
            throttles: 0,
            invocations: 1,
            errors: failed,
            timeouts: 0,
            durations: { count: 1, sum: duration, min: duration, max: duration, sketch },
            timeoutMs: 0,
        };
        const series =
            viaAlias !== undefined
                ? this.series(`alias\u0000${functionName}\u0000${viaAlias}\u0000${version}`, () =>
                      aliasInvocationSeries(this.metrics, functionName, viaAlias, version),
                  )
                : this.series(`version\u0000${functionName}\u0000${version}`, () =>
                      versionInvocationSeries(this.metrics, functionName, version),
                  );
        recordOutcome(this.metrics, series, this.currentMs, outcome);
        return { executedVersion: version, payload: result.payload, functionError: result.functionError };
    }
}

function count(all: Map<string, RequestCounts>, functionName: string, version: string, outcome: RequestOutcome): void {
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

function copyCounts(counts: RequestCounts | undefined): RequestCounts {
    if (!counts) return { total: 0, byVersion: {} };
    return {
        total: counts.total,
        byVersion: Object.fromEntries(Object.entries(counts.byVersion).map(([version, c]) => [version, { ...c }])),
    };
}
