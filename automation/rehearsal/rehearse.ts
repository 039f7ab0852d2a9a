/**
 * A rehearsal: the real promote logic and adapters, the real program under the mock engine, against a
 * simulated AWS on a virtual clock. It deploys the stable release and then the candidate (two plain `up`s, as
 * git would), starts the scenario's traffic, runs promote, and counts what users got.
 */
import { loadStackConfig } from "../engine/evaluate";
import { defaultProject, type PulumiProject } from "../project";
import { stepsFor } from "../rollout/steps";
import type { RolloutLog, RolloutResult } from "../rollout/promote";
import type { RolloutReport } from "../rollout/report";
import { createRandom, type SimulatedAws } from "../simulator";
import type { WireServerOptions } from "../simulator/httpServer";
import type { StackConfig } from "../../config/stackConfig";
import { wireRollout, type RolloutWiring } from "../wiring";
import { simulatedWorld, type RehearsedWebhooks } from "../wiring/simulated";
import { checkScenarioSteps, scenarioAccount, type ScenarioAccount } from "./account";
import { REHEARSAL_START } from "./clock";
import { OperatorSchedule, operatorEvents, rehearsedHooks, ScenarioHookRunner } from "./operators";
import { runProcesses, warnUnapplied } from "./processes";
import { mergeRuns } from "../rollout/runs";
import { safetyOf, type Safety } from "./safety";
import { scenarioForStack, scenarioTraffic, type Scenario } from "./scenario";
import { connect, type RehearsalClients, type Transport } from "./transport";

export { baselineMinutes } from "./account";
export { CANCEL_TO_KILL_MS, REHEARSAL_START, VirtualClock, type ProcessEvents } from "./clock";
export { safetyOf, type Safety } from "./safety";

/** Options of {@link rehearse}. */
export interface RehearseOptions {
    readonly stack: string;
    readonly scenario: Scenario;
    readonly configFile?: string;
    readonly log: RolloutLog;
    /** The project rehearsed (`-C/--cwd`); default this repository's. */
    readonly project?: PulumiProject;
    /** Sees the report after every change (both runs of a killed rehearsal), as the CLI's report file does. */
    readonly observe?: (report: RolloutReport) => void;
    /**
     * How the adapters reach the simulated account (see transport.ts): `in-process` (default), or `http`, the
     * real SDK clients against the simulator served on 127.0.0.1.
     */
    readonly transport?: Transport;
    /** With the `http` transport: the server's options (a test's view of each call, or throttled answers). */
    readonly wire?: WireServerOptions;
    /** Given the simulated account once it exists, so that a caller can read what AWS would hold afterwards (its metrics). */
    readonly simulator?: (sim: SimulatedAws) => void;
    /**
     * Post the stack's Slack and Teams notifications for real: to these URLs (a test's server), or, with
     * `fromEnv`, to the URLs in the variables the config's `urlEnv` names. Without it the rehearsal sends them
     * nowhere (each is recorded as sent; SNS and the metrics always go to the simulated account).
     */
    readonly webhooks?: RehearsedWebhooks;
    /** Where `urlEnv` is read with `webhooks: "fromEnv"` (default process.env). */
    readonly env?: Readonly<Record<string, string | undefined>>;
}

/** A rehearsal's result: the promote's, and the ground truth about where traffic ended. */
export interface RehearsalResult extends RolloutResult {
    readonly safety: Safety;
    /** The simulated account as the rehearsal left it (its custom metrics and SNS publishes, read back by tests). */
    readonly account: SimulatedAws;
}

/** Runs a scenario against a stack's config. */
export async function rehearse(options: RehearseOptions): Promise<RehearsalResult> {
    const opened: RehearsalClients[] = [];
    try {
        return await rehearseOver(options, async (sim) => {
            const clients = await connect(sim, options.transport ?? "in-process", options.wire);
            opened.push(clients);
            return clients;
        });
    } finally {
        await Promise.all(opened.map((clients) => clients.close()));
    }
}

/** What {@link stageStack} needs: the stack, the scenario as it applies to that stack, how to reach its account. */
export interface StageOptions extends Pick<
    RehearseOptions,
    "stack" | "scenario" | "configFile" | "log" | "simulator" | "webhooks" | "env"
> {
    readonly project: PulumiProject;
    readonly connectTo: (sim: SimulatedAws) => Promise<RehearsalClients>;
}

/** One stack staged in a simulated account of its own: stable live, the candidate published, its run wired. */
export interface StagedStack extends ScenarioAccount {
    readonly config: StackConfig;
    /** The run's side effects, wired as a real run's are (automation/wiring): only the world differs. */
    readonly wiring: RolloutWiring;
}

/**
 * Stages one stack for a rehearsal (a single one, or each stack of a release through waves): its config read and
 * checked against the scenario (bad input refused before anything is simulated, with the key path, as plan and
 * promote refuse it), its account built (account.ts), and its side effects wired from the simulated world.
 */
export async function stageStack(options: StageOptions): Promise<StagedStack> {
    const { scenario, log } = options;
    const config = loadStackConfig(options.stack, options.configFile, undefined, options.project).stackConfig;
    checkScenarioSteps(scenario, stepsFor(config.rollout).length, options.stack);
    const account = await scenarioAccount(options, config, options.project);
    const world = simulatedWorld(account.sim, {
        stack: account.stack,
        clients: await options.connectTo(account.sim),
        hooks: new ScenarioHookRunner(scenario.hooks),
        recentTraffic: scenarioTraffic(scenario),
        ...(options.webhooks ? { webhooks: options.webhooks } : {}),
        ...(options.env ? { env: options.env } : {}),
    });
    const wiring = await wireRollout(world, {
        stack: options.stack.split("/").at(-1)!,
        stackName: options.stack,
        notifications: config.notifications,
        retention: config.retention,
        log,
    });
    return { ...account, config, wiring };
}

async function rehearseOver(
    options: RehearseOptions,
    connectTo: (sim: SimulatedAws) => Promise<RehearsalClients>,
): Promise<RehearsalResult> {
    const { log } = options;
    // A scenario's `stacks` entry for this stack, and the faults that name it (docs/design.md, "Scenario file").
    const scenario = scenarioForStack(options.scenario, options.stack);
    const project = options.project ?? defaultProject();
    const { sim, stack, stableOutputs, candidateOutputs, names, config, wiring } = await stageStack({
        ...options,
        scenario,
        project,
        connectTo,
    });
    const notify = wiring.delivery;
    // The retries' jitter draws from a stream of its own, so a seed replays the same run.
    const jitter = createRandom(scenario.seed, JITTER_STREAM);
    const random = () => jitter.uniform();
    // Operators act from processes of their own, on the same virtual timeline (operators.ts).
    const operators = new OperatorSchedule(operatorEvents(scenario, REHEARSAL_START.getTime()), {
        now: () => sim.now().getTime(),
        advanceTo: (ms) => sim.advance(Math.max(0, ms - sim.now().getTime())),
        stack: (clock) => stack.withClock(clock),
        deps: { lambda: wiring.lambda, random },
        stackName: options.stack,
        log,
        startMs: REHEARSAL_START.getTime(),
    });
    stack.duringUp = (step) => operators.duringUp(step);
    const runs = await runProcesses(scenario, sim, stack, {
        promoteOptions: { stackName: options.stack, hooks: rehearsedHooks(scenario), policy: config.rollout },
        deps: { ...wiring.rollout, log, random },
        operators,
        observe: (report) => {
            options.observe?.(report);
        },
        notify: (report) => notify.observe(report),
    });
    // The operators still at work once no promote runs (an abort confirming itself) finish on the same timeline.
    await operators.drain();
    let result: RolloutResult = { ...runs.last, report: { ...mergeRuns(runs.parts), ...warnUnapplied(runs.unapplied, operators) } };
    if (operators.outcomes.length > 0) result.report.operatorVerbs = operators.outcomes.map((o) => ({ ...o }));

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
    result = { ...result, report: await notify.finish(result.report) };
    options.observe?.(result.report);
    const versions = Object.fromEntries(
        names.map((key) => [
            key,
            { stable: stableOutputs.functions[key].candidateVersion, candidate: candidateOutputs.functions[key].candidateVersion },
        ]),
    );
    return { ...result, safety: safetyOf(sim, candidateOutputs, versions, result.report), account: sim };
}

/** The random stream of the rollback's retry jitter (see createRandom): 'jit'. */
const JITTER_STREAM = 0x6a6974;
