/**
 * Rehearsing a folder of scenarios, one row each: what happened, where traffic truly ended (read from the
 * simulated account), whether that keeps the tool's promise, and whether the report survived (each run writes
 * it as it goes, as `--report` does, and it is read back from disk at the end). `rehearse:all` and
 * `rehearse:faults` print these rows; docs/reliability.md holds the fault matrix as printed.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import type { PulumiProject } from "../project";
import { writeReportFile } from "../reportWriter";
import type { RolloutReport } from "../rollout/report";
import { rehearse } from "./rehearse";
import type { Safety } from "./safety";
import { readScenario } from "./scenario";
import { scenarioFiles } from "./scenarioFiles";

/** One rehearsed scenario. */
export interface MatrixRow {
    readonly scenario: string;
    readonly stack: string;
    /** What the scenario says it must end with, if it says. */
    readonly expected?: { outcome: string; exitCode?: number };
    readonly outcome: string;
    readonly exitCode: number;
    /** Per function, read from the simulated account. */
    readonly traffic: Record<string, string>;
    readonly safe: boolean;
    /** Not safe, but no path to AWS worked and the report said so (traffic unknown, the command to run). */
    readonly saidSo: boolean;
    /** What held the run when it said so. */
    readonly heldBy?: Safety["heldBy"];
    readonly safetyWhy: string;
    /** The report file written during the run exists, parses, and records the final outcome. */
    readonly reportKept: boolean;
    readonly decisionAtMinute: number | null;
    /** When traffic was read back all on stable after a rollback or an abort. */
    readonly stableAtMinute?: number;
    readonly durationMinutes: number;
    readonly blastRadius?: number;
    readonly candidateRequests?: number;
    readonly totalRequests?: number;
    readonly seconds: number;
    /** Empty when the row keeps every promise; else what it broke. */
    readonly problems: string[];
}

/**
 * Rehearses every scenario file of `dir` (sorted by name) against its stack, `stack` when it names none, of
 * `project` (default this repository's).
 */
export async function rehearseFolder(dir: string, stack: string, configFile?: string, project?: PulumiProject): Promise<MatrixRow[]> {
    const files = scenarioFiles(dir);
    const reports = fs.mkdtempSync(path.join(os.tmpdir(), "lambda-rollout-reports-"));
    const rows: MatrixRow[] = [];
    try {
        for (const file of files) {
            const scenario = readScenario(file);
            const onStack = scenario.stack ?? stack;
            const reportFile = path.join(reports, `${scenario.name}.json`);
            const t0 = Date.now();
            const result = await rehearse({
                stack: onStack,
                scenario,
                configFile: scenario.stack ? undefined : configFile,
                project,
                log: { line: () => undefined },
                observe: (r) => writeReportFile(reportFile, r),
            });
            const { report, exitCode, safety } = result;
            const kept = readBack(reportFile);
            const problems = [
                ...(safety.safe || safety.saidSo ? [] : [`unsafe: ${safety.why}`]),
                ...(kept?.outcome === report.outcome ? [] : [`report file ${kept ? `records ${kept.outcome}` : "missing"}`]),
                ...(scenario.expect && scenario.expect.outcome !== report.outcome
                    ? [`expected ${scenario.expect.outcome}, got ${report.outcome}`]
                    : []),
                ...(scenario.expect?.exitCode !== undefined && scenario.expect.exitCode !== exitCode
                    ? [`expected exit ${scenario.expect.exitCode}, got ${exitCode}`]
                    : []),
            ];
            rows.push({
                scenario: scenario.name,
                stack: onStack,
                expected: scenario.expect,
                outcome: report.outcome,
                exitCode,
                traffic: safety.traffic,
                safe: safety.safe,
                saidSo: safety.saidSo,
                ...(safety.heldBy ? { heldBy: safety.heldBy } : {}),
                safetyWhy: safety.why,
                reportKept: kept?.outcome === report.outcome,
                decisionAtMinute: report.decisionAtMinute,
                stableAtMinute: report.stableAtMinute,
                durationMinutes: report.durationMinutes,
                blastRadius: report.requests?.candidateErrors,
                candidateRequests: report.requests?.candidate,
                totalRequests: report.requests?.total,
                seconds: (Date.now() - t0) / 1000,
                problems,
            });
        }
    } finally {
        fs.rmSync(reports, { recursive: true, force: true });
    }
    return rows;
}

function readBack(file: string): RolloutReport | undefined {
    try {
        return JSON.parse(fs.readFileSync(file, "utf8")) as RolloutReport;
    } catch {
        return undefined;
    }
}

/** The safe column of a run that could not keep promise 1 and said so, by what held it. */
const SAID_SO: Record<NonNullable<Safety["heldBy"]>, string> = {
    "no-path-to-aws": "no path to AWS worked: said so (traffic unknown, command printed)",
    "unreadable-record": "a record that cannot be read held the run: said so (its text, the stable the history names, the commands)",
};

/** The rows as a Markdown table, for a person and for docs/reliability.md. */
export function describeMatrix(rows: readonly MatrixRow[]): string[] {
    const lines = [
        "| case | stack | outcome | exit | traffic at the end (read from AWS) | safe | report kept | decided (min) | on stable at (min) | failed candidate requests |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ];
    for (const r of rows) {
        const traffic = Object.entries(r.traffic)
            .map(([k, t]) => `${k} ${t}`)
            .join(", ");
        const outcome = r.expected && r.expected.outcome !== r.outcome ? `${r.outcome} (expected ${r.expected.outcome})` : r.outcome;
        lines.push(
            `| ${r.scenario} | ${r.stack} | ${outcome} | ${r.exitCode} | ${traffic} | ${r.safe ? "yes" : r.saidSo ? SAID_SO[r.heldBy ?? "no-path-to-aws"] : `NO: ${r.safetyWhy}`} | ${r.reportKept ? "yes" : "NO"} | ${r.decisionAtMinute ?? "-"} | ${r.stableAtMinute ?? "-"} | ${r.blastRadius ?? "-"} |`,
        );
    }
    return lines;
}
