/**
 * The operator verbs (approve, pause, resume, abort, and `promote --full`): a request recorded on the aliases for
 * the promote that owns the rollout, which confirms it; abort also moves traffic itself. With `--waves`, on every
 * stack of a release (wavesVerb.ts).
 */
import type { Command } from "commander";
import { UsageError } from "../errors";
import type { OperatorAction } from "../rollout/operator";
import { realClock } from "../wiring/clock";
import {
    byOption,
    type CommonOptions,
    configFileOption,
    cwdOption,
    jsonOption,
    MAX_VERB_WAIT_SECONDS,
    nonInteractiveOption,
    parseBoundedDuration,
    reasonOption,
    stackOption,
    waitOption,
    yesOption,
} from "./options";
import { callerPrincipal, confirmation, realDeps, userName } from "./verbDeps";
import { verbModules as load } from "./verbModules";
import type { WavesFlags } from "./waves";
import { runWaves, wavesOption } from "./wavesVerb";

/** An operator verb: recorded on the aliases for the promote that owns the rollout (abort also moves traffic itself). */
export async function runOperator(
    action: OperatorAction,
    opts: CommonOptions & { by?: string; reason?: string; wait?: string },
): Promise<void> {
    const { actor, operate } = load.operator();
    const { consoleLog } = load.output();
    const by = actor(opts.by, process.env, userName);
    const waitMs = opts.wait === undefined ? undefined : parseBoundedDuration(opts.wait, "--wait", MAX_VERB_WAIT_SECONDS) * 1000;
    if (action === "promote-full" && !opts.reason) {
        throw new UsageError(
            '`--reason`: is required with --full (why the remaining bakes are skipped goes into the report), e.g. --reason "hotfix for INC-123"',
        );
    }
    const log = consoleLog(realClock, opts.json);
    const deps = await realDeps(opts, log);
    if (action === "abort") {
        const confirm = confirmation(opts);
        if (confirm && !(await confirm(`Abort the rollout on ${opts.stack}: all traffic back to stable?`))) {
            throw new UsageError("not confirmed: nothing was changed");
        }
    }
    const principal = await callerPrincipal(deps, log);
    const result = await operate(
        { ...deps, log },
        opts.stack,
        { action, by, ...(principal ? { principal } : {}), ...(opts.reason ? { reason: opts.reason } : {}) },
        { approvers: deps.config.rollout.approvers, ...(waitMs !== undefined ? { waitMs } : {}) },
    );
    if (opts.json) console.log(JSON.stringify(result));
    process.exitCode = result.exitCode;
}

const operatorVerbs: [OperatorAction, string, string][] = [
    ["approve", "approve", "approve the step a rollout is waiting on (the promote that owns it goes on at its next poll)"],
    ["pause", "pause", "hold the current weight (gates keep watching and still roll back on a failure) until resume"],
    ["resume", "resume", "go on with a paused rollout"],
    ["abort", "abort", "all traffic back to stable now; the promote that owns the rollout stops and records it (outcome aborted)"],
];

/** Registers approve, pause, resume and abort, in that order. */
export function registerOperatorVerbs(program: Command): void {
    for (const [action, name, description] of operatorVerbs) {
        const command = program
            .command(name)
            .description(description)
            .addOption(stackOption())
            .addOption(cwdOption())
            .addOption(yesOption())
            .addOption(nonInteractiveOption())
            .addOption(configFileOption())
            .addOption(byOption());
        if (action === "pause" || action === "abort") command.addOption(reasonOption());
        command.addOption(waitOption()).addOption(wavesOption());
        command
            .addOption(jsonOption())
            .action((opts: CommonOptions & Partial<WavesFlags> & { by?: string; reason?: string }) =>
                opts.waves !== undefined ? runWaves(action, opts as typeof opts & WavesFlags) : runOperator(action, opts),
            );
    }
}
