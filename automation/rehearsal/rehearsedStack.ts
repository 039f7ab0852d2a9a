/**
 * One stack rehearsed: its simulated account staged for the stack's config (stable live, the candidate
 * published), and promote run there as processes of their own, with the scenario's operators beside them, on
 * the account's virtual clock. It is the rehearsal's {@link Stage}: the run around it (wiring, notifications,
 * metrics) is the one the command line runs (automation/wiring/run.ts).
 */
import type { StackConfig } from "../../config/stackConfig";
import { loadParsedStackConfig } from "../engine/evaluate";
import { defaultProject, type PulumiProject } from "../project";
import type { RolloutLog } from "../rollout/ports";
import type { RolloutResult } from "../rollout/promote";
import type { RolloutReport } from "../rollout/report";
import { mergeRuns } from "../rollout/runs";
import { createRandom, type SimulatedAws } from "../simulator";
import { parseStackName } from "../stackName";
import type { WireServerOptions } from "../simulator/httpServer";
import { wireRollout, type RolloutWiring, type World } from "../wiring";
import type { Stage } from "../wiring/run";
import { simulatedWorld, type RehearsedWebhooks } from "../wiring/simulated";
import { scenarioAccount, type ScenarioAccount } from "./account";
import { REHEARSAL_START } from "./clock";
import { OperatorSchedule, operatorEvents, rehearsedHooks, ScenarioHookRunner } from "./operators";
import { runProcesses, warnUnapplied } from "./processes";
import { safetyOf, type Safety } from "./safety";
import { scenarioForStack, scenarioTraffic, type Scenario } from "./scenario";
import { connect, type RehearsalClients, type Transport } from "./transport";

/** Options of a rehearsal of one stack (rehearse.ts's `rehearse`). */
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

/** What a stack's staging needs: the stack, the scenario as it applies to that stack, how to reach its account. */
export interface StageOptions extends Pick<
    RehearseOptions,
    "stack" | "scenario" | "configFile" | "log" | "simulator" | "webhooks" | "env"
> {
    readonly project: PulumiProject;
    readonly connectTo: (sim: SimulatedAws) => Promise<RehearsalClients>;
}

/** One stack staged in a simulated account of its own: stable live, the candidate published, its world. */
export interface StagedWorld extends ScenarioAccount {
    readonly world: World;
}

/**
 * Stages one stack's account for its config: the scenario checked against the config's steps (bad input refused
 * before anything is simulated, with the key path), the account built (account.ts), its world made.
 */
async function stageWorld(options: StageOptions, config: StackConfig): Promise<StagedWorld> {
    const { scenario } = options;
    const account = await scenarioAccount(options, config, options.project);
    const world = simulatedWorld(account.sim, {
        stack: account.stack,
        clients: await options.connectTo(account.sim),
        hooks: new ScenarioHookRunner(scenario.hooks),
        recentTraffic: scenarioTraffic(scenario),
        ...(options.webhooks ? { webhooks: options.webhooks } : {}),
        ...(options.env ? { env: options.env } : {}),
    });
    return { ...account, world };
}

/** One stack staged and its side effects wired, for a release's rehearsal through waves (each stack's run is the release's). */
export interface StagedStack extends StagedWorld {
    readonly config: StackConfig;
    /** The run's side effects, wired as a real run's are (automation/wiring): only the world differs. */
    readonly wiring: RolloutWiring;
}

/** Stages one stack of a release: its config read (exit 2 on bad input, as plan and promote), its account, its wiring. */
export async function stageStack(options: StageOptions): Promise<StagedStack> {
    const stack = parseStackName(options.stack, options.project.name);
    const config = loadParsedStackConfig(stack, options.configFile, undefined, options.project).stackConfig;
    const staged = await stageWorld(options, config);
    const wiring = await wireRollout(staged.world, { stack: stack.name, stackName: options.stack, log: options.log }, config);
    return { ...staged, config, wiring };
}

/** The rehearsal of one stack, as a {@link Stage}: what it staged lives here between its calls. */
export class RehearsedStack implements Stage<RehearsalResult> {
    /** The scenario's `stacks` entry for this stack, and the faults that name it (docs/design.md, "Scenario file"). */
    readonly scenario: Scenario;
    readonly project: PulumiProject;
    private readonly opened: RehearsalClients[] = [];
    private staged?: StagedWorld;

    constructor(private readonly options: RehearseOptions) {
        this.scenario = scenarioForStack(options.scenario, options.stack);
        this.project = options.project ?? defaultProject();
    }

    async world(config: StackConfig): Promise<World> {
        const { options } = this;
        this.staged = await stageWorld(
            {
                ...options,
                scenario: this.scenario,
                project: this.project,
                connectTo: async (sim) => {
                    const clients = await connect(sim, options.transport ?? "in-process", options.wire);
                    this.opened.push(clients);
                    return clients;
                },
            },
            config,
        );
        return this.staged.world;
    }

    /** Promote's processes (a killed one followed by the next) and the scenario's operators, on the account's timeline. */
    async run(wiring: RolloutWiring, config: StackConfig): Promise<RolloutResult> {
        const { options, scenario } = this;
        const { sim, stack } = this.staged!;
        const { log } = options;
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
            observe: (report) => options.observe?.(report),
            notify: (report) => wiring.delivery.observe(report),
        });
        // The operators still at work once no promote runs (an abort confirming itself) finish on the same timeline.
        await operators.drain();
        const result: RolloutResult = {
            ...runs.last,
            report: { ...mergeRuns(runs.parts), ...warnUnapplied(runs.unapplied, operators) },
        };
        if (operators.outcomes.length > 0) result.report.operatorVerbs = operators.outcomes.map((o) => ({ ...o }));
        result.report.requests = this.requests();
        return result;
    }

    /** What users got: every request of the rehearsal, through to its end. */
    private requests(): { total: number; candidate: number; candidateErrors: number } {
        const { sim, candidateOutputs, names } = this.staged!;
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
        return { total, candidate, candidateErrors };
    }

    /** The last report seen, and the ground truth about where traffic ended. */
    async ended(result: RolloutResult): Promise<RehearsalResult> {
        const { sim, stableOutputs, candidateOutputs, names } = this.staged!;
        this.options.observe?.(result.report);
        const versions = Object.fromEntries(
            names.map((key) => [
                key,
                { stable: stableOutputs.functions[key].candidateVersion, candidate: candidateOutputs.functions[key].candidateVersion },
            ]),
        );
        return { ...result, safety: safetyOf(sim, candidateOutputs, versions, result.report), account: sim };
    }

    async close(): Promise<void> {
        await Promise.all(this.opened.map((clients) => clients.close()));
    }
}

/** The random stream of the rollback's retry jitter (see createRandom): 'jit'. */
const JITTER_STREAM = 0x6a6974;
