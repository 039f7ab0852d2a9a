import { expect } from "chai";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { importedEnvironments, maskSecureValues, OFFLINE_SECRET } from "../../config/secrets";
import { runCli } from "../helpers/cli";

const CIPHERTEXT = "S3cr3tC1ph3rt3xtN0tPr1nt3d";

describe("secrets and ESC environments in a stack file, read offline", () => {
    describe("maskSecureValues", () => {
        it("replaces an encrypted value at the top of a key or nested in an object, and names the keys holding one", () => {
            const masked = maskSecureValues({
                "aws:region": "us-east-1",
                "lambda-rollout:alarms": { email: { secure: "v1:abc" } },
                "lambda-rollout:token": { secure: "v1:def" },
                "lambda-rollout:functions": [{ name: "api", environment: { KEY: { secure: "v1:ghi" }, PLAIN: "x" } }],
            });
            expect(masked.config).to.deep.equal({
                "aws:region": "us-east-1",
                "lambda-rollout:alarms": { email: OFFLINE_SECRET },
                "lambda-rollout:token": OFFLINE_SECRET,
                "lambda-rollout:functions": [{ name: "api", environment: { KEY: OFFLINE_SECRET, PLAIN: "x" } }],
            });
            expect(masked.secretKeys).to.deep.equal(["lambda-rollout:alarms", "lambda-rollout:token", "lambda-rollout:functions"]);
        });

        it("leaves an object that merely has a `secure` key among others alone", () => {
            const value = { secure: "v1:abc", other: 1 };
            expect(maskSecureValues({ k: value }).config.k).to.deep.equal(value);
        });
    });

    describe("importedEnvironments", () => {
        const rows: [string, unknown, string[]][] = [
            ["a list", { environment: ["acme/prod-aws", "acme/shared"] }, ["acme/prod-aws", "acme/shared"]],
            ["imports", { environment: { imports: ["acme/prod-aws"] } }, ["acme/prod-aws"]],
            ["an import with options", { environment: { imports: [{ "acme/prod-aws": { merge: false } }] } }, ["acme/prod-aws"]],
            ["none", { config: {} }, []],
        ];
        for (const [what, doc, expected] of rows)
            it(`${what}: ${JSON.stringify(expected)}`, () => expect(importedEnvironments(doc)).to.deep.equal(expected));
    });

    describe("through the CLI", function () {
        this.timeout(120_000);

        it("a stack file whose alarms.email is a `secure:` value plans, shown as [secret], the ciphertext never printed", async () => {
            const text = await runCli(["plan", "-s", "prod", "--config-file", "tests/fixtures/secure-email.yaml"]);
            expect(text.code, text.stderr).to.equal(0);
            expect(text.stdout).to.match(/subscription\s+alarms-email\s+email \[secret\]/);
            const json = await runCli(["plan", "-s", "prod", "--config-file", "tests/fixtures/secure-email.yaml", "--json"]);
            expect(json.code).to.equal(0);
            for (const out of [text.stdout, text.stderr, json.stdout, json.stderr]) expect(out).to.not.contain(CIPHERTEXT);
        });

        it("an ESC import is named offline, with what offline commands cannot do: a warning when the file has what is needed", async () => {
            const r = await runCli(["plan", "-s", "prod", "--config-file", "tests/fixtures/esc-import.yaml"]);
            expect(r.code, r.stderr).to.equal(0);
            expect(r.stderr.replace(/\n +/g, " ")).to.contain(
                "warning: the stack imports the ESC environment acme/prod-aws: values that come from there cannot be resolved offline (plan and rehearse read only tests/fixtures/esc-import.yaml)",
            );
        });

        it("an ESC import without aws:region in the file: exit 2 naming aws:region and the environment, never a default region", async () => {
            for (const verb of [["plan"], ["rehearse", "--scenario", "scenarios/healthy.json"]]) {
                const r = await runCli([...verb, "-s", "prod", "--config-file", "tests/fixtures/esc-import-no-region.yaml"]);
                expect(r.code, r.stderr).to.equal(2);
                expect(r.stderr).to.contain("`lambda-rollout:region`: is not set: set `aws:region`");
                expect(r.stderr).to.contain(
                    "the stack imports the ESC environment acme/prod-aws: values that come from there cannot be resolved offline",
                );
                expect(r.stdout).to.not.contain("us-east-1");
            }
        });

        it("a real command on a stack whose region comes from ESC reads the config as the Pulumi CLI resolves it", async () => {
            // The project's own Pulumi.prod.yaml with an ESC import and no region, in a copy of the project.
            const dir = fs.mkdtempSync(path.join(os.tmpdir(), "lambda-rollout-esc-"));
            fs.writeFileSync(path.join(dir, "Pulumi.yaml"), `name: lambda-rollout\nruntime: nodejs\nmain: ${path.resolve("index.ts")}\n`);
            fs.copyFileSync("tests/fixtures/esc-import-no-region.yaml", path.join(dir, "Pulumi.prod.yaml"));
            fs.symlinkSync(path.resolve("app"), path.join(dir, "app"));
            const log = path.join(dir, "pulumi.jsonl");
            const withoutEsc = await runCli(["status", "-s", "prod", "-C", dir], { fakePulumiLog: log });
            expect(withoutEsc.code, withoutEsc.stderr).to.equal(2);
            expect(withoutEsc.stderr).to.contain("`lambda-rollout:region`: is not set");
            const withEsc = await runCli(["status", "-s", "prod", "-C", dir], {
                fakePulumiLog: log,
                env: { FAKE_PULUMI_ESC: JSON.stringify({ "aws:region": "eu-west-1" }) },
            });
            // Past the config (read through `pulumi config --show-secrets --json`): the stand-in stack has no outputs.
            expect(withEsc.stderr).to.contain("stack prod has no outputs yet");
            expect(fs.readFileSync(log, "utf8")).to.contain('"config","--show-secrets","--json"');
        });
    });
});
