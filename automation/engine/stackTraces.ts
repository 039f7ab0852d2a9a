/**
 * Program evaluations without stack traces. The Pulumi SDK keeps `new Error().stack` on every promise it makes
 * (runtime/debuggable.js, read only to name leaked promises) and on every resource (its call sites); with source
 * maps on (tsx turns them on) each of those is formatted through the source maps. Under the mock engine that was
 * half of `plan`'s and `rehearse`'s CPU, and nothing reads it: the mock engine takes no source positions.
 */

/**
 * Runs `work` with no stack frames captured and source maps off, and restores both when it settles. An error made
 * meanwhile keeps its name and message (what every caller shows and the tests assert); its stack is that line alone.
 * `PULUMI_DEBUG_PROMISE_LEAKS` (the Pulumi SDK's switch for debugging promises) keeps the stacks.
 */
export async function withoutStackTraces<T>(work: () => Promise<T>, env: NodeJS.ProcessEnv = process.env): Promise<T> {
    if (env.PULUMI_DEBUG_PROMISE_LEAKS) return work();
    const limit = Error.stackTraceLimit;
    const sourceMaps = process.sourceMapsEnabled;
    Error.stackTraceLimit = 0;
    if (sourceMaps) process.setSourceMapsEnabled(false);
    try {
        return await work();
    } finally {
        Error.stackTraceLimit = limit;
        if (sourceMaps) process.setSourceMapsEnabled(true);
    }
}
