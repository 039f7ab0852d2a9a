/**
 * Renders a rollout report (the JSON that `npm run promote -- --report FILE` writes) as markdown for
 * $GITHUB_STEP_SUMMARY: the outcome, a compact chart of the weight and of the error rates (Mermaid, which GitHub
 * draws; automation/report/summaryChart.ts), each function's versions, and one table row per step (weight,
 * verdict, reason). Used by .github/workflows/promote.yml and rollback.yml:
 *
 *     node --import tsx .github/scripts/reportSummary.ts rollout-report.json <exit code> >> "$GITHUB_STEP_SUMMARY"
 *
 * The workflow adds the link to the HTML report once its artifact is uploaded.
 *
 * With `--exit-line <code>` it prints instead the one line the job's log gets for promote's exit code: what the
 * code means, from the tool's own table, as a workflow error annotation unless the code is 0.
 *
 * Always exits 0: the workflow's own step fails the job with promote's exit code.
 *
 * Every value from the report is Markdown-escaped (domain/text.ts `markdownText`): a reason can quote a hook,
 * AWS or a record anyone with UpdateAlias wrote, and must not make a link, an image, HTML or a table row.
 */
import * as fs from "fs";
import { EXIT_CODE_MEANINGS } from "../../automation/exitCodes";
import { markdownText, oneLine } from "../../domain/text";
import type { StackRun } from "../../automation/report/rows";
import { summaryCharts } from "../../automation/report/summaryChart";

/** The meaning of promote/rollback exit codes: the tool's own table (automation/exitCodes.ts). */
export const EXIT_CODES = EXIT_CODE_MEANINGS;

interface ReportStep {
    readonly weight?: number;
    readonly verdict?: string;
    readonly reason?: string;
    readonly startedAtMinute?: number;
    readonly endedAtMinute?: number;
}

interface Report {
    readonly outcome?: string;
    readonly stack?: string;
    readonly strategy?: string;
    readonly functions?: Record<string, { stable?: string; candidate?: string; finalRouting?: Record<string, number> }>;
    readonly steps?: ReportStep[];
    readonly durationMinutes?: number;
    /** The per-minute evidence (automation/rollout/series.ts), when a gate polled. */
    readonly series?: unknown;
}

/** The job log's line for an exit code: its meaning, an `::error::` annotation unless the rollout ended well. */
export function exitLine(exitCode: number): string {
    const meaning = `exit code ${exitCode}: ${EXIT_CODES[exitCode] ?? "unexpected exit code"}`;
    return exitCode === 0 ? meaning : `::error::${meaning}`;
}

/** Markdown for a report (or for its absence) and the command's exit code. */
export function renderSummary(report: Report | undefined, exitCode: number): string {
    const meaning = EXIT_CODES[exitCode] ?? "unexpected exit code";
    const lines: string[] = [];
    if (!report) {
        lines.push("## Rollout", "", `No report was written. Exit code ${exitCode}: ${meaning}.`);
        return lines.join("\n") + "\n";
    }
    lines.push(`## Rollout of ${code(report.stack ?? "?")}: ${cell(report.outcome ?? "unknown")}`, "");
    lines.push(`Strategy ${cell(report.strategy ?? "?")}; exit code ${exitCode}: ${meaning}.`);
    if (typeof report.durationMinutes === "number") lines.push(`Duration ${report.durationMinutes} min.`);
    // The charts read the steps and the series; a report without them (a rollback's) has none.
    if (report.series && Array.isArray(report.steps) && report.functions) lines.push("", ...summaryCharts(report as unknown as StackRun));
    const functions = Object.entries(report.functions ?? {});
    if (functions.length > 0) {
        lines.push("", "| function | stable | candidate | final routing |", "| --- | --- | --- | --- |");
        for (const [name, f] of functions) {
            const routing =
                typeof f.finalRouting === "object" && f.finalRouting !== null
                    ? Object.entries(f.finalRouting)
                          .map(([version, weight]) => `v${version} ${percent(weight)}`)
                          .join(", ")
                    : String(f.finalRouting ?? "");
            lines.push(`| ${cell(name)} | ${cell(f.stable ?? "")} | ${cell(f.candidate ?? "")} | ${cell(routing)} |`);
        }
    }
    const steps = report.steps ?? [];
    lines.push("");
    if (steps.length === 0) {
        lines.push("No steps were taken.");
    } else {
        lines.push("| step | weight | verdict | reason |", "| --- | --- | --- | --- |");
        steps.forEach((s, i) => {
            lines.push(
                `| ${i + 1} | ${typeof s.weight === "number" ? percent(s.weight) : ""} | ${cell(s.verdict ?? "")} | ${cell(s.reason ?? "")} |`,
            );
        });
    }
    return lines.join("\n") + "\n";
}

function percent(weight: unknown): string {
    return typeof weight === "number" ? `${Math.round(weight * 1000) / 10}%` : "";
}

/** A value from the report, as one line of Markdown that shows as written (a table cell included). */
function cell(value: unknown): string {
    return markdownText(String(value));
}

/** A name as a code span (shown as written: no link, HTML or emphasis forms inside one); not for a table cell. */
function code(value: unknown): string {
    return `\`${oneLine(String(value)).replace(/`/g, "'")}\``;
}

if (require.main === module) {
    const [file, code] = process.argv.slice(2);
    if (file === "--exit-line") {
        process.stdout.write(exitLine(Number(code)) + "\n");
        process.exit(0);
    }
    let report: Report | undefined;
    try {
        report = file && fs.existsSync(file) ? (JSON.parse(fs.readFileSync(file, "utf8")) as Report) : undefined;
    } catch (err) {
        process.stdout.write(`Report ${file} could not be read: ${(err as Error).message}\n\n`);
    }
    process.stdout.write(renderSummary(report, Number(code ?? "0")));
}
