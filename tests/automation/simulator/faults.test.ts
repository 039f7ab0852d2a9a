import { expect } from "chai";
import { DescribeAlarmsCommand, GetMetricDataCommand, type MetricDataQuery } from "@aws-sdk/client-cloudwatch";
import { GetAliasCommand, InvokeCommand, ListAliasesCommand, UpdateAliasCommand } from "@aws-sdk/client-lambda";
import { SimulatedAws } from "../../../automation/simulator/simulatedAws";

const START = new Date("2024-05-01T10:00:00Z");
const MINUTE = 60_000;
const ROLE = "arn:aws:iam::123456789012:role/fn";

type AwsError = Error & { $fault?: string; $metadata?: { httpStatusCode: number } };
type Result = {
    Id: string;
    Label: string;
    Timestamps: Date[];
    Values: number[];
    StatusCode: string;
    Messages?: Array<{ Code: string; Value: string }>;
};

/** Functions `api` and `web`, each with versions 1 and 2 and an alias `live` on 1 sending 10% to 2, both with traffic. */
function account(): SimulatedAws {
    const aws = new SimulatedAws({ seed: 11, startTime: START, metricDelayMinutes: 0 });
    for (const name of ["api", "web"]) {
        aws.putFunction({ name, role: ROLE, timeoutSeconds: 3 });
        aws.publishVersion(name);
        aws.publishVersion(name);
        aws.putAlias(name, "live", "1", { "2": 0.1 });
        aws.setDefaultProfile(name, { errorRate: 0.05, p50Ms: 80, p99Ms: 400 });
        aws.setTraffic(name, "live", 600);
    }
    return aws;
}

const dims = (record: Record<string, string>) => Object.entries(record).map(([Name, Value]) => ({ Name, Value }));
const metric = (id: string, metricName: string, dimensions: Record<string, string>, stat = "Sum", returnData = true): MetricDataQuery => ({
    Id: id,
    ReturnData: returnData,
    MetricStat: { Metric: { Namespace: "AWS/Lambda", MetricName: metricName, Dimensions: dims(dimensions) }, Period: 60, Stat: stat },
});
const version = (fn: string, v: string) => ({ FunctionName: fn, Resource: `${fn}:live`, ExecutedVersion: v });

async function getMetricData(aws: SimulatedAws, queries: MetricDataQuery[]) {
    const output = await aws.cloudWatch.send(
        new GetMetricDataCommand({ StartTime: START, EndTime: aws.now(), MetricDataQueries: queries }),
    );
    return { output, byId: new Map((output.MetricDataResults as Result[]).map((r) => [r.Id, r])) };
}

async function rejection(promise: Promise<unknown>): Promise<AwsError> {
    try {
        await promise;
    } catch (error) {
        return error as AwsError;
    }
    throw new Error("expected a rejection");
}

const QUERIES = [
    metric("apiErr", "Errors", version("api", "2")),
    metric("apiErrAll", "Errors", { FunctionName: "api" }),
    metric("apiInv", "Invocations", version("api", "2")),
    metric("webErr", "Errors", version("web", "2")),
    metric("accountErr", "Errors", {}),
];

describe("simulator faults: GetMetricData results with a StatusCode other than Complete (cloudwatch-partial)", () => {
    it("InternalError for Errors of api only: those results have the status, a message, no values and no NextToken; api's Invocations and web's Errors stay Complete", async () => {
        const aws = account();
        aws.addMetricStatusFault({ metric: "Errors", statusCode: "InternalError", fromMinute: 5, toMinute: 8, functionName: "api" });
        aws.advance(5 * MINUTE);
        const { output, byId } = await getMetricData(aws, QUERIES);
        for (const id of ["apiErr", "apiErrAll"]) {
            const r = byId.get(id)!;
            expect(r, id).to.include({ StatusCode: "InternalError" });
            expect(r.Values, id).to.deep.equal([]);
            expect(r.Timestamps, id).to.deep.equal([]);
            expect(
                r.Messages?.map((m) => m.Code),
                id,
            ).to.deep.equal(["InternalError"]);
        }
        for (const id of ["apiInv", "webErr", "accountErr"]) {
            expect(byId.get(id)!.StatusCode, id).to.equal("Complete");
            expect(byId.get(id)!.Values, id).to.have.length(5);
        }
        expect(output.NextToken).to.equal(undefined);
        expect(output.Messages).to.deep.equal([]);
    });

    it("applies only during [fromMinute, toMinute) of virtual time: Complete before, at toMinute and after", async () => {
        const aws = account();
        aws.addMetricStatusFault({ metric: "Errors", statusCode: "InternalError", fromMinute: 2, toMinute: 4, functionName: "api" });
        const statusAt = async (minute: number) => {
            aws.advance(minute * MINUTE - (aws.now().getTime() - START.getTime()));
            return (await getMetricData(aws, QUERIES)).byId.get("apiErr")!.StatusCode;
        };
        expect(await statusAt(1)).to.equal("Complete");
        expect(await statusAt(2)).to.equal("InternalError");
        expect(await statusAt(3.9)).to.equal("InternalError");
        expect(await statusAt(4)).to.equal("Complete");
        expect(await statusAt(9)).to.equal("Complete");
    });

    it("without a function, every series of the metric is affected (each function, account-wide); other metrics are not", async () => {
        const aws = account();
        aws.addMetricStatusFault({ metric: "Errors", statusCode: "Forbidden", fromMinute: 0, toMinute: 10 });
        aws.advance(3 * MINUTE);
        const { byId } = await getMetricData(aws, QUERIES);
        expect(["apiErr", "apiErrAll", "webErr", "accountErr"].map((id) => byId.get(id)!.StatusCode)).to.deep.equal([
            "Forbidden",
            "Forbidden",
            "Forbidden",
            "Forbidden",
        ]);
        expect(byId.get("apiInv")!.StatusCode).to.equal("Complete");
    });

    it("an expression reading a degraded metric is degraded too (an error rate cannot be computed without its errors)", async () => {
        const aws = account();
        aws.addMetricStatusFault({ metric: "Errors", statusCode: "PartialData", fromMinute: 0, toMinute: 10, functionName: "api" });
        aws.advance(3 * MINUTE);
        const { byId } = await getMetricData(aws, [
            metric("e", "Errors", version("api", "2"), "Sum", false),
            metric("i", "Invocations", version("api", "2"), "Sum", false),
            { Id: "rate", Expression: "e / i * 100" },
            { Id: "calls", Expression: "i * 2" },
        ]);
        expect(byId.get("rate")).to.include({ StatusCode: "PartialData" });
        expect(byId.get("rate")!.Values).to.deep.equal([]);
        expect(byId.get("calls")!.StatusCode).to.equal("Complete");
        expect(byId.get("calls")!.Values).to.have.length(3);
    });

    it("two faults both apply: Duration of web PartialData and Throttles of api InternalError in the same call", async () => {
        const aws = account();
        aws.addMetricStatusFault({ metric: "Duration", statusCode: "PartialData", fromMinute: 0, toMinute: 10, functionName: "web" });
        aws.addMetricStatusFault({ metric: "Throttles", statusCode: "InternalError", fromMinute: 0, toMinute: 10, functionName: "api" });
        aws.advance(3 * MINUTE);
        const { byId } = await getMetricData(aws, [
            metric("webP99", "Duration", version("web", "2"), "p99"),
            metric("apiP99", "Duration", version("api", "2"), "p99"),
            metric("apiThr", "Throttles", { FunctionName: "api", Resource: "api:live" }),
            metric("webThr", "Throttles", { FunctionName: "web", Resource: "web:live" }),
        ]);
        expect(["webP99", "apiP99", "apiThr", "webThr"].map((id) => byId.get(id)!.StatusCode)).to.deep.equal([
            "PartialData",
            "Complete",
            "InternalError",
            "Complete",
        ]);
    });

    it("DeadLetterErrors can be degraded although the simulator records none", async () => {
        const aws = account();
        aws.addMetricStatusFault({
            metric: "DeadLetterErrors",
            statusCode: "InternalError",
            fromMinute: 0,
            toMinute: 10,
            functionName: "api",
        });
        aws.advance(MINUTE);
        const { byId } = await getMetricData(aws, [
            metric("dlq", "DeadLetterErrors", { FunctionName: "api" }),
            metric("webDlq", "DeadLetterErrors", { FunctionName: "web" }),
        ]);
        expect(byId.get("dlq")!.StatusCode).to.equal("InternalError");
        expect(byId.get("webDlq")).to.include({ StatusCode: "Complete" });
    });

    it("alarms still evaluate the metrics a degraded GetMetricData does not return", async () => {
        const aws = account();
        aws.putMetricAlarm({
            name: "api-errors",
            comparisonOperator: "GreaterThanThreshold",
            evaluationPeriods: 1,
            threshold: 0,
            namespace: "AWS/Lambda",
            metricName: "Errors",
            dimensions: { FunctionName: "api" },
            statistic: "Sum",
            period: 60,
        });
        aws.addMetricStatusFault({ metric: "Errors", statusCode: "InternalError", fromMinute: 0, toMinute: 10 });
        aws.advance(4 * MINUTE);
        const out = await aws.cloudWatch.send(new DescribeAlarmsCommand({ AlarmNames: ["api-errors"] }));
        expect(out.MetricAlarms[0].StateValue).to.equal("ALARM");
    });
});

describe("simulator faults: DescribeAlarms throttled (alarms-unreadable)", () => {
    it("answers Throttling (400, client fault) in the window, while GetMetricData works; readable before and after", async () => {
        const aws = account();
        aws.addAlarmsUnreadable(2, 4);
        aws.advance(MINUTE);
        await aws.cloudWatch.send(new DescribeAlarmsCommand({}));
        aws.advance(MINUTE);
        const error = await rejection(aws.cloudWatch.send(new DescribeAlarmsCommand({})));
        expect(error).to.include({ name: "Throttling", $fault: "client" });
        expect(error.$metadata).to.deep.equal({ httpStatusCode: 400 });
        expect(error.message).to.match(/^Rate exceeded/);
        expect((await getMetricData(aws, QUERIES)).byId.get("apiErr")!.StatusCode).to.equal("Complete");
        aws.advance(2 * MINUTE);
        const out = await aws.cloudWatch.send(new DescribeAlarmsCommand({}));
        expect(out.MetricAlarms).to.deep.equal([]);
    });

    it("two windows both apply", async () => {
        const aws = account();
        aws.addAlarmsUnreadable(1, 2);
        aws.addAlarmsUnreadable(3, 4);
        const outcomes: string[] = [];
        for (let minute = 0; minute < 5; minute++) {
            outcomes.push(
                await aws.cloudWatch.send(new DescribeAlarmsCommand({})).then(
                    () => "ok",
                    (e: Error) => e.name,
                ),
            );
            aws.advance(MINUTE);
        }
        expect(outcomes).to.deep.equal(["ok", "Throttling", "ok", "Throttling", "ok"]);
    });
});

describe("simulator faults: UpdateAlias conflicts (alias-conflict)", () => {
    const update = (aws: SimulatedAws, fn: string, weight: number) =>
        aws.lambda.send(
            new UpdateAliasCommand({
                FunctionName: fn,
                Name: "live",
                FunctionVersion: "1",
                RoutingConfig: { AdditionalVersionWeights: { "2": weight } },
            }),
        );
    const outcome = (promise: Promise<unknown>) =>
        promise.then(
            () => "ok",
            (e: AwsError) => `${e.name} ${e.$metadata?.httpStatusCode}`,
        );

    it("answers ResourceConflictException (409) exactly `times` times for that function, then works; the alias is unchanged by the refused calls", async () => {
        const aws = account();
        aws.addAliasConflict("api", 2);
        const weightNow = async () =>
            (await aws.lambda.send(new GetAliasCommand({ FunctionName: "api", Name: "live" }))).RoutingConfig.AdditionalVersionWeights["2"];
        const seen = [];
        for (const weight of [0.2, 0.3, 0.4, 0.5]) seen.push([await outcome(update(aws, "api", weight)), await weightNow()]);
        expect(seen).to.deep.equal([
            ["ResourceConflictException 409", 0.1],
            ["ResourceConflictException 409", 0.1],
            ["ok", 0.4],
            ["ok", 0.5],
        ]);
    });

    it("the error is a client fault naming the function; an ARN counts as the function", async () => {
        const aws = account();
        aws.addAliasConflict("api", 1);
        const error = await rejection(update(aws, "arn:aws:lambda:us-east-1:123456789012:function:api", 0.2));
        expect(error).to.include({ name: "ResourceConflictException", $fault: "client" });
        expect(error.message).to.equal(
            "The operation cannot be performed at this time. An update is in progress for resource: arn:aws:lambda:us-east-1:123456789012:function:api",
        );
    });

    it("only UpdateAlias through the Lambda client: other functions, other commands and putAlias (the mock engine) are not affected", async () => {
        const aws = account();
        aws.addAliasConflict("api", 1);
        expect(await outcome(update(aws, "web", 0.2))).to.equal("ok");
        expect(await outcome(aws.lambda.send(new GetAliasCommand({ FunctionName: "api", Name: "live" })))).to.equal("ok");
        expect(await outcome(aws.lambda.send(new ListAliasesCommand({ FunctionName: "api" })))).to.equal("ok");
        aws.putAlias("api", "live", "1", { "2": 0.3 });
        expect(await outcome(update(aws, "api", 0.4))).to.equal("ResourceConflictException 409");
        expect(await outcome(update(aws, "api", 0.4))).to.equal("ok");
    });

    it("two entries for different functions both apply; two for the same function add up", async () => {
        const aws = account();
        aws.addAliasConflict("api", 1);
        aws.addAliasConflict("web", 1);
        aws.addAliasConflict("api", 2);
        const api = [];
        for (let k = 0; k < 4; k++) api.push(await outcome(update(aws, "api", 0.2)));
        expect(api).to.deep.equal([
            "ResourceConflictException 409",
            "ResourceConflictException 409",
            "ResourceConflictException 409",
            "ok",
        ]);
        expect([await outcome(update(aws, "web", 0.2)), await outcome(update(aws, "web", 0.2))]).to.deep.equal([
            "ResourceConflictException 409",
            "ok",
        ]);
    });

    it("refuses a number of times that is not a whole number >= 1", () => {
        const aws = account();
        expect(() => aws.addAliasConflict("api", 0)).to.throw("addAliasConflict: `times` must be a whole number >= 1, got 0.");
        expect(() => aws.addAliasConflict("api", 1.5)).to.throw("addAliasConflict: `times` must be a whole number >= 1, got 1.5.");
    });
});

describe("simulator faults: expired credentials (credentials-expire)", () => {
    const calls = (aws: SimulatedAws): Array<[string, () => Promise<unknown>]> => [
        ["GetAlias", () => aws.lambda.send(new GetAliasCommand({ FunctionName: "api", Name: "live" }))],
        ["UpdateAlias", () => aws.lambda.send(new UpdateAliasCommand({ FunctionName: "api", Name: "live", FunctionVersion: "1" }))],
        [
            "Invoke",
            () => aws.lambda.send(new InvokeCommand({ FunctionName: "api", Qualifier: "2", Payload: new TextEncoder().encode("{}") })),
        ],
        ["GetMetricData", () => getMetricData(aws, QUERIES)],
        ["DescribeAlarms", () => aws.cloudWatch.send(new DescribeAlarmsCommand({}))],
    ];

    it("from atMinute on, every Lambda and CloudWatch call fails with ExpiredTokenException (403, client fault); before it, none does", async () => {
        const aws = account();
        aws.expireCredentialsAt(3);
        aws.advance(2.5 * MINUTE);
        expect(aws.credentialsExpired()).to.equal(false);
        for (const [name, call] of calls(aws)) await call().catch((e: Error) => expect.fail(`${name} failed before expiry: ${e.message}`));
        aws.advance(0.5 * MINUTE);
        expect(aws.credentialsExpired()).to.equal(true);
        for (const [name, call] of calls(aws)) {
            const error = await rejection(call());
            expect(error, name).to.include({ name: "ExpiredTokenException", $fault: "client" });
            expect(error.$metadata, name).to.deep.equal({ httpStatusCode: 403 });
            expect(error.message, name).to.match(/^The security token included in the request is expired/);
        }
        aws.advance(60 * MINUTE);
        expect(aws.credentialsExpired()).to.equal(true);
    });

    it("comes before every other fault: an outage, throttling and alias conflicts answer ExpiredTokenException once expired", async () => {
        const aws = account();
        aws.addCloudWatchOutage(0, 10);
        aws.addAlarmsUnreadable(0, 10);
        aws.addAliasConflict("api", 5);
        aws.expireCredentialsAt(0);
        for (const [name, call] of calls(aws)) expect((await rejection(call())).name, name).to.equal("ExpiredTokenException");
    });

    it("traffic and metrics go on: the users are not the ones whose credentials expired", () => {
        const aws = account();
        aws.expireCredentialsAt(1);
        aws.advance(5 * MINUTE);
        expect(aws.requestCounts("api").total).to.be.above(2000);
    });

    it("given twice, the earliest minute holds", () => {
        const aws = account();
        aws.expireCredentialsAt(10);
        aws.expireCredentialsAt(4);
        aws.advance(4 * MINUTE);
        expect(aws.credentialsExpired()).to.equal(true);
    });
});

describe("simulator faults: windows are checked", () => {
    it("a window whose toMinute is not after its fromMinute is refused, naming both", () => {
        const aws = account();
        expect(() => aws.addAlarmsUnreadable(5, 5)).to.throw("addAlarmsUnreadable: `toMinute` (5) must be after `fromMinute` (5).");
        expect(() => aws.addCloudWatchOutage(6, 2)).to.throw("addCloudWatchOutage: `toMinute` (2) must be after `fromMinute` (6).");
        expect(() => aws.addMetricStatusFault({ metric: "Errors", statusCode: "InternalError", fromMinute: 3, toMinute: 1 })).to.throw(
            "addMetricStatusFault: `toMinute` (1) must be after `fromMinute` (3).",
        );
    });
});
