/**
 * The real Pulumi CLI's contract as read from its public source (tests/fixtures/pulumi-cli-contract.json: its
 * `source` names the tag and commit, each command its file), and the check of one invocation against it: shared by
 * the test of the stand-in `pulumi` of the tests (tests/fixtures/fake-pulumi) and that of the sandbox's.
 */
import * as fs from "fs";
import * as path from "path";
import { PROJECT_ROOT } from "../../automation/engine/evaluate";

/** The contract file's shape. */
export interface Contract {
    readonly source: { readonly tag: string; readonly commit: string };
    readonly commands: Record<string, { readonly file: string; readonly flags: readonly string[] }>;
    readonly outputs: Record<string, { readonly fields: readonly string[] }>;
    readonly engineEvents: readonly string[];
}
/** The contract, read once. */
export const CONTRACT = JSON.parse(
    fs.readFileSync(path.join(PROJECT_ROOT, "tests", "fixtures", "pulumi-cli-contract.json"), "utf8"),
) as Contract;

/** The flags `command` accepts: its own, its parent's persistent ones (`stack` for `stack output`), the global ones. */
function flagsOf(command: string): string[] {
    const parent = command.includes(" ") ? command.split(" ")[0] : undefined;
    return [
        ...(CONTRACT.commands[command]?.flags ?? []),
        ...(parent ? (CONTRACT.commands[parent]?.flags ?? []) : []),
        ...CONTRACT.commands["(global)"].flags,
    ];
}

/** What is wrong with one invocation's argv: a command the real CLI lacks, or a flag its command does not take. */
export function contractProblems(argv: readonly string[]): string[] {
    const words = argv.filter((a) => !a.startsWith("-"));
    const command = [`${words[0]} ${words[1]}`, words[0]].find((c) => CONTRACT.commands[c] !== undefined);
    if (!command) return [`\`pulumi ${argv.join(" ")}\`: no such command in the real CLI (${CONTRACT.source.tag})`];
    const accepted = flagsOf(command);
    return argv
        .filter((a) => a.startsWith("-") && a !== "--")
        .map((a) => a.split("=")[0])
        .filter((f) => !accepted.includes(f))
        .map(
            (f) => `\`pulumi ${command}\` has no flag ${f} in the real CLI (${CONTRACT.commands[command].file} at ${CONTRACT.source.tag})`,
        );
}
