import { expect } from "chai";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { gunzipSync, gzipSync } from "zlib";
import { loadStackConfig, PROJECT_ROOT } from "../../automation/engine/evaluate";
import type { RolloutReport } from "../../automation/rollout/report";
import { MAX_SERIES_ROWS, type RolloutSeries } from "../../automation/rollout/series";
import { longestArray, measure, rehearseAndMeasure, sizeStack, sizeTable } from "../../bench/reportSize";

describe("the report-size benchmark (bench/reportSize.ts)", function () {
    this.timeout(180_000);
    let dir: string;

    beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), "report-size-test-"))));
    afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

    it("makes prod's stack with N functions and the canary steps asked for, its gates untouched", () => {
        const file = path.join(dir, "Pulumi.prod-3.yaml");
        fs.writeFileSync(file, sizeStack(fs.readFileSync(path.join(PROJECT_ROOT, "Pulumi.prod.yaml"), "utf8"), 3, [5, 25, 50, 100], "13m"));
        const { stackConfig } = loadStackConfig("prod", file);
        const prod = loadStackConfig("prod").stackConfig;
        expect(stackConfig.functions.map((f) => f.name)).to.deep.equal(["fn001", "fn002", "fn003"]);
        expect(stackConfig.rollout.strategy).to.equal("canary");
        expect(stackConfig.rollout.canary?.steps.map((s) => [s.weight, s.bake])).to.deep.equal([
            [5, 780],
            [25, 780],
            [50, 780],
            [100, 780],
        ]);
        expect(stackConfig.rollout.gates).to.deep.equal(prod.rollout.gates);
    });

    it("measures the texts it is given: the file's bytes, the compact JSON, the series, the page and the page gzipped", () => {
        const series: RolloutSeries = { polls: { minute: [1.1, 2.1], weight: [0.1, 0.1], verdict: ["baking", "passed"] }, functions: {} };
        const report = {
            outcome: "promoted",
            stack: "prod",
            strategy: "canary",
            functions: { api: { stable: "1", candidate: "2", finalRouting: { "2": 1 } } },
            steps: [{ weight: 0.1, startedAtMinute: 0, endedAtMinute: 2.1, verdict: "passed", reason: "healthy" }],
            decisionAtMinute: 2.1,
            durationMinutes: 2.1,
            series,
        } as RolloutReport;
        const html = "<p>é</p>".repeat(100);
        const size = measure(report, '{ "a": 1 }\n', html);
        expect(size).to.deep.equal({
            functions: 1,
            durationMinutes: 2.1,
            steps: 1,
            polls: 2,
            jsonBytes: 11,
            compactBytes: Buffer.byteLength(JSON.stringify(report)),
            seriesBytes: JSON.stringify(series).length,
            longestSeriesArray: 2,
            htmlBytes: 900, // 9 bytes a time: "é" is two in UTF-8
            htmlGzipBytes: gzipSync(html).length,
        });
        expect(gunzipSync(gzipSync(html)).toString()).to.equal(html);
    });

    it("finds the longest array anywhere in a series, however deep", () => {
        expect(longestArray(undefined)).to.equal(0);
        expect(longestArray({ polls: { minute: [], weight: [], verdict: [] }, functions: {} })).to.equal(0);
        const deep = {
            polls: { minute: [1], weight: [1], verdict: ["baking"] },
            functions: { api: { minutes: { minute: [0, 1, 2] }, alarms: [{ minute: 1, name: "x" }] } },
        } as unknown as RolloutSeries;
        expect(longestArray(deep)).to.equal(3);
    });

    it("rehearses a healthy rollout of 2 functions, writes its report and page, and measures the files as written; the series within its bound", async () => {
        const { report, size, files } = await rehearseAndMeasure(dir, 2, "2m");
        expect(report.outcome).to.equal("promoted");
        expect(report.steps.map((s) => s.weight)).to.deep.equal([0.05, 0.25, 0.5, 1]);
        // The figures are the files' own sizes, and the file reads back as the report.
        expect(size.jsonBytes).to.equal(fs.statSync(files.report).size);
        expect(size.htmlBytes).to.equal(fs.statSync(files.html).size);
        expect(JSON.parse(fs.readFileSync(files.report, "utf8"))).to.deep.equal(JSON.parse(JSON.stringify(report)));
        expect(fs.readFileSync(files.html, "utf8")).to.match(/^<!DOCTYPE html>/);
        expect(size).to.include({
            functions: 2,
            durationMinutes: report.durationMinutes,
            steps: 4,
            polls: report.series!.polls.minute.length,
        });
        expect(size.polls).to.be.greaterThan(4);
        expect(size.compactBytes).to.be.lessThan(size.jsonBytes);
        expect(size.seriesBytes).to.be.within(1000, size.compactBytes);
        expect(size.htmlGzipBytes).to.be.within(1000, size.htmlBytes / 4);
        // docs/design.md, "Report series": every array of the series is bounded, the longest here one row a poll or a minute.
        const minutes = Math.max(...Object.values(report.series!.functions).map((f) => f.minutes.minute.length));
        expect(size.longestSeriesArray).to.equal(Math.max(size.polls, minutes));
        expect(size.longestSeriesArray).to.be.at.most(MAX_SERIES_ROWS);
        const table = sizeTable(size).join("\n");
        expect(table).to.contain(`A rollout of 2 functions, ${report.durationMinutes} minutes (4 steps, ${size.polls} polls)`);
        expect(table).to.contain(`| report file (\`--report\`) | ${size.jsonBytes.toLocaleString("en-US")} |`);
        expect(table).to.contain(`| HTML page gzipped | ${size.htmlGzipBytes.toLocaleString("en-US")} |`);
    });
});
