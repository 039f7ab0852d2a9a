/**
 * Calls to an API with a request-rate quota, made a few at a time and paced on the injected clock (pure: the
 * clock is the only side effect). Lambda's control-plane APIs (GetAlias, UpdateAlias, ...) share one quota of
 * 15 requests per second per account and Region that AWS does not raise: reading 200 aliases one after another
 * either goes over it on a fast network (throttled, retried, and past the SDK's retry budget, unread) or takes 200
 * round trips on a slow one. A few reads in flight, at a rate that leaves room for writes and other callers, bound both.
 */
import type { Clock } from "./ports";

/** How a batch of calls is made. */
export interface Pace {
    /** Calls in flight at once, at most. */
    readonly inFlight: number;
    /** Calls started at once before the pacing starts. */
    readonly burst: number;
    /** Calls started per second after the burst, at most. */
    readonly perSecond: number;
}

/**
 * A poll's GetAlias reads: up to 10 functions read at once, as fast as the network answers; more are read 10 a
 * second (two thirds of the account's control-plane quota), 4 in flight.
 */
export const ALIAS_READS: Pace = { inFlight: 4, burst: 10, perSecond: 10 };

/**
 * Calls `call` for every item and resolves once every call has settled, with each call's promise at its item's
 * index: a caller awaits them in order, as it would calls made one after another. At most `pace.inFlight` run at
 * once; the first `burst` start at once, the rest a second's worth (`perSecond`) at a time, a second apart (one
 * sleep per second, not per call: in a rehearsal each sleep is a span of simulated traffic).
 */
export async function callPaced<T, R>(items: readonly T[], pace: Pace, clock: Clock, call: (item: T) => Promise<R>): Promise<Promise<R>[]> {
    const calls: Promise<R>[] = [];
    const running = new Set<Promise<void>>();
    const start = clock.now();
    for (const [i, item] of items.entries()) {
        while (running.size >= pace.inFlight) await Promise.race(running);
        const due = start + Math.ceil(Math.max(0, i - pace.burst + 1) / pace.perSecond) * 1000;
        if (due > clock.now()) await clock.sleep(due - clock.now());
        const made = (async () => call(item))();
        calls.push(made);
        // Settled either way (a rejection is the caller's to read, in order), then out of the running set.
        const tracked: Promise<void> = made.then(
            () => void running.delete(tracked),
            () => void running.delete(tracked),
        );
        running.add(tracked);
    }
    await Promise.all(running);
    return calls;
}
