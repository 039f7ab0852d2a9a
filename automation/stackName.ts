/**
 * The `--stack` argument, checked once before any file is read: every command validates it here, and so does
 * the path of a stack's config file (engine/evaluate.ts `stackConfigPath`), so no stack name can reach the
 * file system as anything but `Pulumi.<stack>.yaml` in the project root.
 */
import { PROJECT } from "../config/stackConfig";

/** Pulumi's rule for a stack name (and for an organization's): letters, digits, '-', '_', '.', at most 100. */
const NAME = /^[A-Za-z0-9_.-]{1,100}$/;

/** What a stack of `project` may be called, for the messages. */
function rule(project: string): string {
    return (
        "a stack name may contain only letters, digits, '-', '_' and '.' (at most 100 characters), e.g. prod; " +
        `or be fully qualified as <org>/${project}/<stack> (or <org>/<stack>)`
    );
}

/** A `--stack` that is not a stack name: a usage error (exit 2), nothing read or touched. */
export class StackNameError extends Error {
    constructor(message: string) {
        super(message);
        this.name = "StackNameError";
    }
}

/** A validated stack reference. */
export interface StackRef {
    /** The stack's own name: the `<stack>` of `Pulumi.<stack>.yaml` and of `pulumi.getStack()`. */
    readonly name: string;
    /** The name as given (`prod`, or `acme/lambda-rollout/prod`): what the Pulumi CLI is asked for. */
    readonly qualified: string;
    /** The organization of a fully qualified name. */
    readonly org?: string;
}

/**
 * Parses a stack name as the Pulumi CLI accepts it: `<stack>`, `<org>/<stack>` or `<org>/<project>/<stack>`,
 * where the project must be `project` (the name in the driven project's Pulumi.yaml; default this repository's:
 * another project's stack has no `Pulumi.<stack>.yaml` there). Throws a StackNameError that says what a stack
 * name may contain, naming `source`: where the name came from (`--stack`, `PULUMI_STACK`, the selected stack).
 */
export function parseStackName(input: string, project: string = PROJECT, source = "`--stack`"): StackRef {
    const got = `${source} (got ${JSON.stringify(input)})`;
    const parts = input.split("/");
    // "." and ".." pass Pulumi's character rule but are path steps, never a stack's name.
    if (parts.length > 3 || !parts.every((part) => NAME.test(part) && part !== "." && part !== "..")) {
        throw new StackNameError(`${got}: ${rule(project)}`);
    }
    if (parts.length === 3 && parts[1] !== project) {
        throw new StackNameError(`${got}: names project "${parts[1]}", but this is the ${project} project (Pulumi.yaml): ${rule(project)}`);
    }
    const name = parts[parts.length - 1];
    return { name, qualified: input, ...(parts.length > 1 ? { org: parts[0] } : {}) };
}
