/**
 * The rehearsal's promote processes, run one after another on the virtual clock until one ends (runs.ts decides
 * which fault meets which process and merges their reports).
 */
import type { RolloutDeps } from "../rollout/deps";
import { promote, type PromoteOptions, type RolloutResult } from "../rollout/promote";
import type { RolloutReport } from "../rollout/report";
import type { StackOutputs } from "../rollout/ports";
import type { SimulatedAws } from "../simulator";
import { REHEARSAL_START, VirtualClock } from "./clock";
import type { MockEngineStack } from "./mockEngineStack";
import type { OperatorSchedule } from "./operators";
import { mergeRuns, type RunPart } from "../rollout/runs";
import { processFaults } from "./runs";
import type { Scenario } from "./scenario";

/** What the rehearsal's promote processes need besides the clock each one gets. */
export interface ProcessSetup {
    readonly promoteOptions: PromoteOptions;
    readonly deps: Pick<RolloutDeps, "lambda" | "metrics" | "log" | "random" | "hooks" | "afterPromotion" | "recentTraffic">;
    readonly operators: OperatorSchedule;
    /** Sees the rehearsal's report so far (the processes' reports as one) after every change. */
    readonly observe: (report: RolloutReport) => void;
    /** Sees each process's own report (the notifications follow the promote processes). */
    readonly notify: (report: RolloutReport) => void;
}

/**
 * Runs promote processes one after another until one ends: each meets the scenario's kills and signals that land
 * while it is alive (every one of a kind, in order), and a process that dies is followed by a promote run again,
 * as a person or a CI retry would. Returns each process's part and the faults no process was alive for.
 */
export async function runProcesses(
    scenario: Scenario,
    sim: SimulatedAws,
    stack: MockEngineStack,
    setup: ProcessSetup,
): Promise<{ parts: RunPart[]; last: RolloutResult; unapplied: string[] }> {
    const faults = processFaults(scenario.faults, REHEARSAL_START.getTime());
    const kills = [...faults.kills];
    const signals = [...faults.signals];
    let decisionKills = faults.killsAfterRollbackDecision;
    const parts: RunPart[] = [];
    for (let run = 1; ; run++) {
        const startedAtMinute = minuteOf(sim);
        const clock = new VirtualClock(sim, {
            killAtMs: kills[0],
            signals,
            killAfterRollbackDecision: decisionKills > 0,
            operators: setup.operators,
        });
        stack.clock = clock;
        stack.releaseLock();
        const so = (report: RolloutReport) => mergeRuns([...parts, { report, startedAtMinute }]);
        let latest: RolloutReport | undefined;
        // The process's calls die with it: its stack, Lambda and CloudWatch are bound to its clock.
        const deps: RolloutDeps = {
            ...setup.deps,
            stack: clock.bind(stack),
            lambda: clock.bind(setup.deps.lambda),
            metrics: clock.bind(setup.deps.metrics),
            clock,
            signal: clock.controller.signal,
            checkpoint: (point) => clock.checkpoint(point),
            ownerId: `0000000${run}`.slice(-8),
            observe: (r) => {
                latest = structuredClone(r);
                setup.observe(so(latest));
                setup.notify(r);
            },
        };
        const running = promote(deps, setup.promoteOptions);
        const ended = await Promise.race([running, clock.killedSignal.then(() => undefined)]);
        if (ended) {
            parts.push({ report: ended.report, startedAtMinute });
            const unapplied = [
                ...kills.map((at) => `killed at minute ${round1((at - REHEARSAL_START.getTime()) / 60000)}`),
                ...signals.map((s) => `${s.signal} at minute ${round1((s.atMs - REHEARSAL_START.getTime()) / 60000)}`),
                ...Array.from({ length: decisionKills }, () => "killed after the rollback decision"),
            ];
            return { parts, last: ended, unapplied };
        }
        if (clock.death?.by === "kill") kills.shift();
        if (clock.death?.by === "decision") decisionKills -= 1;
        const diedAt = minuteOf(sim);
        setup.deps.log.line(
            `[min ${diedAt}] ${clock.death?.how.toUpperCase() ?? "KILLED"}: the promote process stopped dead; traffic stays as it was. Running promote again...`,
        );
        const report = latest ?? emptyReport(scenario);
        parts.push({
            report,
            startedAtMinute,
            died: { atMinute: diedAt, how: clock.death?.how ?? "killed", weight: liveWeightOf(latest, await stack.outputs()) },
        });
        if (clock.death?.by === "signal") {
            report.interrupt ??= String(clock.controller.signal.reason);
            report.error = `${report.error ? `${report.error}; ` : ""}${clock.death.how}`;
        }
    }
}

/** A report for a process that died before it recorded anything. */
function emptyReport(scenario: Scenario): RolloutReport {
    return {
        outcome: "failed",
        stack: scenario.stack ?? "",
        strategy: "",
        functions: {},
        steps: [],
        decisionAtMinute: null,
        durationMinutes: 0,
    };
}

/** Faults no process was alive for, and operator events that never ran: warnings, so the rehearsal never claims what it did not do. */
export function warnUnapplied(
    unapplied: readonly string[],
    operators: OperatorSchedule,
): Pick<RolloutReport, "warnings"> | Record<string, never> {
    const lines = [
        ...unapplied.map((f) => `rehearsal: the fault "${f}" did not apply: no promote process was alive then`),
        ...operators
            .unrun()
            .map((e) =>
                e.duringUp !== undefined
                    ? `rehearsal: the abort inside step ${e.duringUp}'s up did not apply: that up never ran`
                    : `rehearsal: the operator's ${e.action} at minute ${e.minute} did not run`,
            ),
    ];
    return lines.length > 0 ? { warnings: lines } : {};
}

/** The candidate's weight in the stack's last outputs (the step a killed run was in). */
function liveWeightOf(report: RolloutReport | undefined, outputs: StackOutputs | undefined): number {
    const fn = Object.values(outputs?.functions ?? {})[0];
    const key = Object.keys(outputs?.functions ?? {})[0];
    const candidate = key ? report?.functions[key]?.candidate : undefined;
    return fn && candidate ? (fn.liveWeights[candidate] ?? 0) : 0;
}

function minuteOf(sim: SimulatedAws): number {
    return round1((sim.now().getTime() - REHEARSAL_START.getTime()) / 60000);
}

function round1(n: number): number {
    return Math.round(n * 10) / 10;
}
