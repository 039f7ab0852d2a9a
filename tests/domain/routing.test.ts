import { expect } from "chai";
import { DEFAULT_ALIAS_DESCRIPTION, decideAliasRouting, readLiveRouting, routingFromRequest, trafficShares } from "../../domain/routing";

describe("the rule of routing (pure)", () => {
    const cases: [string, Parameters<typeof decideAliasRouting>[0], ReturnType<typeof decideAliasRouting>][] = [
        [
            "explicit routing wins over everything",
            {
                strategy: "all-at-once",
                publishedVersion: "9",
                live: { functionVersion: "7" },
                explicit: { stable: "7", candidate: "8", weight: 0.5 },
            },
            { stableVersion: "7", candidate: { version: "8", weight: 0.5 }, source: "explicit", description: DEFAULT_ALIAS_DESCRIPTION },
        ],
        [
            "all-at-once follows the new version",
            { strategy: "all-at-once", publishedVersion: "9", live: { functionVersion: "7", additionalVersionWeights: { "8": 0.5 } } },
            { stableVersion: "9", source: "follows-new-version", description: DEFAULT_ALIAS_DESCRIPTION },
        ],
        [
            "canary keeps the live split",
            { strategy: "canary", publishedVersion: "8", live: { functionVersion: "7", additionalVersionWeights: { "8": 0.1 } } },
            { stableVersion: "7", candidate: { version: "8", weight: 0.1 }, source: "kept-live", description: DEFAULT_ALIAS_DESCRIPTION },
        ],
        [
            "linear keeps the live split",
            { strategy: "linear", publishedVersion: "8", live: { functionVersion: "7", additionalVersionWeights: { "8": 0.3 } } },
            { stableVersion: "7", candidate: { version: "8", weight: 0.3 }, source: "kept-live", description: DEFAULT_ALIAS_DESCRIPTION },
        ],
        [
            "blue-green keeps blue",
            { strategy: "blue-green", publishedVersion: "8", live: { functionVersion: "7" } },
            { stableVersion: "7", source: "kept-live", description: DEFAULT_ALIAS_DESCRIPTION },
        ],
        [
            "a first deploy takes the first version",
            { strategy: "canary", publishedVersion: "1" },
            { stableVersion: "1", source: "first-deploy", description: DEFAULT_ALIAS_DESCRIPTION },
        ],
        [
            "a transient weight of 1 is no split",
            { strategy: "canary", publishedVersion: "8", live: { functionVersion: "8", additionalVersionWeights: { "7": 1 } } },
            { stableVersion: "8", source: "kept-live", description: DEFAULT_ALIAS_DESCRIPTION },
        ],
        [
            "a weight of 0 is no split",
            { strategy: "canary", publishedVersion: "8", live: { functionVersion: "7", additionalVersionWeights: { "8": 0 } } },
            { stableVersion: "7", source: "kept-live", description: DEFAULT_ALIAS_DESCRIPTION },
        ],
    ];
    for (const [what, input, expected] of cases) {
        it(what, () => expect(decideAliasRouting(input)).to.deep.equal(expected));
    }

    it("the rollout state on the alias follows the same rule: passed with the routing, else kept from what is live", () => {
        const live = { functionVersion: "8", additionalVersionWeights: {}, description: "lambda-rollout/1 {recorded}" };
        expect(decideAliasRouting({ strategy: "canary", publishedVersion: "9", live }).description).to.equal("lambda-rollout/1 {recorded}");
        expect(
            decideAliasRouting({
                strategy: "canary",
                publishedVersion: "9",
                live,
                explicit: { stable: "7", candidate: "8", weight: 0, state: "lambda-rollout/1 {new}" },
            }).description,
        ).to.equal("lambda-rollout/1 {new}");
        expect(decideAliasRouting({ strategy: "all-at-once", publishedVersion: "9", live }).description).to.equal(
            DEFAULT_ALIAS_DESCRIPTION,
        );
    });

    it("flags a transient weight so a caller can read again", () => {
        expect(readLiveRouting({ functionVersion: "8", additionalVersionWeights: { "7": 1 } }).transient).to.equal(true);
        expect(readLiveRouting({ functionVersion: "7", additionalVersionWeights: { "8": 0.1 } }).transient).to.equal(false);
    });

    it("explicit requests at the edges: 1 promotes, 0 and stable==candidate leave stable alone", () => {
        expect(routingFromRequest({ stable: "7", candidate: "8", weight: 1 })).to.deep.equal({ stableVersion: "8" });
        expect(routingFromRequest({ stable: "7", candidate: "8", weight: 0 })).to.deep.equal({ stableVersion: "7" });
        expect(routingFromRequest({ stable: "7", candidate: "7", weight: 0.5 })).to.deep.equal({ stableVersion: "7" });
    });

    it("traffic shares add up to 1", () => {
        expect(trafficShares({ stableVersion: "7", candidate: { version: "8", weight: 0.1 } })).to.deep.equal({ "7": 0.9, "8": 0.1 });
        expect(trafficShares({ stableVersion: "7" })).to.deep.equal({ "7": 1 });
    });
});
