/**
 * The promise every rehearsal is held to, checked against where traffic truly ended (read from the simulated
 * account, not from the report).
 */
import type { RolloutReport } from "../rollout/report";
import type { StackOutputs } from "../rollout/ports";
import type { SimulatedAws } from "../simulator";

/** Where traffic truly ended (read from the simulated account, not from the report), and whether that is safe. */
export interface Safety {
    /** Traffic on stable, or fully promoted after every gate of the run passed. */
    readonly safe: boolean;
    /**
     * Not safe, but no path to AWS worked (every call and every `up` refused, e.g. expired credentials) and the
     * report says so: where traffic is was "unknown", with the command a person can run.
     */
    readonly saidSo: boolean;
    /** What held the run when {@link saidSo}: no path to AWS, or a rollout record that cannot be read. */
    readonly heldBy?: "no-path-to-aws" | "unreadable-record";
    /** Per function, e.g. `v1 100%`. */
    readonly traffic: Record<string, string>;
    readonly why: string;
}

/**
 * The promise every rehearsal is held to: each function's traffic all on its stable version, or all on the
 * candidate with the outcome "promoted" and no step failed or left without a verdict.
 */
export function safetyOf(
    sim: SimulatedAws,
    outputs: StackOutputs,
    versions: Record<string, { stable: string; candidate: string }>,
    report: RolloutReport,
): Safety {
    const traffic: Record<string, string> = {};
    const problems: string[] = [];
    const gatesPassed =
        report.outcome === "promoted" &&
        report.steps.every((s) => s.verdict === "passed" || s.verdict === "extended" || s.verdict === "interrupted");
    for (const [key, v] of Object.entries(versions)) {
        const { functionName, aliasName } = outputs.functions[key];
        const r = sim.aliasRouting(functionName, aliasName);
        traffic[key] = !r
            ? "no alias"
            : r.additional
              ? `v${r.primaryVersion} ${round1((1 - r.additional.weight) * 100)}% + v${r.additional.version} ${round1(r.additional.weight * 100)}%`
              : `v${r.primaryVersion} 100%`;
        const onStable = r !== undefined && !r.additional && r.primaryVersion === v.stable;
        const promoted = r !== undefined && !r.additional && r.primaryVersion === v.candidate && gatesPassed;
        if (!onStable && !promoted)
            problems.push(
                `${key}: ${traffic[key]}${r?.primaryVersion === v.candidate && !r.additional ? " on a candidate whose gates did not all pass" : ""}`,
            );
    }
    // Not safe but said so: no path to AWS worked (traffic "unknown", the command to run), or a record that cannot
    // be read held the run (nothing moved; the raw text, the stable the stack's history names and the commands said).
    const saidSo =
        problems.length > 0 &&
        report.outcome === "failed" &&
        Object.keys(versions).every(
            (key) =>
                (report.functions[key]?.finalRouting === "unknown" && report.functions[key]?.manualRollback !== undefined) ||
                report.unreadableRecords?.[key] !== undefined ||
                !problems.some((p) => p.startsWith(`${key}:`)),
        );
    return {
        safe: problems.length === 0,
        saidSo,
        ...(saidSo ? { heldBy: report.unreadableRecords ? ("unreadable-record" as const) : ("no-path-to-aws" as const) } : {}),
        traffic,
        why:
            problems.length === 0
                ? "every function on stable, or promoted after every gate passed"
                : saidSo
                  ? report.unreadableRecords
                      ? `${problems.join("; ")}: a rollout record that cannot be read held the run; the report gives its text, the stable the stack's history names and the commands`
                      : `${problems.join("; ")}: no path to AWS worked, and the report says traffic is unknown and gives the command to run`
                  : problems.join("; "),
    };
}

function round1(n: number): number {
    return Math.round(n * 10) / 10;
}
