import { expect } from "chai";
import { boundary, logAcceptanceRatio, logHistoryRatio, ODDS_RATIOS, type PooledCounts } from "../../../automation/rollout/sequential";
import { ACCEPTANCE_BETA } from "../../../automation/rollout/sufficiency";
import { createRandom } from "../../../automation/simulator/random";

/**
 * A prod-like rollout at `rpm` requests a minute with an hour of stable's history: 10 minutes at 10%, 10 at 50%,
 * 10 at 100%, both versions failing at their rates. Calls `read` with the counts after every minute, as the gate
 * reads them every poll; `read` returns true to stop.
 */
function rollout(
    seed: number,
    rpm: number,
    stableRate: number,
    candidateRate: number,
    read: (c: PooledCounts) => boolean,
    options: { heldOut?: boolean; withoutHistory?: boolean } = {},
): void {
    const random = createRandom(seed + 1);
    const history = options.withoutHistory ? 0 : 60 * rpm;
    const older = options.heldOut ? { invocations: history / 2, errors: random.binomial(history / 2, stableRate) } : undefined;
    let stableInvocations = history - (older?.invocations ?? 0);
    let stableErrors = random.binomial(stableInvocations, stableRate);
    let candidateInvocations = 0;
    let candidateErrors = 0;
    for (const weight of [0.1, 0.5, 1]) {
        for (let minute = 0; minute < 10; minute++) {
            const c = Math.round(rpm * weight);
            candidateInvocations += c;
            candidateErrors += random.binomial(c, candidateRate);
            stableInvocations += rpm - c;
            stableErrors += random.binomial(rpm - c, stableRate);
            const counts = { stableInvocations, stableErrors, candidateInvocations, candidateErrors, ...(older ? { prior: older } : {}) };
            if (read(counts)) return;
        }
    }
}

describe("the history e-processes (sequential.ts): stable's hour before the rollout as the first block", () => {
    const ratios = [...ODDS_RATIOS, 2];

    it("no evidence either way before any candidate traffic (the e-process starts at 1)", () => {
        expect(
            logHistoryRatio({ stableInvocations: 12000, stableErrors: 60, candidateInvocations: 0, candidateErrors: 0 }, ratios),
        ).to.equal(0);
        expect(
            logAcceptanceRatio({ stableInvocations: 12000, stableErrors: 60, candidateInvocations: 0, candidateErrors: 0 }, 0.005),
        ).to.equal(0);
    });

    it("grows with the candidate's errors and shrinks with stable's", () => {
        const base = { stableInvocations: 12000, stableErrors: 60, candidateInvocations: 2000, candidateErrors: 20 };
        expect(logHistoryRatio({ ...base, candidateErrors: 30 }, ratios)).to.be.above(logHistoryRatio(base, ratios));
        expect(logHistoryRatio({ ...base, stableErrors: 120 }, ratios)).to.be.below(logHistoryRatio(base, ratios));
    });

    it("read every minute, rolls back a candidate as good as stable in at most alpha of rollouts (Ville), history held out or not", function () {
        this.timeout(60_000);
        const alpha = 0.05;
        for (const heldOut of [false, true]) {
            let crossed = 0;
            for (let seed = 0; seed < 1500; seed++) {
                let hit = false;
                rollout(seed, 200, 0.005, 0.005, (c) => (hit = logHistoryRatio(c, ratios) >= boundary(alpha)), { heldOut });
                crossed += hit ? 1 : 0;
            }
            expect(crossed / 1500, `held out: ${heldOut}`).to.be.at.most(alpha);
        }
    });

    it("catches most 1.5% candidates over a 0.5% stable at 200 requests a minute within the rollout; the rollout's minutes alone, under half as many", function () {
        this.timeout(60_000);
        const alpha = 0.00125;
        let caught = 0;
        let caughtWithoutHistory = 0;
        for (let seed = 0; seed < 200; seed++) {
            let hit = false;
            rollout(seed, 200, 0.005, 0.015, (c) => (hit = logHistoryRatio(c, ratios) >= boundary(alpha)), { heldOut: true });
            caught += hit ? 1 : 0;
            let hitAlone = false;
            // The same test without the hour before the rollout: stable's rollout minutes only.
            rollout(seed, 200, 0.005, 0.015, (c) => (hitAlone = logHistoryRatio(c, ratios) >= boundary(alpha)), { withoutHistory: true });
            caughtWithoutHistory += hitAlone ? 1 : 0;
        }
        expect(caught / 200).to.be.at.least(0.7);
        expect(caughtWithoutHistory / 200).to.be.below(caught / 200 / 2);
    });

    it(`the acceptance side: a candidate exactly at the must-catch (+0.5 points) is let through in at most beta (${ACCEPTANCE_BETA}) of rollouts`, function () {
        this.timeout(60_000);
        let accepted = 0;
        for (let seed = 0; seed < 1500; seed++) {
            let hit = false;
            rollout(seed, 2000, 0.005, 0.01, (c) => (hit = logAcceptanceRatio(c, 0.005) >= boundary(ACCEPTANCE_BETA)), { heldOut: true });
            accepted += hit ? 1 : 0;
        }
        expect(accepted / 1500).to.be.at.most(ACCEPTANCE_BETA);
    });

    it("the acceptance side: a healthy candidate at 2,000 requests a minute is shown not to be +0.5 points worse within the rollout", function () {
        this.timeout(60_000);
        let accepted = 0;
        for (let seed = 0; seed < 200; seed++) {
            let hit = false;
            rollout(seed, 2000, 0.005, 0.005, (c) => (hit = logAcceptanceRatio(c, 0.005) >= boundary(ACCEPTANCE_BETA)), { heldOut: true });
            accepted += hit ? 1 : 0;
        }
        expect(accepted / 200).to.be.at.least(0.99);
    });
});
