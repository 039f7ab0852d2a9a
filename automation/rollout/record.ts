/**
 * The one owner of the rollout record on each `live` alias: every write the tool makes to it goes through
 * {@link updateRecord}, which reads the alias (with its RevisionId), lets the writer decide from what it read,
 * and writes with that RevisionId, so AWS refuses the write if anyone (an operator's verb, a second promote, an
 * `up`) changed the alias in between. A refused write is never retried blind: the alias is read again and the
 * writer decides again from what is there now (docs/design.md, "Who decides, wins").
 *
 * The only writer that cannot be conditional is the provider's, on an `up` (the Pulumi provider's alias has no
 * revision input): the program refuses a forward routing over a record that forbids it (domain/routing.ts),
 * the owner marks the record before an `up` (`upInFlight`) so that others know a write is still coming, and
 * whoever recorded a request reads again once that write has landed.
 */
import { readLiveRouting, TRANSIENT_REREAD, type AliasRouting } from "../../domain/routing";
import type { Clock, LambdaControl } from "./ports";
import { isStaleRevision, withRetries, type RetryPolicy } from "./retry";
import { encodeState, readRecordText, type RecordReading, type RolloutState } from "../../domain/state";

/** An alias as read for its record: the routing, the record, and the revision a conditional write names. */
export interface AliasRead extends AliasRouting {
    readonly description?: string;
    readonly revisionId?: string;
    readonly record: RecordReading;
}

/** The alias of one function. */
export interface AliasRef {
    readonly functionName: string;
    readonly aliasName: string;
}

/** Reads an alias, reading again while AWS shows a transient 0/1 weight (terraform-provider-aws PR #48116). */
export async function readAlias(
    lambda: LambdaControl,
    clock: Clock,
    functionName: string,
    aliasName: string,
): Promise<AliasRouting & { description?: string; revisionId?: string }> {
    let live = await lambda.getAlias(functionName, aliasName);
    let routing = readLiveRouting(live);
    for (let i = 1; i < TRANSIENT_REREAD.attempts && routing.transient; i++) {
        await clock.sleep(TRANSIENT_REREAD.intervalMs);
        live = await lambda.getAlias(functionName, aliasName);
        routing = readLiveRouting(live);
    }
    return {
        stableVersion: routing.stableVersion,
        candidate: routing.candidate,
        description: live.description,
        ...(live.revisionId !== undefined ? { revisionId: live.revisionId } : {}),
    };
}

/** Reads an alias and its record (waiting out a transient weight, as every read of the alias does). */
export async function readRecord(lambda: LambdaControl, clock: Clock, alias: AliasRef): Promise<AliasRead> {
    const live = await readAlias(lambda, clock, alias.functionName, alias.aliasName);
    return { ...live, record: readRecordText(live.description) };
}

/** The state of a read record, or undefined when there is none or it cannot be read. */
export function stateOf(read: Pick<AliasRead, "record">): RolloutState | undefined {
    return read.record.kind === "state" ? read.record.state : undefined;
}

/** What a writer decided from a fresh read: what to write (nothing, when `write` is absent), and what to return. */
export interface RecordDecision<T> {
    readonly write?: { readonly state?: RolloutState; readonly routing?: AliasRouting };
    readonly result: T;
}

/** A record that changed under every attempt to write it (another party writing it again and again). */
export class RecordContendedError extends Error {
    constructor(
        readonly alias: AliasRef,
        attempts: number,
    ) {
        super(
            `the rollout record on ${alias.functionName}:${alias.aliasName} changed under each of ${attempts} conditional writes (another party keeps writing it)`,
        );
        this.name = "RecordContendedError";
    }
}

/** How many times a write refused as stale is decided again before giving up. */
export const MAX_STALE_ATTEMPTS = 8;

/** What {@link updateRecord} needs: the Lambda API, the clock, the retries of one write, their jitter. */
export interface RecordDeps {
    readonly lambda: LambdaControl;
    readonly clock: Clock;
    readonly random?: () => number;
}

/**
 * Read, decide, write with the revision read; on a stale write, read and decide again. Transient failures of one
 * write (throttling, a conflicting update, a server fault) are retried under `retry`; a write whose answer was
 * lost and that is retried meets its own change as "stale", reads it and decides again, so a `decide` must give
 * the same answer for a record that already says what it would write.
 */
export async function updateRecord<T>(
    deps: RecordDeps,
    alias: AliasRef,
    decide: (read: AliasRead) => RecordDecision<T>,
    options: {
        readonly retry: RetryPolicy;
        /** A read just made, to decide from first (the next ones are made here). */
        readonly first?: AliasRead;
        readonly onRetry?: (err: unknown, attempt: number, delayMs: number) => void;
    },
): Promise<{ result: T; written: boolean; read: AliasRead }> {
    const retrying = { clock: deps.clock, policy: options.retry, random: deps.random ?? Math.random, onRetry: options.onRetry };
    const fresh = () => withRetries(() => readRecord(deps.lambda, deps.clock, alias), retrying);
    let read = options.first ?? (await fresh());
    for (let attempt = 1; ; attempt++) {
        const decision = decide(read);
        if (!decision.write) return { result: decision.result, written: false, read };
        const { state, routing } = decision.write;
        try {
            await withRetries(
                () =>
                    deps.lambda.updateAlias(
                        alias.functionName,
                        alias.aliasName,
                        routing,
                        state ? encodeState(state) : undefined,
                        read.revisionId,
                    ),
                retrying,
            );
            return { result: decision.result, written: true, read };
        } catch (err) {
            if (!isStaleRevision(err)) throw err;
            if (attempt >= MAX_STALE_ATTEMPTS) throw new RecordContendedError(alias, attempt);
        }
        read = await fresh();
    }
}
