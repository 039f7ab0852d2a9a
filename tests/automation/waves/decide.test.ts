import { expect } from "chai";
import type { FunctionStatus } from "../../../automation/rollout/status";
import type { RolloutState } from "../../../domain/state";
import { causeOf, nextMove, watchEnd } from "../../../automation/waves/decide";
import { parseWaveFile, type WavePlan } from "../../../automation/waves/plan";
import { standingKind, type StackStanding, type StandingKind } from "../../../automation/waves/standing";

const PLAN: WavePlan = parseWaveFile(
    { prod: { waves: [{ stacks: ["a"] }, { stacks: ["b", "c"] }, { stacks: ["d"] }], watch: "30m" } },
    "waves.yaml",
).prod;
const T0 = Date.parse("2026-01-05T09:00:00Z");
const MIN = 60_000;

/** Standings of every stack of PLAN: not started, except those given. */
function standings(given: Record<string, Partial<StackStanding> & { kind: StandingKind }>): Record<string, StackStanding> {
    return Object.fromEntries(
        ["a", "b", "c", "d"].map((s) => [
            s,
            { stack: s, phases: [], detail: [], ...(given[s] ?? { kind: "not-started" }) } as StackStanding,
        ]),
    );
}

describe("where a release stands, and its next move (pure)", () => {
    describe("standingKind: a stack's standing from its functions' phases", () => {
        const fn = (phase: FunctionStatus["phase"], rollout?: Partial<RolloutState>, live: Record<string, number> = { "1": 1 }) => ({
            phase,
            candidate: "2",
            liveWeights: live,
            ...(rollout
                ? {
                      rollout: {
                          phase: "baking",
                          stable: "1",
                          candidate: "2",
                          step: 1,
                          steps: 3,
                          weight: 0.1,
                          since: T0,
                          ...rollout,
                      } as RolloutState,
                  }
                : {}),
        });
        const rows: [string, ReturnType<typeof fn>[], StandingKind][] = [
            ["every function promoted", [fn("promoted"), fn("promoted")], "promoted"],
            ["one promoted, one still waiting: not done", [fn("promoted"), fn("candidate-waiting")], "not-started"],
            ["one in progress", [fn("in-progress", { owner: "abcd1234" }, { "1": 0.9, "2": 0.1 }), fn("candidate-waiting")], "under-way"],
            ["one rolled back wins over one in progress", [fn("rolled-back"), fn("in-progress", { owner: "abcd1234" })], "rolled-back"],
            ["a rollback decided and not confirmed wins over one done", [fn("rollback-pending"), fn("rolled-back")], "rollback-pending"],
            ["a record that cannot be read wins over everything", [fn("record-unreadable"), fn("rollback-pending")], "unreadable"],
            [
                "a pause a release recorded before the first step (no owner, no traffic)",
                [fn("paused", { phase: "paused", step: 0, weight: 0 })],
                "paused-before-start",
            ],
            ["that pause resumed: baking at step 0, never owned: not started", [fn("in-progress", { step: 0, weight: 0 })], "not-started"],
            [
                "a pause of a rollout under way (owned, 10% live)",
                [fn("paused", { phase: "paused", owner: "abcd1234" }, { "1": 0.9, "2": 0.1 })],
                "under-way",
            ],
            [
                "waiting for approval at step 0 of an owned rollout",
                [fn("awaiting-approval", { phase: "awaiting-approval", step: 0, weight: 0, owner: "abcd1234" })],
                "under-way",
            ],
        ];
        for (const [what, functions, kind] of rows) it(`${what}: ${kind}`, () => expect(standingKind(functions)).to.equal(kind));
    });

    describe("nextMove", () => {
        it("nothing started: release wave 1", () => {
            expect(nextMove(PLAN, standings({}), T0)).to.deep.equal({ kind: "release", wave: 0, stacks: ["a"] });
        });

        it("wave 1 promoted 10 minutes ago: watch it until 30 minutes after its promotion", () => {
            const s = standings({ a: { kind: "promoted", promotedAtMs: T0 } });
            expect(nextMove(PLAN, s, T0 + 10 * MIN)).to.deep.equal({ kind: "watch", wave: 1, untilMs: T0 + 30 * MIN, watched: ["a"] });
        });

        it("the watch over: wave 2, at most `concurrency` stacks at once (those under way first)", () => {
            const s = standings({ a: { kind: "promoted", promotedAtMs: T0 } });
            expect(nextMove(PLAN, s, T0 + 30 * MIN)).to.deep.equal({ kind: "release", wave: 1, stacks: ["b"] });
            expect(nextMove({ ...PLAN, concurrency: 2 }, s, T0 + 30 * MIN)).to.deep.equal({ kind: "release", wave: 1, stacks: ["b", "c"] });
            const resumed = standings({ a: { kind: "promoted", promotedAtMs: T0 }, c: { kind: "under-way" } });
            expect(nextMove(PLAN, resumed, T0 + 31 * MIN)).to.deep.equal({ kind: "release", wave: 1, stacks: ["c"] });
        });

        it("a wave started is not watched again: a run killed inside wave 2 goes on with it at once", () => {
            const s = standings({ a: { kind: "promoted", promotedAtMs: T0 }, b: { kind: "under-way" } });
            expect(nextMove(PLAN, s, T0 + 5 * MIN)).to.deep.include({ kind: "release", wave: 1 });
        });

        it("the watch before wave 3 runs from the last promotion of waves 1 and 2, and watches them all", () => {
            const s = standings({
                a: { kind: "promoted", promotedAtMs: T0 },
                b: { kind: "promoted", promotedAtMs: T0 + 70 * MIN },
                c: { kind: "promoted", promotedAtMs: T0 + 80 * MIN },
            });
            expect(watchEnd(PLAN, s, 2)).to.equal(T0 + 110 * MIN);
            expect(nextMove(PLAN, s, T0 + 90 * MIN)).to.deep.equal({
                kind: "watch",
                wave: 2,
                untilMs: T0 + 110 * MIN,
                watched: ["a", "b", "c"],
            });
        });

        it("every wave promoted: promoted", () => {
            const all = standings(
                Object.fromEntries(["a", "b", "c", "d"].map((s) => [s, { kind: "promoted" as const, promotedAtMs: T0 }])),
            );
            expect(nextMove(PLAN, all, T0 + 999 * MIN)).to.deep.equal({ kind: "promoted" });
        });

        it("a failure in wave 2 with rollback: all: every stack carrying the candidate goes back, then the release ends", () => {
            const s = standings({
                a: { kind: "promoted", promotedAtMs: T0 },
                b: { kind: "rolled-back", endedAtMs: T0 + 40 * MIN, reason: "api: error rate above 1%" },
                c: { kind: "under-way" },
            });
            const cause = { stack: "b", wave: 1, kind: "rolled-back", reason: "api: error rate above 1%" };
            expect(nextMove(PLAN, s, T0 + 41 * MIN)).to.deep.equal({ kind: "put-back", cause, stacks: ["a", "c"], held: [] });
            const after = standings({
                ...s,
                a: { kind: "rolled-back", endedAtMs: T0 + 42 * MIN },
                c: { kind: "aborted", endedAtMs: T0 + 42 * MIN },
            });
            expect(nextMove(PLAN, after, T0 + 43 * MIN)).to.deep.equal({ kind: "ended", cause, held: [] });
        });

        it("the same with rollback: wave: the failing wave goes back, wave 1 is held", () => {
            const s = standings({
                a: { kind: "promoted", promotedAtMs: T0 },
                b: { kind: "rolled-back", endedAtMs: T0 + 40 * MIN },
                c: { kind: "under-way" },
            });
            expect(nextMove({ ...PLAN, rollback: "wave" }, s, T0 + 41 * MIN)).to.deep.include({
                kind: "put-back",
                stacks: ["c"],
                held: ["a"],
            });
        });

        it("the cause is the first failure in time, not the first stack in the plan the release then put back", () => {
            const s = [
                { stack: "a", kind: "rolled-back", endedAtMs: T0 + 72 * MIN, phases: [], detail: [] },
                { stack: "b", kind: "rolled-back", endedAtMs: T0 + 71 * MIN, phases: [], detail: [] },
                { stack: "c", kind: "aborted", endedAtMs: T0 + 60 * MIN, phases: [], detail: [] },
            ] as StackStanding[];
            expect(causeOf(PLAN, s)).to.include({ stack: "b", wave: 1, kind: "rolled-back" });
            expect(causeOf(PLAN, [s[2]])).to.include({ stack: "c", kind: "aborted" });
        });

        it("a record that cannot be read stops everything; a rollback decided is completed before anything else", () => {
            expect(nextMove(PLAN, standings({ d: { kind: "unreadable" }, b: { kind: "rollback-pending" } }), T0)).to.deep.equal({
                kind: "unreadable",
                stacks: ["d"],
            });
            expect(nextMove(PLAN, standings({ b: { kind: "rollback-pending" }, a: { kind: "rolled-back" } }), T0)).to.deep.equal({
                kind: "complete",
                stacks: ["b"],
            });
        });

        it("a release paused before a stack started holds (the released stacks still watched), until resumed", () => {
            const s = standings({
                a: { kind: "promoted", promotedAtMs: T0 },
                b: { kind: "paused-before-start" },
                c: { kind: "paused-before-start" },
            });
            expect(nextMove(PLAN, s, T0 + 60 * MIN)).to.deep.equal({ kind: "hold", stacks: ["b", "c"], watched: ["a"] });
        });
    });
});
