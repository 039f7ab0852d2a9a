/**
 * The verbs on one stack's traffic and versions outside a rollout: rollback (all traffic back to stable, the
 * emergency), prune (old published versions deleted as retention allows) and status (where each function stands,
 * once or watched).
 */
import type { Command } from "commander";
import { ExitCode, UsageError } from "../errors";
import { realClock } from "../wiring/clock";
import { htmlOption } from "./htmlOption";
import {
    type CommonOptions,
    configFileOption,
    cwdOption,
    jsonOption,
    MAX_WATCH_INTERVAL,
    nonInteractiveOption,
    reportOption,
    stackOption,
    yesOption,
} from "./options";
import { confirmation, emit, realDeps } from "./verbDeps";
import { verbModules as load } from "./verbModules";
import type { WavesFlags } from "./waves";
import { runWaves, wavesOption } from "./wavesVerb";

/** Registers rollback, prune and status, in that order. */
export function registerStackVerbs(program: Command): void {
    program
        .command("rollback")
        .description("emergency: all traffic back to the stable version (a `pulumi up`, or the Lambda API when the up cannot run)")
        .addOption(stackOption())
        .addOption(cwdOption())
        .addOption(yesOption())
        .addOption(nonInteractiveOption())
        .addOption(configFileOption())
        .option("--to <version>", "roll back to this published version")
        .option("--dry-run", "print what would change and touch nothing")
        .addOption(jsonOption())
        .addOption(reportOption())
        .addOption(htmlOption())
        .action(async (opts: CommonOptions & { to?: string }) => {
            if (opts.to !== undefined && !/^[1-9]\d{0,9}$/.test(opts.to))
                throw new UsageError(`\`--to\` (got ${JSON.stringify(opts.to)}): must be a published version's number, e.g. 7`);
            const { rollback } = load.rollback();
            const { consoleLog, summary } = load.output();
            const { writeHtmlAfterRun } = load.reportCommand();
            const log = consoleLog(realClock, opts.json);
            const report = await rollback(
                { ...(await realDeps(opts, log)), log, confirm: confirmation(opts) },
                { stackName: opts.stack, to: opts.to, dryRun: opts.dryRun },
            );
            log.line(summary(report));
            emit(opts, report);
            if (!opts.dryRun) await writeHtmlAfterRun(opts.html, report);
            process.exitCode = report.outcome === "failed" ? ExitCode.infrastructure : ExitCode.ok;
        });

    program
        .command("prune")
        .description(
            "delete old published versions: keep the newest (lambda-rollout:retention.keep, default 10), every version an alias routes to, and the stable and candidate of a rollout in progress",
        )
        .addOption(stackOption())
        .addOption(cwdOption())
        .addOption(yesOption())
        .addOption(nonInteractiveOption())
        .addOption(configFileOption())
        .option("--dry-run", "list the versions it would delete per function, and why the others are kept; delete nothing")
        .addOption(jsonOption())
        .addOption(reportOption())
        .action(async (opts: CommonOptions) => {
            const { prune, summarizePrune } = load.prune();
            const log = load.output().consoleLog(realClock, opts.json);
            const deps = await realDeps(opts, log);
            const confirm = confirmation(opts);
            if (
                confirm &&
                !(await confirm(`Delete the published versions of ${opts.stack} that retention allows (listed with --dry-run)?`))
            ) {
                throw new UsageError("not confirmed: nothing was deleted");
            }
            const report = await prune({ ...deps, log }, { stackName: opts.stack, retention: deps.config.retention, dryRun: opts.dryRun });
            log.line(summarizePrune(report));
            emit(opts, report);
            process.exitCode = report.exitCode;
        });

    program
        .command("status")
        .description("per function: stable and candidate versions, live weights, alarm states, and the last rollout's steps")
        .addOption(stackOption())
        .addOption(cwdOption())
        .addOption(nonInteractiveOption())
        .addOption(configFileOption())
        .addOption(jsonOption())
        .option(
            "--watch",
            "refresh until the rollout ends (promoted, rolled back, aborted, held), then exit 1 if it was rolled back or aborted",
        )
        .option("--interval <seconds>", `seconds between refreshes with --watch, 1-${MAX_WATCH_INTERVAL}`, "10")
        .addOption(wavesOption())
        .action(async (opts: CommonOptions & Partial<WavesFlags> & { watch?: boolean; interval: string }) => {
            if (opts.waves !== undefined) {
                if (opts.watch)
                    throw new UsageError("`--watch`: not with `--waves` yet; run `status --waves` again, or `status -s <stack> --watch`");
                return runWaves("status", opts as typeof opts & WavesFlags);
            }
            const seconds = Number(opts.interval);
            if (!Number.isFinite(seconds) || seconds < 1 || seconds > MAX_WATCH_INTERVAL)
                throw new UsageError(
                    `\`--interval\` must be a number of seconds from 1 to ${MAX_WATCH_INTERVAL} (an hour): got ${JSON.stringify(opts.interval)}`,
                );
            const { status, describeStatus, watchExitCode, watchStatus } = load.status();
            const { printLines, statusView } = load.output();
            const deps = await realDeps(opts);
            if (!opts.watch) {
                const s = await status(deps, opts.stack);
                if (opts.json) console.log(JSON.stringify(s));
                else printLines(describeStatus(s));
                // A record that cannot be read is never "no rollout": said above, and exit 3.
                if (watchExitCode(s) === ExitCode.infrastructure) process.exitCode = ExitCode.infrastructure;
                return;
            }
            // With --json, one JSON status per line on stdout each time it is read; else a view for a person.
            const view = opts.json ? undefined : statusView(process.stdout, describeStatus);
            const stop = new AbortController();
            const onSigint = () => stop.abort();
            process.once("SIGINT", onSigint);
            try {
                const last = await watchStatus(
                    {
                        read: () => status(deps, opts.stack),
                        clock: deps.clock,
                        show: (s) => (view ? view.show(s) : console.log(JSON.stringify(s))),
                        signal: stop.signal,
                    },
                    seconds * 1000,
                );
                process.exitCode = stop.signal.aborted ? ExitCode.ok : watchExitCode(last);
            } finally {
                view?.done();
                process.off("SIGINT", onSigint);
            }
        });
}
