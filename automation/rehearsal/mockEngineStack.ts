/**
 * The rehearsal's stack: each `up` runs the real program (index.ts) under Pulumi's mock engine, and what it
 * declares is applied to the simulated AWS as a provider would: the function is updated and a version
 * published when its code or configuration changed, the alias gets the program's routing (with the Lambda
 * API's constraints enforced), and the alarms are put. The program reads live aliases from the same
 * simulated account, so the rule of routing runs for real.
 */
import { createHash } from "crypto";
import * as fs from "fs";
import * as path from "path";
import { readRolloutOutputs } from "../../components/rolloutOutputs";
import { routingKey, type RoutingOverride } from "../../config/stackConfig";
import { evaluateProgram, loadStackConfig, ProgramWorld, type LoadedStackConfig } from "../engine/evaluate";
import { defaultAnswer, T, type DeclaredResource } from "../engine/resourceTypes";
import { InfrastructureError, isUsageError, StackLockedError } from "../errors";
import { defaultProject, type PulumiProject } from "../project";
import type { Clock, StackDriver, StackOutputs, UpdateRecord } from "../rollout/ports";
import { decodeState } from "../../domain/state";
import type { SimulatedAws } from "../simulator";
import { RoutingReplay } from "./routingReplay";

/**
 * Faults an `up` can meet, by promote step (the n-th `up` that moves traffic forward): from that step on; or
 * `"rollback"`, only the `up`s that put traffic back on stable.
 */
export interface UpFaults {
    /** Every such `up` fails (a broken provider, a bad credential). */
    readonly upFailsAtStep?: number | "rollback";
    /** Another update holds the stack's lock for every such `up`. */
    readonly lockConflictAtStep?: number | "rollback";
}

/** Virtual time an `up` takes in a rehearsal (traffic keeps flowing meanwhile); the bench uses it too. */
export const UP_DURATION_MS = 45_000;

/** Options of {@link MockEngineStack}. */
export interface MockEngineStackOptions {
    readonly stack: string;
    readonly configFile?: string;
    readonly sim: SimulatedAws;
    readonly faults?: UpFaults;
    /** Virtual time an `up` takes, ms (the traffic keeps flowing meanwhile). */
    readonly upDurationMs?: number;
    /** The project whose program runs; default this repository's. */
    readonly project?: PulumiProject;
    /** `false`: every `up` runs the program in full, a routing-only one too (routingReplay.ts); default true. */
    readonly replayRoutingUps?: boolean;
}

/**
 * What an `up` runs with but the routing: the stack, the config file and the config as the program gets it (its
 * shared file merged in), the project, the commit; undefined when the config cannot be read or is not valid (the
 * program then says why).
 */
function upKey(stack: string, configFile: string | undefined, project: PulumiProject, commit: string): string | undefined {
    let loaded: LoadedStackConfig;
    try {
        loaded = loadStackConfig(stack, configFile, undefined, project);
    } catch {
        return undefined;
    }
    return JSON.stringify({ stack, file: loaded.file, config: loaded.config, root: project.root, main: project.main, commit });
}

/** Hash of a directory's files: a code change publishes a new version, as the provider's code hash does. */
function codeHash(dir: string): string {
    const hash = createHash("sha256");
    const walk = (d: string) => {
        for (const entry of fs.readdirSync(d, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
            const p = path.join(d, entry.name);
            if (entry.isDirectory()) walk(p);
            else hash.update(entry.name).update(fs.readFileSync(p));
        }
    };
    if (fs.existsSync(dir)) walk(dir);
    return hash.digest("hex");
}

/** The canary step an `up`'s routing moves to, as the state it records says. */
function stepOf(routing: RoutingOverride | undefined): number | undefined {
    const state = Object.values(routing ?? {})[0]?.state;
    return state ? decodeState(state)?.step : undefined;
}

/** A {@link ProgramWorld} backed by the simulated account. */
export class SimulatedWorld implements ProgramWorld {
    private readonly fingerprints = new Map<string, string>();
    private readonly versions = new Map<string, string>();
    /**
     * Called once, before the first alias this `up` writes: the program has read the live aliases, the provider
     * has not written them (the rehearsal's `{"kind": "abort", "duringUp": N}` lands here).
     */
    beforeAliasWrite?: () => Promise<void>;

    constructor(private readonly sim: SimulatedAws) {}

    lambda() {
        return this.sim.lambda as ReturnType<ProgramWorld["lambda"]>;
    }

    async sleep(ms: number): Promise<void> {
        this.sim.advance(ms);
    }

    /**
     * Applies what the simulated account models (functions, aliases, alarms) to it; the id and outputs of every
     * type come from the registry in resourceTypes.ts, which throws for a type it lacks.
     */
    register(resource: DeclaredResource): { id: string; state: Record<string, any> } | Promise<{ id: string; state: Record<string, any> }> {
        const before = resource.type === T.alias ? this.beforeAliasWrite : undefined;
        if (!before) return this.apply(resource);
        this.beforeAliasWrite = undefined;
        return before().then(() => this.apply(resource));
    }

    /** What a provider would do with one declared resource, answered with its id and state. */
    private apply(resource: DeclaredResource): { id: string; state: Record<string, any> } {
        const i = resource.inputs;
        switch (resource.type) {
            case T.fn: {
                const { tags: _tags, ...config } = i;
                const codePath = (i.code as { path?: string } | undefined)?.path;
                const fingerprint = createHash("sha256")
                    .update(JSON.stringify(config))
                    .update(codePath ? codeHash(codePath) : "")
                    .digest("hex");
                this.sim.putFunction({
                    name: i.name,
                    role: i.role,
                    deadLetterTargetArn: i.deadLetterConfig?.targetArn,
                    ...(i.vpcConfig?.subnetIds?.length
                        ? { vpc: { subnetIds: i.vpcConfig.subnetIds, securityGroupIds: i.vpcConfig.securityGroupIds ?? [] } }
                        : {}),
                    timeoutSeconds: i.timeout ?? 3,
                    description: i.description,
                });
                this.sim.setReservedConcurrency(i.name, i.reservedConcurrentExecutions);
                if (this.fingerprints.get(i.name) !== fingerprint) {
                    this.versions.set(i.name, this.sim.publishVersion(i.name));
                    this.fingerprints.set(i.name, fingerprint);
                }
                return defaultAnswer(resource, this.versions.get(i.name)!);
            }
            case T.alias:
                this.sim.putAlias(i.functionName, i.name, i.functionVersion, i.routingConfig?.additionalVersionWeights, i.description);
                break;
            case T.alarm:
                this.sim.putMetricAlarm(i as never);
                break;
            case T.composite:
                this.sim.putCompositeAlarm({ name: i.alarmName, alarmRule: i.alarmRule });
                break;
        }
        return defaultAnswer(resource, "");
    }
}

/** A {@link StackDriver} over the mock engine and the simulated account. */
export class MockEngineStack implements StackDriver {
    private readonly world: SimulatedWorld;
    private readonly replay = new RoutingReplay();
    /** How many `up`s ran the program in full, and how many were replayed (routingReplay.ts). */
    readonly programRuns = { full: 0, replayed: 0 };
    private last?: StackOutputs;
    /** The program's outputs as `pulumi stack output --json` shows them (the sandbox's stand-in `pulumi` answers with them). */
    private lastExported?: Record<string, unknown>;
    private readonly updates: UpdateRecord[] = [];
    private promoteUps = 0;
    /** The update holding the stack's lock, while an `up` runs (Pulumi allows one update of a stack at a time). */
    private holder?: string;
    /** Called inside step N's `up` (N counts the canary steps from 1), after the program read the aliases and before they are written. */
    duringUp?: (step: number) => Promise<void>;
    /** The commit the next plain `up` ships (a new one publishes a new version). */
    commit = "rehearsal-0";
    /**
     * The clock an `up`'s duration passes on: the rehearsal's virtual clock, so a kill or an interrupt can land
     * inside an `up`. Until one is set, time simply advances.
     */
    clock: Clock;

    constructor(private readonly options: MockEngineStackOptions) {
        this.world = new SimulatedWorld(options.sim);
        this.clock = { now: () => options.sim.now().getTime(), sleep: async (ms) => options.sim.advance(ms) };
    }

    async outputs(): Promise<StackOutputs | undefined> {
        return this.last;
    }

    /** Every output the program exported at the last `up`, not only the rollout contract; undefined before the first. */
    exportedOutputs(): Record<string, unknown> | undefined {
        return this.lastExported;
    }

    async history(limit: number): Promise<UpdateRecord[]> {
        return this.updates.slice(-limit).reverse();
    }

    /** A plain `pulumi up` shipping `commit` (a git-triggered deploy). */
    async deploy(commit: string, message = `deploy ${commit}`): Promise<StackOutputs> {
        this.commit = commit;
        return this.run(undefined, message, 0);
    }

    async up(routing: RoutingOverride | undefined, message: string, signal?: AbortSignal): Promise<StackOutputs> {
        return this.upOn(this.clock, routing, message, signal);
    }

    /**
     * The same stack as seen by another process, whose `up`s pass on its own clock (an operator's converging
     * `up` in the rehearsal): one lock, one account, one history.
     */
    withClock(clock: Clock): StackDriver {
        return {
            outputs: () => this.outputs(),
            history: (limit) => this.history(limit),
            up: (routing, message, signal) => this.upOn(clock, routing, message, signal),
        };
    }

    /** Frees the lock of an `up` whose process died inside it (as `pulumi cancel` would), so that the next run can update the stack. */
    releaseLock(): void {
        this.holder = undefined;
    }

    private async upOn(clock: Clock, routing: RoutingOverride | undefined, message: string, signal?: AbortSignal): Promise<StackOutputs> {
        if (this.holder !== undefined) {
            this.record(message, "failed");
            throw new StackLockedError(
                `another update holds stack ${this.options.stack}: "${this.holder}" (conflict: Another update is currently in progress)`,
            );
        }
        this.holder = message;
        try {
            return await this.locked(clock, routing, message, signal);
        } finally {
            this.holder = undefined;
        }
    }

    private async locked(clock: Clock, routing: RoutingOverride | undefined, message: string, signal?: AbortSignal): Promise<StackOutputs> {
        const { faults } = this.options;
        const isStep = routing !== undefined && Object.values(routing).some((r) => r.weight > 0);
        const isRollback = routing !== undefined && !isStep;
        if (isStep) this.promoteUps += 1;
        const hits = (at: number | "rollback" | undefined) => (at === "rollback" ? isRollback : at !== undefined && this.promoteUps >= at);
        const durationMs = this.options.upDurationMs ?? UP_DURATION_MS;
        if (this.options.sim.credentialsExpired()) {
            this.record(message, "failed");
            throw new InfrastructureError(
                `pulumi up failed for stack ${this.options.stack}: ExpiredTokenException: The security token included in the request is expired (rehearsed credential expiry)`,
            );
        }
        if (hits(faults?.lockConflictAtStep)) {
            this.record(message, "failed");
            throw new StackLockedError(
                `another update holds stack ${this.options.stack} (rehearsed lock conflict ${faults!.lockConflictAtStep === "rollback" ? "on the rollback's up" : `from step ${faults!.lockConflictAtStep}`})`,
            );
        }
        if (hits(faults?.upFailsAtStep)) {
            await clock.sleep(durationMs);
            this.record(message, "failed");
            throw new InfrastructureError(
                `pulumi up failed for stack ${this.options.stack} (rehearsed provider failure ${faults!.upFailsAtStep === "rollback" ? "on the rollback's up" : `from step ${faults!.upFailsAtStep}`})`,
            );
        }
        const step = stepOf(routing) ?? this.promoteUps;
        const during = this.duringUp;
        this.world.beforeAliasWrite = isStep && during ? () => during(step) : undefined;
        try {
            return await this.run(routing, message, durationMs, signal, clock);
        } finally {
            this.world.beforeAliasWrite = undefined;
        }
    }

    private async run(
        routing: RoutingOverride | undefined,
        message: string,
        durationMs: number,
        signal?: AbortSignal,
        clock: Clock = this.clock,
    ): Promise<StackOutputs> {
        try {
            const exported = await this.program(routing);
            const outputs = readRolloutOutputs(exported);
            if (outputs === undefined)
                throw new InfrastructureError(`the program of stack ${this.options.stack} exported no outputs: export \`lambdaRollout\``);
            this.last = outputs;
            this.lastExported = exported;
        } catch (err) {
            this.record(message, "failed");
            // Bad input (a stack name, a config file, a key's value) stays a usage error with its key path, as
            // the real tool reports it before any `up`: only what the engine itself met is an infrastructure error.
            if (isUsageError(err)) throw err;
            throw new InfrastructureError(`pulumi up failed for stack ${this.options.stack}: ${(err as Error).message}`);
        }
        // The resources were updated as the `up` began; the rest of its time passes with traffic flowing.
        await clock.sleep(durationMs, signal);
        if (signal?.aborted) {
            this.record(message, "cancelled");
            throw new InfrastructureError(`the update of stack ${this.options.stack} was cancelled (${String(signal.reason)})`);
        }
        this.record(message, "succeeded");
        return this.last;
    }

    /**
     * The program's outputs for this `up`: the program run under the mock engine, or a routing-only `up` replayed
     * (routingReplay.ts) once the program has shown that routing changes nothing else.
     */
    private async program(routing: RoutingOverride | undefined): Promise<Record<string, any>> {
        const project = this.options.project ?? defaultProject();
        const key = upKey(this.options.stack, this.options.configFile, project, this.commit);
        if (routing && key && this.options.replayRoutingUps !== false && this.replay.replayable(key)) {
            this.programRuns.replayed += 1;
            return this.replay.replay(this.world, routing);
        }
        this.programRuns.full += 1;
        const applied: DeclaredResource[] = [];
        const world: ProgramWorld = {
            lambda: () => this.world.lambda(),
            sleep: (ms) => this.world.sleep(ms),
            register: (resource) => {
                applied.push(resource);
                return this.world.register(resource);
            },
        };
        const evaluation = await evaluateProgram({
            stack: this.options.stack,
            configFile: this.options.configFile,
            extraConfig: routing ? { [routingKey(project.name)]: routing } : undefined,
            project,
            world,
            commit: this.commit,
        });
        if (key) this.replay.observe({ key, routed: routing !== undefined, applied, outputs: evaluation.outputs });
        return evaluation.outputs;
    }

    private record(message: string, result: string): void {
        this.updates.push({ startTime: this.options.sim.now(), message, result });
    }
}
