/**
 * A rehearsal's routing-only `up`s without running the whole program again.
 *
 * A promote's step `up` (and a rollback's) passes nothing new but `<project>:routing`: the same config file, commit
 * and code. What the program then declares differs from the last `up` only in the `live` aliases (the component's
 * rule, components/progressiveFunction.ts `aliasOnUp`) and in the outputs that report them. The first such `up` runs
 * in full and is checked for exactly that against the `up` before it: the same resources, aliases aside, with the
 * same inputs, and the same outputs, routing aside. From then on such an `up` is replayed: every live alias read as
 * the program reads it (components/liveAlias.ts), as the program is built; then every resource the provider got the
 * last time applied again, in the same order, each alias with what `aliasOnUp` makes of it now, so an abort that
 * lands inside an `up` (the rehearsal's `beforeAliasWrite`) still lands between the read and the first alias
 * write; and the last outputs with the new routing. Anything else runs in full: a plain `up`, another commit, an
 * edited config file, or a program whose other resources or outputs follow the routing (the check fails, for good).
 */
import { aliasOnUp } from "../../components/progressiveFunction";
import { readLiveAlias, setLambdaClientFactory } from "../../components/liveAlias";
import type { Strategy } from "../../domain/routing";
import { readRolloutOutputs, type RolloutOutputs } from "../../components/rolloutOutputs";
import { isDeepStrictEqual } from "util";
import type { RoutingOverride } from "../../config/stackConfig";
import { inProgramQueue, type ProgramWorld } from "../engine/evaluate";
import { T, type DeclaredResource } from "../engine/resourceTypes";
import { sleep } from "../timers";

/** An `up` that ran the program in full. */
export interface FullUp {
    /** What it ran with, but the routing: the stack, the config file and its text, the project, the commit. */
    readonly key: string;
    /** Whether it passed routing (a promote's or a rollback's `up`). */
    readonly routed: boolean;
    /** Every resource the provider got (ProgramWorld.register), in order. */
    readonly applied: readonly DeclaredResource[];
    readonly outputs: Record<string, any>;
}

/** The contract's fields that report the routing an `up` decided, per function. */
const ROUTING_FIELDS = ["stableVersion", "liveWeights", "routingSource"] as const;

/** The `up`s a stack ran in full, and whether the next routing-only one may be replayed. */
export class RoutingReplay {
    private last?: FullUp;
    private checked?: string;
    private readonly refused = new Set<string>();

    /** After an `up` that ran the program in full: the first routed one is checked against the one before. */
    observe(up: FullUp): void {
        const previous = this.last;
        this.last = up;
        if (this.checked === up.key || this.refused.has(up.key) || !up.routed || previous?.key !== up.key) return;
        if (sameButRouting(previous, up)) this.checked = up.key;
        else this.refused.add(up.key);
    }

    /** Whether a routing-only `up` with this key may be replayed. */
    replayable(key: string): boolean {
        return this.last?.key === key && this.checked === key && !this.refused.has(key);
    }

    /**
     * Replays a routing-only `up` on `world` (see the module's comment) and returns its outputs; it throws what
     * the program would have: a refusal, an alias that could not be read, a resource the provider refused.
     */
    replay(world: ProgramWorld, routing: RoutingOverride): Promise<Record<string, any>> {
        const last = this.last!;
        // The program's Lambda client is process-global, as the Pulumi runtime is: one evaluation at a time.
        return inProgramQueue(async () => {
            setLambdaClientFactory((region) => world.lambda(region), world.sleep ? (ms) => world.sleep!(ms) : (ms) => sleep(ms));
            const contract = readRolloutOutputs(last.outputs)!;
            const keys = Object.keys(contract.functions);
            const reads = await Promise.allSettled(
                keys.map((k) => readLiveAlias(contract.region, contract.functions[k].functionName, contract.functions[k].aliasName)),
            );
            const live = new Map(keys.map((k, i) => [k, reads[i]]));
            const published = new Map<string, string>();
            const decided: Record<string, ReturnType<typeof aliasOnUp>["outputs"] & { candidateVersion: string }> = {};
            let failure: unknown;
            for (const resource of last.applied) {
                try {
                    if (resource.type !== T.alias) {
                        const answer = await applied(world, resource);
                        if (resource.type === T.fn) published.set(resource.inputs.name, answer.state.version);
                        continue;
                    }
                    const key = keyOf(contract, resource)!;
                    const read = live.get(key)!;
                    if (read.status === "rejected") throw read.reason;
                    const candidateVersion =
                        published.get(contract.functions[key].functionName) ?? contract.functions[key].candidateVersion;
                    const onUp = aliasOnUp({
                        strategy: contract.strategy as Strategy,
                        publishedVersion: candidateVersion,
                        live: read.value,
                        explicit: routing[key],
                    });
                    const { routingConfig, ...alias } = onUp.alias;
                    const { routingConfig: _was, ...kept } = resource.inputs;
                    await applied(world, { ...resource, inputs: { ...kept, ...alias, ...(routingConfig ? { routingConfig } : {}) } });
                    decided[key] = { ...onUp.outputs, candidateVersion };
                } catch (err) {
                    // As in the program: what fails stops that resource, the others are still applied, and the `up` fails.
                    failure ??= err;
                }
            }
            if (failure) throw failure;
            return withRouting(last.outputs, decided);
        });
    }
}

/** A resource applied as the engine registers it: a provider's refusal names the resource, as the engine says it. */
async function applied(world: ProgramWorld, resource: DeclaredResource): Promise<{ id: string; state: Record<string, any> }> {
    try {
        return await world.register(resource);
    } catch (err) {
        throw new Error(`failed to register new resource ${resource.name} [${resource.type}]: ${(err as Error).message}`, { cause: err });
    }
}

/** The function's key in the contract whose alias this is; undefined for an alias the contract does not name. */
function keyOf(contract: RolloutOutputs, alias: DeclaredResource): string | undefined {
    return Object.keys(contract.functions).find(
        (k) => contract.functions[k].functionName === alias.inputs.functionName && contract.functions[k].aliasName === alias.inputs.name,
    );
}

/** The outputs with each function's routing fields (and published version) as this `up` decided them. */
function withRouting(outputs: Record<string, any>, decided: Record<string, Record<string, unknown>>): Record<string, any> {
    const copy = structuredClone(outputs);
    const functions = copy.lambdaRollout?.functions ?? copy.functions;
    for (const [key, fields] of Object.entries(decided)) Object.assign(functions[key], fields);
    return copy;
}

/** The outputs with every function's routing fields left out: what a routing-only `up` must not change. */
function routingAside(outputs: Record<string, any>): unknown {
    const copy = structuredClone(outputs);
    const functions: Record<string, Record<string, unknown>> = copy.lambdaRollout?.functions ?? copy.functions ?? {};
    for (const f of Object.values(functions)) for (const field of ROUTING_FIELDS) delete f[field];
    return copy;
}

/**
 * Whether two full `up`s of one key differ only by the routing: the same resources applied (aliases by name, the
 * rest with the same inputs), every alias one the contract names, and the same outputs but the routing fields.
 */
export function sameButRouting(a: FullUp, b: FullUp): boolean {
    let contract: RolloutOutputs | undefined;
    try {
        contract = readRolloutOutputs(b.outputs);
    } catch {
        return false;
    }
    if (!contract) return false;
    const shape = (up: FullUp) =>
        up.applied
            .map((r) => JSON.stringify([r.type, r.name, r.type === T.alias ? [r.inputs.functionName, r.inputs.name] : r.inputs]))
            .sort();
    const aliasesNamed = b.applied.filter((r) => r.type === T.alias).every((r) => keyOf(contract!, r) !== undefined);
    return aliasesNamed && isDeepStrictEqual(shape(a), shape(b)) && isDeepStrictEqual(routingAside(a.outputs), routingAside(b.outputs));
}
