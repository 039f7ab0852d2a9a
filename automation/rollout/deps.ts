/**
 * What one rollout runs on: its side effects (the ports, and what the composition root adds: hooks, the report's
 * observer, retention) and the functions it moves. Apart from ports.ts, which every module of the rollout reads:
 * these name the hooks, the report and the record, which themselves read the ports.
 */
import type { HookRunner } from "./hooks";
import type { RecentTraffic } from "./power";
import type { Clock, LambdaControl, MetricsSource, RolloutLog, StackDriver } from "./ports";
import type { RolloutReport } from "./report";
import type { RolloutState } from "../../domain/state";

/** The side effects a rollout needs. */
export interface RolloutDeps {
    readonly stack: StackDriver;
    readonly lambda: LambdaControl;
    readonly metrics: MetricsSource;
    readonly clock: Clock;
    readonly log: RolloutLog;
    /** Asks a person before anything is invoked or moved; absent when `--yes` or not a terminal. */
    readonly confirm?: (question: string) => Promise<boolean>;
    /** Sees the report after every change, so a run that dies midway still leaves the record so far. */
    readonly observe?: (report: RolloutReport) => void;
    /** Aborts on SIGINT/SIGTERM; its `reason` names the signal. */
    readonly signal?: AbortSignal;
    /** Randomness of the rollback's retry jitter (seeded in rehearsals, so a seed replays the same run). */
    readonly random?: () => number;
    /** Called at named points (the rehearsal's `killed` fault stops the run dead there). */
    readonly checkpoint?: (point: "rollback-decision") => Promise<void>;
    /** Runs the stack's hooks (webhooks, Lambda functions, commands; the rehearsal answers them from the scenario). */
    readonly hooks?: HookRunner;
    /**
     * Asks a person on a terminal to approve a step (true), refuse it (false: abort), or nothing (undefined: the
     * prompt was closed because the approval came from elsewhere). Absent when nobody can answer.
     */
    readonly ask?: (question: string, signal: AbortSignal) => Promise<boolean | undefined>;
    /** Who answers at this terminal, for the record of an approval given there. */
    readonly user?: string;
    /** Each function's recent traffic, for the power statement before traffic moves (power.ts); absent: none made. */
    readonly recentTraffic?: RecentTraffic;
    /** Version retention after a promotion, when configured (prune.ts's pruneAfterPromotion): it never throws. */
    readonly afterPromotion?: () => Promise<{ pruned: Record<string, string[]>; warnings: string[] }>;
    /** This run's id as the rollout's owner (on every record it writes); default: drawn from `random`. */
    readonly ownerId?: string;
}

/** One function in the rollout, as read from the stack, its alias, and the rollout state recorded there. */
export interface Target {
    readonly key: string;
    readonly functionName: string;
    /** The unqualified ARN, when the stack exports it (hooks are told each version's ARN). */
    readonly functionArn?: string;
    readonly aliasName: string;
    /** The rollback target: the recorded stable of a rollout under way, else the alias's primary. */
    readonly stable: string;
    readonly candidate: string;
    /** The candidate's share of traffic now (1 when it is the primary of a rollout under way). */
    readonly liveWeight: number;
    readonly rollbackAlarm?: string;
    /** The rollout state on the alias, when it records one for this candidate. */
    readonly state?: RolloutState;
}
