/**
 * Writing the report file as the rollout goes: after every change, atomically (a temporary file renamed over
 * the old one), into a folder created if missing. A write that fails is a warning, never a change of outcome:
 * the rollout's decisions and the traffic do not depend on a local file.
 */
import * as fs from "fs";
import * as path from "path";

/**
 * Writes `report` as JSON to `file`, creating its folder if missing; returns the error's text when it could
 * not. The JSON goes to a temporary file beside it, flushed to disk and then renamed over `file`, so a crash at
 * any point leaves the previous report or the new one, never half of one; a failed write leaves no temporary
 * file behind.
 */
export function writeReportFile(file: string, report: unknown): string | undefined {
    let text: string;
    try {
        text = reportJson(report);
    } catch (err) {
        // A report that cannot be serialized (a BigInt, a cycle): nothing is written, the previous file stays whole.
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

/** Writes `text` to `file` as {@link writeReportFile} writes a report: atomically, its folder made; the error's text when it could not. */
export function writeTextFile(file: string, text: string): string | undefined {
    if (/[\\/]$/.test(file)) return "the path names a folder, not a file";
    const temp = `${file}.${process.pid}.tmp`;
    try {
        if (fs.statSync(file, { throwIfNoEntry: false })?.isDirectory()) return "EISDIR: the path is a directory";
        fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
        const fd = fs.openSync(temp, "w");
        try {
            fs.writeFileSync(fd, text);
            fs.fsyncSync(fd);
        } finally {
            fs.closeSync(fd);
        }
        fs.renameSync(temp, file);
        return undefined;
    } catch (err) {
        try {
            fs.rmSync(temp, { force: true });
        } catch {
            // The temporary file was never made (its folder is missing or not writable): nothing to clean.
        }
        return (err as Error).message;
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
