/**
 * SIGINT and SIGTERM during a rollout (Ctrl-C, a cancelled CI job: SIGINT, then SIGTERM about 7.5 s later,
 * then SIGKILL 2.5 s after that). The first signal aborts the run's AbortSignal: the rollout stops moving
 * forward, cancels the `up` in flight and aborts (or holds). A second signal means "now": the caller records
 * what it has and exits at once.
 */

/** The handlers installed for one run; `dispose` removes them. */
export interface InterruptHandling {
    readonly signal: AbortSignal;
    dispose(): void;
}

/**
 * Installs the handlers. `onFirst` is told the signal (the run then winds down by itself); `onSecond` must
 * record and exit, since the person (or the CI runner) will not wait any longer.
 */
export function handleInterrupts(onFirst: (signal: NodeJS.Signals) => void, onSecond: (signal: NodeJS.Signals) => void): InterruptHandling {
    const controller = new AbortController();
    const handler = (signal: NodeJS.Signals) => () => {
        if (!controller.signal.aborted) {
            controller.abort(signal);
            onFirst(signal);
        } else {
            onSecond(signal);
        }
    };
    const onInt = handler("SIGINT");
    const onTerm = handler("SIGTERM");
    process.on("SIGINT", onInt);
    process.on("SIGTERM", onTerm);
    return {
        signal: controller.signal,
        dispose() {
            process.off("SIGINT", onInt);
            process.off("SIGTERM", onTerm);
        },
    };
}
