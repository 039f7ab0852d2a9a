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
import type { Clock, LambdaControl, RolloutLog, StackDriver } from "./ports";
import { readRecord, stateOf, updateRecord, type AliasRead } from "./record";
import { isApprover } from "./approvers";
import { describeError, ROLLBACK_RETRY } from "./retry";
import { describeState, encodeState, isAbortOf, isUnderWay, ownerAlive, shortPrincipal, type RolloutState } from "./state";
import { updateAliasCommand } from "./traffic";
import { recoveryAdvice, type UnreadableRecord } from "./unreadable";

/** The verbs. */
export const OPERATOR_ACTIONS = ["approve", "pause", "resume", "promote-full", "abort"] as const;
export type OperatorAction = (typeof OPERATOR_ACTIONS)[number];

/** The verbs an `approvers` list guards: those that let a rollout go further than its gates would alone. */
export const GUARDED_ACTIONS: readonly OperatorAction[] = ["approve", "resume", "promote-full"];

/** What an operator asked, and who. */
export interface OperatorCommand {
    readonly action: OperatorAction;
    /** The display name (`--by`, else the CI's actor or the user): self-asserted, shown beside the principal. */
    readonly by: string;
    /** Who the caller is as AWS says (STS GetCallerIdentity), when it could be read. */
    readonly principal?: string;
    readonly reason?: string;
}

/**
 * The state after `command`, or why the rollout is not in a state it applies to (pure). Only a rollout under
 * way can be acted on; approve needs one waiting for approval, resume a paused one. The owner's fields (its id,
 * lease, an `up` in flight) are the owner's and stay as they are.
 */
export function transition(state: RolloutState | undefined, command: OperatorCommand, now: number): RolloutState | string {
    const { action, reason } = command;
    if (!state || !isUnderWay(state)) {
        return state ? `no rollout under way (${describeState(state)})` : "no rollout under way (no rollout state recorded on the alias)";
    }
    const since = Math.floor(now / 1000) * 1000;
    const who = { by: command.by, ...(command.principal ? { principal: shortPrincipal(command.principal) } : {}) };
    switch (action) {
        case "approve":
            if (state.phase !== "awaiting-approval") return `nothing is waiting for approval (${describeState(state)})`;
            return { ...state, request: "approve", ...who };
        case "pause":
            if (state.phase === "paused") return `already paused (${describeState(state)})`;
            if (state.phase === "awaiting-approval") return `already holding its weight, waiting for approval (${describeState(state)})`;
            return { ...state, phase: "paused", since, ...who, ...(reason ? { reason } : {}) };
        case "resume": {
            if (state.phase !== "paused") return `not paused (${describeState(state)})`;
            const { reason: _pauseReason, ...rest } = state;
            return { ...rest, phase: "baking", since, ...who };
        }
        case "promote-full":
            return { ...state, request: "full", ...who, reason: reason ?? "promote --full" };
        case "abort": {
            const { request: _dropped, ...rest } = state;
            // The record keeps who (by, principal) and why apart: "aborted by ..." is said when it is read.
            const { reason: _earlier, ...kept } = rest;
            return { ...kept, phase: "aborting", since, ...who, ...(reason ? { reason } : {}) };
        }
    }
}

export { isApprover };

/** The side effects of a verb: the stack's outputs (which functions), the aliases, a clock; `up`s for abort's convergence. */
export interface OperatorDeps {
    readonly stack: StackDriver;
    readonly lambda: LambdaControl;
    readonly clock: Clock;
    readonly log: RolloutLog;
    readonly random?: () => number;
}

/** How a verb runs. */
export interface OperatorOptions {
    /** Principal ARN patterns that may approve, resume and `promote --full` (the reviewed config's `rollout.approvers`); none: anyone. */
    readonly approvers?: readonly string[];
    /** How long a verb waits for its confirmation (the owner's, an `up` in flight, the stack's lock), ms. */
    readonly waitMs?: number;
    /** How often it reads again meanwhile, ms. */
    readonly pollMs?: number;
}

/** How long a verb waits for its confirmation by default: past an owner's longest lease (an `up`'s), with margin. */
export const DEFAULT_WAIT_MS = 10 * 60_000;

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

/** One function a verb acts on. */
interface Planned {
    readonly key: string;
    readonly functionName: string;
    readonly aliasName: string;
    readonly before: RolloutState;
    after: RolloutState;
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

/** One verb's writes and its wait for the confirmation. */
class VerbSession {
    landed = false;
    private readonly started: number;
    private converged = false;
    private lastSaid = "";

    constructor(
        private readonly deps: OperatorDeps,
        private readonly stackName: string,
        private readonly command: OperatorCommand,
        private readonly planned: Planned[],
        private readonly region: string | undefined,
        private readonly options: OperatorOptions,
    ) {
        this.started = deps.clock.now();
    }

    private get abort(): boolean {
        return this.command.action === "abort";
    }

    /** Records the request (abort: and puts traffic back) on every function, then waits for the confirmation. */
    async run(): Promise<boolean> {
        for (const p of this.planned) {
            await this.record(p);
            this.deps.log.line(`${p.key}: ${describeState(p.after)}`);
        }
        return this.confirm();
    }

    /** Compare-and-set of the request on one alias (abort: with all traffic on stable); a refusal on the fresh read is said. */
    private async record(p: Planned): Promise<boolean> {
        const { result } = await updateRecord(
            this.deps,
            p,
            (read) => {
                const now = stateOf(read);
                const after = transition(now, this.command, this.deps.clock.now());
                if (typeof after === "string") return { result: after };
                p.after = after;
                return {
                    write: { state: after, ...(this.abort ? { routing: { stableVersion: p.before.stable } } : {}) },
                    result: undefined,
                };
            },
            { retry: ROLLBACK_RETRY, onRetry: (err) => this.deps.log.line(`${p.key}: UpdateAlias: ${describeError(err)}; trying again`) },
        );
        if (result !== undefined) this.deps.log.line(`${p.key}: not recorded: ${result}`);
        return result === undefined;
    }

    /** Reads until confirmed, or the wait runs out (then says what is known and how to finish). */
    private async confirm(): Promise<boolean> {
        const waitMs = this.options.waitMs ?? DEFAULT_WAIT_MS;
        const pollMs = this.options.pollMs ?? 5_000;
        for (;;) {
            const reads = await this.readAll();
            const verdict = reads ? await this.assess(reads) : "wait";
            if (verdict === "confirmed") return this.confirmed(reads!);
            if (verdict === "overtaken") return false;
            if (this.deps.clock.now() - this.started >= waitMs) return this.gaveUp(reads);
            await this.deps.clock.sleep(pollMs);
        }
    }

    /** Every planned alias, read now; undefined when one could not be read (read again next time). */
    private async readAll(): Promise<Map<string, AliasRead> | undefined> {
        const reads = new Map<string, AliasRead>();
        for (const p of this.planned) {
            try {
                reads.set(p.key, await readRecord(this.deps.lambda, this.deps.clock, p));
            } catch (err) {
                this.say(`could not read ${p.functionName}:${p.aliasName} (${describeError(err)}); reading again`);
                return undefined;
            }
        }
        return reads;
    }

    /** What the reads say: confirmed, lost (recorded again here), waiting on someone, or overtaken by the rollout's end. */
    private async assess(reads: Map<string, AliasRead>): Promise<"confirmed" | "wait" | "overtaken"> {
        const now = this.deps.clock.now();
        const states = this.planned.map((p) => stateOf(reads.get(p.key)!));
        const owner = states.find((s) => s && ownerAlive(s, now) && s.phase !== "aborted" && s.phase !== "rolled-back");
        const upComing = states.some((s) => s?.upInFlight) && owner !== undefined;
        if (this.abort) return this.assessAbort(reads, states, owner, upComing);
        const ended = states.find((s) => s && !isUnderWay(s) && !satisfied(this.command.action, s, this.planned[0].before));
        if (ended) {
            this.deps.log.line(
                `not confirmed: the rollout moved on before the ${verb(this.command.action)} took effect (${describeState(ended)})`,
            );
            return "overtaken";
        }
        const lost = this.planned.filter((p, i) => !satisfied(this.command.action, states[i], p.before));
        if (lost.length === 0) {
            if (!upComing) return "confirmed";
            this.say(
                `recorded; an \`up\` of the promote that owns the rollout (${owner!.owner}) is still to write the alias: reading again once it has`,
            );
            return "wait";
        }
        if (upComing) {
            this.say(
                `an \`up\` of the promote that owns the rollout (${owner!.owner}) overwrote the request or is about to: waiting for it, then recording it again`,
            );
            return "wait";
        }
        for (const p of lost) if (!(await this.record(p))) return "overtaken";
        this.say(`the request was overwritten (${lost.map((p) => p.key).join(", ")}): recorded it again`);
        return "wait";
    }

    /**
     * An abort: every alias back on stable with the abort (or a gate's rollback) recorded, read after every `up` in
     * flight ended: confirmed by a live owner's `aborted`, or by this verb's own converging `up` (the stack's lock
     * held: no other `up` is in flight) when no owner is alive. A lost abort is recorded again.
     */
    private async assessAbort(
        reads: Map<string, AliasRead>,
        states: (RolloutState | undefined)[],
        owner: RolloutState | undefined,
        upComing: boolean,
    ): Promise<"confirmed" | "wait" | "overtaken"> {
        const onStable = this.planned.every((p) => {
            const r = reads.get(p.key)!;
            return r.stableVersion === p.before.stable && !r.candidate;
        });
        const kept = this.planned.every((p, i) => {
            const s = states[i];
            return (
                s !== undefined &&
                s.candidate === p.before.candidate &&
                (isAbortOf(s, s.candidate) || s.phase === "rolling-back" || s.phase === "rolled-back")
            );
        });
        this.landed = onStable;
        if (upComing) {
            this.say(
                `an \`up\` of the promote that owns the rollout (${owner!.owner}) is still to write the alias: waiting for it, then making sure`,
            );
            return "wait";
        }
        if (!kept || !onStable) {
            for (const p of this.planned) await this.record(p);
            this.say(
                kept
                    ? "traffic was not on stable: put it back again"
                    : "the abort was overwritten by an `up` in flight: recorded it again, with all traffic on stable",
            );
            return "wait";
        }
        if (owner) {
            this.say(
                `traffic is on stable; waiting for the promote that owns the rollout (${owner.owner}, lease to ${iso(owner.lease!)}) to confirm`,
            );
            return "wait";
        }
        // No owner alive: this verb finishes the abort itself. Its `up` runs only once no other `up` holds the stack.
        if (!this.converged) return this.converge();
        for (const p of this.planned) {
            const s = states[this.planned.indexOf(p)];
            if (s?.phase === "aborting") await this.finish(p);
        }
        return "confirmed";
    }

    /**
     * The abort's own `up`, with all traffic on stable and `aborted` recorded: it holds the stack's lock, so once it
     * ran no other `up` is in flight; the next read confirms. Locked: wait for the update holding it. Failed
     * otherwise: traffic stays on stable in AWS (the rule of routing keeps it), said.
     */
    private async converge(): Promise<"wait"> {
        try {
            await this.deps.stack.up(
                Object.fromEntries(
                    this.planned.map((p) => [
                        p.key,
                        { stable: p.before.stable, candidate: p.before.candidate, weight: 0, state: encodeState(this.finalState(p)) },
                    ]),
                ),
                `lambda-rollout abort: ${this.planned[0].after.reason ?? "aborted"}`.slice(0, 1000),
            );
            this.converged = true;
        } catch (err) {
            if ((err as Error).name === "StackLockedError") {
                this.say(
                    `another update holds stack ${this.stackName}: waiting for it to end before confirming (it could still write the aliases)`,
                );
                return "wait";
            }
            this.converged = true;
            this.deps.log.line(
                `the stack's state was not brought in line (${describeError(err)}); traffic is on stable in AWS, and the next plain \`pulumi up\` keeps it (rule of routing)`,
            );
        }
        return "wait";
    }

    /** The record an abort finished by this verb leaves: `aborted`, without the owner's `up` mark. */
    private finalState(p: Planned): RolloutState {
        const { upInFlight: _u, ...rest } = p.after;
        return { ...rest, phase: "aborted", since: this.deps.clock.now() };
    }

    /** Records `aborted` where the abort is still only decided (compare-and-set: an `up` may not have left it so). */
    private async finish(p: Planned): Promise<void> {
        await updateRecord(
            this.deps,
            p,
            (read) => {
                const s = stateOf(read);
                return s?.phase === "aborting" && s.candidate === p.before.candidate
                    ? { write: { state: this.finalState(p) }, result: undefined }
                    : { result: undefined };
            },
            { retry: ROLLBACK_RETRY },
        );
    }

    private confirmed(reads: Map<string, AliasRead>): boolean {
        if (this.abort) {
            this.deps.log.line(
                `all traffic is on stable: ${this.planned.map((p) => `${p.key} v${reads.get(p.key)!.stableVersion} 100%`).join(", ")} (read after every \`up\` in flight ended)`,
            );
        } else {
            this.deps.log.line(
                `recorded and read back: the promote that owns the rollout acts on it at its next poll; if none is running, \`lambda-rollout promote -s ${this.stackName}\` carries it on`,
            );
        }
        return true;
    }

    /** The wait ran out: what is known, and the exact command to finish. */
    private gaveUp(reads: Map<string, AliasRead> | undefined): boolean {
        const where = reads
            ? this.planned
                  .map((p) => {
                      const r = reads.get(p.key)!;
                      return `${p.key} ${r.candidate ? `v${r.stableVersion} + v${r.candidate.version} ${Math.round(r.candidate.weight * 1000) / 10}%` : `v${r.stableVersion} 100%`} (${stateOf(r) ? describeState(stateOf(r)!) : "no record"})`;
                  })
                  .join("; ")
            : "the aliases could not be read";
        this.deps.log.line(`NOT CONFIRMED after ${Math.round((this.deps.clock.now() - this.started) / 1000)} s: ${where}`);
        if (this.abort) {
            this.deps.log.line(
                `to finish: \`lambda-rollout abort -s ${this.stackName}\` again once the update holding the stack has ended, or by hand: ${this.planned
                    .map((p) =>
                        updateAliasCommand({ functionName: p.functionName, aliasName: p.aliasName, to: p.before.stable }, this.region),
                    )
                    .join(" && ")}`,
            );
        } else {
            this.deps.log.line(
                `to finish: \`lambda-rollout ${verb(this.command.action)} -s ${this.stackName}\` again, and \`lambda-rollout status -s ${this.stackName}\` to see where the rollout stands`,
            );
        }
        return false;
    }

    /** A progress line, said once per change. */
    private say(text: string): void {
        if (text === this.lastSaid) return;
        this.lastSaid = text;
        this.deps.log.line(`[${Math.round((this.deps.clock.now() - this.started) / 1000)} s] ${text}`);
    }
}

/** Does the record show the request (or its effect: the owner acted on it)? */
function satisfied(action: OperatorAction, s: RolloutState | undefined, before: RolloutState): boolean {
    if (!s || s.candidate !== before.candidate) return false;
    switch (action) {
        case "approve":
            return s.request === "approve" || s.step > before.step || s.phase === "promoted";
        case "pause":
            return s.phase === "paused";
        case "resume":
            return s.phase !== "paused" && (isUnderWay(s) || s.phase === "promoted");
        case "promote-full":
            return s.request === "full" || s.phase === "promoted" || s.weight >= 1;
        case "abort":
            return isAbortOf(s, s.candidate);
    }
}

function iso(ms: number): string {
    return new Date(ms).toISOString();
}

function verb(action: OperatorAction): string {
    return action === "promote-full" ? "promote --full" : action;
}

/** Who is acting, for the record's display name: `--by`, else the CI's actor, else the user (self-asserted; the principal is AWS's word). */
export function actor(explicit: string | undefined, env: NodeJS.ProcessEnv, user: () => string): string {
    const who = explicit ?? env.LAMBDA_ROLLOUT_ACTOR ?? env.GITHUB_ACTOR ?? env.PULUMI_DEPLOYMENT_INITIATOR ?? env.USER ?? user();
    if (!/^[\w.@+-]{1,40}$/.test(who)) {
        throw new UsageError(`\`--by\` (got ${JSON.stringify(who)}): must be 1-40 letters, digits or . _ @ + -, e.g. --by alice`);
    }
    return who;
}
