/**
 * The bench's world: the simulated AWS of one row, set up as the real program left it, and a lighter stack
 * driver for the promote loop.
 *
 * The real program runs under Pulumi's mock engine ONCE per bench (two plain `up`s: the stable release, then
 * the candidate); the resources it declared are recorded and replayed into each row's fresh simulator through
 * the rehearsal's own {@link SimulatedWorld} (same function, versions, alias and alarms as a rehearsal). During
 * the rollout, {@link DirectStackDriver} applies each `up`'s routing override straight to the simulated alias
 * with the program's routing rule (domain/routing.ts `routingFromRequest`), instead of evaluating the
 * program again (~150 ms per `up`): the promote logic, gates and adapters stay real. One difference from the
 * full rehearsal: an `up` here does not re-put the alarms (a real `pulumi up` with no diff does not either).
 * As in the rehearsal, each row's account gets stable's traffic history before minute 0 (the gates' baseline).
 */
import * as path from "path";
import { readRolloutOutputs } from "../components/rolloutOutputs";
import { additionalVersionWeights, routingFromRequest, trafficShares } from "../domain/routing";
import { parseStackConfig, projectKeys, type RoutingOverride, type StackConfig } from "../config/stackConfig";
import {
    evaluateProgram,
    PROJECT_ROOT,
    readConfigFile,
    stackConfigPath,
    type DeclaredResource,
    type ProgramWorld,
} from "../automation/engine/evaluate";
import { SimulatedWorld, UP_DURATION_MS } from "../automation/rehearsal/mockEngineStack";
import { baselineMinutes, REHEARSAL_START } from "../automation/rehearsal/rehearse";
import type { Clock, StackDriver, StackOutputs, UpdateRecord } from "../automation/rollout/ports";
import { createRandom, SimulatedAws, type VersionProfile } from "../automation/simulator";

/** What the program declared for a stack's two deploys, and what the second one exported. */
export interface DeployTemplate {
    readonly stack: string;
    readonly config: StackConfig;
    readonly deploys: DeclaredResource[][];
    readonly outputs: StackOutputs;
    /** What the function's real handler answers to the smoke payload. */
    readonly smokeAnswer: unknown;
}

/** Virtual time an `up` takes: the rehearsal's (traffic keeps flowing meanwhile). */
export { UP_DURATION_MS };

/** Runs the real program twice (stable, then candidate) under the mock engine against a scratch simulator. */
export async function recordDeploys(stack: string): Promise<DeployTemplate> {
    const sim = new SimulatedAws({ seed: 1, startTime: REHEARSAL_START, metricDelayMinutes: 0 });
    const world = new SimulatedWorld(sim);
    let current: DeclaredResource[] = [];
    const recording: ProgramWorld = {
        lambda: () => world.lambda(),
        sleep: (ms) => world.sleep(ms),
        register: (resource) => {
            current.push(resource);
            return world.register(resource);
        },
    };
    const deploys: DeclaredResource[][] = [];
    let outputs: StackOutputs | undefined;
    for (const commit of ["bench-stable", "bench-candidate"]) {
        current = [];
        const evaluation = await evaluateProgram({ stack, world: recording, commit });
        deploys.push(current);
        outputs = readRolloutOutputs(evaluation.outputs);
    }
    const file = stackConfigPath(stack);
    const config = parseStackConfig(projectKeys(readConfigFile(file)), file);
    const fn = config.functions[0];
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const handler = (require(path.resolve(PROJECT_ROOT, fn.codeDir)) as { handler: (e: unknown, c: unknown) => Promise<unknown> }).handler;
    const smokeAnswer = await handler(config.rollout.smokeTest?.payload ?? { test: true }, { functionVersion: "bench" });
    return { stack, config, deploys, outputs: outputs!, smokeAnswer };
}

/** One row's simulated account, deployed as the template says, with traffic and version profiles set. */
export interface RowWorld {
    readonly sim: SimulatedAws;
    readonly functionName: string;
    readonly aliasName: string;
    readonly stableVersion: string;
    readonly candidateVersion: string;
    readonly outputs: StackOutputs;
    /** What the function's real handler answers to the smoke payload (a passing direct invocation). */
    readonly smokeAnswer: unknown;
}

/** What a row simulates. */
export interface WorldSpec {
    readonly seed: number;
    readonly requestsPerMinute: number;
    readonly metricDelayMinutes: number;
    readonly stable: VersionProfile;
    readonly candidate: VersionProfile;
}

/** The random stream of the candidate's direct invocations in a row (see createRandom): 'smok'. */
const SMOKE_STREAM = 0x736d6f6b;

/**
 * A fresh simulator with the template's resources replayed and the row's traffic, with stable's history over
 * the stack's `gates.baseline` before minute 0 (as in the rehearsal: see baselineMinutes).
 *
 * The smoke test's view of the versions: stable's direct invocation answers what the real handler answers.
 * The candidate's fails (an Unhandled function error) with probability its profile's error rate, drawn per
 * invocation from the row seed's own stream: a direct invocation of a version fails as often as its user
 * requests do, so a candidate that fails every request fails its smoke test too, and a healthy one fails it
 * as rarely as it fails a user.
 */
export function buildWorld(template: DeployTemplate, spec: WorldSpec): RowWorld {
    const sim = new SimulatedAws({
        seed: spec.seed,
        startTime: REHEARSAL_START,
        metricDelayMinutes: spec.metricDelayMinutes,
        transientRoutingMs: 5_000,
    });
    const world = new SimulatedWorld(sim);
    for (const deploy of template.deploys) {
        for (const resource of deploy) world.register(resource);
    }
    const key = Object.keys(template.outputs.functions)[0];
    const fn = template.outputs.functions[key];
    const stableVersion = fn.stableVersion;
    const candidateVersion = fn.candidateVersion;
    sim.setTraffic(fn.functionName, fn.aliasName, spec.requestsPerMinute);
    sim.setVersionProfile(fn.functionName, stableVersion, spec.stable);
    sim.setVersionProfile(fn.functionName, candidateVersion, spec.candidate);
    sim.setInvokeHandler(fn.functionName, stableVersion, () => ({ payload: template.smokeAnswer }));
    const smoke = createRandom(spec.seed, SMOKE_STREAM);
    sim.setInvokeHandler(fn.functionName, candidateVersion, () =>
        smoke.uniform() < spec.candidate.errorRate
            ? {
                  payload: {
                      errorType: "Error",
                      errorMessage: `bench: the candidate's invocation failed (its error rate is ${spec.candidate.errorRate})`,
                  },
                  functionError: "Unhandled",
              }
            : { payload: template.smokeAnswer },
    );
    sim.backfill(baselineMinutes(template.config.rollout.gates.baseline));
    return {
        sim,
        functionName: fn.functionName,
        aliasName: fn.aliasName,
        stableVersion,
        candidateVersion,
        outputs: template.outputs,
        smokeAnswer: template.smokeAnswer,
    };
}

/**
 * A {@link StackDriver} that applies an `up`'s routing override straight to the simulated alias, with the
 * program's rule of routing, then lets the `up`'s duration pass.
 */
export class DirectStackDriver implements StackDriver {
    private current: StackOutputs;
    private readonly updates: UpdateRecord[] = [];

    constructor(
        private readonly world: RowWorld,
        outputs: StackOutputs = world.outputs,
    ) {
        this.current = outputs;
    }

    async outputs(): Promise<StackOutputs | undefined> {
        return this.current;
    }

    async history(limit: number): Promise<UpdateRecord[]> {
        return this.updates.slice(-limit).reverse();
    }

    async up(routing: RoutingOverride | undefined, message: string): Promise<StackOutputs> {
        const { sim } = this.world;
        const functions = { ...this.current.functions };
        for (const [key, request] of Object.entries(routing ?? {})) {
            const fn = functions[key];
            const decided = routingFromRequest(request);
            sim.putAlias(fn.functionName, fn.aliasName, decided.stableVersion, additionalVersionWeights(decided) ?? {}, request.state);
            functions[key] = {
                ...fn,
                stableVersion: decided.stableVersion,
                liveWeights: trafficShares(decided),
                routingSource: "explicit",
            };
        }
        this.current = { ...this.current, functions };
        sim.advance(UP_DURATION_MS);
        this.updates.push({ startTime: sim.now(), message, result: "succeeded" });
        return this.current;
    }
}

/**
 * The virtual clock of a row: sleeping advances the simulator. It notes the candidate's failed requests at the
 * horizon (the blast radius), whether the policy is still running then or not.
 */
export class HorizonClock implements Clock {
    /** Candidate failed requests (errors and throttles) and requests at the horizon, once reached. */
    atHorizon?: { failed: number; requests: number };

    constructor(
        private readonly world: RowWorld,
        private readonly horizonMs: number,
    ) {}

    now(): number {
        return this.world.sim.now().getTime();
    }

    /** Minutes since the start of the row. */
    minute(): number {
        return (this.now() - REHEARSAL_START.getTime()) / 60_000;
    }

    async sleep(ms: number): Promise<void> {
        this.advance(ms);
    }

    /** Advances virtual time, stopping at the horizon to take the count. */
    advance(ms: number): void {
        const end = this.now() + ms;
        const horizon = REHEARSAL_START.getTime() + this.horizonMs;
        if (!this.atHorizon && end >= horizon) {
            this.world.sim.advance(Math.max(0, horizon - this.now()));
            this.atHorizon = this.candidateCounts();
        }
        this.world.sim.advance(Math.max(0, end - this.now()));
    }

    /** Runs the world on to the horizon (after the policy ended) and returns the count there. */
    finish(): { failed: number; requests: number } {
        if (!this.atHorizon) this.advance(REHEARSAL_START.getTime() + this.horizonMs - this.now());
        return this.atHorizon!;
    }

    private candidateCounts(): { failed: number; requests: number } {
        const v = this.world.sim.requestCounts(this.world.functionName).byVersion[this.world.candidateVersion];
        return { failed: (v?.errors ?? 0) + (v?.throttles ?? 0), requests: v?.requests ?? 0 };
    }
}
