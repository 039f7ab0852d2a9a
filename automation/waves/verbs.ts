/**
 * The operator verbs and `status` on a whole release (`--waves <plan>`), acting through each stack's own records
 * as the one-stack verbs do (automation/rollout/operator.ts), so that the release's run (in another process or
 * CI job) sees them at its next read:
 * - abort: every stack that received the candidate ends on stable: one under way is aborted (its owner, or the
 *   verb's own `up`, confirms), one promoted is put back here; the release's run then ends, aborted.
 * - pause: every stack under way holds its weight; every stack not started yet gets a pause before its first step,
 *   so the release starts none of them until `resume` (the released stacks' gates keep watching meanwhile).
 * - resume: every pause of the release is lifted.
 * - approve: every stack waiting for an approval of its next step gets it.
 */
import { ExitCode } from "../exitCodes";
import { UsageError } from "../errors";
import type { OperatorAction, OperatorCommand, OperatorResult } from "../rollout/operator";
import type { Clock, RolloutLog } from "../rollout/ports";
import { readRecord, stateOf, updateRecord } from "../rollout/record";
import { describeError, ROLLBACK_RETRY } from "../rollout/retry";
import { shortPrincipal, type RolloutState } from "../../domain/state";
import { stepsFor } from "../rollout/steps";
import type { StackStatus } from "../rollout/status";
import { describeMove, nextMove } from "./decide";
import { planStacks, waveOf, type WavePlan } from "./plan";
import { operateStack, putBack, readStack, type StackWorld } from "./stack";
import { standingOf, type StackStanding } from "./standing";

/** What a release verb needs: each stack's world, and the verb's own clock and log. */
export interface ReleaseVerbDeps {
    readonly worldOf: (stack: string) => StackWorld;
    readonly clock: Clock;
    readonly log: RolloutLog;
    /** Runs tasks at once (the rehearsal's timeline); default Promise.all. */
    readonly parallel?: <T>(tasks: (() => Promise<T>)[]) => Promise<T[]>;
}

/** What a release verb did: per stack, the one-stack verb's result or what was done instead. */
export interface ReleaseVerbResult {
    readonly action: OperatorAction;
    readonly plan: string;
    readonly stacks: Record<string, { readonly did: string; readonly confirmed: boolean }>;
    readonly exitCode: number;
}

/** The release's status: each stack's standing and status, and the release's next move. */
export interface ReleaseStatus {
    readonly plan: string;
    readonly waves: { readonly stacks: { readonly stack: string; readonly standing: StackStanding; readonly status: StackStatus }[] }[];
    readonly position: string;
}

/** Reads every stack of the plan: the release's status. */
export async function releaseStatus(deps: Pick<ReleaseVerbDeps, "worldOf" | "clock">, plan: WavePlan): Promise<ReleaseStatus> {
    const reads: Record<string, { standing: StackStanding; status: StackStatus }> = {};
    for (const stack of planStacks(plan)) {
        const read = await readStack(deps.worldOf(stack));
        reads[stack] = { standing: standingOf(stack, read), status: read.status };
    }
    const standings = Object.fromEntries(Object.entries(reads).map(([s, r]) => [s, r.standing]));
    return {
        plan: plan.name,
        waves: plan.waves.map((w) => ({ stacks: w.stacks.map((stack) => ({ stack, ...reads[stack] })) })),
        position: describeMove(plan, nextMove(plan, standings, deps.clock.now())),
    };
}

/** The release's status for a person. */
export function describeReleaseStatus(s: ReleaseStatus): string[] {
    const lines = [`release through wave plan ${s.plan}: ${s.position}`];
    s.waves.forEach((w, i) => {
        lines.push(`wave ${i + 1}:`);
        for (const { stack, standing } of w.stacks) {
            lines.push(`  ${stack}: ${standing.kind}${standing.release ? `, release ${standing.release}` : ""}`);
            for (const d of standing.detail) lines.push(`    ${d}`);
        }
    });
    return lines;
}

/** The exit code of a release's status: 3 when a record cannot be read, 1 when a stack was rolled back or aborted, else 0. */
export function releaseStatusExitCode(s: ReleaseStatus): number {
    const kinds = s.waves.flatMap((w) => w.stacks.map((x) => x.standing.kind));
    if (kinds.includes("unreadable")) return ExitCode.infrastructure;
    return kinds.some((k) => k === "rolled-back" || k === "aborted") ? ExitCode.rolledBack : ExitCode.ok;
}

/**
 * Runs a verb on the whole release. Nothing it applies to is a UsageError (exit 2) that changes nothing.
 * `principals` names who the caller is in each stack's account (STS), when the accounts differ.
 */
export async function operateRelease(
    deps: ReleaseVerbDeps,
    plan: WavePlan,
    command: OperatorCommand,
    principals: Readonly<Record<string, string | undefined>> = {},
): Promise<ReleaseVerbResult> {
    const standings: Record<string, StackStanding> = {};
    for (const stack of planStacks(plan)) standings[stack] = standingOf(stack, await readStack(deps.worldOf(stack)));
    const unreadable = Object.values(standings).filter((s) => s.kind === "unreadable");
    if (unreadable.length > 0) {
        throw new UsageError(
            `cannot ${command.action} the release of wave plan ${plan.name}: the rollout record of ${unreadable.map((s) => s.stack).join(", ")} cannot be read (\`lambda-rollout status -s <stack>\` says what fixes it); nothing was recorded`,
        );
    }
    const acts = actsOf(plan, standings, command);
    if (acts.length === 0) {
        throw new UsageError(
            `cannot ${command.action} the release of wave plan ${plan.name}: ${planStacks(plan)
                .map((s) => `${s} ${standings[s].kind}`)
                .join("; ")}`,
        );
    }
    const parallel = deps.parallel ?? ((tasks) => Promise.all(tasks.map((t) => t())));
    const own = (stack: string): OperatorCommand => {
        const principal = principals[stack] ?? command.principal;
        return { ...command, ...(principal ? { principal } : {}) };
    };
    const done = await parallel(acts.map((act) => () => act.run(deps, own(act.stack))));
    const stacks = Object.fromEntries(acts.map((a, i) => [a.stack, done[i]]));
    const confirmed = Object.values(stacks).every((s) => s.confirmed);
    return { action: command.action, plan: plan.name, stacks, exitCode: confirmed ? ExitCode.ok : ExitCode.infrastructure };
}

interface Act {
    readonly stack: string;
    run(deps: ReleaseVerbDeps, command: OperatorCommand): Promise<{ did: string; confirmed: boolean }>;
}

/** What the verb does to each stack (pure but for the acts it returns). */
function actsOf(plan: WavePlan, standings: Record<string, StackStanding>, command: OperatorCommand): Act[] {
    const all = planStacks(plan).map((s) => standings[s]);
    const verb = (s: StackStanding): Act => ({ stack: s.stack, run: (deps, own) => viaVerb(deps, s.stack, own) });
    switch (command.action) {
        case "abort":
            return all.flatMap((s): Act[] => {
                if (s.kind === "under-way" || s.kind === "rollback-pending") return [verb(s)];
                if (s.kind === "promoted") return [{ stack: s.stack, run: (deps, own) => putBackPromoted(deps, plan, s.stack, own) }];
                return [];
            });
        case "pause":
            return all.flatMap((s): Act[] => {
                if (s.kind === "under-way") return [verb(s)];
                if (s.kind === "not-started") return [{ stack: s.stack, run: (deps, own) => pauseBeforeStart(deps, s.stack, own) }];
                return [];
            });
        case "resume":
            return all.filter((s) => s.phases.includes("paused")).map(verb);
        case "approve":
            return all.filter((s) => s.phases.includes("awaiting-approval")).map(verb);
        case "promote-full":
            return all.filter((s) => s.kind === "under-way").map(verb);
    }
}

/** The one-stack verb; a stack it does not apply to (its rollout moved on meanwhile) is said, not counted. */
async function viaVerb(deps: ReleaseVerbDeps, stack: string, command: OperatorCommand): Promise<{ did: string; confirmed: boolean }> {
    try {
        const result: OperatorResult = await operateStack(deps.worldOf(stack), command);
        return {
            did: `${command.action}: ${Object.values(result.functions)
                .map((f) => f.after)
                .join("; ")}`,
            confirmed: result.confirmed,
        };
    } catch (err) {
        if (!(err instanceof UsageError)) throw err;
        deps.log.line(`${stack}: ${err.message}`);
        return { did: `skipped: ${err.message}`, confirmed: true };
    }
}

/** An abort of a stack the release promoted: its traffic back on stable, recorded as aborted, by whom and why. */
async function putBackPromoted(
    deps: ReleaseVerbDeps,
    plan: WavePlan,
    stack: string,
    command: OperatorCommand,
): Promise<{ did: string; confirmed: boolean }> {
    const reason = `release of wave plan ${plan.name} aborted by ${command.by}${command.reason ? `: ${command.reason}` : ""}`;
    const done = await putBack(deps.worldOf(stack), "aborted", reason, {
        by: command.by,
        ...(command.principal ? { principal: command.principal } : {}),
    });
    const landed = done.restored?.landed ?? true;
    return {
        did: `put back on stable (wave ${waveOf(plan, stack) + 1} was promoted)${landed ? "" : ": NOT all landed"}`,
        confirmed: landed,
    };
}

/**
 * A pause before a stack's first step: recorded on each of its aliases (compare-and-set, only where no rollout of
 * the candidate is recorded yet), with no owner, no traffic, step 0: the release does not start the stack until
 * `resume`, and a promote of it holds at 0% until then.
 */
async function pauseBeforeStart(
    deps: ReleaseVerbDeps,
    stack: string,
    command: OperatorCommand,
): Promise<{ did: string; confirmed: boolean }> {
    const world = deps.worldOf(stack);
    const outputs = await world.deps.stack.outputs();
    const steps = stepsFor(world.policy).length;
    let confirmed = true;
    for (const fn of Object.values(outputs?.functions ?? {})) {
        try {
            await updateRecord(
                world.deps,
                fn,
                (read) => {
                    const current = stateOf(read);
                    if (read.record.kind === "unreadable" || (current && current.candidate === fn.candidateVersion))
                        return { result: undefined };
                    const state: RolloutState = {
                        phase: "paused",
                        stable: read.stableVersion,
                        candidate: fn.candidateVersion,
                        step: 0,
                        steps,
                        weight: 0,
                        since: Math.floor(world.deps.clock.now() / 1000) * 1000,
                        by: command.by,
                        ...(command.principal ? { principal: shortPrincipal(command.principal) } : {}),
                        ...(command.reason ? { reason: command.reason } : {}),
                    };
                    return { write: { state }, result: undefined };
                },
                { retry: ROLLBACK_RETRY },
            );
            const after = stateOf(await readRecord(world.deps.lambda, world.deps.clock, fn));
            confirmed &&= after?.phase === "paused" && after.candidate === fn.candidateVersion;
        } catch (err) {
            deps.log.line(`${stack}: the pause was not recorded on ${fn.functionName}: ${describeError(err)}`);
            confirmed = false;
        }
    }
    return { did: "paused before its first step (the release starts it after resume)", confirmed };
}
