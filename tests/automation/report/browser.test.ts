import { expect } from "chai";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import type { Browser } from "playwright-core";
import { PROJECT_ROOT } from "../../../automation/engine/evaluate";
import { resolveProject } from "../../../automation/project";
import { rehearse } from "../../../automation/rehearsal/rehearse";
import { readScenario } from "../../../automation/rehearsal/scenario";
import { BOUND } from "../../../automation/report/functionChart";
import { renderReportHtml } from "../../../automation/report/html";
import type { RolloutReport } from "../../../automation/rollout/report";
import { launchChromium, openFile } from "../../helpers/browser";
import { memoryLog } from "../../helpers/fakes";

/** Where the screenshots go (printed, kept after the run to be looked at). */
const SHOTS = path.join(os.tmpdir(), "lambda-rollout-report-screenshots");

/** Prod's config with the linear strategy (25% every 5 minutes) in place of canary. */
function linearConfig(dir: string): string {
    const file = path.join(dir, "Pulumi.prod.linear.yaml");
    const prod = fs.readFileSync(path.join(PROJECT_ROOT, "Pulumi.prod.yaml"), "utf8");
    fs.writeFileSync(
        file,
        prod.replace("    strategy: canary\n", "    strategy: linear\n    linear:\n      stepPercent: 25\n      every: 5m\n"),
    );
    return file;
}

const scenario = (name: string) => readScenario(path.join(PROJECT_ROOT, "scenarios", `${name}.json`));

/**
 * Per chart on the page: each `data_*` layer (the report's data) and how many drawn items it has, the points
 * each layer's marks put on the page (a line's or an area's vertices, a rect per datum), and the legend's labels.
 */
interface ChartMarks {
    readonly chart: string;
    readonly width: number;
    readonly height: number;
    readonly layers: { name: string; items: number }[];
    readonly points: Record<string, number>;
    readonly legend: string[];
}

/** Something a chart must show, as the report says it, and where the report says so. */
interface MustShow {
    readonly chart: string;
    /** The data layer (`data_<layer>` in the page) that must be drawn... */
    readonly layer: string;
    /** ...with at least this many points... */
    readonly atLeast: number;
    /** ...or exactly this many, when the report counts them. */
    readonly exactly?: number;
    /** The legend entry that must name it, when the chart has a legend for it. */
    readonly legend?: string;
    /** What in the report says the chart must show it. */
    readonly because: string;
}

describe("the HTML report in a real browser (headless Chromium)", function () {
    this.timeout(180_000);
    let browser: Browser;
    const reports = new Map<string, RolloutReport>();

    before(async () => {
        fs.mkdirSync(SHOTS, { recursive: true });
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "lambda-rollout-browser-"));
        const runs: [string, Parameters<typeof rehearse>[0]][] = [
            ["canary-bad", { stack: "prod", scenario: scenario("bad-canary"), log: memoryLog() }],
            ["canary-healthy", { stack: "prod", scenario: scenario("healthy"), log: memoryLog() }],
            ["blue-green-bad", { stack: "staging", scenario: scenario("bad-canary"), log: memoryLog() }],
            [
                "linear-degrading",
                { stack: "prod", scenario: scenario("degrades-after-20m"), configFile: linearConfig(dir), log: memoryLog() },
            ],
            [
                "two-functions",
                {
                    stack: "dev",
                    scenario: scenario("bad-canary"),
                    project: resolveProject(path.join(PROJECT_ROOT, "examples", "existing-project")),
                    log: memoryLog(),
                },
            ],
        ];
        for (const [name, options] of runs) reports.set(name, (await rehearse(options)).report);
        browser = await launchChromium();
    });

    after(async () => {
        await browser?.close();
    });

    /** Renders a report, opens it, reads every chart's data layers, saves a screenshot. */
    async function look(name: string, report: RolloutReport) {
        const file = path.join(SHOTS, `${name}.html`);
        fs.writeFileSync(file, await renderReportHtml(report, "lambda-rollout (test)"));
        const { page, watch } = await openFile(browser, file);
        const charts: ChartMarks[] = await page.$$eval("figure[data-chart]", (figures) =>
            figures.map((f) => {
                const svg = f.querySelector("svg")!.getBoundingClientRect();
                const layers = [...f.querySelectorAll('g[class*="data_"]')].map((g) => {
                    const name = [...g.classList].find((c) => c.startsWith("data_"))!;
                    // A drawn item: a path with geometry, or a line, rect or circle.
                    const items = [...g.children].filter((el) => el.tagName !== "path" || (el.getAttribute("d") ?? "").length > 2).length;
                    return { name, items };
                });
                // A data layer's points: a line's or an area's vertices, else one per drawn item (a rect per poll).
                const points: Record<string, number> = {};
                for (const g of f.querySelectorAll('g[class*="data_"][class*="_marks"]')) {
                    const layer = [...g.classList].find((c) => c.startsWith("data_"))!.replace(/^data_|_marks$/g, "");
                    // (No named function in here: tsx would wrap it in a helper the page does not have.)
                    const line = g.classList.contains("mark-line") || g.classList.contains("mark-area");
                    const paths = [...g.querySelectorAll("path")];
                    const drawn = line
                        ? paths.reduce((n, p) => n + ((p.getAttribute("d") ?? "").match(/[ML]/g)?.length ?? 0), 0)
                        : paths.length;
                    points[layer] = (points[layer] ?? 0) + drawn;
                }
                const legend = [...f.querySelectorAll(".role-legend-label text")].map((t) => t.textContent ?? "");
                return { chart: f.getAttribute("data-chart")!, width: svg.width, height: svg.height, layers, points, legend };
            }),
        );
        const shot = path.join(SHOTS, `${name}.png`);
        await page.screenshot({ path: shot, fullPage: true });
        await page.close();
        return { charts, watch, shot, headline: report };
    }

    for (const name of ["canary-bad", "canary-healthy", "blue-green-bad", "linear-degrading", "two-functions"]) {
        it(`${name}: every chart rendered with marks in each of its data layers, no console error, no network request; screenshot saved`, async () => {
            const report = reports.get(name)!;
            const { charts, watch, shot } = await look(name, report);
            console.log(`      screenshot: ${shot}`);
            // One weight chart, and one chart per function the gates judged (as the steps' numbers name them).
            expect(charts.map((c) => c.chart)).to.deep.equal(["weight", ...orderedFunctions(report).map((f) => `function-${f}`)]);
            for (const c of charts) {
                expect(c.width * c.height, `${c.chart} has no area on the page`).to.be.greaterThan(10_000);
                expect(c.layers.length, `${c.chart} has no data layer`).to.be.greaterThan(0);
                for (const layer of c.layers) expect(layer.items, `${c.chart}: ${layer.name} is empty`).to.be.greaterThan(0);
            }
            // What the report says each chart must show, drawn: a layer left out of the page (not only an empty one) fails.
            expect(missing(charts, mustShow(report)), "what the report says the charts must show").to.deep.equal([]);
            expect(watch.consoleErrors).to.deep.equal([]);
            expect(watch.requests).to.deep.equal([]);
            expect(fs.statSync(shot).size).to.be.greaterThan(20_000);
        });
    }

    it("the weight chart of a linear rollout steps through each weight it baked (25, 50, 75, 100%)", async () => {
        const report = reports.get("linear-degrading")!;
        expect(report.steps.map((s) => s.weight)).to.deep.equal([0.25, 0.5, 0.75, 1].slice(0, report.steps.length));
        const { charts } = await look("linear-degrading", report);
        const weight = charts.find((c) => c.chart === "weight")!;
        expect(weight.layers.find((l) => l.name === "data_polls_marks")!.items).to.equal(report.series!.polls.minute.length);
    });
});

/** The functions the gates judged, as the steps' numbers name them (not the series the charts are drawn from). */
function judgedFunctions(report: RolloutReport): string[] {
    return [...new Set(report.steps.flatMap((s) => Object.keys(s.numbers ?? {})))];
}

/** The functions in the order the page shows them: the one that decided first, then by name. */
function orderedFunctions(report: RolloutReport): string[] {
    const decider = [...report.steps].reverse().find((s) => s.verdict === "failed")?.function;
    return judgedFunctions(report).sort((a, b) => Number(b === decider) - Number(a === decider) || a.localeCompare(b));
}

/**
 * What each chart must show, from the report's steps and functions rather than from the series drawn, so that a
 * series emptied at its source (the report's JSON) fails here as surely as a layer emptied in the page: each
 * version that served requests in a judged step has its error-rate line (a point at least) and its legend entry;
 * each function the gates judged has its bound; the weight chart has a mark per poll and one at least per step
 * the gates judged (each of them was polled).
 */
function mustShow(report: RolloutReport): MustShow[] {
    const out: MustShow[] = [];
    const judged = report.steps.filter((s) => s.numbers !== undefined).length;
    const polls = report.series?.polls.minute.length ?? 0;
    out.push({ chart: "weight", layer: "weight", atLeast: 2, because: `${report.steps.length} steps` });
    out.push({ chart: "weight", layer: "polls", atLeast: judged, exactly: polls, because: `${judged} judged steps, ${polls} polls` });
    for (const name of judgedFunctions(report)) {
        const chart = `function-${name}`;
        const f = report.functions[name];
        const served = (version: "candidate" | "stable") =>
            report.steps.flatMap((s, i) => {
                const n = s.numbers?.[name]?.[`${version}Invocations`] ?? 0;
                return n > 0 ? [`steps[${i}].numbers.${name}.${version}Invocations = ${n}`] : [];
            });
        for (const version of ["candidate", "stable"] as const) {
            const why = served(version);
            if (why.length === 0) continue;
            const legend = `${version} v${version === "candidate" ? f.candidate : f.stable}`;
            out.push({ chart, layer: `${version}_errors`, atLeast: 1, legend, because: `${legend} served requests (${why[0]})` });
        }
        const bound = report.steps.findIndex((s) => s.numbers?.[name] !== undefined);
        out.push({
            chart,
            layer: "bound",
            atLeast: 1,
            legend: BOUND,
            because: `the gate computed it (steps[${bound}].numbers.${name}.candidateErrorRateLowerPercent = ${report.steps[bound].numbers![name].candidateErrorRateLowerPercent})`,
        });
    }
    return out;
}

/** Each thing a chart must show that the page lacks, said with the chart, the series and why it must be there. */
function missing(charts: ChartMarks[], musts: MustShow[]): string[] {
    return musts.flatMap((m) => {
        const chart = charts.find((c) => c.chart === m.chart);
        if (!chart) return [`${m.chart}: no such chart on the page, but ${m.because}`];
        const drawn = chart.points[m.layer] ?? 0;
        const problems: string[] = [];
        if (drawn < m.atLeast || (m.exactly !== undefined && drawn !== m.exactly))
            problems.push(
                `${m.chart}: data_${m.layer} has ${drawn} points on the page, expected ${m.exactly ?? `at least ${m.atLeast}`}: ${m.because}`,
            );
        if (m.legend !== undefined && !chart.legend.includes(m.legend))
            problems.push(`${m.chart}: the legend lacks "${m.legend}" (it has ${JSON.stringify(chart.legend)}): ${m.because}`);
        return problems;
    });
}
