import { expect } from "chai";
import {
    DescribeAlarmsCommand,
    GetMetricDataCommand,
    ListMetricsCommand,
    type DescribeAlarmsCommandOutput,
    type MetricDataQuery,
} from "@aws-sdk/client-cloudwatch";
import {
    CreateAliasCommand,
    GetAliasCommand,
    GetFunctionConfigurationCommand,
    GetProvisionedConcurrencyConfigCommand,
    InvokeCommand,
    ListVersionsByFunctionCommand,
    UpdateAliasCommand,
} from "@aws-sdk/client-lambda";
import { SimulatedAws, type SimulatedAwsOptions } from "../../../automation/simulator/simulatedAws";
import { profileAt, type TimedProfile } from "../../../automation/simulator/profiles";
import { evaluateAlarmRange, evaluateAlarmRule, parseAlarmRule, type AlarmRule } from "../../../automation/simulator/alarms";
import { evaluateExpression, parseExpression, type Series } from "../../../automation/simulator/metricMath";
import { functionArn } from "../../../automation/simulator/lambdaControlPlane";

const START = new Date("2024-05-01T10:00:00Z");
const MINUTE = 60_000;
const ROLE = "arn:aws:iam::123456789012:role/api";

/** A function `api` with versions 1 and 2 and an alias `live` on 1. */
function account(opts: Partial<SimulatedAwsOptions> = {}): SimulatedAws {
    const aws = new SimulatedAws({ seed: 7, startTime: START, metricDelayMinutes: 0, ...opts });
    aws.putFunction({ name: "api", role: ROLE, timeoutSeconds: 3 });
    aws.publishVersion("api");
    aws.publishVersion("api");
    aws.putAlias("api", "live", "1");
    return aws;
}

const dims = (record: Record<string, string>) => Object.entries(record).map(([Name, Value]) => ({ Name, Value }));

function stat(
    id: string,
    metricName: string,
    dimensions: Record<string, string>,
    statName = "Sum",
    period = 60,
    returnData = true,
): MetricDataQuery {
    return {
        Id: id,
        ReturnData: returnData,
        MetricStat: {
            Metric: { Namespace: "AWS/Lambda", MetricName: metricName, Dimensions: dims(dimensions) },
            Period: period,
            Stat: statName,
        },
    };
}

async function query(
    aws: SimulatedAws,
    queries: MetricDataQuery[],
    fromMinute = 0,
    toMinute = aws.minute(),
    extra: { ScanBy?: "TimestampAscending" } = {},
) {
    const output = await aws.cloudWatch.send(
        new GetMetricDataCommand({
            StartTime: new Date(START.getTime() + fromMinute * MINUTE),
            EndTime: new Date(START.getTime() + toMinute * MINUTE),
            MetricDataQueries: queries,
            ...extra,
        }),
    );
    return output.MetricDataResults as Array<{ Id: string; Label: string; Timestamps: Date[]; Values: number[]; StatusCode: string }>;
}

const total = (values: number[]) => values.reduce((a, b) => a + b, 0);

async function rejection(promise: Promise<unknown>): Promise<Error & { $fault?: string; $metadata?: { httpStatusCode: number } }> {
    try {
        await promise;
    } catch (error) {
        return error as Error & { $fault?: string; $metadata?: { httpStatusCode: number } };
    }
    throw new Error("expected a rejection");
}

function thrown(f: () => unknown): Error {
    try {
        f();
    } catch (error) {
        return error as Error;
    }
    throw new Error("expected an error");
}

const VERSION_2 = { FunctionName: "api", Resource: "api:live", ExecutedVersion: "2" };

/** An errors alarm (Sum over a minute) as the PutMetricAlarm input; tests change what they need. */
const candidateErrorsAlarmDef = {
    name: "api-candidate-errors",
    comparisonOperator: "GreaterThanThreshold",
    evaluationPeriods: 3,
    datapointsToAlarm: 2,
    threshold: 5,
    namespace: "AWS/Lambda",
    metricName: "Errors",
    dimensions: VERSION_2 as Record<string, string>,
    statistic: "Sum",
    period: 60,
};

describe("simulator: profiles", () => {
    const schedule: TimedProfile[] = [
        { fromMinute: 20, errorRate: 0.05, p50Ms: 80, p99Ms: 400 },
        { fromMinute: 0, errorRate: 0.001, p50Ms: 80, p99Ms: 400 },
    ];
    for (const [minute, errorRate] of [
        [0, 0.001],
        [19.99, 0.001],
        [20, 0.05],
        [90, 0.05],
        [-1, 0.001],
    ] as const) {
        it(`profileAt minute ${minute} gives the entry in force then (errorRate ${errorRate}), in any list order`, () => {
            expect(profileAt(schedule, minute).errorRate).to.equal(errorRate);
        });
    }

    it("a single profile applies at every minute", () => {
        expect(profileAt({ errorRate: 0.1, p50Ms: 1, p99Ms: 2 }, 500).errorRate).to.equal(0.1);
    });

    it("an unusable profile is refused with the field named", () => {
        const aws = account();
        expect(thrown(() => aws.setVersionProfile("api", "2", { errorRate: 1.5, p50Ms: 80, p99Ms: 400 })).message).to.contain(
            "`errorRate`",
        );
        expect(thrown(() => aws.setVersionProfile("api", "2", { errorRate: 0, p50Ms: 80, p99Ms: 40 })).message).to.contain("`p99Ms`");
    });
});

describe("simulator: traffic", () => {
    it("a 10% weight sends 10% ± 2% of 30,000 requests to the additional version", () => {
        const aws = account();
        aws.putAlias("api", "live", "1", { "2": 0.1 });
        aws.setTraffic("api", "live", 3000);
        aws.advance(10 * MINUTE);
        const counts = aws.requestCounts("api");
        expect(counts.total).to.be.within(29_000, 31_000);
        expect(counts.byVersion["2"].requests / counts.total).to.be.within(0.08, 0.12);
        expect(counts.byVersion["1"].requests + counts.byVersion["2"].requests).to.equal(counts.total);
    });

    it("requests arrive at the configured rate: 300/min gives 18,000 ± 3% in an hour, spread over every minute", async () => {
        const aws = account();
        aws.setTraffic("api", "live", 300);
        aws.advance(60 * MINUTE + 1);
        expect(aws.requestCounts("api").total).to.be.within(17_460, 18_540);
        const [invocations] = await query(aws, [stat("inv", "Invocations", { FunctionName: "api" })], 0, 60);
        expect(invocations.Values).to.have.length(60);
        expect(Math.min(...invocations.Values)).to.be.greaterThan(200);
    });

    it("error, throttle and timeout rates show in what users got and in the metrics; throttles are not invocations", async () => {
        const aws = account();
        aws.setDefaultProfile("api", { errorRate: 0.05, throttleRate: 0.1, timeoutRate: 0.02, p50Ms: 50, p99Ms: 200 });
        aws.setTraffic("api", "live", 2000);
        aws.advance(10 * MINUTE);
        const { total: requests, byVersion } = aws.requestCounts("api");
        const v1 = byVersion["1"];
        expect(v1.throttles / requests).to.be.within(0.09, 0.11);
        const invocationsExpected = requests - v1.throttles;
        // error with 5%, else timeout with 2%: 1 - 0.95 * 0.98 = 6.9%
        expect(v1.errors / invocationsExpected).to.be.within(0.06, 0.078);
        aws.advance(MINUTE);
        const [inv, err, thr, maxDuration] = await query(
            aws,
            [
                stat("inv", "Invocations", { FunctionName: "api" }),
                stat("err", "Errors", { FunctionName: "api" }),
                stat("thr", "Throttles", { FunctionName: "api" }),
                stat("dmax", "Duration", { FunctionName: "api" }, "Maximum", 600),
            ],
            0,
            10,
        );
        expect(total(inv.Values)).to.equal(invocationsExpected);
        expect(total(err.Values)).to.equal(v1.errors);
        expect(total(thr.Values)).to.equal(v1.throttles);
        expect(maxDuration.Values).to.deep.equal([3000]);
    });

    it("durations follow the profile: p50 and p99 of 20,000 invocations within 10% of p50Ms and p99Ms", async () => {
        const aws = account();
        aws.setDefaultProfile("api", { errorRate: 0, p50Ms: 80, p99Ms: 400 });
        aws.setTraffic("api", "live", 2000);
        aws.advance(10 * MINUTE);
        aws.advance(MINUTE);
        const [p50, p99] = await query(
            aws,
            [stat("pa", "Duration", { FunctionName: "api" }, "p50", 600), stat("pb", "Duration", { FunctionName: "api" }, "p99", 600)],
            0,
            10,
        );
        expect(p50.Values[0]).to.be.within(72, 88);
        expect(p99.Values[0]).to.be.within(360, 440);
    });

    it("the same seed replays the same rehearsal and another seed does not", () => {
        const run = (seed: number) => {
            const aws = account({ seed });
            aws.putAlias("api", "live", "1", { "2": 0.3 });
            aws.setDefaultProfile("api", { errorRate: 0.1, p50Ms: 80, p99Ms: 400 });
            aws.setTraffic("api", "live", 500);
            aws.advance(15 * MINUTE);
            return aws.requestCounts("api");
        };
        expect(run(11)).to.deep.equal(run(11));
        expect(run(11)).to.not.deep.equal(run(12));
    });

    it("a profile list switches at its minute: the candidate fails from minute 20 on, not before", () => {
        const aws = account();
        aws.putAlias("api", "live", "1", { "2": 0.5 });
        aws.setVersionProfile("api", "2", [
            { fromMinute: 0, errorRate: 0, p50Ms: 80, p99Ms: 400 },
            { fromMinute: 20, errorRate: 0.5, p50Ms: 80, p99Ms: 400 },
        ]);
        aws.setTraffic("api", "live", 600);
        aws.advance(20 * MINUTE);
        const before = aws.requestCounts("api").byVersion["2"];
        expect(before.errors).to.equal(0);
        aws.advance(10 * MINUTE);
        const after = aws.requestCounts("api").byVersion["2"];
        expect(after.errors / (after.requests - before.requests)).to.be.within(0.45, 0.55);
        expect(aws.requestCounts("api").byVersion["1"].errors).to.equal(0);
    });

    it("traffic follows the alias as it is between advance() calls", () => {
        const aws = account();
        aws.setTraffic("api", "live", 1000);
        aws.advance(5 * MINUTE);
        expect(aws.requestCounts("api").byVersion["2"]).to.equal(undefined);
        aws.putAlias("api", "live", "2");
        aws.advance(5 * MINUTE);
        const counts = aws.requestCounts("api");
        expect(counts.byVersion["2"].requests).to.be.within(4700, 5300);
        expect(counts.byVersion["1"].requests).to.be.within(4700, 5300);
    });

    it("advance() moves virtual time and minute() counts from startTime", () => {
        const aws = account();
        aws.advance(90_000);
        expect(aws.now().toISOString()).to.equal("2024-05-01T10:01:30.000Z");
        expect(aws.minute()).to.equal(1.5);
    });
});

describe("simulator: metrics", () => {
    it("a minute's datapoint is invisible before minute + 1 + delay and visible from then on", async () => {
        const aws = account({ metricDelayMinutes: 2 });
        aws.setTraffic("api", "live", 300);
        aws.advance(MINUTE);
        aws.setTraffic("api", "live", 0);
        const minute0 = () => query(aws, [stat("inv", "Invocations", { FunctionName: "api" })], 0, 1);
        aws.advance(2 * MINUTE - 1);
        expect((await minute0())[0].Values).to.deep.equal([]);
        aws.advance(1);
        const [visible] = await minute0();
        expect(visible.Timestamps).to.deep.equal([START]);
        expect(visible.Values[0]).to.equal(aws.requestCounts("api").total);
    });

    it("with a variable delay ({min, max}), one minute's series arrive at different times, each within its range", async () => {
        const aws = account({ metricDelayMinutes: { min: 1, max: 4 } });
        aws.setTraffic("api", "live", 300);
        aws.advance(MINUTE);
        aws.setTraffic("api", "live", 0);
        const arrivals: Record<string, number> = {};
        for (let t = 0; t <= 5 * 60; t += 5) {
            for (const metric of ["Invocations", "Errors", "Duration"]) {
                const [r] = await query(aws, [stat("m", metric, { FunctionName: "api" }, metric === "Duration" ? "Maximum" : "Sum")], 0, 1);
                if (r.Values.length > 0 && arrivals[metric] === undefined) arrivals[metric] = t;
            }
            aws.advance(5_000);
        }
        // Seconds after the minute's end: each arrives 1 to 4 minutes late (plus its slowest call: at most the 3 s timeout).
        for (const t of Object.values(arrivals)) expect(t).to.be.within(60, 240 + 5);
        expect(Object.keys(arrivals)).to.have.members(["Invocations", "Errors", "Duration"]);
        expect(new Set(Object.values(arrivals)).size).to.be.greaterThan(1);
    });

    it("with variable delays a minute is whole only once its slowest call ended: a timeout holds it back by the timeout", async () => {
        const late = account({ metricDelayMinutes: { min: 1, max: 1 } });
        late.setVersionProfile("api", "1", { errorRate: 0, p50Ms: 2500, p99Ms: 9000 });
        late.setTraffic("api", "live", 600);
        late.advance(MINUTE);
        late.setTraffic("api", "live", 0);
        late.advance(MINUTE + 1_000);
        const [early] = await query(late, [stat("inv", "Invocations", { FunctionName: "api" })], 0, 1);
        expect(early.Values).to.deep.equal([]);
        late.advance(3_000);
        const [whole] = await query(late, [stat("inv", "Invocations", { FunctionName: "api" })], 0, 1);
        expect(whole.Values).to.have.length(1);
    });

    it("dimension sets match exactly and in any order: {FunctionName} never sees the per-version series", async () => {
        const aws = account();
        aws.putAlias("api", "live", "1", { "2": 0.2 });
        aws.setTraffic("api", "live", 1000);
        aws.advance(5 * MINUTE);
        const counts = aws.requestCounts("api");
        const [all, perFunction, perAlias, perVersion, reordered, partial, unknown] = await query(aws, [
            stat("all", "Invocations", {}),
            stat("fn", "Invocations", { FunctionName: "api" }),
            stat("alias", "Invocations", { FunctionName: "api", Resource: "api:live" }),
            stat("version", "Invocations", VERSION_2),
            stat("reordered", "Invocations", { ExecutedVersion: "2", Resource: "api:live", FunctionName: "api" }),
            stat("partial", "Invocations", { FunctionName: "api", ExecutedVersion: "2" }),
            stat("unknown", "Invocations", { FunctionName: "other" }),
        ]);
        expect(total(all.Values)).to.equal(counts.total);
        expect(total(perFunction.Values)).to.equal(counts.total);
        expect(total(perAlias.Values)).to.equal(counts.total);
        expect(total(perVersion.Values)).to.equal(counts.byVersion["2"].requests);
        expect(reordered.Values).to.deep.equal(perVersion.Values);
        expect(partial.Values).to.deep.equal([]);
        expect(unknown.Values).to.deep.equal([]);
    });

    it("a version-only series (direct Invoke) is not seen by the alias or {FunctionName, ExecutedVersion} queries", async () => {
        const aws = account();
        aws.setInvokeHandler("api", "2", () => ({ payload: "ok" }));
        await aws.lambda.send(new InvokeCommand({ FunctionName: "api", Qualifier: "2", Payload: new TextEncoder().encode("{}") }));
        aws.advance(MINUTE);
        const [byFunction, byVersionResource, byAlias, byExecutedVersion, all] = await query(aws, [
            stat("fn", "Invocations", { FunctionName: "api" }),
            stat("res", "Invocations", { FunctionName: "api", Resource: "api:2" }),
            stat("alias", "Invocations", { FunctionName: "api", Resource: "api:live" }),
            stat("exec", "Invocations", { FunctionName: "api", Resource: "api:2", ExecutedVersion: "2" }),
            stat("all", "Invocations", {}),
        ]);
        expect(byFunction.Values).to.deep.equal([1]);
        expect(byVersionResource.Values).to.deep.equal([1]);
        expect(byAlias.Values).to.deep.equal([]);
        expect(byExecutedVersion.Values).to.deep.equal([]);
        expect(all.Values).to.deep.equal([]);
        expect(aws.requestCounts("api").total).to.equal(0);
    });

    it("minutes without invocations have no datapoints; a minute with invocations and no errors has Errors 0", async () => {
        const aws = account();
        aws.setTraffic("api", "live", 600);
        aws.advance(2 * MINUTE);
        aws.setTraffic("api", "live", 0);
        aws.advance(2 * MINUTE);
        aws.setTraffic("api", "live", 600);
        aws.advance(MINUTE);
        aws.advance(MINUTE);
        const [inv, err] = await query(
            aws,
            [
                stat("inv", "Invocations", { FunctionName: "api" }),
                stat("err", "Errors", { FunctionName: "api", Resource: "api:live", ExecutedVersion: "1" }),
            ],
            0,
            5,
        );
        const minutes = (result: { Timestamps: Date[] }) => result.Timestamps.map((t) => (t.getTime() - START.getTime()) / MINUTE);
        expect(minutes(inv)).to.deep.equal([4, 1, 0]);
        expect(minutes(err)).to.deep.equal([4, 1, 0]);
        expect(err.Values).to.deep.equal([0, 0, 0]);
    });

    it("periods are aligned to the epoch, StartTime is inclusive, EndTime exclusive, timestamps descending unless ScanBy ascending", async () => {
        const aws = account();
        aws.setTraffic("api", "live", 600);
        aws.advance(20 * MINUTE);
        const perMinute = (await query(aws, [stat("inv", "Invocations", { FunctionName: "api" })], 0, 20))[0];
        const byMinute = new Map(perMinute.Timestamps.map((t, i) => [(t.getTime() - START.getTime()) / MINUTE, perMinute.Values[i]]));
        const [fiveMinutes] = await query(aws, [stat("inv", "Invocations", { FunctionName: "api" }, "Sum", 300)], 0, 15);
        expect(fiveMinutes.Timestamps.map((t) => (t.getTime() - START.getTime()) / MINUTE)).to.deep.equal([10, 5, 0]);
        const sumOf = (from: number) => [0, 1, 2, 3, 4].reduce((s, k) => s + byMinute.get(from + k)!, 0);
        expect(fiveMinutes.Values).to.deep.equal([sumOf(10), sumOf(5), sumOf(0)]);
        const [ascending] = await query(aws, [stat("inv", "Invocations", { FunctionName: "api" })], 3, 6, { ScanBy: "TimestampAscending" });
        expect(ascending.Timestamps.map((t) => (t.getTime() - START.getTime()) / MINUTE)).to.deep.equal([3, 4, 5]);
    });

    it("statistics agree with each other: Average = Sum / SampleCount, Minimum <= p50 <= p99 <= Maximum", async () => {
        const aws = account();
        aws.setTraffic("api", "live", 1000);
        aws.advance(4 * MINUTE);
        const d = { FunctionName: "api" };
        const results = await query(
            aws,
            ["Sum", "SampleCount", "Average", "Minimum", "p50", "p99.9", "Maximum"].map((s, i) => stat(`s${i}`, "Duration", d, s, 180)),
            0,
            3,
        );
        const [sum, count, average, minimum, p50, p999, maximum] = results.map((r) => r.Values[0]);
        expect(average).to.be.closeTo(sum / count, 1e-9);
        expect(minimum).to.be.at.most(p50);
        expect(p50).to.be.at.most(p999);
        expect(p999).to.be.at.most(maximum);
        expect(results[0].Label).to.equal("Duration");
    });

    it("only queries with ReturnData !== false are returned, labelled by Label or else metric name / id", async () => {
        const aws = account();
        aws.setTraffic("api", "live", 100);
        aws.advance(3 * MINUTE);
        const results = await query(aws, [
            stat("inv", "Invocations", { FunctionName: "api" }, "Sum", 60, false),
            { ...stat("err", "Errors", { FunctionName: "api" }), Label: "errors" },
            { Id: "double", Expression: "inv * 2" },
        ]);
        expect(results.map((r) => [r.Id, r.Label, r.StatusCode])).to.deep.equal([
            ["err", "errors", "Complete"],
            ["double", "double", "Complete"],
        ]);
    });
});

describe("simulator: metric math", () => {
    const a: Series = new Map([
        [1, 10],
        [2, 20],
        [3, 30],
    ]);
    const b: Series = new Map([
        [1, 1],
        [3, 0],
    ]);
    const evaluate = (expression: string) => {
        const value = evaluateExpression(parseExpression(expression), {
            values: new Map([
                ["a", a],
                ["b", b],
            ]),
            allTimestamps: [1, 2, 3],
            rangeTimestamps: [1, 2, 3, 4],
        });
        return value instanceof Map ? Object.fromEntries(value) : value;
    };
    // CloudWatch's semantics: a value missing where the other operand has one counts as 0; IF gives 0 where its
    // branch has none; FILL fills the whole requested range (period 4 has no data at all).
    const table: Array<[string, unknown]> = [
        ["a + b", { 1: 11, 2: 20, 3: 30 }],
        ["a > b", { 1: 1, 2: 1, 3: 1 }],
        ["b == 0", { 1: 0, 3: 1 }],
        ["IF(a > 15, a)", { 1: 0, 2: 20, 3: 30 }],
        ["IF(a > 15, b, a)", { 1: 10, 2: 0, 3: 0 }],
        ["FILL(b, 0)", { 1: 1, 2: 0, 3: 0, 4: 0 }],
        ["a / b", { 1: 10 }],
        ["FILL(b, 0) * 100 / a", { 1: 10, 2: 0, 3: 0 }],
        ["IF(FILL(b, 0) >= 1, 100 * FILL(b, 0) / a, 0)", { 1: 10, 2: 0, 3: 0, 4: 0 }],
        ["(a - 5) * 2", { 1: 10, 2: 30, 3: 50 }],
        ["-a + 1", { 1: -9, 2: -19, 3: -29 }],
        ["a > 15", { 1: 0, 2: 1, 3: 1 }],
        ["a >= 20 AND a <= 20", { 1: 0, 2: 1, 3: 0 }],
        ["a == 10 || a != 30", { 1: 1, 2: 1, 3: 0 }],
        ["IF(a > 15, a, 0)", { 1: 0, 2: 20, 3: 30 }],
        ["IF(b, 1, 2)", { 1: 1, 3: 2 }],
        ["SUM([a, b])", { 1: 11, 2: 20, 3: 30 }],
        ["MAX([a, FILL(b, 25)])", { 1: 10, 2: 25, 3: 30, 4: 25 }],
        ["SUM(a)", 60],
        ["MAX(a) / 3", 10],
        ["2 ^ 3 ^ 2", 512],
    ];
    for (const [expression, expected] of table) {
        it(`${expression} evaluates per aligned timestamp to ${JSON.stringify(expected)}`, () => {
            expect(evaluate(expression)).to.deep.equal(expected);
        });
    }

    it("an error rate with FILL: minutes with invocations and no Errors point count as 0%, via GetMetricData", async () => {
        const aws = account();
        aws.putAlias("api", "live", "1", { "2": 0.5 });
        aws.setVersionProfile("api", "2", { errorRate: 0.1, p50Ms: 80, p99Ms: 400 });
        aws.setTraffic("api", "live", 1000);
        aws.advance(5 * MINUTE);
        const [rate, healthy] = await query(aws, [
            stat("inv", "Invocations", VERSION_2, "Sum", 300, false),
            stat("err", "Errors", VERSION_2, "Sum", 300, false),
            { Id: "rate", Expression: "100 * FILL(err, 0) / inv" },
            stat("olderr", "Errors", { FunctionName: "api", Resource: "api:live", ExecutedVersion: "9" }, "Sum", 300, false),
            { Id: "healthy", Expression: "FILL(olderr, 0) / inv" },
        ]);
        const counts = aws.requestCounts("api").byVersion["2"];
        expect(rate.Values[0]).to.be.closeTo((100 * counts.errors) / counts.requests, 1e-9);
        expect(rate.Values[0]).to.be.within(8, 12);
        expect(healthy.Values).to.deep.equal([0]);
    });

    const invalidCases: Array<[string, MetricDataQuery[], string]> = [
        ["an id not matching ^[a-z][a-zA-Z0-9_]*$", [stat("Inv", "Invocations", {})], "'Inv'"],
        ["a duplicate id", [stat("m", "Invocations", {}), stat("m", "Errors", {})], "'m' appears more than once"],
        ["an expression naming an unknown id", [{ Id: "e", Expression: "nope * 2" }], "unknown metric or expression id 'nope'"],
        ["more than 500 queries", Array.from({ length: 501 }, (_, i) => stat(`m${i}`, "Invocations", {})), "greater than 500"],
        ["a Period not a multiple of 60", [stat("m", "Invocations", {}, "Sum", 90)], "multiple of 60"],
        [
            "an unsupported expression function",
            [stat("m", "Invocations", {}), { Id: "e", Expression: "RATE(m)" }],
            "unsupported expression function RATE",
        ],
        ["an unsupported statistic", [stat("m", "Invocations", {}, "tm99")], "'tm99'"],
    ];
    for (const [what, queries, message] of invalidCases) {
        it(`GetMetricData rejects ${what} with a ValidationError (400, client fault)`, async () => {
            const aws = account();
            const error = await rejection(query(aws, queries, 0, 10));
            expect(error.name).to.equal("ValidationError");
            expect(error.$fault).to.equal("client");
            expect(error.$metadata).to.deep.equal({ httpStatusCode: 400 });
            expect(error.message).to.contain(message);
        });
    }
});

describe("simulator: alarms", () => {
    const rule: AlarmRule = {
        comparisonOperator: "GreaterThanThreshold",
        evaluationPeriods: 3,
        datapointsToAlarm: 2,
        threshold: 5,
        treatMissingData: "missing",
    };
    const range = (...values: Array<number | undefined>) => values.map((value, k) => ({ periodStartMs: (10 - k) * MINUTE, value }));
    const cases: Array<[string, Partial<AlarmRule>, Array<number | undefined>, string]> = [
        ["2 of 3 breaching is ALARM", {}, [9, 1, 9], "ALARM"],
        ["1 of 3 breaching is OK", {}, [9, 1, 1], "OK"],
        ["late data is skipped: the most recent 3 present points decide", {}, [undefined, undefined, 9, 9, 1, 1], "ALARM"],
        ["no data with missing is INSUFFICIENT_DATA", {}, [undefined, undefined, undefined], "INSUFFICIENT_DATA"],
        ["no data with breaching is ALARM", { treatMissingData: "breaching" }, [undefined, undefined, undefined], "ALARM"],
        ["no data with notBreaching is OK", { treatMissingData: "notBreaching" }, [undefined, undefined, undefined], "OK"],
        [
            "one breaching point plus missing filled as breaching is ALARM",
            { treatMissingData: "breaching" },
            [undefined, 9, undefined, undefined],
            "ALARM",
        ],
        ["one breaching point with missing is OK (missing points do not count)", {}, [undefined, 9, undefined], "OK"],
        ["LessThanThreshold compares the other way", { comparisonOperator: "LessThanThreshold", datapointsToAlarm: 3 }, [1, 2, 3], "ALARM"],
        [
            "GreaterThanOrEqualToThreshold includes the threshold",
            { comparisonOperator: "GreaterThanOrEqualToThreshold" },
            [5, 5, 0],
            "ALARM",
        ],
    ];
    for (const [what, change, values, expected] of cases) {
        it(`alarm evaluation: ${what}`, () => {
            expect(evaluateAlarmRange({ ...rule, ...change }, range(...values), "OK").state).to.equal(expected);
        });
    }

    it("alarm evaluation: no data with ignore keeps the previous state", () => {
        expect(evaluateAlarmRange({ ...rule, treatMissingData: "ignore" }, range(undefined, undefined, undefined), "ALARM").state).to.equal(
            "ALARM",
        );
    });

    const candidateErrorsAlarm = candidateErrorsAlarmDef;

    async function alarmState(aws: SimulatedAws, name: string) {
        const output = await aws.cloudWatch.send(
            new DescribeAlarmsCommand({ AlarmNames: [name], AlarmTypes: ["MetricAlarm", "CompositeAlarm"] }),
        );
        return [...output.MetricAlarms, ...output.CompositeAlarms][0];
    }

    it("a per-version alarm goes to ALARM once datapointsToAlarm breaching periods are visible, not before", async () => {
        const aws = account({ metricDelayMinutes: 2 });
        aws.putAlias("api", "live", "1", { "2": 0.5 });
        aws.setTraffic("api", "live", 200);
        aws.putMetricAlarm(candidateErrorsAlarm);
        expect((await alarmState(aws, "api-candidate-errors")).StateValue).to.equal("INSUFFICIENT_DATA");
        aws.advance(5 * MINUTE);
        expect((await alarmState(aws, "api-candidate-errors")).StateValue).to.equal("OK");
        aws.setVersionProfile("api", "2", { errorRate: 0.5, p50Ms: 80, p99Ms: 400 }); // ~50 errors a minute from minute 5
        aws.advance(3 * MINUTE); // minute 5 is visible at 8, only one breaching point
        expect((await alarmState(aws, "api-candidate-errors")).StateValue).to.equal("OK");
        aws.advance(MINUTE); // minute 6 visible at 9: two breaching points
        const alarm = await alarmState(aws, "api-candidate-errors");
        expect(alarm.StateValue).to.equal("ALARM");
        expect(alarm.StateReason).to.match(/^Threshold Crossed: 2 out of the last 3 datapoints/);
        expect(alarm).to.include({ Threshold: 5, ComparisonOperator: "GreaterThanThreshold", EvaluationPeriods: 3, DatapointsToAlarm: 2 });
    });

    it("an alarm is INSUFFICIENT_DATA before any data, and breaching treatment turns missing data into ALARM", async () => {
        const aws = account();
        aws.putMetricAlarm({ ...candidateErrorsAlarm, name: "missing" });
        aws.putMetricAlarm({ ...candidateErrorsAlarm, name: "breaching", treatMissingData: "breaching" });
        aws.putMetricAlarm({ ...candidateErrorsAlarm, name: "not-breaching", treatMissingData: "notBreaching" });
        aws.advance(5 * MINUTE);
        expect((await alarmState(aws, "missing")).StateValue).to.equal("INSUFFICIENT_DATA");
        expect((await alarmState(aws, "breaching")).StateValue).to.equal("ALARM");
        expect((await alarmState(aws, "not-breaching")).StateValue).to.equal("OK");
    });

    it("a metric-math alarm evaluates its returnData expression (candidate error rate over 5%)", async () => {
        const aws = account();
        aws.putAlias("api", "live", "1", { "2": 0.5 });
        aws.setVersionProfile("api", "2", { errorRate: 0.2, p50Ms: 80, p99Ms: 400 });
        aws.setTraffic("api", "live", 400);
        const metric = (id: string, metricName: string) => ({
            id,
            returnData: false,
            metricStat: { metric: { namespace: "AWS/Lambda", metricName, dimensions: VERSION_2 }, period: 60, stat: "Sum" },
        });
        aws.putMetricAlarm({
            name: "api-candidate-error-rate",
            comparisonOperator: "GreaterThanThreshold",
            evaluationPeriods: 2,
            threshold: 5,
            metricQueries: [
                metric("inv", "Invocations"),
                metric("err", "Errors"),
                { id: "rate", expression: "100 * FILL(err, 0) / inv", returnData: true },
            ],
        });
        aws.advance(4 * MINUTE);
        const alarm = await alarmState(aws, "api-candidate-error-rate");
        expect(alarm.StateValue).to.equal("ALARM");
        expect(alarm.Metrics.map((m: { Id: string }) => m.Id)).to.deep.equal(["inv", "err", "rate"]);
    });

    it("putMetricAlarm rejects what PutMetricAlarm rejects, naming the parameter", () => {
        const aws = account();
        const { comparisonOperator: _omitted, ...withoutOperator } = candidateErrorsAlarm;
        const error = thrown(() => aws.putMetricAlarm(withoutOperator));
        expect(error.name).to.equal("ValidationError");
        expect(error.message).to.contain("ComparisonOperator");
        expect(thrown(() => aws.putMetricAlarm({ ...candidateErrorsAlarm, datapointsToAlarm: 4 })).message).to.contain("DatapointsToAlarm");
        const twoReturning = {
            name: "x",
            comparisonOperator: "GreaterThanThreshold",
            evaluationPeriods: 1,
            threshold: 1,
            metricQueries: [
                { id: "a", expression: "1" },
                { id: "b", expression: "2" },
            ],
        };
        expect(thrown(() => aws.putMetricAlarm(twoReturning)).message).to.contain(
            "exactly one element of the metrics list should return data",
        );
    });

    it("composite rules combine alarm states with AND, OR, NOT, parentheses and TRUE/FALSE", () => {
        const states: Record<string, "OK" | "ALARM" | "INSUFFICIENT_DATA"> = { a: "ALARM", b: "OK", "c d": "INSUFFICIENT_DATA" };
        const holds = (text: string) => evaluateAlarmRule(parseAlarmRule(text), (name) => states[name]);
        expect(holds('ALARM("a") AND OK(b)')).to.equal(true);
        expect(holds('ALARM(b) OR INSUFFICIENT_DATA("c d")')).to.equal(true);
        expect(holds("NOT (ALARM(a) OR ALARM(b))")).to.equal(false);
        expect(holds("FALSE OR (TRUE AND NOT ALARM(b))")).to.equal(true);
        expect(thrown(() => parseAlarmRule("ALARM(a) AND")).name).to.equal("ValidationError");
    });

    it("a composite alarm is ALARM while its rule holds; DescribeAlarms returns composites only when AlarmTypes asks", async () => {
        const aws = account();
        aws.putAlias("api", "live", "1", { "2": 0.5 });
        aws.setVersionProfile("api", "2", { errorRate: 0.5, p50Ms: 80, p99Ms: 400 });
        aws.setTraffic("api", "live", 200);
        aws.putMetricAlarm(candidateErrorsAlarm);
        aws.putMetricAlarm({ ...candidateErrorsAlarm, name: "api-stable-errors", dimensions: { ...VERSION_2, ExecutedVersion: "1" } });
        aws.putCompositeAlarm({ name: "api-rollback", alarmRule: 'ALARM("api-candidate-errors") AND NOT ALARM(api-stable-errors)' });
        expect(thrown(() => aws.putCompositeAlarm({ name: "bad", alarmRule: "ALARM(nope)" })).message).to.contain("[nope]");
        aws.advance(5 * MINUTE);
        expect((await alarmState(aws, "api-rollback")).StateValue).to.equal("ALARM");
        const defaultTypes = await aws.cloudWatch.send(new DescribeAlarmsCommand({ AlarmNamePrefix: "api-" }));
        expect(defaultTypes.MetricAlarms.map((a: { AlarmName: string }) => a.AlarmName)).to.deep.equal([
            "api-candidate-errors",
            "api-stable-errors",
        ]);
        expect(defaultTypes.CompositeAlarms).to.deep.equal([]);
    });
});

describe("simulator: backfilled history", () => {
    const VERSION_1 = { FunctionName: "api", Resource: "api:live", ExecutedVersion: "1" };

    /** Stable (1) live on the alias at 300 rpm with a 1% error rate, candidate (2) published and failing half its requests. */
    function withTraffic(opts: Partial<SimulatedAwsOptions> = {}): SimulatedAws {
        const aws = account({ metricDelayMinutes: 2, ...opts });
        aws.setTraffic("api", "live", 300);
        aws.setVersionProfile("api", "1", { errorRate: 0.01, p50Ms: 80, p99Ms: 400 });
        aws.setVersionProfile("api", "2", { errorRate: 0.5, p50Ms: 80, p99Ms: 400 });
        return aws;
    }

    it("GetMetricData over the hour before startTime returns stable's traffic at its rate, already arrived; nothing for the candidate", async () => {
        const aws = withTraffic();
        aws.backfill(60);
        const history = aws.historyCounts("api");
        const [inv, err, candidate, alias, fn, account, duration, throttles] = await query(
            aws,
            [
                stat("inv", "Invocations", VERSION_1),
                stat("err", "Errors", VERSION_1),
                stat("cand", "Invocations", VERSION_2),
                stat("alias", "Invocations", { FunctionName: "api", Resource: "api:live" }),
                stat("fn", "Invocations", { FunctionName: "api" }),
                stat("all", "Invocations", {}),
                stat("dur", "Duration", VERSION_1, "p50", 3600),
                stat("thr", "Throttles", { FunctionName: "api", Resource: "api:live" }),
            ],
            -60,
            0,
            { ScanBy: "TimestampAscending" },
        );
        // Every minute of [-60, 0) is visible at minute 0 despite the 2-minute metric delay.
        expect(inv.Timestamps.map((t) => (t.getTime() - START.getTime()) / MINUTE)).to.deep.equal(
            Array.from({ length: 60 }, (_, k) => k - 60),
        );
        expect(Math.min(...inv.Values)).to.be.greaterThan(200);
        expect(total(inv.Values)).to.be.within(17_460, 18_540);
        expect(total(inv.Values)).to.equal(history.byVersion["1"].requests);
        expect(total(err.Values)).to.equal(history.byVersion["1"].errors);
        expect(total(err.Values) / total(inv.Values)).to.be.within(0.006, 0.014);
        expect(candidate.Values).to.deep.equal([]);
        expect(history.byVersion["2"]).to.equal(undefined);
        for (const series of [alias, fn, account]) expect(series.Values).to.deep.equal(inv.Values);
        expect(duration.Values[0]).to.be.within(72, 88);
        expect(total(throttles.Values)).to.equal(0);
        expect(throttles.Values).to.have.length(60);
    });

    it("routes the history through the alias as it is: a 10% weight gives the additional version 10% of it", async () => {
        const aws = withTraffic();
        aws.putAlias("api", "live", "1", { "2": 0.1 });
        aws.backfill(30);
        const history = aws.historyCounts("api");
        expect(history.byVersion["2"].requests / history.total).to.be.within(0.08, 0.12);
        const [candidate] = await query(aws, [stat("cand", "Invocations", VERSION_2)], -30, 0);
        expect(total(candidate.Values)).to.equal(history.byVersion["2"].requests);
    });

    it("leaves the rehearsal as it was: clock, minute numbering, requestCounts and the live traffic of the seed", () => {
        const run = (minutes: number) => {
            const aws = withTraffic();
            aws.putAlias("api", "live", "1", { "2": 0.5 });
            // The candidate's schedule says 0% errors at minute 0, 50% from minute 5: the history uses minute 0's.
            aws.setVersionProfile("api", "2", [
                { fromMinute: -1000, errorRate: 0.9, p50Ms: 80, p99Ms: 400 },
                { fromMinute: 0, errorRate: 0, p50Ms: 80, p99Ms: 400 },
                { fromMinute: 5, errorRate: 0.5, p50Ms: 80, p99Ms: 400 },
            ]);
            aws.backfill(minutes);
            expect(aws.now()).to.deep.equal(START);
            expect(aws.minute()).to.equal(0);
            expect(aws.requestCounts("api")).to.deep.equal({ total: 0, byVersion: {} });
            aws.advance(5 * MINUTE);
            const before = aws.requestCounts("api");
            aws.advance(5 * MINUTE);
            return { aws, before, after: aws.requestCounts("api") };
        };
        const backfilled = run(60);
        expect(backfilled.aws.historyCounts("api").total).to.be.within(17_460, 18_540);
        expect(backfilled.aws.historyCounts("api").byVersion["2"].errors).to.equal(0);
        expect(backfilled.before.byVersion["2"].errors).to.equal(0);
        expect(backfilled.after.byVersion["2"].errors).to.be.above(300);
        const plain = run(0);
        expect(plain.aws.historyCounts("api")).to.deep.equal({ total: 0, byVersion: {} });
        expect(backfilled.after).to.deep.equal(plain.after);
    });

    it("is the same for the same seed and differs for another", () => {
        const history = (seed: number) => {
            const aws = withTraffic({ seed });
            aws.backfill(20);
            return aws.historyCounts("api");
        };
        expect(history(11)).to.deep.equal(history(11));
        expect(history(11)).to.not.deep.equal(history(12));
    });

    it("keeps the rehearsal minutes of faults: a CloudWatch outage from minute 0 still starts at startTime", async () => {
        const aws = withTraffic();
        aws.addCloudWatchOutage(0, 1);
        aws.backfill(10);
        expect((await rejection(query(aws, [stat("inv", "Invocations", VERSION_1)], -10, 0))).name).to.equal("ServiceUnavailable");
        aws.advance(MINUTE);
        expect((await query(aws, [stat("inv", "Invocations", VERSION_1)], -10, 0))[0].Values).to.have.length(10);
    });

    /** An alarm on the alias's errors that any error breaches, in one minute. */
    const aliasErrorsAlarm = () => ({
        ...candidateErrorsAlarmDef,
        name: "alias-errors",
        dimensions: { FunctionName: "api", Resource: "api:live" },
        evaluationPeriods: 1,
        datapointsToAlarm: 1,
        threshold: 0,
    });

    it("alarms are evaluated over the history, as CloudWatch's are: an alias alarm that history breaches is in ALARM", async () => {
        const aws = withTraffic();
        aws.setVersionProfile("api", "1", { errorRate: 0.5, p50Ms: 80, p99Ms: 400 });
        aws.backfill(60);
        const aliasErrors = aliasErrorsAlarm();
        aws.putMetricAlarm(aliasErrors);
        aws.putMetricAlarm({ ...aliasErrors, name: "alias-errors-not-breaching", treatMissingData: "notBreaching" });
        aws.setTraffic("api", "live", 0);
        aws.advance(2 * MINUTE);
        const states = (await aws.cloudWatch.send(new DescribeAlarmsCommand({}))) as DescribeAlarmsCommandOutput;
        expect(states.MetricAlarms!.map((a) => [a.AlarmName, a.StateValue])).to.deep.equal([
            ["alias-errors", "ALARM"],
            ["alias-errors-not-breaching", "ALARM"],
        ]);
    });

    it("PutMetricAlarm on an existing alarm keeps its state (CloudWatch leaves StateValue unchanged on an update)", async () => {
        const aws = withTraffic();
        aws.setVersionProfile("api", "1", { errorRate: 0.5, p50Ms: 80, p99Ms: 400 });
        const def = aliasErrorsAlarm();
        aws.putMetricAlarm(def);
        aws.advance(5 * MINUTE);
        const state = async () =>
            ((await aws.cloudWatch.send(new DescribeAlarmsCommand({ AlarmNames: ["alias-errors"] }))) as DescribeAlarmsCommandOutput)
                .MetricAlarms![0].StateValue;
        expect(await state()).to.equal("ALARM");
        aws.putMetricAlarm(def);
        expect(await state()).to.equal("ALARM");
    });

    it("refuses a second backfill and a number of minutes that is not a whole number >= 0; 0 does nothing", () => {
        const aws = withTraffic();
        aws.backfill(0);
        expect(aws.historyCounts("api").total).to.equal(0);
        expect(thrown(() => aws.backfill(-1)).message).to.contain("`minutes`");
        expect(thrown(() => aws.backfill(1.5)).message).to.contain("`minutes`");
        aws.backfill(5);
        expect(thrown(() => aws.backfill(5)).message).to.contain("already backfilled");
    });
});

describe("simulator: CloudWatch outage", () => {
    it("every CloudWatch call throws ServiceUnavailable (503, server fault) during the outage and metrics recorded then are visible after", async () => {
        const aws = account();
        aws.addCloudWatchOutage(2, 4);
        aws.setTraffic("api", "live", 300);
        aws.advance(2 * MINUTE);
        const error = await rejection(query(aws, [stat("inv", "Invocations", { FunctionName: "api" })], 0, 2));
        expect(error).to.include({ name: "ServiceUnavailable", $fault: "server" });
        expect(error.$metadata).to.deep.equal({ httpStatusCode: 503 });
        expect((await rejection(aws.cloudWatch.send(new DescribeAlarmsCommand({})))).name).to.equal("ServiceUnavailable");
        aws.advance(2 * MINUTE);
        const [inv] = await query(aws, [stat("inv", "Invocations", { FunctionName: "api" })], 0, 4);
        expect(total(inv.Values)).to.equal(aws.requestCounts("api").total);
        expect(inv.Values).to.have.length(4);
    });
});

describe("simulator: Lambda control plane", () => {
    it("GetAlias answers in the SDK shape, for a name or an ARN", async () => {
        const aws = account();
        aws.putAlias("api", "live", "1", { "2": 0.25 });
        const alias = await aws.lambda.send(new GetAliasCommand({ FunctionName: functionArn("api"), Name: "live" }));
        expect(alias).to.include({
            AliasArn: "arn:aws:lambda:us-east-1:123456789012:function:api:live",
            Name: "live",
            FunctionVersion: "1",
        });
        expect(alias.RoutingConfig).to.deep.equal({ AdditionalVersionWeights: { "2": 0.25 } });
        expect(alias.RevisionId).to.be.a("string");
    });

    it("UpdateAlias keeps omitted fields, and an empty AdditionalVersionWeights clears the routing", async () => {
        const aws = account();
        await aws.lambda.send(
            new UpdateAliasCommand({ FunctionName: "api", Name: "live", RoutingConfig: { AdditionalVersionWeights: { "2": 0.1 } } }),
        );
        const kept = await aws.lambda.send(new UpdateAliasCommand({ FunctionName: "api", Name: "live", Description: "canary" }));
        expect(kept.RoutingConfig).to.deep.equal({ AdditionalVersionWeights: { "2": 0.1 } });
        const cleared = await aws.lambda.send(
            new UpdateAliasCommand({
                FunctionName: "api",
                Name: "live",
                FunctionVersion: "2",
                RoutingConfig: { AdditionalVersionWeights: {} },
            }),
        );
        expect(cleared.FunctionVersion).to.equal("2");
        expect(cleared.RoutingConfig).to.equal(undefined);
    });

    it("UpdateAlias with a stale RevisionId is a PreconditionFailedException", async () => {
        const aws = account();
        const { RevisionId } = await aws.lambda.send(new GetAliasCommand({ FunctionName: "api", Name: "live" }));
        aws.putAlias("api", "live", "2");
        expect(
            (
                await rejection(
                    aws.lambda.send(new UpdateAliasCommand({ FunctionName: "api", Name: "live", FunctionVersion: "1", RevisionId })),
                )
            ).name,
        ).to.equal("PreconditionFailedException");
    });

    it("CreateAlias creates a new alias and refuses an existing one", async () => {
        const aws = account();
        const created = await aws.lambda.send(new CreateAliasCommand({ FunctionName: "api", Name: "beta", FunctionVersion: "2" }));
        expect(created).to.include({ Name: "beta", FunctionVersion: "2" });
        expect(
            (await rejection(aws.lambda.send(new CreateAliasCommand({ FunctionName: "api", Name: "beta", FunctionVersion: "2" })))).name,
        ).to.equal("ResourceConflictException");
    });

    describe("alias constraints", () => {
        /** Version 3 has another role, version 4 a dead-letter queue, version 5 is like 1 and 2. */
        function constrained(): SimulatedAws {
            const aws = account();
            aws.putFunction({ name: "api", role: "arn:aws:iam::123456789012:role/other", timeoutSeconds: 3 });
            aws.publishVersion("api");
            aws.putFunction({ name: "api", role: ROLE, timeoutSeconds: 3, deadLetterTargetArn: "arn:aws:sqs:us-east-1:123456789012:dlq" });
            aws.publishVersion("api");
            aws.putFunction({ name: "api", role: ROLE, timeoutSeconds: 3 });
            aws.publishVersion("api");
            aws.putFunction({ name: "pc", role: ROLE, timeoutSeconds: 3 });
            aws.publishVersion("pc");
            aws.publishVersion("pc");
            aws.putAlias("pc", "live", "1");
            aws.setProvisionedConcurrency("pc", "live", 5);
            return aws;
        }
        const cases: Array<[string, string, string, Record<string, number>, string, string]> = [
            ["an unknown function", "nope", "1", {}, "ResourceNotFoundException", "Function not found"],
            ["an unknown primary version", "api", "9", {}, "ResourceNotFoundException", "api:9"],
            ["an unknown additional version", "api", "1", { "9": 0.1 }, "ResourceNotFoundException", "api:9"],
            // AliasRoutingConfiguration's own constraints (key pattern [0-9]+, range 0.0-1.0): ValidationException.
            ["$LATEST in routing", "api", "1", { $LATEST: 0.1 }, "ValidationException", "$LATEST"],
            ["routing on a $LATEST primary", "api", "$LATEST", { "2": 0.1 }, "InvalidParameterValueException", "published version"],
            ["two additional versions", "api", "1", { "2": 0.1, "5": 0.1 }, "InvalidParameterValueException", "at most one version"],
            [
                "an additional version equal to the primary",
                "api",
                "1",
                { "1": 0.1 },
                "InvalidParameterValueException",
                "must differ from the primary",
            ],
            ["a weight above 1.0", "api", "1", { "2": 1.5 }, "ValidationException", "between 0.0 and 1.0"],
            ["a negative weight", "api", "1", { "2": -0.1 }, "ValidationException", "between 0.0 and 1.0"],
            ["a different execution role", "api", "1", { "3": 0.1 }, "InvalidParameterValueException", "different execution roles"],
            ["a different dead-letter config", "api", "1", { "4": 0.1 }, "InvalidParameterValueException", "different dead-letter configs"],
        ];
        for (const [what, fn, version, weights, code, message] of cases) {
            it(`UpdateAlias and putAlias refuse ${what} with ${code}`, async () => {
                const aws = constrained();
                const viaApi = await rejection(
                    aws.lambda.send(
                        new UpdateAliasCommand({
                            FunctionName: fn,
                            Name: "live",
                            FunctionVersion: version,
                            RoutingConfig: { AdditionalVersionWeights: weights },
                        }),
                    ),
                );
                expect(viaApi.name).to.equal(code);
                expect(viaApi.message).to.contain(message);
                expect(viaApi.$fault).to.equal("client");
                const viaEngine = thrown(() => aws.putAlias(fn, "live", version, weights));
                expect([viaEngine.name, viaEngine.message]).to.deep.equal([viaApi.name, viaApi.message]);
            });
        }

        it("a weight of 0.0 or 1.0 on a same-role, same-DLQ version is accepted", () => {
            const aws = constrained();
            aws.putAlias("api", "live", "1", { "5": 0 });
            aws.putAlias("api", "live", "1", { "2": 1 });
        });

        it("weights may be added to an alias with provisioned concurrency (AWS divides it between the versions)", () => {
            const aws = constrained();
            aws.putAlias("pc", "live", "1", { "2": 0.1 });
            expect(aws.aliasRouting("pc", "live")).to.deep.equal({ primaryVersion: "1", additional: { version: "2", weight: 0.1 } });
        });

        it("on an alias with provisioned concurrency the transient {old: 1} after a version change is real routing", async () => {
            const aws = new SimulatedAws({
                seed: 3,
                startTime: new Date("2026-01-05T09:00:00Z"),
                metricDelayMinutes: 0,
                transientRoutingMs: 5_000,
            });
            aws.putFunction({ name: "pc", role: ROLE, timeoutSeconds: 3 });
            aws.publishVersion("pc");
            aws.publishVersion("pc");
            aws.putAlias("pc", "live", "1");
            aws.setProvisionedConcurrency("pc", "live", 5);
            await aws.lambda.send(new UpdateAliasCommand({ FunctionName: "pc", Name: "live", FunctionVersion: "2" }));
            expect(aws.aliasRouting("pc", "live")).to.deep.equal({ primaryVersion: "1" });
            aws.advance(5_000);
            expect(aws.aliasRouting("pc", "live")).to.deep.equal({ primaryVersion: "2" });
        });

        it("provisioned concurrency cannot be put on an alias with routing weights", () => {
            const aws = constrained();
            aws.putAlias("api", "live", "1", { "2": 0.5 });
            expect(thrown(() => aws.setProvisionedConcurrency("api", "live", 2)).name).to.equal("InvalidParameterValueException");
        });
    });

    it('after a version change GetAlias shows {"<old>": 1} for transientRoutingMs while traffic follows the new version', async () => {
        const aws = account({ transientRoutingMs: 5_000 });
        aws.setTraffic("api", "live", 6000);
        await aws.lambda.send(new UpdateAliasCommand({ FunctionName: "api", Name: "live", FunctionVersion: "2" }));
        const during = await aws.lambda.send(new GetAliasCommand({ FunctionName: "api", Name: "live" }));
        expect(during.FunctionVersion).to.equal("2");
        expect(during.RoutingConfig).to.deep.equal({ AdditionalVersionWeights: { "1": 1 } });
        aws.advance(5_000);
        expect((await aws.lambda.send(new GetAliasCommand({ FunctionName: "api", Name: "live" }))).RoutingConfig).to.equal(undefined);
        expect(Object.keys(aws.requestCounts("api").byVersion)).to.deep.equal(["2"]);
    });

    it("publishVersion snapshots role, DLQ, description and timeout; GetFunctionConfiguration resolves versions and aliases", async () => {
        const aws = account();
        aws.putFunction({
            name: "api",
            role: "arn:aws:iam::123456789012:role/new",
            timeoutSeconds: 9,
            description: "v3",
            deadLetterTargetArn: "arn:aws:sqs:us-east-1:123456789012:dlq",
        });
        expect(aws.publishVersion("api")).to.equal("3");
        const v1 = await aws.lambda.send(new GetFunctionConfigurationCommand({ FunctionName: "api", Qualifier: "1" }));
        expect(v1).to.include({ FunctionName: "api", Version: "1", Role: ROLE, Timeout: 3, FunctionArn: functionArn("api", "1") });
        expect(v1.DeadLetterConfig).to.equal(undefined);
        const v3 = await aws.lambda.send(new GetFunctionConfigurationCommand({ FunctionName: `${functionArn("api")}:3` }));
        expect(v3).to.include({ Version: "3", Description: "v3", Timeout: 9 });
        expect(v3.DeadLetterConfig).to.deep.equal({ TargetArn: "arn:aws:sqs:us-east-1:123456789012:dlq" });
        expect((await aws.lambda.send(new GetFunctionConfigurationCommand({ FunctionName: "api", Qualifier: "live" }))).Version).to.equal(
            "1",
        );
        const { Versions } = await aws.lambda.send(new ListVersionsByFunctionCommand({ FunctionName: "api" }));
        expect(Versions.map((v: { Version: string }) => v.Version)).to.deep.equal(["$LATEST", "1", "2", "3"]);
        expect(
            (await rejection(aws.lambda.send(new GetFunctionConfigurationCommand({ FunctionName: "api", Qualifier: "7" })))).name,
        ).to.equal("ResourceNotFoundException");
    });

    it("GetProvisionedConcurrencyConfig returns what was set and ProvisionedConcurrencyConfigNotFoundException otherwise", async () => {
        const aws = account();
        aws.setProvisionedConcurrency("api", "live", 4);
        const config = await aws.lambda.send(new GetProvisionedConcurrencyConfigCommand({ FunctionName: "api", Qualifier: "live" }));
        expect(config).to.include({ RequestedProvisionedConcurrentExecutions: 4, Status: "READY" });
        const error = await rejection(aws.lambda.send(new GetProvisionedConcurrencyConfigCommand({ FunctionName: "api", Qualifier: "2" })));
        expect(error.name).to.equal("ProvisionedConcurrencyConfigNotFoundException");
    });

    it("Invoke runs the version's handler: JSON payload in and out, FunctionError when it fails or none is set", async () => {
        const aws = account();
        aws.setInvokeHandler("api", "2", (payload) => ({ payload: { echo: payload } }));
        aws.setInvokeHandler("api", "1", () => ({ payload: { errorMessage: "boom" }, functionError: "Unhandled" }));
        const ok = await aws.lambda.send(
            new InvokeCommand({ FunctionName: "api", Qualifier: "2", Payload: new TextEncoder().encode('{"ping":1}') }),
        );
        expect(ok).to.include({ StatusCode: 200, ExecutedVersion: "2" });
        expect(ok.FunctionError).to.equal(undefined);
        expect(JSON.parse(new TextDecoder().decode(ok.Payload))).to.deep.equal({ echo: { ping: 1 } });
        const failed = await aws.lambda.send(new InvokeCommand({ FunctionName: "api", Qualifier: "1" }));
        expect(failed).to.include({ StatusCode: 200, FunctionError: "Unhandled", ExecutedVersion: "1" });
        aws.putFunction({ name: "api", role: ROLE, timeoutSeconds: 3 });
        const unset = await aws.lambda.send(new InvokeCommand({ FunctionName: functionArn("api", "$LATEST") }));
        expect(unset.FunctionError).to.equal("Unhandled");
        expect(JSON.parse(new TextDecoder().decode(unset.Payload)).errorMessage).to.contain("No invoke handler is set for api:$LATEST");
        expect((await rejection(aws.lambda.send(new InvokeCommand({ FunctionName: "api", Qualifier: "8" })))).name).to.equal(
            "ResourceNotFoundException",
        );
    });

    it("a command the simulator does not implement fails naming it", async () => {
        const aws = account();
        expect((await rejection(aws.cloudWatch.send(new ListMetricsCommand({})))).message).to.contain(
            "does not implement ListMetricsCommand",
        );
    });
});
