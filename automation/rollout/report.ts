/**
 * The rollout report (docs/design.md's contract): what happened, step by step, with the numbers behind each
 * verdict. `--json` prints it, alone, on stdout; `--report FILE` writes it, after every decision.
 * One recorder owns every change to it and shows each change to whoever keeps the record (the CLI's report
 * file), so a run that dies loses at most the last poll.
 */
import { ExitCode } from "../exitCodes";
import type { GateCause, GateNumbers, SeverityBand } from "./assess";
import type { HookRecord } from "./hooks";
import { recordApprovalWait, recordPoll, type PollSample, type RolloutSeries } from "./series";
import type { PowerStatement } from "./power";

/**
 * How a rollout ended. `aborted`: put back on stable on an interrupt or an operator's abort; `held`: an
 * interrupt kept the weight as it was (`--on-interrupt hold`), to be resumed.
 */
export type Outcome = "promoted" | "rolled-back" | "failed" | "nothing-to-do" | "aborted" | "held";

/**
 * What decided a step, as data: the gate's cause, or what ended the step outside the gate (a smoke test, an
 * infrastructure failure, expired credentials, an interrupt, someone else moving the traffic, a bake of 0s).
 */
export type StepCause =
    | GateCause
    | "smoke-test"
    | "hook"
    | "operator"
    | "approval-timeout"
    | "infrastructure"
    | "credentials"
    | "interrupted"
    | "changed-outside"
    | "taken-over"
    | "no-bake"
    /** A release through several stacks (automation/waves) put this one back: another stack of it failed or was aborted. */
    | "release";

/** One step as it happened: the verdict, its cause and numbers as data, and the sentence for people. */
export interface StepRecord {
    weight: number;
    startedAtMinute: number;
    endedAtMinute: number;
    verdict: "passed" | "failed" | "extended" | "inconclusive" | "interrupted";
    reason: string;
    cause?: StepCause;
    /** The function whose verdict decided the step, when one did. */
    function?: string;
    /** The numbers behind the gate's verdict, per function. */
    numbers?: Record<string, GateNumbers>;
    /** The severity band of a failed or marginal verdict (docs/gates.md, "Severity bands"). */
    severity?: SeverityBand;
}

/** What an operator did to the rollout from another process, as this run saw it (or did it, on a terminal). */
export interface OperatorRecord {
    action: "pause" | "resume" | "approve" | "abort" | "promote-full";
    /** The display name given (`--by`; self-asserted). */
    by?: string;
    /** Who it was as AWS says (STS GetCallerIdentity), as the record keeps it. */
    principal?: string;
    reason?: string;
    atMinute: number;
}

/** Where a function's traffic is at the end: each version's share, as read from AWS, or "unknown". */
export type FinalRouting = Record<string, number> | "unknown";

/** One function in the report. */
export interface FunctionRecord {
    /** The version traffic goes back to on a rollback. */
    stable: string;
    candidate: string;
    /** Read from AWS at the end, never assumed; "unknown" when it could not be read (see `finalRoutingError`). */
    finalRouting: FinalRouting;
    /** Why `finalRouting` is unknown. */
    finalRoutingError?: string;
    /** The command a person can run to put this function's traffic on stable, when the tool could not. */
    manualRollback?: string;
}

/** The report of one promote (or rollback, or rehearsal). */
export interface RolloutReport {
    outcome: Outcome;
    stack: string;
    strategy: string;
    /** When the run began (ISO 8601): minute 0 of every `...Minute` field. */
    startedAt?: string;
    functions: Record<string, FunctionRecord>;
    steps: StepRecord[];
    decisionAtMinute: number | null;
    durationMinutes: number;
    /** Filled by the rehearsal only: a real rollout cannot count every request. */
    requests?: { total: number; candidate: number; candidateErrors: number };
    /** How traffic was put back on stable, when it was: the Lambda API (the fast path) or `pulumi up`. */
    rollbackPath?: "pulumi-up" | "lambda-api";
    /** When every function was read back on stable after a rollback or an abort (minutes since the start). */
    stableAtMinute?: number;
    /** Whether the stack's own state was brought in line by an `up` after a Lambda-API rollback. */
    stackConverged?: boolean;
    /** The signal that interrupted the run, if one did. */
    interrupt?: string;
    /** The infrastructure error that ended the rollout, if one did. */
    error?: string;
    /** Things a person should know that changed no decision (a report write that failed, a skipped gate). */
    warnings?: string[];
    /** Each hook that ran: its point, outcome, duration and the start of its output. */
    hooks?: HookRecord[];
    /** Each operator action this run saw (pause, resume, approve, abort, promote --full), with who and why. */
    operator?: OperatorRecord[];
    /** While the rollout waits for approval: the step waiting and since when (removed once it goes on). */
    waitingForApproval?: { step: number; weight: number; sinceMinute: number };
    /** The versions deleted after the promotion, per function (lambda-rollout:retention.afterPromotion). */
    pruned?: Record<string, string[]>;
    /** A verdict in the `incident` band: the rollback was immediate and the stack's topic was paged. */
    incident?: { band: "incident"; reason: string; atMinute: number };
    /** Each notification sent, once the rollout ended (automation/notify): the event's kind and the channel. */
    notifications?: { kind: string; channel: string }[];
    /** The deployment metrics put at the end (names, in the `LambdaRollout` namespace). */
    metricsPut?: string[];
    /**
     * Records this run could not read (nothing was moved): per function, the raw text, why, and what fixes it
     * (the stable the stack's history names, the commands).
     */
    unreadableRecords?: Record<string, { raw: string; why: string; advice: string[] }>;
    /**
     * Rehearsals only: each operator verb the scenario ran from "another process" and how its command line would
     * have exited (abort: 0 only once a read after every `up` in flight showed all traffic on stable).
     */
    operatorVerbs?: { action: string; atMinute: number; endedAtMinute: number; exitCode: number; confirmed: boolean; refused?: string }[];
    /** What each poll of the gates read, per minute and per poll, for the charts (automation/rollout/series.ts). */
    series?: RolloutSeries;
    /** Per function, stated before traffic moved: what this rollout can catch at its recent traffic (power.ts). */
    power?: PowerStatement[];
}

/** Exit code for an outcome (errors map through automation/errors.ts; interrupts through exitCodeForSignal). */
export function exitCodeForOutcome(outcome: Outcome): number {
    switch (outcome) {
        case "rolled-back":
        case "aborted":
            return ExitCode.rolledBack;
        case "failed":
            return ExitCode.infrastructure;
        case "held":
            return ExitCode.held;
        default:
            return ExitCode.ok;
    }
}

/** Owns a report: every change goes through it, and each is shown to `observe` (which keeps the record). */
export class ReportRecorder {
    readonly report: RolloutReport;
    /** The wait for approval the series last recorded (the report's field goes once the wait ends). */
    private waiting?: RolloutReport["waitingForApproval"];

    constructor(
        init: Pick<RolloutReport, "stack" | "strategy" | "functions" | "startedAt">,
        private readonly minute: () => number,
        private readonly observe?: (report: RolloutReport) => void,
    ) {
        this.report = { outcome: "nothing-to-do", ...init, steps: [], decisionAtMinute: null, durationMinutes: 0 };
        this.changed();
    }

    /** One poll of a bake: its numbers join the series the charts draw. */
    poll(sample: PollSample): void {
        const startedAtMs = this.report.startedAt ? Date.parse(this.report.startedAt) : sample.atMs - this.minute() * 60000;
        this.report.series = recordPoll(this.report.series, sample, this.minute(), startedAtMs);
        this.changed();
    }

    /** A step's verdict. */
    step(record: Omit<StepRecord, "endedAtMinute"> & { endedAtMinute?: number }): void {
        this.report.steps.push({ ...record, endedAtMinute: record.endedAtMinute ?? this.minute() });
        this.changed();
    }

    /** The moment the rollout's outcome was decided (a gate failed, the last bake passed, an interrupt). */
    decided(): void {
        this.report.decisionAtMinute = this.minute();
        this.changed();
    }

    /** Anything else: a function's record, the rollback path, an error. */
    update(change: (report: RolloutReport) => void): void {
        change(this.report);
        this.changed();
    }

    warn(text: string): void {
        (this.report.warnings ??= []).push(text);
        this.changed();
    }

    /** The end: the outcome and the duration. */
    finish(outcome: Outcome): RolloutReport {
        this.report.outcome = outcome;
        this.report.durationMinutes = this.minute();
        this.changed();
        return this.report;
    }

    private changed(): void {
        // A wait for approval shows in the report only while it lasts; the series keeps when it began and ended.
        if (this.report.waitingForApproval !== this.waiting) {
            this.waiting = this.report.waitingForApproval;
            this.report.series = recordApprovalWait(this.report.series, this.waiting, this.minute());
        }
        this.observe?.(this.report);
    }
}

/** A function's final routing for a person: `v7 100%`, or `unknown (why)`. */
export function describeRouting(f: Pick<FunctionRecord, "finalRouting" | "finalRoutingError">): string {
    if (f.finalRouting === "unknown") return `unknown (${f.finalRoutingError ?? "could not be read"})`;
    return Object.entries(f.finalRouting)
        .map(([v, w]) => `v${v} ${Math.round(w * 1000) / 10}%`)
        .join(" + ");
}
