import { expect } from "chai";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { runCli } from "../../helpers/cli";

/** The verbs that take `--report`, with what each needs besides it. */
const REPORTING: [verb: string, extra: string[]][] = [
    ["promote", ["--yes"]],
    ["retry", ["--yes"]],
    ["rollback", ["--yes"]],
    ["prune", ["--yes"]],
    ["rehearse", ["--scenario", "scenarios/healthy.json"]],
];

describe("`--report` and the numbers on the command line are checked before anything is touched", function () {
    this.timeout(180_000);
    let dir: string;
    beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), "lambda-rollout-report-cli-"))));
    afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

    it("a --report under /proc (which made the tool spin for ten minutes) is exit 2 naming `--report` at once, in every verb", async () => {
        const log = path.join(dir, "pulumi.jsonl");
        const runs = await Promise.all(
            REPORTING.map(async ([verb, extra]) => {
                const started = Date.now();
                const r = await runCli([verb, "-s", "prod", ...extra, "--report", "/proc/self/nope/report.json"], { fakePulumiLog: log });
                return { verb, r, ms: Date.now() - started };
            }),
        );
        for (const { verb, r, ms } of runs) {
            expect(r.code, `${verb}: ${r.stderr}`).to.equal(2);
            expect(r.stderr, verb).to.match(
                /^error: `--report` \(got "\/proc\/self\/nope\/report\.json"\): cannot be written: ENOENT.*; name a file in a folder you can write\n$/,
            );
            expect(ms, `${verb} took`).to.be.below(60_000);
        }
        // Nothing was asked of the Pulumi CLI, so nothing of the stack or of AWS was read or moved.
        expect(fs.existsSync(log)).to.equal(false);
    });

    it("a --report that is a folder is exit 2 before anything is read", async () => {
        const refused = await runCli(["rehearse", "-s", "prod", "--scenario", "scenarios/healthy.json", "--report", dir]);
        expect(refused.code).to.equal(2);
        expect(refused.stderr).to.contain(`\`--report\` (got ${JSON.stringify(dir)}): EISDIR: the path is a directory`);
        expect(refused.stdout).not.to.contain("rehearsing");
    });

    it("status --interval is bounded (1 s to an hour) and rollback --to must be a version number: exit 2 naming the flag", async () => {
        const interval = await runCli(["status", "-s", "prod", "--watch", "--interval", "86400"]);
        expect(interval.code).to.equal(2);
        expect(interval.stderr).to.equal('error: `--interval` must be a number of seconds from 1 to 3600 (an hour): got "86400"\n');
        const to = await runCli(["rollback", "-s", "prod", "--yes", "--to", "$LATEST"]);
        expect(to.code).to.equal(2);
        expect(to.stderr).to.equal('error: `--to` (got "$LATEST"): must be a published version\'s number, e.g. 7\n');
    });
});
