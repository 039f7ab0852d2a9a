import { expect } from "chai";
import { AwsCallError } from "../../../automation/adapters/awsError";
import { CloudWatchAdapter, versionEvidence, withAliasMinutes } from "../../../automation/adapters/cloudwatch";
import { LambdaAdapter } from "../../../automation/adapters/lambda";
import type { SdkClient } from "../../../domain/sdk";
import { credentialsProblem, isRetryable } from "../../../automation/rollout/retry";
import { SimulatedAws } from "../../../automation/simulator";

const START = new Date("2026-01-05T09:00:00Z");
const ROLE = "arn:aws:iam::123456789012:role/fn";

/** Functions api and web, v1 stable and v2 at 10% through `live`, both failing 5% of calls. */
function account(): SimulatedAws {
    const sim = new SimulatedAws({ seed: 3, startTime: START, metricDelayMinutes: 0 });
    for (const name of ["api", "web"]) {
        sim.putFunction({ name, role: ROLE, timeoutSeconds: 3 });
        sim.publishVersion(name);
        sim.publishVersion(name);
        sim.putAlias(name, "live", "1", { "2": 0.1 });
        sim.setDefaultProfile(name, { errorRate: 0.05, p50Ms: 80, p99Ms: 400 });
        sim.setTraffic(name, "live", 600);
    }
    return sim;
}

const requests = ["api", "web"].map((name) => ({
    key: name,
    functionName: name,
    aliasName: "live",
    stableVersion: "1",
    candidateVersion: "2",
}));

describe("the CloudWatch adapter reads every result's StatusCode (never an unreadable series as zero)", () => {
    it("a Complete answer is evidence, with no `unreadable`", async () => {
        const sim = account();
        sim.advance(10 * 60_000);
        const ev = await new CloudWatchAdapter(sim.cloudWatch).evidence(requests, START, sim.now());
        expect(ev.api.unreadable).to.equal(undefined);
        expect(ev.api.candidate.errors).to.be.above(0);
    });

    for (const statusCode of ["InternalError", "Forbidden", "PartialData"] as const) {
        it(`Errors answered ${statusCode} for api makes api's evidence unreadable, and leaves web's alone`, async () => {
            const sim = account();
            sim.addMetricStatusFault({ metric: "Errors", statusCode, fromMinute: 0, toMinute: 60, functionName: "api" });
            sim.advance(10 * 60_000);
            const ev = await new CloudWatchAdapter(sim.cloudWatch).evidence(requests, START, sim.now());
            expect(ev.api.unreadable).to.match(new RegExp(`^candidate Errors: ${statusCode}`));
            expect(ev.api.unreadable).to.contain(`stable Errors: ${statusCode}`);
            expect(ev.web.unreadable).to.equal(undefined);
        });
    }

    it("PartialData followed by a page that completes it is evidence (paging is followed)", async () => {
        const sim = account();
        sim.advance(5 * 60_000);
        const inner = sim.cloudWatch;
        let calls = 0;
        const paging: SdkClient = {
            async send(command) {
                const out = await inner.send(command);
                calls += 1;
                if (calls === 1)
                    return {
                        ...out,
                        NextToken: "page-2",
                        MetricDataResults: out.MetricDataResults.map((r: object) => ({ ...r, StatusCode: "PartialData" })),
                    };
                return {
                    ...out,
                    MetricDataResults: out.MetricDataResults.map((r: { Values: number[]; Timestamps: Date[] }) => ({
                        ...r,
                        Values: [],
                        Timestamps: [],
                    })),
                };
            },
        };
        const ev = await new CloudWatchAdapter(paging).evidence(requests, START, sim.now());
        expect(calls).to.equal(2);
        expect(ev.api.unreadable).to.equal(undefined);
    });

    it("a result missing from the answer is unreadable, and top-level Messages put the whole call in doubt", async () => {
        const sim = account();
        sim.advance(5 * 60_000);
        const inner = sim.cloudWatch;
        const dropping: SdkClient = {
            async send(command) {
                const out = await inner.send(command);
                return { ...out, MetricDataResults: out.MetricDataResults.filter((r: { Id: string }) => r.Id !== "f1_c_err") };
            },
        };
        const ev = await new CloudWatchAdapter(dropping).evidence(requests, START, sim.now());
        expect(ev.web.unreadable).to.equal("candidate Errors: no result in the answer");
        expect(ev.api.unreadable).to.equal(undefined);
        const limited: SdkClient = {
            async send(command) {
                return { ...(await inner.send(command)), Messages: [{ Code: "MaxQueryTimeRangeExceed", Value: "too long" }] };
            },
        };
        const all = await new CloudWatchAdapter(limited).evidence(requests, START, sim.now());
        expect(all.api.unreadable).to.equal("GetMetricData answered MaxQueryTimeRangeExceed");
    });
});

describe("the adapters name their errors", () => {
    it("a Lambda failure leaves as an AwsCallError naming the operation and AWS's code, and a conflict is still retryable", async () => {
        const conflict = Object.assign(new Error("An update is in progress"), {
            name: "ResourceConflictException",
            $fault: "client",
            $metadata: { httpStatusCode: 409 },
        });
        const adapter = new LambdaAdapter({ send: async () => Promise.reject(conflict) });
        const err = await adapter.updateAlias("api", "live", { stableVersion: "1" }).then(
            () => undefined,
            (e: unknown) => e as AwsCallError,
        );
        expect(err).to.be.instanceOf(AwsCallError);
        expect(err).to.deep.include({ operation: "UpdateAlias", code: "ResourceConflictException", httpStatusCode: 409 });
        expect(err!.message).to.equal("UpdateAlias failed: ResourceConflictException: An update is in progress");
        expect(isRetryable(err)).to.equal(true);
    });

    it("CloudWatch's expired credentials are named as such through the typed error", async () => {
        const expired = Object.assign(new Error("The security token included in the request is expired"), {
            name: "ExpiredTokenException",
            $fault: "client",
            $metadata: { httpStatusCode: 403 },
        });
        const err = await new CloudWatchAdapter({ send: async () => Promise.reject(expired) }).alarmStates(["a"]).then(
            () => undefined,
            (e: unknown) => e,
        );
        expect(credentialsProblem(err)).to.equal("the AWS credentials have expired (ExpiredTokenException)");
        expect(isRetryable(err)).to.equal(false);
    });
});

describe("the p99 series is aligned with the minutes that had invocations", () => {
    it("one p99 per minute of `minutes`, so cutting the evidence to a step keeps that step's latencies", async () => {
        const sim = account();
        sim.advance(6 * 60_000);
        const ev = await new CloudWatchAdapter(sim.cloudWatch).evidence(requests, START, sim.now());
        expect(ev.api.candidate.p99ByMinute).to.have.length(ev.api.candidate.minutes.length);
        expect(ev.api.candidate.p99ByMinute.every((p) => p > 0)).to.equal(true);
    });
});

describe("the 100% bake without an ExecutedVersion series (withAliasMinutes)", () => {
    const series = (points: [number, number][]) => ({ timestamps: points.map(([t]) => t), values: points.map(([, v]) => v) });

    it("takes the alias's minutes from the whole-alias instant on where the candidate's own series has none, and keeps the candidate's own", () => {
        const candidate = series([
            [60_000, 5],
            [120_000, 7],
        ]);
        const alias = series([
            [60_000, 50],
            [120_000, 70],
            [180_000, 90],
            [240_000, 95],
        ]);
        expect(withAliasMinutes(candidate, alias, 120_000)).to.deep.equal(
            series([
                [60_000, 5],
                [120_000, 7],
                [180_000, 90],
                [240_000, 95],
            ]),
        );
    });

    it("never takes alias minutes from before the instant (they held stable's calls too)", () => {
        expect(withAliasMinutes(undefined, series([[60_000, 50]]), 120_000)).to.equal(undefined);
        expect(withAliasMinutes(undefined, series([[180_000, 9]]), 120_000)).to.deep.equal(series([[180_000, 9]]));
    });
});

describe("still-filling minutes are never judged as complete (versionEvidence)", () => {
    const series = (points: [number, number][]) => ({ timestamps: points.map(([t]) => t), values: points.map(([, v]) => v) });

    it("a minute whose Invocations arrived but whose Errors has not is left out, not read as a minute without errors", () => {
        const inv = series([
            [0, 100],
            [60_000, 100],
            [120_000, 100],
        ]);
        const err = series([
            [0, 2],
            [60_000, 3],
        ]);
        const ev = versionEvidence(inv, err);
        expect(ev).to.deep.include({
            invocations: 200,
            errors: 5,
            minutes: [0, 60_000],
            invocationsByMinute: [100, 100],
            errorsByMinute: [2, 3],
        });
    });

    it("the candidate's minute also waits for its Duration (the p99 check reads it)", () => {
        const inv = series([
            [0, 10],
            [60_000, 10],
        ]);
        const err = series([
            [0, 0],
            [60_000, 0],
        ]);
        const p99 = series([[0, 400]]);
        expect(versionEvidence(inv, err, p99, true).minutes).to.deep.equal([0]);
        expect(versionEvidence(inv, err, p99).minutes).to.deep.equal([0, 60_000]);
    });
});

describe("recent traffic for the power statement (CloudWatchAdapter.recentTraffic)", () => {
    it("the last day through the alias, averaged over the whole day: a function busy for 2 hours reads as a twelfth of its rate", async () => {
        const sim = account();
        sim.advance(2 * 3600_000);
        const traffic = await new CloudWatchAdapter(sim.cloudWatch).recentTraffic(
            [
                { key: "api", functionName: "api", aliasName: "live" },
                { key: "gone", functionName: "gone", aliasName: "live" },
            ],
            sim.now(),
        );
        const api = traffic.api as { requestsPerMinute: number; stableErrorRate: number; source: string };
        expect(api.requestsPerMinute).to.be.within(600 / 12 - 3, 600 / 12 + 3);
        expect(api.stableErrorRate).to.be.within(0.04, 0.06);
        expect(api.source).to.equal("CloudWatch, the last day through the alias");
        // A function without a single datapoint has no traffic, not an error.
        expect(traffic.gone).to.deep.include({ requestsPerMinute: 0, stableErrorRate: 0 });
    });

    it("a series CloudWatch cannot answer whole leaves that function's traffic unreadable, named", async () => {
        const sim = account();
        sim.addMetricStatusFault({ metric: "Invocations", statusCode: "Forbidden", fromMinute: 0, toMinute: 200, functionName: "api" });
        sim.advance(60 * 60_000);
        const traffic = await new CloudWatchAdapter(sim.cloudWatch).recentTraffic(
            [{ key: "api", functionName: "api", aliasName: "live" }],
            sim.now(),
        );
        expect((traffic.api as { unreadable: string }).unreadable).to.match(/^alias Invocations: Forbidden/);
    });
});
