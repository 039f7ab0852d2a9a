/**
 * Writing the report file as the rollout goes: after every change, atomically (a temporary file renamed over
 * the old one), into a folder created if missing. A write that fails is a warning, never a change of outcome:
 * the rollout's decisions and the traffic do not depend on a local file.
 */
import * as fs from "fs";
import * as path from "path";

/** Writes `report` as JSON to `file`; returns the error's text when it could not. */
export function writeReportFile(file: string, report: unknown): string | undefined {
    try {
        fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
        const temp = `${file}.${process.pid}.tmp`;
        fs.writeFileSync(temp, JSON.stringify(report, null, 2) + "\n");
        fs.renameSync(temp, file);
        return undefined;
    } catch (err) {
        return (err as Error).message;
    }
}

/** A report keeper for `observe`: writes each version, warns once on stderr if writing fails. */
export function reportKeeper(file: string | undefined): { observe: (report: unknown) => void; latest: () => unknown; failure: () => string | undefined } {
    let latest: unknown;
    let failure: string | undefined;
    return {
        observe(report) {
            latest = report;
            if (!file) return;
            const error = writeReportFile(file, report);
            if (error && !failure) console.error(`warning: could not write the report to ${file}: ${error}`);
            failure = error;
        },
        latest: () => latest,
        failure: () => failure,
    };
}
