/**
 * Retrying the AWS calls that must land (the rollback's UpdateAlias and its read-back): which failures are
 * worth another attempt, capped exponential backoff with full jitter, a time budget. The SDK's own retries do
 * not cover ResourceConflictException (another update holds the function), which is likely exactly when a
 * rollback runs, so the rollback retries it itself.
 */
import type { Clock } from "./ports";

/** How long and how often to retry. */
export interface RetryPolicy {
    /** The first delay's ceiling, ms. */
    readonly baseMs: number;
    /** No delay above this, ms. */
    readonly capMs: number;
    /** Stop retrying once this much time has passed since the first attempt, ms. */
    readonly budgetMs: number;
}

/** A gate's rollback: seconds matter, but a conflict held by another update may take a while to clear. */
export const ROLLBACK_RETRY: RetryPolicy = { baseMs: 250, capMs: 4_000, budgetMs: 30_000 };

/**
 * An interrupt's abort: a CI cancel sends SIGTERM 7.5 s after SIGINT and SIGKILL 2.5 s later, so the fast path
 * must have landed (or said it could not) well within that.
 */
export const INTERRUPT_RETRY: RetryPolicy = { baseMs: 100, capMs: 1_000, budgetMs: 5_000 };

/**
 * A smoke test's Invoke refused for the function's concurrency (429 TooManyRequestsException): a function at
 * its limit refuses a share of calls each second, so another attempt a moment later is likely to run; the
 * budget is how long "it keeps throttling" must last before it is the infrastructure's problem.
 */
export const SMOKE_INVOKE_RETRY: RetryPolicy = { baseMs: 500, capMs: 8_000, budgetMs: 60_000 };

/**
 * What an AWS failure looks like from outside: an SDK error (its `name` is AWS's code, `$fault`, `$metadata`),
 * or the adapters' AwsCallError (`code`, `fault`, `httpStatusCode`, the operation in its message).
 */
interface AwsErrorLike {
    readonly name?: string;
    readonly code?: string;
    readonly message?: string;
    readonly $fault?: string;
    readonly fault?: string;
    readonly $metadata?: { readonly httpStatusCode?: number };
    readonly httpStatusCode?: number;
}

/** AWS's error code of a failure, whichever shape it came in. */
function codeOf(e: AwsErrorLike): string | undefined {
    return e.code ?? e.name;
}

const RETRYABLE = new Set([
    "ResourceConflictException",
    "TooManyRequestsException",
    "ThrottlingException",
    "Throttling",
    "RequestLimitExceeded",
    "ServiceUnavailable",
    "ServiceException",
    "InternalFailure",
    "InternalError",
    "RequestTimeout",
    "TimeoutError",
    "ECONNRESET",
    "EPIPE",
    "ETIMEDOUT",
]);

const CREDENTIALS = new Map([
    ["ExpiredTokenException", "the AWS credentials have expired"],
    ["ExpiredToken", "the AWS credentials have expired"],
    ["RequestExpired", "the AWS credentials have expired"],
    ["UnrecognizedClientException", "the AWS credentials are not valid"],
    ["InvalidClientTokenId", "the AWS credentials are not valid"],
    ["InvalidSignatureException", "the AWS credentials are not valid"],
    ["CredentialsProviderError", "no AWS credentials were found"],
]);

/** Is this failure worth another attempt (throttling, a conflicting update, a server fault)? */
export function isRetryable(err: unknown): boolean {
    const e = (err ?? {}) as AwsErrorLike;
    if (credentialsProblem(err)) return false;
    const code = codeOf(e);
    if (code && RETRYABLE.has(code)) return true;
    const status = e.httpStatusCode ?? e.$metadata?.httpStatusCode;
    return (e.fault ?? e.$fault) === "server" || (status !== undefined && (status >= 500 || status === 429));
}

/** When the failure is about credentials (expired, invalid, missing), says so in words; else undefined. */
export function credentialsProblem(err: unknown): string | undefined {
    const e = (err ?? {}) as AwsErrorLike;
    const code = codeOf(e);
    const known = code ? CREDENTIALS.get(code) : undefined;
    if (known) return `${known} (${code})`;
    if (/ExpiredToken|security token included in the request is expired/i.test(e.message ?? ""))
        return "the AWS credentials have expired (ExpiredTokenException)";
    return undefined;
}

/**
 * Is this AWS's answer to a conditional write made on a stale read (UpdateAlias with a RevisionId that is no
 * longer the alias's: PreconditionFailedException, HTTP 412)? Never retried as it is: the writer reads again and
 * decides again (record.ts).
 */
export function isStaleRevision(err: unknown): boolean {
    const e = (err ?? {}) as AwsErrorLike & { cause?: unknown };
    if (codeOf(e) === "PreconditionFailedException") return true;
    return e.cause !== undefined && e.cause !== err && isStaleRevision(e.cause);
}

/** The delay before retry number `attempt` (0-based): full jitter over a capped exponential ceiling. */
export function backoffDelay(attempt: number, policy: RetryPolicy, random: () => number): number {
    const ceiling = Math.min(policy.capMs, policy.baseMs * 2 ** attempt);
    return Math.floor(random() * ceiling);
}

/** An operation that did not succeed within its retries: the last error, and how many attempts were made. */
export class RetriesExhausted extends Error {
    constructor(
        readonly cause: unknown,
        readonly attempts: number,
    ) {
        super(`${describeError(cause)} (after ${attempts} attempt${attempts === 1 ? "" : "s"})`);
        this.name = "RetriesExhausted";
    }
}

/** "ResourceConflictException: The operation cannot be performed at this time." */
export function describeError(err: unknown): string {
    const e = (err ?? {}) as AwsErrorLike;
    const credentials = credentialsProblem(err);
    if (credentials) return credentials;
    if (e.code !== undefined) return e.message ?? e.code;
    return e.name && e.name !== "Error" ? `${e.name}: ${e.message ?? ""}` : (e.message ?? String(err));
}

/**
 * Runs `operation` until it succeeds, a failure is not retryable, or the budget is spent. Throws
 * RetriesExhausted with the last error.
 */
export async function withRetries<T>(
    operation: () => Promise<T>,
    ctx: { clock: Clock; policy: RetryPolicy; random: () => number; onRetry?: (err: unknown, attempt: number, delayMs: number) => void },
): Promise<T> {
    const started = ctx.clock.now();
    for (let attempt = 0; ; attempt++) {
        try {
            return await operation();
        } catch (err) {
            const delay = backoffDelay(attempt, ctx.policy, ctx.random);
            if (!isRetryable(err) || ctx.clock.now() + delay - started > ctx.policy.budgetMs) {
                throw new RetriesExhausted(err, attempt + 1);
            }
            ctx.onRetry?.(err, attempt + 1, delay);
            await ctx.clock.sleep(delay);
        }
    }
}
