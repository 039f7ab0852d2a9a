/**
 * The entry point of the rollout tool: parses arguments and calls the command's main(). Exit codes as in
 * DESIGN.md; errors are printed as one plain message, never a stack trace.
 */
import { Command, CommanderError, Option } from "commander";
import { describePlan } from "./engine/describePlan";
import { evaluateProgram } from "./engine/evaluate";
import { ExitCode, exitCodeFor } from "./errors";

const program = new Command()
    .name("lambda-rollout")
    .description("Progressive delivery of AWS Lambda functions on Pulumi")
    .exitOverride()
    .configureOutput({ outputError: (text, write) => write(text) });

const stackOption = () => new Option("--stack <name>", "the stack: dev, staging or prod").makeOptionMandatory();

program
    .command("plan")
    .description("evaluate the program for a stack under Pulumi's mock engine and print what it would declare (no AWS, no Pulumi CLI)")
    .addOption(stackOption())
    .option("--config-file <file>", "use this config file instead of Pulumi.<stack>.yaml")
    .option("--json", "print the declared resources and outputs as JSON")
    .action(async (opts: { stack: string; configFile?: string; json?: boolean }) => {
        const evaluation = await evaluateProgram({ stack: opts.stack, configFile: opts.configFile });
        if (opts.json) {
            console.log(JSON.stringify(evaluation));
        } else {
            console.log(describePlan(opts.stack, evaluation).join("\n"));
        }
    });

async function main(argv: string[]): Promise<number> {
    try {
        await program.parseAsync(argv);
        return Number(process.exitCode ?? ExitCode.ok);
    } catch (err) {
        if (err instanceof CommanderError) {
            return err.exitCode === 0 ? ExitCode.ok : ExitCode.usage;
        }
        console.error(`error: ${(err as Error).message}`);
        return exitCodeFor(err);
    }
}

main(process.argv).then((code) => {
    process.exitCode = code;
});
