import { DeleteFunctionCommand, ListVersionsByFunctionCommand } from "@aws-sdk/client-lambda";
import { expect } from "chai";
import { LambdaAdapter } from "../../../automation/adapters/lambda";
import { prune, pruneAfterPromotion, summarizePrune } from "../../../automation/rollout/prune";
import type { StackDriver, VersionControl } from "../../../automation/rollout/ports";
import { encodeState } from "../../../domain/state";
import { SimulatedAws } from "../../../automation/simulator";
import { memoryLog, outputsFor } from "../../helpers/fakes";

const FN = "lambda-rollout-prod-api";
const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => String(from + i));

/**
 * A simulated account as a scenario's `"versions": 25` starts it: 25 published versions of the function, `live`
 * weighted between v24 (90%) and v25 (10%), and `beta` on the old v3.
 */
function account(options: { liveDescription?: string } = {}) {
    const sim = new SimulatedAws({ seed: 1, startTime: new Date("2026-01-05T09:00:00Z"), metricDelayMinutes: 0, priorVersions: 25 });
    sim.putFunction({ name: FN, role: "arn:aws:iam::123456789012:role/api", timeoutSeconds: 10 });
    sim.putAlias(FN, "live", "24", { "25": 0.1 }, options.liveDescription);
    sim.putAlias(FN, "beta", "3");
    const outputs = outputsFor(["api"]);
    const stack: StackDriver = {
        outputs: async () => outputs,
        up: async () => {
            throw new Error("prune never runs an up");
        },
        history: async () => [],
    };
    return { sim, stack, lambda: new LambdaAdapter(sim.lambda) };
}

const retention = { keep: 10, afterPromotion: false };

describe("prune on a simulated account with 25 versions and two aliases", () => {
    it("--dry-run lists exactly the versions it may delete, says why each other one is kept, and deletes nothing", async () => {
        const { sim, stack, lambda } = account();
        const log = memoryLog();
        const report = await prune({ stack, lambda, log }, { stackName: "prod", retention, dryRun: true });
        // Newest 10 (16-25) kept; v3 is beta's; live's v24 and v25 are among the newest.
        const expected = range(1, 15).filter((v) => v !== "3");
        expect(report.functions.api.toDelete).to.deep.equal(expected);
        expect(report.functions.api.deleted).to.deep.equal([]);
        expect(report).to.include({ outcome: "pruned", exitCode: 0, dryRun: true, keep: 10 });
        expect(sim.publishedVersions(FN)).to.deep.equal(range(1, 25));
        expect(log.lines[0]).to.equal(`api (${FN}): 25 published, would delete 14: ${expected.map((v) => `v${v}`).join(", ")}`);
        expect(log.lines).to.include("  kept v25: newest 10; routed by alias live (10%)");
        expect(log.lines).to.include("  kept v24: newest 10; routed by alias live (90%)");
        expect(log.lines).to.include("  kept v16-v23: newest 10");
        expect(log.lines).to.include("  kept v3: routed by alias beta (100%)");
        expect(summarizePrune(report)).to.equal("dry run, nothing deleted (keep 10): api 14 would be deleted");
    });

    it("the run deletes exactly those versions and nothing else, printing each", async () => {
        const { sim, stack, lambda } = account();
        const log = memoryLog();
        const report = await prune({ stack, lambda, log }, { stackName: "prod", retention });
        const expected = range(1, 15).filter((v) => v !== "3");
        expect(report.functions.api.deleted).to.deep.equal(expected);
        expect(sim.publishedVersions(FN)).to.deep.equal(["3", ...range(16, 25)]);
        for (const v of expected) expect(log.lines).to.include(`api: deleted v${v}`);
        expect(report).to.include({ outcome: "pruned", exitCode: 0 });
        // A second run finds nothing more to delete.
        const again = await prune({ stack, lambda, log: memoryLog() }, { stackName: "prod", retention });
        expect(again).to.include({ outcome: "nothing-to-do", exitCode: 0 });
    });

    it("keeps the stable and the candidate of a rollout in progress, though neither is among the newest or routed", async () => {
        const state = encodeState({ phase: "baking", stable: "5", candidate: "6", step: 1, steps: 3, weight: 0.1, since: 0 });
        const { sim, stack, lambda } = account({ liveDescription: state });
        const log = memoryLog();
        await prune({ stack, lambda, log }, { stackName: "prod", retention });
        expect(sim.publishedVersions(FN)).to.deep.equal(["3", "5", "6", ...range(16, 25)]);
        expect(log.lines).to.include("  kept v5: rollout in progress (its stable, baking)");
    });

    it("a delete AWS refuses is reported by version, the others go on, and the run exits 3", async () => {
        const { sim, stack, lambda } = account();
        // An alias made to route to v7 after prune listed the aliases: AWS refuses deleting it.
        const racing: VersionControl = {
            listVersions: (f) => lambda.listVersions(f),
            listAliases: async (f) => {
                const listed = await lambda.listAliases(f);
                sim.putAlias(FN, "hotfix", "7");
                return listed;
            },
            deleteVersion: (f, v) => lambda.deleteVersion(f, v),
        };
        const log = memoryLog();
        const report = await prune({ stack, lambda: racing, log }, { stackName: "prod", retention });
        expect(report).to.include({ outcome: "failed", exitCode: 3 });
        expect(report.functions.api.failed).to.have.length(1);
        expect(report.functions.api.failed[0].version).to.equal("7");
        expect(report.functions.api.failed[0].error).to.contain("ResourceConflictException");
        expect(sim.publishedVersions(FN)).to.deep.equal(["3", "7", ...range(16, 25)]);
        expect(summarizePrune(report)).to.match(/^FAILED \(keep 10\): api 13 deleted; FAILED api v7: .*ResourceConflictException/);
    });

    it("after a promotion, a failure becomes a warning and never an error", async () => {
        const { stack } = account();
        const broken: VersionControl = {
            listVersions: async () => {
                throw Object.assign(new Error("User is not authorized to perform: lambda:ListVersionsByFunction"), {
                    name: "AccessDeniedException",
                });
            },
            listAliases: async () => [],
            deleteVersion: async () => undefined,
        };
        const result = await pruneAfterPromotion({ stack, lambda: broken, log: memoryLog() }, { stackName: "prod", retention });
        expect(result.pruned).to.deep.equal({ api: [] });
        expect(result.warnings).to.have.length(1);
        expect(result.warnings[0]).to.contain("prune after promotion: api not deleted").and.contain("AccessDeniedException");
    });
});

describe("the simulated Lambda API for retention", () => {
    it("refuses to delete a version an alias routes to (primary or weighted), as AWS does: ResourceConflictException", async () => {
        const { lambda } = account();
        for (const v of ["3", "24", "25"]) {
            const err = await lambda.deleteVersion(FN, v).then(
                () => undefined,
                (e: Error) => e,
            );
            expect(err?.message, `v${v}`).to.match(/^DeleteFunction failed: ResourceConflictException: .*reference it: \[(beta|live)\]/);
        }
    });

    it("never deletes $LATEST or through an alias: the adapter refuses before sending, the simulated API as AWS does", async () => {
        const { sim, lambda } = account();
        const refused = (p: Promise<unknown>) =>
            p.then(
                () => undefined,
                (e: Error) => e,
            );
        expect(await refused(lambda.deleteVersion(FN, "$LATEST"))).to.be.instanceOf(RangeError);
        expect(await refused(lambda.deleteVersion(FN, "live"))).to.be.instanceOf(RangeError);
        for (const Qualifier of ["$LATEST", "beta", undefined]) {
            const err = (await refused(sim.lambda.send(new DeleteFunctionCommand({ FunctionName: FN, Qualifier })))) as Error;
            expect(err?.name, String(Qualifier)).to.equal("InvalidParameterValueException");
        }
        expect(sim.publishedVersions(FN)).to.deep.equal(range(1, 25));
    });

    it("pages ListVersionsByFunction and ListAliases, and the adapter follows NextMarker to the end", async () => {
        const { sim, lambda } = account();
        sim.putFunction({ name: "big", role: "arn:aws:iam::123456789012:role/big", timeoutSeconds: 3 });
        for (let i = 0; i < 60; i++) sim.publishVersion("big");
        const first = await sim.lambda.send(new ListVersionsByFunctionCommand({ FunctionName: "big" }));
        expect(first.Versions).to.have.length(50);
        expect(first.NextMarker).to.be.a("string");
        expect(await lambda.listVersions("big")).to.deep.equal(range(1, 85));
        expect((await lambda.listAliases(FN)).map((a) => a.name).sort()).to.deep.equal(["beta", "live"]);
    });
});
