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
import { POLICIES, type PolicyOutcome } from "./policies";
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
}

/** Runs one row under every policy, each on a fresh simulator with the same seed and traffic. */
export async function runRow(template: DeployTemplate, cell: Cell, seed: number): Promise<RowResult> {
    const runs: Record<string, PolicyRun> = {};
    for (const policy of POLICIES) {
        const world = buildWorld(template, {
            seed,
            requestsPerMinute: cell.requestsPerMinute,
            metricDelayMinutes: cell.metricDelayMinutes,
            stable: { errorRate: cell.stableErrorRate, ...STABLE_LATENCY },
            candidate: cell.candidate,
        });
        const clock = new HorizonClock(world, HORIZON_MINUTES * 60_000);
        const outcome = await policy.run(world, clock);
        const counted = clock.finish();
        runs[policy.id] = { ...outcome, blastRadius: counted.failed, candidateRequests: counted.requests };
    }
    return { cell, seed, runs };
}

/**
 * The best possible, for an error regression: the candidate requests the optimal sequential test needs on
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

/** One cell's rows, summarized per policy, with the reference line. */
export interface CellSummary {
    readonly cell: Cell;
    readonly seeds: number;
    readonly policies: Record<string, PolicySummary>;
    readonly reference?: { requests: number; failed: number };
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

/** The what-if "ours without the smoke test" on a class, as a parenthesis: what the gates alone do. */
function gatesAlone(byPolicy: Record<string, PolicySummary>, text: (x: PolicySummary) => string): string {
    const x = byPolicy.oursNoSmoke;
    return x && x.runs > 0 ? ` (without the smoke test: ${text(x)})` : "";
}

/** Checks the issue's targets for ours. */
export function checkTargets(
    rows: RowResult[],
    cells: CellSummary[],
    classes: Record<string, Record<string, PolicySummary>>,
    budgetPercent: number,
    bakedMinutes: number,
): TargetCheck[] {
    const targets: TargetCheck[] = [];
    const bad = classes["bad-errors-200+"];
    if (bad.ours.runs > 0) {
        const escapes = bad.ours.promoted;
        targets.push({
            target: "ours: no escapes of bad error-rate candidates at >= 200 rpm",
            met: escapes === 0,
            numbers: `${escapes} escapes in ${bad.ours.runs} runs`,
        });
    }
    const healthy = classes.healthy;
    if (healthy.ours.runs > 0) {
        const byGate = healthy.ours.rolledBack - healthy.ours.rolledBackNoData - healthy.ours.rolledBackByAlarm;
        const limit = (budgetPercent / 100) * healthy.ours.runs;
        targets.push({
            target: `ours: false rollbacks in at most ${budgetPercent}% of healthy runs (all rpm, any cause)`,
            met: healthy.ours.rolledBack <= limit,
            numbers: `${healthy.ours.rolledBack} of ${healthy.ours.runs} (${pct(healthy.ours.rolledBack, healthy.ours.runs)}): ${byGate} by the sequential error/latency gates, ${healthy.ours.rolledBackByAlarm} by the component's composite alarm, ${healthy.ours.rolledBackNoData} for want of evidence (minInvocations)`,
        });
        const h200 = classes["healthy-200+"];
        targets.push({
            target: `ours: false rollbacks in at most ${budgetPercent}% of healthy runs at >= 200 rpm`,
            met: h200.ours.rolledBack <= (budgetPercent / 100) * h200.ours.runs,
            numbers: `${h200.ours.rolledBack} of ${h200.ours.runs} (${pct(h200.ours.rolledBack, h200.ours.runs)}): ${h200.ours.rolledBack - h200.ours.rolledBackByAlarm - h200.ours.rolledBackNoData} by the sequential gates, ${h200.ours.rolledBackByAlarm} by the composite alarm, ${h200.ours.rolledBackNoData} for want of evidence`,
        });
        const durations = rows
            .filter((r) => r.cell.kind === "healthy" && r.runs.ours.outcome === "promoted")
            .map((r) => r.runs.ours.endMinute);
        const slowest = durations.length ? Math.max(...durations) : NaN;
        targets.push({
            target: `ours: healthy rollouts no slower than the configured bakes (${bakedMinutes} min of bakes + 45 s per up)`,
            met: durations.length > 0 && slowest <= bakedMinutes + 3 * 0.75 + 0.05,
            numbers: `promoted healthy rollouts: median ${fmt1(quantile(durations, 0.5))} min, slowest ${fmt1(slowest)} min (${durations.length} runs)`,
        });
    }
    if (bad.ours.runs > 0) {
        targets.push({
            target: "ours: mean blast radius on bad rows (>= 200 rpm) at most half of (b)'s",
            met: bad.ours.meanBlast <= bad.codedeploy.meanBlast / 2,
            numbers:
                `ours ${fmt1(bad.ours.meanBlast)} vs (b) ${fmt1(bad.codedeploy.meanBlast)}: ratio ${fmt2(bad.ours.meanBlast / bad.codedeploy.meanBlast)}` +
                `${gatesAlone(bad, (x) => `${fmt1(x.meanBlast)}, ratio ${fmt2(x.meanBlast / bad.codedeploy.meanBlast)}`)}`,
        });
        targets.push({
            target: "ours: mean blast radius on bad rows (>= 200 rpm) at most a fifth of (a)'s",
            met: bad.ours.meanBlast <= bad.runbook.meanBlast / 5,
            numbers:
                `ours ${fmt1(bad.ours.meanBlast)} vs (a) ${fmt1(bad.runbook.meanBlast)}: ratio ${fmt2(bad.ours.meanBlast / bad.runbook.meanBlast)}` +
                `${gatesAlone(bad, (x) => `${fmt1(x.meanBlast)}, ratio ${fmt2(x.meanBlast / bad.runbook.meanBlast)}`)}`,
        });
        const badCells = cells.filter((c) => CLASSES[2].test(c.cell) && c.reference);
        const ratios = badCells.map((c) => c.policies.ours.medianBlast / c.reference!.failed);
        const within = ratios.filter((r) => r <= 2).length;
        const alone = badCells.map((c) => c.policies.oursNoSmoke?.medianBlast / c.reference!.failed).filter((r) => Number.isFinite(r));
        targets.push({
            target: "ours: median blast radius within 2x of the reference line (per bad cell at >= 200 rpm)",
            met: within === ratios.length,
            numbers:
                `${within} of ${ratios.length} cells within 2x; ratios ${ratios.map(fmt2).join(", ")}` +
                (alone.length
                    ? ` (without the smoke test: ${alone.filter((r) => r <= 2).length} of ${alone.length}; ratios ${alone.map(fmt2).join(", ")})`
                    : ""),
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
    const bakedMinutes = steps.reduce((sum, s) => sum + s.bakeSeconds, 0) / 60;
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
        targets: checkTargets(rows, cells, classes, gates.falseRollbackPercent, bakedMinutes),
        rows,
    };
}

function pct(n: number, d: number): string {
    return d === 0 ? "-" : `${fmt1((100 * n) / d)}%`;
}
function fmt1(n: number): string {
    return Number.isFinite(n) ? (Math.round(n * 10) / 10).toString() : "-";
}
function fmt2(n: number): string {
    return Number.isFinite(n) ? (Math.round(n * 100) / 100).toString() : "-";
}

/** Why the rollbacks happened, when not all by the policy's own test. */
function why(p: PolicySummary): string {
    const parts = [
        p.rolledBackByAlarm ? `${p.rolledBackByAlarm} by alarm` : "",
        p.rolledBackNoData ? `${p.rolledBackNoData} no data` : "",
    ].filter(Boolean);
    return parts.length ? ` (${parts.join(", ")})` : "";
}

/** The markdown report: the summary per class side by side, the target checks, then every cell. */
export function markdown(result: BenchResult): string {
    const ids = ["runbook", "codedeploy", "ours", "oursNoSmoke"];
    const lines: string[] = [];
    lines.push(`# Gates benchmark`);
    lines.push("");
    lines.push(`Command: \`${result.command}\` (wall time ${fmt1(result.wallSeconds)} s).`);
    lines.push(
        `Policy of ours: Pulumi.prod.yaml (${result.policy.steps}; error rate <= ${result.policy.maxErrorRatePercent}% and not above stable's, catching +${result.policy.maxErrorRateIncreasePercent} pt, ` +
            `false-rollback budget ${result.policy.falseRollbackPercent}%, p99 <= ${result.policy.maxP99Ms} ms, >= ${result.policy.minInvocations} candidate invocations at 100% and that times the weight before).`,
    );
    lines.push(
        `Matrix: stable error rate ${result.matrix.stableErrorRates.map((r) => `${r * 100}%`).join(", ")}; candidate ${result.matrix.candidates.join(", ")}; ` +
            `${result.matrix.requestsPerMinute.join(", ")} requests/min; seeds ${result.matrix.seeds[0]}..${result.matrix.seeds.at(-1)} (${result.matrix.seeds.length}); metric delay ${result.matrix.metricDelayMinutes} min. ` +
            `Blast radius: candidate failed requests within ${result.horizonMinutes} min of the start, the same horizon for every policy.`,
    );
    lines.push(
        "Simulation: the real promote loop, gates and adapters against the simulated AWS; each `up` applies the routing straight to the simulated alias " +
            "(the program's routing rule) instead of re-running the program under the mock engine, which ran once to set the row's world up.",
    );
    lines.push(
        "Smoke test: ours invokes the candidate directly before moving traffic, up to 3 times, and stops when every attempt fails; in the bench each invocation " +
            "fails as often as the candidate's user requests do (its error rate, drawn from the row's seed), so a candidate that fails every request fails its smoke test too. Stable's history before the rollout " +
            "(the stack's gates.baseline) is in every row's account, as in the rehearsal.",
    );
    lines.push(
        "What-if column (not a policy of the project, not held to the targets): ours without the smoke test (the candidate's direct invocation always passes), " +
            "to show what the gates alone do.",
    );
    lines.push("");
    lines.push(`## Summary (ours vs (a) runbook and (b) CodeDeploy, same seeds)`);
    lines.push("");
    lines.push(`| rows | metric | (a) runbook | (b) CodeDeploy | ours | ours/(a) | ours/(b) | what-if: ours without the smoke test |`);
    lines.push(`|---|---|---|---|---|---|---|---|`);
    for (const k of CLASSES) {
        const s = result.classes[k.id];
        if (!s || s.ours.runs === 0) continue;
        const row = (metric: string, f: (p: PolicySummary) => number, ratio = true, text?: (p: PolicySummary) => string) => {
            const v = ids.map((id) => f(s[id]));
            const shown = ids.map((id, i) => (text ? text(s[id]) : fmt1(v[i])));
            const r = (a: number, b: number) => (ratio && b > 0 ? fmt2(a / b) : "-");
            lines.push(`| ${k.label} | ${metric} | ${shown.slice(0, 3).join(" | ")} | ${r(v[2], v[0])} | ${r(v[2], v[1])} | ${shown[3]} |`);
        };
        if (k.id.startsWith("healthy") || k.id === "marginal") {
            row(
                "rolled back (of runs)",
                (p) => p.rolledBack,
                false,
                (p) => `${p.rolledBack}/${p.runs}${why(p)}`,
            );
        } else {
            row(
                "escapes (promoted, of runs)",
                (p) => p.promoted,
                false,
                (p) => `${p.promoted}/${p.runs}`,
            );
        }
        row("blast radius mean", (p) => p.meanBlast);
        row("blast radius median", (p) => p.medianBlast);
        row("blast radius p90", (p) => p.p90Blast);
        row("median minute of decision", (p) => p.medianDecisionMinute);
        if (k.id.startsWith("healthy")) row("median duration of promoted rollouts (min)", (p) => p.medianPromotedMinute, false);
    }
    lines.push("");
    lines.push(`## Targets (ours)`);
    lines.push("");
    for (const t of result.targets) lines.push(`- ${t.met ? "MET" : "NOT MET"}: ${t.target}: ${t.numbers}`);
    lines.push("");
    lines.push(
        `## Per cell (${result.matrix.seeds.length} seeds each): promoted/runs, mean | median blast radius; reference line (best possible) for error regressions`,
    );
    lines.push("");
    lines.push(
        `| stable | candidate | rpm | kind | (a) promoted | (a) blast | (b) promoted | (b) blast | ours promoted | ours blast | ours decision min | reference | ours median / ref | no-smoke what-if promoted | no-smoke what-if blast |`,
    );
    lines.push(`|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|`);
    for (const c of result.cells) {
        const p = (id: string) => c.policies[id];
        const blast = (id: string) => `${fmt1(p(id).meanBlast)} \\| ${fmt1(p(id).medianBlast)}`;
        const ref = c.reference ? `${fmt1(c.reference.failed)} (${Math.round(c.reference.requests)} req)` : "-";
        const ratio = c.reference ? fmt2(p("ours").medianBlast / c.reference.failed) : "-";
        lines.push(
            `| ${c.cell.stableErrorRate * 100}% | ${c.cell.candidateLabel} (${fmt2(c.cell.candidate.errorRate * 100)}%) | ${c.cell.requestsPerMinute} | ${c.cell.kind} | ` +
                `${p("runbook").promoted}/${c.seeds} | ${blast("runbook")} | ${p("codedeploy").promoted}/${c.seeds} | ${blast("codedeploy")} | ` +
                `${p("ours").promoted}/${c.seeds}${why(p("ours"))} | ${blast("ours")} | ${fmt1(p("ours").medianDecisionMinute)} | ${ref} | ${ratio} | ` +
                `${p("oursNoSmoke").promoted}/${c.seeds}${why(p("oursNoSmoke"))} | ${blast("oursNoSmoke")} |`,
        );
    }
    lines.push("");
    return lines.join("\n");
}
