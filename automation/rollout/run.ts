/**
 * One run of promote: what its phases share. The context (its dependencies, options, policy, targets, steps,
 * the report's recorder, this run as the record's owner) is fixed once the run is made; what changes as it goes
 * lives in one place, `state`, written by the phases and nowhere else. Each phase says how it ended with a
 * {@link Next}: the run goes on, or it ended with a result (never `undefined` for "go on").
 */
import type { HookPoint, RolloutPolicy } from "../../config/stackConfig";
import type { Strategy } from "../../domain/routing";
import type { Baseline } from "./assess";
import { readBaseline } from "./bake";
import type { Hook } from "./hooks";
import type { RolloutLog } from "./ports";
import type { RolloutDeps, Target } from "./deps";
import { ReportRecorder, type OperatorRecord, type RolloutReport } from "./report";
import { bakeLeaseMs, Ownership, type OperatorSeen, type WriteOutcome, type WriteRefused } from "./requests";
import type { RetryPolicy } from "./retry";
import type { RolloutPhase, RolloutState } from "../../domain/state";
import { stepsFor, type Step } from "./steps";

/** Options of a promote. */
export interface PromoteOptions {
    readonly stackName: string;
    /** Print the plan and touch nothing. */
    readonly dryRun?: boolean;
    /** Use this strategy instead of the stack's (e.g. blue-green for a role change). */
    readonly strategy?: Strategy;
    /** On SIGINT/SIGTERM: put all traffic back on stable (default), or hold the current weight to resume later. */
    readonly onInterrupt?: "abort" | "hold";
    /** Roll out again a candidate whose rollout was rolled back or aborted (from the first step). */
    readonly retry?: boolean;
    /** Hooks in place of the stack's own at the points given (the rehearsal's, answered by its scenario). */
    readonly hooks?: Partial<Record<HookPoint, Hook[]>>;
    /**
     * The checked-out, validated stack config's rollout policy: what this promote follows (hooks, approvers,
     * gates), after checking that the stack's outputs carry the same (policy.ts). Absent: the outputs' own.
     */
    readonly policy?: RolloutPolicy;
}

/** What a promote returns: the report and the exit code. */
export interface RolloutResult {
    readonly report: RolloutReport;
    readonly exitCode: number;
    /** For --dry-run: the planned steps. */
    readonly plan?: string[];
}

/** What a phase came to: the run goes on, or it ended with this result. */
export type Next = { readonly kind: "go-on" } | { readonly kind: "ended"; readonly result: RolloutResult };

/** The run goes on. */
export const GO_ON: Next = { kind: "go-on" };

/** The run ended with `result`. */
export function ended(result: RolloutResult): Next {
    return { kind: "ended", result };
}

/** What the steps of one walk share: each step's share of the end-of-step budget, and stable's history read once. */
export interface BakeContext {
    readonly looks: (number | null)[];
    rolloutStartMs?: number;
    baseline?: Record<string, Baseline>;
}

/** What changes as a run goes, in one place. */
export interface RunState {
    /** The candidate's share of traffic now, as this run set it (or found it). */
    liveWeight: number;
    /** A `promote --full` seen with evidence that had not failed: carried out at the next step boundary. */
    full?: OperatorSeen;
    /** When a wait for approval recorded on the aliases began (a run again keeps waiting from then). */
    approvalSince?: number;
    /** What the steps of the walk share (set when the walk starts). */
    bakes: BakeContext;
    /** The `up` in flight, so that an interrupt can wait for it to stop before making sure of the abort. */
    pendingUp?: Promise<unknown>;
    /** `--retry` of an ended rollout: its first write starts the new rollout over the old record. */
    restarting: boolean;
}

/** The options of a write of the record by this run (see {@link Run.recordState}). */
export interface RecordOptions {
    readonly lease?: number;
    readonly force?: boolean;
    readonly retry?: RetryPolicy;
    readonly refuseOver?: (current: RolloutState) => WriteRefused | undefined;
}

/** One run of promote: its context, its state, and the small acts every phase uses. */
export class Run {
    readonly recorder: ReportRecorder;
    /** The functions this rollout moves (stable differs from candidate). */
    readonly targets: Target[];
    readonly steps: Step[];
    /** This run's writes of the record, as the rollout's owner. */
    readonly ownership: Ownership;
    /** The hooks of each point: the options' (the rehearsal's) in place of the stack's. */
    readonly hooks: Record<HookPoint, Hook[]>;
    readonly state: RunState;

    constructor(
        readonly deps: RolloutDeps,
        readonly options: PromoteOptions,
        readonly policy: RolloutPolicy,
        readonly region: string | undefined,
        /** Every function of the stack (those with nothing to roll out too: their routing is reported). */
        readonly all: Target[],
        /** When the promote began (epoch ms): the report's minute 0. */
        readonly startedAt: number,
        ownerId: string,
    ) {
        this.targets = all.filter((t) => t.stable !== t.candidate);
        this.ownership = new Ownership(deps, ownerId, this.targets);
        this.state = { liveWeight: 0, bakes: { looks: [] }, restarting: Boolean(options.retry) };
        this.steps = stepsFor(policy);
        this.hooks = { ...policy.hooks, ...options.hooks };
        const functions = Object.fromEntries(
            all.map((t) => [
                t.key,
                { stable: t.stable, candidate: t.candidate, finalRouting: "unknown" as const, finalRoutingError: "not read yet" },
            ]),
        );
        this.recorder = new ReportRecorder(
            { stack: options.stackName, strategy: policy.strategy, startedAt: new Date(startedAt).toISOString(), functions },
            () => this.minute(),
            deps.observe,
        );
    }

    /** Minutes since this run began, to a tenth. */
    minute(): number {
        return Math.round(((this.deps.clock.now() - this.startedAt) / 60000) * 10) / 10;
    }

    get log(): RolloutLog {
        return this.deps.log;
    }

    /** The signal that interrupted the run, if one has. */
    interrupted(): string | undefined {
        const s = this.deps.signal;
        return s?.aborted ? String(s.reason ?? "SIGINT") : undefined;
    }

    /** The state of a target at the weight live now, in `phase`. */
    stateNow(t: Target, phase: RolloutPhase): RolloutState {
        const step = this.steps.find((s) => Math.abs(s.weight - this.state.liveWeight) < 1e-6)?.number ?? 0;
        return {
            phase,
            stable: t.stable,
            candidate: t.candidate,
            step,
            steps: this.steps.length,
            weight: this.state.liveWeight,
            since: this.deps.clock.now(),
        };
    }

    /**
     * Writes the rollout state on every target's alias (description only, traffic untouched) as this run, the
     * owner, means it, with its lease; compare-and-set, never over an abort or another owner's record (that is
     * returned instead) unless `force` (the owner's own rollback or abort, which records why traffic goes back).
     */
    async recordState(
        state: (t: Target, current: RolloutState | undefined) => RolloutState,
        options: RecordOptions = {},
    ): Promise<WriteOutcome> {
        const outcome = await this.ownership.write(
            state,
            options.lease ?? this.deps.clock.now() + bakeLeaseMs(this.policy.gates.pollInterval),
            { force: options.force || this.state.restarting, retry: options.retry, refuseOver: options.refuseOver },
        );
        if (outcome.kind === "written") this.state.restarting = false;
        return outcome;
    }

    /** An operator action this run saw on the aliases: recorded in the report, once. */
    sawOperator(action: OperatorRecord["action"], s: OperatorSeen): void {
        this.recorder.update((r) =>
            (r.operator ??= []).push({
                action,
                ...(s.by ? { by: s.by } : {}),
                ...(s.principal ? { principal: s.principal } : {}),
                ...(s.reason && action !== "resume" && action !== "approve" ? { reason: s.reason } : {}),
                atMinute: this.minute(),
            }),
        );
    }

    /** The rollout's evidence window starts with the first bake (or wait): stable's history before it is read once. */
    async ensureBaseline(): Promise<BakeContext> {
        const bakes = this.state.bakes;
        if (bakes.rolloutStartMs !== undefined) return bakes;
        bakes.rolloutStartMs = this.deps.clock.now();
        bakes.baseline = await readBaseline(this.deps, this.policy, this.targets, bakes.rolloutStartMs, () => this.minute());
        return bakes;
    }
}
