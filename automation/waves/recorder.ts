/**
 * The release's record as it goes (pure but for the observer it shows each change to): each stack's parts (what
 * its records said when the run began, each promote of it, each action of the release on it, and how its records
 * stand at the end), the watches between waves, and the release's own facts. It owns every change to the report,
 * as rollout/report.ts's recorder does for one stack; report.ts makes the report from it.
 */
import { trafficShares } from "../../domain/routing";
import type { Clock } from "../rollout/ports";
import type { Outcome, StepRecord } from "../rollout/report";
import { planStacks, type WavePlan } from "./plan";
import {
    entryFromStanding,
    entryOf,
    releaseReport,
    standingOutcome,
    type ReleaseFacts,
    type ReleaseReport,
    type WaveStackRecord,
    type WatchRecord,
} from "./report";
import type { PutBack } from "./stack";
import { standingOf, type StackRead, type StackStanding } from "./standing";

/** One part of a stack's entry, replaced as the promote it records reports. */
export interface LivePart {
    report: WaveStackRecord;
}

/** Owns the release's report. */
export class ReleaseRecorder {
    readonly facts: ReleaseFacts;
    outcome: Outcome = "nothing-to-do";
    decisionAtMinute: number | null = null;
    error?: string;
    private readonly parts = new Map<string, LivePart[]>();
    private readonly watches: Record<number, WatchRecord[]> = {};

    constructor(
        private readonly plan: WavePlan,
        private readonly startedAtMs: number,
        private readonly clock: Clock,
        private readonly observe: ((report: ReleaseReport) => void) | undefined,
        throughWave: number | undefined,
    ) {
        this.facts = {
            plan: plan.name,
            rollback: plan.rollback,
            concurrency: plan.concurrency,
            watchMinutes: Math.round(plan.watch / 6) / 10,
            ...(throughWave !== undefined ? { throughWave } : {}),
        };
    }

    /** Minutes since the run began, to a tenth. */
    minute(): number {
        return Math.round(((this.clock.now() - this.startedAtMs) / 60_000) * 10) / 10;
    }

    private iso(ms = this.clock.now()): string {
        return new Date(ms).toISOString();
    }

    /** Each stack as its records stand when the run begins. */
    seed(standings: Record<string, StackStanding>): void {
        for (const s of Object.values(standings)) this.parts.set(s.stack, [{ report: entryFromStanding(s, this.iso()) }]);
    }

    /** A new part of a stack's entry (a promote of it), for its reports to replace. */
    startPart(stack: string): LivePart {
        const part: LivePart = { report: { ...this.entry(stack), steps: [], note: undefined } };
        this.parts.set(stack, [...(this.parts.get(stack) ?? []), part]);
        return part;
    }

    /** A stack the release put back on stable (from `startedAt`): its functions as read back, and why, as a step. */
    putBack(
        stack: string,
        done: PutBack,
        kind: "rolled-back" | "aborted",
        reason: string,
        startedAt: string,
        step?: Partial<StepRecord>,
    ): void {
        const restored = done.restored;
        const landed = restored?.landed ?? true;
        const minutes = Math.round(((this.clock.now() - Date.parse(startedAt)) / 60_000) * 10) / 10;
        const functions = Object.fromEntries(
            done.moves.map((m) => {
                const fn = restored?.functions[m.key];
                return [
                    m.key,
                    {
                        stable: m.to,
                        candidate: m.from,
                        finalRouting: fn?.routing ? trafficShares(fn.routing) : ("unknown" as const),
                        ...(fn?.routing ? {} : { finalRoutingError: fn?.error ?? "not read" }),
                        ...(fn?.manualCommand ? { manualRollback: fn.manualCommand } : {}),
                    },
                ];
            }),
        );
        this.add(stack, {
            outcome: landed ? kind : "failed",
            stack,
            strategy: this.entry(stack).strategy,
            startedAt,
            functions,
            steps: [{ weight: 1, startedAtMinute: 0, endedAtMinute: minutes, verdict: "interrupted", cause: "release", reason, ...step }],
            decisionAtMinute: 0,
            durationMinutes: minutes,
            ...(restored?.landed ? { rollbackPath: restored.path, stableAtMinute: minutes } : {}),
        });
    }

    /** A watch after wave `wave` (0-based) begins: recorded as it goes; returns how to record where it stands. */
    watch(wave: number | undefined, watched: readonly string[]): (verdict: WatchRecord["verdict"], reason: string) => void {
        const entry: WatchRecord = {
            fromMinute: this.minute(),
            toMinute: this.minute(),
            verdict: "watching",
            reason: `watching ${watched.join(", ")}`,
        };
        if (wave !== undefined) (this.watches[wave] ??= []).push(entry);
        return (verdict, reason) => {
            Object.assign(entry, { toMinute: this.minute(), verdict, reason });
            this.changed();
        };
    }

    /**
     * At the end, a stack's entry as AWS says now: every function's routing read back, and, where its records say
     * another outcome than this run saw (an operator's verb from elsewhere moved it meanwhile), that outcome, with
     * what the records say, as a step of its own.
     */
    close(stack: string, read: StackRead): void {
        const standing = standingOf(stack, read);
        const parts = this.parts.get(stack) ?? [];
        const last = parts.at(-1)!;
        const functions = Object.fromEntries(
            Object.entries(read.status.functions).map(([key, f]) => [
                key,
                { ...last.report.functions[key], stable: f.stable, candidate: f.candidate, finalRouting: f.liveWeights },
            ]),
        );
        const now = standingOutcome(standing.kind);
        const seen = this.entry(stack).outcome;
        if (now === seen || (now === "held" && seen !== "not-started")) {
            last.report = { ...last.report, functions: { ...last.report.functions, ...functions } };
            return;
        }
        const why = `${standing.kind}, as its records say at the end${standing.reason ? `: ${standing.reason}` : ""} (${standing.detail.join("; ")})`;
        this.add(stack, {
            outcome: now,
            stack,
            strategy: last.report.strategy,
            startedAt: this.iso(),
            functions,
            steps: [{ weight: 0, startedAtMinute: 0, endedAtMinute: 0, verdict: "interrupted", cause: "operator", reason: why }],
            decisionAtMinute: 0,
            durationMinutes: 0,
        });
    }

    /** The reason of a stack's deciding failed step in this run (the record on its alias keeps it shortened to fit). */
    fullReason(stack: string): string | undefined {
        return [...this.entry(stack).steps].reverse().find((s) => s.verdict === "failed")?.reason;
    }

    /** A stack's entry as it stands now. */
    entry(stack: string): WaveStackRecord {
        return entryOf(this.parts.get(stack) ?? []);
    }

    /** The report as it stands now. */
    report(): ReleaseReport {
        return releaseReport(
            {
                plan: this.plan,
                startedAt: this.iso(this.startedAtMs),
                outcome: this.outcome,
                decisionAtMinute: this.decisionAtMinute,
                durationMinutes: this.minute(),
                facts: this.facts,
                watches: this.watches,
                ...(this.error ? { error: this.error } : {}),
            },
            Object.fromEntries(planStacks(this.plan).map((s) => [s, this.entry(s)])),
        );
    }

    /** Shows the report as it stands now to the observer (the CLI's report file). */
    changed(): void {
        this.observe?.(this.report());
    }

    private add(stack: string, report: WaveStackRecord): void {
        this.parts.set(stack, [...(this.parts.get(stack) ?? []), { report }]);
        this.changed();
    }
}
