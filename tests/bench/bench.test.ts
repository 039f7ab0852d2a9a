import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { expect } from "chai";
import { InvokeCommand } from "@aws-sdk/client-lambda";
import { assemble, cellFor, runRow, type MatrixSpec, type RowResult } from "../../bench/bench";
import { markdown } from "../../bench/report";
import { buildWorld, recordDeploys, type DeployTemplate } from "../../bench/world";
import { PROJECT_ROOT } from "../../automation/engine/evaluate";

describe("the gates benchmark (bench/), on a tiny matrix", function () {
    this.timeout(60_000);
    let template: DeployTemplate;
    const rows: RowResult[] = [];
    const spec: MatrixSpec = {
        stableErrorRates: [0.001, 0.005],
        candidates: ["x1", "x3", "100%", "p99 8s"],
        requestsPerMinute: [200, 2000],
        seeds: [101],
        metricDelayMinutes: 2,
    };
    const row = (stable: number, candidate: string, rpm: number) =>
        rows.find((r) => r.cell.stableErrorRate === stable && r.cell.candidateLabel === candidate && r.cell.requestsPerMinute === rpm)!;

    before(async () => {
        template = await recordDeploys("prod");
        const cells = [
            cellFor(0.001, "x1", 200, 2, 6000),
            cellFor(0.005, "x3", 2000, 2, 6000),
            cellFor(0.005, "100%", 200, 2, 6000),
            cellFor(0.001, "p99 8s", 2000, 2, 6000),
        ];
        for (const cell of cells) rows.push(await runRow(template, cell, 101));
    });

    it("classifies cells as the issue does: bad is >= 3x stable and >= 1 point above; a p99 over the limit is bad", () => {
        expect(cellFor(0.005, "x3", 200, 2, 6000).kind).to.equal("bad");
        expect(cellFor(0.001, "x3", 200, 2, 6000).kind).to.equal("marginal");
        expect(cellFor(0.001, "x10", 200, 2, 6000).kind).to.equal("marginal");
        expect(cellFor(0.01, "x1", 200, 2, 6000).kind).to.equal("healthy");
        expect(cellFor(0.001, "p99 8s", 200, 2, 6000)).to.include({ kind: "bad", regression: "latency" });
    });

    it("a healthy candidate at 200 rpm is promoted by every policy, ours on time after the bakes and their last minutes, ours on evidence later", () => {
        const r = row(0.001, "x1", 200);
        for (const id of ["runbook", "codedeploy", "ours", "oursEvidence"]) expect(r.runs[id].outcome, id).to.equal("promoted");
        // Each step: the 45 s up, the 10-minute bake, its last minute's metrics (2 minutes late) and the poll.
        expect(r.runs.ours.endMinute).to.be.within(36, 36.2);
        // At 20 candidate requests a minute, 10% needs about 10 minutes past its bake to show +1 point excluded
        // over stable's 0.1%: within prod's 15-minute extension, so it waits and moves on.
        expect(r.runs.oursEvidence.endMinute).to.be.within(40, 51.2);
        expect(r.runs.oursEvidence.reason).to.match(/the evidence excludes the must-catch regression/);
        expect(r.oracle, "no oracle for a row without an error regression").to.equal(undefined);
    });

    it("the oracle SPRT on the schedule (the second reference line) runs for error regressions and rolls back a broken candidate at once", () => {
        const broken = row(0.005, "100%", 200);
        expect(broken.oracle).to.include({ outcome: "rolled-back" });
        expect(broken.oracle!.decisionMinute).to.be.below(5);
        const x3 = row(0.005, "x3", 2000);
        expect(x3.oracle!.outcome).to.equal("rolled-back");
        expect(x3.oracle!.blastRadius).to.be.at.most(x3.runs.ours.blastRadius);
    });

    it("CodeDeploy's alias alarm misses a x3 candidate at 2000 rpm (diluted under 1% a minute) that ours rolls back", () => {
        const r = row(0.005, "x3", 2000);
        expect(r.runs.codedeploy.outcome).to.equal("promoted");
        expect(r.runs.ours.outcome).to.equal("rolled-back");
        expect(r.runs.ours.blastRadius).to.be.below(r.runs.codedeploy.blastRadius / 5);
    });

    it("a broken candidate is rolled back by all three; ours within minutes, well under the runbook's 10-minute bake", () => {
        const r = row(0.005, "100%", 200);
        for (const id of ["runbook", "codedeploy", "ours"]) expect(r.runs[id].outcome, id).to.equal("rolled-back");
        expect(r.runs.ours.decisionMinute).to.be.below(6);
        expect(r.runs.ours.blastRadius).to.be.below(r.runs.runbook.blastRadius / 2);
    });

    it("the smoke test stops a candidate that fails every request before any traffic; without it (the what-if) the gates roll it back later", () => {
        const r = row(0.005, "100%", 200);
        expect(r.runs.ours).to.include({ outcome: "rolled-back", blastRadius: 0 });
        expect(r.runs.ours.reason).to.match(/^smoke test of api v\d+ failed 3 of 3 attempts: function error \(Unhandled\)/);
        expect(r.runs.ours.decisionMinute).to.be.below(1);
        expect(r.runs.oursNoSmoke.outcome).to.equal("rolled-back");
        expect(r.runs.oursNoSmoke.reason).to.not.match(/smoke test/);
        expect(r.runs.oursNoSmoke.blastRadius).to.be.above(0);
    });

    it("the what-if without the smoke test runs the same gates: same outcome as ours where the smoke test passes", () => {
        for (const [stable, candidate, rpm] of [
            [0.001, "x1", 200],
            [0.005, "x3", 2000],
            [0.001, "p99 8s", 2000],
        ] as const) {
            const r = row(stable, candidate, rpm);
            expect(r.runs.ours.reason, candidate).to.not.match(/smoke test/);
            expect(r.runs.oursNoSmoke, candidate).to.deep.equal(r.runs.ours);
        }
    });

    it("a row's world: the candidate's direct invocation fails as often as its requests, per seed; stable's hour of history is there", async () => {
        const spec = {
            seed: 7,
            requestsPerMinute: 200,
            metricDelayMinutes: 2,
            stable: { errorRate: 0.01, p50Ms: 80, p99Ms: 400 },
            candidate: { errorRate: 0.3, p50Ms: 80, p99Ms: 400 },
        };
        const failures = async (seed: number) => {
            const world = buildWorld(template, { ...spec, seed });
            const failed: boolean[] = [];
            for (const version of [world.candidateVersion, world.stableVersion]) {
                for (let i = 0; i < 400; i++) {
                    const out = await world.sim.lambda.send(
                        new InvokeCommand({
                            FunctionName: world.functionName,
                            Qualifier: version,
                            Payload: new TextEncoder().encode("{}"),
                        }),
                    );
                    failed.push(out.FunctionError !== undefined);
                }
            }
            return { world, candidate: failed.slice(0, 400), stable: failed.slice(400) };
        };
        const a = await failures(7);
        expect(a.candidate.filter(Boolean).length / 400).to.be.within(0.24, 0.36);
        expect(a.stable.filter(Boolean)).to.have.length(0);
        expect((await failures(7)).candidate).to.deep.equal(a.candidate);
        expect((await failures(8)).candidate).to.not.deep.equal(a.candidate);
        const history = a.world.sim.historyCounts(a.world.functionName);
        expect(history.byVersion[a.world.stableVersion].requests).to.be.within(11_400, 12_600);
        expect(history.byVersion[a.world.candidateVersion]).to.equal(undefined);
        expect(a.world.sim.requestCounts(a.world.functionName).total).to.equal(0);
    });

    it("a latency regression escapes the error-only baselines and not ours", () => {
        const r = row(0.001, "p99 8s", 2000);
        expect(r.runs.runbook.outcome).to.equal("promoted");
        expect(r.runs.codedeploy.outcome).to.equal("promoted");
        expect(r.runs.ours.outcome).to.equal("rolled-back");
    });

    it("counts the blast radius to the same 60-minute horizon for every policy: an escape keeps counting", () => {
        const r = row(0.005, "x3", 2000);
        // Promoted at minute 5, the candidate serves all 2000 rpm to minute 60: about 0.015 * 2000 * 55.
        expect(r.runs.codedeploy.blastRadius).to.be.within(1300, 2100);
        expect(r.runs.codedeploy.candidateRequests).to.be.above(100_000);
    });

    it("reports the matrix as markdown: the summary side by side, the targets and one line per cell", () => {
        const result = assemble(template, spec, "npm run bench:gates -- --quick", rows, 1);
        const md = markdown(result);
        expect(md).to.contain(
            "| rows | metric | (a) runbook | (b) CodeDeploy | ours, advance: time | ours, advance: evidence | what-if: ours (time) without the smoke test | ours(time)/(a) | ours(time)/(b) |",
        );
        expect(md).to.contain("ref (1) schedule-free | ref (2) on the schedule | time/ref1 | time/ref2 | evidence/ref1 | evidence/ref2");
        expect(md).to.contain("## Targets");
        expect(md).to.match(
            /^- (MET|NOT MET): ours \(advance: evidence\): median blast radius within 1.5x of the schedule-free reference line/m,
        );
        const cellLines = md.split("\n").filter((l) => /^\| [\d.]+% \| /.test(l));
        expect(cellLines).to.have.length(4);
        const x3 = result.cells.find((c) => c.cell.candidateLabel === "x3")!;
        expect(x3.reference!.requests).to.be.within(1200, 1400);
        expect(x3.scheduleReference!.runs).to.equal(1);
        expect(result.targets.map((t) => t.target)).to.include.members([
            "ours (advance: time): no escapes of bad error-rate candidates at >= 200 rpm",
            "ours (advance: evidence): no escapes of bad error-rate candidates at >= 200 rpm",
        ]);
        expect(JSON.parse(JSON.stringify(result)).rows).to.have.length(4);
    });
});

describe("npm run bench:gates options (bench/gates.ts)", function () {
    this.timeout(60_000);
    const bench = (...args: string[]) => {
        const tsx = path.join(PROJECT_ROOT, "node_modules", "tsx", "dist", "cli.mjs");
        return spawnSync(process.execPath, [tsx, path.join(PROJECT_ROOT, "bench", "gates.ts"), ...args], { encoding: "utf8" });
    };

    it("refuses a value outside the matrix, naming the option and what is valid, and writes nothing", () => {
        const out = bench("--candidates", "x3,x4", "--out", path.join(os.tmpdir(), "bench-refused"));
        expect(out.status).to.equal(2);
        expect(out.stderr).to.contain("--candidates: x4 not in the matrix (valid: x1, x1.5, x3, x10, 100%, p99 8s)");
        expect(fs.existsSync(path.join(os.tmpdir(), "bench-refused", "gates.json"))).to.equal(false);
    });

    it("runs one cell with its own seeds and says so in the report", () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "bench-cell-"));
        const out = bench("--stable", "0.5", "--candidates", "x3", "--rpm", "200", "--seeds", "2", "--jobs", "1", "--out", dir);
        expect(out.status, out.stderr).to.equal(0);
        const result = JSON.parse(fs.readFileSync(path.join(dir, "gates.json"), "utf8"));
        expect(result.command).to.equal("npm run bench:gates -- --stable 0.5 --candidates x3 --rpm 200 --seeds 2");
        expect(
            result.cells.map((c: { cell: { candidateLabel: string; requestsPerMinute: number; stableErrorRate: number } }) => [
                c.cell.stableErrorRate,
                c.cell.candidateLabel,
                c.cell.requestsPerMinute,
            ]),
        ).to.deep.equal([[0.005, "x3", 200]]);
    });
});
