/**
 * `--waves <plan>` on the command line: the option, the flags it refuses, and the verbs on a whole release
 * (automation/cli/waves.ts, loaded when one runs), each stack's real world built here as its own promote's is.
 */
import { Option } from "commander";
import { UsageError } from "../errors";
import { resolveProject } from "../project";
import type { OperatorAction } from "../rollout/operator";
import type { RolloutLog } from "../rollout/ports";
import { parseStackName } from "../stackName";
import type { StackWorld } from "../waves/stack";
import { realClock } from "../wiring/clock";
import type { CommonOptions } from "./options";
import { callerPrincipal, confirmation, realDeps, userName } from "./verbDeps";
import { verbModules as load } from "./verbModules";
import type { WavesFlags } from "./waves";

/** The `--waves <plan>` option of the verbs that act on a whole release. */
export const wavesOption = () =>
    new Option("--waves <plan>", "act on a whole release: the plan of that name in waves.yaml (its stacks, in waves) instead of one stack");

/** `--waves` acts on the stacks its plan names: a stack or a config file of its own is refused (exit 2). */
export function checkWavesFlags(opts: Partial<CommonOptions> & { retry?: boolean; strategy?: string; full?: boolean }): void {
    const conflicting = [
        ["--stack", opts.stack],
        ["--config-file", opts.configFile],
        ["--retry", opts.retry],
        ["--strategy", opts.strategy],
        ["--full", opts.full],
    ].filter(([, v]) => v !== undefined);
    if (conflicting.length > 0)
        throw new UsageError(
            `\`--waves\`: the wave plan names the stacks and each stack's config is its own Pulumi.<stack>.yaml: it takes no ${conflicting.map(([f]) => f).join(", ")}`,
        );
}

/**
 * One stack's real world in a release through several stacks (automation/cli/waves.ts): that stack's real world
 * (its own config file, region and credentials) wired as its own promote's is (automation/wiring: its hooks,
 * recent traffic, retention, notifications and deployment metrics), its lines prefixed with its name; and who
 * the caller is in its account.
 */
async function realStackWorld(stack: string, opts: CommonOptions, log: RolloutLog) {
    const { wireRollout } = load.wiring();
    const stackLog: RolloutLog = { line: (text) => log.line(`${stack} | ${text}`) };
    const deps = await realDeps({ ...opts, stack, configFile: undefined }, stackLog);
    const wiring = await wireRollout(
        deps.world,
        { stack: parseStackName(stack, deps.world.project.name).name, stackName: stack, log: stackLog, dryRun: opts.dryRun },
        deps.config,
    );
    const world: StackWorld = {
        stack,
        policy: deps.config.rollout,
        deps: { ...wiring.rollout, stack: deps.stack, clock: deps.clock, log: stackLog },
        notify: wiring.delivery,
    };
    return { world, principal: () => callerPrincipal(deps, stackLog) };
}

/**
 * A verb with `--waves <plan>`: on the whole release (automation/cli/waves.ts), each stack's real world built by
 * {@link realStackWorld}.
 */
export async function runWaves(
    verb: "promote" | "status" | OperatorAction,
    opts: CommonOptions & WavesFlags & { by?: string; reason?: string },
): Promise<void> {
    const { runWavesPromote, runWavesStatus, runWavesVerb } = load.waves();
    const { actor } = load.operator();
    const project = resolveProject(opts.cwd);
    const log = load.output().consoleLog(realClock, opts.json);
    const make = (stack: string) => realStackWorld(stack, opts, log);
    if (verb === "promote")
        process.exitCode = await runWavesPromote(project, opts, {
            log,
            clock: realClock,
            make,
            ...(confirmation(opts) ? { confirm: confirmation(opts) } : {}),
            actor: actor(opts.by, process.env, userName),
        });
    else if (verb === "status") process.exitCode = await runWavesStatus(project, opts, { clock: realClock, make });
    else {
        if (verb === "abort") {
            const confirm = confirmation(opts);
            if (
                confirm &&
                !(await confirm(
                    `Abort the whole release of wave plan ${opts.waves}: every stack that received the candidate back to stable?`,
                ))
            )
                throw new UsageError("not confirmed: nothing was changed");
        }
        process.exitCode = await runWavesVerb(project, verb, opts, {
            log,
            clock: realClock,
            make,
            by: actor(opts.by, process.env, userName),
        });
    }
}
