/**
 * Reading and moving an alias's traffic, shared by promote and rollback. Moving traffic back has two paths:
 * an `up` with the routing (so the stack's state agrees), and, when the `up` cannot run (it fails, or another
 * update holds the stack), the Lambda API straight away; the rule of routing makes the next plain `up` keep it.
 */
import { readLiveRouting, trafficShares, type AliasRouting } from "../../components/routing";
import type { RoutingOverride } from "../../config/stackConfig";
import { InfrastructureError } from "../errors";
import type { Clock, LambdaControl, StackDriver } from "./ports";

/** Where the rollout's lines go. */
export interface RolloutLog {
    /** One decision or event, with its numbers. */
    line(text: string): void;
    /** A transient progress line (countdown); may be ignored. */
    progress?(text: string): void;
}

const ALIAS_REREADS = 3;

/** Reads an alias, reading again while AWS shows a transient 0/1 weight (terraform-provider-aws PR #48116). */
export async function readAlias(lambda: LambdaControl, clock: Clock, functionName: string, aliasName: string): Promise<AliasRouting> {
    let routing = readLiveRouting(await lambda.getAlias(functionName, aliasName));
    for (let i = 1; i < ALIAS_REREADS && routing.transient; i++) {
        await clock.sleep(2000);
        routing = readLiveRouting(await lambda.getAlias(functionName, aliasName));
    }
    return { stableVersion: routing.stableVersion, candidate: routing.candidate };
}

/** One function whose traffic goes all to `to`, taken from `from`. */
export interface TrafficMove {
    readonly key: string;
    readonly functionName: string;
    readonly aliasName: string;
    readonly to: string;
    readonly from: string;
}

/**
 * Puts all of each function's traffic on its `to` version: an `up` first, the Lambda API when the `up` cannot
 * run. Reads every alias back and throws an InfrastructureError naming the routing it saw if one is not there.
 */
export async function putAllTrafficOn(
    deps: { stack: StackDriver; lambda: LambdaControl; clock: Clock; log: RolloutLog },
    moves: TrafficMove[],
    message: string,
): Promise<{ path: "pulumi-up" | "lambda-api"; routing: Record<string, AliasRouting> }> {
    const { log } = deps;
    const routingOverride: RoutingOverride = Object.fromEntries(moves.map((m) => [m.key, { stable: m.to, candidate: m.from, weight: 0 }]));
    let path: "pulumi-up" | "lambda-api" = "pulumi-up";
    try {
        await deps.stack.up(routingOverride, message.slice(0, 1000));
    } catch (err) {
        log.line(`pulumi up could not move the traffic (${(err as Error).message}); moving it through the Lambda API instead`);
        for (const m of moves) {
            await deps.lambda.updateAlias(m.functionName, m.aliasName, { stableVersion: m.to });
        }
        path = "lambda-api";
        log.line("traffic moved through the Lambda API; the next plain `pulumi up` keeps it (rule of routing)");
    }
    const routing: Record<string, AliasRouting> = {};
    for (const m of moves) {
        const now = await readAlias(deps.lambda, deps.clock, m.functionName, m.aliasName);
        routing[m.key] = now;
        if (now.stableVersion !== m.to || now.candidate) {
            const seen = JSON.stringify(trafficShares(now));
            throw new InfrastructureError(`${m.key}: after moving all traffic to v${m.to} the alias routes ${seen}`, `${m.key}: ${seen}`);
        }
    }
    return { path, routing };
}
