import { expect } from "chai";
import { waldExpectedSampleSize } from "../../../bench/statistics";
import { rolloutSchema, type GatePolicy } from "../../../config/stackConfig";
import {
    assessFunction,
    assessStep,
    evidenceSince,
    gateAlphas,
    lookAlphas,
    MIN_ERRORS_TO_FAIL,
    requiredInvocations,
    sameMinuteRatios,
    severityBand,
    throttleCheck,
    THROTTLE_RATE_TOLERANCE,
    withSeverity,
    type Baseline,
    type GateInput,
    type GateNumbers,
} from "../../../automation/rollout/assess";
import type { FunctionEvidence, VersionEvidence } from "../../../automation/rollout/ports";
import {
    boundary,
    excessErrorsPValue,
    logConditionalMixtureRatio,
    logLikelihoodRatio,
    logMixtureRatio,
    lowerConfidenceBound,
} from "../../../automation/rollout/sequential";
import { createRandom } from "../../../automation/simulator/random";

/** n choose k. */
const binomial = (n: number, k: number): number => (k === 0 ? 1 : (n * binomial(n - 1, k - 1)) / k);

/** The gates' defaults, as a stack that names none gets them. */
const gatesSchemaDefaults = (): GatePolicy =>
    rolloutSchema.parse({ strategy: "canary", canary: { steps: [{ weight: 100, bake: "10m" }] } }).gates;

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
    weight: 1,
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
        it(`the lower bound is below the observed rate, and the test rejects just under it: ${label}`, () => {
            const lower = lowerConfidenceBound(errors, n, alpha);
            expect(lower).to.be.below(errors / n);
            expect(logMixtureRatio(errors, n, lower * 0.999)).to.be.at.least(boundary(alpha));
            expect(logMixtureRatio(errors, n, lower * 1.001)).to.be.below(boundary(alpha));
        });
    }

    it("bounds tighten with more data at the same rate, and widen with a smaller alpha", () => {
        expect(lowerConfidenceBound(200, 10000, 0.002)).to.be.above(lowerConfidenceBound(20, 1000, 0.002));
        expect(lowerConfidenceBound(20, 1000, 0.0001)).to.be.below(lowerConfidenceBound(20, 1000, 0.01));
    });

    it("two errors never make a lower bound (a handful of errors cannot rule out a rate near 0)", () => {
        expect(lowerConfidenceBound(2, 2, 0.0017)).to.equal(0);
        expect(lowerConfidenceBound(0, 1000, 0.0017)).to.equal(0);
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
                if (!hitZ && e / n - 2.326 * Math.sqrt((0.01 * 0.99) / n) > 0.01) hitZ = true;
            }
            crossed += hit ? 1 : 0;
            crossedFixedZ += hitZ ? 1 : 0;
        }
        expect(crossed / 4000).to.be.at.most(alpha);
        expect(crossedFixedZ / 4000).to.be.above(2 * alpha);
    });

    it("the same-minute test: no evidence from minutes without both versions or without errors", () => {
        const m = (nc: number, ec: number, ns: number, es: number) => ({
            candidateInvocations: nc,
            candidateErrors: ec,
            stableInvocations: ns,
            stableErrors: es,
        });
        expect(logConditionalMixtureRatio([m(100, 3, 0, 0), m(0, 0, 100, 2), m(50, 0, 50, 0)], [2])).to.equal(0);
        // One minute, 10% canary: 3 of the 4 errors are the candidate's (null share 0.1); rho 3 gives share 0.25.
        const direct = 3 * Math.log(0.25 / 0.1) + 1 * Math.log(0.75 / 0.9);
        expect(logConditionalMixtureRatio([m(20, 3, 180, 1)], [3])).to.be.closeTo(direct, 1e-9);
    });

    it("the same-minute test read every minute rolls back a candidate as good as stable in at most alpha of runs, whatever stable's rate", function () {
        // 2000 rollouts of 20 minutes at 10% then 50% of 200 rpm, both versions at the same rate (0.5% and 3%),
        // alpha 0.25% (its share of a 1% budget); the test is read after every minute.
        const random = createRandom(11);
        const alpha = 0.0025;
        for (const rate of [0.005, 0.03]) {
            let crossed = 0;
            for (let run = 0; run < 2000; run++) {
                const minutes = [];
                let hit = false;
                for (let minute = 0; minute < 20 && !hit; minute++) {
                    const nc = minute < 10 ? 20 : 100;
                    const ns = 200 - nc;
                    minutes.push({
                        candidateInvocations: nc,
                        candidateErrors: random.binomial(nc, rate),
                        stableInvocations: ns,
                        stableErrors: random.binomial(ns, rate),
                    });
                    hit = logConditionalMixtureRatio(minutes, [1.5, 2, 3, 5, 10, 30]) >= boundary(alpha);
                }
                crossed += hit ? 1 : 0;
            }
            expect(crossed / 2000, `rate ${rate}`).to.be.at.most(alpha * 2);
        }
    });

    it("the end-of-step test: exact conditional p-value of pooled counts", () => {
        // 10 of 12 errors from the candidate, which served 1000 of 11000 requests: P(Bin(12, 1/11) >= 10).
        const share = 1000 / 11000;
        let tail = 0;
        for (let k = 10; k <= 12; k++) tail += binomial(12, k) * share ** k * (1 - share) ** (12 - k);
        expect(excessErrorsPValue(10, 1000, 2, 10000)).to.be.closeTo(tail, 1e-12);
        expect(excessErrorsPValue(0, 1000, 5, 10000)).to.equal(1);
        expect(excessErrorsPValue(5, 1000, 5, 0)).to.equal(1);
    });

    it("the end-of-step test at level 0.5% rejects equal rates in at most 0.5% of runs", () => {
        const random = createRandom(12);
        let rejected = 0;
        // 20000 runs: the observed share may exceed 0.5% by Monte Carlo noise alone (one standard error 0.05%).
        for (let run = 0; run < 20000; run++) {
            const ec = random.binomial(3200, 0.005);
            const es = random.binomial(14800, 0.005);
            if (excessErrorsPValue(ec, 3200, es, 14800) <= 0.005) rejected++;
        }
        expect(rejected / 20000).to.be.at.most(0.005 + 2 * Math.sqrt(0.005 / 20000));
    });
});

/** Per-minute evidence: `perMinute` [invocations, errors] from minute 0 on. */
const minutes = (perMinute: [number, number][]): VersionEvidence => ({
    invocations: perMinute.reduce((a, [n]) => a + n, 0),
    errors: perMinute.reduce((a, [, e]) => a + e, 0),
    p99ByMinute: perMinute.map(() => 300),
    minutes: perMinute.map((_, i) => i * 60_000),
    invocationsByMinute: perMinute.map(([n]) => n),
    errorsByMinute: perMinute.map(([, e]) => e),
});
const rollout = (c: [number, number][], s: [number, number][]): FunctionEvidence => ({
    candidate: minutes(c),
    stable: minutes(s),
    aliasThrottles: 0,
    deadLetterErrors: 0,
});
const repeat = (times: number, minute: [number, number]): [number, number][] => Array.from({ length: times }, () => minute);

describe("the gate (assess.ts), by table", () => {
    const name = "api";
    const cases: Array<[string, FunctionEvidence, Partial<GateInput>, string, RegExp?]> = [
        [
            "a healthy candidate mid-bake keeps baking",
            evidence([150, 0], [1350, 3]),
            {},
            "baking",
            /healthy so far: candidate 0\/150 errors/,
        ],
        [
            "a healthy 10% step passes after its bake once its evidence could have failed its must-catch (+5 points at 10%)",
            evidence([300, 1], [2700, 4]),
            { elapsedSeconds: 600, weight: 0.1 },
            "passed",
            /candidate 1\/300 errors .*>= 5 candidate invocations this step, its minutes in, and power: a candidate at stable's rate \+ 5 points \(this step's must-catch\) would show 15.4 errors in these 300 requests; the tests fail it from 8$/,
        ],
        [
            "the same evidence at 100% cannot have failed +0.5 points (1.9 errors expected, the tests need 8): extended",
            evidence([300, 1], [2700, 4]),
            { elapsedSeconds: 600 },
            "extended",
            /too little evidence to catch this step's must-catch regression: a candidate at stable's rate \+ 0.5 points \(this step's must-catch\) would show 1.9 errors in these 300 requests; the tests fail it from 8; bake extended/,
        ],
        [
            "a candidate failing 11% of 53 calls fails, with the numbers",
            evidence([53, 6], [529, 2]),
            {},
            "failed",
            /error rate above 1% \(sequential test, always-valid lower bound [\d.]+% at false-rollback risk 0.25%\): candidate 6\/53 errors \(11.32%\), stable 2\/529 \(0.38%\)/,
        ],
        ["two errors of two calls are not yet evidence (minimum evidence)", evidence([2, 2], [18, 0]), {}, "baking"],
        [
            "a candidate at 0.9% against stable's 0.1% in the same minutes fails the comparison (under the 1% limit)",
            rollout(repeat(20, [1000, 9]), repeat(20, [1000, 1])),
            {},
            "failed",
            /error rate above stable's in the same minutes \(sequential test: likelihood ratio e\^[\d.]+ >= 1\/0.13%; increase 0.8 points >= half the 0.5-point limit\): candidate 180\/20000/,
        ],
        [
            "a clear but small increase (0.1% -> 0.2%, under half the 0.5-point limit) is not rolled back",
            rollout(repeat(20, [3000, 6]), repeat(20, [3000, 3])),
            { elapsedSeconds: 600, lookAlpha: 0.005 },
            "passed",
        ],
        [
            "a candidate as bad as stable is not compared worse (and with stable's hour its evidence could have failed +0.5 points)",
            rollout(repeat(20, [250, 2]), repeat(20, [250, 2])),
            { elapsedSeconds: 600, lookAlpha: 0.005, baseline: { api: { invocations: 12000, errors: 96 } } },
            "passed",
            /would show 65 errors in the look's 5000 requests; the end-of-step look fails it from 61$/,
        ],
        ["an alarm in ALARM fails at once", evidence([10, 0], [90, 0]), {}, "failed", /alarm api-rollback in ALARM/],
        [
            "a throttle fails",
            evidence([100, 0], [900, 0], { aliasThrottles: 1 }),
            {},
            "failed",
            /1 throttles through the alias > 0 allowed/,
        ],
        ["a dead-letter error fails", evidence([100, 0], [900, 0], { deadLetterErrors: 2 }), {}, "failed", /2 dead-letter delivery errors/],
        [
            "too few invocations after the bake extends it",
            evidence([20, 0], [180, 0]),
            { elapsedSeconds: 600 },
            "extended",
            /20 of 50 candidate invocations needed this step; bake extended/,
        ],
        [
            "a 10% step with its tenth of minInvocations but no power against +5 points is extended, not passed",
            evidence([5, 0], [45, 0]),
            { elapsedSeconds: 600, weight: 0.1 },
            "extended",
            /would show 0.2 errors in these 5 requests; the tests fail it from 3; bake extended/,
        ],
        [
            "5 requests a minute, a candidate failing 2 of 6 calls: never passes the 10% step (inconclusive after the extension)",
            evidence([6, 2], [54, 0]),
            { elapsedSeconds: 1200, weight: 0.1 },
            "inconclusive",
            /too little evidence to catch this step's must-catch regression: .* would show 0.3 errors in these 6 requests; the tests fail it from 3, after the bake and 10 min of extension: candidate 2\/6 errors/,
        ],
        [
            "too few invocations after the extension is inconclusive",
            evidence([4, 0], [36, 0]),
            { elapsedSeconds: 1200, weight: 0.1 },
            "inconclusive",
            /4 of 5 candidate invocations needed this step, after the bake and 10 min of extension/,
        ],
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
        expect(assessFunction(name, ev, [], input({ gates: generous })).verdict).to.equal("failed");
    });

    it(`never fails the error tests on fewer than ${MIN_ERRORS_TO_FAIL} candidate errors`, () => {
        const generous = { ...gatesSchemaDefaults(), falseRollbackPercent: 50 };
        const twoErrors = rollout(repeat(10, [10, 0]).concat([[10, 2]]), repeat(11, [90, 0]));
        const result = assessFunction(name, twoErrors, [], input({ gates: generous, elapsedSeconds: 600, lookAlpha: 0.25, weight: 0.1 }));
        expect(result.verdict).to.not.equal("failed");
        expect(result.cause).to.not.match(/limit|minute|history|look/);
    });

    it("splits the budget: a quarter to the absolute limit, an eighth each to the same-minute and history tests, half to the end-of-step looks (later looks more)", () => {
        const gates = gatesSchemaDefaults();
        expect(gateAlphas(gates)).to.deep.equal({ absolute: 0.0025, sameMinute: 0.00125, history: 0.00125, looks: 0.005 });
        const looks = lookAlphas(gates, [600, 600, 600]);
        expect(looks.map((a) => Number(a!.toPrecision(6)))).to.deep.equal(
            [0.005 / 6, 0.01 / 6, 0.015 / 6].map((a) => Number(a.toPrecision(6))),
        );
        expect(lookAlphas(gates, [600, 0])).to.deep.equal([0.005, null]);
    });

    it("requires minInvocations at 100% and the weight's share of it before", () => {
        const gates = gatesSchemaDefaults();
        expect([0.1, 0.5, 1, 0.01].map((w) => requiredInvocations(gates, w))).to.deep.equal([5, 25, 50, 1]);
    });

    it("the same-minute test also tries the ratio the gate must catch: stable's historical rate plus the limit", () => {
        const gates = gatesSchemaDefaults();
        expect(sameMinuteRatios(gates, { invocations: 12000, errors: 60 })).to.include(2); // (0.5% + 0.5) / 0.5%
        expect(sameMinuteRatios(gates, { invocations: 12000, errors: 12 })).to.include(6); // (0.1% + 0.5) / 0.1%
        expect(sameMinuteRatios(gates, undefined)).to.deep.equal([1.5, 2, 3, 5, 10, 30]);
    });

    it("splits the rollout's budget evenly between the stack's functions (they roll back together)", () => {
        // 25 errors in 1000 against the 1% limit: the lower bound at a quarter of the budget is 1.03%, at an
        // eighth (two functions) 0.99%.
        // Stable fails as often, so only the absolute limit can decide.
        const ev = evidence([1000, 25], [9000, 225]);
        const one = assessStep(input({ evidence: { api: ev } }), ["api"]);
        const two = assessStep(input({ evidence: { api: ev, worker: evidence([1000, 0], [9000, 10]) } }), ["api", "worker"]);
        expect(one.verdict).to.equal("failed");
        expect(one.reason).to.contain("false-rollback risk 0.25%");
        expect(two.verdict).to.equal("baking");
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

describe("the error tests over the whole rollout (rolloutEvidence, baseline, end-of-step look)", () => {
    const gates = gatesSchemaDefaults();

    it("evidenceSince keeps a step's own minutes and their totals", () => {
        const ev = rollout(
            [
                [20, 1],
                [20, 0],
                [100, 3],
                [100, 2],
            ],
            [
                [180, 1],
                [180, 1],
                [100, 0],
                [100, 1],
            ],
        );
        const step = evidenceSince(ev, 2 * 60_000);
        expect(step.candidate).to.include({ invocations: 200, errors: 5 });
        expect(step.stable).to.include({ invocations: 200, errors: 1 });
        expect(step.candidate.minutes).to.deep.equal([120_000, 180_000]);
    });

    it("a candidate at 3% against 0.5% is failed on the evidence of two steps that neither shows alone", () => {
        // 10% of 200 rpm for 10 minutes, then 50% for 5: the candidate serves 20/min, then 100/min, failing 3%.
        const c: [number, number][] = Array.from({ length: 13 }, (_, i) => (i < 10 ? [20, i % 5 === 0 ? 3 : 0] : [100, 3]));
        const s: [number, number][] = [...repeat(10, [180, 1]), ...repeat(3, [100, 0])];
        const whole = rollout(c, s);
        const stepOnly = evidenceSince(whole, 10 * 60_000);
        const alone = assessFunction("api", stepOnly, [], { gates, bakeSeconds: 600, elapsedSeconds: 300, weight: 0.5 });
        const together = assessFunction("api", stepOnly, [], {
            gates,
            bakeSeconds: 600,
            elapsedSeconds: 300,
            weight: 0.5,
            rolloutEvidence: { api: whole },
        });
        expect(alone.verdict).to.equal("baking");
        expect(together.verdict).to.equal("failed");
        expect(together.reason).to.contain("since the rollout began: candidate 15/500 errors");
    });

    it("at the end of a 100% step, stable's history before the rollout catches 1.5% against 0.5% that the same minutes cannot", () => {
        // 200 rpm: 10 min at 10%, 10 at 50%, 10 at 100%. The candidate fails 38 of 3200 (1.2%), stable 14 of
        // 2800 (0.5%): too few for the rollout's minutes alone (p about 0.008), plain with stable's last hour.
        const c: [number, number][] = [...repeat(10, [20, 0]), ...repeat(10, [100, 1]), ...repeat(10, [200, 2])];
        for (const i of [3, 5, 7]) c[i] = [20, 1];
        for (const i of [10, 11]) c[i] = [100, 2];
        for (const i of [20, 21, 22]) c[i] = [200, 3];
        const s: [number, number][] = [...repeat(10, [180, 1]), ...repeat(10, [100, 0])];
        for (const i of [10, 11, 12, 13]) s[i] = [100, 1];
        const whole = rollout(c, s);
        const last = evidenceSince(whole, 20 * 60_000);
        const at = (over: Partial<GateInput>) =>
            assessFunction("api", last, [], {
                gates,
                bakeSeconds: 600,
                elapsedSeconds: 600,
                weight: 1,
                rolloutEvidence: { api: whole },
                lookAlpha: 0.0025,
                ...over,
            });
        // Without the history the same counts could not have failed +0.5 points: the step waits, never passes.
        expect(at({}).verdict, "without history").to.equal("extended");
        expect(at({}).reason).to.match(/would show 32 errors in these 3200 requests; the tests fail it from 55; bake extended/);
        const withHistory = at({ baseline: { api: { invocations: 12000, errors: 60 } } });
        expect(withHistory.verdict).to.equal("failed");
        expect(withHistory.reason).to.match(
            /end-of-step test of pooled counts: p = [\d.e-]+ <= 0.25%; increase [\d.]+ points .*stable before the rollout 60\/12000 \(0.5%\)/,
        );
        expect(withHistory.numbers.lookPValue).to.be.below(0.0025);
        expect(at({ baseline: { api: { invocations: 12000, errors: 60 } }, lookAlpha: undefined }).verdict, "no look").to.equal("extended");
    });

    it("a healthy candidate's many minutes never cross: 0.5% vs 0.5% over a whole rollout, history included", () => {
        const whole = rollout(repeat(30, [200, 1]), repeat(30, [200, 1]));
        const result = assessFunction("api", whole, [], {
            gates,
            bakeSeconds: 600,
            elapsedSeconds: 600,
            weight: 1,
            rolloutEvidence: { api: whole },
            baseline: { api: { invocations: 12000, errors: 60 } },
            lookAlpha: 0.0025,
        });
        expect(result.verdict).to.equal("passed");
        expect(result.numbers).to.include({ baselineInvocations: 12000, baselineErrors: 60 });
    });
});

const PROD_LIKE = { strategy: "canary", canary: { steps: [{ weight: 100, bake: 600 }] } };

describe("severity bands (the runbook's decision tree, on the always-valid bound)", () => {
    const numbers = (errors: number, invocations: number, stableRate = 0.2): GateNumbers => {
        const lower = lowerConfidenceBound(errors, invocations, 0.0025) * 100;
        return {
            candidateInvocations: invocations,
            candidateErrors: errors,
            candidateErrorRatePercent: invocations ? (errors / invocations) * 100 : 0,
            stableInvocations: 10_000,
            stableErrors: stableRate * 100,
            stableErrorRatePercent: stableRate,
            baselineInvocations: 0,
            baselineErrors: 0,
            candidateErrorRateLowerPercent: Math.round(lower * 1000) / 1000,
            throttles: 0,
            deadLetterErrors: 0,
        };
    };
    const bands = { rollbackAtPercent: 1, incidentAtPercent: 5 };

    it("1 error in 3 requests (a raw 33%) is monitor, never an incident: its bound is near 0", () => {
        expect(numbers(1, 3).candidateErrorRatePercent).to.be.above(33);
        expect(severityBand(numbers(1, 3), bands)).to.equal("monitor");
    });
    it("every call failing, at least 3 of them, is an incident whatever the bound", () => {
        expect(severityBand(numbers(3, 3), bands)).to.equal("incident");
        expect(severityBand(numbers(2, 2), bands)).to.equal("monitor");
    });
    it("the bound, not the rate, picks the band: 3% of 10000 calls is rollback, 12% of 2000 an incident, 1.5% of 200 monitor", () => {
        expect(severityBand(numbers(300, 10_000), bands)).to.equal("rollback");
        expect(severityBand(numbers(240, 2000), bands)).to.equal("incident");
        expect(severityBand(numbers(3, 200), bands)).to.equal("monitor");
    });
    it("bands are the stack's: the same numbers in stricter bands", () => {
        expect(severityBand(numbers(300, 10_000), { rollbackAtPercent: 0.5, incidentAtPercent: 2 })).to.equal("incident");
    });
    it("a failed verdict carries its band and stays failed, even in the monitor band", () => {
        const failed = withSeverity(
            { verdict: "failed", reason: "x", cause: "same-minute", function: "api", numbers: { api: numbers(3, 200) } },
            bands,
        );
        expect(failed).to.include({ verdict: "failed", severity: "monitor", cause: "same-minute" });
    });
    it("a marginal verdict (errors certain, above stable's) in the rollback band fails, naming the band; in the monitor band it only carries it", () => {
        const rollback = withSeverity({ verdict: "baking", reason: "x", numbers: { api: numbers(300, 10_000) } }, bands);
        expect(rollback).to.include({ verdict: "failed", cause: "severity", severity: "rollback", function: "api" });
        expect(rollback.reason).to.match(
            /^api: candidate error rate 3% \(300\/10000\), at least 2\.\d+% on its always-valid bound: rollback band \(1% or more\)/,
        );
        const monitor = withSeverity({ verdict: "passed", reason: "x", numbers: { api: numbers(30, 10_000) } }, bands);
        expect(monitor).to.include({ verdict: "passed", severity: "monitor" });
    });
    it("a verdict with no errors beyond stable's carries no band", () => {
        expect(withSeverity({ verdict: "passed", reason: "x", numbers: { api: numbers(20, 10_000) } }, bands).severity).to.equal(undefined);
    });
    it("the stack's bands are validated: incident above rollback", () => {
        const parsed = rolloutSchema.safeParse({ ...PROD_LIKE, gates: { severity: { rollbackAtPercent: 5, incidentAtPercent: 2 } } });
        expect(parsed.success).to.equal(false);
        expect(JSON.stringify(parsed.error!.issues)).to.include("must be above `rollbackAtPercent` (5), got 2");
    });
});

describe("the throttle rule (throttleCheck): the alias's throttle rate during the rollout against its rate before", () => {
    const gates = gatesSchemaDefaults();
    // The baseline window: 540,000 requests through the alias, all stable's.
    const atLimit = { invocations: 507_000, errors: 1000, throttles: 33_000, requests: 540_000 };
    const underLimit = { invocations: 540_000, errors: 1000, throttles: 0, requests: 540_000 };
    // 18,000 requests since the rollout began, `throttles` of them throttled.
    const since = (throttles: number) => evidence([1650, 3], [18_000 - 1650 - throttles, 30], { aliasThrottles: throttles });
    const cases: Array<[string, FunctionEvidence, Baseline | undefined, boolean]> = [
        ["a function already at its limit (6.1% before), throttling 6.1% during: not the candidate's", since(1100), atLimit, false],
        [
            "the same function throttling 7.1% during a step (bursts, not the candidate): still within half again",
            since(1287),
            atLimit,
            false,
        ],
        ["the same function throttling 13% during: the candidate pushed it further over", since(2340), atLimit, true],
        [
            "a function under its limit before (0 throttles) that throttles once during: the candidate pushed it over",
            since(1),
            underLimit,
            true,
        ],
        ["no baseline: any throttle beyond maxThrottles fails", since(1), undefined, true],
        ["no baseline and no throttles: passes", since(0), undefined, false],
    ];
    for (const [title, ev, baseline, exceeded] of cases) {
        it(title, () => {
            expect(throttleCheck(gates, ev, baseline).exceeded).to.equal(exceeded);
        });
    }

    it("says the numbers behind it: the rate before, what it predicts, what is tolerated", () => {
        expect(throttleCheck(gates, since(2340), atLimit).reason).to.equal(
            "2340 throttles through the alias > 1802 allowed (0 beyond what the function's own throttling before the rollout explains; " +
                "the alias's rate before the rollout 33000/540000 predicts 1100, tolerated up to 1650 (x1.5: throttles come in bursts))",
        );
    });

    it("the tolerance is half again", () => {
        expect(THROTTLE_RATE_TOLERANCE).to.equal(0.5);
    });
});
