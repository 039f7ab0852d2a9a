import { expect } from "chai";
import * as path from "path";
import type { GateNumbers, GateResult } from "../../../automation/rollout/assess";
import type { FunctionEvidence } from "../../../automation/rollout/ports";
import { loadStackConfig, PROJECT_ROOT } from "../../../automation/engine/evaluate";
import { rehearse } from "../../../automation/rehearsal/rehearse";
import { readScenario } from "../../../automation/rehearsal/scenario";
import {
    MAX_SERIES_ROWS,
    recordApprovalWait,
    recordPoll,
    resumedSeries,
    seriesLimits,
    type PollSample,
    type RolloutSeries,
} from "../../../automation/rollout/series";
import { memoryLog } from "../../helpers/fakes";

const START = Date.parse("2026-01-05T09:00:20Z");
const MIN = 60_000;
/** CloudWatch's minute buckets are whole minutes of the clock; the run began 20 s into one. */
const bucket = (k: number) => Date.parse("2026-01-05T09:00:00Z") + k * MIN;
/** Prod's gates (Pulumi.prod.yaml): a 1% false-rollback budget, limits 1% and 6,000 ms. */
const gates = loadStackConfig("prod").stackConfig.rollout.gates;

/** Evidence of one function: per bucket [candidate invocations, errors, p99], [stable invocations, errors]. */
function evidence(rows: [number, [number, number, number], [number, number]][], throttles: [number, number][] = []): FunctionEvidence {
    const t = rows.map(([k]) => bucket(k));
    return {
        candidate: {
            invocations: rows.reduce((a, [, c]) => a + c[0], 0),
            errors: rows.reduce((a, [, c]) => a + c[1], 0),
            minutes: t,
            invocationsByMinute: rows.map(([, c]) => c[0]),
            errorsByMinute: rows.map(([, c]) => c[1]),
            p99ByMinute: rows.map(([, c]) => c[2]),
        },
        stable: {
            invocations: rows.reduce((a, [, , s]) => a + s[0], 0),
            errors: rows.reduce((a, [, , s]) => a + s[1], 0),
            minutes: t,
            invocationsByMinute: rows.map(([, , s]) => s[0]),
            errorsByMinute: rows.map(([, , s]) => s[1]),
            p99ByMinute: [],
        },
        aliasThrottles: throttles.reduce((a, [, n]) => a + n, 0),
        throttlesByMinute: { minutes: throttles.map(([k]) => bucket(k)), counts: throttles.map(([, n]) => n) },
        deadLetterErrors: 0,
    };
}

const numbers = (lower: number, logRatio?: number): GateNumbers => ({
    candidateInvocations: 0,
    candidateErrors: 0,
    candidateErrorRatePercent: 0,
    stableInvocations: 0,
    stableErrors: 0,
    stableErrorRatePercent: 0,
    baselineInvocations: 0,
    baselineErrors: 0,
    candidateErrorRateLowerPercent: lower,
    ...(logRatio === undefined ? {} : { sameMinuteLogRatio: logRatio }),
    throttles: 0,
    deadLetterErrors: 0,
});

function sample(
    atMinute: number,
    ev: Record<string, FunctionEvidence> | undefined,
    result: Partial<GateResult> = {},
    weight = 0.1,
): PollSample {
    return {
        atMs: START + atMinute * MIN,
        weight,
        functions: ["api"],
        gates,
        evidence: ev,
        result: { verdict: "baking", reason: "", numbers: ev ? { api: numbers(0.1, 1.2) } : {}, ...result },
    };
}

describe("report series: what each poll read, on the run's time axis (automation/rollout/series.ts)", () => {
    it("places CloudWatch's minutes on the run's axis, and a minute read again later (its errors arrived late) replaces the first reading", () => {
        let series = recordPoll(undefined, sample(3.1, { api: evidence([[1, [10, 0, 300], [90, 0]]]) }), 3.1, START);
        series = recordPoll(
            series,
            sample(4.1, {
                api: evidence([
                    [1, [10, 2, 300], [90, 0]],
                    [2, [12, 1, 350], [88, 1]],
                ]),
            }),
            4.1,
            START,
        );
        const m = series.functions.api.minutes;
        // Bucket 09:01 began 40 s after the run did: minute 0.67.
        expect(m.minute).to.deep.equal([0.67, 1.67]);
        expect(m.candidateErrors).to.deep.equal([2, 1]);
        expect(m.candidateInvocations).to.deep.equal([10, 12]);
        expect(m.stableErrors).to.deep.equal([0, 1]);
        expect(m.candidateP99Ms).to.deep.equal([300, 350]);
        expect(series.polls).to.deep.equal({ minute: [3.1, 4.1], weight: [0.1, 0.1], verdict: ["baking", "baking"] });
    });

    it("a poll without evidence (CloudWatch unavailable) records no statistic, never a zero, and keeps the minutes read before", () => {
        let series = recordPoll(undefined, sample(3.1, { api: evidence([[1, [10, 2, 300], [90, 0]]]) }), 3.1, START);
        series = recordPoll(series, sample(4.1, undefined), 4.1, START);
        expect(series.functions.api.lowerBoundPercent).to.deep.equal([0.1, null]);
        expect(series.functions.api.sameMinuteLogRatio).to.deep.equal([1.2, null]);
        expect(series.functions.api.historyLogRatio).to.deep.equal([null, null]);
        expect(series.functions.api.minutes.candidateErrors).to.deep.equal([2]);
    });

    it("keeps the e-process with stable's history per poll beside the same-minute one, and a resumed run's polls line up after a first run's", () => {
        const withHistory = (m: number, history: number) =>
            sample(
                m,
                { api: evidence([[1, [10, 2, 300], [90, 0]]]) },
                { numbers: { api: { ...numbers(0.1, 1.2), historyLogRatio: history } } },
            );
        let series = recordPoll(undefined, withHistory(3.1, 2.5), 3.1, START);
        series = recordPoll(series, withHistory(4.1, 7.1), 4.1, START);
        expect(series.functions.api.historyLogRatio).to.deep.equal([2.5, 7.1]);
        const second = recordPoll(undefined, withHistory(1.1, 0.4), 1.1, START + 8 * MIN);
        expect(resumedSeries(series, second, 8)!.functions.api.historyLogRatio).to.deep.equal([2.5, 7.1, 0.4]);
    });

    it("a minute CloudWatch has no point for stays null; throttles are kept per minute", () => {
        const ev = evidence([[1, [10, 0, 300], [90, 0]]], [[2, 7]]);
        const series = recordPoll(undefined, sample(4.1, { api: ev }), 4.1, START);
        expect(series.functions.api.minutes.minute).to.deep.equal([0.67, 1.67]);
        expect(series.functions.api.minutes.candidateInvocations).to.deep.equal([10, null]);
        expect(series.functions.api.minutes.throttles).to.deep.equal([null, 7]);
    });

    it("each alarm seen in ALARM is recorded once, at the first poll that saw it", () => {
        const ev = { api: evidence([[1, [10, 0, 300], [90, 0]]]) };
        let series = recordPoll(undefined, { ...sample(3.1, ev), alarmsInAlarm: { api: ["api-rollback"] } }, 3.1, START);
        series = recordPoll(series, { ...sample(4.1, ev), alarmsInAlarm: { api: ["api-rollback"] } }, 4.1, START);
        expect(series.functions.api.alarms).to.deep.equal([{ minute: 3.1, name: "api-rollback" }]);
    });

    it(`stays within ${MAX_SERIES_ROWS} rows however long the rollout polls: the oldest go, and where the series now starts is said`, () => {
        let series: RolloutSeries | undefined;
        for (let k = 0; k < MAX_SERIES_ROWS + 80; k++) {
            series = recordPoll(series, sample(k + 1.1, { api: evidence([[k, [10, 0, 300], [90, 0]]]) }), k + 1.1, START);
        }
        expect(series!.polls.minute).to.have.length(MAX_SERIES_ROWS);
        expect(series!.functions.api.minutes.minute).to.have.length(MAX_SERIES_ROWS);
        expect(series!.functions.api.lowerBoundPercent).to.have.length(MAX_SERIES_ROWS);
        expect(series!.polls.minute.at(-1)).to.equal(MAX_SERIES_ROWS + 80 + 0.1);
        // 80 polls and 80 minutes dropped: from the first poll kept on, every array is whole.
        expect(series!.functions.api.minutes.minute[0]).to.equal(79.67);
        expect(series!.polls.minute[0]).to.equal(81.1);
        expect(series!.truncatedBeforeMinute).to.equal(81.1);
    });

    it("the evidence thresholds are the gate's: ln(1/(budget/8)) per function for each test against stable, the budget split between the functions", () => {
        expect(seriesLimits(gates, 1)).to.include({ sameMinuteLogRatio: 6.68, historyLogRatio: 6.68 }); // ln(800): 1% / 8
        expect(seriesLimits(gates, 2)).to.include({ sameMinuteLogRatio: 7.38, historyLogRatio: 7.38 }); // ln(1600)
        expect(seriesLimits(gates, 1)).to.include({ maxErrorRatePercent: 1, maxP99Ms: 6000 });
    });

    it("keeps each wait for approval: when it began and when it ended", () => {
        let series = recordApprovalWait(undefined, { step: 3, weight: 0.5, sinceMinute: 21.5 }, 21.5);
        series = recordApprovalWait(series, { step: 3, weight: 0.5, sinceMinute: 21.5 }, 25);
        series = recordApprovalWait(series, undefined, 30.1);
        expect(series!.approvalWaits).to.deep.equal([{ step: 3, weight: 0.5, fromMinute: 21.5, toMinute: 30.1 }]);
        expect(recordApprovalWait(undefined, undefined, 3)).to.equal(undefined);
    });

    it("a run resumed by a second process is drawn on the first run's axis", () => {
        const first = recordPoll(undefined, sample(3.1, { api: evidence([[1, [10, 2, 300], [90, 0]]]) }), 3.1, START);
        const second = recordPoll(undefined, sample(1.1, { api: evidence([[9, [50, 0, 300], [50, 0]]]) }, {}, 0.5), 1.1, START + 8 * MIN);
        const merged = resumedSeries(first, second, 8)!;
        expect(merged.polls).to.deep.equal({ minute: [3.1, 9.1], weight: [0.1, 0.5], verdict: ["baking", "baking"] });
        expect(merged.functions.api.minutes.minute).to.deep.equal([0.67, 8.67]);
        expect(merged.functions.api.lowerBoundPercent).to.deep.equal([0.1, 0.1]);
    });

    it("a rehearsed bad canary's series holds what the gate counted: its minutes add up to the failed step's numbers, its last poll failed at the decision", async function () {
        this.timeout(60_000);
        const { report } = await rehearse({
            stack: "prod",
            scenario: readScenario(path.join(PROJECT_ROOT, "scenarios", "bad-canary.json")),
            log: memoryLog(),
        });
        const series = report.series!;
        const failed = report.steps.at(-1)!;
        const api = series.functions.api;
        const sum = (xs: (number | null)[]) => xs.reduce<number>((a, b) => a + (b ?? 0), 0);
        expect(sum(api.minutes.candidateErrors)).to.equal(failed.numbers!.api.candidateErrors);
        expect(sum(api.minutes.candidateInvocations)).to.equal(failed.numbers!.api.candidateInvocations);
        expect(series.polls.verdict.at(-1)).to.equal("failed");
        expect(series.polls.minute.at(-1)).to.equal(report.decisionAtMinute);
        // Decided by the comparison with stable's history: the series holds the e-process the gate read, over its line.
        expect(failed.cause).to.equal("history");
        expect(api.sameMinuteLogRatio.at(-1)).to.equal(failed.numbers!.api.sameMinuteLogRatio);
        expect(api.historyLogRatio!.at(-1)).to.equal(failed.numbers!.api.historyLogRatio);
        expect(api.historyLogRatio!.at(-1)).to.be.at.least(series.limits!.historyLogRatio!);
        expect(report.startedAt).to.equal("2026-01-05T09:00:00.000Z");
    });
});
