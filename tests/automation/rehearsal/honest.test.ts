import { expect } from "chai";
import * as path from "path";
import { PROJECT_ROOT } from "../../../automation/engine/evaluate";
import { UsageError } from "../../../automation/errors";
import { rehearse, type RehearsalResult } from "../../../automation/rehearsal/rehearse";
import { parseScenario, readScenario, type Fault } from "../../../automation/rehearsal/scenario";
import { prune } from "../../../automation/rollout/prune";
import { LambdaAdapter } from "../../../automation/adapters/lambda";
import { memoryLog } from "../../helpers/fakes";

const PROFILE = { errorRate: 0.002, p50Ms: 80, p99Ms: 400 };

/** A healthy prod rehearsal with these faults (and, optionally, more scenario fields). */
async function rehearseWith(faults: unknown[], extra: Record<string, unknown> = {}): Promise<{ result: RehearsalResult; lines: string[] }> {
    const log = memoryLog();
    const scenario = parseScenario(
        { name: "honest", seed: 31, requestsPerMinute: 300, functions: { "*": { stable: PROFILE, candidate: PROFILE } }, faults, ...extra },
        "honest.json",
    );
    const result = await rehearse({ stack: "prod", scenario, log });
    return { result, lines: log.lines };
}

describe("an honest rehearsal: every fault of a kind applies, in order, and records keep their true minutes", function () {
    this.timeout(180_000);

    it("two kills kill two processes: the second signal of death is rehearsed too, and a third run finishes", async () => {
        const { result, lines } = await rehearseWith([
            { kind: "killed", atMinute: 15 },
            { kind: "killed", atMinute: 26 },
        ]);
        expect(lines.filter((l) => l.includes("KILLED: the promote process stopped dead"))).to.have.length(2);
        const died = result.report.steps.filter((s) => s.verdict === "interrupted").map((s) => s.endedAtMinute);
        expect(died).to.deep.equal([15, 26]);
        expect(result.report.outcome).to.equal("promoted");
        expect(result.safety.safe).to.equal(true);
    });

    it("two interrupts: the first aborts the run; a second one while it aborts makes it exit at once, and a promote run again completes the abort", async () => {
        const { result, lines } = await rehearseWith([
            { kind: "interrupt", atMinute: 12, signal: "SIGINT" },
            { kind: "interrupt", atMinute: 12.01, signal: "SIGINT" },
        ]);
        expect(lines.some((l) => l.includes("EXITED AT ONCE ON A SECOND SIGINT"))).to.equal(true);
        expect(result.report.interrupt).to.equal("SIGINT");
        expect(result.report.error).to.contain("exited at once on a second SIGINT");
        expect(result.report.outcome).to.equal("aborted");
        expect(result.safety.traffic).to.deep.equal({ api: "v1 100%" });
    });

    it("after a kill, an operator's abort is recorded at the minute it happened (27), not at the second run's clock", async () => {
        const { result } = await rehearseWith([
            { kind: "killed", atMinute: 24 },
            { kind: "abort", atMinute: 27 },
        ]);
        expect(result.report.outcome).to.equal("aborted");
        expect(result.report.operator).to.have.length(1);
        expect(result.report.operator![0].action).to.equal("abort");
        expect(result.report.operator![0].atMinute).to.be.within(27, 28.2);
        expect(result.report.operatorVerbs).to.have.length(1);
        expect(result.report.operatorVerbs![0]).to.include({ action: "abort", atMinute: 27, exitCode: 0, confirmed: true });
    });

    it("a fault no process was alive for is said in the report's warnings, never silently dropped", async () => {
        const { result } = await rehearseWith([{ kind: "killed", atMinute: 90 }]);
        expect(result.report.outcome).to.equal("promoted");
        expect(result.report.warnings).to.include(
            'rehearsal: the fault "killed at minute 90" did not apply: no promote process was alive then',
        );
    });

    it("an atStep or duringUp the strategy does not have is refused, naming the field (exit 2)", async () => {
        for (const [fault, field] of [
            [{ kind: "up-fails", atStep: 4 }, "faults[0].atStep"],
            [{ kind: "lock-conflict", atStep: 7 }, "faults[0].atStep"],
            [{ kind: "abort", duringUp: 4 }, "faults[0].duringUp"],
        ] as [Fault, string][]) {
            let error: Error | undefined;
            try {
                await rehearseWith([fault]);
            } catch (err) {
                error = err as Error;
            }
            expect(error, field).to.be.instanceOf(UsageError);
            expect(error!.message).to.contain(`\`${field}\``);
            expect(error!.message).to.contain("stack prod's strategy has 3 steps, so it must be 1 to 3");
        }
    });

    it("the abort inside step 2's up, through the command line's own verb: the promote ends aborted and the abort exits 0 only once confirmed", async () => {
        const log = memoryLog();
        const result = await rehearse({
            stack: "prod",
            scenario: readScenario(path.join(PROJECT_ROOT, "scenarios", "faults", "abort-during-up.json")),
            log,
        });
        expect(result.report.outcome).to.equal("aborted");
        expect(result.safety.traffic).to.deep.equal({ api: "v1 100%" });
        const verb = result.report.operatorVerbs![0];
        expect(verb).to.include({ action: "abort", exitCode: 0, confirmed: true });
        // Confirmed after the owner had put traffic back, never at its own first write.
        expect(verb.endedAtMinute).to.be.at.least(result.report.stableAtMinute!);
        expect(log.lines.join("\n")).to.contain(
            "the abort was overwritten by an `up` in flight: recorded it again, with all traffic on stable",
        );
    });

    it("a corrupt record during the 100% bake, then a kill: the second run exits 3 with the raw text (never 'nothing to do'), and prune deletes no version it could name", async () => {
        const log = memoryLog();
        const scenario = readScenario(path.join(PROJECT_ROOT, "scenarios", "faults", "record-corrupt-then-killed.json"));
        const result = await rehearse({ stack: "prod", scenario: { ...scenario, versions: 25 }, log });
        expect(result.exitCode).to.equal(3);
        expect(result.report.outcome).to.equal("failed");
        const text = log.lines.join("\n");
        expect(text).not.to.contain("nothing to do");
        expect(result.report.unreadableRecords?.api.raw).to.equal(scenario.faults.find((f) => f.kind === "record-corrupt")!.text);
        expect(result.safety).to.include({ safe: false, saidSo: true });
        const functionName = "lambda-rollout-prod-api";
        const before = await new LambdaAdapter(result.account.lambda).listVersions(functionName);
        const report = await prune(
            { stack: rehearsedStack(result), lambda: new LambdaAdapter(result.account.lambda), log: memoryLog() },
            { stackName: "prod", retention: { keep: 2, afterPromotion: false } },
        );
        expect(report.exitCode).to.equal(3);
        expect(report.functions.api.toDelete).to.deep.equal([]);
        expect(await new LambdaAdapter(result.account.lambda).listVersions(functionName)).to.deep.equal(before);
        expect(before).to.have.length(25);
    });
});

/** The rehearsal's stack as prune reads it: its outputs (prod's api, candidate v25). */
function rehearsedStack(result: RehearsalResult) {
    const candidate = result.report.functions.api.candidate;
    return {
        outputs: async () => ({
            strategy: "canary",
            rolloutPolicy: {},
            region: "us-east-1",
            functions: {
                api: {
                    functionName: "lambda-rollout-prod-api",
                    functionArn: "arn:aws:lambda:us-east-1:123456789012:function:lambda-rollout-prod-api",
                    aliasName: "live",
                    aliasArn: "arn:aws:lambda:us-east-1:123456789012:function:lambda-rollout-prod-api:live",
                    stableVersion: result.report.functions.api.stable,
                    candidateVersion: candidate,
                    liveWeights: {},
                    routingSource: "kept-live",
                    alarmNames: {},
                },
            },
        }),
        up: async () => {
            throw new Error("prune runs no up");
        },
        history: async () => [],
    };
}
