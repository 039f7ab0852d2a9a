/**
 * The Pulumi CLI's conventions, as every verb of this tool follows them, decided here from plain inputs (the
 * flags, the environment, whether stdin is a terminal, what the workspace has selected) so that a table of tests
 * pins each rule; the entry point (automation/cli.ts) only gathers the inputs and applies the answer.
 *
 * - Which stack: `-s/--stack`, else `PULUMI_STACK`, else the stack the workspace has selected
 *   (`pulumi stack select`), else a usage error (exit 2). A fully qualified `<org>/<project>/<stack>` names the
 *   driven project or is refused; the config file is `Pulumi.<stack>.yaml` of its last part, as Pulumi reads it.
 * - Whether to ask before acting: `-y/--yes` or `PULUMI_SKIP_CONFIRMATIONS=true` (or `1`) go ahead without a
 *   prompt; `--non-interactive`, or no terminal on stdin, never prompts, so a command that would ask refuses
 *   (exit 2) before it reads or touches anything, as `pulumi up --non-interactive` without `--yes` does.
 */
import { createHash } from "crypto";
import * as path from "path";
import { UsageError } from "../errors";
import { parseStackName, type StackRef } from "../stackName";

/** The message when no stack was named and none is selected. */
export const NO_STACK = "no stack selected: pass -s/--stack, set PULUMI_STACK, or run `pulumi stack select`";

/** The environment variables these conventions read. */
export interface ConventionEnv {
    readonly PULUMI_STACK?: string;
    readonly PULUMI_SKIP_CONFIRMATIONS?: string;
    readonly PULUMI_HOME?: string;
}

/** The stack a workspace has selected, and the settings file it was read from (for messages). */
export interface SelectedStack {
    readonly stack: string;
    readonly file: string;
}

/** Where the stack to act on can come from, in the order they are tried. */
export interface StackSources {
    /** `-s/--stack`, when given. */
    readonly flag?: string;
    readonly env: ConventionEnv;
    /** The workspace's selected stack; only read when neither the flag nor `PULUMI_STACK` names one. */
    readonly selected: () => SelectedStack | undefined;
}

/** Where the stack came from. */
export type StackSource = "flag" | "env" | "workspace";

/** The stack to act on. */
export interface ResolvedStack extends StackRef {
    readonly source: StackSource;
}

/**
 * The stack to act on, validated against the driven project (`projectName`, its Pulumi.yaml `name`): the flag,
 * else `PULUMI_STACK` (empty counts as unset, as in the Pulumi CLI), else the selected stack. Throws a UsageError
 * with {@link NO_STACK} when none names one, and a StackNameError naming the source when the name is not a stack
 * name or names another project.
 */
export function resolveStack(sources: StackSources, projectName: string): ResolvedStack {
    if (sources.flag !== undefined) return { ...parseStackName(sources.flag, projectName, "`--stack`"), source: "flag" };
    const fromEnv = sources.env.PULUMI_STACK;
    if (fromEnv) return { ...parseStackName(fromEnv, projectName, "`PULUMI_STACK`"), source: "env" };
    const selected = sources.selected();
    if (selected) return { ...parseStackName(selected.stack, projectName, `the selected stack (${selected.file})`), source: "workspace" };
    throw new UsageError(NO_STACK);
}

/**
 * The workspace settings file in which the Pulumi CLI keeps a project's selected stack:
 * `$PULUMI_HOME/workspaces/<project>-<sha1 of the project file's path>-workspace.json` (PULUMI_HOME defaults to
 * `~/.pulumi`), as pulumi/pulumi's sdk/go/common/workspace (`projectWorkspace.settingsPath`) names it.
 * `projectFile` is the absolute path of Pulumi.yaml, the string Pulumi hashes.
 */
export function workspaceSettingsFile(projectName: string, projectFile: string, env: ConventionEnv, home: string): string {
    const pulumiHome = env.PULUMI_HOME || path.join(home, ".pulumi");
    const hash = createHash("sha1").update(projectFile).digest("hex");
    return path.join(pulumiHome, "workspaces", `${projectName}-${hash}-workspace.json`);
}

/** The selected stack in a workspace settings file's text (`{"stack": "..."}`); undefined when it names none. */
export function selectedStackIn(settings: string): string | undefined {
    let doc: unknown;
    try {
        doc = JSON.parse(settings);
    } catch {
        // The Pulumi CLI rewrites this file itself; one it cannot have written selects nothing.
        return undefined;
    }
    const stack = (doc as { stack?: unknown } | null)?.stack;
    return typeof stack === "string" && stack !== "" ? stack : undefined;
}

/** The verbs that ask before they act: they move traffic, or (prune) delete versions. The others only read or rehearse. */
export const CONFIRMING_VERBS: readonly string[] = ["promote", "retry", "rollback", "abort", "prune"];

/** What the confirmation flags and the environment ask of a verb. */
export interface ConfirmFlags {
    /** `-y/--yes`. */
    readonly yes?: boolean;
    /** `--non-interactive`. */
    readonly nonInteractive?: boolean;
    /** `--dry-run`: touches nothing, so asks nothing. */
    readonly dryRun?: boolean;
}

/** Whether a verb goes ahead without asking, asks, or must refuse because nobody can answer. */
export type ConfirmMode = "skip" | "ask" | "refuse";

/** Whether `PULUMI_SKIP_CONFIRMATIONS` is set to go ahead without asking (`true` or `1`, as the Pulumi CLI reads it). */
export function skipsConfirmations(env: ConventionEnv): boolean {
    return /^(true|1)$/i.test(env.PULUMI_SKIP_CONFIRMATIONS ?? "");
}

/**
 * How `verb` confirms: `skip` with `-y/--yes` or `PULUMI_SKIP_CONFIRMATIONS`, for a dry run and for a verb
 * that never asks; else `refuse` with `--non-interactive` or without a terminal on stdin; else `ask`.
 */
export function confirmMode(verb: string, flags: ConfirmFlags, env: ConventionEnv, stdinIsTTY: boolean): ConfirmMode {
    if (flags.yes || skipsConfirmations(env) || flags.dryRun || !CONFIRMING_VERBS.includes(verb)) return "skip";
    return flags.nonInteractive || !stdinIsTTY ? "refuse" : "ask";
}

/** Why a verb that would ask refuses, and how to go ahead. */
export function cannotConfirm(verb: string, flags: ConfirmFlags): string {
    const why = flags.nonInteractive ? "--non-interactive" : "stdin is not a terminal";
    return `${why}: ${verb} would ask before it ${verb === "prune" ? "deletes versions" : "moves traffic"}, and nobody can answer; pass -y/--yes (or set PULUMI_SKIP_CONFIRMATIONS=true) to go ahead without a prompt. Nothing was read or changed`;
}
