/**
 * The charts of one rollout as Vega-Lite specs (pure): data and the grammar's marks, scales and axes, never
 * drawn geometry. render.ts turns them into SVG. Every chart of a report shares one time axis (timeDomain), so
 * the weight, the error rates and the markers line up down the page. The layers that plot the report's data
 * are named `data_*` (their SVG groups are classed `data_*_marks`): the browser test checks each has marks.
 */
import type { TopLevelSpec } from "vega-lite";
import { markers, pollRows, stepBands, timeDomain, weightLine, type Marker, type StackRun } from "./rows";

/** A chart: what it shows (the page's caption and the browser test's name) and its spec. */
export interface Chart {
    readonly id: string;
    readonly title: string;
    readonly spec: TopLevelSpec;
}

export const WIDTH = 860;

/** The colours of the page, one per meaning. */
export const COLOURS = {
    candidate: "#d62728",
    stable: "#1f77b4",
    bound: "#7b1113",
    limit: "#444444",
    weight: "#6a3d9a",
    passed: "#2ca02c",
    failed: "#d62728",
    extended: "#ff7f0e",
    inconclusive: "#ff7f0e",
    interrupted: "#7f7f7f",
} as const;

const MARKER_COLOURS: Record<Marker["kind"], string> = {
    decision: "#000000",
    stable: COLOURS.stable,
    operator: "#ff7f0e",
    hook: "#17becf",
    approval: "#bcbd22",
    alarm: COLOURS.candidate,
    interrupt: "#7f7f7f",
    incident: "#8c1d1d",
};

const VERDICTS = ["passed", "failed", "extended", "inconclusive", "interrupted"] as const;

/** A poll's verdict: baking is grey, the rest as their step's. */
const POLL_COLOURS: Record<string, string> = { baking: "#888888", ...COLOURS };

/** Shared settings: no text on marks unless they carry a description (hover), quiet axes. */
const CONFIG = {
    aria: false,
    font: "DejaVu Sans,Arial,sans-serif",
    view: { stroke: "#dddddd" },
    axis: { labelFontSize: 11, titleFontSize: 11, titleFontWeight: "normal", gridColor: "#eeeeee" },
    // Every chart's plot starts at the same x on the page, so the time axes line up down the page.
    axisY: { minExtent: 44, maxExtent: 44 },
    legend: { orient: "top", labelFontSize: 11, titleFontSize: 11, symbolStrokeWidth: 2, labelLimit: 900, titleLimit: 900 },
} as const;

/** The time axis's title, on the weight chart (the charts under it share its axis). */
const TIME = "minutes since the rollout began";

export const xAxis = (domain: [number, number], title: string | null) => ({
    field: "minute",
    type: "quantitative" as const,
    scale: { domain, nice: false, zero: false, padding: 0 },
    // About a dozen ticks whatever the length: an hour's rollout would otherwise label every other minute.
    axis: { title, tickMinStep: 1, tickCount: 12 },
});

/**
 * The steps shaded behind a panel: green passed, red failed, orange extended, grey interrupted. With labels (the
 * weight chart) each band also says its weight and, on hover, its verdict and reason; the panels under it repeat
 * only the shade (the reason once per page keeps a 10-function page small).
 */
export function bandsLayer(run: StackRun, domain: [number, number], withLabels: boolean, title: string | null = null) {
    const bands = stepBands(run).map((b) => ({ ...b, minute: b.from, text: withLabels ? b.text : "" }));
    const shade = {
        data: { values: bands },
        mark: { type: "rect" as const, opacity: 0.08, aria: withLabels },
        encoding: {
            x: xAxis(domain, title),
            x2: { field: "to" },
            color: {
                field: "verdict",
                type: "nominal" as const,
                scale: { domain: [...VERDICTS], range: VERDICTS.map((v) => COLOURS[v]) },
                legend: null,
            },
            ...(withLabels ? { description: { field: "text" } } : {}),
        },
    };
    if (!withLabels) return [shade];
    const labels = {
        data: { values: bands },
        mark: { type: "text" as const, align: "left" as const, baseline: "top" as const, dx: 3, dy: 3, fontSize: 10, color: "#555555" },
        encoding: { x: xAxis(domain, title), y: { value: 0 }, text: { field: "label" } },
    };
    return [shade, labels];
}

/** The markers as vertical rules with a symbol on top (hover: the whole reason); `labelled` adds their words. */
export function markerLayers(list: Marker[], domain: [number, number], labelled: boolean, title: string | null = null) {
    if (list.length === 0) return [];
    const kinds = [...new Set(list.map((m) => m.kind))];
    const colour = {
        field: "kind",
        type: "nominal" as const,
        scale: { domain: kinds, range: kinds.map((k) => MARKER_COLOURS[k]) },
        legend: null,
    };
    const layers: object[] = [
        {
            data: { values: list },
            mark: { type: "rule" as const, strokeDash: [4, 3], strokeWidth: 1.5 },
            encoding: { x: xAxis(domain, title), color: colour },
        },
        {
            data: { values: list },
            mark: { type: "point" as const, shape: "triangle-down", filled: true, size: 90, opacity: 1, aria: true },
            encoding: { x: xAxis(domain, title), y: { value: 0 }, color: colour, description: { field: "text" } },
        },
    ];
    if (labelled) {
        layers.push({
            data: {
                values: labelRows(
                    list.filter((m) => m.kind !== "alarm" && m.kind !== "hook"),
                    domain,
                ),
            },
            mark: { type: "text" as const, align: "left" as const, dx: 5, fontSize: 11, fontWeight: "bold" as const },
            // `y` in pixels from the top: labels close in time are set one under the other.
            encoding: {
                x: xAxis(domain, title),
                y: { field: "y", type: "quantitative" as const, scale: null },
                text: { field: "label" },
                color: colour,
            },
        });
    }
    return layers;
}

/** Marker labels with a pixel row each: a label within a twelfth of the axis of the one before goes one row lower. */
function labelRows(list: Marker[], domain: [number, number]): (Marker & { y: number })[] {
    const near = (domain[1] - domain[0]) / 12;
    let row = 0;
    return list.map((m, i) => {
        row = i > 0 && m.minute - list[i - 1].minute < near ? row + 1 : 0;
        return { ...m, y: 14 + 13 * (row % 6) };
    });
}

/** A panel of layers; each layer's colours are its own (a marker's black is not a step's green). */
export function panel(title: string, height: number, layers: object[]): object {
    return {
        title: { text: title, anchor: "start" as const, fontSize: 12, fontWeight: "bold" as const },
        width: WIDTH,
        height,
        layer: layers,
        resolve: { scale: { color: "independent" as const }, legend: { color: "independent" as const } },
    };
}

export function topLevel(body: object): TopLevelSpec {
    return { $schema: "https://vega.github.io/schema/vega-lite/v6.json", config: CONFIG, ...body } as TopLevelSpec;
}

/** The candidate's share of traffic over time, the steps shaded, the polls and every marker. */
export function weightChart(run: StackRun): Chart {
    const domain = timeDomain(run);
    const polls = run.series ? pollRows(run.series.polls.minute, run.series.polls.weight, run.series.polls.verdict) : [];
    const seen = [...new Set(polls.map((p) => p.verdict))];
    const layers: object[] = [
        ...bandsLayer(run, domain, true, TIME),
        {
            name: "data_weight",
            data: { values: weightLine(run) },
            mark: {
                type: "area" as const,
                interpolate: "step-after" as const,
                color: COLOURS.weight,
                opacity: 0.25,
                line: { color: COLOURS.weight, strokeWidth: 2 },
            },
            encoding: {
                x: xAxis(domain, TIME),
                y: {
                    field: "percent",
                    type: "quantitative" as const,
                    scale: { domain: [0, 100] },
                    axis: { title: "% of traffic on the candidate", tickCount: 5 },
                },
            },
        },
        ...(polls.length > 0
            ? [
                  {
                      name: "data_polls",
                      data: { values: polls.map((p) => ({ ...p, percent: p.value * 100 })) },
                      mark: { type: "tick" as const, thickness: 3, size: 12 },
                      encoding: {
                          x: xAxis(domain, TIME),
                          y: { field: "percent", type: "quantitative" as const },
                          color: {
                              field: "verdict",
                              type: "nominal" as const,
                              scale: { domain: seen, range: seen.map((v) => POLL_COLOURS[v] ?? "#888888") },
                              legend: { title: "the gate at each poll" },
                          },
                      },
                  },
              ]
            : []),
        ...markerLayers(markers(run), domain, true, TIME),
    ];
    return {
        id: "weight",
        title: "Traffic on the candidate",
        spec: topLevel(panel("Traffic on the candidate (steps shaded by verdict; ▼ events, hover for why)", 150, layers)),
    };
}

/** The line a limit or threshold draws across a panel, with its words at the left end. */
export function limitLayers(value: number, label: string, domain: [number, number], field: string) {
    return [
        {
            data: { values: [{ [field]: value, minute: domain[1] }] },
            mark: { type: "rule" as const, color: COLOURS.limit, strokeDash: [6, 4], strokeWidth: 1.5 },
            encoding: { y: { field, type: "quantitative" as const } },
        },
        {
            // At the left end: the right end is where a rollout's decision is usually marked.
            data: { values: [{ [field]: value, minute: domain[0], label }] },
            mark: {
                type: "text" as const,
                align: "left" as const,
                baseline: "bottom" as const,
                dx: 4,
                dy: -2,
                fontSize: 11,
                color: COLOURS.limit,
            },
            encoding: { x: xAxis(domain, null), y: { field, type: "quantitative" as const }, text: { field: "label" } },
        },
    ];
}
