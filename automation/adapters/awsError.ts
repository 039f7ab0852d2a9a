/**
 * AWS failures as the tool reports them: a typed error naming the operation and AWS's error code (the SDK's
 * `name`), keeping the fault side and HTTP status that decide whether a retry can help (rollout/retry.ts).
 */

/** A failed AWS call. */
export class AwsCallError extends Error {
    constructor(
        /** The SDK operation, e.g. `UpdateAlias`. */
        readonly operation: string,
        /** AWS's error code, e.g. `ResourceConflictException`. */
        readonly code: string,
        message: string,
        /** `client` or `server`, as the SDK says. */
        readonly fault?: string,
        readonly httpStatusCode?: number,
        options?: { cause?: unknown },
    ) {
        super(`${operation} failed: ${code}: ${message}`, options);
        this.name = "AwsCallError";
    }
}

/** Runs one SDK call, turning its failure into an {@link AwsCallError} named after `operation`. */
export async function awsCall<T>(operation: string, send: () => Promise<T>): Promise<T> {
    try {
        return await send();
    } catch (err) {
        const e = (err ?? {}) as { name?: string; message?: string; $fault?: string; $metadata?: { httpStatusCode?: number } };
        throw new AwsCallError(
            operation,
            e.name && e.name !== "Error" ? e.name : "UnknownError",
            e.message ?? String(err),
            e.$fault,
            e.$metadata?.httpStatusCode,
            { cause: err },
        );
    }
}
