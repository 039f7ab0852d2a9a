/**
 * The gates benchmark as pictures (docs/gates.md), made from a results file, never drawn by hand:
 * `npm run bench:gates` writes them after every run; `npm run bench:plots [-- --results F --out D]` draws them
 * again from committed results (bench/results/gates.json into docs/img by default). Vega-Lite specs rendered to
 * SVG on the server, as the rollout report's charts are (automation/report/render.ts).
 *
 * - blast radius per bad cell at >= 200 rpm: the median failed requests of (a), (b), ours and the gates alone,
 *   against the reference line and twice it;
 * - false rollbacks: healthy candidates rolled back, per cell;
 * - escapes at low traffic: bad candidates promoted at 20 rpm, per cell.
 */
import { Command } from "commander";
import * as fs from "fs";
import * as path from "path";
import type { TopLevelSpec } from "vega-lite";
import { renderSvg } from "../automation/report/render";
import { CLASSES, type Cell } from "./bench";
import { POLICIES, type PolicyId } from "./policies";

/** What of bench/results/gates.json the plots read. */
export interface BenchSummary {
    readonly command: string;
    readonly cells: readonly {
        readonly cell: Cell;
        readonly seeds: number;
        readonly policies: Record<string, { runs: number; promoted: number; rolledBack: number; medianBlast: number }>;
        readonly reference?: { failed: number };
    }[];
}

const pct = (f: number) => `${Math.round(f * 1000) / 10}%`;

/** A cell in words: `0.5% -> 1.5% (x3), 200 rpm`. */
export function cellLabel(c: Cell): string {
    const candidate =
        c.candidateLabel === "p99 8s"
            ? `p99 ${c.candidate.p99Ms / 1000} s`
            : c.candidateLabel === "100%"
              ? "every call fails"
              : `${pct(c.candidate.errorRate)} (${c.candidateLabel})`;
    return `${pct(c.stableErrorRate)} -> ${candidate}, ${c.requestsPerMinute} rpm`;
}

const classTest = (id: string) => CLASSES.find((k) => k.id === id)!.test;

const POLICY_COLOURS: Record<PolicyId, string> = {
    runbook: "#ff7f0e",
    codedeploy: "#1f77b4",
    ours: "#d62728",
    oursEvidence: "#2ca02c",
    oursNoSmoke: "#9467bd",
};

const CONFIG = {
    font: "DejaVu Sans, Helvetica, Arial, sans-serif",
    aria: false,
    axis: { labelFontSize: 11, titleFontSize: 11, titleFontWeight: "normal", gridColor: "#eeeeee", labelLimit: 400 },
    legend: { orient: "top", labelFontSize: 11, labelLimit: 400, title: null },
    title: { anchor: "start", fontSize: 13 },
} as const;

/** The order the dots are drawn in: ours last, on top (the what-if often sits on the same spot). */
const DRAWN = [...POLICIES].sort((a, b) => Number(a.id === "ours") - Number(b.id === "ours"));

/** One row per (cell, policy): a dot at the policy's number. */
function dots(cells: BenchSummary["cells"], value: (p: BenchSummary["cells"][number]["policies"][string]) => number) {
    return cells.flatMap((c) =>
        DRAWN.map((p) => ({
            cell: cellLabel(c.cell),
            policy: p.label,
            id: p.id,
            value: value(c.policies[p.id]),
            runs: c.policies[p.id].runs,
        })),
    );
}

function dotChart(title: string, subtitle: string, rows: object[], cells: string[], x: object, extra: object[] = []): TopLevelSpec {
    return {
        $schema: "https://vega.github.io/schema/vega-lite/v6.json",
        config: CONFIG,
        title: { text: title, subtitle },
        width: 640,
        height: { step: 24 },
        layer: [
            ...extra,
            {
                name: "data_policies",
                data: { values: rows },
                mark: { type: "point", filled: true, size: 70, opacity: 0.9 },
                encoding: {
                    y: { field: "cell", type: "nominal", sort: cells, axis: { title: null } },
                    x,
                    color: {
                        field: "policy",
                        type: "nominal",
                        scale: { domain: POLICIES.map((p) => p.label), range: POLICIES.map((p) => POLICY_COLOURS[p.id]) },
                    },
                    shape: { field: "policy", type: "nominal", scale: { domain: POLICIES.map((p) => p.label) } },
                },
            },
        ],
    } as TopLevelSpec;
}

/** The three plots of a benchmark summary (pure): file name (without `.svg`) and spec. */
export function benchPlots(summary: BenchSummary): { name: string; spec: TopLevelSpec }[] {
    const bad = summary.cells.filter(
        (c) => classTest("bad-errors-200+")(c.cell) || (c.cell.regression === "latency" && c.cell.requestsPerMinute >= 200),
    );
    const badRows = dots(bad, (p) => p.medianBlast);
    const refs = bad.flatMap((c) =>
        c.reference
            ? [
                  { cell: cellLabel(c.cell), value: c.reference.failed, what: "reference line" },
                  { cell: cellLabel(c.cell), value: 2 * c.reference.failed, what: "2x the reference" },
              ]
            : [],
    );
    const blast = dotChart(
        "Blast radius on bad candidates (>= 200 rpm): median failed requests per rollout",
        `${summary.cells[0]?.seeds ?? 0} seeds a cell; black tick: the reference line (Wald's expected sample plus the metric lag), grey tick: twice it (${summary.command})`,
        badRows,
        bad.map((c) => cellLabel(c.cell)),
        {
            field: "value",
            type: "quantitative",
            scale: { type: "symlog", constant: 1 },
            axis: {
                title: "median failed requests, symlog scale (0: stopped by the smoke test)",
                values: [0, 1, 3, 10, 30, 100, 300, 1000, 3000],
                grid: true,
            },
        },
        [
            ...(["reference line", "2x the reference"] as const).map((what, i) => ({
                name: i === 0 ? "data_reference" : "data_reference_twice",
                data: { values: refs.filter((r) => r.what === what) },
                mark: { type: "tick", thickness: 2, size: 18, color: i === 0 ? "#000000" : "#aaaaaa" },
                encoding: {
                    y: { field: "cell", type: "nominal", sort: bad.map((c) => cellLabel(c.cell)) },
                    x: { field: "value", type: "quantitative" },
                },
            })),
        ],
    );
    const healthy = summary.cells.filter((c) => classTest("healthy")(c.cell));
    const falseRollbacks = dotChart(
        "False rollbacks: healthy candidates (as good as stable) rolled back, of each cell's runs",
        `target for ours: at most 1% of runs (${summary.command})`,
        dots(healthy, (p) => p.rolledBack),
        healthy.map((c) => cellLabel(c.cell)),
        { field: "value", type: "quantitative", axis: { title: "runs rolled back", tickMinStep: 1 } },
    );
    const low = summary.cells.filter((c) => c.cell.kind === "bad" && c.cell.requestsPerMinute < 200);
    const escapes = dotChart(
        "Escapes at low traffic (20 rpm): bad candidates promoted, of each cell's runs",
        `at 20 requests a minute the gates see little; longer bakes are the remedy (docs/runbook.md) (${summary.command})`,
        dots(low, (p) => p.promoted),
        low.map((c) => cellLabel(c.cell)),
        { field: "value", type: "quantitative", axis: { title: "runs promoted (escaped)", tickMinStep: 1 } },
    );
    // A study of a few cells (`--candidates x1`, say) has no rows for some plots: those are not drawn.
    return [
        { name: "bench-blast-radius", spec: blast, rows: badRows.length },
        { name: "bench-false-rollbacks", spec: falseRollbacks, rows: healthy.length },
        { name: "bench-low-traffic-escapes", spec: escapes, rows: low.length },
    ]
        .filter((p) => p.rows > 0)
        .map(({ name, spec }) => ({ name, spec }));
}

/** Renders the plots of `summary` into `dir` as SVG files; returns their paths. */
export async function writeBenchPlots(summary: BenchSummary, dir: string): Promise<string[]> {
    fs.mkdirSync(dir, { recursive: true });
    const written: string[] = [];
    for (const plot of benchPlots(summary)) {
        const file = path.join(dir, `${plot.name}.svg`);
        fs.writeFileSync(file, (await renderSvg(plot.spec)) + "\n");
        written.push(file);
    }
    return written;
}

/** Where `npm run bench:gates` puts the plots of the main results: docs/img, shown by docs/gates.md. */
export const DOCS_IMG = path.join(__dirname, "..", "docs", "img");

if (require.main === module) {
    const o = new Command("bench:plots")
        .description("draw the gates benchmark's plots from a results file (no rerun)")
        .option("--results <file>", "the summary bench:gates wrote", path.join(__dirname, "results", "gates.json"))
        .option("--out <dir>", "where to write the SVG files", DOCS_IMG)
        .exitOverride((err) => process.exit(err.exitCode === 0 ? 0 : 2))
        .parse(process.argv)
        .opts<{ results: string; out: string }>();
    writeBenchPlots(JSON.parse(fs.readFileSync(o.results, "utf8")) as BenchSummary, o.out)
        .then((files) => process.stdout.write(files.map((f) => `wrote ${path.relative(process.cwd(), f)}\n`).join("")))
        .catch((err) => {
            console.error(err instanceof Error ? err.message : err);
            process.exitCode = 1;
        });
}
