/**
 * One function's chart (pure): its error rate per minute against stable's, the always-valid bound and the limit;
 * the same-minute evidence against its rollback line; p99 against its limit; throttles. Each on the rollout's
 * time axis, with its steps shaded, the markers that concern it, and, on the panel that shows it, what decided.
 */
import type { FunctionSeries, SeriesLimits } from "../rollout/series";
import { bandsLayer, COLOURS, limitLayers, markerLayers, panel, topLevel, xAxis, type Chart } from "./charts";
import { decidingStep, errorRateRows, markers, minuteRows, pollRows, timeDomain, type StackRun } from "./rows";

/** The always-valid lower bound's name in the legend. */
export const BOUND = "candidate's rate is at least (always-valid bound, each poll)";

/** The panel where a function's deciding evidence shows. */
type PanelName = "errors" | "evidence" | "latency" | "throttles";

/**
 * What decided a rollback, written on the panel that shows it, at the decision (pure): the crossing the gate saw,
 * in its numbers. Only the function that decided gets one.
 */
export function decisionNote(run: StackRun, name: string): { panel: PanelName; text: string } | undefined {
    const step = decidingStep(run);
    const n = step?.numbers?.[name];
    if (run.outcome === "promoted" || step?.verdict !== "failed" || step.function !== name || !n || step.cause === undefined)
        return undefined;
    const says = (panel: PanelName, what: string) => ({ panel, text: `rolled back: ${what}` });
    switch (step.cause) {
        case "same-minute":
            return says("evidence", `e^${n.sameMinuteLogRatio ?? "?"} crossed the line`);
        case "history":
            return says("evidence", `e^${n.historyLogRatio ?? "?"} with stable's history crossed the line`);
        case "end-of-step-look":
            return says("evidence", `end-of-step test p = ${n.lookPValue === undefined ? "?" : Number(n.lookPValue.toPrecision(2))}`);
        case "absolute-limit":
        case "severity":
            return says("errors", `at least ${n.candidateErrorRateLowerPercent}%`);
        case "alarm":
            return says("errors", "alarm in ALARM");
        case "latency":
            return says("latency", `p99 ${Math.round(n.candidateP99Ms ?? 0)} ms`);
        case "throttles":
            return says("throttles", `${n.throttles} throttles`);
        default:
            return undefined;
    }
}

/** The note's layer: bold words ending at the decision's rule, at the top of the panel. */
function noteLayer(note: { text: string } | undefined, minute: number | null | undefined, domain: [number, number]) {
    if (!note || minute === null || minute === undefined) return [];
    // Beside the rule, on the side with room, so the words stay inside the plot (and the charts' left edges line up).
    const left = (minute - domain[0]) / (domain[1] - domain[0]) > 0.5;
    return [
        {
            data: { values: [{ minute, text: left ? `${note.text} ▶` : `◀ ${note.text}` }] },
            mark: {
                type: "text" as const,
                align: left ? ("right" as const) : ("left" as const),
                baseline: "top" as const,
                dx: left ? -4 : 4,
                dy: 4,
                fontSize: 12,
                fontWeight: "bold" as const,
                color: "#b31b1b",
            },
            encoding: { x: xAxis(domain, null), y: { value: 0 }, text: { field: "text" } },
        },
    ];
}

/** What of a function's series the report holds: a layer is drawn for each, so an empty layer is a bug the browser test sees. */
export function seriesPresent(fn: FunctionSeries) {
    const some = (xs: (number | null)[], ok: (n: number) => boolean = () => true) => xs.some((x) => x !== null && x !== undefined && ok(x));
    return {
        candidateErrors: some(fn.minutes.candidateInvocations, (n) => n > 0),
        stableErrors: some(fn.minutes.stableInvocations, (n) => n > 0),
        bound: some(fn.lowerBoundPercent),
        evidence: some(fn.sameMinuteLogRatio) || some(fn.historyLogRatio ?? []),
        p99: some(fn.minutes.candidateP99Ms),
        throttles: some(fn.minutes.throttles, (n) => n > 0),
    };
}

const SAME_MINUTES = "same minutes as stable";
const WITH_HISTORY = "with stable's history";

/** The evidence panel's rollback lines: one when both tests roll back at the same value, as the default budget has it. */
function evidenceLimits(limits: SeriesLimits | undefined): { value: number; label: string }[] {
    if (!limits) return [];
    const same = limits.sameMinuteLogRatio;
    const history = limits.historyLogRatio;
    if (history === undefined || history === same) return [{ value: same, label: `rollback at ${same}` }];
    return [
        { value: same, label: `same minutes: rollback at ${same}` },
        { value: history, label: `with history: rollback at ${history}` },
    ];
}

/** A y scale from 0 (or below, for the evidence) to above the largest value and the limit drawn with it. */
function yScale(values: number[], limit: number | undefined, floor = 0) {
    const top = Math.max(...values, limit ?? 0, floor + 1e-9);
    return { domain: [Math.min(floor, ...values), top * 1.08], nice: false, zero: false };
}

/** A data layer: a line through rows of `minute` and `field`, in one colour (a series the legend names). */
function seriesLayer(domain: [number, number], name: string, rows: object[], field: string, y: object, colour: object, mark: object) {
    return {
        name,
        data: { values: rows },
        mark,
        encoding: { x: xAxis(domain, null), y: { field, type: "quantitative" as const, ...y }, color: colour },
    };
}

/** A dot on every datum of a short line only: on an hour of minutes the dots would be most of the page's size. */
const points = (n: number) => (n <= 40 ? { point: { size: 20 } } : {});

/** A function's panels: error rates with the bound and the limit, the evidence against stable, p99, throttles. */
export function functionChart(run: StackRun, name: string, fn: FunctionSeries, limits: SeriesLimits | undefined): Chart {
    const domain = timeDomain(run);
    const f = run.functions[name];
    const candidate = `candidate v${f?.candidate ?? "?"}`;
    const stable = `stable v${f?.stable ?? "?"}`;
    const has = seriesPresent(fn);
    const own = markers(run).filter((m) => m.kind === "decision" || m.kind === "stable" || m.function === name);
    const note = decisionNote(run, name);
    const around = (p: PanelName) => [
        ...markerLayers(own, domain, false),
        ...noteLayer(note?.panel === p ? note : undefined, run.decisionAtMinute, domain),
    ];
    const polls = run.series!.polls;
    const rates = errorRateRows(fn, { candidate, stable });
    const bound = pollRows(polls.minute, fn.lowerBoundPercent, polls.verdict).map((p) => ({
        minute: p.minute,
        percent: p.value,
        series: BOUND,
    }));
    const shown = [...(has.candidateErrors ? [candidate] : []), ...(has.stableErrors ? [stable] : []), ...(has.bound ? [BOUND] : [])];
    const colour = {
        field: "series",
        type: "nominal" as const,
        scale: {
            domain: shown,
            range: shown.map((s) => (s === candidate ? COLOURS.candidate : s === stable ? COLOURS.stable : COLOURS.bound)),
        },
        legend: { title: null, orient: "top" as const, direction: "horizontal" as const, labelLimit: 900, symbolType: "stroke" },
    };
    const rateY = {
        scale: yScale([...rates.map((r) => r.percent), ...bound.map((b) => b.percent)], limits?.maxErrorRatePercent),
        axis: { title: "errors / invocations, %" },
    };
    const rateMark = { type: "line" as const, strokeWidth: 2, ...points(rates.length / 2) };
    const errorPanel = panel(`${name}: error rate per minute, %`, 170, [
        ...bandsLayer(run, domain, false),
        // One colour scale and one legend for the rates and the bound.
        {
            layer: [
                ...(has.candidateErrors
                    ? [
                          seriesLayer(
                              domain,
                              "data_candidate_errors",
                              rates.filter((r) => r.series === candidate),
                              "percent",
                              rateY,
                              colour,
                              rateMark,
                          ),
                      ]
                    : []),
                ...(has.stableErrors
                    ? [
                          seriesLayer(
                              domain,
                              "data_stable_errors",
                              rates.filter((r) => r.series === stable),
                              "percent",
                              rateY,
                              colour,
                              rateMark,
                          ),
                      ]
                    : []),
                ...(has.bound
                    ? [
                          seriesLayer(domain, "data_bound", bound, "percent", rateY, colour, {
                              type: "line" as const,
                              interpolate: "step-after" as const,
                              strokeDash: [2, 2],
                              strokeWidth: 2,
                          }),
                      ]
                    : []),
            ],
        },
        ...(limits ? limitLayers(limits.maxErrorRatePercent, `limit ${limits.maxErrorRatePercent}%`, domain, "percent") : []),
        ...around("errors"),
    ]);
    const panels = [errorPanel];
    const line = (colourName: string) => ({ type: "line" as const, color: colourName, strokeWidth: 2, ...points(polls.minute.length) });
    const fixed = { value: COLOURS.candidate };
    if (has.evidence || note?.panel === "evidence") {
        // Two always-valid tests against stable, one line each: the same minutes only, and with stable's history.
        const evidence = [
            ...pollRows(polls.minute, fn.sameMinuteLogRatio, polls.verdict).map((r) => ({ ...r, series: SAME_MINUTES })),
            ...pollRows(polls.minute, fn.historyLogRatio ?? [], polls.verdict).map((r) => ({ ...r, series: WITH_HISTORY })),
        ];
        const drawn = [SAME_MINUTES, WITH_HISTORY].filter((s) => evidence.some((r) => r.series === s));
        const lines = evidenceLimits(limits);
        panels.push(
            panel(`${name}: evidence that the candidate fails more often than stable (rolls back at the line)`, 120, [
                ...bandsLayer(run, domain, false),
                ...(has.evidence
                    ? [
                          seriesLayer(
                              domain,
                              "data_evidence",
                              evidence,
                              "value",
                              {
                                  scale: yScale(
                                      evidence.map((r) => r.value),
                                      Math.max(0, ...lines.map((l) => l.value)),
                                      Math.min(0, ...evidence.map((r) => r.value)),
                                  ),
                                  axis: { title: "ln likelihood ratio" },
                              },
                              {
                                  field: "series",
                                  type: "nominal" as const,
                                  scale: {
                                      domain: drawn,
                                      range: drawn.map((s) => (s === SAME_MINUTES ? COLOURS.candidate : COLOURS.weight)),
                                  },
                                  legend: {
                                      title: null,
                                      orient: "top" as const,
                                      direction: "horizontal" as const,
                                      labelLimit: 900,
                                      symbolType: "stroke",
                                  },
                              },
                              {
                                  ...line(COLOURS.candidate),
                                  interpolate: "step-after" as const,
                              },
                          ),
                      ]
                    : []),
                ...lines.flatMap((l) => limitLayers(l.value, l.label, domain, "value")),
                ...around("evidence"),
            ]),
        );
    }
    if (has.p99) {
        const p99 = minuteRows(fn, "candidateP99Ms");
        panels.push(
            panel(`${name}: ${candidate} p99 duration per minute, ms`, 110, [
                ...bandsLayer(run, domain, false),
                seriesLayer(
                    domain,
                    "data_p99",
                    p99,
                    "value",
                    {
                        scale: yScale(
                            p99.map((r) => r.value),
                            limits?.maxP99Ms,
                        ),
                        axis: { title: "p99, ms" },
                    },
                    fixed,
                    line(COLOURS.candidate),
                ),
                ...(limits ? limitLayers(limits.maxP99Ms, `limit ${limits.maxP99Ms} ms`, domain, "value") : []),
                ...around("latency"),
            ]),
        );
    }
    if (has.throttles || note?.panel === "throttles") {
        const throttles = minuteRows(fn, "throttles");
        panels.push(
            panel(`${name}: throttles per minute through the alias`, 90, [
                ...bandsLayer(run, domain, false),
                seriesLayer(
                    domain,
                    "data_throttles",
                    throttles,
                    "value",
                    {
                        scale: yScale(
                            throttles.map((r) => r.value),
                            undefined,
                        ),
                        axis: { title: "throttles" },
                    },
                    { value: "#ff7f0e" },
                    {
                        type: "bar" as const,
                        width: 4,
                    },
                ),
                ...around("throttles"),
            ]),
        );
    }
    return {
        id: `function-${name}`,
        title: name,
        spec: topLevel({ vconcat: panels, spacing: 18, resolve: { scale: { color: "independent", y: "independent" } } }),
    };
}
