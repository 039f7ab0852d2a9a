import { AlarmRegistry } from "./alarmRegistry";
import type { MetricAlarmDef } from "./alarms";
import { createCloudWatchClient } from "./cloudWatchApi";
import { ASYNC_ATTEMPTS, ASYNC_RETRY_DELAYS_MS, AsyncEventQueues } from "./asyncInvocations";
import { concurrencyPools, meanDurationMs, throttledShare } from "./concurrency";
import { clientError } from "./errors";
import { createSnsClient, type SnsPublish } from "./snsApi";
import { createStsClient } from "./stsApi";
import { createLogsClient, type LogGroupSpec } from "./logsApi";
import { InjectedFaults, type MetricStatusFault } from "./injectedFaults";
import { LambdaControlPlane, type FunctionSpec } from "./lambdaControlPlane";
import { createLambdaClient, type InvokeResult } from "./lambdaApi";
import {
    aliasInvocationSeries,
    deadLetterSeries,
    recordDeadLetters,
    recordOutcome,
    versionInvocationSeries,
    type InvocationSeries,
} from "./lambdaMetrics";
import { MetricStore } from "./metricStore";
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
    /**
     * How many minutes after its last call ended a datapoint becomes visible (Lambda metrics arrive late): a
     * constant, or `{min, max}`, drawn per series and minute (seeded), so one minute's series arrive apart.
     */
    metricDelayMinutes: number | { readonly min: number; readonly max: number };
    /** ms after an alias version change during which GetAlias shows AWS's transient {"<old version>": 1} routing (terraform-provider-aws PR #48116); default 0 */
    transientRoutingMs?: number;
    /**
     * Whether Lambda publishes the ExecutedVersion dimension for calls through an alias without weights. AWS does
     * not document it ("Using CloudWatch metrics with Lambda" describes ExecutedVersion for weighted aliases), so
     * the simulator models both: `true` (default) publishes it always, `false` only while the alias has a split.
     */
    executedVersionWithoutSplit?: boolean;
    /**
     * Versions each function already has published when it is first created (an account with a history of
     * releases, for `prune`): "1" to "<n>", copies of its first configuration; the first `up` publishes the next.
     */
    priorVersions?: number;
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

/** The random streams of the concurrency model's draws: 'conc' (the rehearsal), 'hcon' (the backfilled history). */
const CONCURRENCY_STREAM = 0x636f6e63;
const HISTORY_CONCURRENCY_STREAM = 0x68636f6e;

/** Where a span's draws come from and what they are counted into: the rehearsal's, or the backfilled history's. */
interface SpanDraws {
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
    /** STS: GetCallerIdentity, as the rehearsal's promoter (stsApi.ts: an assumed role's session). */
    readonly sts: SimulatedClient = createStsClient("lambda-rollout-promoter.rehearsal");
    /** CloudWatch Logs: DescribeLogGroups over the groups {@link putLogGroup} made. */
    readonly logs: SimulatedClient;
    private readonly logGroups = new Map<string, LogGroupSpec>();
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
    private readonly traffic = new Map<
        string,
        { functionName: string; aliasName: string; requestsPerMinute: number; asynchronous: boolean }
    >();
    /** The events of asynchronous traffic waiting for a retry (see asyncInvocations.ts). */
    private readonly asyncEvents = new AsyncEventQueues();
    private readonly versionProfiles = new Map<string, ProfileSchedule>();
    private readonly defaultProfiles = new Map<string, ProfileSchedule>();
    private readonly invokeHandlers = new Map<string, InvokeHandler>();
    private readonly faults: InjectedFaults;
    private readonly counts = new Map<string, RequestCounts>();
    private readonly history = new Map<string, RequestCounts>();
    private backfilledMinutes = 0;
    /** Hand edits of alias descriptions still to come (replaceAliasDescriptionAt), earliest first. */
    private readonly descriptionEdits: { atMs: number; functionName: string; aliasName: string; text: string }[] = [];
    private readonly priorVersions: number;
    private readonly executedVersionWithoutSplit: boolean;
    private readonly seriesCache = new Map<string, unknown>();
    /** Reserved concurrency per function (undefined: the function draws on the account's unreserved pool). */
    private readonly reservedConcurrency = new Map<string, number | undefined>();
    /** The share of requests throttled in the last second simulated, per function: what a direct Invoke meets now. */
    private readonly throttledNow = new Map<string, number>();
    /** The concurrency model's draws, apart from the traffic's: without throttling, a seed's traffic is unchanged. */
    private readonly concurrencyRandom: Random;

    constructor(opts: SimulatedAwsOptions) {
        const startMs = opts.startTime.getTime();
        if (!Number.isFinite(startMs)) throw new Error("SimulatedAws: `startTime` must be a valid Date.");
        const delay = opts.metricDelayMinutes;
        const [minDelay, maxDelay] = typeof delay === "number" ? [delay, delay] : [delay.min, delay.max];
        if (!(minDelay >= 0) || !(maxDelay >= minDelay))
            throw new Error(`SimulatedAws: \`metricDelayMinutes\` must be 0 or more (min <= max), got ${JSON.stringify(delay)}.`);
        this.startMs = startMs;
        this.currentMs = startMs;
        this.seed = opts.seed;
        this.priorVersions = opts.priorVersions ?? 0;
        this.random = createRandom(opts.seed);
        this.invokeRandom = createRandom(opts.seed, INVOKE_STREAM);
        this.concurrencyRandom = createRandom(opts.seed, CONCURRENCY_STREAM);
        const delayMs = maxDelay * MINUTE_MS;
        // Whole minutes before startTime can only hold backfilled history, which has already arrived.
        const firstMinuteMs = Math.floor(startMs / MINUTE_MS) * MINUTE_MS;
        const seed = opts.seed;
        this.metrics = new MetricStore(
            typeof delay === "number"
                ? delay * MINUTE_MS
                : (key, minuteStartMs) =>
                      (minDelay + (maxDelay - minDelay) * hashUniform(`${seed}\u0000${key}\u0000${minuteStartMs}`)) * MINUTE_MS,
            firstMinuteMs,
        );
        this.control = new LambdaControlPlane(() => this.currentMs, opts.transientRoutingMs ?? 0);
        this.executedVersionWithoutSplit = opts.executedVersionWithoutSplit ?? true;
        // Alarms see every minute the account has, the backfilled history included, as CloudWatch's do.
        this.alarms = new AlarmRegistry(this.metrics, delayMs);
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
        this.logs = createLogsClient({
            groups: this.logGroups,
            nowMs: () => this.currentMs,
            checkAvailable: () => faults.checkCredentials(),
        });
    }

    /** Creates or replaces a log group (Lambda makes `/aws/lambda/<name>` on a function's first invocation). */
    putLogGroup(spec: LogGroupSpec): void {
        this.logGroups.set(spec.name, spec);
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
        const changesMs = [...this.profileChangeTimes(), ...this.descriptionEdits.map((e) => e.atMs)].sort((a, b) => a - b);
        this.applyDescriptionEdits();
        while (this.currentMs < endMs) {
            // Spans never cross a minute (metrics are per minute) nor a profile change, so each span has one profile.
            let spanEndMs = Math.min(endMs, Math.floor(this.currentMs / MINUTE_MS) * MINUTE_MS + MINUTE_MS);
            const change = changesMs.find((t) => t > this.currentMs);
            if (change !== undefined && change < spanEndMs) spanEndMs = change;
            this.simulateSpan(this.currentMs, spanEndMs, {
                random: this.random,
                concurrencyRandom: this.concurrencyRandom,
                counts: this.counts,
                profileMinute: (this.currentMs - this.startMs) / MINUTE_MS,
            });
            this.currentMs = spanEndMs;
            this.applyDescriptionEdits();
        }
    }

    /**
     * At rehearsal minute `minute`, the alias's description is replaced with `text`, as a person editing it in the
     * console or with the AWS CLI would (an UpdateAlias of the description alone: the RevisionId changes).
     */
    replaceAliasDescriptionAt(minute: number, functionName: string, aliasName: string, text: string): void {
        if (!(minute >= 0) || !Number.isFinite(minute))
            throw new Error(`replaceAliasDescriptionAt: \`minute\` must be a finite number >= 0, got ${minute}.`);
        this.descriptionEdits.push({ atMs: this.startMs + minute * MINUTE_MS, functionName, aliasName, text });
        this.descriptionEdits.sort((a, b) => a.atMs - b.atMs);
        this.applyDescriptionEdits();
    }

    /** The description edits whose instant has come. */
    private applyDescriptionEdits(): void {
        while (this.descriptionEdits.length > 0 && this.descriptionEdits[0].atMs <= this.currentMs) {
            const e = this.descriptionEdits.shift()!;
            this.control.updateAlias(e.functionName, e.aliasName, { description: e.text });
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
     * - seen by alarms, as CloudWatch's alarms see the minutes before a rollout: the alarms put so far count as
     *   existing since the history began (an alias-wide alarm, such as a p99 or a CodeDeploy-style error-rate
     *   alarm, judges stable's minutes from before the rollout too, as it would in AWS);
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
        const draws = {
            random: createRandom(this.seed, HISTORY_STREAM),
            concurrencyRandom: createRandom(this.seed, HISTORY_CONCURRENCY_STREAM),
            counts: this.history,
            profileMinute: 0,
        };
        const endMs = this.startMs;
        let atMs = endMs - minutes * MINUTE_MS;
        while (atMs < endMs) {
            const spanEndMs = Math.min(endMs, Math.floor(atMs / MINUTE_MS) * MINUTE_MS + MINUTE_MS);
            this.simulateSpan(atMs, spanEndMs, draws);
            atMs = spanEndMs;
        }
        this.alarms.existedSince(endMs - minutes * MINUTE_MS);
    }

    /** Creates a function or updates its $LATEST configuration, as `pulumi up` leaves it. */
    putFunction(spec: FunctionSpec): void {
        const created = !this.control.hasFunction(spec.name);
        this.control.putFunction(spec);
        if (created) for (let i = 0; i < this.priorVersions; i++) this.control.publishVersion(spec.name);
    }

    /** The function's published version numbers, ascending, as ListVersionsByFunction would list them. */
    publishedVersions(functionName: string): string[] {
        return this.control.publishedVersions(functionName).map((v) => v.version);
    }

    /**
     * The function's reserved concurrency (PutFunctionConcurrency; Pulumi's `reservedConcurrentExecutions`):
     * a whole number >= 0, or undefined (or -1, Pulumi's "unreserved") for none, when the function shares the
     * account's unreserved pool. It caps the concurrent executions of all its versions together.
     */
    setReservedConcurrency(functionName: string, reserved: number | undefined): void {
        if (reserved !== undefined && reserved !== -1 && !(Number.isInteger(reserved) && reserved >= 0))
            throw new Error(
                `setReservedConcurrency: \`reserved\` must be a whole number >= 0 (or -1 / undefined for none), got ${reserved}.`,
            );
        this.reservedConcurrency.set(functionName, reserved === -1 ? undefined : reserved);
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

    /**
     * Users call the function through `aliasName` at this rate from now on (0 stops them). `asynchronous`: the
     * calls are asynchronous events (InvocationType Event: S3, SNS, EventBridge), retried on failure and sent to
     * the dead-letter queue after the last attempt (see asyncInvocations.ts); else each call is synchronous.
     */
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
     * the versions' profiles at `profileMinute`; the concurrency limits' throttling drawn from `concurrencyRandom`.
     */
    private simulateSpan(fromMs: number, toMs: number, draws: SpanDraws): void {
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
    private aliasSeries(functionName: string, aliasName: string, version: string): InvocationSeries {
        const executed = this.executedVersionWithoutSplit || this.control.routing(functionName, aliasName)?.additional !== undefined;
        return this.series(`alias\u0000${functionName}\u0000${aliasName}\u0000${version}\u0000${executed}`, () =>
            aliasInvocationSeries(this.metrics, functionName, aliasName, version, executed),
        );
    }

    private series<T>(key: string, create: () => T): T {
        let series = this.seriesCache.get(key) as T | undefined;
        if (series === undefined) {
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
        const series =
            viaAlias !== undefined
                ? this.aliasSeries(functionName, viaAlias, version)
                : this.series(`version\u0000${functionName}\u0000${version}`, () =>
                      versionInvocationSeries(this.metrics, functionName, version),
                  );
        const timeoutMs = this.control.version(functionName, version).timeoutSeconds * 1000;
        // At the function's concurrency limit a synchronous Invoke is refused, not run: 429 TooManyRequestsException
        // with the limit as its Reason ("Understanding Lambda function scaling"; the Invoke API reference's errors).
        const share = this.throttledNow.get(functionName) ?? 0;
        if (share > 0 && this.invokeRandom.uniform() < share) {
            const empty = new QuantileSketch();
            recordOutcome(this.metrics, series, this.currentMs, {
                requests: 1,
                throttles: 1,
                invocations: 0,
                errors: 0,
                timeouts: 0,
                durations: { count: 0, sum: 0, min: Infinity, max: -Infinity, sketch: empty },
                timeoutMs,
            });
            const reserved = this.reservedConcurrency.get(functionName) !== undefined;
            const error = clientError("TooManyRequestsException", "Rate Exceeded.", 429) as Error & { Reason?: string };
            error.Reason = reserved ? "ReservedFunctionConcurrentInvocationLimitExceeded" : "ConcurrentInvocationLimitExceeded";
            throw error;
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
        const drawn = this.invokeRandom.lognormal(mu, sigma);
        // A call past the timeout is stopped there: an Unhandled error whatever the code would have answered.
        const timedOut = drawn > timeoutMs;
        if (timedOut) {
            result = {
                payload: { errorType: "Sandbox.Timedout", errorMessage: `Task timed out after ${(timeoutMs / 1000).toFixed(2)} seconds` },
                functionError: "Unhandled",
            };
        }
        const sketch = new QuantileSketch();
        if (!timedOut) sketch.add(drawn);
        const outcome: RequestOutcome = {
            requests: 1,
            throttles: 0,
            invocations: 1,
            errors: result.functionError !== undefined ? 1 : 0,
            timeouts: timedOut ? 1 : 0,
            durations: timedOut
                ? { count: 0, sum: 0, min: Infinity, max: -Infinity, sketch }
                : { count: 1, sum: drawn, min: drawn, max: drawn, sketch },
            timeoutMs,
        };
        recordOutcome(this.metrics, series, this.currentMs, outcome);
        return { executedVersion: version, payload: result.payload, functionError: result.functionError };
    }
}

/** A uniform number in [0, 1) from a string (FNV-1a, 32 bits): the same series and minute always get the same delay. */
function hashUniform(text: string): number {
    let h = 0x811c9dc5;
    for (let i = 0; i < text.length; i++) {
        h ^= text.charCodeAt(i);
        h = Math.imul(h, 0x01000193) >>> 0;
    }
    return h / 2 ** 32;
}

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

function copyCounts(counts: RequestCounts | undefined): RequestCounts {
    if (!counts) return { total: 0, byVersion: {} };
    return {
        total: counts.total,
        byVersion: Object.fromEntries(Object.entries(counts.byVersion).map(([version, c]) => [version, { ...c }])),
    };
}
