import { expect } from "chai";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { PROJECT_ROOT } from "../../../automation/engine/evaluate";
import { COMPILED_CLI, ensureCompiled } from "../../helpers/compiled";

/** Runs the CLI as a user would (the compiled command), with a PATH that has node but no pulumi. */
function cli(args: string[]) {
    ensureCompiled();
    const out = spawnSync(process.execPath, [COMPILED_CLI, ...args], {
        cwd: PROJECT_ROOT,
        // PULUMI_HOME: a folder with no workspaces, so no stack selected on this machine stands in for --stack.
        env: {
            PATH: path.dirname(process.execPath),
            HOME: os.tmpdir(),
            AWS_REGION: "us-east-1",
            PULUMI_HOME: path.join(os.tmpdir(), `lambda-rollout-no-pulumi-home-${process.pid}`),
        },
        encoding: "utf8",
        timeout: 60_000,
    });
    return { code: out.status, stdout: out.stdout, stderr: out.stderr };
}

describe("the command line", function () {
    this.timeout(90_000);

    it("promote without a Pulumi CLI says plainly that it is needed, exits 3, and prints no stack trace", () => {
        const r = cli(["promote", "--stack", "prod", "--yes"]);
        expect(r.code).to.equal(3);
        expect(r.stderr).to.contain("the Pulumi CLI is needed for real stacks");
        expect(r.stderr).to.contain("lambda-rollout rehearse");
        expect(r.stderr).not.to.match(/\n\s+at /);
    });

    it("rehearse --json prints only the report on stdout (people's lines on stderr) and exits 1 when a gate rolled back", () => {
        const report = path.join(os.tmpdir(), `lambda-rollout-report-${process.pid}.json`);
        const r = cli(["rehearse", "--stack", "prod", "--scenario", "scenarios/bad-canary.json", "--json", "--report", report]);
        expect(r.code).to.equal(1);
        const last = JSON.parse(r.stdout);
        expect(last).to.include({ outcome: "rolled-back", stack: "prod", strategy: "canary" });
        expect(Object.keys(last)).to.include.members(["functions", "steps", "decisionAtMinute", "durationMinutes", "requests"]);
        expect(JSON.parse(fs.readFileSync(report, "utf8"))).to.deep.equal(last);
        fs.rmSync(report);
        expect(r.stderr).to.contain("ROLLED-BACK: traffic now api v1 100%");
    });

    it("a config file with a weight of 120 exits 2 naming the key, and declares nothing", () => {
        const r = cli(["plan", "--stack", "prod", "--config-file", "tests/fixtures/weight-120.yaml"]);
        expect(r.code).to.equal(2);
        expect(r.stderr).to.contain(
            "`lambda-rollout:rollout.canary.steps[1].weight` (got 120): must be at most 100 (percent of traffic to the candidate)",
        );
        expect(r.stdout).to.equal("");
    });

    it("an unknown stack is a usage error naming the missing file", () => {
        const r = cli(["status", "--stack", "qa"]);
        expect(r.code).to.equal(2);
        expect(r.stderr).to.contain('no stack "qa" in project lambda-rollout');
        expect(r.stderr).to.contain("its stacks: dev, prod, prod-ap-southeast-1, prod-eu-west-1, prod-us-east-1, staging");
    });

    it("with no --stack, no PULUMI_STACK and no selected stack, promote is a usage error that says how to name one", () => {
        const r = cli(["promote"]);
        expect(r.code).to.equal(2);
        expect(r.stderr).to.contain("error: no stack selected: pass -s/--stack, set PULUMI_STACK, or run `pulumi stack select`");
    });
});
