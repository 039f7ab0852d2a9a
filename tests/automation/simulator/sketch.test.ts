import { expect } from "chai";
import { createRandom } from "../../../automation/simulator/random";
import {
    computeStatistic,
    emptyAggregate,
    QuantileSketch,
    SKETCH_RELATIVE_ACCURACY,
    type MinuteAggregate,
} from "../../../automation/simulator/statistics";
import { MetricStore } from "../../../automation/simulator/metricStore";

/** Nearest-rank percentile of the exact values, as the simulator computed it before the sketch. */
function exactPercentile(sorted: Float64Array, percentile: number): number {
    const rank = Math.min(sorted.length, Math.max(1, Math.ceil((percentile / 100) * sorted.length)));
    return sorted[rank - 1];
}

/** A minute holding `values` as the traffic records them: a sketch plus exact count, sum, min and max. */
function minuteOf(values: Float64Array): MinuteAggregate {
    const minute = emptyAggregate();
    const sketch = new QuantileSketch();
    for (const value of values) {
        sketch.add(value);
        minute.sum += value;
        minute.count += 1;
        minute.min = Math.min(minute.min, value);
        minute.max = Math.max(minute.max, value);
    }
    minute.sketch = sketch;
    return minute;
}

function lognormalValues(seed: number, n: number, p50Ms: number, p99Ms: number): Float64Array {
    const random = createRandom(seed);
    const mu = Math.log(p50Ms);
    const sigma = (Math.log(p99Ms) - mu) / 2.3263;
    return Float64Array.from({ length: n }, () => random.lognormal(mu, sigma));
}

describe("simulator: duration sketch (per-minute aggregates instead of every request)", () => {
    for (const [p50Ms, p99Ms] of [
        [80, 400],
        [5, 20],
        [1500, 9000],
    ]) {
        it(`percentiles of 50,000 log-normal durations (p50 ${p50Ms} ms, p99 ${p99Ms} ms) are within ${SKETCH_RELATIVE_ACCURACY * 100}% of the exact nearest-rank values`, () => {
            const values = lognormalValues(p50Ms, 50_000, p50Ms, p99Ms);
            const sorted = Float64Array.from(values).sort();
            const minute = minuteOf(values);
            for (const percentile of [1, 10, 50, 90, 99, 99.9]) {
                const exact = exactPercentile(sorted, percentile);
                const sketched = computeStatistic({ kind: "percentile", percentile }, [minute])!;
                expect(Math.abs(sketched - exact) / exact, `p${percentile}`).to.be.at.most(SKETCH_RELATIVE_ACCURACY);
            }
        });
    }

    it("Sum, SampleCount, Average, Minimum and Maximum stay exact; p0 is the minimum and p100 the maximum", () => {
        const values = lognormalValues(3, 10_000, 80, 400);
        const minute = minuteOf(values);
        const sum = values.reduce((a, b) => a + b, 0);
        expect(computeStatistic({ kind: "SampleCount" }, [minute])).to.equal(10_000);
        expect(computeStatistic({ kind: "Sum" }, [minute])).to.be.closeTo(sum, 1e-6);
        expect(computeStatistic({ kind: "Average" }, [minute])).to.be.closeTo(sum / 10_000, 1e-9);
        expect(computeStatistic({ kind: "Minimum" }, [minute])).to.equal(Math.min(...values));
        expect(computeStatistic({ kind: "Maximum" }, [minute])).to.equal(Math.max(...values));
        expect(computeStatistic({ kind: "percentile", percentile: 100 }, [minute])).to.equal(Math.max(...values));
        expect(computeStatistic({ kind: "percentile", percentile: 0 }, [minute])).to.equal(Math.min(...values));
    });

    it("repeated values stay exact beside the sketch: timeouts at 3000 ms make p99 exactly 3000 when over 1% of invocations", () => {
        const store = new MetricStore(0);
        const handle = store.handle("AWS/Lambda", "Duration", { FunctionName: "api" });
        const values = lognormalValues(5, 9_800, 80, 400);
        const minute = minuteOf(values);
        store.recordSketch(handle, 0, { count: minute.count, sum: minute.sum, min: minute.min, max: minute.max, sketch: minute.sketch! });
        store.recordRepeated(handle, 0, 3000, 200);
        const [{ aggregate }] = store.visibleMinutes("AWS/Lambda", "Duration", { FunctionName: "api" }, 0, 60_000, 120_000);
        expect(computeStatistic({ kind: "percentile", percentile: 99 }, [aggregate])).to.equal(3000);
        expect(computeStatistic({ kind: "Maximum" }, [aggregate])).to.equal(3000);
        expect(computeStatistic({ kind: "SampleCount" }, [aggregate])).to.equal(10_000);
    });

    it("percentiles over several minutes merge their sketches: the same as one sketch of all the values", () => {
        const values = lognormalValues(9, 30_000, 80, 400);
        const minutes = [0, 1, 2].map((k) => minuteOf(values.subarray(k * 10_000, (k + 1) * 10_000)));
        const whole = minuteOf(values);
        for (const percentile of [50, 99, 99.9]) {
            expect(computeStatistic({ kind: "percentile", percentile }, minutes)).to.equal(
                computeStatistic({ kind: "percentile", percentile }, [whole]),
            );
        }
    });

    it("a minute's size does not grow with the number of requests: 1,000 and 1,000,000 durations take about the same number of buckets", () => {
        const small = minuteOf(lognormalValues(11, 1_000, 80, 400)).sketch!;
        const large = minuteOf(lognormalValues(11, 1_000_000, 80, 400)).sketch!;
        expect(large.count).to.equal(1_000_000);
        expect(large.bucketCount).to.be.below(1_000);
        expect(large.bucketCount).to.be.below(small.bucketCount * 2);
    });

    it("refuses values a duration cannot have (0, negative, not finite)", () => {
        const sketch = new QuantileSketch();
        for (const value of [0, -1, NaN, Infinity])
            expect(() => sketch.add(value), String(value)).to.throw("QuantileSketch: values must be positive and finite");
    });
});
