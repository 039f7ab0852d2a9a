import { expect } from "chai";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { PROJECT_ROOT } from "../../../automation/engine/evaluate";
import { rehearseFolder, type MatrixRow } from "../../../automation/rehearsal/matrix";
import { rehearse } from "../../../automation/rehearsal/rehearse";
import { readScenario } from "../../../automation/rehearsal/scenario";
import { memoryLog } from "../../helpers/fakes";

const scenario = (name: string) => readScenario(path.join(PROJECT_ROOT, "scenarios", "faults", `${name}.json`));

/** The cases where no safe end is possible and the promise is to say so: no path to AWS, a record nobody can read. */
const SAID_SO = ["credentials-expire", "record-corrupt-then-killed"];

describe("the fault matrix (npm run rehearse:faults: real program, real promote, simulated AWS)", function () {
    this.timeout(120_000);
    let rows: MatrixRow[] = [];

    before(async () => {
        rows = await rehearseFolder(path.join(PROJECT_ROOT, "scenarios", "faults"), "prod");
    });

    it("every case ends with traffic on stable, or fully promoted after every gate passed; never on a candidate whose gate failed or never ran", () => {
        expect(rows.length).to.be.at.least(10);
        for (const r of rows.filter((x) => !SAID_SO.includes(x.scenario))) expect(r.safe, `${r.scenario}: ${r.safetyWhy}`).to.equal(true);
    });

    it("a record that cannot be read holds the run where it is and says so (its text, the stable the stack's history names, the commands), exit 3", () => {
        const r = rows.find((x) => x.scenario === "record-corrupt-then-killed")!;
        expect(r).to.deep.include({ safe: false, saidSo: true, heldBy: "unreadable-record", outcome: "failed", exitCode: 3 });
    });

    it("when no path to AWS works (credentials expired for every call and every up), the report says so: traffic unknown, the command to run, exit 3", () => {
        const r = rows.find((x) => x.scenario === "credentials-expire")!;
        expect(r).to.deep.include({ safe: false, saidSo: true, heldBy: "no-path-to-aws", outcome: "failed", exitCode: 3 });
    });

    it("the report file survives every case, kills included, and records the final outcome", () => {
        for (const r of rows) expect(r.reportKept, r.scenario).to.equal(true);
    });

    it("every case ends as its scenario expects (outcome and exit code)", () => {
        for (const r of rows) expect(r.problems, r.scenario).to.deep.equal([]);
    });
});

describe("fault rehearsals the issue names", function () {
    this.timeout(60_000);

    it("a candidate failing 5% from minute 28, the promote killed at minute 29 (in the last bake): rolled back (exit 1), v1 still named stable", async () => {
        const { report, exitCode, safety } = await rehearse({ stack: "prod", scenario: scenario("killed-in-last-bake"), log: memoryLog() });
        expect(exitCode).to.equal(1);
        expect(report.outcome).to.equal("rolled-back");
        expect(report.functions.api).to.deep.include({ stable: "1", candidate: "2", finalRouting: { "1": 1 } });
        expect(safety.traffic).to.deep.equal({ api: "v1 100%" });
        expect(report.steps.map((s) => [s.weight, s.verdict])).to.deep.equal([
            [0.1, "passed"],
            [0.5, "passed"],
            [1, "interrupted"],
            [1, "failed"],
        ]);
    });

    it("SIGINT at minute 15: traffic on stable within 10 virtual seconds, outcome aborted, exit 130", async () => {
        const { report, exitCode, safety } = await rehearse({ stack: "prod", scenario: scenario("interrupt-sigint"), log: memoryLog() });
        expect(exitCode).to.equal(130);
        expect(report.outcome).to.equal("aborted");
        expect(report.interrupt).to.equal("SIGINT");
        expect(report.stableAtMinute! - 15).to.be.at.most(10 / 60);
        expect(safety.traffic).to.deep.equal({ api: "v1 100%" });
    });

    it("a CI cancel (SIGTERM, SIGKILL 10 s later) while an up is in flight: the up is cancelled and traffic is on stable before the SIGKILL", async () => {
        const log = memoryLog();
        const { report, exitCode } = await rehearse({ stack: "prod", scenario: scenario("interrupt-ci-cancel"), log });
        expect(exitCode).to.equal(143);
        expect(report.outcome).to.equal("aborted");
        expect(report.stableAtMinute! - 12.4).to.be.at.most(10 / 60);
        expect(log.lines.join("\n")).not.to.contain("KILLED");
    });

    it("killed right after a rollback decision, before anything moved: the second run completes the recorded rollback", async () => {
        const log = memoryLog();
        const { report, exitCode } = await rehearse({ stack: "prod", scenario: scenario("killed-after-rollback-decision"), log });
        expect(exitCode).to.equal(1);
        expect(report.outcome).to.equal("rolled-back");
        expect(log.lines.join("\n")).to.match(/a rollback was decided at .* and may not have been carried out: completing it/);
    });

    it("a rehearsal is the same on every run: same scenario and seed, same report", async () => {
        const a = await rehearse({ stack: "prod", scenario: scenario("killed-in-last-bake"), log: memoryLog() });
        const b = await rehearse({ stack: "prod", scenario: scenario("killed-in-last-bake"), log: memoryLog() });
        expect(a.report).to.deep.equal(b.report);
    });
});

describe("the countdown only draws: a rehearsal on a terminal gives the report it gives in a pipe", function () {
    this.timeout(120_000);

    it("bad-canary under `script` (a pseudo-terminal) and piped: the same report", function () {
        const script = spawnSync("sh", ["-c", "command -v script"], { encoding: "utf8" });
        if (script.status !== 0) this.skip(); // util-linux's `script` gives the pseudo-terminal; without it there is no terminal to compare
        const tsx = path.join(PROJECT_ROOT, "node_modules", "tsx", "dist", "cli.mjs");
        const command = `"${process.execPath}" "${tsx}" automation/cli.ts rehearse --stack prod --scenario scenarios/bad-canary.json --json`;
        const env = { PATH: `${path.dirname(process.execPath)}:/usr/bin:/bin`, HOME: os.tmpdir() };
        const piped = spawnSync("sh", ["-c", command], { cwd: PROJECT_ROOT, env, encoding: "utf8", timeout: 60_000 });
        const onTty = spawnSync("script", ["-qec", command, "/dev/null"], { cwd: PROJECT_ROOT, env, encoding: "utf8", timeout: 60_000 });
        const lastJson = (out: string) =>
            out
                .replace(/\r/g, "")
                .split("\n")
                .filter((l) => l.startsWith("{"))
                .at(-1)!;
        expect(JSON.parse(lastJson(onTty.stdout))).to.deep.equal(JSON.parse(lastJson(piped.stdout)));
        expect(JSON.parse(lastJson(piped.stdout)).outcome).to.equal("rolled-back");
    });
});

describe("rehearse-all holds each scenario to its `expect`", function () {
    this.timeout(60_000);

    it("a shipped scenario whose expected outcome is changed to a wrong one breaks the row (and the CLI exits 1)", async () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "lambda-rollout-expect-"));
        const bad = JSON.parse(fs.readFileSync(path.join(PROJECT_ROOT, "scenarios", "bad-canary.json"), "utf8"));
        bad.expect = { outcome: "promoted", exitCode: 0 };
        fs.writeFileSync(path.join(dir, "bad-canary.json"), JSON.stringify(bad));
        const rows = await rehearseFolder(dir, "prod");
        expect(rows[0].problems).to.deep.equal(["expected promoted, got rolled-back", "expected exit 0, got 1"]);
        const tsx = path.join(PROJECT_ROOT, "node_modules", "tsx", "dist", "cli.mjs");
        const r = spawnSync(process.execPath, [tsx, "automation/cli.ts", "rehearse-all", "--stack", "prod", "--dir", dir], {
            cwd: PROJECT_ROOT,
            encoding: "utf8",
            timeout: 60_000,
        });
        expect(r.status).to.equal(1);
        expect(r.stdout).to.contain("BROKEN bad-canary: expected promoted, got rolled-back; expected exit 0, got 1");
        fs.rmSync(dir, { recursive: true, force: true });
    });
});
