/**
 * One rollout report as one self-contained HTML page: the outcome and why at the top, the traffic weight over
 * time, each function's error rates, evidence, p99 and throttles on the same time axis, then the step table and
 * every event. The charts are SVG rendered here (render.ts); the page has no script, loads nothing, and says so
 * to the browser (a Content-Security-Policy of `default-src 'none'`), so it opens offline and from an artifact.
 */
import type { RolloutReport } from "../rollout/report";
import { describeRouting } from "../rollout/report";
import { weightChart, type Chart } from "./charts";
import { functionChart } from "./functionChart";
import { headline } from "./headline";
import { renderSvg } from "./render";
import { decidingStep, markers, type StackRun } from "./rows";

/** A report as the page reads it: one stack's run, or, once they exist, the waves of a multi-region release. */
export type ReportDocument = RolloutReport & {
    readonly waves?: readonly { readonly stacks: readonly StackRun[]; readonly outcome: string }[];
};

const esc = (s: unknown) =>
    String(s).replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!);

const pct = (w: number) => `${Math.round(w * 1000) / 10}%`;

const STYLE = `
body { font: 14px/1.45 "DejaVu Sans", Helvetica, Arial, sans-serif; color: #222; margin: 24px auto; max-width: 1120px; padding: 0 16px; }
h1 { font-size: 20px; margin: 0 0 4px; } h2 { font-size: 16px; margin: 28px 0 8px; } h3 { font-size: 14px; margin: 18px 0 6px; }
.banner { border-left: 10px solid #888; background: #f6f6f6; padding: 12px 16px; margin: 12px 0 16px; }
.banner .outcome { font-size: 26px; font-weight: bold; }
.banner .why { font-size: 17px; margin-top: 4px; }
.banner .detail { color: #555; margin-top: 6px; font-size: 12px; }
.rolled-back, .failed { border-color: #d62728; } .rolled-back .outcome, .failed .outcome { color: #b31b1b; }
.aborted, .held { border-color: #ff7f0e; } .aborted .outcome, .held .outcome { color: #b35900; }
.promoted { border-color: #2ca02c; } .promoted .outcome { color: #1e7b1e; }
.meta { color: #555; }
table { border-collapse: collapse; margin: 6px 0 12px; font-size: 13px; }
th, td { border: 1px solid #ddd; padding: 4px 8px; text-align: left; vertical-align: top; }
th { background: #f3f3f3; } td.num { text-align: right; white-space: nowrap; }
tr.failed td { background: #fdecea; } tr.passed td.verdict { color: #1e7b1e; } tr.failed td.verdict { color: #b31b1b; font-weight: bold; }
figure.chart { margin: 8px 0 16px; } figure.chart svg { max-width: 100%; height: auto; }
.note { color: #555; font-size: 12px; }
.decider { color: #b31b1b; font-weight: bold; }
`;

/** The page for a report. */
export async function renderReportHtml(report: ReportDocument, generator: string): Promise<string> {
    const runs: { heading?: string; run: StackRun }[] = report.waves
        ? report.waves.flatMap((w, i) => w.stacks.map((s) => ({ heading: `Wave ${i + 1} (${w.outcome}): stack ${s.stack}`, run: s })))
        : [{ run: report }];
    const sections = [];
    for (const { heading, run } of runs) sections.push(await stackSection(run, heading));
    const top = headline(report);
    const title = `${top.outcome}: ${report.stack}${report.strategy ? ` (${report.strategy})` : ""}`;
    return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(title)}</title>
<style>${STYLE}</style>
</head>
<body>
<h1>lambda-rollout: ${esc(report.stack)}${report.strategy ? ` <span class="meta">(${esc(report.strategy)})</span>` : ""}</h1>
<div class="meta">${report.startedAt ? `started ${esc(report.startedAt)}; ` : ""}${report.durationMinutes !== undefined ? `${esc(report.durationMinutes)} min in all` : ""}${report.requests ? `; rehearsal: ${esc(report.requests.total)} requests, ${esc(report.requests.candidate)} to the candidate, ${esc(report.requests.candidateErrors)} of them failed` : ""}</div>
${banner(report)}
${sections.join("\n")}
<p class="note">Made by ${esc(generator)}. One file: no script, nothing loaded from anywhere. Hover a ▼ or a shaded step for its reason.</p>
</body>
</html>
`;
}

function banner(run: StackRun): string {
    const h = headline(run);
    return `<div class="banner ${esc(run.outcome)}" id="outcome">
<div class="outcome">${esc(h.outcome)}</div>
${h.why ? `<div class="why">${esc(h.why)}</div>` : ""}
${h.detail ? `<div class="detail">${esc(h.detail)}</div>` : ""}
</div>`;
}

/** One stack's run: where traffic is, the charts, the steps and the events. */
async function stackSection(run: StackRun, heading: string | undefined): Promise<string> {
    const parts: string[] = [];
    if (heading) parts.push(`<h2>${esc(heading)}</h2>`, banner(run));
    parts.push(functionsTable(run));
    const series = run.series;
    if (series && series.polls.minute.length > 0) {
        parts.push(`<h2>Traffic and decisions</h2>`, await figure(weightChart(run)));
        const decider = decidingStep(run)?.function;
        const names = Object.keys(series.functions).sort((a, b) => Number(b === decider) - Number(a === decider) || a.localeCompare(b));
        for (const name of names) {
            const f = run.functions[name];
            parts.push(
                `<h3>${esc(name)}${f ? `: v${esc(f.stable)} → v${esc(f.candidate)}` : ""}${name === decider && run.outcome !== "promoted" ? ` <span class="decider">its gate decided: ${esc(run.outcome.replace(/-/g, " "))}</span>` : ""}</h3>`,
                await figure(functionChart(run, name, series.functions[name], series.limits)),
            );
            const quiet = !series.functions[name].minutes.throttles.some((t) => (t ?? 0) > 0);
            parts.push(
                `<p class="note">Points are CloudWatch's minutes as the last poll read them (each at its minute's middle); a minute arrives a few minutes late, so the last ones before the end are missing. The bound and the evidence are the gate's own numbers at each poll.${quiet ? ` No throttles in any minute read.` : ""}</p>`,
            );
        }
        if (series.truncatedBeforeMinute !== undefined)
            parts.push(
                `<p class="note">The series keeps the newest rows only: the charts are whole from minute ${esc(series.truncatedBeforeMinute)} on.</p>`,
            );
    } else {
        parts.push(
            `<p class="note">No gate polled in this run (a rollback, or a rollout that ended before its first bake): no charts.</p>`,
        );
    }
    parts.push(stepsTable(run), eventsTable(run));
    return `<section class="stack" data-stack="${esc(run.stack)}">\n${parts.join("\n")}\n</section>`;
}

async function figure(chart: Chart): Promise<string> {
    return `<figure class="chart" data-chart="${esc(chart.id)}" aria-label="${esc(chart.title)}">${await renderSvg(chart.spec)}</figure>`;
}

function functionsTable(run: StackRun): string {
    const rows = Object.entries(run.functions).map(
        ([name, f]) =>
            `<tr><td>${esc(name)}</td><td>v${esc(f.stable)}</td><td>v${esc(f.candidate)}</td><td>${esc(describeRouting(f))}</td><td>${f.manualRollback ? `<code>${esc(f.manualRollback)}</code>` : ""}</td></tr>`,
    );
    return `<h2>Where traffic is</h2>
<table class="functions"><tr><th>function</th><th>stable</th><th>candidate</th><th>traffic at the end (read from AWS)</th><th>to run by hand</th></tr>
${rows.join("\n")}
</table>`;
}

function stepsTable(run: StackRun): string {
    if (run.steps.length === 0) return `<h2>Steps</h2><p class="note">No step was taken.</p>`;
    const rows = run.steps.map((s, i) => {
        const fn = s.function ?? Object.keys(s.numbers ?? {})[0];
        const n = fn ? s.numbers?.[fn] : undefined;
        const numbers = n
            ? `${esc(fn)}: candidate ${n.candidateErrors}/${n.candidateInvocations}, stable ${n.stableErrors}/${n.stableInvocations}, bound ${n.candidateErrorRateLowerPercent}%${n.sameMinuteLogRatio !== undefined ? `, ln LR ${n.sameMinuteLogRatio}` : ""}${n.candidateP99Ms !== undefined ? `, p99 ${Math.round(n.candidateP99Ms)} ms` : ""}`
            : "";
        return `<tr class="${esc(s.verdict)}"><td class="num">${i + 1}</td><td class="num">${pct(s.weight)}</td><td class="num">${esc(s.startedAtMinute)}–${esc(s.endedAtMinute)}</td><td class="verdict">${esc(s.verdict)}</td><td>${esc(s.cause ?? "")}${s.severity ? ` (${esc(s.severity)})` : ""}</td><td>${numbers}</td><td>${esc(s.reason)}</td></tr>`;
    });
    return `<h2>Steps</h2>
<table class="steps"><tr><th>step</th><th>weight</th><th>minutes</th><th>verdict</th><th>cause</th><th>numbers</th><th>reason</th></tr>
${rows.join("\n")}
</table>`;
}

function eventsTable(run: StackRun): string {
    const list = markers(run);
    if (list.length === 0) return "";
    const rows = list.map((m) => `<tr><td class="num">${esc(m.minute)}</td><td>${esc(m.kind)}</td><td>${esc(m.text)}</td></tr>`);
    return `<h2>Events</h2>
<table class="events"><tr><th>minute</th><th>event</th><th>what and why</th></tr>
${rows.join("\n")}
</table>`;
}
