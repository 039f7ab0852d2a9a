import { expect } from "chai";
import { actor, transition, type OperatorCommand } from "../../../automation/rollout/operator";
import { decodeState, encodeState, MAX_DESCRIPTION, type RolloutState } from "../../../domain/state";

const NOW = Date.parse("2026-11-28T10:00:00Z");
const state = (phase: RolloutState["phase"], extra: Partial<RolloutState> = {}): RolloutState => ({
    phase,
    stable: "7",
    candidate: "8",
    step: 2,
    steps: 3,
    weight: 0.5,
    since: Date.parse("2026-11-28T09:40:00Z"),
    ...extra,
});
const cmd = (action: OperatorCommand["action"], reason?: string): OperatorCommand => ({
    action,
    by: "alice",
    ...(reason ? { reason } : {}),
});

describe("operator verbs: what each does to the recorded rollout state (pure)", () => {
    const cases: [string, RolloutState | undefined, OperatorCommand, Partial<RolloutState> | RegExp][] = [
        [
            "approve a rollout waiting for approval",
            state("awaiting-approval"),
            cmd("approve"),
            { phase: "awaiting-approval", request: "approve", by: "alice" },
        ],
        [
            "approve a rollout that is baking",
            state("baking"),
            cmd("approve"),
            /nothing is waiting for approval \(v8: step 2\/3 at 50% baking/,
        ],
        [
            "pause a baking rollout",
            state("baking"),
            cmd("pause", "looking at a dashboard"),
            { phase: "paused", by: "alice", reason: "looking at a dashboard", weight: 0.5, since: NOW },
        ],
        ["pause a held rollout", state("held"), cmd("pause"), { phase: "paused", by: "alice" }],
        ["pause a paused rollout", state("paused", { by: "bob" }), cmd("pause"), /already paused/],
        [
            "pause a rollout waiting for approval",
            state("awaiting-approval"),
            cmd("pause"),
            /already holding its weight, waiting for approval/,
        ],
        [
            "resume a paused rollout",
            state("paused", { by: "bob", reason: "why" }),
            cmd("resume"),
            { phase: "baking", by: "alice", reason: undefined },
        ],
        ["resume a baking rollout", state("baking"), cmd("resume"), /not paused/],
        [
            "promote --full while baking",
            state("baking"),
            cmd("promote-full", "hotfix"),
            { phase: "baking", request: "full", by: "alice", reason: "hotfix" },
        ],
        ["promote --full while waiting for approval", state("awaiting-approval"), cmd("promote-full", "hotfix"), { request: "full" }],
        [
            "abort a baking rollout",
            state("baking", { request: "full" }),
            cmd("abort", "pager"),
            { phase: "aborting", by: "alice", reason: "pager", request: undefined },
        ],
        ["abort a paused rollout", state("paused", { reason: "why" }), cmd("abort"), { phase: "aborting", by: "alice", reason: undefined }],
        [
            "abort keeps the owner's fields (its id, lease and an up in flight): they are the owner's",
            state("baking", { owner: "0a1b2c3d", lease: NOW + 60_000, upInFlight: true }),
            cmd("abort"),
            { phase: "aborting", owner: "0a1b2c3d", lease: NOW + 60_000, upInFlight: true },
        ],
        ["abort a rollout already rolled back", state("rolled-back"), cmd("abort"), /no rollout under way \(v8: rolled-back to v7/],
        ["abort a rollback decided but not done", state("rolling-back"), cmd("abort"), /no rollout under way/],
        ["approve with no state recorded", undefined, cmd("approve"), /no rollout state recorded on the alias/],
    ];
    for (const [what, before, command, expected] of cases) {
        it(what, () => {
            const after = transition(before, command, NOW);
            if (expected instanceof RegExp) {
                expect(after).to.be.a("string").and.match(expected);
            } else {
                expect(after).to.be.an("object");
                for (const [k, v] of Object.entries(expected)) expect((after as unknown as Record<string, unknown>)[k], k).to.equal(v);
            }
        });
    }

    it("an operator's request and name survive the alias description, which stays within Lambda's 256 characters", () => {
        const s = state("awaiting-approval", {
            request: "approve",
            by: "a-very-long-operator-name@example.com-and-more-than-forty",
            reason: "x".repeat(400),
        });
        const text = encodeState(s);
        expect(text.length).to.be.at.most(MAX_DESCRIPTION);
        const back = decodeState(text)!;
        expect(back).to.include({ phase: "awaiting-approval", request: "approve", candidate: "8", stable: "7" });
        expect(back.by).to.equal("a-very-long-operator-name@example.com-an");
    });

    it("who acts: --by, else the CI's actor, else the user; a name that cannot be recorded is refused naming --by", () => {
        expect(actor("alice", { GITHUB_ACTOR: "bot" }, () => "root")).to.equal("alice");
        expect(actor(undefined, { GITHUB_ACTOR: "octocat" }, () => "root")).to.equal("octocat");
        expect(actor(undefined, {}, () => "root")).to.equal("root");
        expect(() => actor("rm -rf /", {}, () => "root")).to.throw(/`--by` \(got "rm -rf \/"\): must be 1-40 letters/);
    });
});
