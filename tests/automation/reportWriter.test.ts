import { expect } from "chai";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { PROJECT_ROOT } from "../../automation/engine/evaluate";
import { UsageError } from "../../automation/errors";
import { checkReportPath, makeFolders, writeReportFile } from "../../automation/reportWriter";

/** Runs `code` (TypeScript, with the project's modules) in a node of its own, cut at `timeoutMs`: a spin cannot hang the suite. */
function inChild(code: string, timeoutMs: number) {
    const started = Date.now();
    const run = spawnSync(process.execPath, ["--import", "tsx", "--input-type=module", "-e", code], {
        cwd: PROJECT_ROOT,
        encoding: "utf8",
        timeout: timeoutMs,
        killSignal: "SIGKILL",
    });
    return { ...run, ms: Date.now() - started };
}

describe("the report file is written safely (automation/reportWriter.ts)", () => {
    let root: string;
    beforeEach(() => (root = fs.mkdtempSync(path.join(os.tmpdir(), "lambda-rollout-report-safe-"))));
    afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

    it("is readable by its owner only (0600), and replaces a symlink planted at the target instead of writing through it", () => {
        const victim = path.join(root, "victim.txt");
        fs.writeFileSync(victim, "do not touch\n");
        const file = path.join(root, "report.json");
        fs.symlinkSync(victim, file);
        expect(writeReportFile(file, { outcome: "promoted" })).to.equal(undefined);
        expect(fs.readFileSync(victim, "utf8")).to.equal("do not touch\n");
        expect(fs.lstatSync(file).isFile()).to.equal(true);
        expect(fs.statSync(file).mode & 0o777).to.equal(0o600);
        expect(JSON.parse(fs.readFileSync(file, "utf8"))).to.deep.equal({ outcome: "promoted" });
    });

    it("its temporary file has a name nobody can plant in advance: symlinks at the old predictable name are never followed", () => {
        const victim = path.join(root, "victim.txt");
        fs.writeFileSync(victim, "do not touch\n");
        const file = path.join(root, "report.json");
        // The name the writer used to use, `<file>.<pid>.tmp`, for this process and its neighbours.
        for (let pid = process.pid - 5; pid <= process.pid + 5; pid++) fs.symlinkSync(victim, `${file}.${pid}.tmp`);
        expect(writeReportFile(file, { outcome: "rolled-back" })).to.equal(undefined);
        expect(writeReportFile(file, { outcome: "promoted" })).to.equal(undefined);
        expect(fs.readFileSync(victim, "utf8")).to.equal("do not touch\n");
        // Only the report and the planted links: no temporary file is left behind.
        expect(fs.readdirSync(root).filter((f) => !f.startsWith("report.json.") && f !== "victim.txt")).to.deep.equal(["report.json"]);
    });

    it("a device is never replaced by a report", () => {
        expect(writeReportFile("/dev/null", {})).to.equal("the path is not a regular file (a device, a pipe or a socket)");
        expect(fs.statSync("/dev/null").isCharacterDevice()).to.equal(true);
    });

    it("a path under /proc ends at once with an error (node's recursive mkdir spins there for ever)", () => {
        const run = inChild(
            `import { writeReportFile, makeFolders } from "./automation/reportWriter.ts";
             console.log(JSON.stringify({ write: writeReportFile("/proc/self/nope/report.json", {}),
                 mkdir: (() => { try { makeFolders("/proc/self/nope/deeper"); return "made"; } catch (e) { return e.code; } })() }));`,
            20_000,
        );
        expect(run.signal, `still running after ${run.ms} ms: ${run.stderr}`).to.equal(null);
        const said = JSON.parse(run.stdout.trim().split("\n").at(-1)!);
        expect(said.write).to.match(/^ENOENT/);
        expect(said.mkdir).to.equal("ENOENT");
        // What the fix replaces, cut short: fs.mkdirSync with `recursive` never returns for the same path.
        const spin = inChild(`import * as fs from "fs"; fs.mkdirSync("/proc/self/nope", { recursive: true });`, 3000);
        expect(spin.signal).to.equal("SIGKILL");
    });

    it("makeFolders creates the missing folders one level at a time and says which", () => {
        expect(makeFolders(path.join(root, "a", "b"))).to.deep.equal([path.join(root, "a"), path.join(root, "a", "b")]);
        expect(makeFolders(path.join(root, "a", "b"))).to.deep.equal([]);
    });
});

describe("`--report` is checked before anything moves (checkReportPath)", () => {
    let root: string;
    beforeEach(() => (root = fs.mkdtempSync(path.join(os.tmpdir(), "lambda-rollout-report-check-"))));
    afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

    const refusal = (file: string) => {
        try {
            checkReportPath(file);
        } catch (err) {
            expect(err).to.be.instanceOf(UsageError);
            return (err as Error).message;
        }
        return undefined;
    };

    it("a writable path passes, its new folder made, and nothing else is left there", () => {
        const file = path.join(root, "out", "report.json");
        expect(refusal(file)).to.equal(undefined);
        expect(fs.readdirSync(path.join(root, "out"))).to.deep.equal([]);
    });

    it("a folder, a device, a path under a file or under /proc is refused naming `--report`, and what it made is removed", () => {
        fs.writeFileSync(path.join(root, "a-file"), "x");
        const cases: [string, RegExp][] = [
            [root, /^`--report` \(got ".*"\): EISDIR: the path is a directory; name a file in a folder you can write$/],
            [`${root}/`, /: the path names a folder, not a file;/],
            ["/dev/null", /: the path is not a regular file \(a device, a pipe or a socket\);/],
            [path.join(root, "a-file", "report.json"), /: cannot be written: ENOTDIR/],
            ["/proc/self/nope/report.json", /: cannot be written: ENOENT/],
            [path.join(root, "new", "x".repeat(300), "report.json"), /: cannot be written: ENAMETOOLONG/],
        ];
        for (const [file, message] of cases) expect(refusal(file), file).to.match(message);
        expect(fs.readdirSync(root)).to.deep.equal(["a-file"]);
    });
});
