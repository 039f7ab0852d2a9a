/**
 * One stack of a release, as the release drives it: read where it stands, run its own promote (its own gates,
 * its own policy, exactly as `promote -s <stack>`), an operator verb on it, one look of its gates while the
 * release watches it between waves, and putting its traffic back on stable through the one rollback mechanism
 * (automation/rollout/traffic.ts). Everything with side effects comes in through the stack's {@link StackWorld}:
 * real AWS and Pulumi for `promote --waves`, a simulated account of its own for `rehearse --waves`.
 */
import type { RolloutPolicy } from "../../config/stackConfig";
import { assessStep, type GateResult } from "../rollout/assess";
import { operate, type OperatorCommand, type OperatorResult } from "../rollout/operator";
import type { RolloutDeps } from "../rollout/deps";
import type { EvidenceRequest, FunctionEvidence, StackOutputs } from "../rollout/ports";
import { promote, type PromoteOptions, type RolloutResult } from "../rollout/promote";
import type { RolloutReport } from "../rollout/report";
import { readRecord, stateOf } from "../rollout/record";
import { ROLLBACK_RETRY, INTERRUPT_RETRY, describeError } from "../rollout/retry";
import { rollbackTarget } from "../rollout/rollback";
import { shortPrincipal, type RolloutState } from "../../domain/state";
import { status } from "../rollout/status";
import { restoreTraffic, type RestoreResult, type TrafficMove } from "../rollout/traffic";
import { UsageError } from "../errors";
import type { StackRead } from "./standing";

/** The side effects of one stack (its account, its region, its credentials), and what its own promote follows. */
export interface StackWorld {
    readonly stack: string;
    /** As the stack's own promote gets them (each line of its log says the stack). No signal, no observer: the release passes its own. */
    readonly deps: Omit<RolloutDeps, "signal" | "observe">;
    /** The reviewed config's rollout policy (promote checks the stack's outputs carry the same). */
    readonly policy: RolloutPolicy;
    /** Options the world adds to each promote of the stack (the rehearsal's scenario hooks). */
    readonly promoteOptions?: Partial<PromoteOptions>;
    /**
     * The stack's notifications and deployment metrics (automation/wiring's `Delivery`, from the stack's own
     * `notifications` config): each report of its promote observed, and once the promote ended, the notifications
     * still in flight waited for and the metrics put, as `promote -s <stack>` does. Absent: none.
     */
    readonly notify?: {
        readonly observe: (report: RolloutReport) => void;
        finish(report: RolloutReport): Promise<RolloutReport>;
    };
}

/** What putting a stack back on stable did. */
export interface PutBack {
    readonly restored?: RestoreResult;
    /** The functions it moved, each from its candidate to its stable. */
    readonly moves: readonly TrafficMove[];
}

/** Reads where the stack stands: its status (each alias and record) and the release its outputs carry. */
export async function readStack(world: StackWorld): Promise<StackRead> {
    const outputs = await world.deps.stack.outputs();
    const read = await status(world.deps, world.stack);
    return { status: read, ...(outputs?.release ? { release: outputs.release } : {}) };
}

/**
 * The stack's own promote, its reports shown to `observe` (and to the stack's notifications), interrupted by
 * `signal`; once it ended, its notifications finished and its deployment metrics put, as its own promote does.
 */
export async function promoteStack(
    world: StackWorld,
    observe: RolloutDeps["observe"],
    signal: AbortSignal | undefined,
    options: Pick<PromoteOptions, "onInterrupt"> = {},
): Promise<RolloutResult> {
    const { notify } = world;
    const result = await promote(
        {
            ...world.deps,
            observe: (report) => {
                observe?.(report);
                notify?.observe(report);
            },
            ...(signal ? { signal } : {}),
        },
        { stackName: world.stack, policy: world.policy, ...world.promoteOptions, ...options },
    );
    return notify ? { ...result, report: await notify.finish(result.report) } : result;
}

/** An operator verb on the stack, as `lambda-rollout <verb> -s <stack>` runs it. */
export function operateStack(world: StackWorld, command: OperatorCommand, waitMs?: number): Promise<OperatorResult> {
    return operate(world.deps, world.stack, command, { approvers: world.policy.approvers, ...(waitMs !== undefined ? { waitMs } : {}) });
}

/** The stack's outputs, or a UsageError saying to deploy it. */
async function outputsOf(world: StackWorld): Promise<StackOutputs> {
    const outputs = await world.deps.stack.outputs();
    if (!outputs?.functions)
        throw new UsageError(`stack ${world.stack} has no outputs yet: deploy it with \`pulumi up --stack ${world.stack}\``);
    return outputs;
}

/**
 * One look of the stack's gates at its promoted candidate (pure decisions, assess.ts), over the evidence since
 * `sinceMs` (its promotion): the stack's rollback alarms, throttles, dead-letter errors, the candidate's error rate
 * against the absolute limit (stable serves nothing at 100%, so there is nothing to compare it with) and p99. A
 * window of `windowSeconds` decides when the look may pass (enough invocations), as a bake's length does.
 * Undefined when a function no longer serves its promoted candidate (someone moved it; the release reads it again).
 */
export async function lookAt(world: StackWorld, sinceMs: number, windowSeconds: number): Promise<GateResult | undefined> {
    const { deps, policy } = world;
    const outputs = await outputsOf(world);
    const requests: EvidenceRequest[] = [];
    const alarms: Record<string, string> = {};
    for (const [key, fn] of Object.entries(outputs.functions)) {
        const read = await readRecord(deps.lambda, deps.clock, fn);
        const state = stateOf(read);
        if (read.stableVersion !== fn.candidateVersion || read.candidate) return undefined;
        const stable = state?.candidate === fn.candidateVersion ? state.stable : fn.candidateVersion;
        requests.push({
            key,
            functionName: fn.functionName,
            aliasName: fn.aliasName,
            stableVersion: stable,
            candidateVersion: fn.candidateVersion,
            wholeAliasSinceMs: Math.ceil(sinceMs / 60_000) * 60_000,
        });
        if (fn.alarmNames?.rollback) alarms[key] = fn.alarmNames.rollback;
    }
    const now = deps.clock.now();
    const unreadable: Record<string, string> = {};
    let evidence: Record<string, FunctionEvidence> | undefined;
    try {
        evidence = await deps.metrics.evidence(requests, new Date(Math.floor(sinceMs / 60_000) * 60_000), new Date(now));
        for (const r of requests) if (evidence[r.key]?.unreadable) unreadable[r.key] = `metrics unreadable: ${evidence[r.key].unreadable}`;
    } catch (err) {
        deps.log.line(`watching: CloudWatch unavailable (${describeError(err)}); no evidence this look`);
    }
    let alarmsInAlarm: Record<string, string[]> | undefined;
    if (Object.keys(alarms).length > 0 && evidence) {
        try {
            const states = await deps.metrics.alarmStates(Object.values(alarms));
            alarmsInAlarm = Object.fromEntries(
                requests.map((r) => [r.key, alarms[r.key] && states[alarms[r.key]] === "ALARM" ? [alarms[r.key]] : []]),
            );
            for (const r of requests)
                if (alarms[r.key] && !states[alarms[r.key]]) unreadable[r.key] ??= `alarm ${alarms[r.key]} not found by DescribeAlarms`;
        } catch (err) {
            for (const r of requests) if (alarms[r.key]) unreadable[r.key] ??= `alarm states unreadable (${describeError(err)})`;
        }
    }
    return assessStep(
        {
            gates: policy.gates,
            bakeSeconds: windowSeconds,
            elapsedSeconds: (now - sinceMs) / 1000,
            weight: 1,
            evidence,
            rolloutEvidence: evidence,
            ...(alarmsInAlarm ? { alarmsInAlarm } : {}),
            unreadable,
        },
        requests.map((r) => r.key),
    );
}

/**
 * Puts every function of the stack that serves its candidate (all of it, or a share) back on the stable version
 * its record keeps (the previous published version when nothing recorded one), recording `phase` and why in the
 * same write: the fast path through the Lambda API, read back, then an `up` so the stack agrees (`quick`: the fast
 * path only, for an interrupt). A function already on stable is left alone.
 */
export async function putBack(
    world: StackWorld,
    phase: "rolled-back" | "aborted",
    reason: string,
    options: { readonly quick?: boolean; readonly by?: string; readonly principal?: string } = {},
): Promise<PutBack> {
    const quick = options.quick ?? false;
    const { deps } = world;
    const outputs = await outputsOf(world);
    const moves: TrafficMove[] = [];
    for (const [key, fn] of Object.entries(outputs.functions)) {
        const read = await readRecord(deps.lambda, deps.clock, fn);
        const serves = read.stableVersion === fn.candidateVersion || read.candidate?.version === fn.candidateVersion;
        if (!serves) continue;
        const state = stateOf(read);
        const recorded = state?.candidate === fn.candidateVersion ? state : undefined;
        const stable = recorded?.stable ?? (read.candidate ? read.stableVersion : await previousVersion(world, key, fn, read));
        if (stable === undefined || stable === fn.candidateVersion) continue;
        const next: RolloutState = {
            phase,
            stable,
            candidate: fn.candidateVersion,
            step: recorded?.step ?? 0,
            steps: recorded?.steps ?? 0,
            weight: 0,
            since: deps.clock.now(),
            reason,
            ...(options.by ? { by: options.by } : {}),
            ...(options.principal ? { principal: shortPrincipal(options.principal) } : {}),
        };
        moves.push({ key, functionName: fn.functionName, aliasName: fn.aliasName, to: stable, from: fn.candidateVersion, state: next });
    }
    if (moves.length === 0) return { moves };
    deps.log.line(`putting ${moves.map((m) => `${m.key} v${m.from} -> v${m.to}`).join(", ")} back on stable: ${reason}`);
    const restored = await restoreTraffic(deps, moves, {
        message: `lambda-rollout release: ${reason}`.slice(0, 1000),
        retry: quick ? INTERRUPT_RETRY : ROLLBACK_RETRY,
        upFallback: !quick,
        converge: !quick,
        region: outputs.region,
        random: deps.random,
    });
    for (const m of moves) {
        const fn = restored.functions[m.key];
        deps.log.line(fn.landed ? `${m.key}: all traffic on v${m.to}` : `${m.key}: NOT on v${m.to}: ${fn.error}; run: ${fn.manualCommand}`);
    }
    return { restored, moves };
}

/** Where a function promoted without a record goes back to: its previous published version (as `rollback` decides). */
async function previousVersion(
    world: StackWorld,
    key: string,
    fn: { functionName: string; aliasName: string },
    live: Parameters<typeof rollbackTarget>[2],
): Promise<string | undefined> {
    try {
        return rollbackTarget(key, fn, live, await world.deps.lambda.listVersions(fn.functionName))?.to;
    } catch (err) {
        world.deps.log.line(`${key}: nothing to put back on: ${describeError(err)}`);
        return undefined;
    }
}
