/**
 * The size of a long rollout's report: `npm run bench:report-size` rehearses a healthy rollout of about an hour
 * on prod with 10 functions (bench/speed.ts's `stackWithFunctions`, with prod's canary replaced by four steps of
 * 13-minute bakes), writes the report file and its HTML page as `--report` and `--html` would, and prints their
 * sizes: the figures docs/design.md ("Report series", "The HTML report") quotes.
 *
 *     npm run bench:report-size -- [--functions 10] [--bake 13m]
 *
 * A scenario does not set how long a rollout takes (its steps and bakes do), so the stack file is what changes:
 * scenarios/healthy.json's traffic (300 requests a minute, a candidate as good as stable) is rehearsed as it is.
 */
import { Command, InvalidArgumentError } from "commander";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { gzipSync } from "zlib";
import { parse as parseYaml, stringify as toYaml } from "yaml";
import { reportPage } from "../automation/cli/reportCommand";
import { PROJECT_ROOT } from "../automation/engine/evaluate";
import { rehearse } from "../automation/rehearsal/rehearse";
import { readScenario } from "../automation/rehearsal/scenario";
import { reportJson, writeTextFile } from "../automation/reportWriter";
import type { RolloutReport } from "../automation/rollout/report";
import { MAX_SERIES_ROWS, type RolloutSeries } from "../automation/rollout/series";
import { stackWithFunctions } from "./speed";

/** Four canary steps whose bakes add up to about an hour with the healthy scenario (each step's bake, then its last poll). */
export const HOUR_OF_STEPS = [5, 25, 50, 100];

/** What a report and its page weigh, and what rollout they describe. */
export interface ReportSize {
    readonly functions: number;
    readonly durationMinutes: number;
    readonly steps: number;
    readonly polls: number;
    /** The report file as `--report` writes it (indented, each array of numbers on one line). */
    readonly jsonBytes: number;
    /** The same report as compact JSON (`--json`'s line). */
    readonly compactBytes: number;
    /** Of the compact JSON, the `series` the charts are drawn from. */
    readonly seriesBytes: number;
    /** The longest array in the series: at most {@link MAX_SERIES_ROWS}, however long the rollout. */
    readonly longestSeriesArray: number;
    readonly htmlBytes: number;
    readonly htmlGzipBytes: number;
}

/** Prod's stack file with `functions` copies of its function and canary steps at `weights` %, each baking `bake`. */
export function sizeStack(prodYaml: string, functions: number, weights: readonly number[], bake: string): string {
    const doc = parseYaml(stackWithFunctions(prodYaml, functions)) as { config: Record<string, { canary: { steps: unknown[] } }> };
    doc.config["lambda-rollout:rollout"].canary.steps = weights.map((weight) => ({ weight, bake }));
    return toYaml(doc, { aliasDuplicateObjects: false });
}

/** The longest array anywhere in a series (its columns, per poll and per minute). */
export function longestArray(series: RolloutSeries | undefined): number {
    let longest = 0;
    const walk = (value: unknown): void => {
        if (Array.isArray(value)) longest = Math.max(longest, value.length);
        if (value !== null && typeof value === "object") Object.values(value).forEach(walk);
    };
    walk(series);
    return longest;
}

/** A report's and its page's sizes (pure: the bytes of the texts given, the counts of the report). */
export function measure(report: RolloutReport, json: string, html: string): ReportSize {
    const bytes = (text: string) => Buffer.byteLength(text, "utf8");
    return {
        functions: Object.keys(report.functions).length,
        durationMinutes: report.durationMinutes,
        steps: report.steps.length,
        polls: report.series?.polls.minute.length ?? 0,
        jsonBytes: bytes(json),
        compactBytes: bytes(JSON.stringify(report)),
        seriesBytes: bytes(JSON.stringify(report.series ?? null)),
        longestSeriesArray: longestArray(report.series),
        htmlBytes: bytes(html),
        htmlGzipBytes: gzipSync(html).length,
    };
}

const n = (x: number) => x.toLocaleString("en-US");

/** The table the command prints (Markdown). */
export function sizeTable(s: ReportSize): string[] {
    return [
        `A rollout of ${s.functions} functions, ${s.durationMinutes} minutes (${s.steps} steps, ${s.polls} polls):`,
        "",
        "| what | bytes |",
        "| --- | ---: |",
        `| report file (\`--report\`) | ${n(s.jsonBytes)} |`,
        `| report as compact JSON (\`--json\`) | ${n(s.compactBytes)} |`,
        `| of which the series | ${n(s.seriesBytes)} |`,
        `| HTML page (\`--html\`) | ${n(s.htmlBytes)} (${(s.htmlBytes / 1024).toFixed(1)} KiB) |`,
        `| HTML page gzipped | ${n(s.htmlGzipBytes)} |`,
        "",
        `The longest array of the series has ${s.longestSeriesArray} rows (bounded at ${MAX_SERIES_ROWS}).`,
    ];
}

/** Rehearses scenarios/healthy.json on prod with `functions` functions baking `bake` at each step, and writes its report and page into `dir`. */
export async function rehearseAndMeasure(dir: string, functions: number, bake: string, weights = HOUR_OF_STEPS) {
    const stackFile = path.join(dir, `Pulumi.prod-${functions}.yaml`);
    fs.writeFileSync(stackFile, sizeStack(fs.readFileSync(path.join(PROJECT_ROOT, "Pulumi.prod.yaml"), "utf8"), functions, weights, bake));
    const { report } = await rehearse({
        stack: "prod",
        configFile: stackFile,
        scenario: readScenario(path.join(PROJECT_ROOT, "scenarios", "healthy.json")),
        log: { line: () => undefined },
    });
    const files = { report: path.join(dir, "report.json"), html: path.join(dir, "report.html") };
    const [json, html] = [reportJson(report), await reportPage(report)];
    for (const [file, text] of [
        [files.report, json],
        [files.html, html],
    ]) {
        const error = writeTextFile(file, text);
        if (error) throw new Error(`cannot write ${file}: ${error}`);
    }
    // Measured from the files as written, as a user would see them.
    const size = measure(report, fs.readFileSync(files.report, "utf8"), fs.readFileSync(files.html, "utf8"));
    return { report, size, files };
}

function whole(value: string): number {
    const v = Number(value);
    if (!Number.isInteger(v) || v < 1 || v > 200) throw new InvalidArgumentError(`--functions ${value}: a whole number from 1 to 200`);
    return v;
}

function duration(value: string): string {
    if (!/^\d+m$/.test(value) || Number(value.slice(0, -1)) < 1) throw new InvalidArgumentError(`--bake ${value}: minutes, e.g. 13m`);
    return value;
}

async function main(): Promise<void> {
    const opts = new Command()
        .name("npm run bench:report-size --")
        .option("--functions <n>", "how many functions (copies of prod's api)", whole, 10)
        .option("--bake <minutes>", `each of the steps' bake (${HOUR_OF_STEPS.join(", ")}%)`, duration, "13m")
        .exitOverride((err) => process.exit(err.exitCode === 0 ? 0 : 2))
        .parse(process.argv.slice(2), { from: "user" })
        .opts<{ functions: number; bake: string }>();
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "lambda-rollout-report-size-"));
    const { report, size, files } = await rehearseAndMeasure(dir, opts.functions, opts.bake);
    if (report.outcome !== "promoted") throw new Error(`the healthy rehearsal ended ${report.outcome}, not promoted: see ${files.report}`);
    if (size.longestSeriesArray > MAX_SERIES_ROWS)
        throw new Error(
            `the series has an array of ${size.longestSeriesArray} rows, past its bound of ${MAX_SERIES_ROWS}: see ${files.report}`,
        );
    console.log(
        [
            `npm run bench:report-size -- --functions ${opts.functions} --bake ${opts.bake}: scenarios/healthy.json on prod, canary ${HOUR_OF_STEPS.join(", ")}% with ${opts.bake} bakes`,
            "",
            ...sizeTable(size),
            "",
            `Written: ${files.report}, ${files.html}`,
        ].join("\n"),
    );
}

if (require.main === module)
    main().catch((err: Error) => {
        console.error(err.message);
        process.exitCode = 1;
    });
