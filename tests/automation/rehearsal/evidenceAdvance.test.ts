import { expect } from "chai";
import * as path from "path";
import { PROJECT_ROOT } from "../../../automation/engine/evaluate";
import { rehearseFolder } from "../../../automation/rehearsal/matrix";
import { rehearse } from "../../../automation/rehearsal/rehearse";
import { readScenario } from "../../../automation/rehearsal/scenario";
import { boundary } from "../../../automation/rollout/sequential";
import { ACCEPTANCE_BETA } from "../../../automation/rollout/sufficiency";
import { memoryLog } from "../../helpers/fakes";

const DIR = path.join(PROJECT_ROOT, "scenarios", "evidence");
const EVIDENCE_CONFIG = path.join(DIR, "prod-evidence.yaml");
const scenario = (name: string) => readScenario(path.join(DIR, `${name}.json`));

describe("advance: evidence, rehearsed (real program, real promote, simulated AWS; scenarios/evidence on prod-evidence.yaml)", function () {
    this.timeout(120_000);

    it("a healthy candidate at 2,000 requests a minute is promoted, each step moving on once the evidence excludes the next weight's must-catch; its duration in the report", async () => {
        const { report, exitCode } = await rehearse({
            stack: "prod",
            scenario: scenario("healthy-2000rpm"),
            configFile: EVIDENCE_CONFIG,
            log: memoryLog(),
        });
        expect([report.outcome, exitCode]).to.deep.equal(["promoted", 0]);
        expect(report.durationMinutes).to.be.within(36, 40);
        expect(report.steps.map((s) => [s.weight, s.verdict])).to.deep.equal([
            [0.1, "passed"],
            [0.5, "passed"],
            [1, "passed"],
        ]);
        expect(report.steps[0].reason).to.match(
            /the evidence excludes the must-catch of the next step at 50% \(stable's rate \+ 1 points\)/,
        );
        expect(report.steps[2].reason).to.match(/the evidence excludes the must-catch regression \(stable's rate \+ 0.5 points\)/);
        for (const s of report.steps) expect(s.numbers!.api.acceptanceLogRatio).to.be.at.least(boundary(ACCEPTANCE_BETA));
        // Stated before traffic moved, at the scenario's rate: every step on time.
        expect(report.power![0]).to.include({
            function: "api",
            requestsPerMinute: 2000,
            advance: "evidence",
            source: "scenario healthy-2000rpm",
        });
        expect(report.power![0].steps.map((s) => s.outlook)).to.deep.equal(["on-time", "on-time", "on-time"]);
    });

    it("1.5% against 0.5% at 200 requests a minute never leaves 10% (it is never shown under +1 point), and fails fewer requests than with advance: time", async () => {
        const held = await rehearse({
            stack: "prod",
            scenario: scenario("subtle-regression-held-at-10"),
            configFile: EVIDENCE_CONFIG,
            log: memoryLog(),
        });
        expect([held.report.outcome, held.exitCode]).to.deep.equal(["rolled-back", 1]);
        expect(held.report.steps.map((s) => s.weight)).to.deep.equal([0.1]);
        const onTime = await rehearse({ stack: "prod", scenario: scenario("subtle-regression-held-at-10"), log: memoryLog() });
        expect(onTime.report.outcome).to.equal("rolled-back");
        expect(onTime.report.steps.map((s) => s.weight)).to.include(0.5);
        expect(held.report.requests!.candidateErrors).to.be.below(onTime.report.requests!.candidateErrors);
    });

    it("every evidence scenario ends as it expects, safe (npm run rehearse:evidence)", async () => {
        const rows = await rehearseFolder(DIR, "prod", EVIDENCE_CONFIG);
        expect(rows.map((r) => path.basename(r.scenario))).to.have.length(2);
        for (const r of rows) {
            expect(r.safe, `${r.scenario}: ${r.safetyWhy}`).to.equal(true);
            expect([r.outcome, r.exitCode], r.scenario).to.deep.equal([r.expected!.outcome, r.expected!.exitCode]);
        }
    });
});
