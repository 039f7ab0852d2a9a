import { expect } from "chai";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { runCli } from "../../helpers/cli";

describe("promote --strategy: an override the stack has no config for", function () {
    this.timeout(120_000);

    it("`--strategy canary` on staging (blue-green) exits 2 naming `lambda-rollout:rollout.canary`, before the Pulumi CLI is called", async () => {
        const log = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "lambda-rollout-strategy-")), "pulumi.jsonl");
        for (const flags of [["--dry-run"], ["-y"]]) {
            const r = await runCli(["promote", "-s", "staging", "--strategy", "canary", ...flags], { fakePulumiLog: log });
            expect(r.code, r.stderr).to.equal(2);
            expect(r.stderr).to.contain(
                'error: `--strategy canary`: stack staging has no config for it: `lambda-rollout:rollout.canary` is required when strategy is "canary"',
            );
        }
        expect(fs.existsSync(log), "the stand-in pulumi was called").to.equal(false);
    });
});
