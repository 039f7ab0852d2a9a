import { execFileSync, spawn, spawnSync } from "child_process";
import { expect } from "chai";
import * as path from "path";
import { createColors } from "picocolors";
import {
    colourEnabled,
    formatDuration,
    formatLine,
    LINE_WIDTH,
    printLines,
    statusView,
    styleLine,
    wrapLine,
} from "../../../automation/cli/output";
import { PROJECT_ROOT } from "../../../automation/engine/evaluate";
import { runCli } from "../../helpers/cli";

const ESC = "\x1b[";
// eslint-disable-next-line no-control-regex -- matching ANSI escapes is the point
const visible = (s: string) => s.replace(/\x1b\[[0-9;]*m/g, "");
const BAD_CANARY = ["rehearse", "-s", "prod", "--scenario", "scenarios/bad-canary.json"];

describe("output for people: colour, the outcome line, 100 columns, durations", () => {
    describe("colourEnabled (NO_COLOR, FORCE_COLOR, a terminal or a pipe)", () => {
        const rows: [string, Parameters<typeof colourEnabled>[0], boolean][] = [
            ["a terminal", { env: {}, isTTY: true }, true],
            ["a pipe", { env: {}, isTTY: false }, false],
            ["a terminal with NO_COLOR=1", { env: { NO_COLOR: "1" }, isTTY: true }, false],
            ["NO_COLOR set empty means unset", { env: { NO_COLOR: "" }, isTTY: true }, true],
            ["a pipe with FORCE_COLOR=1", { env: { FORCE_COLOR: "1" }, isTTY: false }, true],
            ["NO_COLOR wins over FORCE_COLOR", { env: { NO_COLOR: "1", FORCE_COLOR: "1" }, isTTY: false }, false],
            ["FORCE_COLOR=0 on a terminal", { env: { FORCE_COLOR: "0" }, isTTY: true }, false],
            ["TERM=dumb", { env: { TERM: "dumb" }, isTTY: true }, false],
        ];
        for (const [what, settings, expected] of rows) {
            it(`${what}: ${expected ? "colour" : "no colour"}`, () => expect(colourEnabled(settings)).to.equal(expected));
        }
    });

    describe("styleLine", () => {
        const on = createColors(true);
        const off = createColors(false);
        it("the outcome word is bold in its colour: PROMOTED green, ROLLED-BACK red, ABORTED yellow", () => {
            expect(styleLine("PROMOTED: traffic now api v2 100%", on)).to.equal(
                "\x1b[1m\x1b[32mPROMOTED\x1b[39m\x1b[22m: traffic now api v2 100%",
            );
            expect(styleLine("ROLLED-BACK: traffic now api v1 100%", on)).satisfy((s: string) =>
                s.startsWith("\x1b[1m\x1b[31mROLLED-BACK"),
            );
            expect(styleLine("ABORTED: traffic now api v1 100%", on)).satisfy((s: string) => s.startsWith("\x1b[1m\x1b[33mABORTED"));
        });
        it("a failed gate is red after a dimmed minute; a plain line is left alone", () => {
            expect(styleLine("[min 6.1] step 1/3 10%: FAILED after 5/10 min", on)).to.equal(
                "\x1b[2m[min 6.1] \x1b[22m\x1b[31mstep 1/3 10%: FAILED after 5/10 min\x1b[39m",
            );
            expect(styleLine("smoke test of api v2 passed", on)).to.equal("smoke test of api v2 passed");
        });
        it("a wrapped failure stays red on every line it takes", () => {
            const line =
                "[min 6.1] step 1/3 10%: FAILED after 5/10 min: api: error rate above stable's in the same minutes (sequential test)";
            const pieces = formatLine(line, on).split("\n");
            expect(pieces).to.have.length(2);
            expect(pieces[1]).to.equal("\x1b[31m    (sequential test)\x1b[39m");
        });

        it("without colour the words are the same", () => {
            for (const line of ["PROMOTED: x", "[min 1] FAILED", "error: bad", "warning: w", "plain"])
                expect(styleLine(line, off)).to.equal(line);
        });
    });

    describe("wrapLine", () => {
        const long =
            "[min 6.1] step 1/3 10%: FAILED after 5/10 min: api: error rate above stable's in the same minutes (sequential test: likelihood ratio e^6.56 >= 1/0.25%; increase 4.88 points >= half the 0.5-point limit)";
        it(`fits ${LINE_WIDTH} columns, keeps every word in order, and indents what follows`, () => {
            const lines = wrapLine(long).split("\n");
            expect(lines.length).to.be.above(1);
            for (const l of lines) expect(l.length).to.be.at.most(LINE_WIDTH);
            for (const l of lines.slice(1)) expect(l).to.match(/^ {4}\S/);
            expect(lines.map((l) => l.trim()).join(" ")).to.equal(long);
        });
        it("colour escapes do not count as columns, and a short line is unchanged", () => {
            const coloured = createColors(true).red("x".repeat(95));
            expect(wrapLine(coloured)).to.equal(coloured);
            expect(wrapLine("short")).to.equal("short");
        });
        it("a table row (plan's) wraps under its last column, so the columns stay readable", () => {
            const row = `  log group        api-logs                       /aws/lambda/lambda-rollout-prod-api retention 90 days and more words`;
            const [first, ...rest] = wrapLine(row).split("\n");
            expect(first.startsWith("  log group        api-logs")).to.equal(true);
            for (const l of rest) expect(l).to.match(/^ {50}\S/);
        });

        it("a word longer than the line (an ARN, a command) stays whole", () => {
            const arn = "arn:aws:lambda:us-east-1:123456789012:function:" + "x".repeat(80);
            expect(
                wrapLine(`run ${arn} now`)
                    .split("\n")
                    .map((l) => l.trim()),
            ).to.include(arn);
        });
    });

    describe("formatDuration", () => {
        const rows: [number, string][] = [
            [45_000, "45s"],
            [600_000, "10m"],
            [545_000, "9m5s"],
            [5_400_000, "1h30m"],
            [400, "400ms"],
            [1_500, "1.5s"],
        ];
        for (const [ms, text] of rows) it(`${ms} ms reads ${text}`, () => expect(formatDuration(ms)).to.equal(text));
    });

    describe("the CLI's output (a rehearsal, run as a user runs it)", function () {
        this.timeout(120_000);

        it("in a pipe: no escape sequence, every line fits 100 columns, the outcome line is there", async () => {
            const run = await runCli(BAD_CANARY);
            expect(run.code).to.equal(1);
            expect(run.stdout + run.stderr).to.not.contain(ESC);
            for (const line of run.stdout.split("\n")) {
                if (line.length > LINE_WIDTH)
                    expect(line.trim().split(" ").length, `a line over ${LINE_WIDTH} columns: ${line}`).to.equal(1);
            }
            expect(run.stdout).to.match(/^ROLLED-BACK: traffic now api v1 100%/m);
        });

        it("NO_COLOR=1 keeps escapes out even where FORCE_COLOR asks for them; FORCE_COLOR=1 alone colours the outcome", async () => {
            const plain = await runCli(BAD_CANARY, { env: { NO_COLOR: "1", FORCE_COLOR: "1" } });
            expect(plain.stdout + plain.stderr).to.not.contain(ESC);
            const coloured = await runCli(BAD_CANARY, { env: { FORCE_COLOR: "1" } });
            expect(coloured.stdout).to.contain("\x1b[1m\x1b[31mROLLED-BACK\x1b[39m\x1b[22m: traffic now api v1 100%");
            const withoutTiming = (s: string) => s.replace(/ in [\d.]+m?s\)$/m, "");
            expect(withoutTiming(visible(coloured.stdout))).to.equal(withoutTiming(plain.stdout));
        });

        it("--json: stdout is the report alone, never coloured, even with FORCE_COLOR", async () => {
            const run = await runCli([...BAD_CANARY, "--json"], { env: { FORCE_COLOR: "1" } });
            expect(run.stdout).to.not.contain(ESC);
            expect(JSON.parse(run.stdout).outcome).to.equal("rolled-back");
            expect(run.stderr).to.contain("ROLLED-BACK");
        });

        it("a reader that goes away (`| head -1`) does not end the rollout: it finishes with its own exit code", async () => {
            const tsx = path.join(PROJECT_ROOT, "node_modules", "tsx", "dist", "cli.mjs");
            const child = spawn(process.execPath, [tsx, "automation/cli.ts", ...BAD_CANARY], {
                cwd: PROJECT_ROOT,
                stdio: ["ignore", "pipe", "pipe"],
            });
            let stderr = "";
            child.stderr.on("data", (d) => (stderr += d));
            child.stdout.once("data", () => child.stdout.destroy());
            const code = await new Promise<number | null>((resolve) => child.on("close", resolve));
            expect(stderr).to.not.contain("EPIPE");
            expect(code).to.equal(1); // rolled back, as without the pipe closing
        });

        it("on a terminal (a pseudo-terminal from `script`) there is colour", function () {
            if (spawnSync("script", ["--version"]).status !== 0) this.skip(); // util-linux's script is not installed here
            const tsx = path.join(PROJECT_ROOT, "node_modules", "tsx", "dist", "cli.mjs");
            const command = [process.execPath, tsx, "automation/cli.ts", ...BAD_CANARY].map((a) => `'${a}'`).join(" ");
            const env = { ...process.env, NO_COLOR: "", FORCE_COLOR: "", CI: "" };
            let out: string;
            try {
                out = execFileSync("script", ["-qec", command, "/dev/null"], {
                    cwd: PROJECT_ROOT,
                    env,
                    encoding: "utf8",
                    stdio: ["ignore", "pipe", "pipe"],
                });
            } catch (err) {
                out = (err as { stdout: string }).stdout; // exit 1: rolled back, as expected
            }
            expect(out).to.contain("\x1b[1m\x1b[31mROLLED-BACK");
        });
    });
});

describe("output for people: text from outside is printed as plain text (domain/text.ts)", () => {
    /** A stream that keeps what is written; a terminal or not. */
    const stream = (isTTY: boolean) => {
        const written: string[] = [];
        return { written, isTTY, write: (s: string) => written.push(s) > 0 } as unknown as NodeJS.WriteStream & { written: string[] };
    };
    const HOSTILE =
        "[min 3] afterStep hook x (command) failed in 2s: exit 1: \x1b[2J\x1b[Hok\x1b]0;pwned\x07 \x1b[32mPASSED\x1b[0m\rall\u202egood";

    it("printLines: no escape sequence or control character of the text reaches a pipe, and on a terminal only our own colours do", () => {
        const pipe = stream(false);
        printLines([HOSTILE], pipe);
        expect(pipe.written).to.deep.equal(["[min 3] afterStep hook x (command) failed in 2s: exit 1: ok PASSED\n    allgood\n"]);
        const previous = process.env.FORCE_COLOR;
        process.env.FORCE_COLOR = "1";
        try {
            const terminal = stream(true);
            printLines([HOSTILE], terminal);
            const escapes = terminal.written.join("").match(/\x1b[^m]*m/g) ?? []; // eslint-disable-line no-control-regex
            // The dimmed minute only: none of the text's own (no 2J, H, OSC, 32m, 0m).
            expect([...new Set(escapes)].sort()).to.deep.equal([`${ESC}22m`, `${ESC}2m`]);
            expect(terminal.written.join("")).not.to.match(/\x1b\[[^m]*[^m\d;]|\x1b\]|\x07|\r/); // eslint-disable-line no-control-regex
        } finally {
            if (previous === undefined) delete process.env.FORCE_COLOR;
            else process.env.FORCE_COLOR = previous;
        }
    });

    it("a status view prints each line as plain text too", () => {
        const pipe = stream(false);
        statusView(pipe, () => ["api: v2 (aborted by \x1b[8mhidden\x1b[0m eve)"]).show({} as never);
        expect(pipe.written).to.deep.equal(["api: v2 (aborted by hidden eve)\n"]);
    });
});
