/**
 * The compact charts of a rollout for a GitHub job summary (pure): Mermaid `xychart-beta` blocks, which GitHub
 * draws from the Markdown (a summary cannot hold an SVG or a data: image). The traffic weight per minute, and the
 * error rates since the rollout began (what the gate compares), candidate against stable against the limit, all
 * functions together. At most {@link MAX_POINTS} points a line, so a long rollout stays readable.
 */
import type { RolloutSeries } from "../rollout/series";
import { weightLine, type StackRun } from "./rows";

export const MAX_POINTS = 40;

const palette = (colours: string[]) =>
    `---\nconfig:\n  themeVariables:\n    xyChart:\n      plotColorPalette: "${colours.join(", ")}"\n---`;

const num = (n: number) => String(Math.round(n * 100) / 100);

/** Whole minutes from `from` to `to`, every `k` so that there are at most {@link MAX_POINTS}. */
function grid(from: number, to: number): number[] {
    const k = Math.max(1, Math.ceil((to - from + 1) / MAX_POINTS));
    const out: number[] = [];
    for (let m = from; m <= to; m += k) out.push(m);
    return out;
}

/** The weight at a minute: the step line's value there. */
function weightAt(line: { minute: number; percent: number }[], minute: number): number {
    let w = 0;
    for (const p of line) if (p.minute <= minute) w = p.percent;
    return w;
}

/** Per whole minute, each version's errors and invocations since the rollout began, all functions added. */
function cumulative(series: RolloutSeries): Map<number, { ce: number; cn: number; se: number; sn: number }> {
    const byMinute = new Map<number, { ce: number; cn: number; se: number; sn: number }>();
    for (const fn of Object.values(series.functions)) {
        fn.minutes.minute.forEach((m, i) => {
            const at = Math.floor(m + 0.5);
            const row = byMinute.get(at) ?? { ce: 0, cn: 0, se: 0, sn: 0 };
            row.ce += fn.minutes.candidateErrors[i] ?? 0;
            row.cn += fn.minutes.candidateInvocations[i] ?? 0;
            row.se += fn.minutes.stableErrors[i] ?? 0;
            row.sn += fn.minutes.stableInvocations[i] ?? 0;
            byMinute.set(at, row);
        });
    }
    const out = new Map<number, { ce: number; cn: number; se: number; sn: number }>();
    const total = { ce: 0, cn: 0, se: 0, sn: 0 };
    for (const m of [...byMinute.keys()].sort((a, b) => a - b)) {
        const r = byMinute.get(m)!;
        total.ce += r.ce;
        total.cn += r.cn;
        total.se += r.se;
        total.sn += r.sn;
        out.set(m, { ...total });
    }
    return out;
}

/** The Mermaid blocks (Markdown) for a run; empty when no gate polled (nothing to draw). */
export function summaryCharts(run: StackRun): string[] {
    const series = run.series;
    if (!series || series.polls.minute.length === 0) return [];
    const end = Math.ceil(run.durationMinutes ?? series.polls.minute.at(-1)!);
    const line = weightLine(run);
    const minutes = grid(0, end);
    const blocks = [
        [
            "```mermaid",
            palette(["#6a3d9a"]),
            "xychart-beta",
            `    title "Traffic on the candidate, % (${run.outcome} at minute ${run.decisionAtMinute ?? end})"`,
            `    x-axis "minutes since the rollout began" [${minutes.join(", ")}]`,
            `    y-axis "%" 0 --> 100`,
            `    line [${minutes.map((m) => num(weightAt(line, m))).join(", ")}]`,
            "```",
        ].join("\n"),
    ];
    const totals = cumulative(series);
    const read = [...totals.keys()].filter((m) => totals.get(m)!.cn > 0);
    if (read.length === 0) return blocks;
    const at = grid(read[0], read.at(-1)!).map((m) => [...totals.keys()].filter((k) => k <= m).at(-1)!);
    const rows = at.map((m) => totals.get(m)!);
    const withStable = rows.every((r) => r.sn > 0);
    const limit = series.limits?.maxErrorRatePercent;
    const lines = [
        `    line [${rows.map((r) => num((100 * r.ce) / r.cn)).join(", ")}]`,
        ...(withStable ? [`    line [${rows.map((r) => num((100 * r.se) / r.sn)).join(", ")}]`] : []),
        ...(limit !== undefined ? [`    line [${rows.map(() => num(limit)).join(", ")}]`] : []),
    ];
    const legend = `red: candidate${withStable ? ", blue: stable" : ""}${limit !== undefined ? `, grey: limit ${limit}%` : ""}`;
    blocks.push(
        [
            "```mermaid",
            palette(["#d62728", ...(withStable ? ["#1f77b4"] : []), "#7f7f7f"]),
            "xychart-beta",
            `    title "Error rate since the rollout began, % (${legend})"`,
            `    x-axis "minute of CloudWatch's data" [${at.join(", ")}]`,
            `    y-axis "%"`,
            ...lines,
            "```",
        ].join("\n"),
    );
    return blocks;
}
