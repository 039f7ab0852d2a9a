import { expect } from "chai";
import { spawnSync } from "child_process";
import * as path from "path";
import { stripVTControlCharacters } from "util";
import type { EngineEvent } from "@pulumi/pulumi/automation";
import { colourEnabled, colourLine, COLUMNS, formatDuration, wrapLine } from "../../../automation/cli/output";
import { describeEngineEvent } from "../../../automation/cli/upSummary";
import { PROJECT_ROOT } from "../../../automation/engine/evaluate";
import type { Clock } from "../../../automation/rollout/ports";
import { rolloutEnded, watchExitCode, watchStatus, type FunctionStatus, type StackStatus } from "../../../automation/rollout/status";
import { runCli } from "../../helpers/cli";
import { createColors } from "picocolors";

const ESC = "\x1b[";
const REHEARSE = ["rehearse", "--stack", "prod", "--scenario", "scenarios/bad-canary.json"];
/** Visible width of a line: escape sequences take no column. */
const visible = (l: string) => stripVTControlCharacters(l).length;

describe("output for people", () => {
    it("colour: NO_COLOR (any non-empty value) wins, FORCE_COLOR turns it on in a pipe, else only a terminal gets it", () => {
        const table: [NodeJS.ProcessEnv, boolean, boolean][] = [
            [{}, true, true],
            [{}, false, false],
            [{ NO_COLOR: "1" }, true, false],
            [{ NO_COLOR: "false" }, true, false],
            [{ NO_COLOR: "" }, true, true],
            [{ FORCE_COLOR: "1" }, false, true],
            [{ FORCE_COLOR: "0" }, true, false],
            [{ FORCE_COLOR: "1", NO_COLOR: "1" }, false, false],
        ];
        for (const [env, tty, want] of table) expect(colourEnabled(env, tty), JSON.stringify({ env, tty })).to.equal(want);
    });

    it("durations read as the Pulumi CLI prints them: 1h30m, 10m, 45s", () => {
        expect(formatDuration(90 * 60_000)).to.equal("1h30m");
        expect(formatDuration(10 * 60_000)).to.equal("10m");
        expect(formatDuration(45_000)).to.equal("45s");
        expect(formatDuration(6 * 60_000 + 48_000)).to.equal("6m48s");
        expect(formatDuration(1500)).to.equal("1.5s");
        expect(formatDuration(0)).to.equal("0s");
    });

    it("a long line wraps at word boundaries within 100 columns with a hanging indent; an unbreakable token stays whole", () => {
        const words = Array.from({ length: 60 }, (_, i) => `word${i}`).join(" ");
        const lines = wrapLine(`  ${words}`).split("\n");
        expect(lines.length).to.be.greaterThan(1);
        expect(lines.every((l) => l.length <= COLUMNS)).to.equal(true);
        expect(lines[0].startsWith("  word0")).to.equal(true);
        expect(lines.slice(1).every((l) => l.startsWith("    ") && !l.startsWith("     "))).to.equal(true);
        expect(lines.join(" ").replace(/\s+/g, " ").trim()).to.equal(words);
        const arn = `arn:aws:lambda:us-east-1:123456789012:function:${"x".repeat(120)}`;
        expect(wrapLine(`see ${arn}`).split("\n")).to.deep.equal(["see", `  ${arn}`]);
        expect(wrapLine("short line")).to.equal("short line");
    });

    it("the outcome stands out: PROMOTED bold green, ROLLED-BACK bold red, ABORTED yellow, a failed step red", () => {
        const c = createColors(true);
        expect(colourLine("PROMOTED: traffic now api v2 100%", c)).to.equal(`${c.bold(c.green("PROMOTED"))}: traffic now api v2 100%`);
        expect(colourLine("ROLLED-BACK: traffic now api v1 100%", c)).to.equal(`${c.bold(c.red("ROLLED-BACK"))}: traffic now api v1 100%`);
        expect(colourLine("ABORTED: traffic now api v1 100%", c)).to.equal(`${c.yellow("ABORTED")}: traffic now api v1 100%`);
        expect(colourLine("[min 6.1] step 1/3 10%: FAILED after 5/10 min", c)).to.equal(
            c.red("[min 6.1] step 1/3 10%: FAILED after 5/10 min"),
        );
        expect(colourLine("  warning: aws:lambda deprecated", c)).to.equal(c.yellow("  warning: aws:lambda deprecated"));
        expect(colourLine("smoke test of api v2 passed", c)).to.equal("smoke test of api v2 passed");
        expect(colourLine("PROMOTED: x", createColors(false))).to.equal("PROMOTED: x");
    });
});

describe("an up's live summary", () => {
    const urn = (type: string, name: string) =>
        `urn:pulumi:prod::lambda-rollout::lambda-rollout:index:ProgressiveFunction$${type}::${name}`;
    const step = (op: string, type: string, name: string, planning = false) =>
        ({
            sequence: 1,
            timestamp: 0,
            resOutputsEvent: { metadata: { op, type, urn: urn(type, name) }, planning },
        }) as unknown as EngineEvent;

    it("one line per changed resource, a closing count, warnings and errors; unchanged resources and previews left out", () => {
        const table: [EngineEvent, string | undefined][] = [
            [step("update", "aws:lambda/alias:Alias", "api-live"), "~ aws:lambda/alias:Alias api-live update"],
            [
                step("create", "aws:cloudwatch/metricAlarm:MetricAlarm", "api-errors"),
                "+ aws:cloudwatch/metricAlarm:MetricAlarm api-errors create",
            ],
            [step("delete", "aws:lambda/alias:Alias", "old"), "- aws:lambda/alias:Alias old delete"],
            [step("replace", "aws:lambda/function:Function", "api-fn"), "+- aws:lambda/function:Function api-fn replace"],
            [step("same", "aws:lambda/function:Function", "api-fn"), undefined],
            [step("update", "aws:lambda/alias:Alias", "api-live", true), undefined],
            [step("update", "pulumi:pulumi:Stack", "lambda-rollout-prod"), undefined],
            [
                {
                    sequence: 2,
                    timestamp: 0,
                    resourcePreEvent: { metadata: { op: "update", type: "aws:lambda/alias:Alias", urn: urn("x", "api-live") } },
                } as unknown as EngineEvent,
                undefined,
            ],
            [
                {
                    sequence: 3,
                    timestamp: 0,
                    resOpFailedEvent: {
                        metadata: { op: "update", type: "aws:lambda/alias:Alias", urn: urn("x", "api-live") },
                        status: 1,
                        steps: 1,
                    },
                } as unknown as EngineEvent,
                "! aws:lambda/alias:Alias api-live update failed",
            ],
            [
                {
                    sequence: 4,
                    timestamp: 0,
                    diagnosticEvent: {
                        message: "<{%reset%}>throttled<{%reset%}>\n",
                        color: "never",
                        severity: "warning",
                        urn: urn("x", "api-live"),
                    },
                },
                "warning: api-live: throttled",
            ],
            [{ sequence: 5, timestamp: 0, diagnosticEvent: { message: "reading config", color: "never", severity: "info" } }, undefined],
            [
                {
                    sequence: 6,
                    timestamp: 0,
                    summaryEvent: { maybeCorrupt: false, durationSeconds: 45, resourceChanges: { update: 1, same: 12 }, policyPacks: {} },
                },
                "up: 1 updated, 12 unchanged (45s)",
            ],
            [
                {
                    sequence: 7,
                    timestamp: 0,
                    summaryEvent: { maybeCorrupt: false, durationSeconds: 5400, resourceChanges: {}, policyPacks: {} },
                },
                "up: no changes (1h30m)",
            ],
        ];
        for (const [event, want] of table) expect(describeEngineEvent(event), JSON.stringify(event)).to.equal(want);
    });
});

describe("status --watch", () => {
    const fn = (phase: FunctionStatus["phase"]): FunctionStatus => ({
        functionName: "lambda-rollout-prod-api",
        stable: "1",
        candidate: "2",
        liveWeights: { "1": 1 },
        phase,
        alarms: {},
    });
    const at = (...phases: FunctionStatus["phase"][]): StackStatus => ({
        stack: "prod",
        strategy: "canary",
        functions: Object.fromEntries(phases.map((p, i) => [`f${i}`, fn(p)])),
        lastRollout: [],
        unavailable: [],
    });

    it("the rollout has ended when no function is still moving (in progress or rolling back)", () => {
        expect(rolloutEnded(at("promoted"))).to.equal(true);
        expect(rolloutEnded(at("rolled-back"))).to.equal(true);
        expect(rolloutEnded(at("aborted", "promoted"))).to.equal(true);
        expect(rolloutEnded(at("candidate-waiting"))).to.equal(true);
        expect(rolloutEnded(at("held"))).to.equal(true);
        expect(rolloutEnded(at("in-progress"))).to.equal(false);
        expect(rolloutEnded(at("promoted", "rollback-pending"))).to.equal(false);
        expect(watchExitCode(at("promoted"))).to.equal(0);
        expect(watchExitCode(at("promoted", "rolled-back"))).to.equal(1);
    });

    it("the watch refreshes every interval until the phase ends, on an injected clock", async () => {
        const phases: FunctionStatus["phase"][] = ["in-progress", "in-progress", "rollback-pending", "rolled-back", "promoted"];
        let now = 0;
        const clock: Clock = { now: () => now, sleep: async (ms) => void (now += ms) };
        const shown: string[] = [];
        const last = await watchStatus(
            { read: async () => at(phases.shift()!), clock, show: (s) => shown.push(s.functions.f0.phase) },
            10_000,
        );
        expect(shown).to.deep.equal(["in-progress", "in-progress", "rollback-pending", "rolled-back"]);
        expect(now).to.equal(30_000);
        expect(watchExitCode(last)).to.equal(1);
    });

    it("Ctrl-C ends the watch after the status being shown", async () => {
        const stop = new AbortController();
        const clock: Clock = { now: () => 0, sleep: async () => stop.abort() };
        let reads = 0;
        await watchStatus({ read: async () => (reads++, at("in-progress")), clock, show: () => {}, signal: stop.signal }, 1000);
        expect(reads).to.equal(1);
    });
});

describe("the command line's colour and width", function () {
    this.timeout(120_000);

    it("in a pipe there is no escape sequence, and no line is wider than 100 columns unless one token is", async () => {
        const r = await runCli(REHEARSE);
        expect(r.code).to.equal(1);
        expect(r.stdout + r.stderr).not.to.contain(ESC);
        expect(r.stdout).to.contain("ROLLED-BACK: traffic now api v1 100%");
        const wide = r.stdout.split("\n").filter((l) => l.length > COLUMNS && l.trim().includes(" "));
        expect(wide).to.deep.equal([]);
    });

    it("NO_COLOR wins over FORCE_COLOR: no escape sequence", async () => {
        const r = await runCli(REHEARSE, { env: { NO_COLOR: "1", FORCE_COLOR: "1" } });
        expect(r.stdout + r.stderr).not.to.contain(ESC);
    });

    it("FORCE_COLOR=1 colours a pipe, the outcome bold red; --json stdout stays plain JSON", async () => {
        const r = await runCli([...REHEARSE, "--json"], { env: { FORCE_COLOR: "1" } });
        expect(r.stderr).to.contain(`\x1b[1m\x1b[31mROLLED-BACK`);
        expect(r.stderr.split("\n").every((l) => visible(l) <= COLUMNS || !l.trim().includes(" "))).to.equal(true);
        expect(r.stdout).not.to.contain(ESC);
        expect(JSON.parse(r.stdout)).to.include({ outcome: "rolled-back" });
    });

    it("on a terminal (a pseudo-terminal from `script`) there is colour", function () {
        // `script` (util-linux) gives the command a pseudo-terminal; without it this cannot be shown here.
        if (spawnSync("script", ["--version"]).error) this.skip();
        const tsx = path.join(PROJECT_ROOT, "node_modules", "tsx", "dist", "cli.mjs");
        const cmd = [process.execPath, tsx, path.join(PROJECT_ROOT, "automation", "cli.ts"), ...REHEARSE].join(" ");
        const env: NodeJS.ProcessEnv = { ...process.env };
        delete env.NO_COLOR;
        delete env.FORCE_COLOR;
        const r = spawnSync("script", ["-qec", cmd, "/dev/null"], { cwd: PROJECT_ROOT, env, encoding: "utf8", timeout: 90_000 });
        expect(r.stdout).to.contain(`\x1b[1m\x1b[31mROLLED-BACK`);
    });
});
