/**
 * Operator verbs on a rollout running in another process or job: `approve`, `pause`, `resume`, `promote --full`
 * and `abort` (Argo Rollouts' promote/pause/abort, CodeDeploy's "continue" and "stop"). They act through the
 * same durable record the promote keeps on each live alias (state.ts), never through a local file, and every
 * write is compare-and-set (record.ts). A verb says it succeeded only when a read confirms it:
 * - approve, pause, resume and `--full` record the request; the promote that owns the rollout carries it out at
 *   its next poll. An `up` of the owner's in flight (the record says so) may overwrite the request with what it
 *   was started with: the verb waits for that write, reads again, and records the request again if it was lost.
 * - abort records the decision and puts all traffic back on stable in the same write. It exits 0 only once a read
 *   made after every `up` in flight has ended shows all traffic on stable: confirmed by the owner when one is
 *   alive (its lease has not run out), else by the verb's own converging `up`, which holds the stack's lock.
 */
import { ExitCode } from "../exitCodes";
import { UsageError } from "../errors";
import { isApprover } from "./approvers";
import { VerbSession, type Planned } from "./confirmation";
import { readRecord, stateOf } from "./record";
import { describeState } from "../../domain/state";
import { recoveryAdvice, type UnreadableRecord } from "./unreadable";
import {
    GUARDED_ACTIONS,
    transition,
    verb,
    type OperatorAction,
    type OperatorCommand,
    type OperatorDeps,
    type OperatorOptions,
} from "./verbs";

export { isApprover };
export * from "./verbs";

/** What a verb did, per function: the state before and after (as `status` describes them). */
export interface OperatorResult {
    readonly action: OperatorAction;
    readonly by: string;
    readonly principal?: string;
    readonly functions: Record<string, { before: string; after: string }>;
    /** Whether a read confirmed the request (abort: all traffic on stable after every `up` in flight ended). */
    readonly confirmed: boolean;
    /** Abort only: whether all traffic was read back on stable. */
    readonly landed?: boolean;
    readonly exitCode: number;
}

/**
 * Runs a verb on every function of the stack whose alias records a rollout under way. Nothing under way, or a
 * rollout in a state the verb does not apply to, or a caller the `approvers` list does not name, is a UsageError
 * (exit 2) that changes nothing. A record that cannot be read is exit 3 with what fixes it.
 */
export async function operate(
    deps: OperatorDeps,
    stackName: string,
    command: OperatorCommand,
    options: OperatorOptions = {},
): Promise<OperatorResult> {
    const outputs = await deps.stack.outputs();
    if (!outputs?.functions || Object.keys(outputs.functions).length === 0) {
        throw new UsageError(`stack ${stackName} has no outputs yet: nothing deployed, no rollout to ${verb(command.action)}`);
    }
    checkApprover(command, options.approvers, stackName);
    const planned: Planned[] = [];
    const refusals: string[] = [];
    const unreadable: UnreadableRecord[] = [];
    for (const [key, fn] of Object.entries(outputs.functions)) {
        const read = await readRecord(deps.lambda, deps.clock, fn);
        if (read.record.kind === "unreadable") {
            unreadable.push({
                key,
                functionName: fn.functionName,
                aliasName: fn.aliasName,
                candidate: fn.candidateVersion,
                ...read.record,
            });
            continue;
        }
        const before = stateOf(read);
        const after = transition(before, command, deps.clock.now());
        if (typeof after === "string") refusals.push(`${key}: ${after}`);
        else planned.push({ key, functionName: fn.functionName, aliasName: fn.aliasName, before: before!, after });
    }
    if (unreadable.length > 0) return refuseUnreadable(deps, stackName, command, unreadable, outputs.region);
    if (planned.length === 0) {
        throw new UsageError(`cannot ${verb(command.action)} on stack ${stackName}: ${refusals.join("; ")}`);
    }
    for (const r of refusals) deps.log.line(`skipped ${r}`);
    const session = new VerbSession(deps, stackName, command, planned, outputs.region, options);
    const confirmed = await session.run();
    return {
        action: command.action,
        by: command.by,
        ...(command.principal ? { principal: command.principal } : {}),
        functions: Object.fromEntries(planned.map((p) => [p.key, { before: describeState(p.before), after: describeState(p.after) }])),
        confirmed,
        ...(command.action === "abort" ? { landed: session.landed } : {}),
        exitCode: confirmed ? ExitCode.ok : ExitCode.infrastructure,
    };
}

/** approve, resume and `--full` only from a principal the reviewed config names (exit 2, nothing recorded). */
function checkApprover(command: OperatorCommand, approvers: readonly string[] | undefined, stackName: string): void {
    if (!approvers || approvers.length === 0 || !GUARDED_ACTIONS.includes(command.action)) return;
    if (!command.principal) {
        throw new UsageError(
            `cannot ${verb(command.action)} on stack ${stackName}: \`rollout.approvers\` is set and who you are could not be read from AWS (STS GetCallerIdentity); nothing was recorded`,
        );
    }
    if (!isApprover(command.principal, approvers)) {
        throw new UsageError(
            `cannot ${verb(command.action)} on stack ${stackName}: ${command.principal} is not one of the stack's \`rollout.approvers\` (${approvers.join(", ")}); nothing was recorded`,
        );
    }
}

/** Unreadable records: the verb acts on nothing, says what each says and what fixes it; exit 3. */
async function refuseUnreadable(
    deps: OperatorDeps,
    stackName: string,
    command: OperatorCommand,
    unreadable: readonly UnreadableRecord[],
    region: string | undefined,
): Promise<OperatorResult> {
    const history = await deps.stack.history(50).catch(() => []);
    for (const u of unreadable) recoveryAdvice(u, history, stackName, region).forEach((l) => deps.log.line(l));
    deps.log.line(`nothing was recorded: cannot ${verb(command.action)} a rollout whose record cannot be read`);
    return { action: command.action, by: command.by, functions: {}, confirmed: false, exitCode: ExitCode.infrastructure };
}

/** Who is acting, for the record's display name: `--by`, else the CI's actor, else the user (self-asserted; the principal is AWS's word). */
export function actor(explicit: string | undefined, env: NodeJS.ProcessEnv, user: () => string): string {
    const who = explicit ?? env.LAMBDA_ROLLOUT_ACTOR ?? env.GITHUB_ACTOR ?? env.PULUMI_DEPLOYMENT_INITIATOR ?? env.USER ?? user();
    if (!/^[\w.@+-]{1,40}$/.test(who)) {
        throw new UsageError(`\`--by\` (got ${JSON.stringify(who)}): must be 1-40 letters, digits or . _ @ + -, e.g. --by alice`);
    }
    return who;
}
