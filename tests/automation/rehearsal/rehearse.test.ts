import { GetMetricDataCommand, type GetMetricDataCommandOutput } from "@aws-sdk/client-cloudwatch";
import { expect } from "chai";
import { decodeState, encodeState } from "../../../domain/state";
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { LambdaAdapter } from "../../../automation/adapters/lambda";
import { CloudWatchAdapter } from "../../../automation/adapters/cloudwatch";
import { loadStackConfig, PROJECT_ROOT } from "../../../automation/engine/evaluate";
import { MockEngineStack } from "../../../automation/rehearsal/mockEngineStack";
import { baselineMinutes, rehearse, REHEARSAL_START, VirtualClock } from "../../../automation/rehearsal/rehearse";
import { parseScenario, readScenario } from "../../../automation/rehearsal/scenario";
import type { RolloutResult } from "../../../automation/rollout/promote";
import { rollback } from "../../../automation/rollout/rollback";
import { describeStatus, status } from "../../../automation/rollout/status";
import { SimulatedAws } from "../../../automation/simulator";
import { memoryLog } from "../../helpers/fakes";

const scenario = (name: string) => readScenario(path.join(PROJECT_ROOT, "scenarios", `${name}.json`));
const gitStatus = () => execFileSync("git", ["status", "--porcelain"], { cwd: PROJECT_ROOT }).toString();

describe("rehearsals of the shipped scenarios (real program, real promote, simulated AWS)", function () {
    this.timeout(60_000);
    const results = new Map<string, RolloutResult>();
    const accounts = new Map<string, SimulatedAws>();
    let statusBefore: string;

    before(async () => {
        statusBefore = gitStatus();
        for (const name of fs
            .readdirSync(path.join(PROJECT_ROOT, "scenarios"))
            .filter((f) => f.endsWith(".json"))
            .map((f) => f.replace(/\.json$/, ""))) {
            results.set(
                name,
                await rehearse({ stack: "prod", scenario: scenario(name), log: memoryLog(), simulator: (sim) => accounts.set(name, sim) }),
            );
        }
    });

    /** The largest Duration any call of the rehearsal recorded (every function: the account-wide series), once all has arrived. */
    async function largestDuration(sim: SimulatedAws): Promise<number> {
        sim.advance(15 * 60_000);
        const out = await sim.cloudWatch.send(
            new GetMetricDataCommand({
                StartTime: new Date(REHEARSAL_START.getTime() - 3 * 3600_000),
                EndTime: sim.now(),
                MetricDataQueries: [
                    {
                        Id: "duration",
                        MetricStat: {
                            Metric: { Namespace: "AWS/Lambda", MetricName: "Duration", Dimensions: [] },
                            Period: 60,
                            Stat: "Maximum",
                        },
                    },
                ],
            }),
        );
        return Math.max(...((out as GetMetricDataCommandOutput).MetricDataResults?.[0]?.Values ?? []));
    }

    it("no rehearsal of a shipped scenario records a Duration above the function's timeout (10 s in prod): Lambda stops the call there", async () => {
        const timeoutMs = loadStackConfig("prod").stackConfig.functions[0].timeout * 1000;
        expect(timeoutMs).to.equal(10_000);
        for (const [name, sim] of accounts) expect(await largestDuration(sim), name).to.be.at.most(timeoutMs);
    });

    it("concurrency over the limit: a candidate needing ~248 concurrent executions at 9000 rpm (reserved 200) is rolled back for throttles", () => {
        const { report, exitCode } = results.get("concurrency-over-limit")!;
        expect(exitCode).to.equal(1);
        expect(report.outcome).to.equal("rolled-back");
        const last = report.steps.at(-1)!;
        expect(last.verdict).to.equal("failed");
        expect(last.cause).to.equal("throttles");
        expect(last.reason).to.match(/\d+ throttles through the alias > 0 allowed .*rate before the rollout 0\/\d+/);
        expect(report.functions.api.finalRouting).to.deep.equal({ "1": 1 });
    });

    it("already at its limit: identical versions on a function throttling ~5% before the rollout are promoted, the throttles not blamed on the candidate", () => {
        const { report, exitCode } = results.get("already-at-limit")!;
        expect(exitCode).to.equal(0);
        expect(report.outcome).to.equal("promoted");
        expect(report.steps.map((s) => s.verdict)).to.deep.equal(["passed", "passed", "passed"]);
        // Both versions were throttled all along: the users' failed requests are mostly throttles.
        expect(report.requests!.candidateErrors).to.be.above(report.requests!.candidate * 0.02);
    });

    it("timeout tail: calls past the 10 s timeout are errors and failures for users, and the candidate is rolled back on errors", () => {
        const { report, exitCode } = results.get("timeout-tail")!;
        expect(exitCode).to.equal(1);
        expect(report.outcome).to.equal("rolled-back");
        const last = report.steps.at(-1)!;
        expect(last.verdict).to.equal("failed");
        expect(["absolute-limit", "same-minute", "alarm"]).to.include(last.cause);
        expect(last.reason).to.match(/candidate \d+\/\d+ errors \((?:[5-9]|[1-9]\d)(?:\.\d+)?%\)/);
        // About 7% of the candidate's calls time out: they are in the users' failed requests.
        expect(report.requests!.candidateErrors).to.be.above(report.requests!.candidate * 0.03);
    });

    it("ships every scenario the issue asks for", () => {
        expect([...results.keys()].sort()).to.include.members([
            "bad-canary",
            "cloudwatch-outage",
            "degrades-after-20m",
            "healthy",
            "killed-resumed",
            "latency-regression",
            "low-traffic",
            "smoke-fail",
            "up-fails",
        ]);
    });

    it("subtle regression (1.5% against 0.5% at 200 rpm): rolled back by a comparison with stable's hour before the rollout", () => {
        const { report, exitCode } = results.get("subtle-regression")!;
        expect(exitCode).to.equal(1);
        expect(report.outcome).to.equal("rolled-back");
        const last = report.steps.at(-1)!;
        expect(last.verdict).to.equal("failed");
        expect(last.cause).to.be.oneOf(["history", "end-of-step-look"]);
        expect(last.reason).to.match(
            /error rate above stable's(, stable's history before the rollout included \(e-process e\^[\d.]+ >= 1\/[\d.]+%| \(end-of-step test of pooled counts: p = [\d.e-]+ <= [\d.]+%); increase [\d.]+ points/,
        );
        expect(last.reason).to.match(/stable before the rollout \d+\/1\d{4} \(0.5\d%\)/);
        expect(report.functions.api.finalRouting).to.deep.equal({ "1": 1 });
    });

    it("healthy: promoted after the configured 3 x 10-minute bakes, each with its last minute's metrics (2 minutes late), plus the ups; not longer", () => {
        const { report, exitCode } = results.get("healthy")!;
        expect(exitCode).to.equal(0);
        expect(report.outcome).to.equal("promoted");
        expect(report.steps.map((s) => [s.weight, s.verdict])).to.deep.equal([
            [0.1, "passed"],
            [0.5, "passed"],
            [1, "passed"],
        ]);
        expect(report.steps.map((s) => Math.round(s.endedAtMinute - s.startedAtMinute))).to.deep.equal([12, 12, 12]);
        expect(report.durationMinutes).to.be.within(36, 40);
        expect(report.functions.api.finalRouting).to.deep.equal({ "2": 1 });
    });

    it("5 requests a minute, a candidate failing a third of its calls: the 10% step never passes (its evidence could not have failed it)", () => {
        const { report, exitCode } = results.get("low-traffic-third-failing")!;
        expect([report.outcome, exitCode]).to.deep.equal(["rolled-back", 1]);
        expect(report.steps.map((s) => [s.weight, s.verdict, s.cause])).to.deep.equal([[0.1, "inconclusive", "underpowered"]]);
        expect(report.steps[0].reason).to.match(
            /too little evidence to catch this step's must-catch regression: a candidate at stable's rate \+ 5 points \(this step's must-catch\) would show 0.8 errors in these 16 requests; the tests fail it from 4, after the bake and 15 min of extension: since the rollout began: candidate 2\/16 errors/,
        );
        expect(report.requests!.candidateErrors).to.equal(2);
    });

    it("metrics 12 minutes late: no step passes before its bake's minutes arrive; each waits about 12 minutes past its bake, within the extension, then the candidate is promoted", () => {
        const { report, exitCode } = results.get("metrics-12-minutes-late")!;
        expect([report.outcome, exitCode]).to.deep.equal(["promoted", 0]);
        expect(report.steps.map((s) => s.verdict)).to.deep.equal(["passed", "passed", "passed"]);
        for (const step of report.steps) {
            // The bake is 10 minutes; its last minute reaches CloudWatch 12 minutes after it ends.
            expect(step.endedAtMinute - step.startedAtMinute).to.be.within(21.9, 23);
        }
    });

    it("metrics 20 minutes late: no step passes before its bake's minutes arrive; past the extension, rolled back for want of them", () => {
        const { report, exitCode } = results.get("metrics-20-minutes-late")!;
        expect([report.outcome, exitCode]).to.deep.equal(["rolled-back", 1]);
        expect(report.steps.map((s) => [s.weight, s.verdict, s.cause])).to.deep.equal([[0.1, "inconclusive", "late-minutes"]]);
        expect(report.steps[0].reason).to.match(
            /the bake's own minutes have not all arrived \(metrics in through minute 6 of the rollout, the bake's through minute 10\), after the bake and 15 min of extension/,
        );
    });

    it("bad canary: a 10% canary failing 5% of calls (stable 0.2%, 300 rpm) is rolled back during the first step", () => {
        const { report, exitCode } = results.get("bad-canary")!;
        expect(exitCode).to.equal(1);
        expect(report.outcome).to.equal("rolled-back");
        expect(report.steps).to.have.length(1);
        expect(report.steps[0]).to.include({ weight: 0.1, verdict: "failed" });
        expect(report.decisionAtMinute).to.be.below(10.8);
        expect(report.functions.api.finalRouting).to.deep.equal({ "1": 1 });
        expect(report.requests!.candidateErrors).to.be.below(20);
    });

    it("latency regression: rolled back in the first step on p99", () => {
        const { report } = results.get("latency-regression")!;
        expect(report.outcome).to.equal("rolled-back");
        expect(report.steps[0].weight).to.equal(0.1);
        expect(report.steps[0].reason).to.match(/p99 \d+ ms > 6000 ms/);
        expect(report.functions.api.finalRouting).to.deep.equal({ "1": 1 });
    });

    it("degrades after 20 minutes: a later step catches it and traffic goes back to stable", () => {
        const { report } = results.get("degrades-after-20m")!;
        expect(report.outcome).to.equal("rolled-back");
        expect(report.steps[0].verdict).to.equal("passed");
        expect(report.steps.at(-1)!.verdict).to.equal("failed");
        expect(report.decisionAtMinute).to.be.above(20);
        expect(report.functions.api.finalRouting).to.deep.equal({ "1": 1 });
    });

    it("low traffic: extended for lack of invocations, then rolled back (no data is never a pass)", () => {
        const { report } = results.get("low-traffic")!;
        expect(report.outcome).to.equal("rolled-back");
        expect(report.steps[0]).to.include({ weight: 0.1, verdict: "inconclusive" });
        expect(report.decisionAtMinute).to.be.within(25, 26.5);
        expect(report.functions.api.finalRouting).to.deep.equal({ "1": 1 });
    });

    it("failing smoke test: stopped before any traffic reached the candidate", () => {
        const { report, exitCode } = results.get("smoke-fail")!;
        expect(exitCode).to.equal(1);
        expect(report.steps[0]).to.include({ weight: 0, verdict: "failed" });
        expect(report.requests!.candidate).to.equal(0);
        expect(report.functions.api.finalRouting).to.deep.equal({ "1": 1 });
    });

    it("up fails mid-rollout: traffic back on stable through the Lambda API, outcome failed, exit 3", () => {
        const { report, exitCode } = results.get("up-fails")!;
        expect(exitCode).to.equal(3);
        expect(report.outcome).to.equal("failed");
        expect(report.rollbackPath).to.equal("lambda-api");
        expect(report.steps.map((s) => [s.weight, s.verdict])).to.deep.equal([
            [0.1, "passed"],
            [0.5, "failed"],
        ]);
        expect(report.functions.api.finalRouting).to.deep.equal({ "1": 1 });
    });

    it("lock conflict: traffic back on stable through the Lambda API, exit 4", () => {
        const { report, exitCode } = results.get("lock-conflict")!;
        expect(exitCode).to.equal(4);
        expect(report.rollbackPath).to.equal("lambda-api");
        expect(report.functions.api.finalRouting).to.deep.equal({ "1": 1 });
    });

    it("CloudWatch outage: the step is extended, never passed without evidence, then the candidate is promoted", () => {
        const { report } = results.get("cloudwatch-outage")!;
        expect(report.outcome).to.equal("promoted");
        expect(report.steps[0].verdict).to.equal("extended");
        expect(report.steps[0].endedAtMinute).to.be.at.least(14);
    });

    it("killed and resumed: the second run resumes at 50% (re-baking it) instead of starting over, and promotes", () => {
        const { report } = results.get("killed-resumed")!;
        expect(report.outcome).to.equal("promoted");
        expect(report.steps.map((s) => [s.weight, s.verdict])).to.deep.equal([
            [0.1, "passed"],
            [0.5, "interrupted"],
            [0.5, "passed"],
            [1, "passed"],
        ]);
        expect(report.steps[1].reason).to.equal("promote killed at minute 15; a promote run again took over");
    });

    it("no scenario leaves traffic on a candidate whose gate failed", () => {
        for (const [name, { report }] of results) {
            if (report.outcome !== "promoted") {
                expect(report.functions.api.finalRouting, name).to.deep.equal({ "1": 1 });
            }
        }
    });

    it("no rehearsal changes a file in the working tree", () => {
        expect(gitStatus()).to.equal(statusBefore);
    });
});

describe("rehearsals on the other stacks", function () {
    this.timeout(60_000);

    it("staging (blue-green, two functions): a bad worker sends both functions back to blue", async () => {
        const sc = parseScenario(
            {
                name: "bad-worker",
                seed: 5,
                requestsPerMinute: 300,
                functions: {
                    api: { stable: { errorRate: 0.002, p50Ms: 80, p99Ms: 400 }, candidate: { errorRate: 0.002, p50Ms: 80, p99Ms: 400 } },
                    worker: { stable: { errorRate: 0.002, p50Ms: 80, p99Ms: 400 }, candidate: { errorRate: 0.1, p50Ms: 80, p99Ms: 400 } },
                },
            },
            "test",
        );
        const { report } = await rehearse({ stack: "staging", scenario: sc, log: memoryLog() });
        expect(report.strategy).to.equal("blue-green");
        expect(report.outcome).to.equal("rolled-back");
        expect(report.steps[0]).to.include({ weight: 1, verdict: "failed" });
        expect(report.steps[0].reason).to.match(/^worker: /);
        expect(report.functions.api.finalRouting).to.deep.equal({ "1": 1 });
        expect(report.functions.worker.finalRouting).to.deep.equal({ "1": 1 });
    });

    it("staging (blue-green): a healthy green takes all traffic after the 15-minute bake", async () => {
        const { report } = await rehearse({ stack: "staging", scenario: scenario("healthy"), log: memoryLog() });
        expect(report.outcome).to.equal("promoted");
        expect(report.steps.map((s) => s.weight)).to.deep.equal([1]);
        expect(report.functions.worker.finalRouting).to.deep.equal({ "2": 1 });
    });

    it("dev (all-at-once): the plain up already moved the alias, so promote has nothing to do", async () => {
        const { report, exitCode } = await rehearse({ stack: "dev", scenario: scenario("healthy"), log: memoryLog() });
        expect(exitCode).to.equal(0);
        expect(report.outcome).to.equal("nothing-to-do");
        expect(report.functions.api.finalRouting).to.deep.equal({ "2": 1 });
    });
});

describe("the stack between and after rollouts (mock engine + simulated AWS)", function () {
    this.timeout(30_000);

    const MID_ROLLOUT_STATE = encodeState({
        phase: "baking",
        stable: "1",
        candidate: "2",
        step: 2,
        steps: 3,
        weight: 0.5,
        since: REHEARSAL_START.getTime(),
    });

    async function midRollout(faults = {}) {
        const sim = new SimulatedAws({ seed: 1, startTime: REHEARSAL_START, metricDelayMinutes: 2, transientRoutingMs: 5000 });
        const stack = new MockEngineStack({ stack: "prod", sim, faults });
        await stack.deploy("stable");
        await stack.deploy("candidate");
        await stack.up(
            { api: { stable: "1", candidate: "2", weight: 0.5, state: MID_ROLLOUT_STATE } },
            "lambda-rollout promote: step 2/3 50%",
        );
        const lambda = new LambdaAdapter(sim.lambda);
        return { sim, stack, lambda, clock: new VirtualClock(sim), alias: () => lambda.getAlias("lambda-rollout-prod-api", "live") };
    }

    it("a git-triggered up in the middle of a rollout neither advances nor resets traffic nor its recorded state, even when it publishes a new version", async () => {
        const t = await midRollout();
        await t.stack.deploy("candidate");
        expect(await t.alias()).to.deep.include({
            functionVersion: "1",
            additionalVersionWeights: { "2": 0.5 },
            description: MID_ROLLOUT_STATE,
        });
        const outputs = await t.stack.deploy("a-newer-commit");
        expect(outputs.functions.api.candidateVersion).to.equal("3");
        expect(await t.alias()).to.deep.include({
            functionVersion: "1",
            additionalVersionWeights: { "2": 0.5 },
            description: MID_ROLLOUT_STATE,
        });
    });

    it("rollback puts all traffic on stable through the Lambda API, records it on the alias, and brings the stack in line with an up", async () => {
        const t = await midRollout();
        const report = await rollback({ stack: t.stack, lambda: t.lambda, clock: t.clock, log: memoryLog() }, { stackName: "prod" });
        expect(report.outcome).to.equal("rolled-back");
        expect(report.rollbackPath).to.equal("lambda-api");
        expect(report.stackConverged).to.equal(true);
        expect(decodeState((await t.alias()).description)).to.include({ phase: "rolled-back", stable: "1", candidate: "2" });
        expect((await t.alias()).functionVersion).to.equal("1");
        expect((await t.alias()).additionalVersionWeights).to.deep.equal({});
    });

    it("rollback lands through the Lambda API when the stack is locked, and the next plain up keeps it", async () => {
        const faults: { lockConflictAtStep?: number } = {};
        const t = await midRollout(faults);
        faults.lockConflictAtStep = 1;
        const log = memoryLog();
        const report = await rollback({ stack: t.stack, lambda: t.lambda, clock: t.clock, log }, { stackName: "prod" });
        expect(report.rollbackPath).to.equal("lambda-api");
        expect(report.stackConverged).to.equal(false);
        expect(log.lines.join("\n")).to.contain("the next plain `pulumi up` keeps it (rule of routing)");
        delete faults.lockConflictAtStep;
        t.sim.advance(60_000);
        await t.stack.deploy("candidate");
        expect(await t.alias()).to.deep.include({ functionVersion: "1", additionalVersionWeights: {} });
    });

    it("rollback during the last (100%) bake goes to the stable the rollout recorded, not merely the previous version", async () => {
        const t = await midRollout();
        await t.stack.deploy("a-newer-commit"); // v3 replaces the unfinished v2 rollout; v1 stays the way back
        const baking = encodeState({
            phase: "baking",
            stable: "1",
            candidate: "3",
            step: 3,
            steps: 3,
            weight: 1,
            since: REHEARSAL_START.getTime(),
        });
        await t.stack.up({ api: { stable: "1", candidate: "3", weight: 1, state: baking } }, "lambda-rollout promote: step 3/3 100%");
        const report = await rollback({ stack: t.stack, lambda: t.lambda, clock: t.clock, log: memoryLog() }, { stackName: "prod" });
        expect(report.functions.api).to.deep.include({ stable: "1", candidate: "3", finalRouting: { "1": 1 } });
    });

    it("rollback after a full promotion goes to the previous published version", async () => {
        const t = await midRollout();
        const promoted = encodeState({
            phase: "promoted",
            stable: "1",
            candidate: "2",
            step: 3,
            steps: 3,
            weight: 1,
            since: REHEARSAL_START.getTime(),
        });
        await t.stack.up({ api: { stable: "1", candidate: "2", weight: 1, state: promoted } }, "lambda-rollout promote: step 3/3 100%");
        const log = memoryLog();
        const report = await rollback({ stack: t.stack, lambda: t.lambda, clock: t.clock, log }, { stackName: "prod" });
        expect(report.functions.api).to.deep.include({ stable: "1", candidate: "2" });
        expect(log.lines[0]).to.equal("api: v2 -> v1 (the previous published version (pass --to to choose another))");
        expect((await t.alias()).functionVersion).to.equal("1");
    });

    it("status shows versions, weights, alarm states and the last rollout", async () => {
        const t = await midRollout();
        const s = await status(
            { stack: t.stack, lambda: t.lambda, metrics: new CloudWatchAdapter(t.sim.cloudWatch), clock: t.clock },
            "prod",
        );
        expect(s.functions.api).to.deep.include({ stable: "1", candidate: "2", phase: "in-progress", liveWeights: { "1": 0.5, "2": 0.5 } });
        expect(Object.keys(s.functions.api.alarms)).to.include.members(["candidateErrors", "p99Duration", "throttles", "rollback"]);
        expect(s.lastRollout.map((u) => u.message)).to.deep.equal(["lambda-rollout promote: step 2/3 50%"]);
        const text = describeStatus(s).join("\n");
        expect(text).to.contain("api (lambda-rollout-prod-api): in-progress; stable v1, candidate v2; traffic v1 50%, v2 50%");
        expect(text).to.contain("rollout: v2: step 2/3 at 50% baking since 09:00Z, v1 kept for rollback");
    });

    it("status at 100% during the last bake: still in progress, v1 kept for rollback (not a finished promotion)", async () => {
        const t = await midRollout();
        const baking = encodeState({
            phase: "baking",
            stable: "1",
            candidate: "2",
            step: 3,
            steps: 3,
            weight: 1,
            since: Date.UTC(2026, 0, 5, 14, 2),
        });
        await t.stack.up({ api: { stable: "1", candidate: "2", weight: 1, state: baking } }, "lambda-rollout promote: step 3/3 100%");
        const s = await status(
            { stack: t.stack, lambda: t.lambda, metrics: new CloudWatchAdapter(t.sim.cloudWatch), clock: t.clock },
            "prod",
        );
        expect(s.functions.api).to.deep.include({ stable: "1", candidate: "2", phase: "in-progress", liveWeights: { "2": 1 } });
        expect(describeStatus(s).join("\n")).to.contain("rollout: v2: step 3/3 at 100% baking since 14:02Z, v1 kept for rollback");
    });
});

describe("the rehearsal's traffic history", () => {
    it("backfills the stack's gates.baseline rounded up to whole minutes, none for 0", () => {
        expect([3600, 90, 60, 1, 0].map(baselineMinutes)).to.deep.equal([60, 2, 1, 1, 0]);
    });
});

describe("scenario files", () => {
    it("an unknown field is an error that names it", () => {
        expect(() => parseScenario({ name: "x", seed: 1, requestsPerMenute: 3, requestsPerMinute: 3, functions: {} }, "x.json")).to.throw(
            "invalid scenario x.json:\n  - `(top level)`: unknown field(s) `requestsPerMenute`",
        );
    });
    it("an unknown fault kind says which kinds exist", () => {
        expect(() =>
            parseScenario({ name: "x", seed: 1, requestsPerMinute: 3, functions: {}, faults: [{ kind: "meteor" }] }, "x.json"),
        ).to.throw(
            'must have kind "up-fails", "lock-conflict", "cloudwatch-unavailable", "cloudwatch-partial", "alarms-unreadable", "alias-conflict", "credentials-expire", "killed", "interrupt", "approve", "abort", "pause", "promote-full" or "record-corrupt"',
        );
    });
    it("a scenario naming a function the stack lacks is refused", async () => {
        const sc = parseScenario(
            {
                name: "x",
                seed: 1,
                requestsPerMinute: 3,
                functions: { web: { stable: { errorRate: 0, p50Ms: 1, p99Ms: 2 }, candidate: { errorRate: 0, p50Ms: 1, p99Ms: 2 } } },
            },
            "x.json",
        );
        let error: Error | undefined;
        await rehearse({ stack: "prod", scenario: sc, log: memoryLog() }).catch((e) => (error = e));
        expect(error?.message).to.equal('scenario x names function "web", which stack prod does not have (functions: api)');
    });
    it("every shipped scenario is valid", () => {
        for (const f of fs.readdirSync(path.join(PROJECT_ROOT, "scenarios")).filter((f) => f.endsWith(".json"))) {
            expect(() => readScenario(path.join(PROJECT_ROOT, "scenarios", f)), f).not.to.throw();
        }
    });
});
