/**
 * The virtual time of a release rehearsal: one timeline for every stack's simulated account, on which several
 * processes live (the release, killed and run again; operators running verbs from elsewhere) and inside a process
 * several tasks run at once (the stacks of a wave). Time moves only when every task is asleep: the timeline then
 * wakes the earliest sleeper (every account advanced to its instant, traffic flowing meanwhile) and waits until
 * all are asleep again. Nothing waits on the wall clock, so a rehearsal's outcome never depends on how fast the
 * machine is, and a seed replays the same run.
 *
 * A task counts as running from the moment it is woken (or started) until it sleeps or ends; a task waiting for
 * tasks it started (`parallel`) hands its count to them and takes it back from the last. A kill lands only when
 * everything sleeps, so a killed process is always asleep: its sleepers are never woken again, and any call it
 * would still make never returns (`bind`), as a process stopped dead.
 */
import type { Clock } from "../rollout/ports";
import { boundToLife } from "../rehearsal/clock";

/** An account whose time the timeline moves (a SimulatedAws). */
export interface TimedAccount {
    now(): Date;
    advance(ms: number): void;
}

interface Timer {
    readonly atMs: number;
    readonly order: number;
    readonly process?: TimelineProcess;
    readonly fire: () => void;
}

/** A signal a process gets at an instant: the first aborts its controller, a second one kills it (the CLI exits at once). */
export interface TimedSignal {
    readonly atMs: number;
    readonly signal: "SIGINT" | "SIGTERM";
    /** SIGKILL follows `thenKillAfterMs` later (a CI runner's cancel). */
    readonly thenKillAfterMs?: number;
}

/** The timeline. */
export class Timeline {
    private nowMs: number;
    private readonly accounts: TimedAccount[] = [];
    private timers: Timer[] = [];
    private order = 0;
    private running = 0;
    /** How many callers are driving time (run/drain): time moves only while someone waits for it. */
    private driving = 0;
    private ticking = false;
    private onIdle?: () => void;

    constructor(startMs: number) {
        this.nowMs = startMs;
    }

    /** Adds an account: from now on it moves with the timeline. */
    addAccount(account: TimedAccount): void {
        this.accounts.push(account);
    }

    now(): number {
        return this.nowMs;
    }

    /** A process on the timeline, killed at `killAtMs` if given, with the signals it is sent. */
    process(name: string, events: { killAtMs?: number; signals?: readonly TimedSignal[] } = {}): TimelineProcess {
        const process = new TimelineProcess(this, name);
        if (events.killAtMs !== undefined) this.at(events.killAtMs, () => process.kill("killed"), process);
        for (const s of events.signals ?? []) {
            this.at(s.atMs, () => process.signalled(s.signal), process);
            if (s.thenKillAfterMs !== undefined)
                this.at(s.atMs + s.thenKillAfterMs, () => process.kill(`killed ${s.thenKillAfterMs} ms after ${s.signal}`), process);
        }
        return process;
    }

    /** Runs `fire` at `atMs` (a process's event; dropped if that process is dead by then). */
    at(atMs: number, fire: () => void, process?: TimelineProcess): void {
        this.timers.push({ atMs, order: this.order++, fire, ...(process ? { process } : {}) });
        this.timers.sort((a, b) => a.atMs - b.atMs || a.order - b.order);
    }

    /** Whether anything is still to happen. */
    busy(): boolean {
        return this.timers.some((t) => !t.process?.dead);
    }

    /** Moves time on until `until` settles (a run or a drain); everything else waits meanwhile. */
    async drive<T>(until: Promise<T>): Promise<T> {
        this.driving += 1;
        this.check();
        try {
            return await until;
        } finally {
            this.driving -= 1;
        }
    }

    /** Runs everything still scheduled (operators finishing after the release), to its end. */
    drain(): Promise<void> {
        return this.drive(
            new Promise<void>((resolve) => {
                this.onIdle = resolve;
                this.check();
            }),
        );
    }

    /** A task starts or wakes. */
    started(): void {
        this.running += 1;
    }

    /** A task sleeps or ends: when none runs, time may move. */
    stopped(): void {
        this.running -= 1;
        this.check();
    }

    private check(): void {
        if (this.running > 0 || this.driving === 0 || this.ticking) return;
        this.ticking = true;
        // After every pending continuation has run: only then is "nothing runs" true.
        setImmediate(() => {
            this.ticking = false;
            if (this.running > 0 || this.driving === 0) return;
            this.timers = this.timers.filter((t) => !t.process?.dead);
            const next = this.timers.shift();
            if (!next) {
                const idle = this.onIdle;
                this.onIdle = undefined;
                idle?.();
                return;
            }
            this.nowMs = Math.max(this.nowMs, next.atMs);
            for (const a of this.accounts) a.advance(Math.max(0, this.nowMs - a.now().getTime()));
            // The event runs as a task of its own (it may wake a sleeper, which then counts itself).
            this.running += 1;
            next.fire();
            this.stopped();
        });
    }
}

/** A process on the timeline: its clock, its tasks, its death. */
export class TimelineProcess implements Clock {
    dead = false;
    /** How it died. */
    death?: string;
    /** Aborted by its first signal: what its rollouts get as their `signal`. */
    readonly controller = new AbortController();
    private onDeath: () => void = () => undefined;
    private readonly died: Promise<void>;

    constructor(
        private readonly timeline: Timeline,
        readonly name: string,
    ) {
        this.died = new Promise((resolve) => (this.onDeath = resolve));
    }

    now(): number {
        return this.timeline.now();
    }

    /** Sleeps `ms` of virtual time (a task parks); wakes early, without error, when `signal` aborts. */
    sleep(ms: number, signal?: AbortSignal): Promise<void> {
        if (this.dead) return new Promise(() => undefined);
        if (signal?.aborted) return Promise.resolve();
        return new Promise<void>((resolve) => {
            let woken = false;
            const wake = () => {
                if (woken || this.dead) return;
                woken = true;
                signal?.removeEventListener("abort", wake);
                this.timeline.started();
                resolve();
            };
            signal?.addEventListener("abort", wake, { once: true });
            this.timeline.at(this.now() + Math.max(0, ms), wake, this);
            this.timeline.stopped();
        });
    }

    /** Runs `main` as this process's first task, moving time meanwhile: its result, or undefined when the process dies. */
    async run<T>(main: () => Promise<T>): Promise<T | undefined> {
        this.timeline.started();
        const task = (async () => main())().finally(() => {
            if (!this.dead) this.timeline.stopped();
        });
        const ended = this.timeline.drive(Promise.race([task, this.died.then(() => undefined)]));
        return ended;
    }

    /** Starts `main` as a task of this process without waiting for it (an operator's verb): its outcome goes to `done`. */
    start<T>(main: () => Promise<T>, done: (outcome: { value?: T; error?: unknown }) => void): void {
        this.timeline.started();
        (async () => main())()
            .then(
                (value) => done({ value }),
                (error) => done({ error }),
            )
            .finally(() => {
                if (!this.dead) this.timeline.stopped();
            });
    }

    /** Runs `tasks` at once as tasks of this process; the caller waits for all of them (the first error, after all settled). */
    parallel<T>(tasks: (() => Promise<T>)[]): Promise<T[]> {
        if (tasks.length === 0) return Promise.resolve([]);
        return new Promise<T[]>((resolve, reject) => {
            const results: T[] = new Array(tasks.length);
            let left = tasks.length;
            let failure: { error: unknown } | undefined;
            // The caller waits: its count goes to the tasks (one each), and comes back with the last.
            for (let i = 1; i < tasks.length; i++) this.timeline.started();
            tasks.forEach((task, i) => {
                (async () => task())()
                    .then(
                        (value) => (results[i] = value),
                        (error) => (failure ??= { error }),
                    )
                    .finally(() => {
                        left -= 1;
                        if (left > 0) {
                            if (!this.dead) this.timeline.stopped();
                            return;
                        }
                        if (failure) reject(failure.error);
                        else resolve(results);
                    });
            });
        });
    }

    /** The first signal aborts the process's controller (its rollouts abort or hold); a second one kills it. */
    signalled(signal: "SIGINT" | "SIGTERM"): void {
        if (this.controller.signal.aborted) return this.kill(`exited at once on a second ${signal}`);
        this.controller.abort(signal);
    }

    /** Dies where it is (everything it runs is asleep): nothing it does returns any more. */
    kill(how: string): void {
        if (this.dead) return;
        this.dead = true;
        this.death = how;
        this.onDeath();
    }

    /** `target` as this process sees it: once the process is dead, none of its calls returns. */
    bind<T extends object>(target: T): T {
        return boundToLife(target, () => this.dead);
    }
}
