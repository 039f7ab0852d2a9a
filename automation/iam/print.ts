/**
 * Prints the promoter role's IAM policy for a stack as JSON:
 *
 *     npx tsx automation/iam/print.ts --stack prod --account 123456789012 [--region us-east-1] [--functions api,worker]
 *
 * Region and function names default to the stack's Pulumi.<stack>.yaml when it exists (`aws:region` and the
 * names in `lambda-rollout:functions`); without it, the policy covers every `lambda-rollout-<stack>-*` function.
 * Exit code 2 on a usage error.
 */
import * as fs from "fs";
import * as path from "path";
import { parse as parseYaml } from "yaml";
import { PolicyArgsError, printPolicy } from "./promoterPolicy";

/** A usage error: bad or missing flags. */
export class UsageError extends Error {}

const USAGE = "usage: npx tsx automation/iam/print.ts --stack <stack> --account <12-digit id> [--region <region>] [--functions a,b]";

/** Parses the flags and reads the stack file; returns the JSON to print. */
export function main(argv: readonly string[], projectRoot: string = path.resolve(__dirname, "..", "..")): string {
    const flags = new Map<string, string>();
    for (let i = 0; i < argv.length; i++) {
        const flag = argv[i];
        if (!["--stack", "--account", "--region", "--functions"].includes(flag)) throw new UsageError(`unknown argument ${flag}\n${USAGE}`);
        const value = argv[i + 1];
        if (value === undefined || value.startsWith("--")) throw new UsageError(`${flag} needs a value\n${USAGE}`);
        flags.set(flag, value);
        i++;
    }
    const stack = flags.get("--stack");
    const accountId = flags.get("--account");
    if (!stack || !accountId) throw new UsageError(`--stack and --account are required\n${USAGE}`);
    const stackFile = readStackFile(path.join(projectRoot, `Pulumi.${stack}.yaml`));
    const region = flags.get("--region") ?? stackFile.region ?? "us-east-1";
    const functionNames =
        flags
            .get("--functions")
            ?.split(",")
            .map((f) => f.trim())
            .filter((f) => f !== "") ?? stackFile.functionNames;
    return printPolicy({ stack, region, accountId, functionNames });
}

function readStackFile(file: string): { region?: string; functionNames?: string[] } {
    if (!fs.existsSync(file)) return {};
    const config = (parseYaml(fs.readFileSync(file, "utf8")) as { config?: Record<string, unknown> } | null)?.config ?? {};
    const region = typeof config["aws:region"] === "string" ? config["aws:region"] : undefined;
    const fns = config["lambda-rollout:functions"];
    const functionNames = Array.isArray(fns)
        ? fns.map((f) => (f as { name?: unknown }).name).filter((n): n is string => typeof n === "string")
        : undefined;
    return { region, functionNames: functionNames && functionNames.length > 0 ? functionNames : undefined };
}

if (require.main === module) {
    try {
        process.stdout.write(main(process.argv.slice(2)));
    } catch (err) {
        if (err instanceof UsageError || err instanceof PolicyArgsError) {
            process.stderr.write(`${err.message}\n`);
            process.exitCode = 2;
        } else {
            throw err;
        }
    }
}
