import { expect } from "chai";
import * as path from "path";
import { PROJECT_ROOT } from "../../../automation/engine/evaluate";
import { rehearseFolder } from "../../../automation/rehearsal/matrix";
import { rehearse, type RehearsalResult } from "../../../automation/rehearsal/rehearse";
import { parseScenario, readScenario } from "../../../automation/rehearsal/scenario";
import { memoryLog } from "../../helpers/fakes";

const DIR = path.join(PROJECT_ROOT, "scenarios", "operators");
const APPROVAL_CONFIG = path.join(DIR, "prod-approval.yaml");

/** Rehearses a shipped operator scenario on prod with approval before 100%; the log's lines too. */
async function run(name: string): Promise<{ result: RehearsalResult; lines: string[] }> {
    const log = memoryLog();
    const result = await rehearse({
        stack: "prod",
        configFile: APPROVAL_CONFIG,
        scenario: readScenario(path.join(DIR, `${name}.json`)),
        log,
    });
    return { result, lines: log.lines };
}

describe("release operations rehearsed (real promote, operator verbs from another process, simulated AWS)", function () {
    this.timeout(120_000);

    it("a hook failing after step 2 rolls back, with the hook's answer in the report", async () => {
        const { result } = await run("hook-fails-after-step-2");
        expect(result.report.outcome).to.equal("rolled-back");
        expect(result.safety.traffic).to.deep.equal({ api: "v1 100%" });
        expect(result.report.hooks!.map((h) => [h.point, h.step, h.outcome, h.output])).to.deep.equal([
            ["preTraffic", undefined, "passed", "rehearsed answer: pass"],
            ["afterStep", 1, "passed", "rehearsed answer: pass"],
            ["afterStep", 2, "failed", "rehearsed answer: fail"],
        ]);
        const last = result.report.steps.at(-1)!;
        expect(last).to.include({ verdict: "failed", cause: "hook", weight: 0.5 });
        expect(last.reason).to.match(/^afterStep hook rehearsed-afterStep failed after step 2: rehearsed answer: fail/);
    });

    it("waiting for approval, killed, run again: still waiting (step 2 not baked again); approve from a second process continues it", async () => {
        const { result, lines } = await run("approval-survives-a-kill");
        const killed = lines.findIndex((l) => l.includes("KILLED"));
        expect(killed).to.be.greaterThan(0);
        const before = lines.slice(0, killed);
        const after = lines.slice(killed);
        expect(before.some((l) => l.includes("step 3/3 100% needs approval"))).to.equal(true);
        expect(after.some((l) => l.includes("step 3/3 100% needs approval"))).to.equal(true);
        expect(after.some((l) => /step 2\/3 50%: (PASSED|baking)/.test(l))).to.equal(false);
        expect(after.some((l) => l.includes("[min 30] operator: lambda-rollout approve -s prod --by rehearsal-operator"))).to.equal(true);
        expect(result.report.operator).to.deep.include({
            action: "approve",
            by: "rehearsal-operator",
            // Who AWS says it was (STS), beside the self-asserted --by.
            principal: "123456789012:assumed-role/lambda-rollout-operator/rehearsal-operator",
            atMinute: result.report.operator![0].atMinute,
        });
        expect(result.report.outcome).to.equal("promoted");
        expect(result.report.steps.map((s) => [s.weight, s.verdict])).to.deep.equal([
            [0.1, "passed"],
            [0.5, "passed"],
            [0.5, "interrupted"],
            [1, "passed"],
        ]);
        expect(result.safety.traffic).to.deep.equal({ api: "v2 100%" });
    });

    it("abort from a second process: all traffic on stable, the owner stops and records outcome aborted", async () => {
        const { result } = await run("abort");
        expect(result.report.outcome).to.equal("aborted");
        expect(result.exitCode).to.equal(1);
        expect(result.safety.traffic).to.deep.equal({ api: "v1 100%" });
        expect(result.report.functions.api.finalRouting).to.deep.equal({ "1": 1 });
        expect(result.report.operator).to.deep.equal([
            {
                action: "abort",
                by: "rehearsal-operator",
                principal: "123456789012:assumed-role/lambda-rollout-operator/rehearsal-operator",
                reason: "rehearsed abort at minute 14",
                atMinute: 14.1,
            },
        ]);
        expect(result.report.steps.at(-1)).to.include({ cause: "operator", verdict: "interrupted" });
    });

    it("pause holds the weight past its bake (gates still watching) until resume; who paused and resumed is in the report", async () => {
        const { result } = await run("pause");
        expect(result.report.operator!.map((o) => [o.action, o.by])).to.deep.equal([
            ["pause", "rehearsal-operator"],
            ["resume", "rehearsal-operator"],
            ["approve", "rehearsal-operator"],
        ]);
        const first = result.report.steps[0];
        expect(first).to.include({ weight: 0.1, verdict: "passed" });
        expect(first.endedAtMinute).to.be.at.least(25);
        expect(result.report.outcome).to.equal("promoted");
    });

    it("promote --full skips the remaining bakes (and the wait for approval), with who and why in the report", async () => {
        const { result } = await run("promote-full");
        expect(result.report.outcome).to.equal("promoted");
        expect(result.report.decisionAtMinute).to.be.below(16);
        expect(result.report.operator).to.deep.equal([
            {
                action: "promote-full",
                by: "rehearsal-operator",
                principal: "123456789012:assumed-role/lambda-rollout-operator/rehearsal-operator",
                reason: "rehearsed promote-full at minute 14",
                atMinute: 14.1,
            },
        ]);
        expect(result.report.steps.filter((s) => s.cause === "operator").map((s) => s.weight)).to.deep.equal([0.5, 1]);
    });

    it("nobody approves: after the timeout the rollout rolls back (onTimeout: rollback)", async () => {
        const { result } = await run("approval-times-out");
        expect(result.report.outcome).to.equal("rolled-back");
        expect(result.report.steps.at(-1)).to.include({ cause: "approval-timeout", weight: 0.5 });
        expect(result.report.steps.at(-1)!.reason).to.equal("step 3/3 100% was not approved within 30 min");
        expect(result.safety.traffic).to.deep.equal({ api: "v1 100%" });
    });

    it("an approval that comes when nothing is waiting is refused, as the CLI refuses it, and changes nothing", async () => {
        const log = memoryLog();
        const scenario = parseScenario(
            { ...readScenario(path.join(PROJECT_ROOT, "scenarios", "healthy.json")), faults: [{ kind: "approve", atMinute: 5 }] },
            "x.json",
        );
        const result = await rehearse({ stack: "prod", scenario, log });
        expect(log.lines.join("\n")).to.match(
            /\[min 5\] operator: {3}refused: cannot approve on stack prod: api: nothing is waiting for approval \(v2: step 1\/3 at 10% baking/,
        );
        expect(result.report.outcome).to.equal("promoted");
    });

    it("every operator scenario ends as it expects, safe (npm run rehearse:operators)", async () => {
        const rows = await rehearseFolder(DIR, "prod", APPROVAL_CONFIG);
        expect(rows.length).to.equal(7);
        for (const r of rows) {
            expect(r.safe, `${r.scenario}: ${r.safetyWhy}`).to.equal(true);
            expect([r.outcome, r.exitCode], r.scenario).to.deep.equal([r.expected!.outcome, r.expected!.exitCode]);
        }
    });
});

describe("severity bands in a rehearsal", function () {
    this.timeout(120_000);

    it("a candidate failing every call is an incident: rolled back in the first poll, the report says incident", async () => {
        const scenario = parseScenario(
            {
                name: "total-failure",
                seed: 5,
                requestsPerMinute: 300,
                functions: {
                    "*": {
                        stable: { errorRate: 0.002, p50Ms: 80, p99Ms: 400 },
                        candidate: { errorRate: 1, p50Ms: 80, p99Ms: 400 },
                        smokeTest: "pass",
                    },
                },
            },
            "x.json",
        );
        const result = await rehearse({ stack: "prod", scenario, log: memoryLog() });
        expect(result.report.outcome).to.equal("rolled-back");
        expect(result.report.steps[0]).to.include({ verdict: "failed", severity: "incident" });
        expect(result.report.incident).to.include({ band: "incident" });
        expect(result.report.decisionAtMinute).to.be.below(4);
        // The top band pages: prod's SNS topic gets the rollback as an incident, with a `severity` to filter on.
        const rolledBack = result.account.snsPublishes().find((p) => p.attributes.event === "rolled-back")!;
        expect(rolledBack.subject).to.match(/^INCIDENT: lambda-rollout prod: rolled back/);
        expect(rolledBack.attributes.severity).to.equal("incident");
    });

    it("bad-canary (5% against 0.2%, 30 errors of 600): the gate fails it; its bound (0.6%) is in the monitor band, which never weakens a failed gate", async () => {
        const result = await rehearse({
            stack: "prod",
            scenario: readScenario(path.join(PROJECT_ROOT, "scenarios", "bad-canary.json")),
            log: memoryLog(),
        });
        expect(result.report.steps.at(-1)).to.include({ verdict: "failed" });
        expect(result.report.steps.at(-1)!.severity).to.equal("monitor");
        expect(result.report.outcome).to.equal("rolled-back");
        expect(result.report.incident).to.equal(undefined);
    });
});

describe("the 100% bake when Lambda publishes no ExecutedVersion series for an alias without weights", function () {
    this.timeout(120_000);

    it("a healthy candidate is promoted on the alias-level series (it was extended, then rolled back for no data)", async () => {
        const result = await rehearse({
            stack: "prod",
            scenario: readScenario(path.join(PROJECT_ROOT, "scenarios", "executed-version-absent.json")),
            log: memoryLog(),
        });
        expect(result.report.outcome).to.equal("promoted");
        expect(result.report.steps.map((s) => s.verdict)).to.deep.equal(["passed", "passed", "passed"]);
        expect(result.report.steps[2].numbers!.api.candidateInvocations).to.be.greaterThan(4000);
    });

    it("a candidate that degrades at 100% is rolled back for its errors, read on the alias-level series", async () => {
        const healthy = readScenario(path.join(PROJECT_ROOT, "scenarios", "executed-version-absent.json"));
        const profile = { errorRate: 0.002, p50Ms: 80, p99Ms: 400 };
        const scenario = parseScenario(
            {
                ...healthy,
                functions: {
                    "*": {
                        stable: profile,
                        candidate: [
                            { fromMinute: 0, ...profile },
                            { fromMinute: 24, ...profile, errorRate: 0.05 },
                        ],
                    },
                },
                expect: undefined,
            },
            "x.json",
        );
        const result = await rehearse({ stack: "prod", scenario, log: memoryLog() });
        expect(result.report.outcome).to.equal("rolled-back");
        expect(result.report.steps.at(-1)).to.include({ weight: 1, verdict: "failed" });
        expect(result.report.steps.at(-1)!.cause).to.not.equal("no-data");
    });
});
