import { expect } from "chai";
import { GetMetricDataCommand, type MetricDataQuery } from "@aws-sdk/client-cloudwatch";
import { InvokeCommand } from "@aws-sdk/client-lambda";
import { SimulatedAws } from "../../../automation/simulator/simulatedAws";
import { concurrencyPools, meanDurationMs, normalCdf, throttledShare } from "../../../automation/simulator/concurrency";
import { createRandom } from "../../../automation/simulator/random";
import { simulateRequests } from "../../../automation/simulator/traffic";

const START = new Date("2024-05-01T10:00:00Z");
const MINUTE = 60_000;
const ROLE = "arn:aws:iam::123456789012:role/api";

/** `api` (timeout 10 s, reserved 200) with versions 1 and 2 behind `live`, at 9000 rpm. */
function account(opts: { reserved?: number; weight?: number } = {}): SimulatedAws {
    const aws = new SimulatedAws({ seed: 5, startTime: START, metricDelayMinutes: 0 });
    aws.putFunction({ name: "api", role: ROLE, timeoutSeconds: 10 });
    aws.setReservedConcurrency("api", "reserved" in opts ? opts.reserved : 200);
    aws.publishVersion("api");
    aws.publishVersion("api");
    aws.putAlias("api", "live", "1", opts.weight ? { "2": opts.weight } : undefined);
    aws.setTraffic("api", "live", 9000);
    return aws;
}

const sum = (aws: SimulatedAws, metricName: string, dimensions: Record<string, string>, statName = "Sum"): Promise<number[]> =>
    aws.cloudWatch
        .send(
            new GetMetricDataCommand({
                StartTime: START,
                EndTime: new Date(START.getTime() + 60 * MINUTE),
                MetricDataQueries: [
                    {
                        Id: "m",
                        MetricStat: {
                            Metric: {
                                Namespace: "AWS/Lambda",
                                MetricName: metricName,
                                Dimensions: Object.entries(dimensions).map(([Name, Value]) => ({ Name, Value })),
                            },
                            Period: 3600,
                            Stat: statName,
                        },
                    } satisfies MetricDataQuery,
                ],
            }),
        )
        .then((out) => (out as { MetricDataResults: Array<{ Values: number[] }> }).MetricDataResults[0].Values);

describe("simulated Lambda concurrency (Little's law per second, reserved and account limits)", () => {
    describe("the pure rules", () => {
        it("throttles the excess share of a second's requests, none at or under the limit", () => {
            expect(throttledShare(150, 200)).to.equal(0);
            expect(throttledShare(200, 200)).to.equal(0);
            expect(throttledShare(250, 200)).to.be.closeTo(0.2, 1e-12);
            expect(throttledShare(10, 0)).to.equal(1);
        });

        it("a version's mean duration is its log-normal's mean, cut at the timeout", () => {
            // p50 1500, p99 4200: sigma 0.4426, mean 1500 e^(sigma^2/2) = 1654 ms; far under a 10 s timeout.
            expect(meanDurationMs({ errorRate: 0, p50Ms: 1500, p99Ms: 4200 }, 10_000)).to.be.closeTo(1654, 2);
            // Cut at the median: below both the median and the uncut mean.
            expect(meanDurationMs({ errorRate: 0, p50Ms: 1000, p99Ms: 10_000 }, 1000)).to.be.below(1000);
            // Everything times out: the timeout.
            expect(meanDurationMs({ errorRate: 0, p50Ms: 500, p99Ms: 900, timeoutRate: 1 }, 3000)).to.equal(3000);
            expect(normalCdf(0)).to.be.closeTo(0.5, 1e-7);
            expect(normalCdf(2.3263)).to.be.closeTo(0.99, 1e-4);
        });

        it("a function with reserved concurrency has its own limit; the others share the account's 1000 minus every reservation", () => {
            const pools = concurrencyPools(
                new Map([
                    ["api", 200],
                    ["worker", undefined],
                    ["cron", undefined],
                ]),
            );
            expect(pools.get("api")).to.deep.equal({ pool: "api", limit: 200 });
            expect(pools.get("worker")).to.deep.equal({ pool: "", limit: 800 });
            expect(pools.get("cron")).to.deep.equal({ pool: "", limit: 800 });
        });
    });

    it("a call drawn past the function's timeout lasts the timeout and is an error (never a Duration above it)", () => {
        const out = simulateRequests(createRandom(3), { errorRate: 0, p50Ms: 3000, p99Ms: 20_000 }, 5000, 10_000);
        expect(out.durations.max).to.be.at.most(10_000);
        expect(out.timeouts).to.be.within(250, 450); // about 7% of 5000
        expect(out.errors).to.equal(out.timeouts);
        expect(out.durations.count + out.timeouts).to.equal(5000);
    });

    it("over its reserved concurrency, both versions are throttled: not invoked, counted in Throttles per function and per alias", async () => {
        // 150 requests a second; version 2 lasts ~1.65 s, version 1 ~0.95 s: at 50% about 195 wanted on average.
        const aws = account({ weight: 0.5 });
        aws.setVersionProfile("api", "1", { errorRate: 0, p50Ms: 850, p99Ms: 2500 });
        aws.setVersionProfile("api", "2", { errorRate: 0, p50Ms: 1500, p99Ms: 4200 });
        aws.advance(10 * MINUTE);
        const counts = aws.requestCounts("api");
        expect(counts.byVersion["1"].throttles).to.be.above(100);
        expect(counts.byVersion["2"].throttles).to.be.above(100);
        const requests = counts.total;
        const throttles = counts.byVersion["1"].throttles + counts.byVersion["2"].throttles;
        const [invocations] = await sum(aws, "Invocations", { FunctionName: "api" });
        expect(invocations).to.equal(requests - throttles);
        expect(await sum(aws, "Throttles", { FunctionName: "api" })).to.deep.equal([throttles]);
        expect(await sum(aws, "Throttles", { FunctionName: "api", Resource: "api:live" })).to.deep.equal([throttles]);
        // What ran kept within the limit on average: invocations a second x mean duration.
        expect((invocations / 600) * (0.5 * 0.946 + 0.5 * 1.654)).to.be.at.most(200);
    });

    it("the same traffic well under the limit is never throttled, and draws nothing more (the seed's traffic is unchanged)", async () => {
        const limited = account({ reserved: 200 });
        const unlimited = account({ reserved: undefined });
        for (const aws of [limited, unlimited]) {
            aws.setVersionProfile("api", "1", { errorRate: 0.01, p50Ms: 80, p99Ms: 400 });
            aws.advance(5 * MINUTE);
        }
        expect(limited.requestCounts("api")).to.deep.equal(unlimited.requestCounts("api"));
        expect(limited.requestCounts("api").byVersion["1"].throttles).to.equal(0);
    });

    it("a direct Invoke at the limit is answered 429 TooManyRequestsException, Reason ReservedFunctionConcurrentInvocationLimitExceeded", async () => {
        // Every version asks for ~210 concurrent at 9000 rpm: about 5% of each second's calls are refused.
        const aws = account();
        aws.setVersionProfile("api", "1", { errorRate: 0, p50Ms: 1270, p99Ms: 3500 });
        aws.setVersionProfile("api", "2", { errorRate: 0, p50Ms: 1270, p99Ms: 3500 });
        aws.setInvokeHandler("api", "2", () => ({ payload: { ok: true } }));
        aws.advance(MINUTE);
        const answers: string[] = [];
        for (let i = 0; i < 200; i++) {
            try {
                const out = await aws.lambda.send(new InvokeCommand({ FunctionName: "api", Qualifier: "2" }));
                answers.push(String((out as { StatusCode: number }).StatusCode));
            } catch (error) {
                const e = error as Error & { Reason?: string; $metadata: { httpStatusCode: number } };
                answers.push(`${e.$metadata.httpStatusCode} ${e.name} ${e.Reason}`);
            }
        }
        const refused = answers.filter((a) => a !== "200");
        expect(refused.length).to.be.within(1, 40);
        expect(new Set(refused)).to.deep.equal(new Set(["429 TooManyRequestsException ReservedFunctionConcurrentInvocationLimitExceeded"]));
        aws.advance(MINUTE); // the minute's datapoints appear once it is over
        expect(await sum(aws, "Throttles", { FunctionName: "api", Resource: "api:2" })).to.deep.equal([refused.length]);
    });

    it("a direct Invoke drawn past the timeout is stopped there: an Unhandled Sandbox.Timedout error, Duration the timeout", async () => {
        const aws = account();
        aws.setTraffic("api", "live", 0);
        aws.setVersionProfile("api", "2", { errorRate: 0, p50Ms: 60_000, p99Ms: 60_000 });
        aws.setInvokeHandler("api", "2", () => ({ payload: { ok: true } }));
        const out = (await aws.lambda.send(new InvokeCommand({ FunctionName: "api", Qualifier: "2" }))) as {
            FunctionError?: string;
            Payload: Uint8Array;
        };
        expect(out.FunctionError).to.equal("Unhandled");
        expect(JSON.parse(new TextDecoder().decode(out.Payload))).to.deep.equal({
            errorType: "Sandbox.Timedout",
            errorMessage: "Task timed out after 10.00 seconds",
        });
        aws.advance(MINUTE);
        expect(await sum(aws, "Duration", { FunctionName: "api" }, "Maximum")).to.deep.equal([10_000]);
        expect(await sum(aws, "Errors", { FunctionName: "api" })).to.deep.equal([1]);
    });
});

describe("simulated asynchronous invocations (two retries, then the dead-letter queue)", () => {
    const DLQ = "arn:aws:sqs:us-east-1:123456789012:worker-dlq";
    function worker(deadLetterTargetArn?: string): SimulatedAws {
        const aws = new SimulatedAws({ seed: 9, startTime: START, metricDelayMinutes: 0 });
        aws.putFunction({ name: "worker", role: ROLE, timeoutSeconds: 30, deadLetterTargetArn });
        aws.publishVersion("worker");
        aws.putAlias("worker", "live", "1");
        aws.setTraffic("worker", "live", 60, { asynchronous: true });
        return aws;
    }
    const metric = (aws: SimulatedAws, metricName: string, dimensions: Record<string, string>) => sum(aws, metricName, dimensions);

    it("a failed event is run three times in all; when the write to the dead-letter queue fails, DeadLetterErrors counts it", async () => {
        const aws = worker(DLQ);
        aws.setVersionProfile("worker", "1", { errorRate: 1, p50Ms: 100, p99Ms: 200, deadLetterFailureRate: 1 });
        aws.advance(10 * MINUTE); // events of the first 7 minutes have had all three attempts
        const counts = aws.requestCounts("worker").byVersion["1"];
        const [invocations] = await metric(aws, "Invocations", { FunctionName: "worker" });
        const [deadLetterErrors] = await metric(aws, "DeadLetterErrors", { FunctionName: "worker" });
        expect(invocations).to.be.within(3 * counts.errors, 3 * counts.requests);
        expect(deadLetterErrors).to.equal(counts.errors);
        expect(counts.errors).to.be.within(0.6 * counts.requests, counts.requests);
        expect(await metric(aws, "DeadLetterErrors", { FunctionName: "worker", Resource: "worker:live" })).to.deep.equal([
            deadLetterErrors,
        ]);
    });

    it("an event that fails once and then succeeds is no failure for its user, though its first attempt is in Errors", async () => {
        const aws = worker(DLQ);
        aws.setVersionProfile("worker", "1", { errorRate: 0.3, p50Ms: 100, p99Ms: 200, deadLetterFailureRate: 1 });
        aws.advance(10 * MINUTE);
        const counts = aws.requestCounts("worker").byVersion["1"];
        const [errors] = await metric(aws, "Errors", { FunctionName: "worker" });
        // About 30% of attempts fail, but only 0.3^3 = 2.7% of events fail all three.
        expect(errors).to.be.above(0.2 * counts.requests);
        expect(counts.errors).to.be.below(0.1 * counts.requests);
    });

    it("written to the queue (deadLetterFailureRate 0), or with no queue configured (the event is discarded), no DeadLetterErrors", async () => {
        for (const aws of [worker(DLQ), worker(undefined)]) {
            aws.setVersionProfile("worker", "1", { errorRate: 1, p50Ms: 100, p99Ms: 200 });
            aws.advance(10 * MINUTE);
            expect(total(await metric(aws, "DeadLetterErrors", { FunctionName: "worker" }))).to.equal(0);
            expect(aws.requestCounts("worker").byVersion["1"].errors).to.be.above(0);
        }
    });
});

function total(values: number[]): number {
    return values.reduce((a, b) => a + b, 0);
}
