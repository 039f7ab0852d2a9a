import { expect } from "chai";
import { measure, scaleTable } from "../../bench/waves";

describe("the scale bench of a release (bench/waves.ts), on a small release", function () {
    this.timeout(120_000);

    it("rehearses a healthy release through 1 and 2 stacks: promoted, and every stack costs the same `up`s (two deploys, one per step)", async () => {
        const one = await measure(1, 1);
        const two = await measure(2, 1);
        expect([one.outcome, two.outcome]).to.deep.equal(["promoted", "promoted"]);
        expect([one.ups, two.ups]).to.deep.equal([5, 10]);
        // The second stack adds its own rollout's calls, and the looks that watch the first one between the waves.
        expect(two.awsCalls).to.be.greaterThan(2 * one.awsCalls);
        expect(two.virtualMinutes).to.be.greaterThan(2 * one.virtualMinutes);
        const table = scaleTable([one, two]);
        expect(table[0]).to.equal(
            "| stacks | functions each | outcome | virtual min | wall s | wall s per stack | ups | AWS calls | AWS calls per stack |",
        );
        expect(table[3]).to.match(/^\| 2 \| 1 \| promoted \| 102\.1 \| [\d.]+ \| [\d.]+ \| 10 \| \d+ \| \d+ \|$/);
    });
});
