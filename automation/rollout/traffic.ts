/**
 * Reading an alias, and the one mechanism that puts traffic back on stable (a gate's rollback, a failed smoke
 * test, an abort, an interrupt, the `rollback` command):
 *
 * 1. the fast path: UpdateAlias through the Lambda API for every function at once, each on its own (one
 *    failing does not stop the others), retried with capped exponential backoff and jitter on throttling,
 *    ResourceConflictException and server faults, for a bounded time; the rollout state is written in the
 *    same call;
 * 2. each alias read back: a function is safe only when AWS says so;
 * 3. for a function the fast path could not move, a `pulumi up` with the rollback routing (it may hold other
 *    credentials, e.g. Pulumi Deployments' OIDC role), unless time forbids it (an interrupt);
 * 4. optionally, an `up` that brings the stack's own state in line; if it cannot run, the rule of routing
 *    makes the next plain `up` keep what is live;
 * 5. what is still not on stable is said per function, with the exact `aws lambda update-alias` command.
 */
import { trafficShares, type AliasRouting } from "../../domain/routing";
import type { RoutingOverride } from "../../config/stackConfig";
import type { Clock, LambdaControl, RolloutLog, StackDriver } from "./ports";

export type { RolloutLog } from "./ports";
import { readAlias, updateRecord } from "./record";
import { describeError, withRetries, type RetryPolicy } from "./retry";
import { encodeState, type RolloutState } from "../../domain/state";

/** One function whose traffic goes all to `to`, taken from `from`. */
export interface TrafficMove {
    readonly key: string;
    readonly functionName: string;
    readonly aliasName: string;
    readonly to: string;
    readonly from: string;
    /** The rollout state to record on the alias with the move (its description); undefined leaves it. */
    readonly state?: RolloutState;
}

/** How one function ended up. */
export interface MoveOutcome {
    /** Read back on `to` with no split. */
    readonly landed: boolean;
    /** What was read from AWS at the end; undefined when it could not be read. */
    readonly routing?: AliasRouting;
    /** Why the move or the read failed. */
    readonly error?: string;
    /** For a person, when it did not land: the command that puts the traffic on stable. */
    readonly manualCommand?: string;
}

/** What {@link restoreTraffic} did. */
export interface RestoreResult {
    /** Every function read back on stable. */
    readonly landed: boolean;
    /** How traffic was moved: the fast path, or an `up` when the fast path could not. */
    readonly path: "lambda-api" | "pulumi-up";
    /** Whether an `up` brought the stack's state in line (undefined when none was tried). */
    readonly stackConverged?: boolean;
    readonly functions: Record<string, MoveOutcome>;
}

/** Options of {@link restoreTraffic}. */
export interface RestoreOptions {
    /** The message of the rollback's `up`. */
    readonly message: string;
    /** The retries of the fast path. */
    readonly retry: RetryPolicy;
    /** Try an `up` for what the fast path could not move (not on an interrupt: no time). */
    readonly upFallback: boolean;
    /** After the fast path landed, run an `up` so that the stack's state agrees. */
    readonly converge: boolean;
    /** The region, for the manual commands. */
    readonly region?: string;
    /** Jitter's randomness (seeded in the rehearsal, so a seed replays the same run). */
    readonly random?: () => number;
    /** Told the moment every function is read back on stable (before any converging `up`). */
    readonly onLanded?: () => void;
}

/** The dependencies of {@link restoreTraffic}. */
type RestoreDeps = { stack: StackDriver; lambda: LambdaControl; clock: Clock; log: RolloutLog };

/** Puts all of each function's traffic on its `to` version: see the module's comment for the order. */
export async function restoreTraffic(deps: RestoreDeps, moves: TrafficMove[], options: RestoreOptions): Promise<RestoreResult> {
    const { log } = deps;
    const outcomes = await fastPath(deps, moves, options);
    const stranded = () => moves.filter((m) => !outcomes[m.key].landed);
    if (stranded().length === 0) options.onLanded?.();
    let path: RestoreResult["path"] = "lambda-api";
    let stackConverged: boolean | undefined;
    const routingOverride: RoutingOverride = Object.fromEntries(
        moves.map((m) => [
            m.key,
            { stable: m.to, candidate: m.from, weight: 0, ...(m.state !== undefined ? { state: encodeState(m.state) } : {}) },
        ]),
    );
    // 3: an `up` for what the fast path could not move.
    if (stranded().length > 0 && options.upFallback) {
        log.line(
            `moving ${stranded()
                .map((m) => m.key)
                .join(", ")} with \`pulumi up\` instead`,
        );
        try {
            await deps.stack.up(routingOverride, options.message.slice(0, 1000));
            path = "pulumi-up";
            stackConverged = true;
        } catch (err) {
            stackConverged = false;
            log.line(`pulumi up could not move the traffic either: ${(err as Error).message}`);
        }
        for (const m of stranded()) outcomes[m.key] = await readBack(deps, m, options);
        if (stranded().length === 0) options.onLanded?.();
    } else if (options.converge && stranded().length === 0) {
        // 4: the fast path landed; bring the stack's state in line (best effort).
        try {
            await deps.stack.up(routingOverride, options.message.slice(0, 1000));
            stackConverged = true;
        } catch (err) {
            stackConverged = false;
            log.line(
                `the stack's state was not brought in line (${(err as Error).message}); traffic is on stable in AWS, and the next plain \`pulumi up\` keeps it (rule of routing)`,
            );
        }
    }
    // 5: what is still not on stable.
    for (const m of stranded()) outcomes[m.key] = { ...outcomes[m.key], manualCommand: updateAliasCommand(m, options.region) };
    return { landed: stranded().length === 0, path, stackConverged, functions: outcomes };
}

/** Retrying with the options' policy, saying each retry. */
function retrying(deps: RestoreDeps, options: RestoreOptions, what: string) {
    return {
        clock: deps.clock,
        policy: options.retry,
        random: options.random ?? Math.random,
        onRetry: (err: unknown, attempt: number, delay: number) =>
            deps.log.line(`${what}: ${describeError(err)}; attempt ${attempt + 1} in ${delay} ms`),
    };
}

/** Steps 1-2: UpdateAlias for every function at once, each on its own, retried, read back. */
async function fastPath(deps: RestoreDeps, moves: TrafficMove[], options: RestoreOptions): Promise<Record<string, MoveOutcome>> {
    const fast = await Promise.all(
        moves.map(async (m): Promise<MoveOutcome> => {
            try {
                // Compare-and-set like every write of the record (record.ts); the decision is always to put the
                // traffic back, so a write that met a change is simply made again on the fresh read.
                await updateRecord(
                    { ...deps, random: options.random },
                    m,
                    () => ({ write: { routing: { stableVersion: m.to }, ...(m.state ? { state: m.state } : {}) }, result: undefined }),
                    { retry: options.retry, onRetry: retrying(deps, options, `UpdateAlias ${m.functionName}:${m.aliasName}`).onRetry },
                );
            } catch (err) {
                deps.log.line(`${m.key}: the Lambda API could not move the traffic to v${m.to}: ${(err as Error).message}`);
                const back = await readBack(deps, m, options);
                return back.landed ? back : { ...back, error: describeError((err as { cause?: unknown }).cause ?? err) };
            }
            return readBack(deps, m, options);
        }),
    );
    return Object.fromEntries(moves.map((m, i) => [m.key, fast[i]]));
}

/** Reads a function's alias back: landed only when AWS says all traffic is on `to`. */
async function readBack(deps: RestoreDeps, m: TrafficMove, options: RestoreOptions): Promise<MoveOutcome> {
    try {
        const now = await withRetries(
            () => readAlias(deps.lambda, deps.clock, m.functionName, m.aliasName),
            retrying(deps, options, `reading ${m.functionName}:${m.aliasName}`),
        );
        const landed = now.stableVersion === m.to && !now.candidate;
        return { landed, routing: now, ...(landed ? {} : { error: `the alias routes ${JSON.stringify(trafficShares(now))}` }) };
    } catch (err) {
        return { landed: false, error: `could not read the alias back: ${describeError((err as { cause?: unknown }).cause ?? err)}` };
    }
}

/** The AWS CLI command that puts all of a function's traffic on `to` (for a person, when the tool could not). */
export function updateAliasCommand(m: Pick<TrafficMove, "functionName" | "aliasName" | "to">, region?: string): string {
    return (
        `aws lambda update-alias --function-name ${m.functionName} --name ${m.aliasName} --function-version ${m.to} ` +
        `--routing-config '{"AdditionalVersionWeights":{}}'${region ? ` --region ${region}` : ""}`
    );
}
