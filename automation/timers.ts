/**
 * Timers that wait as long as they are asked. Node's setTimeout (and AbortSignal.timeout, built on it) takes a
 * 32-bit signed delay: anything above 2^31-1 ms (24.8 days) fires after 1 ms, with only a warning, so a hook
 * timeout of `1000000h` once ended a hook after 18 ms. Config bounds every duration well below that
 * (config/durations.ts); these timers hold even when a delay is computed (a deadline, a sum) or comes from
 * elsewhere: a long delay is waited out in slices, never shortened.
 */

/** The longest delay setTimeout honours. */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/** A pending {@link setLongTimeout}. */
export interface LongTimeout {
    /** Stops it; the callback will not run. */
    cancel(): void;
}

/**
 * Runs `fire` once `ms` have passed, however large `ms` is (a delay that is not a finite number waits for ever,
 * never fires at once). `unref`: the wait does not keep the process alive (as AbortSignal.timeout's does not).
 */
export function setLongTimeout(fire: () => void, ms: number, unref = false): LongTimeout {
    let timer: NodeJS.Timeout | undefined;
    let cancelled = false;
    const wait = (left: number) => {
        timer = setTimeout(
            () => {
                if (cancelled) return;
                if (left > MAX_TIMER_MS) wait(left - MAX_TIMER_MS);
                else fire();
            },
            Math.max(0, Math.min(left, MAX_TIMER_MS)),
        );
        if (unref) timer.unref();
    };
    wait(Number.isNaN(ms) ? Infinity : ms);
    return {
        cancel() {
            cancelled = true;
            clearTimeout(timer);
        },
    };
}

/** Resolves after `ms`, or as soon as `signal` aborts (never rejects). */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
        if (signal?.aborted) return resolve();
        const done = () => {
            timer.cancel();
            signal?.removeEventListener("abort", done);
            resolve();
        };
        const timer = setLongTimeout(done, ms);
        signal?.addEventListener("abort", done, { once: true });
    });
}

/** A signal that aborts after `ms` with a TimeoutError, as AbortSignal.timeout does, but for any delay. */
export function timeoutSignal(ms: number): AbortSignal {
    if (ms <= MAX_TIMER_MS) return AbortSignal.timeout(Math.max(0, ms));
    const controller = new AbortController();
    setLongTimeout(() => controller.abort(new DOMException("The operation timed out.", "TimeoutError")), ms, true);
    return controller.signal;
}
