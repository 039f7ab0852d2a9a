/**
 * A direct Invoke of a function (a smoke test, a Lambda hook): through an alias it is routed like user traffic,
 * otherwise it runs the named version; it answers what the version's invoke handler returns, fails as the
 * version's profile says (a timeout, a throttle at the concurrency limit) and is recorded in Lambda's metrics.
 */
import { clientError } from "./errors";
import type { LambdaControlPlane } from "./lambdaControlPlane";
import type { InvokeResult } from "./lambdaApi";
import { recordOutcome, versionInvocationSeries } from "./lambdaMetrics";
import type { MetricStore } from "./metricStore";
import { lognormalParameters } from "./profiles";
import type { Random } from "./random";
import { QuantileSketch } from "./statistics";
import type { RequestOutcome } from "./traffic";
import type { UserTraffic } from "./userTraffic";

/** What a test invocation runs in place of the version's code. */
export type InvokeHandler = (payload: unknown) => { payload: unknown; functionError?: string };

/** The account's direct invocations, drawing from their own random stream. */
export class DirectInvocations {
    private readonly handlers = new Map<string, InvokeHandler>();

    constructor(
        private readonly control: LambdaControlPlane,
        private readonly metrics: MetricStore,
        private readonly users: UserTraffic,
        /** Direct invocations draw from their own stream: a smoke test must not change the traffic of the same seed. */
        private readonly random: Random,
        /** Virtual time (epoch ms), and minutes since the rehearsal's start (the clock profiles are written in). */
        private readonly nowMs: () => number,
        private readonly minute: () => number,
    ) {}

    /** What a direct Invoke of this version returns (the smoke test's view of the version). */
    setHandler(functionName: string, version: string, handler: InvokeHandler): void {
        this.handlers.set(`${functionName}\u0000${version}`, handler);
    }

    invoke(functionName: string, qualifier: string | undefined, payload: unknown): InvokeResult {
        const viaAlias = qualifier !== undefined && this.control.isAlias(functionName, qualifier) ? qualifier : undefined;
        let version: string;
        if (viaAlias !== undefined) {
            const routing = this.control.routing(functionName, viaAlias)!;
            version =
                routing.additional && this.random.uniform() < routing.additional.weight
                    ? routing.additional.version
                    : routing.primaryVersion;
        } else {
            version = qualifier ?? "$LATEST";
            this.control.version(functionName, version);
        }
        const series =
            viaAlias !== undefined
                ? this.users.aliasSeries(functionName, viaAlias, version)
                : this.users.series(`version\u0000${functionName}\u0000${version}`, () =>
                      versionInvocationSeries(this.metrics, functionName, version),
                  );
        const timeoutMs = this.control.version(functionName, version).timeoutSeconds * 1000;
        // At the function's concurrency limit a synchronous Invoke is refused, not run: 429 TooManyRequestsException
        // with the limit as its Reason ("Understanding Lambda function scaling"; the Invoke API reference's errors).
        const share = this.users.throttledShareNow(functionName);
        if (share > 0 && this.random.uniform() < share) {
            const empty = new QuantileSketch();
            recordOutcome(this.metrics, series, this.nowMs(), {
                requests: 1,
                throttles: 1,
                invocations: 0,
                errors: 0,
                timeouts: 0,
                durations: { count: 0, sum: 0, min: Infinity, max: -Infinity, sketch: empty },
                timeoutMs,
            });
            const reserved = this.users.isReserved(functionName);
            const error = clientError("TooManyRequestsException", "Rate Exceeded.", 429) as Error & { Reason?: string };
            error.Reason = reserved ? "ReservedFunctionConcurrentInvocationLimitExceeded" : "ConcurrentInvocationLimitExceeded";
            throw error;
        }
        const handler = this.handlers.get(`${functionName}\u0000${version}`);
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
        const { mu, sigma } = lognormalParameters(this.users.profileOf(functionName, version, this.minute()));
        const drawn = this.random.lognormal(mu, sigma);
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
        recordOutcome(this.metrics, series, this.nowMs(), outcome);
        return { executedVersion: version, payload: result.payload, functionError: result.functionError };
    }
}
