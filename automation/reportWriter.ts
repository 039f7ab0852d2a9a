/**
 * Writing the report file as the rollout goes: after every change, atomically (a temporary file renamed over
 * the old one), into a folder created if missing. A write that fails is a warning, never a change of outcome:
 * the rollout's decisions and the traffic do not depend on a local file. Whether the path can be written at all
 * is checked once, before anything moves (`checkReportPath`: exit 2 naming `--report`).
 *
 * The temporary file is created exclusively (`wx`: it never opens a file or a symlink someone planted there),
 * readable by its owner only (0600: the report names versions, ARNs and reasons), beside its target under a
 * name nobody can predict, and renamed over the target (replacing a symlink there, never writing through it).
 */
import { randomBytes } from "crypto";
import * as fs from "fs";
import * as path from "path";
import { UsageError } from "./errors";

/** Removes folders this run created (innermost first); one no longer empty is someone else's now and stays. */
function removeFolders(made: readonly string[]): void {
    for (const dir of [...made].reverse()) {
        try {
            fs.rmdirSync(dir);
        } catch {
            // no longer empty (someone else wrote there meanwhile): theirs to keep
        }
    }
}

/**
 * Creates `folder` and its missing parents, one level at a time, each tried once: node's own recursive mkdir
 * spins for ever where mkdir answers ENOENT under a parent that exists (a path under /proc: 90% CPU for ten
 * minutes), so it is not used. On the first error it removes what it created and throws; else it returns the
 * folders it created, outermost first.
 */
export function makeFolders(folder: string): string[] {
    const missing: string[] = [];
    let at = path.resolve(folder);
    while (!fs.existsSync(at)) {
        missing.unshift(at);
        const parent = path.dirname(at);
        if (parent === at) break;
        at = parent;
    }
    const made: string[] = [];
    try {
        for (const dir of missing) {
            fs.mkdirSync(dir);
            made.push(dir);
        }
    } catch (err) {
        removeFolders(made);
        throw err;
    }
    return made;
}

/** Where the report must not go, before any file is touched: a folder, or something other than a regular file. */
function pathProblem(file: string): string | undefined {
    if (file === "" || /[\\/]$/.test(file)) return "the path names a folder, not a file";
    const existing = fs.lstatSync(file, { throwIfNoEntry: false });
    if (existing?.isDirectory()) return "EISDIR: the path is a directory";
    if (existing && !existing.isFile() && !existing.isSymbolicLink())
        return "the path is not a regular file (a device, a pipe or a socket)";
    return undefined;
}

/** A temporary file's name beside `file` that nobody can guess or plant in advance. */
function temporaryName(file: string): string {
    return path.join(path.dirname(path.resolve(file)), `.${path.basename(file)}.${randomBytes(12).toString("hex")}.tmp`);
}

/** Writes `text` to a new file (exclusive, 0600), flushed to disk; the file is removed if anything fails. */
function writeNew(temp: string, text: string): void {
    const fd = fs.openSync(temp, "wx", 0o600);
    try {
        try {
            fs.writeFileSync(fd, text);
            fs.fsyncSync(fd);
        } finally {
            fs.closeSync(fd);
        }
    } catch (err) {
        fs.rmSync(temp, { force: true });
        throw err;
    }
}

/**
 * Writes `report` as JSON to `file`, creating its folder if missing; returns the error's text when it could
 * not. A report that cannot be serialized (a BigInt, a cycle) writes nothing: the previous file stays whole.
 */
export function writeReportFile(file: string, report: unknown): string | undefined {
    let text: string;
    try {
        text = reportJson(report);
    } catch (err) {
        return (err as Error).message;
    }
    return writeTextFile(file, text);
}

/**
 * A report as indented JSON with each array of plain values on one line (pure): the series' columns
 * (automation/rollout/series.ts) would otherwise take a line per number, twice the bytes. Inside a JSON string a
 * line break is always escaped, so joining the lines between elements never touches a string's text.
 */
export function reportJson(report: unknown): string {
    return (
        JSON.stringify(report, null, 2).replace(
            /\[\n\s*([^[\]{}]*?)\n\s*\]/g,
            (_all, inner: string) => `[${inner.split(/,\n\s*/).join(", ")}]`,
        ) + "\n"
    );
}

/**
 * Writes `text` to `file` (a report, its HTML page), creating its folder if missing; returns the error's text
 * when it could not. The text goes to a temporary file beside it (see the module's comment), flushed to disk and
 * then renamed over `file`, so a crash at any point leaves the previous file or the new one, never half of one;
 * a failed write leaves no temporary file behind.
 */
export function writeTextFile(file: string, text: string): string | undefined {
    let temp: string | undefined;
    try {
        const problem = pathProblem(file);
        if (problem) return problem;
        makeFolders(path.dirname(path.resolve(file)));
        temp = temporaryName(file);
        writeNew(temp, text);
        fs.renameSync(temp, file);
        return undefined;
    } catch (err) {
        if (temp) fs.rmSync(temp, { force: true });
        return (err as Error).message;
    }
}

/**
 * Checks, before anything moves, that the report can be written to `file`: not a folder or a device, its folder
 * there or creatable, and a file creatable in it (tried for real, then removed: permission bits lie to root, and
 * a read-only mount or /proc says no only when asked). A folder it had to create is removed again when the check
 * fails, so a refused `--report` leaves nothing behind. Throws a UsageError naming `--report` (exit 2).
 */
export function checkReportPath(file: string): void {
    const refuse = (why: string) =>
        new UsageError(`\`--report\` (got ${JSON.stringify(file)}): ${why}; name a file in a folder you can write`);
    let made: string[] = [];
    try {
        const problem = pathProblem(file);
        if (problem) throw refuse(problem);
        made = makeFolders(path.dirname(path.resolve(file)));
        const temp = temporaryName(file);
        writeNew(temp, "");
        fs.rmSync(temp, { force: true });
    } catch (err) {
        if (err instanceof UsageError) throw err;
        removeFolders(made);
        throw refuse(`cannot be written: ${(err as Error).message}`);
    }
}

/** The warning for a report that could not be written: the outcome and the exit code stay as they are. */
export function reportWarning(file: string, error: string): string {
    return `warning: could not write the report to ${file}: ${error} (the outcome stands)`;
}

/** A report keeper for `observe`: writes each version, warns once on stderr if writing fails. */
export function reportKeeper(file: string | undefined): {
    observe: (report: unknown) => void;
    latest: () => unknown;
    failure: () => string | undefined;
} {
    let latest: unknown;
    let failure: string | undefined;
    return {
        observe(report) {
            latest = report;
            if (!file) return;
            const error = writeReportFile(file, report);
            if (error && !failure) console.error(reportWarning(file, error));
            failure = error;
        },
        latest: () => latest,
        failure: () => failure,
    };
}
