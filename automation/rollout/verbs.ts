/**
 * The operator verbs as data (pure): their names, what each does to a recorded rollout (a transition, or why it
 * does not apply), what a verb needs and how long it waits. operator.ts runs them; confirmation.ts waits for
 * what they recorded to be confirmed.
 */
import type { Clock, LambdaControl, RolloutLog, StackDriver } from "./ports";
import { describeState, isUnderWay, shortPrincipal, type RolloutState } from "../../domain/state";

/** The verbs. */
export const OPERATOR_ACTIONS = ["approve", "pause", "resume", "promote-full", "abort"] as const;
export type OperatorAction = (typeof OPERATOR_ACTIONS)[number];

/** The verbs an `approvers` list guards: those that let a rollout go further than its gates would alone. */
export const GUARDED_ACTIONS: readonly OperatorAction[] = ["approve", "resume", "promote-full"];

/** What an operator asked, and who. */
export interface OperatorCommand {
    readonly action: OperatorAction;
    /** The display name (`--by`, else the CI's actor or the user): self-asserted, shown beside the principal. */
    readonly by: string;
    /** Who the caller is as AWS says (STS GetCallerIdentity), when it could be read. */
    readonly principal?: string;
    readonly reason?: string;
}

/**
 * The state after `command`, or why the rollout is not in a state it applies to (pure). Only a rollout under
 * way can be acted on; approve needs one waiting for approval, resume a paused one. The owner's fields (its id,
 * lease, an `up` in flight) are the owner's and stay as they are.
 */
export function transition(state: RolloutState | undefined, command: OperatorCommand, now: number): RolloutState | string {
    const { action, reason } = command;
    if (!state || !isUnderWay(state)) {
        return state ? `no rollout under way (${describeState(state)})` : "no rollout under way (no rollout state recorded on the alias)";
    }
    const since = Math.floor(now / 1000) * 1000;
    const who = { by: command.by, ...(command.principal ? { principal: shortPrincipal(command.principal) } : {}) };
    switch (action) {
        case "approve":
            if (state.phase !== "awaiting-approval") return `nothing is waiting for approval (${describeState(state)})`;
            return { ...state, request: "approve", ...who };
        case "pause":
            if (state.phase === "paused") return `already paused (${describeState(state)})`;
            if (state.phase === "awaiting-approval") return `already holding its weight, waiting for approval (${describeState(state)})`;
            return { ...state, phase: "paused", since, ...who, ...(reason ? { reason } : {}) };
        case "resume": {
            if (state.phase !== "paused") return `not paused (${describeState(state)})`;
            const { reason: _pauseReason, ...rest } = state;
            return { ...rest, phase: "baking", since, ...who };
        }
        case "promote-full":
            return { ...state, request: "full", ...who, reason: reason ?? "promote --full" };
        case "abort": {
            const { request: _dropped, ...rest } = state;
            // The record keeps who (by, principal) and why apart: "aborted by ..." is said when it is read.
            const { reason: _earlier, ...kept } = rest;
            return { ...kept, phase: "aborting", since, ...who, ...(reason ? { reason } : {}) };
        }
    }
}

/** The side effects of a verb: the stack's outputs (which functions), the aliases, a clock; `up`s for abort's convergence. */
export interface OperatorDeps {
    readonly stack: StackDriver;
    readonly lambda: LambdaControl;
    readonly clock: Clock;
    readonly log: RolloutLog;
    readonly random?: () => number;
}

/** How a verb runs. */
export interface OperatorOptions {
    /** Principal ARN patterns that may approve, resume and `promote --full` (the reviewed config's `rollout.approvers`); none: anyone. */
    readonly approvers?: readonly string[];
    /** How long a verb waits for its confirmation (the owner's, an `up` in flight, the stack's lock), ms. */
    readonly waitMs?: number;
    /** How often it reads again meanwhile, ms. */
    readonly pollMs?: number;
}

/** How long a verb waits for its confirmation by default: past an owner's longest lease (an `up`'s), with margin. */
export const DEFAULT_WAIT_MS = 10 * 60_000;

/** The verb as a person types it. */
export function verb(action: OperatorAction): string {
    return action === "promote-full" ? "promote --full" : action;
}
