/**
 * What each verb's `--help` adds after its options: an example or two, and the exit codes it can end with, each
 * with its meaning from the one table (automation/exitCodes.ts, EXIT_CODE_MEANINGS). And how an unknown verb is
 * answered: one line, then the verbs.
 */
import type { Command } from "commander";
import { EXIT_CODE_MEANINGS, ExitCode } from "../exitCodes";

/** A verb's examples and the exit codes it ends with. */
export interface VerbHelp {
    readonly examples: readonly string[];
    readonly exitCodes: readonly number[];
}

const { ok, rolledBack, usage, infrastructure, locked, held, bug, interrupted, terminated } = ExitCode;

/** Every verb's help, by name: the entry point fails at start-up when a verb has none (see {@link addVerbHelp}). */
export const VERB_HELP: Readonly<Record<string, VerbHelp>> = {
    plan: {
        examples: ["lambda-rollout plan -s prod", "lambda-rollout plan -C ../orders-service -s dev --json"],
        exitCodes: [ok, usage, bug],
    },
    promote: {
        examples: [
            "lambda-rollout promote -s prod --dry-run",
            "lambda-rollout promote -s prod -y --json --report rollout.json",
            "lambda-rollout promote --waves prod -y --report release.json",
            "lambda-rollout promote --waves prod --through-wave 1 -y",
        ],
        exitCodes: [ok, rolledBack, usage, infrastructure, locked, held, bug, interrupted, terminated],
    },
    retry: {
        examples: ["lambda-rollout retry -s prod -y"],
        exitCodes: [ok, rolledBack, usage, infrastructure, locked, held, bug, interrupted, terminated],
    },
    approve: { examples: ["lambda-rollout approve -s prod --by alice"], exitCodes: [ok, usage, infrastructure, bug] },
    pause: { examples: ['lambda-rollout pause -s prod --reason "checking a dashboard"'], exitCodes: [ok, usage, infrastructure, bug] },
    resume: { examples: ["lambda-rollout resume -s prod"], exitCodes: [ok, usage, infrastructure, bug] },
    abort: {
        examples: ['lambda-rollout abort -s prod -y --reason "INC-123"', 'lambda-rollout abort --waves prod -y --reason "INC-123"'],
        exitCodes: [ok, usage, infrastructure, bug],
    },
    rollback: {
        examples: [
            "lambda-rollout rollback -s prod --dry-run",
            "lambda-rollout rollback -s prod -y",
            "lambda-rollout rollback -s prod --to 7 -y",
        ],
        exitCodes: [ok, usage, infrastructure, bug],
    },
    prune: {
        examples: ["lambda-rollout prune -s prod --dry-run", "lambda-rollout prune -s prod -y"],
        exitCodes: [ok, usage, infrastructure, bug],
    },
    status: {
        examples: [
            "lambda-rollout status -s prod",
            "lambda-rollout status -s prod --watch --interval 30",
            "lambda-rollout status --waves prod",
        ],
        exitCodes: [ok, rolledBack, usage, infrastructure, bug],
    },
    rehearse: {
        examples: [
            "lambda-rollout rehearse -s prod --scenario healthy",
            "lambda-rollout rehearse -C ../orders-service -s dev --scenario bad-canary --json",
            "lambda-rollout rehearse --waves prod --scenario scenarios/waves/bad-in-eu-west-1.json",
        ],
        exitCodes: [ok, rolledBack, usage, infrastructure, locked, held, bug],
    },
    "rehearse-all": { examples: ["lambda-rollout rehearse-all -s prod --dir scenarios"], exitCodes: [ok, rolledBack, usage, bug] },
    sandbox: {
        examples: [
            "lambda-rollout sandbox -s prod --scenario healthy",
            "lambda-rollout sandbox -s prod --scenario bad-canary --speed 120 --json",
        ],
        exitCodes: [ok, usage, bug],
    },
    "iam-policy": {
        examples: [
            "lambda-rollout iam-policy -s prod --account 123456789012",
            "lambda-rollout iam-policy -s prod --account 123456789012 --role rollback",
        ],
        exitCodes: [ok, usage, bug],
    },
    report: {
        examples: ["lambda-rollout report rollout.json --html rollout.html"],
        exitCodes: [ok, usage, bug],
    },
    adopt: {
        examples: [
            "lambda-rollout adopt orders-api -C . -s prod --dry-run",
            "lambda-rollout adopt shop-OrdersWorker-AbC123=orders-worker -C . -s prod",
        ],
        exitCodes: [ok, usage, infrastructure, bug],
    },
};

/** The text after a verb's options: its examples and exit codes. */
export function verbHelpText(verb: string): string {
    const help = VERB_HELP[verb];
    if (!help) throw new Error(`automation/cli/help.ts has no help for the verb "${verb}": add its examples and exit codes to VERB_HELP`);
    return [
        "",
        "Examples:",
        ...help.examples.map((e) => `  $ ${e}`),
        "",
        "Exit codes:",
        ...help.exitCodes.map((code) => `  ${String(code).padStart(3)}  ${EXIT_CODE_MEANINGS[code]}`),
    ].join("\n");
}

/** Adds the examples and exit codes to every verb of `program`; throws at start-up for a verb without them. */
export function addVerbHelp(program: Command): void {
    for (const verb of program.commands) verb.addHelpText("after", verbHelpText(verb.name()));
}

/**
 * An unknown verb in one line, then the verbs: commander's own line (with its "Did you mean" when one is close)
 * without the whole help after it.
 */
export function unknownVerb(program: Command, message: string): string {
    return `${message.trimEnd()}\nverbs: ${program.commands.map((c) => c.name()).join(", ")} (lambda-rollout <verb> --help)\n`;
}
