/**
 * The rehearsal's people: operator verbs run from "another process" at the scenario's minutes (the `approve`,
 * `abort`, `pause` and `promote-full` events of the faults list), and the hooks' answers (the scenario's `hooks`).
 * The verbs are the CLI's own (rollout/operator.ts) against the simulated account; they run whichever promote
 * process is alive, or none (a rollout killed while waiting for approval can be approved before it is run again).
 */
import type { Hook, HookAttempt, HookContext, HookRunner } from "../rollout/hooks";
import { operate, type OperatorAction, type OperatorDeps } from "../rollout/operator";
import type { RolloutLog } from "../rollout/traffic";
import type { HookPoint } from "../../config/stackConfig";
import type { Scenario } from "./scenario";

/** The person the rehearsal's operator events act as. */
export const REHEARSAL_OPERATOR = "rehearsal-operator";

/** One operator event at an instant (epoch ms on the simulated clock). */
export interface OperatorEvent {
    readonly atMs: number;
    readonly action: OperatorAction;
    readonly minute: number;
}

/** The scenario's operator events in time order (a pause with `resumeAtMinute` is two). */
export function operatorEvents(scenario: Scenario, startMs: number): OperatorEvent[] {
    const at = (minute: number) => startMs + minute * 60_000;
    const events: OperatorEvent[] = [];
    for (const f of scenario.faults) {
        if (f.kind === "approve" || f.kind === "abort" || f.kind === "promote-full" || f.kind === "pause") {
            events.push({ atMs: at(f.atMinute), action: f.kind, minute: f.atMinute });
        }
        if (f.kind === "pause" && f.resumeAtMinute !== undefined) {
            events.push({ atMs: at(f.resumeAtMinute), action: "resume", minute: f.resumeAtMinute });
        }
    }
    return events.sort((a, b) => a.atMs - b.atMs);
}

/**
 * The events still to happen, shared by every promote process of a rehearsal: each process's clock runs the
 * events its sleep passes, at their instants. One event at a time (an abort's own waits do not start another).
 */
export class OperatorSchedule {
    private readonly pending: OperatorEvent[];
    private running = false;

    constructor(
        events: OperatorEvent[],
        private readonly deps: OperatorDeps,
        private readonly stackName: string,
        private readonly log: RolloutLog,
    ) {
        this.pending = [...events];
    }

    /** The instant of the next event, if any. */
    next(): number | undefined {
        return this.running ? undefined : this.pending[0]?.atMs;
    }

    /** Runs the next event (the clock has advanced to its instant). A verb that does not apply is logged, as the CLI would say it. */
    async runNext(): Promise<void> {
        const event = this.pending.shift();
        if (!event || this.running) return;
        this.running = true;
        const say = (text: string) => this.log.line(`[min ${event.minute}] operator: ${text}`);
        try {
            say(
                `lambda-rollout ${event.action === "promote-full" ? "promote --full" : event.action} -s ${this.stackName} --by ${REHEARSAL_OPERATOR}`,
            );
            await operate(
                { ...this.deps, log: { line: (text) => say(`  ${text}`) } },
                this.stackName,
                { action: event.action, by: REHEARSAL_OPERATOR, reason: `rehearsed ${event.action} at minute ${event.minute}` },
                { converge: false },
            );
        } catch (err) {
            say(`  refused: ${(err as Error).message}`);
        } finally {
            this.running = false;
        }
    }
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
