/**
 * A rehearsal: the real promote logic and adapters, the real program under the mock engine, against a
 * simulated AWS on a virtual clock. It deploys the stable release and then the candidate (two plain `up`s, as
 * git would), starts the scenario's traffic, runs promote, and counts what users got.
 */
import * as path from "path";
import { parseStackConfig, projectKeys } from "../../config/stackConfig";
import { PROJECT_ROOT, readConfigFile, stackConfigPath } from "../engine/evaluate";
import { UsageError } from "../errors";
import { CloudWatchAdapter } from "../adapters/cloudwatch";
import { LambdaAdapter } from "../adapters/lambda";
import type { Clock } from "../rollout/ports";
import { promote, type RolloutLog, type RolloutResult } from "../rollout/promote";
import type { RolloutReport, StepRecord } from "../rollout/report";
import type { StackOutputs } from "../rollout/ports";
import { SimulatedAws } from "../simulator";
import { applySimulatorFaults } from "./faults";
import { MockEngineStack } from "./mockEngineStack";
import { scenarioFor, type Scenario } from "./scenario";

/** Minute 0 of every rehearsal: a fixed instant, so a seed replays the same run. */
export const REHEARSAL_START = new Date("2026-01-05T09:00:00Z");

/**
 * Minutes of user traffic the simulated account is given before minute 0 (SimulatedAws.backfill): the stack's
 * `rollout.gates.baseline` (seconds), rounded up to whole minutes; 0 gives none. When the rollout starts, the
 * gates read stable's invocations and errors over that window before it as stable's baseline. A real account
 * has that history (stable served users all along); a simulated one starts empty at minute 0, so without the
 * backfill the baseline would read nothing and the rehearsal would not test it.
 */
export function baselineMinutes(baselineSeconds: number): number {
    return Math.max(0, Math.ceil(baselineSeconds / 60));
}

/** Options of {@link rehearse}. */
export interface RehearseOptions {
    readonly stack: string;
    readonly scenario: Scenario;
    readonly configFile?: string;
    readonly log: RolloutLog;
}

/** A virtual clock over the simulated account; `killAtMs` stops everything dead there (sleep never returns). */
export class VirtualClock implements Clock {
    killed = false;
    private onKilled: () => void = () => undefined;
    /** Resolves when the clock reaches the kill time. */
    readonly killedSignal: Promise<void>;

    constructor(
        private readonly sim: SimulatedAws,
        private readonly killAtMs?: number,
    ) {
        this.killedSignal = new Promise((resolve) => (this.onKilled = resolve));
    }

    now(): number {
        return this.sim.now().getTime();
    }

    async sleep(ms: number): Promise<void> {
        if (this.killAtMs !== undefined && this.now() + ms >= this.killAtMs) {
            this.sim.advance(Math.max(0, this.killAtMs - this.now()));
            this.killed = true;
            this.onKilled();
            return new Promise<void>(() => undefined);
        }
        this.sim.advance(ms);
    }
}

/** Runs a scenario against a stack's config. */
export async function rehearse(options: RehearseOptions): Promise<RolloutResult> {
    const { scenario, log } = options;
    const sim = new SimulatedAws({
        seed: scenario.seed,
        startTime: REHEARSAL_START,
        metricDelayMinutes: scenario.metricDelayMinutes,
        transientRoutingMs: 5_000,
    });
    const stack = new MockEngineStack({
        stack: options.stack,
        configFile: options.configFile,
        sim,
        faults: {
            upFailsAtStep: scenario.faults.flatMap((f) => (f.kind === "up-fails" && f.atStep !== "rollback" ? [f.atStep] : []))[0],
            lockConflictAtStep: scenario.faults.flatMap((f) => (f.kind === "lock-conflict" && f.atStep !== "rollback" ? [f.atStep] : []))[0],
        },
    });

    // The world before the rollout: the stable release live, then the candidate published by a plain `up`.
    const stableOutputs = await stack.deploy("rehearsal-stable", "deploy the stable release");
    const names = Object.keys(stableOutputs.functions);
    for (const key of Object.keys(scenario.functions)) {
        if (key !== "*" && !names.includes(key)) {
            throw new UsageError(`scenario ${scenario.name} names function "${key}", which stack ${options.stack} does not have (functions: ${names.join(", ")})`);
        }
    }
    const candidateOutputs = await stack.deploy("rehearsal-candidate", "deploy the candidate release");
    applySimulatorFaults(sim, scenario.faults, candidateOutputs.functions);
    const file = stackConfigPath(options.stack, options.configFile);
    const config = parseStackConfig(projectKeys(readConfigFile(file)), file);
    for (const key of names) {
        const fn = scenarioFor(scenario, key);
        const { functionName, aliasName } = candidateOutputs.functions[key];
        const stableVersion = stableOutputs.functions[key].candidateVersion;
        const candidateVersion = candidateOutputs.functions[key].candidateVersion;
        sim.setTraffic(functionName, aliasName, fn.requestsPerMinute);
        sim.setVersionProfile(functionName, stableVersion, fn.stable);
        sim.setVersionProfile(functionName, candidateVersion, fn.candidate);
        const codeDir = config.functions.find((f) => f.name === key)!.codeDir;
        const smokeAnswer = await smokeResponse(codeDir, config.rollout.smokeTest?.payload ?? { test: true });
        sim.setInvokeHandler(functionName, stableVersion, () => ({ payload: smokeAnswer }));
        sim.setInvokeHandler(functionName, candidateVersion, () =>
            fn.smokeTest === "pass"
                ? { payload: smokeAnswer }
                : { payload: { errorType: "Error", errorMessage: "rehearsed smoke-test failure" }, functionError: "Unhandled" },
        );
    }
    // Stable's history before minute 0, for the gates' baseline (see baselineMinutes); the rehearsal's minutes,
    // requests counted and traffic of the seed stay as they were.
    sim.backfill(baselineMinutes(config.rollout.gates.baseline));

    const adapters = { lambda: new LambdaAdapter(sim.lambda), metrics: new CloudWatchAdapter(sim.cloudWatch) };
    const killAt = scenario.faults.find((f) => f.kind === "killed");
    const firstClock = new VirtualClock(sim, killAt?.atMinute !== undefined ? REHEARSAL_START.getTime() + killAt.atMinute * 60_000 : undefined);
    let firstReport: RolloutReport | undefined;
    const firstRun = promote({ stack, ...adapters, clock: firstClock, log, observe: (r) => (firstReport = r) }, { stackName: options.stack });
    const first = await Promise.race([firstRun, firstClock.killedSignal.then(() => undefined)]);

    let result: RolloutResult;
    if (first) {
        result = first;
    } else {
        // The process died: no rollback, no report. A second promote resumes from what is live.
        const killedAt = minuteOf(sim);
        log.line(`[min ${killedAt}] KILLED: the promote process stopped dead; traffic stays as it was. Running promote again...`);
        const lastEnded = firstReport?.steps.at(-1)?.endedAtMinute ?? 0;
        const firstSteps: StepRecord[] = [
            ...(firstReport?.steps ?? []),
            { weight: liveWeightOf(firstReport, await stack.outputs()), startedAtMinute: lastEnded, endedAtMinute: killedAt, verdict: "inconclusive", reason: `promote killed at minute ${killedAt} during this step; a second run resumed` },
        ];
        const secondClock = new VirtualClock(sim);
        const second = await promote({ stack, ...adapters, clock: secondClock, log }, { stackName: options.stack });
        const offset = killedAt;
        result = {
            ...second,
            report: {
                ...second.report,
                steps: [
                    ...firstSteps,
                    ...second.report.steps.map((s) => ({ ...s, startedAtMinute: round1(s.startedAtMinute + offset), endedAtMinute: round1(s.endedAtMinute + offset) })),
                ],
                decisionAtMinute: second.report.decisionAtMinute === null ? null : round1(second.report.decisionAtMinute + offset),
                durationMinutes: round1(second.report.durationMinutes + offset),
            },
        };
    }

    // What users got: every request of the rehearsal, through to its end.
    let total = 0;
    let candidate = 0;
    let candidateErrors = 0;
    for (const key of names) {
        const counts = sim.requestCounts(candidateOutputs.functions[key].functionName);
        const v = counts.byVersion[candidateOutputs.functions[key].candidateVersion];
        total += counts.total;
        candidate += v?.requests ?? 0;
        candidateErrors += (v?.errors ?? 0) + (v?.throttles ?? 0);
    }
    result.report.requests = { total, candidate, candidateErrors };
    return result;
}

/** What the function's real handler answers to the smoke payload (run here, in-process, once). */
async function smokeResponse(codeDir: string, payload: unknown): Promise<unknown> {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const handler = (require(path.resolve(PROJECT_ROOT, codeDir)) as { handler: (e: unknown, c: unknown) => Promise<unknown> }).handler;
    return handler(payload, { functionVersion: "rehearsal" });
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
