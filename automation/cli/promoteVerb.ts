/**
 * promote and retry: one rollout on one stack, its side effects wired once (automation/wiring), its report kept after
 * every change, interrupts handled. `promote --full` is an operator's request (operatorVerbs.ts) and `promote
 * --waves` a whole release (wavesVerb.ts).
 */
import { type Command, Option } from "commander";
import { STRATEGIES, type Strategy } from "../../domain/routing";
import { UsageError } from "../errors";
import { exitCodeForSignal } from "../exitCodes";
import { handleInterrupts } from "../interrupts";
import { reportKeeper, writeReportFile } from "../reportWriter";
import type { RolloutLog } from "../rollout/ports";
import type { Stage } from "../wiring/run";
import type { RolloutReport } from "../rollout/report";
import { parseStackName } from "../stackName";
import { realClock } from "../wiring/clock";
import { htmlOption } from "./htmlOption";
import { runOperator } from "./operatorVerbs";
import {
    byOption,
    type CommonOptions,
    configFileOption,
    cwdOption,
    jsonOption,
    nonInteractiveOption,
    reasonOption,
    reportOption,
    stackOption,
    yesOption,
} from "./options";
import { callerPrincipal, confirmation, type RealDeps, realDeps, userName } from "./verbDeps";
import { verbModules as load } from "./verbModules";
import type { WavesFlags } from "./waves";
import { runWaves, wavesOption } from "./wavesVerb";

/** The flags promote and retry read. */
type PromoteFlags = CommonOptions & {
    strategy?: Strategy;
    onInterrupt: "abort" | "hold";
    retry?: boolean;
    full?: boolean;
    by?: string;
    reason?: string;
};

/** promote and retry: one rollout, its report kept after every change, interrupts handled. */
async function runPromote(opts: PromoteFlags): Promise<void> {
    const { withStrategy } = load.promote();
    const { consoleLog } = load.output();
    const { runStack } = load.run();
    const log = consoleLog(realClock, opts.json);
    const deps = await realDeps(opts, log);
    // A --strategy the stack has no config for: exit 2 here, before the Pulumi CLI or AWS is asked anything.
    withStrategy(deps.config.rollout, opts.strategy, `stack ${opts.stack}`);
    const result = await runStack(promoteStage(opts, deps, log), deps.config, {
        stack: parseStackName(opts.stack, deps.world.project.name).name,
        stackName: opts.stack,
        log,
        dryRun: opts.dryRun,
    });
    process.exitCode = result.exitCode;
}

/**
 * The command line's stage (automation/wiring/run.ts): the real world, one promote with the report kept after
 * every change and interrupts handled, and, once it ended, the report's last write, the page, the summary.
 */
function promoteStage(opts: PromoteFlags, deps: RealDeps, log: RolloutLog): Stage {
    const { promote } = load.promote();
    const { askOnTerminal, summary } = load.output();
    const { actor } = load.operator();
    const { writeHtmlAfterRun } = load.reportCommand();
    const keeper = reportKeeper(opts.dryRun ? undefined : opts.report);
    return {
        world: async () => deps.world,
        run: async (wiring, config) => {
            const interrupts = handleInterrupts(
                (signal) =>
                    log.line(
                        `${signal} received: no traffic moves forward; ${opts.onInterrupt === "hold" ? "holding the current weight" : "aborting: all traffic back to stable"} (a second signal exits at once)`,
                    ),
                (signal) => {
                    // A second signal: the person or the CI runner will not wait. What the report holds is kept.
                    const latest = keeper.latest() as RolloutReport | undefined;
                    if (latest && opts.report)
                        writeReportFile(opts.report, {
                            ...latest,
                            interrupt: signal,
                            error: `${latest.error ? `${latest.error}; ` : ""}exited at once on a second ${signal}`,
                        });
                    console.error(
                        `${signal} again: exiting now. Where traffic is: \`lambda-rollout status --stack ${opts.stack}\`; a promote run again completes or resumes the rollout.`,
                    );
                    process.exit(exitCodeForSignal(signal));
                },
            );
            try {
                return await promote(
                    {
                        ...wiring.rollout,
                        stack: deps.stack,
                        clock: deps.clock,
                        log,
                        confirm: confirmation(opts),
                        observe: (report) => {
                            keeper.observe(report);
                            wiring.delivery.observe(report);
                        },
                        signal: interrupts.signal,
                        // A step that needs approval asks whoever is at the terminal (while `approve` from elsewhere also works),
                        // unless `rollout.approvers` does not name who runs this promote.
                        ...(process.stdin.isTTY && !opts.nonInteractive && (await mayApproveHere(deps, log))
                            ? {
                                  ask: (q: string, signal: AbortSignal) => askOnTerminal(q, signal),
                                  user: actor(undefined, process.env, userName),
                              }
                            : {}),
                    },
                    {
                        stackName: opts.stack,
                        dryRun: opts.dryRun,
                        strategy: opts.strategy,
                        onInterrupt: opts.onInterrupt,
                        retry: opts.retry,
                        // What review saw: the checked-out config's policy (promote refuses when the stack's outputs differ).
                        policy: config.rollout,
                    },
                );
            } finally {
                interrupts.dispose();
            }
        },
        ended: async (result) => {
            if (opts.dryRun) {
                if (opts.json) console.log(JSON.stringify({ dryRun: true, plan: result.plan ?? [], report: result.report }));
                return result;
            }
            keeper.observe(result.report);
            await writeHtmlAfterRun(opts.html, result.report);
            log.line(summary(result.report));
            if (opts.json) console.log(JSON.stringify(result.report));
            return result;
        },
        // The SDK clients hold no connection that outlives the process.
        close: async () => undefined,
    };
}

/**
 * Whether the person at this terminal may approve a step here: anyone when the reviewed config names no
 * `rollout.approvers`, else only when this promote's caller (STS) is one of them.
 */
async function mayApproveHere(deps: RealDeps, log: RolloutLog): Promise<boolean> {
    const approvers = deps.config.rollout.approvers;
    if (approvers.length === 0) return true;
    const { isApprover } = load.operator();
    const principal = await callerPrincipal(deps, log);
    const may = principal !== undefined && isApprover(principal, approvers);
    if (!may)
        log.line(
            `approval is not asked at this terminal: ${principal ?? "this caller"} is not one of \`rollout.approvers\` (an approver runs \`lambda-rollout approve\`)`,
        );
    return may;
}

/** The options of promote and retry; promote's (`withRetry`) add --retry, --full, --by and --reason. */
const promoteOptions = (command: Command, withRetry: boolean) => {
    command
        .addOption(stackOption())
        .addOption(cwdOption())
        .addOption(yesOption())
        .addOption(nonInteractiveOption())
        .addOption(configFileOption())
        .option("--dry-run", "print the plan (steps, weights, bakes, gates, calls) and touch nothing")
        .addOption(
            new Option("--strategy <strategy>", "use this strategy instead of the stack's (e.g. blue-green for a role change)").choices(
                STRATEGIES,
            ),
        )
        .addOption(
            new Option(
                "--on-interrupt <action>",
                "on SIGINT/SIGTERM: abort (all traffic back to stable) or hold (keep the weight, to resume)",
            )
                .choices(["abort", "hold"])
                .default("abort"),
        );
    if (withRetry) {
        command
            .option("--retry", "roll out again a candidate whose last rollout was rolled back or aborted, from the first step")
            .option("--full", "skip the remaining bakes of the rollout under way (recorded for the promote that owns it); needs --reason")
            .addOption(byOption())
            .addOption(reasonOption());
    }
    return command.addOption(jsonOption()).addOption(reportOption()).addOption(htmlOption());
};

/** Registers promote and retry, in that order. */
export function registerPromoteVerbs(program: Command): void {
    promoteOptions(
        program
            .command("promote")
            .description(
                "step the stack's live aliases to the candidate versions, with health gates between the steps; roll back on a failed gate",
            )
            .addOption(wavesOption())
            .option("--through-wave <n>", "with --waves: go on through wave n of the plan and stop there (one CI job per wave)"),
        true,
    ).action(async (opts: PromoteFlags & Partial<WavesFlags>) => {
        if (opts.waves !== undefined) return runWaves("promote", opts as PromoteFlags & WavesFlags);
        if (opts.throughWave !== undefined)
            throw new UsageError("`--through-wave`: goes with `--waves <plan>` (a release through several stacks)");
        if (opts.full) {
            if (opts.dryRun || opts.retry || opts.strategy)
                throw new UsageError("`--full`: acts on the rollout under way; it takes no --dry-run, --retry or --strategy");
            return runOperator("promote-full", opts);
        }
        return runPromote(opts);
    });

    promoteOptions(
        program
            .command("retry")
            .description("after an abort or a failed gate: roll the same candidate out again from the first step (promote --retry)"),
        false,
    ).action((opts: PromoteFlags) => runPromote({ ...opts, retry: true }));
}
