/**
 * The gates benchmark's markdown: the summary per class side by side (both ways of moving on, with durations),
 * the target checks as MET / NOT MET lines, then every cell with both reference lines and both ratios.
 */
import { CLASSES, fmt1, fmt2, type BenchResult, type CellSummary, type PolicySummary } from "./bench";
import { POLICIES } from "./policies";

/** Why the rollbacks happened, when not all by the policy's own test. */
function why(p: PolicySummary): string {
    const parts = [
        p.rolledBackByAlarm ? `${p.rolledBackByAlarm} by alarm` : "",
        ...Object.entries(p.shortfalls).map(([cause, n]) => `${n} ${cause}`),
    ].filter(Boolean);
    return parts.length ? ` (${parts.join(", ")})` : "";
}

/** The header: what ran, on what, and how to read it. */
function preamble(result: BenchResult): string[] {
    return [
        `# Gates benchmark`,
        "",
        `Command: \`${result.command}\` (wall time ${fmt1(result.wallSeconds)} s).`,
        `Policy of ours: Pulumi.prod.yaml (${result.policy.steps}; error rate <= ${result.policy.maxErrorRatePercent}% and not above stable's, catching +${result.policy.maxErrorRateIncreasePercent} pt, ` +
            `false-rollback budget ${result.policy.falseRollbackPercent}%, p99 <= ${result.policy.maxP99Ms} ms, >= ${result.policy.minInvocations} candidate invocations at 100% and that times the weight before), ` +
            "run twice: `advance: time` (a step passes after its bake once its minutes are in and its evidence could have failed its must-catch regression) and " +
            "`advance: evidence` (a step moves on once the evidence excludes the must-catch regression; bake the least, bake + maxExtension the most). Every other key as the stack has it.",
        `Matrix: stable error rate ${result.matrix.stableErrorRates.map((r) => `${r * 100}%`).join(", ")}; candidate ${result.matrix.candidates.join(", ")}; ` +
            `${result.matrix.requestsPerMinute.join(", ")} requests/min; seeds ${result.matrix.seeds[0]}..${result.matrix.seeds.at(-1)} (${result.matrix.seeds.length}); metric delay ${result.matrix.metricDelayMinutes} min. ` +
            `Blast radius: candidate failed requests within ${result.horizonMinutes} min of the start, the same horizon for every policy.`,
        "Simulation: the real promote loop, gates and adapters against the simulated AWS; each `up` applies the routing straight to the simulated alias " +
            "(the program's routing rule) instead of re-running the program under the mock engine, which ran once to set the row's world up.",
        "Smoke test: ours invokes the candidate directly before moving traffic, up to 3 times, and stops when every attempt fails; in the bench each invocation " +
            "fails as often as the candidate's user requests do (its error rate, drawn from the row's seed), so a candidate that fails every request fails its smoke test too. Stable's history before the rollout " +
            "(the stack's gates.baseline) is in every row's account, as in the rehearsal.",
        "Reference lines (error regressions): (1) schedule-free: Wald's expected sample size of the SPRT of stable's rate against the candidate's at alpha = beta = the budget, " +
            "plus the requests the first step serves while the metrics are late, times the candidate's error rate; (2) on the schedule: the median blast radius of an oracle SPRT that knows " +
            "both rates, reads the same CloudWatch with the same lag every minute, and moves on the policy's steps and bakes (no extension), rolling back when Wald's ratio reaches (1 - beta) / alpha.",
        "What-if column (not a policy of the project, not held to the targets): ours (advance: time) without the smoke test (the candidate's direct invocation always passes), " +
            "to show what the gates alone do.",
        "",
    ];
}

/** The summary per class, one column per policy. */
function summary(result: BenchResult): string[] {
    const lines = [
        `## Summary (same seeds; ratios are ours with advance: time over (a) and (b))`,
        "",
        `| rows | metric | ${POLICIES.map((p) => p.label).join(" | ")} | ours(time)/(a) | ours(time)/(b) |`,
        `|---|---|${POLICIES.map(() => "---|").join("")}---|---|`,
    ];
    for (const k of CLASSES) {
        const s = result.classes[k.id];
        if (!s || s.ours.runs === 0) continue;
        const row = (metric: string, f: (p: PolicySummary) => number, ratio = true, text?: (p: PolicySummary) => string) => {
            const shown = POLICIES.map((p) => (text ? text(s[p.id]) : fmt1(f(s[p.id]))));
            const r = (a: number, b: number) => (ratio && b > 0 ? fmt2(a / b) : "-");
            lines.push(
                `| ${k.label} | ${metric} | ${shown.join(" | ")} | ${r(f(s.ours), f(s.runbook))} | ${r(f(s.ours), f(s.codedeploy))} |`,
            );
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
        row("median duration of promoted rollouts (min)", (p) => p.medianPromotedMinute, false);
    }
    return [...lines, ""];
}

/** One cell's line. */
function cellLine(c: CellSummary): string {
    const p = (id: string) => c.policies[id];
    const blast = (id: string) => `${fmt1(p(id).meanBlast)} \\| ${fmt1(p(id).medianBlast)}`;
    const ours = (id: string) =>
        `${p(id).promoted}/${c.seeds}${why(p(id))} | ${blast(id)} | ${fmt1(p(id).medianDecisionMinute)} | ${fmt1(p(id).medianPromotedMinute)}`;
    const ref1 = c.reference ? `${fmt1(c.reference.failed)} (${Math.round(c.reference.requests)} req)` : "-";
    const ref2 = c.scheduleReference ? `${fmt1(c.scheduleReference.medianBlast)} (${c.scheduleReference.promoted} missed)` : "-";
    const ratio = (id: string, line: number | undefined) => (line !== undefined ? fmt2(p(id).medianBlast / line) : "-");
    const r1 = c.reference?.failed;
    const r2 = c.scheduleReference?.medianBlast;
    return (
        `| ${c.cell.stableErrorRate * 100}% | ${c.cell.candidateLabel} (${fmt2(c.cell.candidate.errorRate * 100)}%) | ${c.cell.requestsPerMinute} | ${c.cell.kind} | ` +
        `${p("runbook").promoted}/${c.seeds} | ${blast("runbook")} | ${p("codedeploy").promoted}/${c.seeds} | ${blast("codedeploy")} | ` +
        `${ours("ours")} | ${ours("oursEvidence")} | ${ref1} | ${ref2} | ${ratio("ours", r1)} | ${ratio("ours", r2)} | ${ratio("oursEvidence", r1)} | ${ratio("oursEvidence", r2)} | ` +
        `${p("oursNoSmoke").promoted}/${c.seeds}${why(p("oursNoSmoke"))} | ${blast("oursNoSmoke")} |`
    );
}

/** The markdown report: the summary per class side by side, the target checks, then every cell. */
export function markdown(result: BenchResult): string {
    const lines = [...preamble(result), ...summary(result)];
    lines.push(`## Targets`, "");
    for (const t of result.targets) lines.push(`- ${t.met ? "MET" : "NOT MET"}: ${t.target}: ${t.numbers}`);
    lines.push(
        "",
        `## Per cell (${result.matrix.seeds.length} seeds each): promoted/runs, mean \\| median blast radius, median minute of decision, median duration of promoted runs; both reference lines and ours' median blast radius over each`,
        "",
        "| stable | candidate | rpm | kind | (a) promoted | (a) blast | (b) promoted | (b) blast | time: promoted | time: blast | time: decision min | time: duration | " +
            "evidence: promoted | evidence: blast | evidence: decision min | evidence: duration | ref (1) schedule-free | ref (2) on the schedule | time/ref1 | time/ref2 | evidence/ref1 | evidence/ref2 | " +
            "no-smoke what-if promoted | no-smoke what-if blast |",
        `|${"---|".repeat(26)}`,
    );
    for (const c of result.cells) lines.push(cellLine(c));
    lines.push("");
    return lines.join("\n");
}
