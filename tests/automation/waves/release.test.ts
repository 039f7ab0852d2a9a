import { expect } from "chai";
import * as path from "path";
import { LambdaAdapter } from "../../../automation/adapters/lambda";
import { PROJECT_ROOT } from "../../../automation/engine/evaluate";
import { defaultProject } from "../../../automation/project";
import { readScenario, type Scenario } from "../../../automation/rehearsal/scenario";
import { decodeState } from "../../../domain/state";
import type { WavePlan } from "../../../automation/waves/plan";
import { readWavePlan } from "../../../automation/waves/planFile";
import { rehearseWaves, type WavesRehearsalResult } from "../../../automation/waves/rehearsal";
import { memoryLog } from "../../helpers/fakes";

const DIR = path.join(PROJECT_ROOT, "scenarios", "waves");
const PROD = readWavePlan(defaultProject(), "prod");
const [US, EU, AP] = ["prod-us-east-1", "prod-eu-west-1", "prod-ap-southeast-1"];

/** Rehearses a shipped release scenario through `plan` (the repository's prod plan unless changed); the log too. */
async function run(name: string, plan: WavePlan = PROD, change: (s: Scenario) => Scenario = (s) => s) {
    const log = memoryLog();
    const result = await rehearseWaves({ plan, scenario: change(readScenario(path.join(DIR, `${name}.json`))), log });
    return { result, lines: log.lines };
}

/** Where a stack's traffic ended, read from its own simulated account. */
const traffic = (r: WavesRehearsalResult, stack: string) => r.safety[stack].traffic;

/** A stack's `up`s that moved a step forward, oldest first: `step 1/3`, ... */
const stepUps = (r: WavesRehearsalResult, stack: string) =>
    r.histories[stack]
        .filter((u) => u.message.startsWith("lambda-rollout promote: step") && u.result === "succeeded")
        .map((u) => /step (\d+\/\d+)/.exec(u.message)![1])
        .reverse();

/** The rollout record on a stack's `live` alias, read from its simulated account. */
async function recordOn(r: WavesRehearsalResult, stack: string) {
    const alias = await new LambdaAdapter(r.accounts[stack].lambda).getAlias(`lambda-rollout-${stack}-api`, "live");
    return { description: alias.description, state: decodeState(alias.description) };
}

/** A stack the release never touched: its candidate served no request, its alias records nothing, no step's `up` ran. */
async function expectUntouched(r: WavesRehearsalResult, stack: string) {
    expect(traffic(r, stack)).to.deep.equal({ api: "v1 100%" });
    expect((await recordOn(r, stack)).state, `${stack}'s record`).to.equal(undefined);
    expect(stepUps(r, stack)).to.deep.equal([]);
    const counts = r.accounts[stack].requestCounts(`lambda-rollout-${stack}-api`);
    expect(counts.byVersion["2"]?.requests ?? 0).to.equal(0);
}

describe("a release through the prod wave plan, rehearsed (three stacks, each its own simulated account, one virtual timeline)", function () {
    this.timeout(120_000);

    it("bad only in eu-west-1: wave 2 rolled back by its own gate, wave 1 put back too (rollback: all), wave 3 never touched; exit 1, the report says which stack failed and why", async () => {
        const { result } = await run("bad-in-eu-west-1");
        expect(result.exitCode).to.equal(1);
        expect(result.report.outcome).to.equal("rolled-back");
        expect(result.report.waves.map((w) => w.outcome)).to.deep.equal(["rolled-back", "rolled-back", "not-started"]);
        // Which stack failed, and why, in the gate's numbers.
        expect(result.report.release.cause).to.include({ stack: EU, wave: 1, kind: "rolled-back" });
        expect(result.report.release.cause!.reason).to.match(/^api: error rate above 1% .*candidate 8\/134 errors \(5\.97%\)/);
        const euSteps = result.report.waves[1].stacks[0].steps;
        expect(euSteps.map((s) => [s.weight, s.verdict, s.cause])).to.deep.equal([[0.1, "failed", "absolute-limit"]]);
        // Wave 1 had passed every gate; the release put it back, saying why.
        const usSteps = result.report.waves[0].stacks[0].steps;
        expect(usSteps.map((s) => [s.weight, s.verdict, s.cause])).to.deep.equal([
            [0.1, "passed", "healthy"],
            [0.5, "passed", "healthy"],
            [1, "passed", "healthy"],
            [1, "interrupted", "release"],
        ]);
        expect(usSteps[3].reason).to.match(/^the release stopped: prod-eu-west-1 \(wave 2\) rolled-back: api: error rate above 1%/);
        expect((await recordOn(result, US)).state).to.include({ phase: "rolled-back", stable: "1", candidate: "2" });
        // Read from each account: both stacks that got the candidate are back on stable; wave 3 never was touched.
        expect(traffic(result, US)).to.deep.equal({ api: "v1 100%" });
        expect(traffic(result, EU)).to.deep.equal({ api: "v1 100%" });
        await expectUntouched(result, AP);
        expect(Object.values(result.safety).every((s) => s.safe)).to.equal(true);
        // The release's own reason is the deciding step's: the headline of the report and its page.
        const failed = result.report.steps.filter((s) => s.verdict === "failed");
        expect(failed.map((s) => s.reason.split(":")[0])).to.deep.equal([EU]);
    });

    it("each stack's promote notifies through its own topic and puts its own deployment metrics, in its own account, as `promote -s` does; a stack never started sends nothing", async () => {
        const { result } = await run("bad-in-eu-west-1");
        const sent = (stack: string) =>
            result.accounts[stack].snsPublishes().map((p) => [p.subject, p.topicArn.split(":").at(-1), p.attributes.event]);
        const put = (stack: string) =>
            result.accounts[stack]
                .customMetrics("LambdaRollout")
                .map((d) => [d.metricName, d.value, d.dimensions.Stack, d.dimensions.Function]);
        expect(sent(EU)).to.deep.equal([
            [`lambda-rollout ${EU}: rollout started`, `lambda-rollout-${EU}-rollback-alarms`, "started"],
            [`lambda-rollout ${EU}: rolled back`, `lambda-rollout-${EU}-rollback-alarms`, "rolled-back"],
        ]);
        expect(put(EU).slice(0, 2)).to.deep.equal([
            ["RolloutSucceeded", 0, EU, "api"],
            ["RolloutRolledBack", 1, EU, "api"],
        ]);
        // Wave 1's own promote ended promoted (the release put it back afterwards, outside that promote).
        expect(sent(US).map(([, , event]) => event)).to.deep.equal(["started", "step-passed", "step-passed", "step-passed", "promoted"]);
        expect(put(US).slice(0, 2)).to.deep.equal([
            ["RolloutSucceeded", 1, US, "api"],
            ["RolloutRolledBack", 0, US, "api"],
        ]);
        expect(sent(AP)).to.deep.equal([]);
        expect(put(AP)).to.deep.equal([]);
        // The report says what each stack's promote sent and put.
        const entry = (stack: string) => result.report.waves.flatMap((w) => w.stacks).find((e) => e.stack === stack)!;
        expect(entry(EU).notifications).to.deep.equal([
            { kind: "started", channel: "sns" },
            { kind: "rolled-back", channel: "sns" },
        ]);
        expect(entry(US).metricsPut).to.include("RolloutSucceeded");
        expect(entry(AP).notifications).to.equal(undefined);
    });

    it("the same with `rollback: wave`: wave 2 rolled back, wave 1 held on the candidate with the reason, wave 3 never touched; exit 1", async () => {
        const { result } = await run("bad-in-eu-west-1", { ...PROD, rollback: "wave" });
        expect(result.exitCode).to.equal(1);
        expect(result.report.outcome).to.equal("rolled-back");
        expect(result.report.waves.map((w) => w.outcome)).to.deep.equal(["held", "rolled-back", "not-started"]);
        expect(result.report.waves[0].reason).to.match(
            /^held on the candidate \(rollback: wave\): wave 2 failed: prod-eu-west-1: api: error rate above 1%/,
        );
        expect(result.report.release.held).to.deep.equal([US]);
        expect(traffic(result, US)).to.deep.equal({ api: "v2 100%" });
        expect((await recordOn(result, US)).state).to.include({ phase: "promoted", candidate: "2" });
        expect(traffic(result, EU)).to.deep.equal({ api: "v1 100%" });
        await expectUntouched(result, AP);
    });

    it("killed between waves (watching wave 1) and inside wave 2 (eu-west-1 at 50%): each run again goes on from the records; no stack is released twice; the report keeps every record", async () => {
        const { result, lines } = await run("killed-between-and-inside-waves");
        expect(result.runs).to.equal(3);
        expect(result.exitCode).to.equal(0);
        expect(result.report.outcome).to.equal("promoted");
        // Every stack went through each of its steps' `up`s once: none was released again after it had passed.
        for (const stack of [US, EU, AP]) expect(stepUps(result, stack), stack).to.deep.equal(["1/3", "2/3", "3/3"]);
        const runs = lines.join("\n").split("Running the release again...");
        expect(runs).to.have.length(3);
        // The second run found wave 1 promoted and went on watching it; the third resumed eu-west-1 at its 50% step.
        expect(runs[1]).to.include(`  ${US}: promoted`).and.include("watching prod-us-east-1 until 2026-01-05T10:06Z");
        expect(runs[1]).not.to.include(`${US} | ${US}: canary rollout`);
        expect(runs[2])
            .to.include(`  ${EU}: under-way`)
            .and.include(`${EU} | resuming from 50% live on the candidate (the step is baked again)`);
        // The report keeps every run's records at their true minutes: the killed ones marked where they died.
        const eu = result.report.waves[1].stacks[0];
        expect(eu.steps.map((s) => [s.weight, s.verdict])).to.deep.equal([
            [0.1, "passed"],
            [0.5, "interrupted"],
            [0.5, "passed"],
            [1, "passed"],
        ]);
        expect(eu.steps[1].reason).to.match(/^promote killed at minute 13\.9; a promote run again took over/);
        expect(result.report.waves[0].watch!.map((w) => [w.fromMinute, w.toMinute, w.verdict])).to.deep.equal([
            [36.1, 45, "stopped"],
            [45, 66.1, "passed"],
        ]);
        for (const stack of [US, EU, AP]) expect(traffic(result, stack), stack).to.deep.equal({ api: "v2 100%" });
    });

    it("as CI runs it, one job per wave (--through-wave 1, 2, 3), the second job killed twice: each job goes on from the records, none releases a stack twice", async () => {
        const log = memoryLog();
        const result = await rehearseWaves({
            plan: PROD,
            scenario: readScenario(path.join(DIR, "killed-between-and-inside-waves.json")),
            log,
            jobs: [1, 2, 3],
        });
        // Job 1; job 2 killed at minute 45 and at minute 80, run again each time; job 3.
        expect(result.runs).to.equal(5);
        expect(result.exitCode).to.equal(0);
        expect(result.report.outcome).to.equal("promoted");
        expect(log.lines.filter((l) => / the job for wave \d ended \(exit 0\); the next job starts$/.test(l))).to.have.length(2);
        expect(log.lines).to.include.members([
            "[release min 36.1] wave 1 is released (--through-wave 1): stopping; `promote --waves prod` run again goes on from here",
        ]);
        for (const stack of [US, EU, AP]) expect(stepUps(result, stack), stack).to.deep.equal(["1/3", "2/3", "3/3"]);
        expect(result.report.waves.map((w) => w.outcome)).to.deep.equal(["promoted", "promoted", "promoted"]);
    });

    it("the whole release aborted from a second process while wave 2 bakes: every stack that received the candidate ends on stable", async () => {
        const { result, lines } = await run("abort-while-wave-2-bakes");
        expect(lines).to.include("[min 80] operator: lambda-rollout abort --waves prod --by rehearsal-operator");
        expect(result.operators).to.deep.equal([
            { action: "abort", atMinute: 80, endedAtMinute: result.operators[0].endedAtMinute, exitCode: 0 },
        ]);
        expect(result.report.outcome).to.equal("aborted");
        expect(result.exitCode).to.equal(1);
        expect(result.report.waves.map((w) => w.outcome)).to.deep.equal(["aborted", "aborted", "not-started"]);
        // Wave 1 (promoted) and wave 2 (at 50%) both received it: both are back on stable, as their accounts say.
        expect(traffic(result, US)).to.deep.equal({ api: "v1 100%" });
        expect(traffic(result, EU)).to.deep.equal({ api: "v1 100%" });
        for (const stack of [US, EU])
            expect((await recordOn(result, stack)).state, stack).to.include({ phase: "aborted", by: "rehearsal-operator" });
        await expectUntouched(result, AP);
        expect(result.report.functions[`${US}/api`].finalRouting).to.deep.equal({ "1": 1 });
    });

    it("a late regression in wave 1 while the release watches it: its gates put it back; wave 2 never starts", async () => {
        const { result } = await run("late-regression-in-wave-1");
        expect(result.exitCode).to.equal(1);
        expect(result.report.release.cause).to.include({ stack: US, wave: 0, kind: "rolled-back" });
        expect(result.report.release.cause!.reason).to.match(
            /^late regression while the release watched wave 1: api: alarm lambda-rollout-prod-us-east-1-api-rollback in ALARM/,
        );
        const watch = result.report.waves[0].watch!;
        expect(watch.map((w) => w.verdict)).to.deep.equal(["failed"]);
        // The regression begins at minute 40; the per-minute metrics arrive two minutes late; the watch looks every minute.
        expect(watch[0].toMinute).to.be.within(41, 48);
        expect(traffic(result, US)).to.deep.equal({ api: "v1 100%" });
        await expectUntouched(result, EU);
        await expectUntouched(result, AP);
    });

    it("two stacks of a wave at once (concurrency 2): the first to fail stops the other, aborted through its record", async () => {
        const plan: WavePlan = { ...PROD, waves: [{ stacks: [US] }, { stacks: [EU, AP] }], concurrency: 2 };
        const { result } = await run("bad-in-eu-west-1", plan);
        expect(result.report.waves.map((w) => w.stacks.map((s) => [s.stack, s.outcome]))).to.deep.equal([
            [[US, "rolled-back"]],
            [
                [EU, "rolled-back"],
                [AP, "aborted"],
            ],
        ]);
        // ap-southeast-1 was moving at the same time: it had received the candidate, and is back on stable.
        expect(result.report.waves[1].stacks[1].steps.at(-1)).to.include({ verdict: "interrupted", cause: "operator" });
        expect(result.accounts[AP].requestCounts(`lambda-rollout-${AP}-api`).byVersion["2"].requests).to.be.greaterThan(0);
        for (const stack of [US, EU, AP]) expect(traffic(result, stack), stack).to.deep.equal({ api: "v1 100%" });
    });

    it("a seed replays the same release: two rehearsals of one scenario give the same report", async () => {
        const a = await run("bad-in-eu-west-1");
        const b = await run("bad-in-eu-west-1");
        expect(JSON.stringify(b.result.report)).to.equal(JSON.stringify(a.result.report));
    });
});
