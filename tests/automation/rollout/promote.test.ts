import { expect } from "chai";
import { UsageError } from "../../../automation/errors";
import { promote } from "../../../automation/rollout/promote";
import { decodeState } from "../../../domain/state";
import { FakeLambda, FakeMetrics, FakeStack, fakeClock, memoryLog, outputsFor, PROD_POLICY } from "../../helpers/fakes";

const API = "lambda-rollout-prod-api";
const WORKER = "lambda-rollout-prod-worker";

function setup(
    options: {
        keys?: string[];
        rates?: Record<string, { stable: number; candidate: number }>;
        live?: Record<string, number>;
        policy?: unknown;
        rpm?: number;
    } = {},
) {
    const keys = options.keys ?? ["api"];
    const lambda = new FakeLambda();
    for (const k of keys) {
        const weight = options.live?.[k] ?? 0;
        lambda.aliases.set(`lambda-rollout-prod-${k}`, {
            functionVersion: "7",
            additionalVersionWeights: weight > 0 ? { "8": weight } : {},
        });
    }
    const stack = new FakeStack(lambda, outputsFor(keys, options.policy ?? PROD_POLICY));
    const rates = options.rates ?? Object.fromEntries(keys.map((k) => [k, { stable: 0.002, candidate: 0.002 }]));
    const metrics = new FakeMetrics(lambda, rates, options.rpm ?? 300);
    const { clock, drive } = fakeClock();
    const log = memoryLog();
    return { lambda, stack, metrics, clock, drive, log, deps: { stack, lambda, metrics, clock, log } };
}

describe("promote (the loop, with fakes and a fake clock)", () => {
    it("walks a healthy candidate 10% -> 50% -> 100%, one up per step, and promotes it after the configured bakes", async () => {
        const t = setup();
        const result = await t.drive(promote(t.deps, { stackName: "prod" }));
        expect(result.exitCode).to.equal(0);
        expect(result.report.outcome).to.equal("promoted");
        expect(t.stack.ups.map((u) => u.weight)).to.deep.equal([0.1, 0.5, 1]);
        expect(t.stack.ups[0].routing!.api).to.deep.include({ stable: "7", candidate: "8", weight: 0.1 });
        expect(decodeState(t.stack.ups[0].routing!.api.state)).to.include({
            phase: "baking",
            stable: "7",
            candidate: "8",
            step: 1,
            steps: 3,
            weight: 0.1,
        });
        expect(decodeState(t.lambda.aliases.get(API)!.description)).to.include({ phase: "promoted", stable: "7", candidate: "8" });
        expect(result.report.steps.map((s) => [s.weight, s.verdict])).to.deep.equal([
            [0.1, "passed"],
            [0.5, "passed"],
            [1, "passed"],
        ]);
        // Each 10-minute bake, then its last minute's metrics (2 minutes late) and the poll 5 s past the minute.
        expect(result.report.durationMinutes).to.equal(36.1);
        expect(result.report.functions.api.finalRouting).to.deep.equal({ "8": 1 });
        expect(t.lambda.invokes).to.deep.equal([{ functionName: API, version: "8", payload: { test: true } }]);
    });

    it("reads stable's hour before the rollout once, and a regression too small for the same minutes is caught against that history", async () => {
        // 300 rpm, stable 0.5%, candidate 1.5%: the same-minute test is slow at 10%; the always-valid comparison
        // with stable's hour fails it during the 50% step.
        const t = setup({ rates: { api: { stable: 0.005, candidate: 0.015 } } });
        const result = await t.drive(promote(t.deps, { stackName: "prod" }));
        const log = t.log.lines.join("\n");
        expect(log).to.match(/stable before the rollout \(60 min\): api v7 87\/17400 errors/); // the last 2 minutes are not in yet
        expect(result.report.outcome).to.equal("rolled-back");
        expect(result.report.steps.at(-1)!).to.include({ weight: 0.5, verdict: "failed", cause: "history" });
        expect(result.report.steps.at(-1)!.reason).to.match(
            /error rate above stable's, stable's history before the rollout included \(e-process e\^[\d.]+ >= 1\/0.13%/,
        );
        expect(t.lambda.aliases.get(API)).to.deep.include({ functionVersion: "7" });
    });

    it("rolls a candidate failing 5% of calls back during the first step through the Lambda API, then an up at weight 0 for the stack; exit 1", async () => {
        const t = setup({ rates: { api: { stable: 0.002, candidate: 0.05 } } });
        const result = await t.drive(promote(t.deps, { stackName: "prod" }));
        expect(result.exitCode).to.equal(1);
        expect(result.report.outcome).to.equal("rolled-back");
        expect(t.stack.ups.map((u) => u.weight)).to.deep.equal([0.1, 0]);
        expect(result.report.steps).to.have.length(1);
        expect(result.report.steps[0]).to.include({ weight: 0.1, verdict: "failed" });
        expect(result.report.steps[0].reason).to.match(/candidate \d+\/\d+ errors/);
        expect(result.report.decisionAtMinute).to.be.below(10);
        expect(result.report.rollbackPath).to.equal("lambda-api");
        expect(result.report.stackConverged).to.equal(true);
        expect(t.lambda.aliases.get(API)).to.deep.include({ functionVersion: "7", additionalVersionWeights: {} });
        expect(decodeState(t.lambda.aliases.get(API)!.description)).to.include({ phase: "rolled-back", stable: "7", candidate: "8" });
    });

    it("when an up fails mid-rollout, puts traffic back on stable through the Lambda API, keeps the record and exits 3", async () => {
        const t = setup();
        t.stack.failFromUp = 2;
        const result = await t.drive(promote(t.deps, { stackName: "prod" }));
        expect(result.exitCode).to.equal(3);
        expect(result.report.outcome).to.equal("failed");
        expect(result.report.rollbackPath).to.equal("lambda-api");
        expect(t.lambda.updates).to.deep.equal([{ functionName: API, stableVersion: "7" }]);
        expect(result.report.functions.api.finalRouting).to.deep.equal({ "7": 1 });
        expect(result.report.steps.map((s) => s.verdict)).to.deep.equal(["passed", "failed"]);
        expect(result.report.error).to.contain("provider error");
        expect(t.log.lines.join("\n")).to.contain("the stack's state was not brought in line");
    });

    it("when another update holds the stack, rolls back through the Lambda API and exits 4", async () => {
        const t = setup();
        t.stack.lockedFromUp = 2;
        const result = await t.drive(promote(t.deps, { stackName: "prod" }));
        expect(result.exitCode).to.equal(4);
        expect(t.lambda.aliases.get(API)?.functionVersion).to.equal("7");
        expect(t.lambda.aliases.get(API)?.additionalVersionWeights).to.deep.equal({});
    });

    it("resumes a killed rollout from the weight that is live: re-bakes 50% without an up, then goes to 100%", async () => {
        const t = setup({ live: { api: 0.5 } });
        const result = await t.drive(promote(t.deps, { stackName: "prod" }));
        expect(result.report.outcome).to.equal("promoted");
        expect(t.stack.ups.map((u) => u.weight)).to.deep.equal([1]);
        expect(result.report.steps.map((s) => s.weight)).to.deep.equal([0.5, 1]);
        expect(t.log.lines.join("\n")).to.contain("resuming from 50% live on the candidate");
    });

    it("has nothing to do when the alias already serves the candidate", async () => {
        const t = setup();
        t.lambda.aliases.set(API, { functionVersion: "8", additionalVersionWeights: {} });
        const result = await t.drive(promote(t.deps, { stackName: "prod" }));
        expect(result.report.outcome).to.equal("nothing-to-do");
        expect(result.exitCode).to.equal(0);
        expect(t.stack.ups).to.deep.equal([]);
    });

    it("refuses a role change under canary before anything moves, naming the function and the way out", async () => {
        const t = setup();
        t.lambda.roles.set(`${API}:8`, "arn:aws:iam::123456789012:role/api-v2");
        let error: Error | undefined;
        await t.drive(promote(t.deps, { stackName: "prod" }).catch((e) => (error = e)));
        expect(error).to.be.instanceOf(UsageError);
        expect(error?.message).to.contain(
            "api: v8 has execution role arn:aws:iam::123456789012:role/api-v2 but v7 has arn:aws:iam::123456789012:role/api",
        );
        expect(error?.message).to.contain("use the blue-green strategy for a role change");
        expect(t.stack.ups).to.deep.equal([]);
        expect(t.lambda.invokes).to.deep.equal([]);
    });

    it("allows the same role change with --strategy blue-green (no weighted split)", async () => {
        const t = setup();
        t.lambda.roles.set(`${API}:8`, "arn:aws:iam::123456789012:role/api-v2");
        const result = await t.drive(promote(t.deps, { stackName: "prod", strategy: "blue-green" }));
        expect(result.report.outcome).to.equal("promoted");
        expect(t.stack.ups.map((u) => u.weight)).to.deep.equal([1]);
    });

    it("rolls out with weights on an alias with provisioned concurrency, as AWS allows, and says how it is shared", async () => {
        const t = setup();
        t.lambda.provisioned = true;
        const result = await t.drive(promote(t.deps, { stackName: "prod" }));
        expect(result.report.outcome).to.equal("promoted");
        expect(t.stack.ups.map((u) => u.weight)).to.deep.equal([0.1, 0.5, 1]);
        expect(t.log.lines.some((l) => l.includes("preflight note: api: the alias has provisioned concurrency"))).to.equal(true);
    });

    it("stops before any traffic moves when the smoke test returns a function error", async () => {
        const t = setup();
        t.lambda.smoke = { functionError: "Unhandled", payload: { errorMessage: "boom" } };
        const result = await t.drive(promote(t.deps, { stackName: "prod" }));
        expect(result.exitCode).to.equal(1);
        expect(result.report.outcome).to.equal("rolled-back");
        expect(t.stack.ups).to.deep.equal([]);
        expect(result.report.steps[0].reason).to.equal(
            'smoke test of api v8 failed 3 of 3 attempts: function error (Unhandled): {"errorMessage":"boom"}',
        );
        expect(t.lambda.invokes).to.have.length(3);
    });

    it("a smoke test that fails once and then passes lets the rollout go on, and logs the failed attempt", async () => {
        const t = setup();
        t.lambda.smokeQueue = [{ functionError: "Unhandled", payload: { errorMessage: "cold start timeout" } }];
        const result = await t.drive(promote(t.deps, { stackName: "prod" }));
        expect(result.report.outcome).to.equal("promoted");
        expect(t.lambda.invokes).to.have.length(2);
        const log = t.log.lines.join("\n");
        expect(log).to.contain('smoke test of api v8, attempt 1 of 3: function error (Unhandled): {"errorMessage":"cold start timeout"}');
        expect(log).to.contain("smoke test of api v8 passed on attempt 2");
    });

    it("a smoke-test Invoke refused with 429 (the function at its concurrency limit) is retried with backoff, not counted as a failed attempt", async () => {
        const t = setup();
        t.lambda.throttledInvokes = 2;
        const result = await t.drive(promote(t.deps, { stackName: "prod" }));
        expect(result.report.outcome).to.equal("promoted");
        expect(t.lambda.invokes).to.have.length(3);
        const log = t.log.lines.join("\n");
        expect(log).to.match(
            /smoke test of api v8: Invoke refused \(TooManyRequestsException: Rate Exceeded\.\); retrying in \d+ ms \(retry 2\)/,
        );
        expect(log).to.contain("smoke test of api v8 passed");
        expect(log).not.to.contain("attempt 1 of 3");
    });

    it("a smoke test whose Invoke keeps being throttled for a minute could not run: an infrastructure failure, no traffic moved", async () => {
        const t = setup();
        t.lambda.throttledInvokes = Infinity;
        const result = await t.drive(promote(t.deps, { stackName: "prod" }));
        expect(result.report.outcome).to.equal("failed");
        expect(result.report.steps[0].reason).to.match(
            /^smoke test of api v8 could not run: TooManyRequestsException: Rate Exceeded\. \(after \d+ attempts\)$/,
        );
        expect(t.stack.ups).to.deep.equal([]);
    });

    it("stops when the smoke test answers something unexpected", async () => {
        const t = setup();
        t.lambda.smoke = { payload: { ok: false } };
        const result = await t.drive(promote(t.deps, { stackName: "prod" }));
        expect(result.report.steps[0].reason).to.equal(
            'smoke test of api v8 failed 3 of 3 attempts: expected {"ok":true}, got {"ok":false}',
        );
        expect(t.stack.ups).to.deep.equal([]);
    });

    it("--dry-run prints the plan and calls nothing that changes anything", async () => {
        const t = setup();
        const result = await t.drive(promote(t.deps, { stackName: "prod", dryRun: true }));
        expect(t.stack.ups).to.deep.equal([]);
        expect(t.lambda.invokes).to.deep.equal([]);
        expect(result.plan?.[2]).to.equal("steps: 10% for 10 min -> 50% for 10 min -> 100% for 10 min");
    });

    it("never passes a step without evidence: CloudWatch down for the whole bake and extension rolls back", async () => {
        const t = setup();
        t.metrics.unavailable = true;
        const result = await t.drive(promote(t.deps, { stackName: "prod" }));
        expect(result.report.outcome).to.equal("rolled-back");
        expect(result.report.steps[0]).to.include({ verdict: "inconclusive" });
        expect(result.report.decisionAtMinute).to.equal(20.1); // the first poll past the 10-minute bake and 10 minutes of extension
        expect(t.log.lines.join("\n")).to.contain("CloudWatch unavailable");
    });

    it("a composite alarm in ALARM fails the step", async () => {
        const t = setup();
        t.metrics.alarmsInAlarm.add("lambda-rollout-prod-api-rollback");
        const result = await t.drive(promote(t.deps, { stackName: "prod" }));
        expect(result.report.outcome).to.equal("rolled-back");
        expect(result.report.steps[0].reason).to.contain("alarm lambda-rollout-prod-api-rollback in ALARM");
    });

    it("does not take AWS's transient weight of 1 as the live state: it reads again", async () => {
        const t = setup();
        t.lambda.transientReads.set(API, [{ functionVersion: "8", additionalVersionWeights: { "7": 1 } }]);
        const result = await t.drive(promote(t.deps, { stackName: "prod" }));
        expect(result.report.outcome).to.equal("promoted");
        expect(t.stack.ups.map((u) => u.weight)).to.deep.equal([0.1, 0.5, 1]);
    });

    it("moves two functions in lockstep and rolls both back when one fails", async () => {
        const t = setup({
            keys: ["api", "worker"],
            rates: { api: { stable: 0.002, candidate: 0.002 }, worker: { stable: 0.002, candidate: 0.2 } },
        });
        const result = await t.drive(promote(t.deps, { stackName: "prod" }));
        expect(result.report.outcome).to.equal("rolled-back");
        const moved = (i: number) =>
            Object.fromEntries(
                Object.entries(t.stack.ups[i].routing!).map(([k, r]) => [
                    k,
                    { stable: r.stable, candidate: r.candidate, weight: r.weight },
                ]),
            );
        expect(moved(0)).to.deep.equal({
            api: { stable: "7", candidate: "8", weight: 0.1 },
            worker: { stable: "7", candidate: "8", weight: 0.1 },
        });
        expect(moved(1)).to.deep.equal({
            api: { stable: "7", candidate: "8", weight: 0 },
            worker: { stable: "7", candidate: "8", weight: 0 },
        });
        expect(result.report.steps[0].reason).to.match(/^worker: /);
        expect(t.lambda.aliases.get(API)?.functionVersion).to.equal("7");
        expect(t.lambda.aliases.get(WORKER)?.functionVersion).to.equal("7");
    });

    it("with too little traffic (3 rpm: the fake rounds a 10% share to no invocation a minute) extends the bake, then rolls back (no data is never a pass)", async () => {
        const t = setup({ rpm: 3 });
        const result = await t.drive(promote(t.deps, { stackName: "prod" }));
        expect(result.report.outcome).to.equal("rolled-back");
        expect(result.report.steps[0].verdict).to.equal("inconclusive");
        expect(result.report.steps[0].reason).to.match(
            /of 5 candidate invocations needed this step, after the bake and 10 min of extension/,
        );
        expect(t.log.lines.some((l) => / extended /.test(l))).to.equal(true);
    });

    it("onNoData: hold keeps the weight when the evidence stays short: outcome held (exit 5), recorded as held on the alias, nothing rolled back", async () => {
        const hold = { ...PROD_POLICY, gates: { ...PROD_POLICY.gates, onNoData: "hold" } };
        const t = setup({ rpm: 3, policy: hold });
        const result = await t.drive(promote(t.deps, { stackName: "prod" }));
        expect([result.report.outcome, result.exitCode]).to.deep.equal(["held", 5]);
        expect(result.report.steps.map((s) => [s.weight, s.verdict, s.cause])).to.deep.equal([[0.1, "inconclusive", "no-data"]]);
        expect(t.stack.ups.map((u) => u.weight)).to.deep.equal([0.1]);
        expect(t.lambda.aliases.get(API)).to.deep.include({ functionVersion: "7", additionalVersionWeights: { "8": 0.1 } });
        expect(decodeState(t.lambda.aliases.get(API)!.description)).to.include({ phase: "held", candidate: "8", weight: 0.1 });
        expect(t.log.lines.some((l) => /holding 10% \(onNoData: hold\): run promote again to go on watching/.test(l))).to.equal(true);
    });

    it("refuses a stack that was never deployed", async () => {
        const t = setup();
        (t.stack as unknown as { outputs: () => Promise<undefined> }).outputs = async () => undefined;
        let error: Error | undefined;
        await t.drive(promote(t.deps, { stackName: "prod" }).catch((e) => (error = e)));
        expect(error?.message).to.equal("stack prod has no outputs yet: deploy it first with `pulumi up --stack prod`");
    });

    it("stops without touching traffic when someone else moved it mid-bake (an emergency rollback wins)", async () => {
        const t = setup();
        const run = promote(t.deps, { stackName: "prod" });
        const original = t.metrics.evidence.bind(t.metrics);
        t.metrics.evidence = async (...args) => {
            if (t.metrics.calls === 3) t.lambda.aliases.set(API, { functionVersion: "7", additionalVersionWeights: {} });
            return original(...args);
        };
        const result = await t.drive(run);
        expect(result.exitCode).to.equal(3);
        expect(result.report.outcome).to.equal("failed");
        expect(result.report.steps[0].reason).to.contain("the alias was changed outside this promote");
        expect(t.stack.ups.map((u) => u.weight)).to.deep.equal([0.1]);
        expect(t.lambda.aliases.get(API)).to.deep.include({ functionVersion: "7", additionalVersionWeights: {} });
    });

    it("a bug (a RangeError) while traffic is on the candidate still puts it back on stable, keeps the record and exits 70, not as an infrastructure error", async () => {
        const t = setup();
        t.metrics.alarmStates = async () => {
            throw new TypeError("a bug in an adapter");
        };
        t.metrics.evidence = async () => {
            throw new TypeError("a bug in an adapter");
        };
        const clockSleep = t.clock.sleep;
        let sleeps = 0;
        t.clock.sleep = async (ms) => {
            sleeps += 1;
            if (sleeps === 3) throw new RangeError("clock broke");
            return clockSleep(ms);
        };
        const result = await t.drive(promote(t.deps, { stackName: "prod" }));
        expect(result.exitCode).to.equal(70, "a bug is exit 70, not 3 (infrastructure)");
        expect(result.report.outcome).to.equal("failed");
        expect(result.report.error).to.equal("RangeError: clock broke");
        expect(result.report.steps.at(-1)).to.include({ weight: 0.1, verdict: "failed" });
        expect(t.lambda.aliases.get(API)).to.deep.include({ functionVersion: "7", additionalVersionWeights: {} });
    });

    it("linear: 30% more every 5 minutes, one up per step, ending at 100% baked like the others", async () => {
        const linear = { ...PROD_POLICY, strategy: "linear", canary: undefined, linear: { stepPercent: 30, every: 300 } };
        const t = setup({ policy: linear });
        const result = await t.drive(promote(t.deps, { stackName: "prod" }));
        expect(result.report.outcome).to.equal("promoted");
        expect(t.stack.ups.map((u) => u.weight)).to.deep.equal([0.3, 0.6, 0.9, 1]);
        expect(result.report.durationMinutes).to.equal(28.1); // 4 x (5 min + the bake's last minute, 2 minutes late, + 5 s)
        expect(result.report.steps.map((s) => [s.weight, s.verdict])).to.deep.equal([
            [0.3, "passed"],
            [0.6, "passed"],
            [0.9, "passed"],
            [1, "passed"],
        ]);
    });
});
