/**
 * The rehearsal's people: operator verbs run from "another process" (the `approve`, `abort`, `pause` and
 * `promote-full` events of the faults list, at their minutes or inside a step's `up`), and the hooks' answers
 * (the scenario's `hooks`). The verbs are the CLI's own (rollout/operator.ts) against the simulated account.
 *
 * Each verb is a process of its own on the rehearsal's one virtual timeline: its sleeps (an abort waiting for
 * its confirmation, a retry's backoff) are timers that the promote process's sleeps run, each to its next sleep
 * or its end, in the order of their instants. Nothing here waits on the wall clock, so a rehearsal's outcome,
 * steps and records never depend on how fast the machine is.
 */
import type { Hook, HookAttempt, HookContext, HookRunner } from "../rollout/hooks";
import { operate, type OperatorAction, type OperatorDeps, type OperatorResult } from "../rollout/operator";
import type { Clock, RolloutLog, StackDriver } from "../rollout/ports";
import type { HookPoint } from "../../config/stackConfig";
import type { Scenario } from "./scenario";

/** The person the rehearsal's operator events act as. */
export const REHEARSAL_OPERATOR = "rehearsal-operator";

/** The principal the rehearsal's operators are, as the simulated STS would name them. */
export const REHEARSAL_OPERATOR_PRINCIPAL = `arn:aws:sts::123456789012:assumed-role/lambda-rollout-operator/${REHEARSAL_OPERATOR}`;

/** One operator event: at an instant (epoch ms on the simulated clock), or inside a step's `up`. */
export interface OperatorEvent {
    readonly action: OperatorAction;
    /** When, for an event at a minute. */
    readonly atMs?: number;
    readonly minute?: number;
    /** The canary step (from 1) inside whose `up` the event lands, after the program read the alias and before it is written. */
    readonly duringUp?: number;
}

/** The scenario's operator events: those at a minute in time order (a pause with `resumeAtMinute` is two), then those inside an `up`. */
export function operatorEvents(scenario: Scenario, startMs: number): OperatorEvent[] {
    const at = (minute: number) => startMs + minute * 60_000;
    const events: OperatorEvent[] = [];
    for (const f of scenario.faults) {
        if (f.kind === "abort" && f.duringUp !== undefined) events.push({ action: "abort", duringUp: f.duringUp });
        else if (f.kind === "approve" || f.kind === "abort" || f.kind === "promote-full" || f.kind === "pause") {
            events.push({ atMs: at(f.atMinute!), action: f.kind, minute: f.atMinute });
        }
        if (f.kind === "pause" && f.resumeAtMinute !== undefined) {
            events.push({ atMs: at(f.resumeAtMinute), action: "resume", minute: f.resumeAtMinute });
        }
    }
    return events.sort((a, b) => (a.atMs ?? Infinity) - (b.atMs ?? Infinity));
}

/** What one rehearsed verb came to, as its command line would have exited. */
export interface OperatorOutcome {
    readonly action: OperatorAction;
    /** When it was run (rehearsal minutes) and when it ended. */
    readonly atMinute: number;
    readonly endedAtMinute: number;
    readonly exitCode: number;
    /** Whether a read confirmed it (abort: all traffic on stable, after every `up` in flight ended). */
    readonly confirmed: boolean;
    /** Why it was refused (exit 2), when it was. */
    readonly refused?: string;
}

/** A process's timer: its wake-up instant, and how to wake it. */
interface Timer {
    readonly atMs: number;
    readonly order: number;
    readonly wake: () => void;
}

/** What the operators need from the rehearsal: the account's time, the stack (each verb's `up`s on its own clock), the Lambda API. */
export interface OperatorWorld {
    readonly now: () => number;
    readonly advanceTo: (ms: number) => void;
    readonly stack: (clock: Clock) => StackDriver;
    readonly deps: Omit<OperatorDeps, "clock" | "stack" | "log">;
    readonly stackName: string;
    readonly log: RolloutLog;
    readonly startMs: number;
}

/**
 * The operator processes of a rehearsal, shared by every promote process of it (a rollout killed while waiting
 * for approval can be approved before it is run again): the events still to start, and the sleeping processes.
 */
export class OperatorSchedule {
    private readonly pending: OperatorEvent[];
    private readonly timers: Timer[] = [];
    private order = 0;
    /** The outcome of every verb run, in the order they ended. */
    readonly outcomes: OperatorOutcome[] = [];
    /** Resolves when the process running now sleeps or ends. */
    private yielded?: () => void;

    constructor(
        events: OperatorEvent[],
        private readonly world: OperatorWorld,
    ) {
        this.pending = [...events];
    }

    /** The instant of the next thing to happen (an event to start, a process to wake), if any. */
    next(): number | undefined {
        const event = this.pending.find((e) => e.atMs !== undefined)?.atMs;
        const timer = this.timers[0]?.atMs;
        if (event === undefined) return timer;
        if (timer === undefined) return event;
        return Math.min(event, timer);
    }

    /** Runs the next thing (the clock is at its instant): a timer first when both are due at once (it was set earlier). */
    async runNext(): Promise<void> {
        const timer = this.timers[0];
        const i = this.pending.findIndex((e) => e.atMs !== undefined);
        const event = i >= 0 ? this.pending[i] : undefined;
        if (timer && (!event || timer.atMs <= event.atMs!)) {
            this.timers.shift();
            await this.untilYield(() => timer.wake());
        } else if (event) {
            this.pending.splice(i, 1);
            await this.untilYield(() => void this.start(event));
        }
    }

    /** The events that land inside step `step`'s `up`: started now, each run until it first sleeps. */
    async duringUp(step: number): Promise<void> {
        for (const event of this.pending.filter((e) => e.duringUp === step)) {
            this.pending.splice(this.pending.indexOf(event), 1);
            await this.untilYield(() => void this.start(event));
        }
    }

    /** Whether anything is left: events to start at a minute, or processes asleep. */
    busy(): boolean {
        return this.timers.length > 0 || this.pending.some((e) => e.atMs !== undefined);
    }

    /** The events that never ran (their step's `up` never came, or nothing was left to advance time to their minute). */
    unrun(): OperatorEvent[] {
        return [...this.pending];
    }

    /** Once no promote process runs: everything left, in order, time moving on to each instant (each verb's own bound ends it). */
    async drain(): Promise<void> {
        for (let at = this.next(); at !== undefined; at = this.next()) {
            this.world.advanceTo(at);
            await this.runNext();
        }
    }

    /** Starts or wakes a process, and waits until it sleeps again or ends. */
    private untilYield(go: () => void): Promise<void> {
        return new Promise<void>((resolve) => {
            this.yielded = resolve;
            go();
        });
    }

    /** A process's clock: its sleeps are timers on the rehearsal's timeline. */
    private clock(): Clock {
        return {
            now: this.world.now,
            sleep: (ms) =>
                new Promise<void>((wake) => {
                    const timer = { atMs: this.world.now() + Math.max(0, ms), order: this.order++, wake };
                    this.timers.push(timer);
                    this.timers.sort((a, b) => a.atMs - b.atMs || a.order - b.order);
                    this.yielded?.();
                }),
        };
    }

    /** One verb, run as the CLI runs it; what it said goes to the log, prefixed with the minute it started. */
    private async start(event: OperatorEvent): Promise<void> {
        const minuteNow = () => round1((this.world.now() - this.world.startMs) / 60_000);
        const minute = minuteNow();
        const say = (text: string) => this.world.log.line(`[min ${minuteNow()}] operator: ${text}`);
        const clock = this.clock();
        const verb = event.action === "promote-full" ? "promote --full" : event.action;
        say(
            `lambda-rollout ${verb} -s ${this.world.stackName} --by ${REHEARSAL_OPERATOR}${event.duringUp ? ` (lands inside step ${event.duringUp}'s up)` : ""}`,
        );
        let result: OperatorResult | undefined;
        let refused: string | undefined;
        try {
            result = await operate(
                { ...this.world.deps, clock, stack: this.world.stack(clock), log: { line: (text) => say(`  ${text}`) } },
                this.world.stackName,
                {
                    action: event.action,
                    by: REHEARSAL_OPERATOR,
                    principal: REHEARSAL_OPERATOR_PRINCIPAL,
                    reason: `rehearsed ${event.action} ${event.duringUp ? `inside step ${event.duringUp}'s up` : `at minute ${event.minute}`}`,
                },
            );
        } catch (err) {
            refused = (err as Error).message;
            say(`  refused: ${refused}`);
        }
        const endedAtMinute = round1((this.world.now() - this.world.startMs) / 60_000);
        const exitCode = result?.exitCode ?? 2;
        say(`  exit ${exitCode}${result ? (result.confirmed ? " (confirmed)" : " (NOT confirmed)") : ""} at minute ${endedAtMinute}`);
        this.outcomes.push({
            action: event.action,
            atMinute: minute,
            endedAtMinute,
            exitCode,
            confirmed: result?.confirmed ?? false,
            ...(refused ? { refused } : {}),
        });
        this.yielded?.();
    }
}

function round1(n: number): number {
    return Math.round(n * 10) / 10;
}

/** The points a scenario's `hooks` names, each with one rehearsed hook (in place of the stack's hooks there). */
export function rehearsedHooks(scenario: Scenario): Partial<Record<HookPoint, Hook[]>> {
    const answers = scenario.hooks ?? {};
    return Object.fromEntries(
        (Object.keys(answers) as HookPoint[]).map((point) => [
            point,
            [{ name: `rehearsed-${point}`, command: "rehearsed", timeout: 30, retries: 0 }],
        ]),
    );
}

/** Answers each hook as the scenario says (a step or point not named passes); calls nothing. */
export class ScenarioHookRunner implements HookRunner {
    constructor(private readonly answers: NonNullable<Scenario["hooks"]> = {}) {}

    async attempt(_hook: Hook, context: HookContext): Promise<HookAttempt> {
        const answer = answerFor(this.answers, context.point, context.step);
        return { passed: answer === "pass", status: `rehearsed answer: ${answer}`, output: `rehearsed answer: ${answer}` };
    }
}

function answerFor(answers: NonNullable<Scenario["hooks"]>, point: HookPoint, step: number | undefined): "pass" | "fail" {
    const given = answers[point];
    if (given === undefined) return "pass";
    if (typeof given === "string") return given;
    return (step !== undefined ? given[String(step)] : undefined) ?? "pass";
}
