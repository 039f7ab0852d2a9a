import { GetMetricDataCommand } from "@aws-sdk/client-cloudwatch";
import { UpdateAliasCommand } from "@aws-sdk/client-lambda";
import { expect } from "chai";
import * as path from "path";
import { evidenceQueries } from "../../../automation/adapters/cloudwatch";
import { PROJECT_ROOT } from "../../../automation/engine/evaluate";
import { rehearse } from "../../../automation/rehearsal/rehearse";
import { readScenario } from "../../../automation/rehearsal/scenario";
import { SimulatedAws } from "../../../automation/simulator";
import { observeCommands } from "../../../automation/simulator/sdkDispatch";
import {
    assertValidRequest,
    loadAwsModels,
    locateAwsModels,
    MODELLED_SERVICES,
    requestViolations,
    translatePattern,
    type AwsModels,
} from "../../helpers/awsModels";
import { memoryLog } from "../../helpers/fakes";

/**
 * Rehearsals whose requests are checked, as `<stack> <scenario>`: the two everyday outcomes on prod's canary and
 * staging's blue-green pair (two functions in one GetMetricData), and faults that take other paths (a failed
 * smoke test, a latency rollback, a rollback after a kill, throttles, partial data, expired credentials, a signal).
 */
const REHEARSED = [
    "prod healthy",
    "prod bad-canary",
    "prod smoke-fail",
    "prod latency-regression",
    "prod faults/killed-during-rollback",
    "prod faults/stable-throttles",
    "prod faults/invocations-partial",
    "prod faults/credentials-expire",
    "prod faults/interrupt-sigint",
    "staging healthy",
    "staging bad-canary",
];

/** A command the simulated clients were sent during a rehearsal. */
interface Sent {
    readonly scenario: string;
    readonly service: string;
    readonly operation: string;
    readonly input: unknown;
}

describe("requests checked against AWS's own API models (botocore's service-2.json from Debian's awscli)", function () {
    this.timeout(120_000);
    let models: AwsModels;

    before(() => {
        // Not a skip: CI installs the models (.ci/run), and without them nothing here would be checked.
        models = loadAwsModels();
    });

    describe("the models", () => {
        it("are found where AWS_MODELS_DIR or Debian's awscli puts them, for the API versions the SDK speaks", () => {
            expect(models.models.Lambda.metadata.apiVersion).to.equal("2015-03-31");
            expect(models.models.CloudWatch.metadata.apiVersion).to.equal("2010-08-01");
            expect(models.files.Lambda).to.match(/lambda\/2015-03-31\/service-2\.json(\.gz)?$/);
        });

        it("missing, they fail loading with where they were looked for and how to install them", () => {
            expect(() => locateAwsModels({ AWS_MODELS_DIR: "/nonexistent/botocore/data" })).to.throw(
                `AWS's API models (botocore's ${MODELLED_SERVICES.Lambda}/service-2.json[.gz] and ${MODELLED_SERVICES.CloudWatch}/service-2.json[.gz] and ${MODELLED_SERVICES.SNS}/service-2.json[.gz]) are not in /nonexistent/botocore/data (AWS_MODELS_DIR): install Debian's awscli`,
            );
        });
    });

    describe("botocore's Java patterns, translated", () => {
        it("match the whole value, as AWS's validation does (an alias name that is all digits is a version, refused)", () => {
            const alias = translatePattern("(?!^[0-9]+$)([a-zA-Z0-9-_]+)").regex;
            expect(["live", "canary-1", "v_2"].filter((v) => alias.test(v))).to.deep.equal(["live", "canary-1", "v_2"]);
            expect(["123", "li ve", "live!", ""].filter((v) => alias.test(v))).to.deep.equal([]);
        });

        it("a top-level alternation is anchored as a whole (`^$|arn:...` does not accept any string ending in an ARN)", () => {
            const { regex, display } = translatePattern("^$|arn:(aws[a-zA-Z0-9-]*):([a-zA-Z0-9\\-])+:(.*)");
            expect(display).to.equal("^(?:^$|arn:(aws[a-zA-Z0-9-]*):([a-zA-Z0-9\\-])+:(.*))$");
            expect(["", "arn:aws:sqs:x"].every((v) => regex.test(v))).to.equal(true);
            expect(regex.test("x arn:aws:sqs:x")).to.equal(false);
        });

        it("Java's escapes of punctuation (`\\_`, `\\$`) are literals; Java-only constructs are refused, not guessed at", () => {
            expect(translatePattern("[0-9A-Za-z][\\-\\.\\_0-9A-Za-z]{0,126}[0-9A-Za-z]").regex.test("my_name-1.x")).to.equal(true);
            expect(translatePattern("(\\$LATEST|[0-9]+)").regex.test("$LATEST")).to.equal(true);
            expect(() => translatePattern("\\p{Alpha}+")).to.throw("Java-only class");
            expect(() => translatePattern("(?i)abc")).to.throw("inline flags");
            expect(() => translatePattern("a++")).to.throw("possessive quantifier");
            expect(() => translatePattern("[a-z&&[^aeiou]]")).to.throw("nested class or intersection");
        });

        it("every pattern in both models translates", () => {
            for (const model of Object.values(models.models)) {
                for (const shape of Object.values(model.shapes)) if (shape.pattern !== undefined) translatePattern(shape.pattern);
            }
        });
    });

    describe("a request AWS refuses fails, naming the operation and the field", () => {
        const query = (id: string) => ({
            ...evidenceQueries(0, { key: "api", functionName: "api", aliasName: "live", stableVersion: "1", candidateVersion: "2" })[0],
            Id: id,
        });
        const getMetricData = (id: string) =>
            new GetMetricDataCommand({ MetricDataQueries: [query(id)], StartTime: new Date(0), EndTime: new Date(60_000) }).input;

        it("a GetMetricData query Id starting with an upper-case letter (CloudWatch: the first character must be a lowercase letter)", () => {
            expect(() => assertValidRequest(models, "CloudWatch", "GetMetricData", getMetricData("M1"))).to.throw(
                'GetMetricData MetricDataQueries[0].Id: "M1" does not match ^[a-z][a-zA-Z0-9_]*$',
            );
            expect(requestViolations(models.models.CloudWatch, "GetMetricData", getMetricData("m1"))).to.deep.equal([]);
        });

        it("the adapter's own query ids (f<i>_c_inv, ...) are what CloudWatch accepts", () => {
            const queries = evidenceQueries(12, {
                key: "api",
                functionName: "api",
                aliasName: "live",
                stableVersion: "1",
                candidateVersion: "2",
            });
            expect(
                requestViolations(models.models.CloudWatch, "GetMetricData", {
                    MetricDataQueries: queries,
                    StartTime: new Date(0),
                    EndTime: new Date(1),
                }),
            ).to.deep.equal([]);
        });

        it("unknown and missing members, enums, ranges, lengths, list sizes and timestamps", () => {
            const cw = models.models.CloudWatch;
            const lambda = models.models.Lambda;
            const nameMax = lambda.shapes.NamespacedFunctionName.max!;
            const cases: [string, unknown, string][] = [
                [
                    "GetMetricData",
                    { MetricDataQueries: [{ Id: "a", Expresion: "1" }], StartTime: new Date(0), EndTime: new Date(1) },
                    "MetricDataQueries[0].Expresion: not a member of MetricDataQuery",
                ],
                ["GetMetricData", { MetricDataQueries: [], StartTime: new Date(0) }, "EndTime: required by GetMetricDataInput, missing"],
                [
                    "GetMetricData",
                    { MetricDataQueries: [], StartTime: "2026-01-05", EndTime: new Date(1) },
                    'StartTime: "2026-01-05" is not a valid Date',
                ],
                [
                    "GetMetricData",
                    { MetricDataQueries: [], StartTime: new Date(0), EndTime: new Date(1), ScanBy: "Ascending" },
                    'ScanBy: "Ascending" is not one of TimestampDescending, TimestampAscending',
                ],
                [
                    "GetMetricData",
                    {
                        MetricDataQueries: Array.from({ length: 501 }, (_, i) => ({ Id: `q${i}`, Expression: "1" })),
                        StartTime: new Date(0),
                        EndTime: new Date(1),
                    },
                    "MetricDataQueries: list of 501, above the maximum 500",
                ],
                [
                    "GetMetricData",
                    {
                        MetricDataQueries: [{ ...query("a"), MetricStat: { ...query("a").MetricStat!, Period: 0 } }],
                        StartTime: new Date(0),
                        EndTime: new Date(1),
                    },
                    "MetricDataQueries[0].MetricStat.Period: value 0, below the minimum 1",
                ],
                [
                    "DescribeAlarms",
                    { AlarmNames: Array.from({ length: 101 }, (_, i) => `a${i}`) },
                    "AlarmNames: list of 101, above the maximum 100",
                ],
                [
                    "DescribeAlarms",
                    { AlarmTypes: ["MetricAlarm", "Composite"] },
                    'AlarmTypes[1]: "Composite" is not one of CompositeAlarm, MetricAlarm',
                ],
            ];
            for (const [operation, input, problem] of cases)
                expect(requestViolations(cw, operation, input).join("\n"), problem).to.include(problem);
            const lambdaCases: [string, unknown, string][] = [
                [
                    "UpdateAlias",
                    { FunctionName: "api", Name: "live", RoutingConfig: { AdditionalVersionWeights: { "2": 1.5 } } },
                    'RoutingConfig.AdditionalVersionWeights["2"]: value 1.5, above the maximum 1',
                ],
                [
                    "UpdateAlias",
                    { FunctionName: "api", Name: "live", RoutingConfig: { AdditionalVersionWeights: { $LATEST: 0.1 } } },
                    'RoutingConfig.AdditionalVersionWeights key "$LATEST": "$LATEST" does not match ^[0-9]+$',
                ],
                ["UpdateAlias", { FunctionName: "api", Name: "7" }, 'Name: "7" does not match ^(?!^[0-9]+$)([a-zA-Z0-9-_]+)$'],
                ["GetAlias", { FunctionName: "api" }, "Name: required by GetAliasRequest, missing"],
                // 170 in awscli 2.9.19's model, 256 in botocore 1.43's: the bound is the model's.
                [
                    "GetFunctionConfiguration",
                    { FunctionName: "x".repeat(nameMax + 1) },
                    `FunctionName: length ${nameMax + 1}, above the maximum ${nameMax}`,
                ],
                [
                    "Invoke",
                    { FunctionName: "api", InvocationType: "Sync" },
                    'InvocationType: "Sync" is not one of Event, RequestResponse, DryRun',
                ],
                ["ListVersionsByFunction", { FunctionName: "api", MaxItems: 2.5 }, "MaxItems: 2.5 is not an integer"],
            ];
            for (const [operation, input, problem] of lambdaCases)
                expect(requestViolations(lambda, operation, input).join("\n"), problem).to.include(problem);
        });
    });

    it("the simulator refuses what AWS's models refuse, for the constraints it models (weights, query ids and count, ScanBy)", async () => {
        const sim = new SimulatedAws({ seed: 1, startTime: new Date("2026-01-05T09:00:00Z"), metricDelayMinutes: 0 });
        sim.putFunction({ name: "api", role: "arn:aws:iam::123456789012:role/fn", timeoutSeconds: 3 });
        sim.publishVersion("api");
        sim.publishVersion("api");
        sim.putAlias("api", "live", "1", {});
        const weights = (w: Record<string, number>) =>
            new UpdateAliasCommand({ FunctionName: "api", Name: "live", RoutingConfig: { AdditionalVersionWeights: w } });
        const queries = (ids: string[], scanBy = "TimestampAscending") =>
            new GetMetricDataCommand({
                MetricDataQueries: ids.map((Id) => ({ Id, Expression: "1" })),
                StartTime: new Date(0),
                EndTime: new Date(60_000),
                ScanBy: scanBy as "TimestampAscending",
            });
        const refusedByAws: [keyof typeof MODELLED_SERVICES, string, UpdateAliasCommand | GetMetricDataCommand][] = [
            ["Lambda", "UpdateAlias", weights({ "2": 1.5 })],
            ["Lambda", "UpdateAlias", weights({ "2": -0.1 })],
            ["Lambda", "UpdateAlias", weights({ $LATEST: 0.1 })],
            ["CloudWatch", "GetMetricData", queries(["M1"])],
            ["CloudWatch", "GetMetricData", queries(Array.from({ length: 501 }, (_, i) => `q${i}`))],
            ["CloudWatch", "GetMetricData", queries(["m1"], "Up")],
        ];
        for (const [service, operation, command] of refusedByAws) {
            const what = `${operation} ${JSON.stringify(command.input).slice(0, 120)}`;
            expect(requestViolations(models.models[service], operation, command.input), what).to.not.deep.equal([]);
            const client = service === "Lambda" ? sim.lambda : sim.cloudWatch;
            const answer = await client.send(command).then(
                () => "accepted",
                () => "refused",
            );
            expect(answer, what).to.equal("refused");
        }
    });

    describe("every request sent in rehearsals fits AWS's models", () => {
        const sent: Sent[] = [];

        before(async () => {
            for (const name of REHEARSED) {
                const [stack, file] = name.split(" ");
                const scenario = readScenario(path.join(PROJECT_ROOT, "scenarios", `${file}.json`));
                const stop = observeCommands((service, operation, input) =>
                    sent.push({ scenario: name, service, operation, input: structuredClone(input) }),
                );
                try {
                    await rehearse({ stack, scenario, log: memoryLog() });
                } finally {
                    stop();
                }
            }
        });

        it("every request, of the adapters and of the program reading live aliases, passes the model's checks", () => {
            const refused = sent.flatMap((s) =>
                requestViolations(models.models[s.service as keyof typeof MODELLED_SERVICES], s.operation, s.input).map(
                    (p) => `${s.scenario}: ${s.operation} ${p}`,
                ),
            );
            expect([...new Set(refused)]).to.deep.equal([]);
        });

        it("the rehearsals cover every operation the adapters send", () => {
            const operations = new Set(sent.map((s) => s.operation));
            for (const op of [
                "GetAlias",
                "UpdateAlias",
                "GetFunctionConfiguration",
                "GetProvisionedConcurrencyConfig",
                "Invoke",
                "GetMetricData",
                "DescribeAlarms",
            ]) {
                expect(operations, op).to.include(op);
            }
            expect(sent.length).to.be.above(100);
        });
    });
});
