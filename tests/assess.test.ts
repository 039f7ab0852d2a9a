import { expect } from "chai";
import { rolloutSchema, type GatePolicy } from "../config/stackConfig";
import { assessFunction, assessStep, evidenceSince, MIN_ERRORS_TO_FAIL, stepAlphas, type GateInput } from "../automation/rollout/assess";
import type { FunctionEvidence, VersionEvidence } from "../automation/rollout/ports";
import {
    boundary,
    logLikelihoodRatio,
    logMixtureRatio,
    lowerConfidenceBound,
    upperConfidenceBound,
    waldExpectedSampleSize,
} from "../automation/rollout/sequential";
import { createRandom } from "../automation/simulator/random";

/** The gates' defaults, as a stack that names none gets them. */
const gatesSchemaDefaults = (): GatePolicy => rolloutSchema.parse({ strategy: "canary", canary: { steps: [{ weight: 100 }] } }).gates;

const version = (invocations: number, errors: number, p99 = 300): VersionEvidence => ({
    invocations,
    errors,
    p99ByMinute: invocations > 0 ? [p99, p99, p99, p99, p99] : [],
    minutes: [],
});
const evidence = (c: [number, number], s: [number, number], extra: Partial<FunctionEvidence> = {}): FunctionEvidence => ({
    candidate: version(...c),
    stable: version(...s),
    aliasThrottles: 0,
    deadLetterErrors: 0,
    ...extra,
});
const input = (over: Partial<GateInput> = {}): GateInput => ({
    gates: gatesSchemaDefaults(),
    bakeSeconds: 600,
    elapsedSeconds: 300,
    absoluteOnly: false,
    gatedSteps: 3,
    ...over,
});

describe("sequential statistics (automation/rollout/sequential.ts)", () => {
    it("a component's likelihood ratio is r^errors / (1 + (r - 1) p0)^n (odds ratio r over p0)", () => {
        const p0 = 0.01;
        const r = 3;
        const p1 = (r * p0) / (1 - p0 + r * p0);
        const direct = 4 * Math.log(p1 / p0) + 96 * Math.log((1 - p1) / (1 - p0));
        expect(logLikelihoodRatio(4, 100, p0, r)).to.be.closeTo(direct, 1e-9);
    });

    it("the mixture is no evidence at the maximum likelihood rate, and grows with the errors", () => {
        expect(logMixtureRatio(5, 500, 0.01)).to.be.below(0);
        expect(logMixtureRatio(10, 500, 0.01)).to.be.above(logMixtureRatio(5, 500, 0.01));
        expect(logMixtureRatio(0, 0, 0.01)).to.equal(0);
    });

    const bounds: Array<[string, number, number, number]> = [
        ["6 of 53", 6, 53, 0.0017],
        ["20 of 1000", 20, 1000, 0.0017],
        ["200 of 10000", 200, 10000, 0.0017],
        ["50 of 50", 50, 50, 0.0017],
    ];
    for (const [label, errors, n, alpha] of bounds) {
        it(`bounds bracket the observed rate: ${label}`, () => {
            const lower = lowerConfidenceBound(errors, n, alpha);
            const upper = upperConfidenceBound(errors, n, alpha);
            expect(lower).to.be.below(errors / n);
            if (errors < n) expect(upper).to.be.above(errors / n);
            else expect(upper).to.equal(1);
            expect(logMixtureRatio(errors, n, lower * 0.999, 1)).to.be.at.least(boundary(alpha));
        });
    }

    it("bounds tighten with more data at the same rate, and widen with a smaller alpha", () => {
        expect(lowerConfidenceBound(200, 10000, 0.002)).to.be.above(lowerConfidenceBound(20, 1000, 0.002));
        expect(lowerConfidenceBound(20, 1000, 0.0001)).to.be.below(lowerConfidenceBound(20, 1000, 0.01));
    });

    it("two errors never make a lower bound (a handful of errors cannot rule out a rate near 0)", () => {
        expect(lowerConfidenceBound(2, 2, 0.0017)).to.equal(0);
        expect(lowerConfidenceBound(0, 1000, 0.0017)).to.equal(0);
        expect(upperConfidenceBound(0, 0, 0.0017)).to.equal(1);
    });

    it("Wald's expected sample size: about ln(1/alpha) / KL, infinite when the rates are equal", () => {
        // KL(1.5% || 0.5%) = 0.00653 nats per request; (0.99 ln 99 - 0.01 ln 99) / KL.
        expect(waldExpectedSampleSize(0.005, 0.015, 0.01, 0.01)).to.be.closeTo(689, 3);
        expect(waldExpectedSampleSize(0.005, 0.005, 0.01, 0.01)).to.equal(Infinity);
    });

    it("polling every minute does not inflate false rollbacks: a candidate AT the limit crosses its bound in at most alpha of runs", function () {
        // 4000 steps of 20 polls, 100 invocations a minute at exactly the 1% limit; alpha 1%. The lower bound
        // is above 1% exactly when the mixture rejects 1% (it is monotone in the null rate).
        const random = createRandom(5);
        const alpha = 0.01;
        let crossed = 0;
        let crossedFixedZ = 0;
        for (let run = 0; run < 4000; run++) {
            let n = 0;
            let e = 0;
            let hit = false;
            let hitZ = false;
            for (let minute = 0; minute < 20; minute++) {
                n += 100;
                e += random.binomial(100, 0.01);
                if (!hit && logMixtureRatio(e, n, 0.01) >= boundary(alpha)) hit = true;
                // The naive gate: a one-sided 99% normal bound, read every minute.
                if (!hitZ && (e / n - 2.326 * Math.sqrt((0.01 * 0.99) / n)) > 0.01) hitZ = true;
            }
            crossed += hit ? 1 : 0;
            crossedFixedZ += hitZ ? 1 : 0;
        }
        expect(crossed / 4000).to.be.at.most(alpha);
        expect(crossedFixedZ / 4000).to.be.above(2 * alpha);
    });
});

describe("the gate (assess.ts), by table", () => {
    const name = "api";
    const cases: Array<[string, FunctionEvidence, Partial<GateInput>, string, RegExp?]> = [
        ["a healthy candidate mid-bake keeps baking", evidence([150, 0], [1350, 3]), {}, "baking", /healthy so far: candidate 0\/150 errors/],
        ["a healthy candidate passes after the bake with enough invocations", evidence([300, 1], [2700, 4]), { elapsedSeconds: 600 }, "passed", /candidate 1\/300 errors .*>= 50 candidate invocations/],
        ["a candidate failing 11% of 53 calls fails, with the numbers", evidence([53, 6], [529, 2]), {}, "failed", /error rate above 1% \(sequential test, always-valid lower bound [\d.]+% at false-rollback risk 0.17%\): candidate 6\/53 errors \(11.32%\), stable 2\/529 \(0.38%\)/],
        ["two errors of two calls are not yet evidence (minimum evidence)", evidence([2, 2], [18, 0]), {}, "baking"],
        ["a candidate 0.9% against stable's 0.1% on large counts fails the comparison (under the 1% limit)", evidence([60000, 540], [60000, 60]), {}, "failed", /points or more above stable's \(limit 0.5; sequential test, candidate lower bound/],
        ["the same counts at 100% (no stable) pass the absolute limit", evidence([60000, 540], [0, 0]), { absoluteOnly: true }, "baking"],
        ["a candidate as bad as stable is not compared worse", evidence([5000, 40], [5000, 40]), {}, "baking"],
        ["an alarm in ALARM fails at once", evidence([10, 0], [90, 0]), {}, "failed", /alarm api-rollback in ALARM/],
        ["a throttle fails", evidence([100, 0], [900, 0], { aliasThrottles: 1 }), {}, "failed", /1 throttles through the alias > 0 allowed/],
        ["a dead-letter error fails", evidence([100, 0], [900, 0], { deadLetterErrors: 2 }), {}, "failed", /2 dead-letter delivery errors/],
        ["too few invocations after the bake extends it", evidence([20, 0], [180, 0]), { elapsedSeconds: 600 }, "extended", /20 of 50 candidate invocations needed; bake extended/],
        ["too few invocations after the extension is inconclusive", evidence([40, 0], [360, 0]), { elapsedSeconds: 1200 }, "inconclusive"],
    ];
    for (const [title, ev, over, verdict, reason] of cases) {
        it(title, () => {
            const alarms = title.startsWith("an alarm") ? ["api-rollback"] : [];
            const result = assessFunction(name, ev, alarms, input(over));
            expect(result.verdict).to.equal(verdict);
            if (reason) expect(result.reason).to.match(reason);
        });
    }

    it("a p99 above the limit in 3 of the last 5 minutes fails", () => {
        const ev = evidence([200, 0], [1800, 0]);
        const slow = { ...ev, candidate: { ...ev.candidate, p99ByMinute: [300, 7000, 7000, 300, 7000] } };
        expect(assessFunction(name, slow, [], input()).reason).to.match(/p99 7000 ms > 6000 ms in 3 of the last 5 minutes/);
    });

    it("a larger false-rollback budget decides on less evidence (change one field)", () => {
        const ev = evidence([150, 6], [1350, 3]);
        expect(assessFunction(name, ev, [], input()).verdict).to.equal("baking");
        const generous = { ...gatesSchemaDefaults(), falseRollbackPercent: 50 };
        expect(assessFunction(name, ev, [], input({ gates: generous, gatedSteps: 1 })).verdict).to.equal("failed");
    });

    it(`never fails the error tests on fewer than ${MIN_ERRORS_TO_FAIL} candidate errors`, () => {
        const generous = { ...gatesSchemaDefaults(), falseRollbackPercent: 50 };
        expect(assessFunction(name, evidence([3, 2], [27, 0]), [], input({ gates: generous, gatedSteps: 1 })).verdict).to.equal("baking");
    });

    it("splits the budget between the gated steps and, with stable traffic, between the two versions", () => {
        const gates = gatesSchemaDefaults();
        expect(stepAlphas(gates, 3, false)).to.deep.equal({ candidate: 0.01 / 6, stable: 0.01 / 6 });
        expect(stepAlphas(gates, 3, true)).to.deep.equal({ candidate: 0.01 / 3, stable: 0 });
    });

    it("the step's verdict is the worst function's; without evidence a step never passes", () => {
        const ok = evidence([300, 0], [2700, 0]);
        const bad = evidence([53, 6], [529, 2]);
        const step = assessStep(input({ evidence: { api: ok, worker: bad }, elapsedSeconds: 600 }), ["api", "worker"]);
        expect(step.verdict).to.equal("failed");
        expect(step.reason).to.match(/^worker: error rate above 1%/);
        expect(step.numbers.api.candidateInvocations).to.equal(300);
        expect(assessStep(input({ evidence: undefined, elapsedSeconds: 600 }), ["api"]).verdict).to.equal("extended");
    });
});

describe("the error tests over the whole rollout (rolloutEvidence)", () => {
    /** Per-minute evidence: `perMinute` [invocations, errors] from minute 0 on. */
    const minutes = (perMinute: [number, number][]): VersionEvidence => ({
        invocations: perMinute.reduce((a, [n]) => a + n, 0),
        errors: perMinute.reduce((a, [, e]) => a + e, 0),
        p99ByMinute: perMinute.map(() => 300),
        minutes: perMinute.map((_, i) => i * 60_000),
        invocationsByMinute: perMinute.map(([n]) => n),
        errorsByMinute: perMinute.map(([, e]) => e),
    });
    const rollout = (c: [number, number][], s: [number, number][]): FunctionEvidence => ({ candidate: minutes(c), stable: minutes(s), aliasThrottles: 0, deadLetterErrors: 0 });

    it("evidenceSince keeps a step's own minutes and their totals", () => {
        const ev = rollout([[20, 1], [20, 0], [100, 3], [100, 2]], [[180, 1], [180, 1], [100, 0], [100, 1]]);
        const step = evidenceSince(ev, 2 * 60_000);
        expect(step.candidate).to.include({ invocations: 200, errors: 5 });
        expect(step.stable).to.include({ invocations: 200, errors: 1 });
        expect(step.candidate.minutes).to.deep.equal([120_000, 180_000]);
    });

    it("a candidate at 3% against 0.5% is failed on the evidence of two steps that neither shows alone", () => {
        // 10% of 200 rpm for 10 minutes, then 50% for 5: the candidate serves 20/min, then 100/min, failing 3%.
        const c: [number, number][] = Array.from({ length: 15 }, (_, i) => (i < 10 ? [20, i % 5 === 0 ? 3 : 0] : [100, 3]));
        const s: [number, number][] = [...Array(10).fill([180, 1]), ...Array(5).fill([100, 0])];
        const whole = rollout(c, s);
        const stepOnly = evidenceSince(whole, 10 * 60_000);
        const gates = gatesSchemaDefaults();
        const alone = assessFunction("api", stepOnly, [], { gates, bakeSeconds: 600, elapsedSeconds: 300, absoluteOnly: false, gatedSteps: 3 });
        const together = assessFunction("api", stepOnly, [], { gates, bakeSeconds: 600, elapsedSeconds: 300, absoluteOnly: false, rolloutEvidence: { api: whole } });
        expect(alone.verdict).to.equal("baking");
        expect(together.verdict).to.equal("failed");
        expect(together.reason).to.contain("since the rollout began: candidate 21/700 errors");
    });

    it("at 100% (stable serves nothing new) stable's earlier minutes still give the comparison a baseline", () => {
        const whole = rollout([...Array(20).fill([100, 1])], [...Array(20).fill([100, 0])]);
        const result = assessFunction("api", whole, [], { gates: gatesSchemaDefaults(), bakeSeconds: 600, elapsedSeconds: 300, absoluteOnly: true, rolloutEvidence: { api: whole } });
        expect(result.numbers.stableErrorRateUpperPercent).to.be.a("number");
    });

    it("a healthy candidate's many minutes never cross: 0.5% vs 0.5% over a whole rollout", () => {
        const whole = rollout([...Array(30).fill([200, 1])], [...Array(30).fill([200, 1])]);
        const result = assessFunction("api", whole, [], { gates: gatesSchemaDefaults(), bakeSeconds: 600, elapsedSeconds: 600, absoluteOnly: false, rolloutEvidence: { api: whole } });
        expect(result.verdict).to.equal("passed");
    });
});
