import { expect } from "chai";
import { parseStackConfig } from "../../../config/stackConfig";
import { describeKeepReason, retentionDecisions, versionsToDelete, type RetentionInput } from "../../../automation/rollout/retention";
import type { RolloutState } from "../../../domain/state";

const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => String(from + i));

/** 20 published versions, `live` all on 20, keep 5: 1-15 may go. */
const base: RetentionInput = {
    versions: ["$LATEST", ...range(1, 20)],
    aliases: [{ name: "live", functionVersion: "20" }],
    keep: 5,
};

const rollout = (phase: RolloutState["phase"], stable: string, candidate: string): RolloutState => ({
    phase,
    stable,
    candidate,
    step: 1,
    steps: 3,
    weight: 0.1,
    since: 0,
});

describe("version retention (automation/rollout/retention.ts)", () => {
    const table: [string, Partial<RetentionInput>, string[]][] = [
        ["keeps the newest `keep` versions and deletes the rest, oldest first", {}, range(1, 15)],
        ["never deletes $LATEST, whatever keep is", { keep: 1, aliases: [] }, range(1, 19)],
        ["a smaller keep deletes more", { keep: 2 }, range(1, 18)],
        ["a keep above the count deletes nothing", { keep: 50 }, []],
        [
            "keeps an old version another alias routes to (beta on 3)",
            { aliases: [...base.aliases, { name: "beta", functionVersion: "3" }] },
            range(1, 15).filter((v) => v !== "3"),
        ],
        [
            "keeps both versions of a weighted alias: its primary and its additional version",
            { aliases: [{ name: "live", functionVersion: "7", additionalVersionWeights: { "20": 0.1 } }] },
            range(1, 15).filter((v) => v !== "7"),
        ],
        [
            "keeps the weighted version of any alias, not only live's",
            { aliases: [...base.aliases, { name: "canary", functionVersion: "20", additionalVersionWeights: { "4": 0.5 } }] },
            range(1, 15).filter((v) => v !== "4"),
        ],
        [
            "keeps the stable and the candidate of an unfinished rollout (at 100% the stable carries no traffic)",
            { rollout: rollout("baking", "9", "12") },
            range(1, 15).filter((v) => v !== "9" && v !== "12"),
        ],
        [
            "keeps them while the rollout waits for approval",
            { rollout: rollout("awaiting-approval", "2", "11") },
            range(1, 15).filter((v) => v !== "2" && v !== "11"),
        ],
        [
            "keeps them while a decided rollback is not yet confirmed",
            { rollout: rollout("rolling-back", "8", "10") },
            range(1, 15).filter((v) => v !== "8" && v !== "10"),
        ],
        ["a finished rollout (promoted) protects nothing by itself", { rollout: rollout("promoted", "9", "12") }, range(1, 15)],
        ["a rolled-back rollout protects nothing by itself", { rollout: rollout("rolled-back", "9", "12") }, range(1, 15)],
        ["ignores what is not a version number", { versions: ["$LATEST", "live", ...range(1, 8)] }, range(1, 3)],
    ];
    for (const [name, change, expected] of table) {
        it(name, () => {
            expect(versionsToDelete({ ...base, ...change })).to.deep.equal(expected);
        });
    }

    it("says why each kept version is kept, newest first", () => {
        const decisions = retentionDecisions({
            versions: range(1, 6),
            aliases: [
                { name: "live", functionVersion: "5", additionalVersionWeights: { "6": 0.25 } },
                { name: "beta", functionVersion: "2" },
            ],
            rollout: rollout("baking", "5", "6"),
            keep: 2,
        });
        expect(decisions.map((d) => [d.version, d.delete, d.keptBecause.map(describeKeepReason)])).to.deep.equal([
            ["6", false, ["newest 2", "routed by alias live (25%)", "rollout in progress (its candidate, baking)"]],
            ["5", false, ["newest 2", "routed by alias live (75%)", "rollout in progress (its stable, baking)"]],
            ["4", true, []],
            ["3", true, []],
            ["2", false, ["routed by alias beta (100%)"]],
            ["1", true, []],
        ]);
    });
});

describe("the retention config (lambda-rollout:retention)", () => {
    const config = (retention?: unknown) => ({
        region: "us-east-1",
        functions: [{ name: "api", codeDir: "app/api", handler: "index.handler" }],
        rollout: { strategy: "all-at-once" },
        ...(retention === undefined ? {} : { retention }),
    });

    it("defaults to keeping 10 versions, and not pruning after a promotion", () => {
        expect(parseStackConfig(config(), "test").retention).to.deep.equal({ keep: 10, afterPromotion: false });
    });

    it("takes keep and afterPromotion", () => {
        expect(parseStackConfig(config({ keep: 3, afterPromotion: true }), "test").retention).to.deep.equal({
            keep: 3,
            afterPromotion: true,
        });
    });

    const bad: [unknown, string][] = [
        [{ keep: 1 }, "`lambda-rollout:retention.keep` (got 1): must be at least 2"],
        [{ keep: 2.5 }, "`lambda-rollout:retention.keep` (got 2.5): must be a whole number of versions, 2 or more"],
        [{ keep: "ten" }, '`lambda-rollout:retention.keep` (got "ten"): must be a whole number of versions, 2 or more'],
        [{ afterPromotion: "yes" }, '`lambda-rollout:retention.afterPromotion` (got "yes"): must be true or false'],
        [{ keepLast: 5 }, "keepLast"],
    ];
    for (const [retention, message] of bad) {
        it(`refuses ${JSON.stringify(retention)}, naming the key and what is valid`, () => {
            expect(() => parseStackConfig(config(retention), "test")).to.throw(message);
        });
    }
});
