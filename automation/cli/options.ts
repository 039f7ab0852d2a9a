/**
 * The options the verbs share, each made fresh for the verb that adds it (commander keeps an option's state on the
 * option), the flags they set, and the bounds of the durations read from the command line.
 */
import { Option } from "commander";
import { UsageError } from "../errors";

/** The flags most verbs take (each verb adds the options it reads). */
export interface CommonOptions {
    /** Set by the preAction hook: `-s/--stack`, `PULUMI_STACK` or the selected stack (cli/conventions.ts). */
    stack: string;
    cwd?: string;
    nonInteractive?: boolean;
    configFile?: string;
    json?: boolean;
    report?: string;
    /** `--html <file>`: the report as one HTML page too (automation/cli/reportCommand.ts). */
    html?: string;
    yes?: boolean;
    dryRun?: boolean;
}

/** The longest `status --watch --interval` (seconds): an hour between looks is no longer watching. */
export const MAX_WATCH_INTERVAL = 3600;

/** The longest a verb waits for its confirmation. */
export const MAX_VERB_WAIT_SECONDS = 3600;

export const stackOption = () =>
    new Option("-s, --stack <name>", "the stack (e.g. prod, or <org>/<project>/prod); default: $PULUMI_STACK, else the selected stack");
export const yesOption = () => new Option("-y, --yes", "do not ask before acting (also: PULUMI_SKIP_CONFIRMATIONS=true)");
export const nonInteractiveOption = () => new Option("--non-interactive", "never prompt: a command that would ask refuses unless -y/--yes");
export const configFileOption = () =>
    new Option("--config-file <file>", "use this config file instead of Pulumi.<stack>.yaml (as the Pulumi CLI's --config-file)");
export const cwdOption = () =>
    new Option(
        "-C, --cwd <dir>",
        "the Pulumi project to drive: the nearest Pulumi.yaml at or above <dir> (default: the current directory's)",
    );
export const jsonOption = () => new Option("--json", "print only the report, as JSON, on stdout (lines for people go to stderr)");
export const reportOption = () => new Option("--report <file>", "write the report as JSON to this file");
export const byOption = () =>
    new Option("--by <name>", "who is acting, for the record (default: $LAMBDA_ROLLOUT_ACTOR, $GITHUB_ACTOR, else the user)");
export const reasonOption = () => new Option("--reason <text>", "why, for the record (shown by status, kept in the report)");
export const waitOption = () =>
    new Option(
        "--wait <duration>",
        `how long to wait for the confirmation (the owning promote's, an \`up\` in flight, the stack's lock), e.g. 5m; at most 1h (default 10m)`,
    );

/** A `30s`/`10m`/`1h` (or seconds) duration from the command line, at most `maxSeconds`; else a UsageError naming the flag. */
export function parseBoundedDuration(text: string, flag: string, maxSeconds: number): number {
    const m = /^(\d+)(s|m|h)?$/.exec(text);
    const seconds = m ? Number(m[1]) * (m[2] === "h" ? 3600 : m[2] === "m" ? 60 : 1) : NaN;
    if (!(seconds >= 1 && seconds <= maxSeconds))
        throw new UsageError(
            `\`${flag}\` (got ${JSON.stringify(text)}): must be a duration such as "30s", "10m" or "1h", from 1s to ${maxSeconds / 60} min`,
        );
    return seconds;
}
