import { expect } from "chai";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { runCli } from "../../helpers/cli";

/** A fresh path for the stand-in pulumi's log of calls. */
function pulumiLog(): string {
    return path.join(fs.mkdtempSync(path.join(os.tmpdir(), "lambda-rollout-prune-")), "calls.jsonl");
}

const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => String(from + i));

describe("lambda-rollout prune and retention on the command line", function () {
    this.timeout(120_000);

    it("a promotion rehearsed on an account of 25 versions prunes all but the newest 10 when afterPromotion is set", async () => {
        const r = await runCli([
            "rehearse",
            "-s",
            "prod",
            "--scenario",
            "tests/fixtures/prune-25-versions.json",
            "--config-file",
            "tests/fixtures/retention-after-promotion.yaml",
            "--json",
        ]);
        expect(r.code, r.stderr).to.equal(0);
        const report = JSON.parse(r.stdout);
        expect(report.outcome).to.equal("promoted");
        // v24 (the old stable) and v25 (the promoted candidate) are among the newest 10: only history goes.
        expect(report.pruned).to.deep.equal({ api: range(1, 15) });
        expect(report.warnings ?? []).to.deep.equal([]);
        // Lines for people are wrapped to the terminal's width: compare them unwrapped.
        const printed = r.stderr.replace(/\s+/g, " ");
        const deleting = range(1, 15).map((v) => `v${v}`);
        expect(printed).to.contain(`api (lambda-rollout-prod-api): 25 published, deleting 15: ${deleting.join(", ")}`);
        expect(printed).to.contain(" kept v25: newest 10; routed by alias live (100%) kept v16-v24: newest 10 ");
        expect(printed).to.contain("api: deleted v15");
    });

    it("the same rehearsal without retention.afterPromotion deletes nothing", async () => {
        const r = await runCli(["rehearse", "-s", "prod", "--scenario", "tests/fixtures/prune-25-versions.json", "--json"]);
        expect(r.code, r.stderr).to.equal(0);
        const report = JSON.parse(r.stdout);
        expect(report.outcome).to.equal("promoted");
        expect(report).not.to.have.property("pruned");
        expect(r.stderr).not.to.contain("deleted v");
    });

    it("prune asks before it deletes: with --non-interactive and no -y it refuses, exit 2, without asking pulumi anything", async () => {
        const log = pulumiLog();
        const r = await runCli(["prune", "-s", "prod", "--non-interactive"], { fakePulumiLog: log });
        expect(r.code).to.equal(2);
        expect(r.stderr).to.contain("--non-interactive: prune would ask before it deletes versions, and nobody can answer; pass -y/--yes");
        expect(fs.existsSync(log)).to.equal(false);
    });

    it("prune --dry-run on a stack never deployed says so and exits 2 (the stand-in pulumi has no outputs)", async () => {
        const log = pulumiLog();
        const r = await runCli(["prune", "-s", "prod", "--dry-run"], { fakePulumiLog: log });
        expect(r.code, r.stderr).to.equal(2);
        expect(r.stderr).to.contain("error: stack prod has no outputs yet: deploy it first with `pulumi up --stack prod`");
        expect(fs.existsSync(log)).to.equal(true);
    });

    it("a retention that keeps too few versions exits 2 naming the key and what is valid, before pulumi is asked", async () => {
        const log = pulumiLog();
        const r = await runCli(["prune", "-s", "prod", "--dry-run", "--config-file", "tests/fixtures/retention-keep-1.yaml"], {
            fakePulumiLog: log,
        });
        expect(r.code).to.equal(2);
        expect(r.stderr).to.contain(
            "`lambda-rollout:retention.keep` (got 1): must be at least 2 (the newest version and one before it, so `rollback` has a version to go back to)",
        );
        expect(r.stderr).not.to.match(/\n\s+at /);
        expect(fs.existsSync(log)).to.equal(false);
    });

    it("a scenario's `versions` below 2 is refused, naming the field", async () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "lambda-rollout-prune-scenario-"));
        const file = path.join(dir, "one-version.json");
        const scenario = JSON.parse(fs.readFileSync("tests/fixtures/prune-25-versions.json", "utf8"));
        fs.writeFileSync(file, JSON.stringify({ ...scenario, versions: 1 }));
        const r = await runCli(["rehearse", "-s", "prod", "--scenario", file]);
        expect(r.code).to.equal(2);
        expect(r.stderr).to.contain("`versions`: must be a whole number of published versions, from 2 to 1000");
    });
});
