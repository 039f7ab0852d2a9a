import { expect } from "chai";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { PROJECT_ROOT } from "../../../automation/engine/evaluate";
import { rehearse } from "../../../automation/rehearsal/rehearse";
import { readScenario } from "../../../automation/rehearsal/scenario";
import { decisionNote } from "../../../automation/report/functionChart";
import { headline } from "../../../automation/report/headline";
import { renderReportHtml } from "../../../automation/report/html";
import { shortNumbers, withHoverTitles } from "../../../automation/report/render";
import { reportJson } from "../../../automation/reportWriter";
import { markers, timeDomain, weightLine, type StackRun } from "../../../automation/report/rows";
import type { RolloutReport, StepRecord } from "../../../automation/rollout/report";
import { runCli } from "../../helpers/cli";
import { memoryLog } from "../../helpers/fakes";

const step = (over: Partial<StepRecord>): StepRecord => ({
    weight: 0.1,
    startedAtMinute: 0,
    endedAtMinute: 10.8,
    verdict: "passed",
    reason: "healthy",
    ...over,
});

const run = (over: Partial<StackRun>): StackRun => ({
    stack: "prod",
    outcome: "promoted",
    functions: { api: { stable: "1", candidate: "2", finalRouting: { "2": 1 } } },
    steps: [],
    ...over,
});

describe("the HTML report: its rows, its words and its page (automation/report)", function () {
    this.timeout(120_000);
    let bad: RolloutReport;

    before(async () => {
        bad = (
            await rehearse({
                stack: "prod",
                scenario: readScenario(path.join(PROJECT_ROOT, "scenarios", "bad-canary.json")),
                log: memoryLog(),
            })
        ).report;
    });

    it("the weight goes back to 0% where traffic was read back on stable after a rollback, and ends at 100% after a promotion", () => {
        const rolledBack = run({
            outcome: "rolled-back",
            steps: [step({}), step({ weight: 0.5, startedAtMinute: 10.8, endedAtMinute: 14.1, verdict: "failed" })],
            decisionAtMinute: 14.1,
            stableAtMinute: 14.3,
            durationMinutes: 15,
        });
        expect(weightLine(rolledBack)).to.deep.equal([
            { minute: 0, percent: 0 },
            { minute: 0, percent: 10 },
            { minute: 10.8, percent: 50 },
            { minute: 14.3, percent: 0 },
            { minute: 15, percent: 0 },
        ]);
        const blueGreen = run({ steps: [step({ weight: 1, endedAtMinute: 15.8 })], decisionAtMinute: 15.8, durationMinutes: 15.8 });
        expect(weightLine(blueGreen).at(-1)).to.deep.equal({ minute: 15.8, percent: 100 });
        expect(timeDomain(blueGreen)).to.deep.equal([0, 16]);
    });

    it("markers carry every event with its reason, in time order, the decision last at its minute", () => {
        const list = markers(
            run({
                outcome: "aborted",
                steps: [step({ verdict: "interrupted", cause: "operator", reason: "bad deploy" })],
                decisionAtMinute: 5,
                stableAtMinute: 5,
                operator: [{ action: "abort", by: "ana", reason: "bad deploy", atMinute: 5 }],
                hooks: [
                    {
                        point: "preTraffic",
                        name: "db check",
                        kind: "command",
                        outcome: "passed",
                        status: "exit 0",
                        attempts: 1,
                        durationMs: 40,
                        output: "ok",
                        atMinute: 0.2,
                    },
                ],
            }),
        );
        expect(list.map((m) => [m.minute, m.kind])).to.deep.equal([
            [0.2, "hook"],
            [5, "stable"],
            [5, "operator"],
            [5, "decision"],
        ]);
        expect(list.find((m) => m.kind === "operator")!.text).to.equal("abort by ana: bad deploy");
    });

    it("the headline of a rolled-back bad canary says why in the gate's numbers", () => {
        const h = headline(bad);
        expect(h.outcome).to.equal("Rolled back at minute 5.1");
        expect(h.why).to.match(
            /^The candidate fails more often than stable and its history before the rollout\. api: candidate \d+\/\d+ calls failed/,
        );
        expect(h.why).to.include("crossed the rollback line");
    });

    it("the deciding evidence is written on the panel that shows it, for the function that decided only", () => {
        const failed = (cause: StepRecord["cause"], numbers: object) =>
            run({
                outcome: "rolled-back",
                decisionAtMinute: 7.1,
                steps: [step({ verdict: "failed", cause, function: "api", numbers: { api: numbers as never } })],
            });
        expect(decisionNote(failed("latency", { candidateP99Ms: 10000 }), "api")).to.deep.equal({
            panel: "latency",
            text: "rolled back: p99 10000 ms",
        });
        expect(decisionNote(failed("end-of-step-look", { lookPValue: 0.0000891 }), "api")!.text).to.equal(
            "rolled back: end-of-step test p = 0.000089",
        );
        expect(decisionNote(failed("absolute-limit", { candidateErrorRateLowerPercent: 1.4 }), "api")!.panel).to.equal("errors");
        expect(decisionNote(failed("same-minute", { sameMinuteLogRatio: 6.56 }), "worker")).to.equal(undefined);
        expect(decisionNote(run({ steps: [step({})] }), "api")).to.equal(undefined);
    });

    it("a mark with a description gets a <title>, which a browser shows on hover", () => {
        expect(withHoverTitles('<g><path d="M0,0" aria-label="decided: rolled-back &amp; why &lt;1%"/><line x2="1"/></g>')).to.equal(
            '<g><path d="M0,0" aria-label="decided: rolled-back &amp; why &lt;1%"><title>decided: rolled-back &amp; why &lt;1%</title></path><line x2="1"/></g>',
        );
    });

    it("coordinates are cut to two decimals in geometry attributes only, never in text", () => {
        expect(
            shortNumbers(
                '<path transform="translate(7.166666666666667,170)" d="M2.5,0L21.123456,3"/><text x="1.23456">p = 0.000089</text>',
            ),
        ).to.equal('<path transform="translate(7.16,170)" d="M2.5,0L21.12,3"/><text x="1.23">p = 0.000089</text>');
    });

    it("the report file keeps each array of plain values (a series' column) on one line, and reads back the same", () => {
        const text = reportJson(bad);
        expect(JSON.parse(text)).to.deep.equal(bad);
        expect(text).to.match(/\n {10}"minute": \[[\d., -]+\],\n/);
        const tricky = { warnings: ["a,\n b [x]", "c"], nested: [[1, 2], { a: [] }] };
        expect(JSON.parse(reportJson(tricky))).to.deep.equal(tricky);
    });

    it("the page is one file: SVG charts, no script, nothing to load, a policy that forbids loading, hover text on the markers", async () => {
        const html = await renderReportHtml(bad, "lambda-rollout (test)");
        expect(html).to.include(`content="default-src 'none'; style-src 'unsafe-inline'"`);
        expect(html).not.to.match(/<script|<link|<img|<iframe|url\(/i);
        expect(html).not.to.match(/(src|href)="https?:/);
        expect((html.match(/<figure class="chart"/g) ?? []).length).to.equal(2);
        expect(html).to.match(/<title>decided: rolled-back at minute 5\.1: api: error rate above stable/);
        expect(html).to.include("Rolled back at minute 5.1");
    });

    it("a release of waves draws one section per stack, each with its own charts", async () => {
        const waves = { ...bad, waves: [{ outcome: "rolled-back", stacks: [bad, { ...bad, stack: "prod-eu" }] }] };
        const html = await renderReportHtml(waves, "lambda-rollout (test)");
        expect([...html.matchAll(/<section class="stack" data-stack="([^"]+)"/g)].map((m) => m[1])).to.deep.equal(["prod", "prod-eu"]);
        expect((html.match(/<figure class="chart"/g) ?? []).length).to.equal(4);
    });

    describe("`lambda-rollout report REPORT.json --html OUT.html`", () => {
        let dir: string;
        before(() => {
            dir = fs.mkdtempSync(path.join(os.tmpdir(), "lambda-rollout-report-cli-"));
            fs.writeFileSync(path.join(dir, "bad.json"), JSON.stringify(bad));
        });

        it("writes the page from a report file and says where", async () => {
            const r = await runCli(["report", path.join(dir, "bad.json"), "--html", path.join(dir, "out", "bad.html")]);
            expect(r.code, r.stderr).to.equal(0);
            expect(r.stderr).to.match(/^wrote .*bad\.html \(\d+ KiB\) from .*bad\.json\n$/);
            expect(fs.readFileSync(path.join(dir, "out", "bad.html"), "utf8")).to.include("Rolled back at minute 5.1");
        });

        it("a file that is not a report is exit 2 naming the field, and nothing is written", async () => {
            fs.writeFileSync(
                path.join(dir, "notes.json"),
                JSON.stringify({ outcome: "rolled-back", stack: "prod", functions: {}, steps: [{ weight: "10%" }] }),
            );
            const r = await runCli(["report", path.join(dir, "notes.json"), "--html", path.join(dir, "notes.html")]);
            expect(r.code).to.equal(2);
            expect(r.stderr).to.match(/notes\.json is not a lambda-rollout report: `steps\.0\.weight`: /);
            expect(fs.existsSync(path.join(dir, "notes.html"))).to.equal(false);
            const missing = await runCli(["report", path.join(dir, "none.json"), "--html", path.join(dir, "none.html")]);
            expect(missing.code).to.equal(2);
            expect(missing.stderr).to.include("cannot read the report");
        });

        it("without --html it is exit 2 and says the flag is required", async () => {
            const r = await runCli(["report", path.join(dir, "bad.json")]);
            expect(r.code).to.equal(2);
            expect(r.stderr).to.include("required option '--html <file>' not specified");
        });
    });
});
