/**
 * The verbs around a rollout rather than of it: report (a kept report as one HTML page), iam-policy (the least
 * privilege a promoter or the emergency rollback needs) and adopt (existing functions brought under the project).
 */
import { type Command, Option } from "commander";
import type { AdoptFlags } from "../adopt/command";
import type { IamPolicyFlags } from "../iam/command";
import { ROLES } from "../iam/promoterPolicy";
import { resolveProject } from "../project";
import { configFileOption, cwdOption, jsonOption, stackOption } from "./options";
import { verbModules as load } from "./verbModules";

/** Registers report, iam-policy and adopt, in that order. */
export function registerToolVerbs(program: Command): void {
    program
        .command("report")
        .description(
            "write a rollout report (the JSON of --report) as one self-contained HTML page: charts of the weight, error rates and evidence, steps, events",
        )
        .argument("<report>", "the report file (what --report wrote)")
        .requiredOption("--html <file>", "where to write the page")
        .action(async (file: string, opts: { html: string }) => {
            console.error(await load.reportCommand().runReport(file, opts));
        });

    program
        .command("iam-policy")
        .description(
            "print the least-privilege IAM policy of the promoter role (promote, status, prune, the operator verbs) or of the emergency rollback role for a stack, as JSON: every function, alarm and topic as the stack's outputs contract names them",
        )
        .addOption(stackOption())
        .addOption(cwdOption())
        .addOption(configFileOption())
        .requiredOption("--account <id>", "the 12-digit AWS account id the stack deploys to")
        .addOption(
            new Option(
                "--role <role>",
                "whose policy: promoter, or rollback (GetAlias, UpdateAlias, GetFunctionConfiguration, ListVersionsByFunction)",
            )
                .choices(ROLES)
                .default("promoter"),
        )
        .option("--functions <keys>", "comma-separated keys of the functions to cover (default: every function the stack's outputs name)")
        .action(async (opts: IamPolicyFlags & { cwd?: string }) => {
            process.stdout.write(await load.iam().iamPolicyText(resolveProject(opts.cwd), opts));
        });

    program
        .command("adopt")
        .description(
            "bring existing Lambda functions under this project without replacing them: read each live (configuration, role, log group, aliases, versions, alarms), write its entry into Pulumi.<stack>.yaml and a `pulumi import --file` file, after checking under the mock engine that nothing imported would be replaced",
        )
        .argument("<function...>", "each existing function's name or ARN, optionally =<key> (its name in the stack, e.g. orders-api)")
        .addOption(stackOption())
        .addOption(cwdOption())
        .option("--code-dir <dir>", "the folder each function's code is in, as <dir>/<key> (relative to the project)", "src")
        .option("--import-file <file>", "where the import file goes (default: import-<stack>.json in the project)")
        .option("--region <region>", "the functions' region when the stack file names none (default: $AWS_REGION)")
        .option("--dry-run", "read and check, write nothing")
        .addOption(jsonOption())
        .action(async (functions: string[], opts: AdoptFlags & { cwd?: string; json?: boolean }) => {
            const log = (line: string) => (opts.json ? console.error(line) : console.log(line));
            const result = await load.adopt().adopt(resolveProject(opts.cwd), { ...opts, functions }, log);
            if (opts.json) console.log(JSON.stringify(result));
        });
}
