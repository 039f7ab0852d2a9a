import { expect } from "chai";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { workspaceSettingsFile } from "../../../automation/cli/conventions";
import { PROJECT_ROOT } from "../../../automation/engine/evaluate";
import { runCli } from "../../helpers/cli";
import { ensureCompiled } from "../../helpers/compiled";

/** The compiled bin, as `npx lambda-rollout` and an install in another project run it. */
const bin = (args: string[], env: NodeJS.ProcessEnv = {}, fakePulumiLog?: string) => runCli(args, { env, fakePulumiLog });

/** The stand-in pulumi's recorded calls (none when it was never run). */
function pulumiCalls(log: string): string[] {
    return fs.existsSync(log) ? fs.readFileSync(log, "utf8").trim().split("\n").filter(Boolean) : [];
}

describe("the lambda-rollout bin (compiled, run with plain node)", function () {
    this.timeout(180_000);
    let scratch: string;

    before(() => {
        // What `npm ci` runs as `prepare`, so the bin under test is this checkout's code (built once per test run).
        ensureCompiled();
        scratch = fs.mkdtempSync(path.join(os.tmpdir(), "lambda-rollout-bin-"));
    });

    after(() => fs.rmSync(scratch, { recursive: true, force: true }));

    it("is the package's bin and prints package.json's version with --version", async () => {
        const pkg = JSON.parse(fs.readFileSync(path.join(PROJECT_ROOT, "package.json"), "utf8")) as {
            version: string;
            bin: Record<string, string>;
        };
        expect(pkg.bin).to.deep.equal({ "lambda-rollout": "dist/automation/cli.js" });
        const r = await bin(["--version"]);
        expect(r).to.include({ code: 0, stdout: `${pkg.version}\n` });
    });

    it("plans the stack PULUMI_STACK names, offline, running the TypeScript program from dist/", async () => {
        const r = await bin(["plan"], { PULUMI_STACK: "prod" });
        expect(r.code, r.stderr).to.equal(0);
        expect(r.stdout).to.match(/^stack prod: strategy canary/);
        expect(r.stdout).to.contain("lambda-rollout-prod-api");
    });

    it("`report REPORT.json --html OUT.html` draws the page from dist/ (vega and vega-lite, ES modules, imported from CommonJS)", async () => {
        const report = path.join(scratch, "bad.json");
        const page = path.join(scratch, "bad.html");
        const rehearsed = await bin(["rehearse", "-s", "prod", "--scenario", "scenarios/bad-canary.json", "--report", report]);
        expect(rehearsed.code, rehearsed.stderr).to.equal(1);
        const r = await bin(["report", report, "--html", page]);
        expect(r.code, r.stderr).to.equal(0);
        const html = fs.readFileSync(page, "utf8");
        expect(html).to.contain("Rolled back at minute 5.1");
        expect((html.match(/<svg /g) ?? []).length).to.equal(2);
    });

    it("-s wins over PULUMI_STACK", async () => {
        const r = await bin(["plan", "-s", "staging"], { PULUMI_STACK: "prod" });
        expect(r.code, r.stderr).to.equal(0);
        expect(r.stdout).to.match(/^stack staging:/);
    });

    it("without -s or PULUMI_STACK, uses the stack `pulumi stack select` chose (PULUMI_HOME's workspace settings)", async () => {
        const home = path.join(scratch, "pulumi-home");
        const file = workspaceSettingsFile("lambda-rollout", path.join(PROJECT_ROOT, "Pulumi.yaml"), { PULUMI_HOME: home }, os.homedir());
        fs.mkdirSync(path.dirname(file), { recursive: true });
        fs.writeFileSync(file, JSON.stringify({ stack: "dev" }));
        const r = await bin(["plan"], { PULUMI_HOME: home });
        expect(r.code, r.stderr).to.equal(0);
        expect(r.stdout).to.match(/^stack dev:/);
    });

    it("with no stack named or selected, exits 2 saying how to name one", async () => {
        const r = await bin(["plan"]);
        expect(r.code).to.equal(2);
        expect(r.stderr).to.contain("error: no stack selected: pass -s/--stack, set PULUMI_STACK, or run `pulumi stack select`");
        expect(r.stdout).to.equal("");
    });

    it("org/project/stack naming another project exits 2 naming the project, and runs nothing", async () => {
        const r = await bin(["rehearse", "-s", "acme/orders-service/prod", "--scenario", "scenarios/healthy.json"]);
        expect(r.code).to.equal(2);
        expect(r.stderr).to.contain(
            '`--stack` (got "acme/orders-service/prod"): names project "orders-service", but this is the lambda-rollout project',
        );
        expect(r.stderr).not.to.contain("rehearsing");
    });

    it("org/project/stack naming the -C project drives its Pulumi.<stack>.yaml: another project rehearsed and promoted", async () => {
        const r = await bin([
            "rehearse",
            "-C",
            "examples/existing-project",
            "-s",
            "acme/orders-service/dev",
            "--scenario",
            "scenarios/healthy.json",
        ]);
        expect(r.code, r.stderr).to.equal(0);
        expect(r.stdout).to.contain("PROMOTED: traffic now orders-api v2 100%, orders-worker v2 100%");
    });

    for (const [label, args] of [
        ["without a terminal", []],
        ["with --non-interactive", ["--non-interactive"]],
    ] as const) {
        it(`promote ${label} and without -y refuses with exit 2 before it calls the Pulumi CLI`, async () => {
            const log = path.join(scratch, `refused${args.length}.jsonl`);
            const r = await bin(["promote", "-s", "prod", ...args], {}, log);
            expect(r.code).to.equal(2);
            expect(r.stderr).to.contain(
                "would ask before it moves traffic, and nobody can answer; pass -y/--yes (or set PULUMI_SKIP_CONFIRMATIONS=true)",
            );
            expect(pulumiCalls(log)).to.deep.equal([]);
        });
    }

    for (const [label, args, env] of [
        ["-y", ["-y", "--non-interactive"], {}],
        ["PULUMI_SKIP_CONFIRMATIONS=true", ["--non-interactive"], { PULUMI_SKIP_CONFIRMATIONS: "true" }],
    ] as const) {
        it(`promote --non-interactive with ${label} goes ahead without a prompt (to the Pulumi CLI)`, async () => {
            const log = path.join(scratch, `skipped-${label.length}.jsonl`);
            const r = await bin(["promote", "-s", "prod", ...args], env, log);
            expect(r.stderr).not.to.contain("nobody can answer");
            expect(pulumiCalls(log).length).to.be.greaterThan(0);
        });
    }
});
