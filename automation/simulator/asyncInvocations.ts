/**
 * Lambda's asynchronous invocation, reduced to what a rehearsal needs (Lambda Developer Guide, "How Lambda
 * handles errors and retries with asynchronous invocation",
 * https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-error-handling.html, and "Asynchronous
 * invocation", https://docs.aws.amazon.com/lambda/latest/dg/invocation-async.html):
 * - an event whose invocation fails (a function error or a timeout) is run two more times by default, one minute
 *   after the first attempt and two minutes after the second; every attempt is an invocation in the metrics;
 * - an event throttled for concurrency (429) is returned to the queue and run again later (for up to 6 hours):
 *   a throttle in the metrics, not a failure of the event. Modelled: it is tried again in the next span;
 * - an event whose every attempt failed goes to the function's dead-letter queue if it has one, else it is
 *   discarded; when Lambda cannot write it to the queue (permissions, a misconfigured or throttled queue, a
 *   payload too large) it counts `DeadLetterErrors` ("Types of metrics for Lambda functions",
 *   https://docs.aws.amazon.com/lambda/latest/dg/monitoring-metrics-types.html). Which events cannot be written
 *   is the scenario's to say (a version profile's `deadLetterFailureRate`).
 * Not modelled: the exponential backoff of throttled events, their 6-hour limit and events aging out, the
 * configurable retry count and maximum event age, on-failure destinations.
 */

/** How many attempts an event gets by default: the first and two retries. */
export const ASYNC_ATTEMPTS = 3;

/** The wait before each retry of a failed event: one minute before the second attempt, two before the third. */
export const ASYNC_RETRY_DELAYS_MS: readonly number[] = [60_000, 120_000];

/** Events of one alias waiting to run: `count` of them, due at `dueMs`, each on its `attempt`-th attempt. */
interface PendingEvents {
    readonly dueMs: number;
    readonly attempt: number;
    readonly count: number;
}

/** The asynchronous event queues of an account, one per function alias that receives asynchronous traffic. */
export class AsyncEventQueues {
    private readonly pending = new Map<string, PendingEvents[]>();

    /** `count` events of the alias to run again at `dueMs`, on their `attempt`-th attempt. */
    add(functionName: string, aliasName: string, dueMs: number, attempt: number, count: number): void {
        if (count <= 0) return;
        const key = `${functionName}\u0000${aliasName}`;
        const list = this.pending.get(key) ?? [];
        list.push({ dueMs, attempt, count });
        this.pending.set(key, list);
    }

    /** Removes and returns the alias's events due before `untilMs`, as attempt -> count. */
    takeDue(functionName: string, aliasName: string, untilMs: number): Map<number, number> {
        const key = `${functionName}\u0000${aliasName}`;
        const due = new Map<number, number>();
        const list = this.pending.get(key);
        if (!list) return due;
        const kept: PendingEvents[] = [];
        for (const events of list) {
            if (events.dueMs < untilMs) due.set(events.attempt, (due.get(events.attempt) ?? 0) + events.count);
            else kept.push(events);
        }
        this.pending.set(key, kept);
        return due;
    }

    /** Events still waiting for an attempt (not yet failed for good, nor run). */
    waiting(functionName: string, aliasName: string): number {
        return (this.pending.get(`${functionName}\u0000${aliasName}`) ?? []).reduce((sum, e) => sum + e.count, 0);
    }
}
