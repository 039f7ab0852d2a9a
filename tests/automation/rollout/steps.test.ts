import { expect } from "chai";
import { parseStackConfig } from "../../../config/stackConfig";
import { preflightNotes, preflightProblems } from "../../../automation/rollout/preflight";
import { nextPollAt, POLL_OFFSET_MS } from "../../../automation/rollout/promote";
import { resumeFrom, stepsFor } from "../../../automation/rollout/steps";

const policy = (rollout: Record<string, unknown>) =>
    parseStackConfig({ region: "us-east-1", functions: [{ name: "api", codeDir: "app/api", handler: "index.handler" }], rollout }, "test")
        .rollout;

describe("steps are data", () => {
    it("canary: the configured weights and bakes, a 0s bake only when written", () => {
        expect(
            stepsFor(
                policy({
                    strategy: "canary",
                    canary: {
                        steps: [
                            { weight: 10, bake: "10m" },
                            { weight: 50, bake: "5m" },
                            { weight: 100, bake: "0s" },
                        ],
                    },
                }),
            ),
        ).to.deep.equal([
            { weight: 0.1, bakeSeconds: 600, number: 1 },
            { weight: 0.5, bakeSeconds: 300, number: 2 },
            { weight: 1, bakeSeconds: 0, number: 3 },
        ]);
    });
    it("canary: a step without `bake` is refused, naming the key (no silent 0)", () => {
        expect(() => policy({ strategy: "canary", canary: { steps: [{ weight: 10, bake: "10m" }, { weight: 100 }] } })).to.throw(
            '`lambda-rollout:rollout.canary.steps[1].bake`: is required: how long to hold this step under the gates, e.g. "10m" (write "0s" to skip its gate on purpose)',
        );
    });
    it("linear: N% every M minutes up to 100%, the last step capped at 100 and baked like the others", () => {
        expect(stepsFor(policy({ strategy: "linear", linear: { stepPercent: 30, every: "5m" } }))).to.deep.equal([
            { weight: 0.3, bakeSeconds: 300, number: 1 },
            { weight: 0.6, bakeSeconds: 300, number: 2 },
            { weight: 0.9, bakeSeconds: 300, number: 3 },
            { weight: 1, bakeSeconds: 300, number: 4 },
        ]);
    });
    it("linear: the last step's bake can be set on its own (finalBake)", () => {
        expect(stepsFor(policy({ strategy: "linear", linear: { stepPercent: 50, every: "5m", finalBake: "15m" } })).at(-1)).to.deep.equal({
            weight: 1,
            bakeSeconds: 900,
            number: 2,
        });
    });
    it("blue-green: one switch of all traffic, watched for the bake", () => {
        expect(stepsFor(policy({ strategy: "blue-green", blueGreen: { bake: "15m" } }))).to.deep.equal([
            { weight: 1, bakeSeconds: 900, number: 1 },
        ]);
    });
    it("all-at-once: one step to 100%", () => {
        expect(stepsFor(policy({ strategy: "all-at-once" }))).to.deep.equal([{ weight: 1, bakeSeconds: 0, number: 1 }]);
    });
});

describe("where a rollout resumes (derived from the live weight)", () => {
    const steps = [
        { weight: 0.1, bakeSeconds: 600, number: 1 },
        { weight: 0.5, bakeSeconds: 600, number: 2 },
        { weight: 1, bakeSeconds: 600, number: 3 },
    ];
    const cases: [number, ReturnType<typeof resumeFrom>][] = [
        [0, { remaining: steps, resumed: false }],
        [0.1, { remaining: steps, resumed: true }],
        [0.5, { remaining: steps.slice(1), resumed: true }],
        [0.3, { remaining: [{ weight: 0.3, bakeSeconds: 600, number: 1 }, ...steps.slice(1)], resumed: true }],
        [1, { remaining: steps.slice(2), resumed: true }],
    ];
    for (const [weight, expected] of cases) {
        it(`live weight ${weight}`, () => expect(resumeFrom(steps, weight)).to.deep.equal(expected));
    }
});

describe("preflight (AWS's alias constraints, before traffic moves)", () => {
    const v = (version: string, role = "r1", dlq?: string) => ({ version, role, deadLetterTargetArn: dlq });
    const split = [
        { weight: 0.1, bakeSeconds: 600, number: 1 },
        { weight: 1, bakeSeconds: 0, number: 2 },
    ];
    const whole = [{ weight: 1, bakeSeconds: 600, number: 1 }];
    const ok = { name: "api", stable: v("7"), candidate: v("8"), aliasHasProvisionedConcurrency: false };

    it("passes matching published versions", () => expect(preflightProblems([ok], split)).to.deep.equal([]));
    it("refuses $LATEST", () =>
        expect(preflightProblems([{ ...ok, candidate: v("$LATEST") }], split)[0]).to.equal(
            'api: the candidate version "$LATEST" is not a published version (alias routing never uses $LATEST); run `pulumi up` to publish',
        ));
    it("refuses a candidate equal to stable", () =>
        expect(preflightProblems([{ ...ok, candidate: v("7") }], split)).to.deep.equal([
            "api: the candidate is the stable version (v7); nothing to roll out",
        ]));
    it("refuses a role change with weights, and allows it without", () => {
        const facts = [{ ...ok, candidate: v("8", "r2") }];
        expect(preflightProblems(facts, split)[0]).to.contain("use the blue-green strategy for a role change");
        expect(preflightProblems(facts, whole)).to.deep.equal([]);
    });
    it("refuses a dead-letter change with weights", () =>
        expect(preflightProblems([{ ...ok, candidate: v("8", "r1", "arn:aws:sqs:us-east-1:1:q") }], split)[0]).to.contain(
            "different dead-letter configs (arn:aws:sqs:us-east-1:1:q vs none)",
        ));
    it("allows weights on an alias with provisioned concurrency (AWS does), with a note on how it is shared", () => {
        expect(preflightProblems([{ ...ok, aliasHasProvisionedConcurrency: true }], split)).to.deep.equal([]);
        expect(preflightNotes([{ ...ok, aliasHasProvisionedConcurrency: true }])[0]).to.contain(
            "the alias has provisioned concurrency: during a split Lambda divides it between the versions by weight",
        );
    });

    it("notes (never refuses) two versions in different networks: a VPC added, moved or left", () => {
        const inVpc = (version: string, subnets: string[]) => ({ ...v(version), vpc: { subnetIds: subnets, securityGroupIds: ["sg-1"] } });
        expect(preflightNotes([ok])).to.deep.equal([]);
        expect(
            preflightNotes([{ ...ok, stable: inVpc("7", ["subnet-b", "subnet-a"]), candidate: inVpc("8", ["subnet-a", "subnet-b"]) }]),
        ).to.deep.equal([]);
        expect(preflightNotes([{ ...ok, candidate: inVpc("8", ["subnet-a"]) }])).to.deep.equal([
            "api: v8 runs in a different network than v7 (subnets subnet-a; security groups sg-1 vs no VPC): errors that only the candidate sees may come from the network",
        ]);
        expect(preflightProblems([{ ...ok, candidate: inVpc("8", ["subnet-a"]) }], split)).to.deep.equal([]);
    });
});

describe("when the gate polls", () => {
    const t0 = Date.UTC(2026, 0, 5, 9, 0, 45);
    it("on the minute grid, a few seconds past the minute, not a fixed minute after the up", () => {
        expect(nextPollAt(t0, 60_000, t0 + 600_000) - t0).to.equal(15_000 + POLL_OFFSET_MS);
    });
    it("at the end of the bake when that comes first, so a healthy step passes on time", () => {
        expect(nextPollAt(t0, 60_000, t0 + 10_000)).to.equal(t0 + 10_000);
    });
    it("after the bake, on the grid again", () => {
        expect(nextPollAt(t0 + 600_000, 60_000, t0 + 600_000)).to.equal(Date.UTC(2026, 0, 5, 9, 11, 5));
    });
});
