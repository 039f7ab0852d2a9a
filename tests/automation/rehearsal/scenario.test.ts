import { expect } from "chai";
import { DescribeAlarmsCommand, GetMetricDataCommand } from "@aws-sdk/client-cloudwatch";
import { GetAliasCommand, UpdateAliasCommand } from "@aws-sdk/client-lambda";
import { InfrastructureError, UsageError } from "../../../automation/errors";
import { applySimulatorFaults } from "../../../automation/rehearsal/faults";
import { MockEngineStack } from "../../../automation/rehearsal/mockEngineStack";
import { REHEARSAL_START } from "../../../automation/rehearsal/rehearse";
import {
    FAULT_KINDS,
    MAX_REQUESTS_PER_MINUTE,
    parseScenario,
    type Fault,
    type FaultOf,
    type Scenario,
} from "../../../automation/rehearsal/scenario";
import { SimulatedAws } from "../../../automation/simulator";

const profile = { errorRate: 0.002, p50Ms: 80, p99Ms: 400 };
const fn = { stable: profile, candidate: profile };
const base = { name: "x", seed: 7, requestsPerMinute: 300, functions: { "*": fn } };
const withFaults = (...faults: object[]) => ({ ...base, faults });

function problemsOf(raw: object): string {
    try {
        parseScenario(raw, "x.json");
    } catch (error) {
        expect(error).to.be.instanceOf(UsageError);
        return (error as Error).message;
    }
    throw new Error("expected the scenario to be refused");
}

describe("scenario files: each bad field is refused with its path and what would be valid", () => {
    const AT_STEP = 'must be a whole number >= 1 (the n-th promote step) or "rollback" (the rollback\'s `up`)';
    const RPM = `must be at most ${MAX_REQUESTS_PER_MINUTE} requests a minute: the rehearsal draws every request's duration, so its time grows with the rate (a one-hour rollout at ${MAX_REQUESTS_PER_MINUTE} takes a few seconds per function)`;
    const KILLED =
        'needs exactly one of `atMinute` (the minute the process dies, > 0) and `after` ("rollback-decision": dies right after deciding to roll back)';
    const SEED = "must be a whole number from 0 to 4294967295";
    const cases: Array<[string, object, string]> = [
        ["a negative seed", { ...base, seed: -1 }, `\`seed\`: ${SEED}`],
        ["a fractional seed", { ...base, seed: 1.5 }, `\`seed\`: ${SEED}`],
        ["a seed over 32 bits", { ...base, seed: 4294967296 }, `\`seed\`: ${SEED}`],
        ["a seed in quotes", { ...base, seed: "7" }, `\`seed\`: ${SEED}`],
        ["requestsPerMinute over the bound", { ...base, requestsPerMinute: 100001 }, `\`requestsPerMinute\`: ${RPM}`],
        [
            "a negative requestsPerMinute",
            { ...base, requestsPerMinute: -1 },
            "`requestsPerMinute`: must be a number of requests a minute >= 0",
        ],
        [
            "a function's requestsPerMinute over the bound",
            { ...base, functions: { api: { ...fn, requestsPerMinute: 1e7 } } },
            `\`functions.api.requestsPerMinute\`: ${RPM}`,
        ],
        [
            "a profile with p99Ms under p50Ms",
            { ...base, functions: { "*": { ...fn, stable: { errorRate: 0, p50Ms: 500, p99Ms: 400 } } } },
            "`functions.*.stable.p99Ms`: must be at least `p50Ms` (500), got 400",
        ],
        [
            "a timed profile with p99Ms under p50Ms",
            {
                ...base,
                functions: {
                    "*": {
                        ...fn,
                        candidate: [
                            { fromMinute: 0, ...profile },
                            { fromMinute: 20, errorRate: 0, p50Ms: 500, p99Ms: 400 },
                        ],
                    },
                },
            },
            "`functions.*.candidate[1].p99Ms`: must be at least `p50Ms` (500), got 400",
        ],
        ["atStep 0", withFaults({ kind: "up-fails", atStep: 0 }), `\`faults[0].atStep\`: ${AT_STEP}`],
        ["a fractional atStep", withFaults({ kind: "up-fails", atStep: 1.5 }), `\`faults[0].atStep\`: ${AT_STEP}`],
        ["a misspelt rollback atStep", withFaults({ kind: "lock-conflict", atStep: "rollbak" }), `\`faults[0].atStep\`: ${AT_STEP}`],
        [
            "an outage ending before it starts",
            withFaults({ kind: "cloudwatch-unavailable", fromMinute: 10, toMinute: 5 }),
            "`faults[0].toMinute`: must be after `fromMinute` (10), got 5",
        ],
        [
            "an outage starting before minute 0",
            withFaults({ kind: "cloudwatch-unavailable", fromMinute: -1, toMinute: 5 }),
            "`faults[0].fromMinute`: must be a number of minutes >= 0",
        ],
        [
            "an outage without toMinute",
            withFaults({ kind: "cloudwatch-unavailable", fromMinute: 1 }),
            "`faults[0].toMinute`: must be a number of minutes >= 0",
        ],
        ["killed with neither atMinute nor after", withFaults({ kind: "killed" }), `\`faults[0]\`: ${KILLED}`],
        [
            "killed with both atMinute and after",
            withFaults({ kind: "killed", atMinute: 5, after: "rollback-decision" }),
            `\`faults[0]\`: ${KILLED}`,
        ],
        ["killed at minute 0", withFaults({ kind: "killed", atMinute: 0 }), "`faults[0].atMinute`: must be a number of minutes > 0"],
        [
            "killed after something else",
            withFaults({ kind: "killed", after: "promotion" }),
            '`faults[0].after`: must be "rollback-decision"',
        ],
        [
            "cloudwatch-partial of a metric the gates do not read",
            withFaults({ kind: "cloudwatch-partial", metric: "errors", statusCode: "InternalError", fromMinute: 0, toMinute: 5 }),
            '`faults[0].metric`: must be one of "Errors", "Invocations", "Duration", "Throttles" or "DeadLetterErrors"',
        ],
        [
            "cloudwatch-partial with a StatusCode AWS does not return",
            withFaults({ kind: "cloudwatch-partial", metric: "Errors", statusCode: "Throttled", fromMinute: 0, toMinute: 5 }),
            '`faults[0].statusCode`: must be one of "InternalError", "Forbidden" or "PartialData"',
        ],
        [
            "cloudwatch-partial with an empty function",
            withFaults({ kind: "cloudwatch-partial", metric: "Errors", statusCode: "Forbidden", fromMinute: 0, toMinute: 5, function: "" }),
            '`faults[0].function`: must be a function\'s key in the stack config, such as "api"',
        ],
        [
            "cloudwatch-partial with an empty window",
            withFaults({ kind: "cloudwatch-partial", metric: "Errors", statusCode: "Forbidden", fromMinute: 5, toMinute: 5 }),
            "`faults[0].toMinute`: must be after `fromMinute` (5), got 5",
        ],
        [
            "alarms-unreadable ending before it starts",
            withFaults({ kind: "alarms-unreadable", fromMinute: 3, toMinute: 1 }),
            "`faults[0].toMinute`: must be after `fromMinute` (3), got 1",
        ],
        [
            "alias-conflict 0 times",
            withFaults({ kind: "alias-conflict", function: "api", times: 0 }),
            "`faults[0].times`: must be a whole number >= 1",
        ],
        [
            "alias-conflict 1.5 times",
            withFaults({ kind: "alias-conflict", function: "api", times: 1.5 }),
            "`faults[0].times`: must be a whole number >= 1",
        ],
        [
            "alias-conflict without a function",
            withFaults({ kind: "alias-conflict", times: 2 }),
            '`faults[0].function`: must be a function\'s key in the stack config, such as "api"',
        ],
        [
            "credentials expiring before minute 0",
            withFaults({ kind: "credentials-expire", atMinute: -2 }),
            "`faults[0].atMinute`: must be a number of minutes >= 0",
        ],
        [
            "an interrupt by another signal",
            withFaults({ kind: "interrupt", atMinute: 5, signal: "SIGHUP" }),
            '`faults[0].signal`: must be "SIGINT" or "SIGTERM"',
        ],
        [
            "an interrupt followed by SIGTERM",
            withFaults({ kind: "interrupt", atMinute: 5, signal: "SIGINT", then: "SIGTERM" }),
            '`faults[0].then`: must be "SIGKILL" (or left out)',
        ],
        [
            "an interrupt with an unknown field",
            withFaults({ kind: "interrupt", atMinute: 5, signal: "SIGINT", after: 3 }),
            "`faults[0]`: unknown field(s) `after`",
        ],
        [
            "an unknown fault kind",
            withFaults({ kind: "meteor" }),
            '`faults[0].kind`: must have kind "up-fails", "lock-conflict", "cloudwatch-unavailable", "cloudwatch-partial", "alarms-unreadable", "alias-conflict", "credentials-expire", "killed", "interrupt", "approve", "abort", "pause", "promote-full" or "record-corrupt"',
        ],
        [
            "a pause resumed before it began",
            withFaults({ kind: "pause", atMinute: 15, resumeAtMinute: 5 }),
            "`faults[0].resumeAtMinute`: must be after `atMinute` (15), got 5",
        ],
        ["an approval without its minute", withFaults({ kind: "approve" }), "`faults[0].atMinute`: must be a number of minutes >= 0"],
        [
            "a hook answer that is neither pass nor fail",
            { ...withFaults(), hooks: { preTraffic: "maybe" } },
            '`hooks.preTraffic`: must be "pass" or "fail"',
        ],
        [
            "a hook at a point that does not exist",
            { ...withFaults(), hooks: { beforeLunch: "pass" } },
            "`hooks`: unknown field(s) `beforeLunch`",
        ],
        [
            "the second fault's bad field",
            withFaults({ kind: "alarms-unreadable", fromMinute: 0, toMinute: 1 }, { kind: "alias-conflict", function: "api", times: -1 }),
            "`faults[1].times`: must be a whole number >= 1",
        ],
    ];
    for (const [what, raw, problem] of cases) {
        it(`${what}: ${problem}`, () => {
            expect(problemsOf(raw)).to.equal(`invalid scenario x.json:\n  - ${problem}`);
        });
    }

    it("several problems are all listed, each on its line", () => {
        expect(
            problemsOf({ ...base, seed: -1, faults: [{ kind: "killed" }, { kind: "alias-conflict", function: "api", times: 0 }] }),
        ).to.equal(
            [
                "invalid scenario x.json:",
                `  - \`seed\`: ${SEED}`,
                `  - \`faults[0]\`: ${KILLED}`,
                "  - `faults[1].times`: must be a whole number >= 1",
            ].join("\n"),
        );
    });
});

describe("scenario files: the fault kinds of the contract", () => {
    const every: object[] = [
        { kind: "up-fails", atStep: 2 },
        { kind: "up-fails", atStep: "rollback" },
        { kind: "lock-conflict", atStep: "rollback" },
        { kind: "cloudwatch-unavailable", fromMinute: 0, toMinute: 5 },
        { kind: "cloudwatch-partial", metric: "Errors", statusCode: "InternalError", fromMinute: 3, toMinute: 9, function: "api" },
        { kind: "cloudwatch-partial", metric: "DeadLetterErrors", statusCode: "PartialData", fromMinute: 0, toMinute: 1 },
        { kind: "alarms-unreadable", fromMinute: 0, toMinute: 60 },
        { kind: "alias-conflict", function: "api", times: 3 },
        { kind: "credentials-expire", atMinute: 0 },
        { kind: "killed", atMinute: 12.5 },
        { kind: "killed", after: "rollback-decision" },
        { kind: "interrupt", atMinute: 4, signal: "SIGINT" },
        { kind: "interrupt", atMinute: 4, signal: "SIGTERM", then: "SIGKILL" },
        { kind: "approve", atMinute: 25 },
        { kind: "abort", atMinute: 12 },
        { kind: "abort", duringUp: 2 },
        { kind: "pause", atMinute: 5, resumeAtMinute: 15 },
        { kind: "pause", atMinute: 5 },
        { kind: "promote-full", atMinute: 14 },
        { kind: "record-corrupt", atMinute: 24.5, text: "lambda-rollout/1 {" },
        { kind: "record-corrupt", atMinute: 3, text: "by hand", function: "api" },
    ];

    it("accepts every kind in each of its forms, as given", () => {
        expect(parseScenario(withFaults(...every), "x.json").faults).to.deep.equal(every);
    });

    it("names every kind in FAULT_KINDS, which the kind error lists", () => {
        expect(new Set(every.map((f) => (f as Fault).kind))).to.deep.equal(new Set(FAULT_KINDS));
    });

    it("exports types the rehearsal narrows on: killed is either at a minute or after the rollback decision", () => {
        const faults: Scenario["faults"] = parseScenario(
            withFaults({ kind: "killed", after: "rollback-decision" }, { kind: "killed", atMinute: 3 }),
            "x.json",
        ).faults;
        const killed = faults.filter((f): f is FaultOf<"killed"> => f.kind === "killed");
        const described = killed.map((f) => (f.after === undefined ? `at minute ${f.atMinute.toFixed(1)}` : `after ${f.after}`));
        expect(described).to.deep.equal(["after rollback-decision", "at minute 3.0"]);
    });

    it("a seed of 0 and of 4294967295, and requestsPerMinute at the bound, are valid", () => {
        expect(() => parseScenario({ ...base, seed: 0 }, "x.json")).not.to.throw();
        expect(() => parseScenario({ ...base, seed: 4294967295, requestsPerMinute: MAX_REQUESTS_PER_MINUTE }, "x.json")).not.to.throw();
    });
});

describe("applySimulatorFaults: the scenario's AWS faults in the simulated account", () => {
    const MINUTE = 60_000;
    const PHYSICAL = {
        api: { functionName: "prod-api-fn", aliasName: "live" },
        worker: { functionName: "prod-worker-fn", aliasName: "live" },
    };

    function account(): SimulatedAws {
        const sim = new SimulatedAws({ seed: 3, startTime: REHEARSAL_START, metricDelayMinutes: 0 });
        for (const { functionName } of Object.values(PHYSICAL)) {
            sim.putFunction({ name: functionName, role: "arn:aws:iam::123456789012:role/r", timeoutSeconds: 3 });
            sim.publishVersion(functionName);
            sim.putAlias(functionName, "live", "1");
            sim.setTraffic(functionName, "live", 120);
        }
        return sim;
    }
    const faultsOf = (...faults: object[]) => parseScenario(withFaults(...faults), "x.json").faults;
    const at = (sim: SimulatedAws, minute: number) => sim.advance(REHEARSAL_START.getTime() + minute * MINUTE - sim.now().getTime());
    const outcome = (promise: Promise<unknown>) =>
        promise.then(
            () => "ok",
            (e: Error) => e.name,
        );
    const describeAlarms = (sim: SimulatedAws) => outcome(sim.cloudWatch.send(new DescribeAlarmsCommand({})));
    const updateAlias = (sim: SimulatedAws, functionName: string) =>
        outcome(sim.lambda.send(new UpdateAliasCommand({ FunctionName: functionName, Name: "live", FunctionVersion: "1" })));
    async function errorsStatus(sim: SimulatedAws, functionName: string, metric = "Errors"): Promise<string> {
        const out = await sim.cloudWatch.send(
            new GetMetricDataCommand({
                StartTime: REHEARSAL_START,
                EndTime: sim.now(),
                MetricDataQueries: [
                    {
                        Id: "m",
                        MetricStat: {
                            Metric: {
                                Namespace: "AWS/Lambda",
                                MetricName: metric,
                                Dimensions: [{ Name: "FunctionName", Value: functionName }],
                            },
                            Period: 60,
                            Stat: "Sum",
                        },
                    },
                ],
            }),
        );
        return out.MetricDataResults[0].StatusCode;
    }

    it("two cloudwatch-unavailable windows both apply", async () => {
        const sim = account();
        applySimulatorFaults(
            sim,
            faultsOf(
                { kind: "cloudwatch-unavailable", fromMinute: 1, toMinute: 2 },
                { kind: "cloudwatch-unavailable", fromMinute: 3, toMinute: 4 },
            ),
            PHYSICAL,
        );
        const seen = [];
        for (const minute of [0.5, 1.5, 2.5, 3.5, 4.5]) {
            at(sim, minute);
            seen.push(await describeAlarms(sim));
        }
        expect(seen).to.deep.equal(["ok", "ServiceUnavailable", "ok", "ServiceUnavailable", "ok"]);
    });

    it("cloudwatch-partial resolves `function` to the physical name; two entries both apply; without `function` every function is affected", async () => {
        const sim = account();
        applySimulatorFaults(
            sim,
            faultsOf(
                { kind: "cloudwatch-partial", metric: "Errors", statusCode: "InternalError", fromMinute: 0, toMinute: 10, function: "api" },
                {
                    kind: "cloudwatch-partial",
                    metric: "Invocations",
                    statusCode: "Forbidden",
                    fromMinute: 0,
                    toMinute: 10,
                    function: "worker",
                },
                { kind: "cloudwatch-partial", metric: "Throttles", statusCode: "PartialData", fromMinute: 0, toMinute: 10 },
            ),
            PHYSICAL,
        );
        at(sim, 2);
        expect(await errorsStatus(sim, "prod-api-fn")).to.equal("InternalError");
        expect(await errorsStatus(sim, "prod-worker-fn")).to.equal("Complete");
        expect(await errorsStatus(sim, "prod-worker-fn", "Invocations")).to.equal("Forbidden");
        expect(await errorsStatus(sim, "prod-api-fn", "Invocations")).to.equal("Complete");
        expect([await errorsStatus(sim, "prod-api-fn", "Throttles"), await errorsStatus(sim, "prod-worker-fn", "Throttles")]).to.deep.equal(
            ["PartialData", "PartialData"],
        );
        at(sim, 10);
        expect(await errorsStatus(sim, "prod-api-fn")).to.equal("Complete");
    });

    it("two alarms-unreadable windows both apply", async () => {
        const sim = account();
        applySimulatorFaults(
            sim,
            faultsOf({ kind: "alarms-unreadable", fromMinute: 0, toMinute: 1 }, { kind: "alarms-unreadable", fromMinute: 2, toMinute: 3 }),
            PHYSICAL,
        );
        const seen = [];
        for (const minute of [0, 1, 2, 3]) {
            at(sim, minute);
            seen.push(await describeAlarms(sim));
        }
        expect(seen).to.deep.equal(["Throttling", "ok", "Throttling", "ok"]);
    });

    it("alias-conflict entries for two functions both apply, each its own number of times, on the physical functions", async () => {
        const sim = account();
        applySimulatorFaults(
            sim,
            faultsOf({ kind: "alias-conflict", function: "api", times: 2 }, { kind: "alias-conflict", function: "worker", times: 1 }),
            PHYSICAL,
        );
        const api = [await updateAlias(sim, "prod-api-fn"), await updateAlias(sim, "prod-api-fn"), await updateAlias(sim, "prod-api-fn")];
        const worker = [await updateAlias(sim, "prod-worker-fn"), await updateAlias(sim, "prod-worker-fn")];
        expect({ api, worker }).to.deep.equal({
            api: ["ResourceConflictException", "ResourceConflictException", "ok"],
            worker: ["ResourceConflictException", "ok"],
        });
    });

    it("credentials-expire: every Lambda and CloudWatch call fails with ExpiredTokenException from atMinute on", async () => {
        const sim = account();
        applySimulatorFaults(sim, faultsOf({ kind: "credentials-expire", atMinute: 5 }), PHYSICAL);
        at(sim, 4.9);
        expect([
            await describeAlarms(sim),
            await outcome(sim.lambda.send(new GetAliasCommand({ FunctionName: "prod-api-fn", Name: "live" }))),
        ]).to.deep.equal(["ok", "ok"]);
        at(sim, 5);
        expect(sim.credentialsExpired()).to.equal(true);
        expect([
            await describeAlarms(sim),
            await updateAlias(sim, "prod-api-fn"),
            await outcome(sim.lambda.send(new GetAliasCommand({ FunctionName: "prod-api-fn", Name: "live" }))),
        ]).to.deep.equal(["ExpiredTokenException", "ExpiredTokenException", "ExpiredTokenException"]);
    });

    it("leaves the stack's and the process's faults alone (up-fails, lock-conflict, killed, interrupt)", async () => {
        const sim = account();
        applySimulatorFaults(
            sim,
            faultsOf(
                { kind: "up-fails", atStep: 1 },
                { kind: "lock-conflict", atStep: "rollback" },
                { kind: "killed", atMinute: 1 },
                { kind: "interrupt", atMinute: 1, signal: "SIGINT" },
            ),
            PHYSICAL,
        );
        at(sim, 2);
        expect([await describeAlarms(sim), await updateAlias(sim, "prod-api-fn"), sim.credentialsExpired()]).to.deep.equal([
            "ok",
            "ok",
            false,
        ]);
    });

    it("an unknown function key is a UsageError naming `faults[i].function` and the stack's functions, and no fault is applied", async () => {
        const sim = account();
        let error: Error | undefined;
        try {
            applySimulatorFaults(
                sim,
                faultsOf({ kind: "alarms-unreadable", fromMinute: 0, toMinute: 10 }, { kind: "alias-conflict", function: "web", times: 1 }),
                PHYSICAL,
            );
        } catch (e) {
            error = e as Error;
        }
        expect(error).to.be.instanceOf(UsageError);
        expect(error?.message).to.equal('`faults[1].function`: the stack has no function "web" (functions: api, worker)');
        expect(await describeAlarms(sim)).to.equal("ok");
        const partial = faultsOf({
            kind: "cloudwatch-partial",
            metric: "Duration",
            statusCode: "Forbidden",
            fromMinute: 0,
            toMinute: 1,
            function: "toString",
        });
        expect(() => applySimulatorFaults(sim, partial, PHYSICAL)).to.throw(
            UsageError,
            '`faults[0].function`: the stack has no function "toString" (functions: api, worker)',
        );
    });
});

describe("the rehearsal's stack under expired credentials", function () {
    this.timeout(60_000);

    it("every `up` fails with an InfrastructureError naming ExpiredTokenException once the sim's credentials expired, and is recorded as failed", async () => {
        const sim = new SimulatedAws({ seed: 1, startTime: REHEARSAL_START, metricDelayMinutes: 0 });
        const stack = new MockEngineStack({ stack: "prod", sim, upDurationMs: 0 });
        await stack.deploy("rehearsal-stable");
        await stack.up(undefined, "before expiry");
        sim.expireCredentialsAt(1);
        sim.advance(60_000);
        for (const message of ["promote step", "rollback"]) {
            let error: Error | undefined;
            await stack.up(undefined, message).catch((e: Error) => (error = e));
            expect(error, message).to.be.instanceOf(InfrastructureError);
            expect(error?.message, message).to.contain("ExpiredTokenException");
        }
        expect((await stack.history(3)).map((u) => `${u.message}: ${u.result}`)).to.deep.equal([
            "rollback: failed",
            "promote step: failed",
            "before expiry: succeeded",
        ]);
    });
});
