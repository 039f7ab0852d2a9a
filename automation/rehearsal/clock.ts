/**
 * The rehearsal's virtual clock and the process it times: sleeping advances the simulated account (and runs the
 * operators' processes whose instants it passes); the scenario's signals and kills land on the process at their
 * instants. Nothing waits on the wall clock.
 */
import type { Clock } from "../rollout/ports";
import type { SimulatedAws } from "../simulator";
import type { OperatorSchedule } from "./operators";
import type { SignalEvent } from "./runs";

/** Minute 0 of every rehearsal: a fixed instant, so a seed replays the same run. */
export const REHEARSAL_START = new Date("2026-01-05T09:00:00Z");

/** What happens to a rehearsed promote process at given virtual instants. */
export interface ProcessEvents {
    /** The process dies at this instant (epoch ms), wherever it is: inside an `up` or a rollback included. */
    readonly killAtMs?: number;
    /**
     * Signals, in time order, shared with the processes after this one (each takes those that arrive while it is
     * alive): the first aborts the run (with `thenKill`, SIGKILL follows as a CI runner's cancel does); a second
     * makes the command line record what it has and exit at once, as the CLI's second-signal handler does.
     */
    readonly signals?: SignalEvent[];
    /** The process dies right after its rollback decision is recorded, before any traffic moves. */
    readonly killAfterRollbackDecision?: boolean;
    /** Operators acting from other processes at their instants, whichever promote process is alive. */
    readonly operators?: OperatorSchedule;
}

/** A CI runner's cancel: SIGINT, SIGTERM about 7.5 s later, SIGKILL 2.5 s after that. */
export const CANCEL_TO_KILL_MS = 10_000;

/**
 * A virtual clock over the simulated account, and the process it times: sleeping advances the account (and
 * runs the operators' processes whose instants it passes); a scheduled signal aborts `controller` at its
 * instant (waking a sleep that listens for it); a kill stops everything dead there (the sleep, and every later
 * call of the process, never returns).
 */
export class VirtualClock implements Clock {
    killed = false;
    /** How the process died: killed, or exited at once on a second signal. */
    death?: { readonly how: string; readonly by: "kill" | "decision" | "signal" };
    private onKilled: () => void = () => undefined;
    /** Resolves when the process is killed. */
    readonly killedSignal: Promise<void>;
    /** Aborted by the first scheduled signal; the promote's `signal`. */
    readonly controller = new AbortController();
    private killAtMs?: number;
    private readonly signals: SignalEvent[];

    constructor(
        private readonly sim: SimulatedAws,
        private readonly events: ProcessEvents = {},
    ) {
        this.killedSignal = new Promise((resolve) => (this.onKilled = resolve));
        this.killAtMs = events.killAtMs;
        this.signals = events.signals ?? [];
    }

    now(): number {
        return this.sim.now().getTime();
    }

    async sleep(ms: number, signal?: AbortSignal): Promise<void> {
        if (this.killed) return new Promise<void>(() => undefined);
        const target = this.now() + ms;
        for (;;) {
            const next = this.signals[0];
            const signalDue = next !== undefined && next.atMs <= target && (this.killAtMs === undefined || next.atMs < this.killAtMs);
            await this.operatorsUntil(Math.min(target, this.killAtMs ?? Infinity, signalDue ? next.atMs : Infinity));
            if (!signalDue) break;
            this.sim.advance(Math.max(0, next.atMs - this.now()));
            this.signals.shift();
            if (this.controller.signal.aborted) {
                this.death = { how: `exited at once on a second ${next.signal}`, by: "signal" };
                return this.kill();
            }
            if (next.thenKill) this.killAtMs = Math.min(this.killAtMs ?? Infinity, next.atMs + CANCEL_TO_KILL_MS);
            this.controller.abort(next.signal);
            if (signal?.aborted) return;
        }
        if (this.killAtMs !== undefined && target >= this.killAtMs) {
            this.sim.advance(Math.max(0, this.killAtMs - this.now()));
            this.death = { how: "killed", by: "kill" };
            return this.kill();
        }
        this.sim.advance(Math.max(0, target - this.now()));
    }

    /** Runs the operators' processes due by `until` (each at its instant); a sleep then goes on to its own end. */
    private async operatorsUntil(until: number): Promise<void> {
        const ops = this.events.operators;
        for (let at = ops?.next(); ops && at !== undefined && at <= until; at = ops.next()) {
            this.sim.advance(Math.max(0, at - this.now()));
            await ops.runNext();
        }
    }

    /** The rehearsal's `killed` fault with `after: "rollback-decision"`. */
    async checkpoint(point: "rollback-decision"): Promise<void> {
        if (point === "rollback-decision" && this.events.killAfterRollbackDecision) {
            this.death = { how: "killed right after recording its rollback decision", by: "decision" };
            return this.kill();
        }
    }

    /** Stops the process dead: from now on nothing it calls returns. */
    kill(): Promise<void> {
        this.killed = true;
        this.onKilled();
        return new Promise<void>(() => undefined);
    }

    /** `target` as this process sees it: once the process is dead, none of its calls returns. */
    bind<T extends object>(target: T): T {
        return boundToLife(target, () => this.killed);
    }
}

/**
 * `target` as a rehearsed process sees it: once `dead()` says the process died, none of its calls returns, and a
 * call in flight when it died never returns either (a killed process reads no answer). Used by a single rollout's
 * processes (VirtualClock) and a release's (the waves' timeline).
 */
export function boundToLife<T extends object>(target: T, dead: () => boolean): T {
    const never = () => new Promise<never>(() => undefined);
    return new Proxy(target, {
        get: (obj, prop, receiver) => {
            const value = Reflect.get(obj, prop, receiver);
            if (typeof value !== "function") return value;
            return (...args: unknown[]) => {
                if (dead()) return never();
                const out = value.apply(obj, args);
                return out instanceof Promise ? out.then((v) => (dead() ? never() : v)) : out;
            };
        },
    });
}
