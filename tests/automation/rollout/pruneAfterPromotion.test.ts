import { expect } from "chai";
import { promote } from "../../../automation/rollout/promote";
import { FakeLambda, FakeMetrics, FakeStack, fakeClock, memoryLog, outputsFor, PROD_POLICY } from "../../helpers/fakes";

/** A promote of api v7 -> v8 with fakes, and a retention step after a promotion that records when it ran. */
function setup(candidateErrorRate: number, retention: { pruned: Record<string, string[]>; warnings: string[] }) {
    const lambda = new FakeLambda();
    lambda.aliases.set("lambda-rollout-prod-api", { functionVersion: "7", additionalVersionWeights: {} });
    const stack = new FakeStack(lambda, outputsFor(["api"], PROD_POLICY));
    const metrics = new FakeMetrics(lambda, { api: { stable: 0.002, candidate: candidateErrorRate } }, 300);
    const { clock, drive } = fakeClock();
    const calls: string[] = [];
    const afterPromotion = async () => {
        // What the alias records when retention runs: the promotion must already be final.
        calls.push(lambda.aliases.get("lambda-rollout-prod-api")!.description ?? "");
        return retention;
    };
    return { drive, calls, deps: { stack, lambda, metrics, clock, log: memoryLog(), afterPromotion } };
}

describe("retention after a promotion (retention.afterPromotion)", () => {
    it("runs once the promotion is recorded; what it deleted is the report's `pruned`", async () => {
        const t = setup(0.002, { pruned: { api: ["1", "2"] }, warnings: [] });
        const result = await t.drive(promote(t.deps, { stackName: "prod" }));
        expect(result.report.outcome).to.equal("promoted");
        expect(t.calls).to.have.length(1);
        expect(t.calls[0]).to.contain('"p":"promoted"');
        expect(result.report.pruned).to.deep.equal({ api: ["1", "2"] });
    });

    it("a version it could not delete is a warning in the report: the outcome stays promoted, exit 0", async () => {
        const warning = "prune after promotion: api v3 not deleted: DeleteFunction failed: ResourceConflictException: ...";
        const t = setup(0.002, { pruned: { api: [] }, warnings: [warning] });
        const result = await t.drive(promote(t.deps, { stackName: "prod" }));
        expect(result.report.outcome).to.equal("promoted");
        expect(result.exitCode).to.equal(0);
        expect(result.report.warnings).to.include(warning);
    });

    it("never runs after a rollback", async () => {
        const t = setup(0.05, { pruned: { api: ["1"] }, warnings: [] });
        const result = await t.drive(promote(t.deps, { stackName: "prod" }));
        expect(result.report.outcome).to.equal("rolled-back");
        expect(t.calls).to.deep.equal([]);
        expect(result.report).not.to.have.property("pruned");
    });
});
