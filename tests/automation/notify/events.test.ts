import { expect } from "chai";
import { describeEvent, rolloutEvents, type RolloutEvent } from "../../../automation/notify/events";
import type { GateNumbers } from "../../../automation/rollout/assess";
import type { RolloutReport, StepRecord } from "../../../automation/rollout/report";

const numbers: GateNumbers = {
    candidateInvocations: 1200,
    candidateErrors: 4,
    candidateErrorRatePercent: 0.3333,
    stableInvocations: 10800,
    stableErrors: 11,
    stableErrorRatePercent: 0.1019,
    baselineInvocations: 0,
    baselineErrors: 0,
    candidateErrorRateLowerPercent: 0.05,
    throttles: 0,
    deadLetterErrors: 0,
};

function report(change: Partial<RolloutReport> = {}): RolloutReport {
    return {
        outcome: "nothing-to-do",
        stack: "prod",
        strategy: "canary",
        functions: { api: { stable: "7", candidate: "8", finalRouting: "unknown" } },
        steps: [],
        decisionAtMinute: null,
        durationMinutes: 0,
        ...change,
    };
}

const passed: StepRecord = {
    weight: 0.1,
    startedAtMinute: 0,
    endedAtMinute: 10,
    verdict: "passed",
    reason: "healthy",
    cause: "healthy",
    numbers: { api: numbers },
};
const failed: StepRecord = {
    weight: 0.5,
    startedAtMinute: 10,
    endedAtMinute: 13,
    verdict: "failed",
    reason: "candidate error rate 6.1% above 1%",
    cause: "absolute-limit",
    function: "api",
    severity: "incident",
    numbers: { api: { ...numbers, candidateErrors: 73, candidateErrorRatePercent: 6.1 } },
};

const kinds = (events: RolloutEvent[]) => events.map((e) => e.kind);

describe("rollout events: what a report snapshot adds to the one before", () => {
    const table: [string, RolloutReport | undefined, RolloutReport, string[]][] = [
        ["the first snapshot of a rollout that moves a function is `started`", undefined, report(), ["started"]],
        [
            "the first snapshot with nothing to move sends nothing",
            undefined,
            report({ functions: { api: { stable: "8", candidate: "8", finalRouting: "unknown" } } }),
            [],
        ],
        ["a snapshot that changes nothing (a bake's poll) sends nothing", report(), report(), []],
        ["a new passed step is `step-passed`", report(), report({ steps: [passed] }), ["step-passed"]],
        ["the same passed step seen again is not sent again", report({ steps: [passed] }), report({ steps: [passed] }), []],
        ["a new failed step alone sends nothing (the outcome does)", report({ steps: [passed] }), report({ steps: [passed, failed] }), []],
        [
            "`waitingForApproval` appearing is `waiting-for-approval`",
            report(),
            report({ waitingForApproval: { step: 3, weight: 0.5, sinceMinute: 20 } }),
            ["waiting-for-approval"],
        ],
        [
            "still waiting on the same step sends nothing",
            report({ waitingForApproval: { step: 3, weight: 0.5, sinceMinute: 20 } }),
            report({ waitingForApproval: { step: 3, weight: 0.5, sinceMinute: 20 } }),
            [],
        ],
        [
            "the outcome becoming rolled-back",
            report({ steps: [failed] }),
            report({ steps: [failed], outcome: "rolled-back" }),
            ["rolled-back"],
        ],
        ["the outcome becoming aborted", report(), report({ outcome: "aborted" }), ["aborted"]],
        ["the outcome becoming promoted", report({ steps: [passed] }), report({ steps: [passed], outcome: "promoted" }), ["promoted"]],
        ["the outcome becoming failed", report(), report({ outcome: "failed", error: "up failed" }), ["failed"]],
        ["the outcome becoming held sends nothing", report(), report({ outcome: "held" }), []],
        [
            "a snapshot with fewer steps than the one before is a new run (a promote run again): `started` again",
            report({ steps: [passed, passed] }),
            report(),
            ["started"],
        ],
        ["an ended outcome seen again is not sent again", report({ outcome: "promoted" }), report({ outcome: "promoted" }), []],
    ];
    for (const [name, previous, next, expected] of table) {
        it(name, () => expect(kinds(rolloutEvents(previous, next))).to.deep.equal(expected));
    }

    it("a step passed carries its weight in percent, its place and the gate's numbers", () => {
        const [event] = rolloutEvents(
            report({ steps: [passed] }),
            report({ steps: [passed, { ...passed, weight: 0.5, endedAtMinute: 20 }] }),
        );
        expect(event).to.deep.include({ kind: "step-passed", step: 2, weightPercent: 50, atMinute: 20 });
        expect(describeEvent(event)).to.equal(
            "lambda-rollout prod: step 2 passed: 50% of traffic on the candidate, gate passed at minute 20 (api: 4 errors in 1200 requests (0.33%), stable 0.10%)",
        );
    });

    it("a rollback carries the deciding step's reason, cause, band and numbers", () => {
        const [event] = rolloutEvents(
            report({ steps: [passed, failed] }),
            report({ steps: [passed, failed], outcome: "rolled-back", decisionAtMinute: 13 }),
        );
        expect(event).to.deep.include({
            kind: "rolled-back",
            reason: failed.reason,
            cause: "absolute-limit",
            severity: "incident",
            atMinute: 13,
        });
        expect(describeEvent(event)).to.contain(
            "all traffic back on stable at minute 13: candidate error rate 6.1% above 1% [band: incident]",
        );
    });

    it("an abort names who asked and why, from the operator record", () => {
        const [event] = rolloutEvents(
            report(),
            report({
                outcome: "aborted",
                decisionAtMinute: 12,
                operator: [{ action: "abort", by: "ana", reason: "INC-42", atMinute: 12 }],
            }),
        );
        expect(describeEvent(event)).to.equal("lambda-rollout prod: aborted: all traffic back on stable at minute 12: INC-42 (by ana)");
    });

    it("a whole rollout, snapshot by snapshot, sends each event once and in order", () => {
        const snapshots = [
            report(),
            report(),
            report({ steps: [passed] }),
            report({ steps: [passed] }),
            report({ steps: [passed], waitingForApproval: { step: 2, weight: 0.1, sinceMinute: 10 } }),
            report({ steps: [passed] }),
            report({ steps: [passed, failed], decisionAtMinute: 13 }),
            report({ steps: [passed, failed], decisionAtMinute: 13, outcome: "rolled-back", durationMinutes: 14 }),
        ];
        const sent = snapshots.flatMap((s, i) => rolloutEvents(i === 0 ? undefined : snapshots[i - 1], s));
        expect(kinds(sent)).to.deep.equal(["started", "step-passed", "waiting-for-approval", "rolled-back"]);
    });
});
