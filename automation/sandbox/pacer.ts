/**
 * The sandbox's time: the simulated account follows a sped-up wall clock (wiring/sandboxClock.ts, the same clock
 * the command line builds from the environment the sandbox prints). Before every request it answers, and on a
 * timer in between, the account is advanced to that clock's time, so its traffic flows as time passes and every
 * read sees the minutes that have gone by. The account never runs backwards: a moment it ran ahead (the program's
 * short wait on a transient alias read) is simply caught up with.
 */
import type { Clock } from "../rollout/ports";
import type { SimulatedAws } from "../simulator";

/** How often the account is advanced when nothing asks it anything (real ms). */
export const TICK_MS = 250;

/** Keeps a simulated account at a clock's time. */
export class Pacer {
    private timer?: NodeJS.Timeout;

    constructor(
        private readonly sim: SimulatedAws,
        /** The sandbox's clock (sped up), the one the command line keeps too. */
        readonly clock: Clock,
    ) {}

    /** Advances the account to the clock's time (never backwards). */
    catchUp(): void {
        const behind = this.clock.now() - this.sim.now().getTime();
        if (behind > 0) this.sim.advance(behind);
    }

    /** Catches up every {@link TICK_MS}, until {@link stop}. */
    start(): void {
        this.timer ??= setInterval(() => this.catchUp(), TICK_MS);
    }

    stop(): void {
        clearInterval(this.timer);
        this.timer = undefined;
    }

    /**
     * The clock the sandbox's stack passes an `up`'s duration on: the sandbox's time, its sleeps real time at the
     * sandbox's speed, the account caught up after each.
     */
    stackClock(): Clock {
        return {
            now: () => {
                this.catchUp();
                return this.sim.now().getTime();
            },
            sleep: async (ms, signal) => {
                await this.clock.sleep(ms, signal);
                this.catchUp();
            },
        };
    }
}
