/**
 * The gates benchmark: a matrix of scenarios, each rehearsed under the three policies side by side (same
 * simulator seed and traffic for the three), scored on escapes, false rollbacks, blast radius and time.
 *
 * Blast radius: the failed requests (errors and throttles) the candidate served within a fixed horizon of
 * 60 minutes from the start of the rollout, the same for every policy: after a policy ends, the simulator
 * runs on to minute 60 with whatever routing it left, so an escape counts the harm it keeps doing.
 */
import { stepsFor } from "../automation/rollout/steps";
import { waldExpectedSampleSize } from "./statistics";
import type { VersionProfile } from "../automation/simulator";
import { oracleSprt, OURS, POLICIES, type PolicyOutcome } from "./policies";
import { buildWorld, HorizonClock, type DeployTemplate } from "./world";

/** Minutes from the start of the rollout within which the candidate's failed requests are counted. */
export const HORIZON_MINUTES = 60;

/** The stable version's latency (and the candidate's, unless the row is a latency regression). */
const STABLE_LATENCY = { p50Ms: 80, p99Ms: 400 };
/** A latency regression: p99 8 s (the prod limit is 6 s), the error rate unchanged. */
const SLOW_LATENCY = { p50Ms: 900, p99Ms: 8000 };

/** One cell of the matrix, before seeds. */
export interface Cell {
    /** Stable's error rate (fraction). */
    readonly stableErrorRate: number;
    /** "x1", "x1.5", "x3", "x10", "100%" or "p99 8s". */
    readonly candidateLabel: string;
    readonly candidate: VersionProfile;
    readonly requestsPerMinute: number;
    readonly metricDelayMinutes: number;
    /** healthy: as good as stable; bad: must be caught; marginal: worse, but not by the issue's margin. */
    readonly kind: "healthy" | "bad" | "marginal";
    /** The regression: error rate or latency. */
    readonly regression: "none" | "errors" | "latency";
}

/** The matrix's dimensions. */
export interface MatrixSpec {
    readonly stableErrorRates: readonly number[];
    readonly candidates: readonly string[];
    readonly requestsPerMinute: readonly number[];
    readonly seeds: readonly number[];
    readonly metricDelayMinutes: number;
}

/** The full matrix: `npm run bench:gates`. */
export const FULL_MATRIX: MatrixSpec = {
    stableErrorRates: [0.001, 0.005, 0.01],
    candidates: ["x1", "x1.5", "x3", "x10", "100%", "p99 8s"],
    requestsPerMinute: [20, 200, 2000],
    seeds: Array.from({ length: 50 }, (_, i) => 101 + i),
    metricDelayMinutes: 2,
};

/** A small matrix: `npm run bench:gates -- --quick`. */
export const QUICK_MATRIX: MatrixSpec = {
    stableErrorRates: [0.005],
    candidates: ["x1", "x3", "100%", "p99 8s"],
    requestsPerMinute: [200, 2000],
    seeds: [101, 102, 103],
    metricDelayMinutes: 2,
};

/** The cell of a stable rate and a candidate label. */
export function cellFor(
    stableErrorRate: number,
    label: string,
    requestsPerMinute: number,
    metricDelayMinutes: number,
    maxP99Ms: number,
): Cell {
    if (label === "p99 8s") {
        return {
            stableErrorRate,
            candidateLabel: label,
            candidate: { errorRate: stableErrorRate, ...SLOW_LATENCY },
            requestsPerMinute,
            metricDelayMinutes,
            kind: SLOW_LATENCY.p99Ms > maxP99Ms ? "bad" : "marginal",
            regression: "latency",
        };
    }
    const errorRate = label === "100%" ? 1 : Math.min(1, stableErrorRate * Number(label.replace(/^x/, "")));
    const bad = errorRate >= 3 * stableErrorRate && errorRate - stableErrorRate >= 0.01 - 1e-12;
    const kind = label === "x1" ? "healthy" : bad ? "bad" : "marginal";
    return {
        stableErrorRate,
        candidateLabel: label,
        candidate: { errorRate, ...STABLE_LATENCY },
        requestsPerMinute,
        metricDelayMinutes,
        kind,
        regression: label === "x1" ? "none" : "errors",
    };
}

/** The cells of a matrix. */
export function cellsOf(spec: MatrixSpec, maxP99Ms: number): Cell[] {
    return spec.stableErrorRates.flatMap((s) =>
        spec.candidates.flatMap((c) => spec.requestsPerMinute.map((rpm) => cellFor(s, c, rpm, spec.metricDelayMinutes, maxP99Ms))),
    );
}

/** One policy's run of one row. */
export interface PolicyRun extends PolicyOutcome {
    /** Candidate failed requests within the horizon. */
    readonly blastRadius: number;
    /** Candidate requests within the horizon. */
    readonly candidateRequests: number;
}

/** One row: a cell and a seed, under every policy. */
export interface RowResult {
    readonly cell: Cell;
    readonly seed: number;
    readonly runs: Record<string, PolicyRun>;
    /** The oracle SPRT on the policy's schedule, for error regressions (the second reference line). */
    readonly oracle?: PolicyRun;
}

/** Runs one row under every policy, each on a fresh simulator with the same seed and traffic. */
export async function runRow(template: DeployTemplate, cell: Cell, seed: number): Promise<RowResult> {
    const runs: Record<string, PolicyRun> = {};
    for (const policy of POLICIES) {
        const world = buildWorld(template, worldSpec(cell, seed));
        const clock = new HorizonClock(world, HORIZON_MINUTES * 60_000);
        const outcome = await policy.run(world, clock);
        const counted = clock.finish();
        runs[policy.id] = { ...outcome, blastRadius: counted.failed, candidateRequests: counted.requests };
    }
    if (cell.regression !== "errors") return { cell, seed, runs };
    const world = buildWorld(template, worldSpec(cell, seed));
    const clock = new HorizonClock(world, HORIZON_MINUTES * 60_000);
    const steps = stepsFor(template.config.rollout);
    const budget = template.config.rollout.gates.falseRollbackPercent / 100;
    const outcome = await oracleSprt(world, clock, steps, cell.stableErrorRate, cell.candidate.errorRate, budget);
    const counted = clock.finish();
    return { cell, seed, runs, oracle: { ...outcome, blastRadius: counted.failed, candidateRequests: counted.requests } };
}

/** The simulated world of a cell and seed: the same for every policy of the row. */
function worldSpec(cell: Cell, seed: number) {
    return {
        seed,
        requestsPerMinute: cell.requestsPerMinute,
        metricDelayMinutes: cell.metricDelayMinutes,
        stable: { errorRate: cell.stableErrorRate, ...STABLE_LATENCY },
        candidate: cell.candidate,
    };
}

/**
 * The first reference line, schedule-free: for an error regression, the candidate requests the optimal sequential test needs on
 * average to tell the candidate's rate from stable's (Wald's approximation of the SPRT's expected sample size
 * under the alternative, type I and II errors both at the false-rollback budget), plus what the candidate
 * serves while the metrics are late (the metric delay and the one-minute granularity, at the first step's
 * weight); as failed requests, times the candidate's error rate.
 */
export function referenceLine(cell: Cell, budget: number, firstWeight: number): { requests: number; failed: number } | undefined {
    if (cell.regression !== "errors") return undefined;
    const p0 = cell.stableErrorRate;
    const p1 = cell.candidate.errorRate;
    const sprt = waldExpectedSampleSize(p0, p1, budget, budget);
    const late = cell.requestsPerMinute * firstWeight * (cell.metricDelayMinutes + 1);
    const requests = sprt + late;
    return { requests, failed: requests * p1 };
}

/** Quantile (linear interpolation) of a list. */
export function quantile(values: number[], q: number): number {
    if (values.length === 0) return NaN;
    const sorted = [...values].sort((a, b) => a - b);
    const at = (sorted.length - 1) * q;
    const lo = Math.floor(at);
    const hi = Math.ceil(at);
    return sorted[lo] + (sorted[hi] - sorted[lo]) * (at - lo);
}

const mean = (values: number[]) => (values.length ? values.reduce((a, b) => a + b, 0) / values.length : NaN);

/** A policy's numbers over a set of rows. */
export interface PolicySummary {
    readonly runs: number;
    readonly promoted: number;
    readonly rolledBack: number;
    /** Of the rollbacks: for want of evidence (ours: inconclusive). */
    readonly rolledBackNoData: number;
    /** Of the rollbacks: by one of the stack's alarms (ours: the component's composite alarm). */
    readonly rolledBackByAlarm: number;
    /** Of the rollbacks for want of evidence, why: too few invocations, minutes late, power, not excluded. */
    readonly shortfalls: Record<string, number>;
    readonly meanBlast: number;
    readonly medianBlast: number;
    readonly p90Blast: number;
    readonly medianDecisionMinute: number;
    /** Median minute a promoted rollout finished. */
    readonly medianPromotedMinute: number;
}

/** Summarizes one policy's runs. */
export function summarize(runs: PolicyRun[]): PolicySummary {
    const blast = runs.map((r) => r.blastRadius);
    const promoted = runs.filter((r) => r.outcome === "promoted");
    const back = runs.filter((r) => r.outcome !== "promoted");
    return {
        runs: runs.length,
        promoted: promoted.length,
        rolledBack: back.length,
        rolledBackNoData: back.filter((r) => r.noData).length,
        rolledBackByAlarm: back.filter((r) => r.byAlarm).length,
        shortfalls: back.reduce<Record<string, number>>((acc, r) => {
            if (r.noData) acc[r.shortfall ?? "no-data"] = (acc[r.shortfall ?? "no-data"] ?? 0) + 1;
            return acc;
        }, {}),
        meanBlast: mean(blast),
        medianBlast: quantile(blast, 0.5),
        p90Blast: quantile(blast, 0.9),
        medianDecisionMinute: quantile(
            runs.map((r) => r.decisionMinute),
            0.5,
        ),
        medianPromotedMinute: quantile(
            promoted.map((r) => r.endMinute),
            0.5,
        ),
    };
}

/** One cell's rows, summarized per policy, with the two reference lines. */
export interface CellSummary {
    readonly cell: Cell;
    readonly seeds: number;
    readonly policies: Record<string, PolicySummary>;
    /** Schedule-free: Wald's expected sample size plus the first step's metric lag. */
    readonly reference?: { requests: number; failed: number };
    /** On the schedule: the oracle SPRT's runs in this cell (its median blast radius is the line). */
    readonly scheduleReference?: PolicySummary;
}

/** Groups rows by cell. */
export function summarizeCells(rows: RowResult[], budget: number, firstWeight: number): CellSummary[] {
    const byCell = new Map<string, RowResult[]>();
    for (const row of rows) {
        const key = JSON.stringify([row.cell.stableErrorRate, row.cell.candidateLabel, row.cell.requestsPerMinute]);
        byCell.set(key, [...(byCell.get(key) ?? []), row]);
    }
    return [...byCell.values()].map((group) => ({
        cell: group[0].cell,
        seeds: group.length,
        policies: Object.fromEntries(POLICIES.map((p) => [p.id, summarize(group.map((r) => r.runs[p.id]))])),
        reference: referenceLine(group[0].cell, budget, firstWeight),
        ...(group.every((r) => r.oracle) ? { scheduleReference: summarize(group.map((r) => r.oracle!)) } : {}),
    }));
}

/** The issue's targets, checked on the rows. */
export interface TargetCheck {
    readonly target: string;
    readonly met: boolean;
    readonly numbers: string;
}

/** The bench's full result. */
export interface BenchResult {
    readonly command: string;
    readonly matrix: MatrixSpec;
    readonly policy: {
        steps: string;
        falseRollbackPercent: number;
        maxErrorRatePercent: number;
        maxErrorRateIncreasePercent: number;
        maxP99Ms: number;
        minInvocations: number;
    };
    readonly horizonMinutes: number;
    readonly wallSeconds: number;
    readonly classes: Record<string, Record<string, PolicySummary>>;
    readonly cells: CellSummary[];
    readonly targets: TargetCheck[];
    readonly rows: RowResult[];
}

/** The row classes the summary table reports. */
export const CLASSES: ReadonlyArray<{ id: string; label: string; test: (c: Cell) => boolean }> = [
    { id: "healthy", label: "healthy (candidate = stable), all rpm", test: (c) => c.kind === "healthy" },
    { id: "healthy-200+", label: "healthy, >= 200 rpm", test: (c) => c.kind === "healthy" && c.requestsPerMinute >= 200 },
    {
        id: "bad-errors-200+",
        label: "bad error rate (>= 3x and >= +1 pt), >= 200 rpm",
        test: (c) => c.kind === "bad" && c.regression === "errors" && c.requestsPerMinute >= 200,
    },
    {
        id: "bad-errors-20",
        label: "bad error rate, 20 rpm",
        test: (c) => c.kind === "bad" && c.regression === "errors" && c.requestsPerMinute < 200,
    },
    { id: "latency", label: "latency regression (p99 8 s > 6 s limit)", test: (c) => c.regression === "latency" },
    { id: "marginal", label: "marginal (x1.5; x3/x10 under +1 pt)", test: (c) => c.kind === "marginal" },
];

/** Summaries per class and policy. */
export function summarizeClasses(rows: RowResult[]): Record<string, Record<string, PolicySummary>> {
    return Object.fromEntries(
        CLASSES.map((k) => {
            const mine = rows.filter((r) => k.test(r.cell));
            return [k.id, Object.fromEntries(POLICIES.map((p) => [p.id, summarize(mine.map((r) => r.runs[p.id]))]))];
        }),
    );
}

/** A count as "n of d (x%)". */
function share(n: number, d: number): string {
    return `${n} of ${d} (${d === 0 ? "-" : `${fmt1((100 * n) / d)}%`})`;
}

/** Why a policy's healthy rollbacks happened: by a gate's test, by the composite alarm, for want of evidence (and which). */
function rollbackCauses(p: PolicySummary): string {
    const short = Object.entries(p.shortfalls)
        .map(([why, n]) => `${n} ${why}`)
        .join(", ");
    const byTests = p.rolledBack - p.rolledBackByAlarm - p.rolledBackNoData;
    return `${byTests} by the gates' tests, ${p.rolledBackByAlarm} by the composite alarm, ${p.rolledBackNoData} for want of evidence${short ? ` (${short})` : ""}`;
}

/**
 * Checks the issue's targets for ours, for each way of moving on (issue 21): with evidence advance, the median
 * blast radius within 1.5x of the schedule-free reference line in every bad error cell at >= 200 rpm; no escapes
 * of bad error-rate candidates at >= 200 rpm; false rollbacks in at most the budget of healthy runs, over all
 * rates and at >= 200 rpm (any cause: a healthy release rolled back for want of evidence is rolled back too).
 */
export function checkTargets(
    cells: CellSummary[],
    classes: Record<string, Record<string, PolicySummary>>,
    budgetPercent: number,
): TargetCheck[] {
    const targets: TargetCheck[] = [];
    const badCells = cells.filter((c) => CLASSES[2].test(c.cell) && c.reference);
    for (const { id, advance } of OURS) {
        const who = `ours (advance: ${advance})`;
        const ratios = badCells.map((c) => c.policies[id].medianBlast / c.reference!.failed);
        if (advance === "evidence" && ratios.length > 0) {
            const within = ratios.filter((r) => r <= 1.5).length;
            targets.push({
                target: `${who}: median blast radius within 1.5x of the schedule-free reference line in every bad error cell at >= 200 rpm`,
                met: within === ratios.length,
                numbers: `${within} of ${ratios.length} cells; ratios ${ratios.map(fmt2).join(", ")}`,
            });
        }
        const bad = classes["bad-errors-200+"][id];
        if (bad.runs > 0)
            targets.push({
                target: `${who}: no escapes of bad error-rate candidates at >= 200 rpm`,
                met: bad.promoted === 0,
                numbers: `${bad.promoted} escapes in ${bad.runs} runs`,
            });
        for (const [klass, where] of [
            ["healthy", "all rates"],
            ["healthy-200+", ">= 200 rpm"],
        ] as const) {
            const h = classes[klass][id];
            if (h.runs === 0) continue;
            targets.push({
                target: `${who}: false rollbacks in at most ${budgetPercent}% of healthy runs, ${where}, any cause`,
                met: h.rolledBack <= (budgetPercent / 100) * h.runs,
                numbers: `${share(h.rolledBack, h.runs)}: ${rollbackCauses(h)}; promoted healthy rollouts took ${fmt1(h.medianPromotedMinute)} min (median)`,
            });
        }
    }
    const bad = classes["bad-errors-200+"];
    if (bad.ours.runs > 0) {
        targets.push({
            target: "ours (advance: time): mean blast radius on bad rows (>= 200 rpm) at most half of (b)'s and a fifth of (a)'s",
            met: bad.ours.meanBlast <= bad.codedeploy.meanBlast / 2 && bad.ours.meanBlast <= bad.runbook.meanBlast / 5,
            numbers: `ours ${fmt1(bad.ours.meanBlast)} vs (b) ${fmt1(bad.codedeploy.meanBlast)} and (a) ${fmt1(bad.runbook.meanBlast)}: ratios ${fmt2(bad.ours.meanBlast / bad.codedeploy.meanBlast)} and ${fmt2(bad.ours.meanBlast / bad.runbook.meanBlast)}`,
        });
    }
    return targets;
}

/** The steps of the stack's policy, as text. */
export function describeSteps(template: DeployTemplate): string {
    return stepsFor(template.config.rollout)
        .map((s) => `${Math.round(s.weight * 100)}%/${Math.round(s.bakeSeconds / 60)}m`)
        .join(" -> ");
}

/** Puts the summaries and target checks together from the rows. */
export function assemble(template: DeployTemplate, spec: MatrixSpec, command: string, rows: RowResult[], wallSeconds: number): BenchResult {
    const gates = template.config.rollout.gates;
    const steps = stepsFor(template.config.rollout);
    const firstWeight = steps[0]?.weight ?? 1;
    const cells = summarizeCells(rows, gates.falseRollbackPercent / 100, firstWeight);
    const classes = summarizeClasses(rows);
    return {
        command,
        matrix: spec,
        policy: {
            steps: describeSteps(template),
            falseRollbackPercent: gates.falseRollbackPercent,
            maxErrorRatePercent: gates.maxErrorRatePercent,
            maxErrorRateIncreasePercent: gates.maxErrorRateIncreasePercent,
            maxP99Ms: gates.maxP99Ms,
            minInvocations: gates.minInvocations,
        },
        horizonMinutes: HORIZON_MINUTES,
        wallSeconds,
        classes,
        cells,
        targets: checkTargets(cells, classes, gates.falseRollbackPercent),
        rows,
    };
}

/** One decimal, or "-". */
export function fmt1(n: number): string {
    return Number.isFinite(n) ? (Math.round(n * 10) / 10).toString() : "-";
}
/** Two decimals, or "-". */
export function fmt2(n: number): string {
    return Number.isFinite(n) ? (Math.round(n * 100) / 100).toString() : "-";
}
