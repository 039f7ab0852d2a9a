import { expect } from "chai";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import type { Browser } from "playwright-core";
import { PROJECT_ROOT } from "../../../automation/engine/evaluate";
import { resolveProject } from "../../../automation/project";
import { rehearse } from "../../../automation/rehearsal/rehearse";
import { readScenario } from "../../../automation/rehearsal/scenario";
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

/** Per chart on the page: each `data_*` layer (the report's data) and how many drawn items it has. */
interface ChartMarks {
    readonly chart: string;
    readonly width: number;
    readonly height: number;
    readonly layers: { name: string; items: number }[];
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
                return { chart: f.getAttribute("data-chart")!, width: svg.width, height: svg.height, layers };
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
            // One weight chart, and one chart per function the gates judged.
            expect(charts.map((c) => c.chart)).to.deep.equal(["weight", ...orderedFunctions(report).map((f) => `function-${f}`)]);
            for (const c of charts) {
                expect(c.width * c.height, `${c.chart} has no area on the page`).to.be.greaterThan(10_000);
                expect(c.layers.length, `${c.chart} has no data layer`).to.be.greaterThan(0);
                for (const layer of c.layers) expect(layer.items, `${c.chart}: ${layer.name} is empty`).to.be.greaterThan(0);
            }
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

/** The functions in the order the page shows them: the one that decided first, then by name. */
function orderedFunctions(report: RolloutReport): string[] {
    const decider = [...report.steps].reverse().find((s) => s.verdict === "failed")?.function;
    return Object.keys(report.series!.functions).sort((a, b) => Number(b === decider) - Number(a === decider) || a.localeCompare(b));
}
