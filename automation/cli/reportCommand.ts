/**
 * `lambda-rollout report REPORT.json --html OUT.html`, and the `--html` of promote, retry, rollback and
 * rehearse: a report as one self-contained HTML page (automation/report/html.ts). A report that cannot be read
 * is exit 2 naming the file and the field, and nothing is written; a page that cannot be written after a
 * rollout is a warning that never changes its outcome (as `--report`).
 */
import * as fs from "fs";
import { z } from "zod";
import { UsageError } from "../errors";
import { packageVersion } from "../packageRoot";
import { renderReportHtml, type ReportDocument } from "../report/html";
import { writeTextFile } from "../reportWriter";
import type { RolloutReport } from "../rollout/report";

const OUTCOMES = ["promoted", "rolled-back", "failed", "nothing-to-do", "aborted", "held"] as const;

/** What the page needs of a report; anything else it carries is kept as it is. */
const reportSchema = z.looseObject({
    outcome: z.enum(OUTCOMES),
    stack: z.string(),
    functions: z.record(z.string(), z.looseObject({ stable: z.string(), candidate: z.string() })),
    steps: z.array(
        z.looseObject({
            weight: z.number(),
            startedAtMinute: z.number(),
            endedAtMinute: z.number(),
            verdict: z.string(),
            reason: z.string(),
        }),
    ),
    series: z
        .looseObject({
            polls: z.looseObject({ minute: z.array(z.number()), weight: z.array(z.number()), verdict: z.array(z.string()) }),
            functions: z.record(z.string(), z.looseObject({ minutes: z.looseObject({ minute: z.array(z.number()) }) })),
        })
        .optional(),
});

/** Reads and checks a report file (what `--report` wrote); a UsageError naming the file and the field when it is not one. */
export function readReportFile(file: string): ReportDocument {
    let text: string;
    try {
        text = fs.readFileSync(file, "utf8");
    } catch (err) {
        throw new UsageError(`cannot read the report ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
    let data: unknown;
    try {
        data = JSON.parse(text);
    } catch (err) {
        throw new UsageError(`${file} is not JSON (${(err as Error).message}): pass the file that \`--report\` wrote`);
    }
    const parsed = reportSchema.safeParse(data);
    if (!parsed.success) {
        const issue = parsed.error.issues[0];
        const where = issue.path.length > 0 ? `\`${issue.path.join(".")}\`` : "the file";
        throw new UsageError(
            `${file} is not a lambda-rollout report: ${where}: ${issue.message} (a report has \`outcome\` (one of ${OUTCOMES.join(", ")}), \`stack\`, \`functions\` and \`steps\`, as \`--report\` writes it)`,
        );
    }
    return data as ReportDocument;
}

/** The page for a report, made by this version of the tool. */
export function reportPage(report: ReportDocument | RolloutReport): Promise<string> {
    return renderReportHtml(report, `lambda-rollout ${packageVersion()}`);
}

/** `report REPORT.json --html OUT.html`: reads, checks and renders before anything is written. */
export async function runReport(file: string, opts: { html: string }): Promise<string> {
    const page = await reportPage(readReportFile(file));
    const error = writeTextFile(opts.html, page);
    if (error) throw new UsageError(`cannot write ${opts.html}: ${error}`);
    return `wrote ${opts.html} (${Math.round(Buffer.byteLength(page) / 1024)} KiB) from ${file}`;
}

/** After a rollout: the page, or a warning on stderr when it cannot be made or written (the outcome stands). */
export async function writeHtmlAfterRun(file: string | undefined, report: RolloutReport): Promise<void> {
    if (!file) return;
    let error: string | undefined;
    try {
        error = writeTextFile(file, await reportPage(report));
    } catch (err) {
        error = (err as Error).message;
    }
    if (error) console.error(`warning: could not write the HTML report to ${file}: ${error} (the outcome stands)`);
}
