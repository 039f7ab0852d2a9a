/**
 * The stand-in `pulumi` (tests/fixtures/fake-pulumi/pulumi) checked against the real CLI: the commands and flags
 * it answers, the ones the Automation API sends it, its JSON outputs and the engine events the tool reads, each
 * against the facts read from the Pulumi CLI's public source (tests/fixtures/pulumi-cli-contract.json: its
 * `source` names the tag and commit, each command its file) and the installed SDK's own event types.
 */
import { expect } from "chai";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { AutomationStackDriver } from "../../../automation/adapters/pulumiStack";
import { PROJECT_ROOT } from "../../../automation/engine/evaluate";
import { FAKE_PULUMI_DIR } from "../../helpers/cli";
import { CONTRACT, contractProblems } from "../../helpers/pulumiContract";

const FAKE = path.join(FAKE_PULUMI_DIR, "pulumi");

describe("the stand-in pulumi against the real CLI's contract (pulumi/pulumi's source)", function () {
    this.timeout(120_000);
    const source = fs.readFileSync(FAKE, "utf8");

    it("the contract names its source: a tag and a full commit", () => {
        expect(CONTRACT.source.tag).to.match(/^v3\.\d+\.\d+$/);
        expect(CONTRACT.source.commit).to.match(/^[0-9a-f]{40}$/);
    });

    it("every flag the stand-in reads or knows to take a value is a flag of the real CLI", () => {
        const body = source.slice(source.indexOf('"use strict"'));
        const named = [...body.matchAll(/(?:flag|has)\("(-[\w-]+)"\)|^\s+"(-[\w-]+)",$/gm)].map((m) => m[1] ?? m[2]);
        expect(named.length).to.be.greaterThan(10);
        const all = new Set(Object.values(CONTRACT.commands).flatMap((c) => c.flags));
        expect([...new Set(named)].filter((f) => !all.has(f))).to.deep.equal([]);
    });

    it("every command the stand-in answers is a command of the real CLI", () => {
        const cases = [...source.matchAll(/case "([\w-]+)":/g)].map((m) => m[1]);
        const answered = [
            ...cases.filter((c) => ["version", "whoami", "about", "up", "config"].includes(c)),
            "stack select",
            "stack init",
            "stack output",
            "stack history",
            "config get",
        ];
        expect(answered.filter((c) => CONTRACT.commands[c] === undefined)).to.deep.equal([]);
        // And the switch names no other top-level command.
        expect(
            cases.filter(
                (c) => !["version", "whoami", "about", "stack", "select", "init", "output", "history", "config", "up"].includes(c),
            ),
        ).to.deep.equal([]);
    });

    it("what the Automation API runs through the stand-in (config, outputs, up, history) uses only the real CLI's commands and flags", async () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "fake-pulumi-contract-"));
        const log = path.join(dir, "calls.jsonl");
        const saved = { PATH: process.env.PATH, FAKE_PULUMI_LOG: process.env.FAKE_PULUMI_LOG };
        process.env.PATH = `${FAKE_PULUMI_DIR}${path.delimiter}${process.env.PATH}`;
        process.env.FAKE_PULUMI_LOG = log;
        try {
            const driver = new AutomationStackDriver({
                stack: "prod",
                configFile: path.join(PROJECT_ROOT, "Pulumi.prod.yaml"),
                workDir: PROJECT_ROOT,
                project: "lambda-rollout",
            });
            await driver.config();
            await driver.outputs();
            await driver.up({ api: { stable: "1", candidate: "2", weight: 0.1 } }, "contract check").catch(() => undefined);
            await driver.history(5).catch(() => undefined);
        } finally {
            process.env.PATH = saved.PATH;
            if (saved.FAKE_PULUMI_LOG === undefined) delete process.env.FAKE_PULUMI_LOG;
            else process.env.FAKE_PULUMI_LOG = saved.FAKE_PULUMI_LOG;
        }
        const calls = fs
            .readFileSync(log, "utf8")
            .trim()
            .split("\n")
            .map((l) => (JSON.parse(l) as { argv: string[] }).argv);
        fs.rmSync(dir, { recursive: true, force: true });
        expect(calls.map((c) => c.filter((a) => !a.startsWith("-"))[0])).to.include.members(["config", "up", "stack"]);
        expect(calls.flatMap(contractProblems)).to.deep.equal([]);
    });

    it("the check itself refuses a flag or a command the real CLI lacks", () => {
        expect(contractProblems(["up", "--yes", "--skip-preview", "--frobnicate"])).to.deep.equal([
            `\`pulumi up\` has no flag --frobnicate in the real CLI (pkg/cmd/pulumi/operations/up.go at ${CONTRACT.source.tag})`,
        ]);
        expect(contractProblems(["stack", "output", "--json", "--show-secrets", "--stack", "prod"])).to.deep.equal([]);
        expect(contractProblems(["deploy", "--yes"])[0]).to.contain("no such command");
    });

    it("the stand-in's JSON outputs hold only fields the real CLI writes (whoami --json)", () => {
        const fields = [...source.matchAll(/JSON\.stringify\(\{ user: "fake-user", organizations: \["fake-user"\], url: [^}]+\}\)/g)];
        expect(fields).to.have.length(1);
        expect(["user", "organizations", "url"].filter((f) => !CONTRACT.outputs["whoami --json"].fields.includes(f))).to.deep.equal([]);
    });

    it("the engine events the tool reads are events of the real CLI and of the installed SDK", () => {
        const summary = fs.readFileSync(path.join(PROJECT_ROOT, "automation", "cli", "upSummary.ts"), "utf8");
        const read = [...new Set([...summary.matchAll(/\.(\w+Event)\b/g)].map((m) => m[1]))];
        expect(read.length).to.be.greaterThan(0);
        const sdk = fs.readFileSync(path.join(PROJECT_ROOT, "node_modules", "@pulumi", "pulumi", "automation", "events.d.ts"), "utf8");
        const engineEvent = /export interface EngineEvent \{([\s\S]*?)\n\}/.exec(sdk)![1];
        const inSdk = [...engineEvent.matchAll(/^\s+(\w+Event)\?:/gm)].map((m) => m[1]);
        expect(read.filter((e) => !CONTRACT.engineEvents.includes(e) || !inSdk.includes(e))).to.deep.equal([]);
    });
});
