/**
 * `lambda-rollout iam-policy`: the policy of the promoter role (default) or of the emergency rollback role for a
 * stack, printed as JSON. The program runs under the mock engine, as `plan` does, and the policy names what its
 * outputs contract names (stackResources.ts): no AWS, no Pulumi CLI.
 */
import { evaluateProgram } from "../engine/evaluate";
import { loadStackConfig } from "../engine/evaluate";
import type { PulumiProject } from "../project";
import { PolicyArgsError, printPolicy, rolePolicy, ROLES, type Role } from "./promoterPolicy";
import { stackResources } from "./stackResources";

/** The flags of `iam-policy`. */
export interface IamPolicyFlags {
    readonly stack: string;
    readonly configFile?: string;
    readonly account: string;
    readonly role: Role;
    /** Comma-separated function keys of the contract. */
    readonly functions?: string;
}

/** The policy text for a stack of `project`. */
export async function iamPolicyText(project: PulumiProject, flags: IamPolicyFlags): Promise<string> {
    if (!ROLES.includes(flags.role)) throw new PolicyArgsError(`\`--role\` must be one of ${ROLES.join(", ")} (got ${flags.role})`);
    // The account is checked before the program runs: a typo is exit 2 at once.
    if (!/^\d{12}$/.test(flags.account)) {
        throw new PolicyArgsError(`\`accountId\` must be a 12-digit AWS account id (got ${JSON.stringify(flags.account)})`);
    }
    const { stackConfig } = loadStackConfig(flags.stack, flags.configFile, undefined, project);
    const evaluation = await evaluateProgram({ stack: flags.stack, configFile: flags.configFile, project });
    const only = flags.functions
        ?.split(",")
        .map((f) => f.trim())
        .filter((f) => f !== "");
    const resources = stackResources(evaluation.outputs, stackConfig, { accountId: flags.account, only });
    return printPolicy(rolePolicy(flags.role, resources));
}
