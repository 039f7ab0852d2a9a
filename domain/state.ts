/**
 * The durable rollout state: where a rollout stands (which step, since when, which version is the rollback
 * target, a rollback decided, who owns it), kept in the `live` alias's description in AWS (docs/design.md,
 * "Where rollout state lives"). This module is the record's format, pure; record.ts is the one module that reads
 * and writes it (with compare-and-set on the alias's RevisionId).
 *
 * Why the alias's description: it is written by the same UpdateAlias call that moves the weights (the
 * provider's, on an `up`; ours, on the Lambda-API rollback), so the routing and the record of why it is so
 * can never disagree, whichever process dies when; and UpdateAlias takes a RevisionId, so a write made on a
 * stale read fails instead of overwriting what another party wrote in between. A plain `pulumi up` keeps it
 * (the program keeps the live description, as it keeps the live routing), a crash cannot lose it, and any reader
 * with `lambda:GetAlias` (status, a second promote, a person with the AWS CLI) sees it.
 */
import { z } from "zod";
import { DEFAULT_ALIAS_DESCRIPTION, type LiveAlias, type RoutingRequest } from "./routing";

export { DEFAULT_ALIAS_DESCRIPTION };
import { oneLine } from "./text";

/** The marker that starts a description holding a rollout state (versioned, for readers of older records). */
export const STATE_PREFIX = "lambda-rollout/1 ";

/** Any version of the marker: a description that starts with it is a record, readable or not. */
const ANY_PREFIX = /^lambda-rollout\/\d+ /;

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
    /** The display name of who paused, approved, aborted or asked for `--full` (`--by`; self-asserted). */
    readonly by?: string;
    /** Who that was as AWS says (STS GetCallerIdentity): the principal's ARN, shortened to fit (see {@link shortPrincipal}). */
    readonly principal?: string;
    /** The promote run that owns the rollout (a random id it chose): the only process that moves it forward. */
    readonly owner?: string;
    /**
     * Until when (epoch ms, to the second) the owner promises to read this record again: past it, the owner is
     * taken for dead (an abort then acts alone; a promote run again takes over).
     */
    readonly lease?: number;
    /**
     * The owner has an `up` in flight that will still write this alias (set just before the `up`; the `up`'s own
     * write, which carries the state without it, clears it). A request recorded meanwhile may be overwritten by
     * that write, so whoever recorded it reads again once it is cleared.
     */
    readonly upInFlight?: boolean;
}

/** The longest `by` kept on the alias (the description holds 256 characters in all). */
export const MAX_BY = 40;

/** The longest principal kept on the alias (see encodeState for what is cut when a record would not fit). */
export const MAX_PRINCIPAL = 72;

/** The owner's id: a few hex digits the promote run drew. */
const OWNER = /^[0-9a-f]{4,16}$/;

const wire = z
    .object({
        p: z.enum(PHASES),
        s: z.string().regex(/^\d+$/),
        c: z.string().regex(/^\d+$/),
        i: z.number().int().min(0),
        n: z.number().int().min(0),
        w: z.number().min(0).max(1),
        t: z.number().int().min(0),
        o: z.string().regex(OWNER).optional(),
        h: z.number().int().min(0).optional(),
        u: z.literal(1).optional(),
        q: z.enum(REQUESTS).optional(),
        b: z.string().max(MAX_BY).optional(),
        a: z.string().max(MAX_PRINCIPAL).optional(),
        r: z.string().optional(),
    })
    .strict();

/**
 * The principal as the record keeps it: the ARN without its `arn:<partition>:<service>::` head (the account, the
 * kind and the names stay), at most {@link MAX_PRINCIPAL} characters.
 */
export function shortPrincipal(arn: string): string {
    const short = arn.replace(/^arn:[\w-]+:(sts|iam)::/, "");
    return short.length <= MAX_PRINCIPAL ? short : `${short.slice(0, MAX_PRINCIPAL - 1)}…`;
}

/**
 * The description that records `state`, never more than {@link MAX_DESCRIPTION} characters: what does not fit is
 * cut, the reason first, then the display name, then the principal (kept to its last {@link MIN_PRINCIPAL}
 * characters at least: the role and session say who). A display name that is the principal's own last segment
 * (a session or user name) is not written twice: it is read back from the principal.
 */
export function encodeState(state: RolloutState): string {
    const principal = state.principal ? shortPrincipal(clean(state.principal)) : undefined;
    const by = state.by ? clean(state.by).slice(0, MAX_BY) : undefined;
    const core = {
        p: state.phase,
        s: state.stable,
        c: state.candidate,
        i: state.step,
        n: state.steps,
        w: state.weight,
        t: Math.floor(state.since / 1000),
        ...(state.owner ? { o: state.owner } : {}),
        ...(state.lease !== undefined ? { h: Math.ceil(state.lease / 1000) } : {}),
        ...(state.upInFlight ? { u: 1 as const } : {}),
        ...(state.request ? { q: state.request } : {}),
    };
    const text = (b?: string, a?: string, r?: string) =>
        STATE_PREFIX + JSON.stringify({ ...core, ...(b ? { b } : {}), ...(a ? { a } : {}), ...(r ? { r } : {}) });
    const implied = by !== undefined && principal !== undefined && lastSegment(principal) === by;
    let b = implied ? undefined : by;
    let a = principal;
    let r = state.reason ? clean(state.reason) : undefined;
    // JSON escapes can lengthen a text: shorten, one field after the other, until the whole record fits.
    const over = () => text(b, a, r).length - MAX_DESCRIPTION;
    while (over() > 0 && r) r = r.slice(0, Math.max(0, r.length - over() - 1)) || undefined;
    while (over() > 0 && b) b = b.slice(0, Math.max(0, b.length - over() - 1)) || undefined;
    if (over() > 0 && a) a = `…${a.slice(-Math.max(MIN_PRINCIPAL - 1, a.length - over() - 1))}`;
    // The record's own fields always fit (at most about 180 characters): what is optional goes before it would not.
    return over() > 0 ? text() : text(b, a, r);
}

/** The shortest a principal is cut to (from its end: the role and session, or the user). */
const MIN_PRINCIPAL = 24;

/** A principal's last path segment: the session of an assumed role, the name of a user. */
function lastSegment(principal: string): string {
    return principal.slice(principal.lastIndexOf("/") + 1);
}

/**
 * What an alias's description says about a rollout: no record (empty, or the description the program gives an
 * alias with no rollout), a state, or text that is a record (or replaced one) but cannot be read. The last is
 * never taken for "no rollout": a hand edit or a truncation at 100% would otherwise read as a finished
 * promotion, forget the rollback target and let prune delete it.
 */
export type RecordReading =
    | { readonly kind: "none" }
    | { readonly kind: "state"; readonly state: RolloutState }
    | { readonly kind: "unreadable"; readonly raw: string; readonly why: string };

/** Reads a description (pure). Text in a record is stripped of control characters. */
export function readRecordText(description: string | undefined): RecordReading {
    if (description === undefined || description.trim() === "" || description === DEFAULT_ALIAS_DESCRIPTION) return { kind: "none" };
    const raw = clean(description);
    if (!ANY_PREFIX.test(description)) {
        return {
            kind: "unreadable",
            raw,
            why: "the alias's description is not a lambda-rollout record (it was replaced, by hand or by another tool)",
        };
    }
    if (!description.startsWith(STATE_PREFIX)) {
        return {
            kind: "unreadable",
            raw,
            why: `a record of another format (${raw.split(" ")[0]}) than this lambda-rollout reads (${STATE_PREFIX.trim()})`,
        };
    }
    let json: unknown;
    try {
        json = JSON.parse(description.slice(STATE_PREFIX.length));
    } catch (err) {
        return { kind: "unreadable", raw, why: `the record is not JSON (${clean((err as Error).message)}): truncated or edited` };
    }
    const parsed = wire.safeParse(json);
    if (!parsed.success) {
        const first = parsed.error.issues[0];
        return {
            kind: "unreadable",
            raw,
            why: `the record's field \`${first.path.join(".") || "(record)"}\` is not valid: ${first.message}`,
        };
    }
    const w = parsed.data;
    return {
        kind: "state",
        state: {
            phase: w.p,
            stable: w.s,
            candidate: w.c,
            step: w.i,
            steps: w.n,
            weight: w.w,
            since: w.t * 1000,
            ...(w.r ? { reason: clean(w.r) } : {}),
            ...(w.q ? { request: w.q } : {}),
            ...(w.b ? { by: clean(w.b) } : w.a && !w.a.startsWith("…") ? { by: lastSegment(clean(w.a)) } : {}),
            ...(w.a ? { principal: clean(w.a) } : {}),
            ...(w.o ? { owner: w.o } : {}),
            ...(w.h !== undefined ? { lease: w.h * 1000 } : {}),
            ...(w.u ? { upInFlight: true } : {}),
        },
    };
}

/** The state a description records, or undefined when it records none or cannot be read (callers that must tell those apart use {@link readRecordText}). */
export function decodeState(description: string | undefined): RolloutState | undefined {
    const reading = readRecordText(description);
    return reading.kind === "state" ? reading.state : undefined;
}

/**
 * `text` as a record keeps and shows it: one line, no control character or escape sequence (anyone with UpdateAlias
 * can write the description; domain/text.ts is the one sanitizer).
 */
function clean(text: string): string {
    return oneLine(text);
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

/**
 * Does the record forbid moving this candidate forward (pure)? A rollback or an abort decided or done, or a
 * promotion recorded: only a new rollout of the candidate (`--retry`, recorded first) may move it again. The
 * program's `up` checks it too (domain/routing.ts), so no `up` can undo an abort.
 */
export function forbidsForward(state: RolloutState | undefined, candidate: string): boolean {
    return state?.candidate === candidate && (isRollbackDecided(state) || state.phase === "rolled-back" || state.phase === "aborted");
}

/** Whether the owner recorded in `state` is taken for alive at `now` (its lease has not run out). */
export function ownerAlive(state: RolloutState | undefined, now: number): boolean {
    return state?.owner !== undefined && state.lease !== undefined && state.lease > now;
}

/** Who acted, for people: the display name with the principal beside it (`alice (123456789012:assumed-role/Ops/alice)`). */
export function describeActor(s: Pick<RolloutState, "by" | "principal">): string {
    if (s.by && s.principal) return `${s.by} (${s.principal})`;
    return s.by ?? s.principal ?? "an operator";
}

/** The state one line long, for `status` and logs: `step 3/3 at 100% baking since 14:02Z, v1 kept for rollback`. */
export function describeState(state: RolloutState): string {
    const at = new Date(state.since).toISOString().slice(11, 16) + "Z";
    const pct = `${Math.round(state.weight * 1000) / 10}%`;
    const step = state.steps > 0 ? `step ${state.step}/${state.steps} at ${pct}` : pct;
    const by = state.by || state.principal ? ` by ${describeActor(state)}` : "";
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
            return `v${state.candidate}: ${state.phase === "aborting" ? "abort" : "rollback"} to v${state.stable} decided${by} at ${at}${state.reason ? ` (${state.reason})` : ""}, not yet confirmed`;
        case "rolled-back":
        case "aborted":
            return `v${state.candidate}: ${state.phase} to v${state.stable}${by} at ${at}${state.reason ? ` (${state.reason})` : ""}`;
        case "promoted":
            return `v${state.candidate}: promoted at ${at} after every gate passed (v${state.stable} was stable before)`;
    }
}

/** An unreadable record for people: what it says, why it cannot be read. */
export function describeUnreadable(r: { raw: string; why: string }): string {
    return `the rollout record cannot be read (${r.why}): ${JSON.stringify(r.raw.slice(0, MAX_DESCRIPTION))}`;
}

/**
 * Why an explicit routing must not be applied over the live alias (pure), or undefined. An `up` cannot be
 * conditional (the provider's alias has no revision input), so the program itself refuses to move a candidate
 * forward when the live record says its rollout was aborted or rolled back (decided or done), or holds a record
 * nobody can read: that `up` fails, and the promote that asked for it reads the record and stops. Putting traffic
 * back (weight 0) is never refused.
 */
export function forwardRefusal(explicit: RoutingRequest, live: LiveAlias | undefined): string | undefined {
    if (explicit.weight <= 0 || explicit.candidate === explicit.stable) return undefined;
    const record = readRecordText(live?.description);
    if (record.kind === "unreadable")
        return `refusing to move v${explicit.candidate} forward: the live alias's rollout record cannot be read (${record.why}): ${JSON.stringify(record.raw.slice(0, 120))}`;
    if (record.kind === "state" && forbidsForward(record.state, explicit.candidate))
        return `refusing to move v${explicit.candidate} forward: the live alias records its rollout as ${record.state.phase}${record.state.reason ? ` (${record.state.reason})` : ""}; an \`up\` never undoes an abort or a rollback`;
    return undefined;
}
