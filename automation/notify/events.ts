/**
 * The rollout's notifications, decided from its report alone: the rollout loop shows every change of the report
 * to `RolloutDeps.observe` (report.ts's ReportRecorder), and the difference between the snapshot before and the
 * one after says what happened. A step bakes over many polls without changing the report, so diffing snapshots
 * sends one message per event and never repeats one while a step bakes.
 *
 * The rules, one per event (the report's fields are the contract; nothing here reads prose):
 * - `started`: the first snapshot of a run that moves something (a function whose stable and candidate differ).
 *   A promote run again (to resume) is a new run and says so again; a snapshot with fewer steps than the one
 *   before is such a new run.
 * - `step-passed`: each new step record whose verdict is `passed`, with its weight and the gate's numbers.
 * - `waiting-for-approval`: `waitingForApproval` appears on the report, or names another step or start.
 * - `rolled-back`, `aborted`, `promoted`, `failed`: the report's `outcome` becomes that value (finish() sets it).
 *   `held` and `nothing-to-do` send nothing.
 */
import { NOTIFICATION_EVENT_KINDS } from "../../config/stackConfig";
import type { GateNumbers, SeverityBand } from "../rollout/assess";
import type { RolloutReport, StepCause, StepRecord } from "../rollout/report";

/** Every event a rollout can notify, in the order a rollout meets them (one list: the config's `events` names these). */
export const NOTIFICATION_EVENTS = NOTIFICATION_EVENT_KINDS;
/** See {@link NOTIFICATION_EVENTS}. */
export type NotificationEventKind = (typeof NOTIFICATION_EVENTS)[number];

/** One function's versions in a rollout. */
export interface EventFunction {
    readonly key: string;
    readonly stable: string;
    readonly candidate: string;
}

/** A rollout event, as data: the sentence for people is made from it (describeEvent). */
export type RolloutEvent =
    | { readonly kind: "started"; readonly stack: string; readonly strategy: string; readonly functions: EventFunction[] }
    | {
          readonly kind: "step-passed";
          readonly stack: string;
          /** 1-based: the step's place in this run's records. */
          readonly step: number;
          /** The candidate's share, 0-100. */
          readonly weightPercent: number;
          readonly atMinute: number;
          readonly numbers?: Record<string, GateNumbers>;
      }
    | {
          readonly kind: "waiting-for-approval";
          readonly stack: string;
          readonly step: number;
          readonly weightPercent: number;
          readonly sinceMinute: number;
      }
    | {
          readonly kind: "rolled-back";
          readonly stack: string;
          readonly reason: string;
          readonly cause?: StepCause;
          readonly severity?: SeverityBand;
          readonly function?: string;
          readonly atMinute: number;
          readonly numbers?: Record<string, GateNumbers>;
      }
    | { readonly kind: "aborted"; readonly stack: string; readonly reason: string; readonly by?: string; readonly atMinute: number }
    | { readonly kind: "promoted"; readonly stack: string; readonly functions: EventFunction[]; readonly durationMinutes: number }
    | { readonly kind: "failed"; readonly stack: string; readonly reason: string; readonly atMinute: number };

const ENDINGS: ReadonlySet<string> = new Set(["rolled-back", "aborted", "promoted", "failed"]);

/** The events between two snapshots of one run's report (pure); `previous` is undefined for the first one. */
export function rolloutEvents(last: RolloutReport | undefined, next: RolloutReport): RolloutEvent[] {
    // Fewer steps than the snapshot before: a new run (a promote run again after a kill), diffed as a first one.
    const previous = last && next.steps.length < last.steps.length ? undefined : last;
    const events: RolloutEvent[] = [];
    const stack = next.stack;
    const functions = functionsOf(next);
    if (previous === undefined && functions.some((f) => f.stable !== f.candidate)) {
        events.push({ kind: "started", stack, strategy: next.strategy, functions });
    }
    next.steps.forEach((s, i) => {
        if (i < (previous?.steps.length ?? 0) || s.verdict !== "passed") return;
        events.push({
            kind: "step-passed",
            stack,
            step: i + 1,
            weightPercent: toPercent(s.weight),
            atMinute: s.endedAtMinute,
            ...(s.numbers ? { numbers: s.numbers } : {}),
        });
    });
    const wait = next.waitingForApproval;
    const before = previous?.waitingForApproval;
    if (wait && (!before || before.step !== wait.step || before.sinceMinute !== wait.sinceMinute)) {
        events.push({
            kind: "waiting-for-approval",
            stack,
            step: wait.step,
            weightPercent: toPercent(wait.weight),
            sinceMinute: wait.sinceMinute,
        });
    }
    if (next.outcome !== previous?.outcome && ENDINGS.has(next.outcome)) events.push(ending(next, functions));
    return events;
}

function ending(report: RolloutReport, functions: EventFunction[]): RolloutEvent {
    const stack = report.stack;
    const atMinute = report.decisionAtMinute ?? report.durationMinutes;
    const deciding = lastUnpassed(report.steps);
    switch (report.outcome) {
        case "promoted":
            return { kind: "promoted", stack, functions, durationMinutes: report.durationMinutes };
        case "aborted": {
            const abort = [...(report.operator ?? [])].reverse().find((o) => o.action === "abort");
            const reason =
                abort?.reason ?? (report.interrupt ? `interrupted by ${report.interrupt}` : (deciding?.reason ?? "aborted by an operator"));
            return { kind: "aborted", stack, reason, ...(abort?.by ? { by: abort.by } : {}), atMinute };
        }
        case "failed":
            return { kind: "failed", stack, reason: report.error ?? deciding?.reason ?? "the rollout failed", atMinute };
        default:
            return {
                kind: "rolled-back",
                stack,
                reason: deciding?.reason ?? report.incident?.reason ?? report.error ?? "rolled back",
                ...(deciding?.cause ? { cause: deciding.cause } : {}),
                ...(deciding?.severity ? { severity: deciding.severity } : {}),
                ...(deciding?.function ? { function: deciding.function } : {}),
                ...(deciding?.numbers ? { numbers: deciding.numbers } : {}),
                atMinute,
            };
    }
}

/** The step that decided a rollback: the last one that did not pass. */
function lastUnpassed(steps: readonly StepRecord[]): StepRecord | undefined {
    return [...steps].reverse().find((s) => s.verdict !== "passed");
}

function functionsOf(report: RolloutReport): EventFunction[] {
    return Object.entries(report.functions).map(([key, f]) => ({ key, stable: f.stable, candidate: f.candidate }));
}

/** A weight (0.0-1.0, as the report records it) as a percentage, to a tenth. */
function toPercent(weight: number): number {
    return Math.round(weight * 1000) / 10;
}

/** The gate's numbers of one step as a short phrase: `api: 4 errors in 1200 requests (0.33%), stable 0.10%`. */
export function describeNumbers(numbers: Record<string, GateNumbers> | undefined): string | undefined {
    if (!numbers || Object.keys(numbers).length === 0) return undefined;
    return Object.entries(numbers)
        .map(
            ([key, n]) =>
                `${key}: ${n.candidateErrors} errors in ${n.candidateInvocations} requests (${n.candidateErrorRatePercent.toFixed(2)}%), stable ${n.stableErrorRatePercent.toFixed(2)}%`,
        )
        .join("; ");
}

/** The one-line title of an event, e.g. `lambda-rollout prod: rolled back`. */
export function eventTitle(event: RolloutEvent): string {
    const what: Record<NotificationEventKind, string> = {
        started: "rollout started",
        "step-passed": `step ${"step" in event ? event.step : ""} passed`,
        "waiting-for-approval": "waiting for approval",
        "rolled-back": "rolled back",
        aborted: "aborted",
        promoted: "promoted",
        failed: "FAILED",
    };
    return `lambda-rollout ${event.stack}: ${what[event.kind]}`;
}

/** The message for people (pure): the title, then what happened with its numbers. */
export function describeEvent(event: RolloutEvent): string {
    return `${eventTitle(event)}: ${eventBody(event)}`;
}

function eventBody(event: RolloutEvent): string {
    const versions = (fs: EventFunction[]) => fs.map((f) => `${f.key} v${f.stable} -> v${f.candidate}`).join(", ");
    switch (event.kind) {
        case "started":
            return `${event.strategy} rollout of ${versions(event.functions)}`;
        case "step-passed": {
            const numbers = describeNumbers(event.numbers);
            return `${event.weightPercent}% of traffic on the candidate, gate passed at minute ${event.atMinute}${numbers ? ` (${numbers})` : ""}`;
        }
        case "waiting-for-approval":
            return `step ${event.step} (${event.weightPercent}% on the candidate) waits for approval since minute ${event.sinceMinute}, the weight before it held: \`lambda-rollout approve -s ${event.stack}\` goes on, \`lambda-rollout abort -s ${event.stack}\` rolls back`;
        case "rolled-back": {
            const numbers = describeNumbers(event.numbers);
            return `all traffic back on stable at minute ${event.atMinute}: ${event.reason}${event.severity ? ` [band: ${event.severity}]` : ""}${numbers ? ` (${numbers})` : ""}`;
        }
        case "aborted":
            return `all traffic back on stable at minute ${event.atMinute}: ${event.reason}${event.by ? ` (by ${event.by})` : ""}`;
        case "promoted":
            return `${versions(event.functions)}: 100% on the candidate after ${event.durationMinutes} min`;
        case "failed":
            return `${event.reason} (at minute ${event.atMinute}); where traffic is: \`lambda-rollout status -s ${event.stack}\``;
    }
}
