/**
 * The durable rollout state: where a rollout stands (which step, since when, which version is the rollback
 * target, a rollback decided), kept in the `live` alias's description in AWS (docs/design.md, "Where rollout
 * state lives").
 *
 * Why the alias's description: it is written by the same UpdateAlias call that moves the weights (the
 * provider's, on an `up`; ours, on the Lambda-API rollback), so the routing and the record of why it is so
 * can never disagree, whichever process dies when. A plain `pulumi up` keeps it (the program keeps the live
 * description, as it keeps the live routing), a crash cannot lose it, and any reader with `lambda:GetAlias`
 * (status, a second promote, a person with the AWS CLI) sees it. The weight alone is not enough: at 100% a
 * rollout still baking looks like a finished promotion.
 */
import { z } from "zod";
import { oneLine } from "../text";

/** The marker that starts a description holding a rollout state (versioned, for readers of older records). */
export const STATE_PREFIX = "lambda-rollout/1 ";

/** Lambda's limit on an alias description (UpdateAlias: Description, length 0-256). */
export const MAX_DESCRIPTION = 256;

/**
 * A rollout's phase. `baking`, `held`, `paused` and `awaiting-approval` are unfinished (a promote run again
 * resumes them: a rollout waiting for approval is still waiting); `rolling-back` and `aborting` are a decision
 * to put traffic back that a promote run again completes; the rest are final.
 */
export const PHASES = [
    "baking",
    "held",
    "paused",
    "awaiting-approval",
    "rolling-back",
    "aborting",
    "rolled-back",
    "aborted",
    "promoted",
] as const;
export type RolloutPhase = (typeof PHASES)[number];

/**
 * What an operator asked of a rollout running elsewhere (`approve`, `promote --full`): recorded on the alias,
 * carried out by the promote that owns the rollout at its next poll (or by a promote run again).
 */
export const REQUESTS = ["approve", "full"] as const;
export type OperatorRequest = (typeof REQUESTS)[number];

/** One function's rollout state, as recorded on its alias. */
export interface RolloutState {
    readonly phase: RolloutPhase;
    /** The version traffic goes back to on a rollback (the stable one before the rollout began). */
    readonly stable: string;
    /** The version being rolled out. */
    readonly candidate: string;
    /** The step live now, 1-based (0: before the first step), of `steps`. */
    readonly step: number;
    readonly steps: number;
    /** The candidate's share of traffic the step set (0-1). */
    readonly weight: number;
    /** When the phase began, epoch ms (recorded to the second). */
    readonly since: number;
    /** Why a rollback, an abort, a pause or a `promote --full` was decided, shortened to fit. */
    readonly reason?: string;
    /** An operator's request the owning promote has not carried out yet. */
    readonly request?: OperatorRequest;
    /** Who paused, approved, aborted or asked for `--full` (an operator verb's `--by`, else the user). */
    readonly by?: string;
}

/** The longest `by` kept on the alias (the description holds 256 characters in all). */
export const MAX_BY = 40;

const wire = z
    .object({
        p: z.enum(PHASES),
        s: z.string().regex(/^\d+$/),
        c: z.string().regex(/^\d+$/),
        i: z.number().int().min(0),
        n: z.number().int().min(0),
        w: z.number().min(0).max(1),
        t: z.number().int().min(0),
        r: z.string().optional(),
        q: z.enum(REQUESTS).optional(),
        b: z.string().optional(),
    })
    .strict();

/** The description that records `state`, at most {@link MAX_DESCRIPTION} characters (the reason is cut to fit). */
export function encodeState(state: RolloutState): string {
    const body = {
        p: state.phase,
        s: state.stable,
        c: state.candidate,
        i: state.step,
        n: state.steps,
        w: state.weight,
        t: Math.floor(state.since / 1000),
        ...(state.request ? { q: state.request } : {}),
        ...(state.by ? { b: state.by.slice(0, MAX_BY) } : {}),
    };
    const bare = STATE_PREFIX + JSON.stringify(body);
    if (!state.reason) return bare;
    // JSON escapes can lengthen the reason: shorten until the whole record fits.
    let reason = state.reason.slice(0, MAX_DESCRIPTION - bare.length);
    for (;;) {
        const text = STATE_PREFIX + JSON.stringify({ ...body, r: reason });
        if (text.length <= MAX_DESCRIPTION || reason.length === 0) return text.length <= MAX_DESCRIPTION ? text : bare;
        reason = reason.slice(0, Math.max(0, reason.length - (text.length - MAX_DESCRIPTION) - 1));
    }
}

/** The state an alias description records, or undefined when it records none (or one this version cannot read). */
export function decodeState(description: string | undefined): RolloutState | undefined {
    if (!description?.startsWith(STATE_PREFIX)) return undefined;
    let raw: unknown;
    try {
        raw = JSON.parse(description.slice(STATE_PREFIX.length));
    } catch {
        return undefined;
    }
    const parsed = wire.safeParse(raw);
    if (!parsed.success) return undefined;
    const w = parsed.data;
    return {
        phase: w.p,
        stable: w.s,
        candidate: w.c,
        step: w.i,
        steps: w.n,
        weight: w.w,
        since: w.t * 1000,
        // Anyone with UpdateAlias can write these: read as plain text (automation/text.ts), never as escapes.
        ...(w.r ? { reason: oneLine(w.r) } : {}),
        ...(w.q ? { request: w.q } : {}),
        ...(w.b ? { by: oneLine(w.b) } : {}),
    };
}

const UNFINISHED: ReadonlySet<RolloutPhase> = new Set(["baking", "held", "paused", "awaiting-approval", "rolling-back", "aborting"]);

/** Is the rollout still under way (a promote run again resumes or completes it)? */
export function isUnfinished(state: RolloutState | undefined): boolean {
    return state !== undefined && UNFINISHED.has(state.phase);
}

/** Is traffic moving (or held) under a rollout an operator may still act on (approve, pause, abort, --full)? */
export function isUnderWay(state: RolloutState | undefined): boolean {
    return state !== undefined && isUnfinished(state) && !isRollbackDecided(state);
}

/** Does the record say an operator's abort of this candidate was decided or done (the owner must stop and record it)? */
export function isAbortOf(state: RolloutState | undefined, candidate: string): boolean {
    return state?.candidate === candidate && (state.phase === "aborting" || state.phase === "aborted");
}

/** Has a rollback (or an abort) been decided but perhaps not carried out? */
export function isRollbackDecided(state: RolloutState | undefined): boolean {
    return state?.phase === "rolling-back" || state?.phase === "aborting";
}

/** The state one line long, for `status` and logs: `step 3/3 at 100% baking since 14:02Z, v1 kept for rollback`. */
export function describeState(state: RolloutState): string {
    const at = new Date(state.since).toISOString().slice(11, 16) + "Z";
    const pct = `${Math.round(state.weight * 1000) / 10}%`;
    const step = state.steps > 0 ? `step ${state.step}/${state.steps} at ${pct}` : pct;
    const by = state.by ? ` by ${state.by}` : "";
    const asked = state.request === "approve" ? `; approved${by}` : state.request === "full" ? `; promote --full asked${by}` : "";
    switch (state.phase) {
        case "baking":
        case "held":
            return `v${state.candidate}: ${step} ${state.phase} since ${at}, v${state.stable} kept for rollback${asked}`;
        case "paused":
            return `v${state.candidate}: ${step} paused${by} since ${at}${state.reason ? ` (${state.reason})` : ""}, gates still watching, v${state.stable} kept for rollback${asked}`;
        case "awaiting-approval":
            return `v${state.candidate}: ${step} awaiting approval of step ${state.step + 1}/${state.steps} since ${at}, gates still watching, v${state.stable} kept for rollback${asked}`;
        case "rolling-back":
        case "aborting":
            return `v${state.candidate}: ${state.phase === "aborting" ? "abort" : "rollback"} to v${state.stable} decided at ${at}${state.reason ? ` (${state.reason})` : ""}, not yet confirmed`;
        case "rolled-back":
        case "aborted":
            return `v${state.candidate}: ${state.phase} to v${state.stable} at ${at}${state.reason ? ` (${state.reason})` : ""}`;
        case "promoted":
            return `v${state.candidate}: promoted at ${at} after every gate passed (v${state.stable} was stable before)`;
    }
}
