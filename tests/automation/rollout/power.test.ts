import { expect } from "chai";
import { loadStackConfig } from "../../../automation/engine/evaluate";
import { powerStatement, statePower, type TrafficEstimate } from "../../../automation/rollout/power";
import type { RolloutPolicy } from "../../../config/stackConfig";
import { runCli } from "../../helpers/cli";

const prod = (): RolloutPolicy => loadStackConfig("prod").stackConfig.rollout;
const evidence = (): RolloutPolicy => {
    const p = prod();
    return { ...p, canary: { ...p.canary!, advance: "evidence" } };
};
const at = (requestsPerMinute: number, stableErrorRate: number): TrafficEstimate => ({
    requestsPerMinute,
    stableErrorRate,
    source: "test",
});

describe("the power statement before traffic moves (power.ts): prod's steps and bakes at a function's traffic", () => {
    it("at 200 requests a minute and 0.5% errors, prod catches its must-catch (+0.5 points) with every step on time", () => {
        const p = powerStatement(prod(), "api", at(200, 0.005));
        expect(p).to.include({ catchesMustCatch: true, advance: "time", mustCatchIncreasePoints: 0.5 });
        expect(p.detectableIncreasePoints).to.be.below(0.5);
        expect(p.steps.map((s) => [s.weight, s.mustCatchIncreasePoints, s.outlook])).to.deep.equal([
            [0.1, 5, "on-time"],
            [0.5, 1, "on-time"],
            [1, 0.5, "on-time"],
        ]);
        expect(p.text[1]).to.equal("power: api: every step has its evidence by the end of its bake (advance: time).");
    });

    it("at 20 requests a minute it says what the rollout catches, that the 10% step will be rolled back for want of evidence, and what +0.5 points would take", () => {
        const p = powerStatement(prod(), "api", at(20, 0.005));
        expect(p.catchesMustCatch).to.equal(false);
        expect(p.detectableRatio).to.be.within(3, 10);
        expect(p.steps[0]).to.include({ weight: 0.1, outlook: "short" });
        expect(p.minutesAt100ForMustCatch).to.equal(undefined);
        expect(p.minutesAt100WithDayOfHistory).to.be.within(60, 300);
        expect(p.text[0]).to.match(
            /^power: api: at 20 requests a minute \(stable 0.5% errors; test\), its steps and bakes catch a rise of \+[\d.]+ points \([\d.]+x stable's errors\) by the end of the last bake; to catch its must-catch, \+0.5 points, it would need more than a week at 100% \(stable's hour before the rollout is too few requests to pin its own rate; with gates.baseline 24h, about [\d.]+ h\)\.$/,
        );
        expect(p.text[1]).to.match(
            /10% needs \d+ min against \+5 points \(past bake 10 min \+ maxExtension 15 min: onNoData rollback, for a healthy candidate too\)/,
        );
    });

    it("at 200 requests a minute and 1% errors, the last step needs more than its bake: within prod's 15-minute extension it is said to catch it; with 10 minutes, the maxExtension that would do", () => {
        const p = powerStatement(prod(), "api", at(200, 0.01));
        expect(p.catchesMustCatch).to.equal(false);
        expect(p.minutesAt100ForMustCatch).to.be.within(15, 25);
        expect(p.steps.at(-1)).to.include({ weight: 1, outlook: "extended" });
        expect(p.text[0]).to.match(
            /it catches its must-catch, \+0.5 points, after about \d+ min at 100% \(the last bake extended, within maxExtension 15 min\)\.$/,
        );
        const tenMinutes = { ...prod(), gates: { ...prod().gates, maxExtension: 600 } };
        const short = powerStatement(tenMinutes, "api", at(200, 0.01));
        expect(short.steps.at(-1)).to.include({ weight: 1, outlook: "short" });
        expect(short.text[0]).to.match(/it needs about \d+ min at 100% \(maxExtension 1[1-5] min or more; or advance: evidence with it\)/);
    });

    it("advance: evidence at 2,000 requests a minute moves on at every bake; at 200 it would hold 10% past its extension", () => {
        expect(powerStatement(evidence(), "api", at(2000, 0.002)).steps.map((s) => s.outlook)).to.deep.equal([
            "on-time",
            "on-time",
            "on-time",
        ]);
        const slow = powerStatement(evidence(), "api", at(200, 0.005));
        expect(slow.steps[0]).to.include({ weight: 0.1, mustCatchIncreasePoints: 1, outlook: "short" });
        expect(slow.text[1]).to.match(/^power: api: advance: evidence: 10% needs \d+ min against \+1 points/);
    });

    it("more traffic catches a smaller regression (change one field)", () => {
        const few = powerStatement(prod(), "api", at(200, 0.005)).detectableIncreasePoints!;
        const many = powerStatement(prod(), "api", at(2000, 0.005)).detectableIncreasePoints!;
        expect(many).to.be.below(few);
    });

    it("a traffic read that fails is said, never a reason to stop; a function without an answer says so", async () => {
        const lines: string[] = [];
        const none = await statePower(
            async () => {
                throw new Error("AccessDenied");
            },
            prod(),
            [{ key: "api", functionName: "f", aliasName: "live" }],
            (l) => lines.push(l),
        );
        expect(none).to.equal(undefined);
        expect(lines).to.deep.equal([
            "power: recent traffic could not be read (AccessDenied): no statement of what this rollout can catch",
        ]);
        const some = await statePower(
            async () => ({ api: { unreadable: "alias Invocations: Forbidden" } }),
            prod(),
            [{ key: "api", functionName: "f", aliasName: "live" }],
            (l) => lines.push(l),
        );
        expect(some).to.deep.equal([]);
        expect(lines.at(-1)).to.equal("power: api: recent traffic could not be read (alias Invocations: Forbidden)");
    });
});

describe("plan states the power at a scenario's traffic (the command line)", function () {
    this.timeout(120_000);

    it("plan -s prod --scenario on a low-traffic scenario: what the rollout catches and what it would take, per function; --json carries the numbers", async () => {
        const text = await runCli(["plan", "-s", "prod", "--scenario", "scenarios/low-traffic-third-failing.json"]);
        expect(text.code, text.stderr).to.equal(0);
        expect(text.stdout.replace(/\s+/g, " ")).to.match(
            /power: api: at 5 requests a minute \(stable 0.2% errors; scenario low-traffic-third-failing\), its steps and bakes catch a rise of/,
        );
        expect(text.stdout.replace(/\s+/g, " ")).to.match(
            /10% needs [\d.]+ h against \+5 points \(past bake 10 min \+ maxExtension 15 min: onNoData rollback/,
        );
        const json = await runCli(["plan", "-s", "prod", "--scenario", "scenarios/low-traffic-third-failing.json", "--json"]);
        const power = JSON.parse(json.stdout).power;
        expect(power).to.have.length(1);
        expect(power[0]).to.include({
            function: "api",
            requestsPerMinute: 5,
            stableErrorRatePercent: 0.2,
            catchesMustCatch: false,
            advance: "time",
        });
        expect(power[0].steps[0]).to.include({ weight: 0.1, outlook: "short" });
    });

    it("--traffic takes only cloudwatch: anything else is a usage error (exit 2) that says what is valid", async () => {
        const r = await runCli(["plan", "-s", "prod", "--traffic", "yesterday"]);
        expect(r.code).to.equal(2);
        expect(r.stderr).to.match(/option '--traffic <source>' argument 'yesterday' is invalid\. Allowed choices are cloudwatch/);
    });
});
