/**
 * Operator verbs on a rollout running in another process or job: `approve`, `pause`, `resume`, `promote --full`
 * and `abort` (Argo Rollouts' promote/pause/abort, CodeDeploy's "continue" and "stop"). They act through the
 * same durable state the promote keeps on each live alias (state.ts), never through a local file, so they work
 * from any shell or CI job with `lambda:GetAlias`/`UpdateAlias`, whether or not a promote is running:
 * - approve, pause, resume and `--full` record the change on the aliases; the promote that owns the rollout
 *   carries it out at its next poll (a promote run again honours it too);
 * - abort records the decision first (a promote run again completes it), then puts all traffic back on stable
 *   itself through the rollback mechanism: safety never waits for another process.
 */
import { ExitCode } from "../exitCodes";
import { UsageError } from "../errors";
import type { Clock, LambdaControl, StackDriver } from "./ports";
import { ROLLBACK_RETRY, withRetries } from "./retry";
import { decodeState, describeState, encodeState, isUnderWay, type RolloutState } from "./state";
import { readAlias, restoreTraffic, type RolloutLog } from "./traffic";

/** The verbs. */
export const OPERATOR_ACTIONS = ["approve", "pause", "resume", "promote-full", "abort"] as const;
export type OperatorAction = (typeof OPERATOR_ACTIONS)[number];

/** What an operator asked, and who. */
export interface OperatorCommand {
    readonly action: OperatorAction;
    readonly by: string;
    readonly reason?: string;
}

/**
 * The state after `command`, or why the rollout is not in a state it applies to (pure). Only a rollout under
 * way can be acted on; approve needs one waiting for approval, resume a paused one.
 */
export function transition(state: RolloutState | undefined, command: OperatorCommand, now: number): RolloutState | string {
    const { action, by, reason } = command;
    if (!state || !isUnderWay(state)) {
        return state ? `no rollout under way (${describeState(state)})` : "no rollout under way (no rollout state recorded on the alias)";
    }
    const since = Math.floor(now / 1000) * 1000;
    switch (action) {
        case "approve":
            if (state.phase !== "awaiting-approval") return `nothing is waiting for approval (${describeState(state)})`;
            return { ...state, request: "approve", by };
        case "pause":
            if (state.phase === "paused") return `already paused (${describeState(state)})`;
            if (state.phase === "awaiting-approval") return `already holding its weight, waiting for approval (${describeState(state)})`;
            return { ...state, phase: "paused", since, by, ...(reason ? { reason } : {}) };
        case "resume": {
            if (state.phase !== "paused") return `not paused (${describeState(state)})`;
            const { reason: _pauseReason, ...rest } = state;
            return { ...rest, phase: "baking", since, by };
        }
        case "promote-full":
            return { ...state, request: "full", by, reason: reason ?? "promote --full" };
        case "abort": {
            const { request: _dropped, ...rest } = state;
            return { ...rest, phase: "aborting", since, by, reason: `aborted by ${by}${reason ? `: ${reason}` : ""}` };
        }
    }
}

/**
 * The side effects of a verb: the stack's outputs (which functions), the aliases, a clock; an `up` for abort's
 * convergence (left to the promote that owns the rollout when `converge` is false, as in a rehearsal).
 */
export interface OperatorDeps {
    readonly stack: StackDriver;
    readonly lambda: LambdaControl;
    readonly clock: Clock;
    readonly log: RolloutLog;
    readonly random?: () => number;
}

/** What a verb did, per function: the state before and after (as `status` describes them). */
export interface OperatorResult {
    readonly action: OperatorAction;
    readonly by: string;
    readonly functions: Record<string, { before: string; after: string }>;
    /** Abort only: whether all traffic was read back on stable. */
    readonly landed?: boolean;
    readonly exitCode: number;
}

/**
 * Runs a verb on every function of the stack whose alias records a rollout under way. Nothing under way, or a
 * rollout in a state the verb does not apply to, is a UsageError (exit 2) that changes nothing and says where
 * the rollout stands.
 */
export async function operate(
    deps: OperatorDeps,
    stackName: string,
    command: OperatorCommand,
    options: { converge?: boolean } = {},
): Promise<OperatorResult> {
    const outputs = await deps.stack.outputs();
    if (!outputs?.functions || Object.keys(outputs.functions).length === 0) {
        throw new UsageError(`stack ${stackName} has no outputs yet: nothing deployed, no rollout to ${verb(command.action)}`);
    }
    const planned: { key: string; functionName: string; aliasName: string; before: RolloutState; after: RolloutState }[] = [];
    const refusals: string[] = [];
    for (const [key, fn] of Object.entries(outputs.functions)) {
        const live = await readAlias(deps.lambda, deps.clock, fn.functionName, fn.aliasName);
        const before = decodeState(live.description);
        const after = transition(before, command, deps.clock.now());
        if (typeof after === "string") refusals.push(`${key}: ${after}`);
        else planned.push({ key, functionName: fn.functionName, aliasName: fn.aliasName, before: before!, after });
    }
    if (planned.length === 0) {
        throw new UsageError(`cannot ${verb(command.action)} on stack ${stackName}: ${refusals.join("; ")}`);
    }
    const retry = { clock: deps.clock, policy: ROLLBACK_RETRY, random: deps.random ?? Math.random };
    // The decision first, on every alias: a promote (this one's owner, or one run again) acts on it.
    for (const p of planned) {
        await withRetries(() => deps.lambda.updateAlias(p.functionName, p.aliasName, undefined, encodeState(p.after)), retry);
        deps.log.line(`${p.key}: ${describeState(p.after)}`);
    }
    let landed: boolean | undefined;
    if (command.action === "abort") landed = await putBackOnStable(deps, planned, outputs.region, options.converge ?? true);
    else
        deps.log.line(
            `recorded: the promote that owns the rollout acts on it at its next poll; if none is running, \`lambda-rollout promote -s ${stackName}\` carries it on`,
        );
    for (const r of refusals) deps.log.line(`skipped ${r}`);
    return {
        action: command.action,
        by: command.by,
        functions: Object.fromEntries(planned.map((p) => [p.key, { before: describeState(p.before), after: describeState(p.after) }])),
        ...(landed !== undefined ? { landed } : {}),
        exitCode: landed === false ? ExitCode.infrastructure : ExitCode.ok,
    };
}

/** Abort's own rollback: every planned function back on its recorded stable, recorded `aborted`; true when all landed. */
async function putBackOnStable(
    deps: OperatorDeps,
    planned: { key: string; functionName: string; aliasName: string; before: RolloutState; after: RolloutState }[],
    region: string | undefined,
    converge: boolean,
): Promise<boolean> {
    const reason = planned[0].after.reason!;
    const restored = await restoreTraffic(
        deps,
        planned.map((p) => ({
            key: p.key,
            functionName: p.functionName,
            aliasName: p.aliasName,
            to: p.before.stable,
            from: p.before.candidate,
            state: encodeState({ ...p.after, phase: "aborted", since: deps.clock.now() }),
        })),
        {
            message: `lambda-rollout abort: ${reason}`,
            retry: ROLLBACK_RETRY,
            upFallback: converge,
            converge,
            region,
            random: deps.random,
        },
    );
    const stranded = planned.filter((p) => !restored.functions[p.key].landed);
    deps.log.line(
        restored.landed
            ? `all traffic is on stable: ${planned.map((p) => `${p.key} v${p.before.stable} 100%`).join(", ")} (through ${restored.path})`
            : `THE ABORT DID NOT LAND for ${stranded.map((p) => `${p.key} (${restored.functions[p.key].manualCommand})`).join(", ")}`,
    );
    return restored.landed;
}

function verb(action: OperatorAction): string {
    return action === "promote-full" ? "promote --full" : action;
}

/** Who is acting, for the record: `--by`, else the CI's actor, else the user. */
export function actor(explicit: string | undefined, env: NodeJS.ProcessEnv, user: () => string): string {
    const who = explicit ?? env.LAMBDA_ROLLOUT_ACTOR ?? env.GITHUB_ACTOR ?? env.PULUMI_DEPLOYMENT_INITIATOR ?? env.USER ?? user();
    if (!/^[\w.@+-]{1,40}$/.test(who)) {
        throw new UsageError(`\`--by\` (got ${JSON.stringify(who)}): must be 1-40 letters, digits or . _ @ + -, e.g. --by alice`);
    }
    return who;
}
