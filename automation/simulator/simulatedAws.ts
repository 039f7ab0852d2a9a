import { AlarmRegistry } from "./alarmRegistry";
import type { MetricAlarmDef } from "./alarms";
import { createCloudWatchClient } from "./cloudWatchApi";
import { DirectInvocations, type InvokeHandler } from "./directInvoke";
import { createSnsClient, type SnsPublish } from "./snsApi";
import { createStsClient } from "./stsApi";
import { createLogsClient, type LogGroupSpec } from "./logsApi";
import { InjectedFaults, type MetricStatusFault } from "./injectedFaults";
import { LambdaControlPlane, type FunctionSpec } from "./lambdaControlPlane";
import { createLambdaClient } from "./lambdaApi";
import { MetricStore } from "./metricStore";
import type { ProfileSchedule } from "./profiles";
import { createRandom, type Random } from "./random";
import type { SimulatedClient } from "./sdkDispatch";
import { copyCounts, UserTraffic, type RequestCounts } from "./userTraffic";

export type { InvokeHandler } from "./directInvoke";
export type { RequestCounts, VersionRequestCounts } from "./userTraffic";

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

/** How a simulated account starts. */
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

const MINUTE_MS = 60_000;

/** The random stream of the backfilled history (see createRandom): 'hist'. */
const HISTORY_STREAM = 0x68697374;

/** The random stream of direct invocations (a smoke test): 'inv', so invoking leaves the traffic's draws alone. */
const INVOKE_STREAM = 0x696e76;

/** The random streams of the concurrency model's draws: 'conc' (the rehearsal), 'hcon' (the backfilled history). */
const CONCURRENCY_STREAM = 0x636f6e63;
const HISTORY_CONCURRENCY_STREAM = 0x68636f6e;

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
    private readonly metrics: MetricStore;
    private readonly control: LambdaControlPlane;
    private readonly alarms: AlarmRegistry;
    /** Who calls the functions, how each version behaves, and the traffic of a span (userTraffic.ts). */
    private readonly users: UserTraffic;
    /** Direct Invokes (directInvoke.ts): the smoke test's and Lambda hooks' calls. */
    private readonly invocations: DirectInvocations;
    private readonly faults: InjectedFaults;
    private readonly counts = new Map<string, RequestCounts>();
    private readonly history = new Map<string, RequestCounts>();
    private backfilledMinutes = 0;
    /** Hand edits of alias descriptions still to come (replaceAliasDescriptionAt), earliest first. */
    private readonly descriptionEdits: { atMs: number; functionName: string; aliasName: string; text: string }[] = [];
    private readonly priorVersions: number;
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
        this.users = new UserTraffic(this.metrics, this.control, opts.executedVersionWithoutSplit ?? true);
        this.invocations = new DirectInvocations(
            this.control,
            this.metrics,
            this.users,
            createRandom(opts.seed, INVOKE_STREAM),
            () => this.currentMs,
            () => this.minute(),
        );
        // Alarms see every minute the account has, the backfilled history included, as CloudWatch's do.
        this.alarms = new AlarmRegistry(this.metrics, delayMs);
        const faults = new InjectedFaults(() => this.minute());
        this.faults = faults;
        this.lambda = createLambdaClient(
            this.control,
            (functionName, qualifier, payload) => this.invocations.invoke(functionName, qualifier, payload),
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
        const changesMs = [...this.users.profileChangeTimes(this.startMs), ...this.descriptionEdits.map((e) => e.atMs)].sort(
            (a, b) => a - b,
        );
        this.applyDescriptionEdits();
        while (this.currentMs < endMs) {
            // Spans never cross a minute (metrics are per minute) nor a profile change, so each span has one profile.
            let spanEndMs = Math.min(endMs, Math.floor(this.currentMs / MINUTE_MS) * MINUTE_MS + MINUTE_MS);
            const change = changesMs.find((t) => t > this.currentMs);
            if (change !== undefined && change < spanEndMs) spanEndMs = change;
            this.users.simulateSpan(this.currentMs, spanEndMs, {
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
            this.users.simulateSpan(atMs, spanEndMs, draws);
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
        this.users.setReservedConcurrency(functionName, reserved);
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
        this.users.setTraffic(functionName, aliasName, requestsPerMinute, options);
    }

    /** How one version behaves (versions without one use the function's default profile). */
    setVersionProfile(functionName: string, version: string, schedule: ProfileSchedule): void {
        this.users.setVersionProfile(functionName, version, schedule);
    }

    /** How the versions of a function without their own profile behave. */
    setDefaultProfile(functionName: string, schedule: ProfileSchedule): void {
        this.users.setDefaultProfile(functionName, schedule);
    }

    /** What a direct Invoke of this version returns (the smoke test's view of the version). */
    setInvokeHandler(functionName: string, version: string, handler: InvokeHandler): void {
        this.invocations.setHandler(functionName, version, handler);
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
