import type { Dimensions } from "./metricStore";
import { clientError, serverError } from "./errors";
import { functionArn } from "./lambdaControlPlane";
import { LAMBDA_NAMESPACE } from "./lambdaMetrics";

/** The StatusCodes GetMetricData gives a result that is not Complete. */
export type MetricStatusCode = "InternalError" | "Forbidden" | "PartialData";

/**
 * GetMetricData results degraded during [fromMinute, toMinute) of the rehearsal: every result for `metric`
 * (namespace AWS/Lambda), only for the series of `functionName` when it is given, comes back with
 * `statusCode`, no values and no NextToken.
 */
export interface MetricStatusFault {
    readonly metric: string;
    readonly statusCode: MetricStatusCode;
    readonly fromMinute: number;
    readonly toMinute: number;
    readonly functionName?: string;
}

/** A window of rehearsal minutes, [fromMinute, toMinute). */
export interface MinuteWindow {
    readonly fromMinute: number;
    readonly toMinute: number;
}

/** Which status wins when several faults touch one result (or one expression's inputs). */
const SEVERITY: readonly MetricStatusCode[] = ["Forbidden", "InternalError", "PartialData"];

function checkWindow(method: string, fromMinute: number, toMinute: number): void {
    if (!Number.isFinite(fromMinute)) throw new Error(`${method}: \`fromMinute\` must be a number of minutes, got ${fromMinute}.`);
    if (!(toMinute > fromMinute) || !Number.isFinite(toMinute))
        throw new Error(`${method}: \`toMinute\` (${toMinute}) must be after \`fromMinute\` (${fromMinute}).`);
}

const within = (minute: number, window: MinuteWindow) => minute >= window.fromMinute && minute < window.toMinute;

/**
 * The faults a simulated account has been told to inject, and the errors they produce, as AWS shapes
 * them. Every fault added applies: two windows of one kind both hold, two conflicts on one function add up.
 * Times are rehearsal minutes (SimulatedAws.minute()) at the moment of the call.
 */
export class InjectedFaults {
    private readonly outages: MinuteWindow[] = [];
    private readonly metricStatuses: MetricStatusFault[] = [];
    private readonly alarmsThrottled: MinuteWindow[] = [];
    private readonly aliasConflicts = new Map<string, number>();
    private credentialsExpireAt?: number;

    /** @param minute the rehearsal minute now (SimulatedAws.minute) */
    constructor(private readonly minute: () => number) {}

    /** See SimulatedAws.addCloudWatchOutage. */
    addCloudWatchOutage(fromMinute: number, toMinute: number): void {
        checkWindow("addCloudWatchOutage", fromMinute, toMinute);
        this.outages.push({ fromMinute, toMinute });
    }

    /** See SimulatedAws.addMetricStatusFault. */
    addMetricStatusFault(fault: MetricStatusFault): void {
        checkWindow("addMetricStatusFault", fault.fromMinute, fault.toMinute);
        if (!SEVERITY.includes(fault.statusCode))
            throw new Error(`addMetricStatusFault: \`statusCode\` must be one of ${SEVERITY.join(", ")}, got ${fault.statusCode}.`);
        if (!fault.metric) throw new Error("addMetricStatusFault: `metric` is required.");
        this.metricStatuses.push({ ...fault });
    }

    /** See SimulatedAws.addAlarmsUnreadable. */
    addAlarmsUnreadable(fromMinute: number, toMinute: number): void {
        checkWindow("addAlarmsUnreadable", fromMinute, toMinute);
        this.alarmsThrottled.push({ fromMinute, toMinute });
    }

    /** See SimulatedAws.addAliasConflict. */
    addAliasConflict(functionName: string, times: number): void {
        if (!functionName) throw new Error("addAliasConflict: `functionName` is required.");
        if (!Number.isInteger(times) || times < 1)
            throw new Error(`addAliasConflict: \`times\` must be a whole number >= 1, got ${times}.`);
        this.aliasConflicts.set(functionName, (this.aliasConflicts.get(functionName) ?? 0) + times);
    }

    /** See SimulatedAws.expireCredentialsAt. */
    expireCredentialsAt(minute: number): void {
        if (!(minute >= 0) || !Number.isFinite(minute))
            throw new Error(`expireCredentialsAt: \`minute\` must be a number of minutes >= 0, got ${minute}.`);
        this.credentialsExpireAt = Math.min(this.credentialsExpireAt ?? Infinity, minute);
    }

    /** See SimulatedAws.credentialsExpired. */
    credentialsExpired(): boolean {
        return this.credentialsExpireAt !== undefined && this.minute() >= this.credentialsExpireAt;
    }

    /** Every call of a simulated client meets this first: the SDK's error for an expired session token. */
    checkCredentials(): void {
        if (this.credentialsExpired()) {
            throw clientError(
                "ExpiredTokenException",
                `The security token included in the request is expired (simulated: credentials expired at minute ${this.credentialsExpireAt}).`,
                403,
            );
        }
    }

    /** Every CloudWatch call: expired credentials, then an outage (ServiceUnavailable, 503). */
    checkCloudWatch(): void {
        this.checkCredentials();
        const minute = this.minute();
        const outage = this.outages.find((o) => within(minute, o));
        if (outage) {
            throw serverError(
                "ServiceUnavailable",
                `CloudWatch is unavailable (simulated outage from minute ${outage.fromMinute} to ${outage.toMinute}); retry later.`,
            );
        }
    }

    /** DescribeAlarms: CloudWatch's throttling error (`Throttling`, 400, client fault) in an unreadable window. */
    checkDescribeAlarms(): void {
        const minute = this.minute();
        const window = this.alarmsThrottled.find((w) => within(minute, w));
        if (window)
            throw clientError(
                "Throttling",
                `Rate exceeded (simulated: DescribeAlarms throttled from minute ${window.fromMinute} to ${window.toMinute}).`,
                400,
            );
    }

    /** UpdateAlias of a function: ResourceConflictException (409) while conflicts remain, each call using one. */
    checkUpdateAlias(functionName: string): void {
        const remaining = this.aliasConflicts.get(functionName) ?? 0;
        if (remaining === 0) return;
        this.aliasConflicts.set(functionName, remaining - 1);
        throw clientError(
            "ResourceConflictException",
            `The operation cannot be performed at this time. An update is in progress for resource: ${functionArn(functionName)}`,
            409,
        );
    }

    /** The status GetMetricData gives results of this series now, or undefined when they are Complete. */
    metricStatus(namespace: string, metricName: string, dimensions: Dimensions): MetricStatusCode | undefined {
        if (namespace !== LAMBDA_NAMESPACE || this.metricStatuses.length === 0) return undefined;
        const minute = this.minute();
        const statuses = this.metricStatuses
            .filter(
                (f) =>
                    f.metric === metricName &&
                    within(minute, f) &&
                    (f.functionName === undefined || dimensions.FunctionName === f.functionName),
            )
            .map((f) => f.statusCode);
        return worstStatus(statuses);
    }
}

/** The most severe of some statuses (Forbidden, then InternalError, then PartialData); undefined for none. */
export function worstStatus(statuses: readonly (MetricStatusCode | undefined)[]): MetricStatusCode | undefined {
    return SEVERITY.find((status) => statuses.includes(status));
}
