#!/usr/bin/env node
/**
 * The entry point of the rollout tool: the program, its global options and the preAction hook (the Pulumi CLI's
 * conventions), the verbs registered in help order from their modules (automation/cli/*Verbs.ts, promoteVerb.ts),
 * and main(), which sets the exit code from the one table of codes and meanings (exitCodes.ts). Each verb parses its
 * arguments, builds the real or rehearsed side effects, calls the command, and prints lines for a person (on stderr
 * with --json, so stdout holds only the report).
 */
import { Command, CommanderError } from "commander";
import { describeBug, ExitCode, exitCodeFor, InfrastructureError, isBug, UsageError } from "./errors";
import { plainText } from "../domain/text";
import { checkReportPath } from "./reportWriter";
import { resolveProject } from "./project";
import { packageVersion } from "./packageRoot";
import { cannotConfirm, confirmMode, resolveStack } from "./cli/conventions";
import { readSelectedStack } from "./cli/workspace";
import { shareToolModules } from "./cli/shipped";
import { addVerbHelp, unknownVerb } from "./cli/help";
import type { CommonOptions } from "./cli/options";
// Each verb's module imports only the light modules at start-up; Pulumi, the AWS SDK, the simulator, the rollout
// and the waves load when a verb's action runs (automation/cli/verbModules.ts).
import { registerPlan, registerRehearsalVerbs } from "./cli/offlineVerbs";
import { registerOperatorVerbs } from "./cli/operatorVerbs";
import { registerPromoteVerbs } from "./cli/promoteVerb";
import { registerStackVerbs } from "./cli/stackVerbs";
import { registerToolVerbs } from "./cli/toolVerbs";
import { checkWavesFlags } from "./cli/wavesVerb";

const program = new Command()
    .name("lambda-rollout")
    .description("Progressive delivery of AWS Lambda functions on Pulumi")
    .version(packageVersion(), "-V, --version", "print the version of lambda-rollout")
    .exitOverride()
    .showHelpAfterError("(lambda-rollout <verb> --help shows its options, examples and exit codes)")
    // The Pulumi CLI's conventions, before any file is read (the scenario's included): which stack, checked
    // against the project; whether to go ahead without asking, or to refuse because nobody can answer.
    .hook("preAction", (_program, command) => {
        // `report` reads a report file: no project, no stack, nothing to confirm.
        if (command.name() === "report") return;
        const opts = command.opts() as Partial<CommonOptions> & { waves?: string };
        const project = resolveProject(opts.cwd);
        // A release names its stacks in waves.yaml: no stack of its own (automation/cli/waves.ts).
        if (opts.waves !== undefined) checkWavesFlags(opts);
        else {
            const stack = resolveStack({ flag: opts.stack, env: process.env, selected: () => readSelectedStack(project) }, project.name);
            command.setOptionValue("stack", stack.qualified);
        }
        // `promote --full` only records an operator's request (as approve does): nothing to confirm.
        const verb = command.name() === "promote" && (opts as { full?: boolean }).full ? "promote --full" : command.name();
        const mode = confirmMode(verb, opts, process.env, Boolean(process.stdin.isTTY));
        if (mode === "refuse") throw new UsageError(cannotConfirm(command.name(), opts));
        // Nothing to ask (-y, PULUMI_SKIP_CONFIRMATIONS, a dry run, a verb that never asks): no prompt is made.
        if (mode === "skip") command.setOptionValue("yes", true);
        // A report that could not be written would be lost after the traffic moved: refused now (exit 2), in every verb that takes it.
        if (opts.report !== undefined) checkReportPath(opts.report);
    });

// In the order the help lists them.
registerPlan(program);
registerPromoteVerbs(program);
registerOperatorVerbs(program);
registerStackVerbs(program);
registerRehearsalVerbs(program);
registerToolVerbs(program);

addVerbHelp(program);
// An unknown verb: one line and the verbs, not the whole help (the verbs' own errors keep their hint line).
program.showHelpAfterError(false).configureOutput({
    outputError: (text, write) => write(/^error: unknown command/.test(text) ? unknownVerb(program, text) : text),
});

async function main(argv: string[]): Promise<number> {
    try {
        await program.parseAsync(argv);
        return Number(process.exitCode ?? ExitCode.ok);
    } catch (err) {
        if (err instanceof CommanderError) {
            return err.exitCode === 0 ? ExitCode.ok : ExitCode.usage;
        }
        // Errors can quote AWS, Pulumi or a record on an alias: printed as plain text (domain/text.ts).
        if (isBug(err)) {
            describeBug(err as Error).forEach((l) => console.error(plainText(l)));
            return exitCodeFor(err);
        }
        console.error(`error: ${plainText((err as Error).message)}`);
        if (err instanceof InfrastructureError && err.trafficState) {
            console.error(`traffic was left: ${plainText(err.trafficState)}`);
        }
        return exitCodeFor(err);
    }
}

// A reader that went away (`| head`, a closed terminal) must not end a rollout halfway: what it would have read is
// dropped, the rollout goes on, and the report (--report) still has everything.
for (const stream of [process.stdout, process.stderr]) {
    stream.on("error", (err: NodeJS.ErrnoException) => {
        if (err.code !== "EPIPE" && err.code !== "ERR_STREAM_DESTROYED") throw err;
    });
}

shareToolModules();
main(process.argv).then((code) => {
    process.exitCode = code;
});
