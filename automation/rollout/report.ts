/**
 * The rollout report (DESIGN.md's contract): what happened, step by step, with the numbers behind each
 * verdict. `--json` prints it as the last line of stdout; `--report FILE` writes it.
 */

/** How a rollout ended. */
export type Outcome = "promoted" | "rolled-back" | "failed" | "nothing-to-do";

/** One step as it happened. */
export interface StepRecord {
    weight: number;
    startedAtMinute: number;
    endedAtMinute: number;
    verdict: "passed" | "failed" | "extended" | "inconclusive";
    reason: string;
}

/** The report of one promote (or rollback, or rehearsal). */
export interface RolloutReport {
    outcome: Outcome;
    stack: string;
    strategy: string;
    functions: Record<string, { stable: string; candidate: string; finalRouting: Record<string, number> }>;
    steps: StepRecord[];
    decisionAtMinute: number | null;
    durationMinutes: number;
    /** Filled by the rehearsal only: a real rollout cannot count every request. */
    requests?: { total: number; candidate: number; candidateErrors: number };
    /** How traffic was put back on stable, when it was: `pulumi up` or the Lambda API. */
    rollbackPath?: "pulumi-up" | "lambda-api";
    /** The infrastructure error that ended the rollout, if one did. */
    error?: string;
}

/** Exit code for an outcome (errors map through automation/errors.ts). */
export function exitCodeForOutcome(outcome: Outcome): number {
    return outcome === "rolled-back" ? 1 : outcome === "failed" ? 3 : 0;
}
