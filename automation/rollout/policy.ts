/**
 * The rollout policy a promote follows (pure): the checked-out, validated stack config's, never the stack's
 * outputs alone. The outputs are what the last `up` deployed, and anyone who can write the stack's state (an
 * `up` from any branch or laptop, `pulumi stack import`) writes them: a promote that took its hooks, approvers
 * or gates from there would run what no review saw. So the config decides, and the outputs must agree with it:
 * a difference is named, key by key, before anything moves.
 */
import { rolloutSchema, type RolloutPolicy } from "../../config/stackConfig";
import type { Strategy } from "../../domain/routing";
import { UsageError } from "../errors";
import type { StackOutputs } from "./ports";

/**
 * The validated policy the stack exports, with a strategy override applied and validated again: blue-green
 * can stand in for any strategy (one switch, baked as the stack's first step), but canary and linear need
 * their steps in the stack's config; without them the override is a usage error, never an empty plan.
 */
export function policyFrom(outputs: StackOutputs, strategy?: Strategy, stackName = "this stack"): RolloutPolicy {
    const parsed = rolloutSchema.safeParse(outputs.rolloutPolicy);
    if (!parsed.success) {
        throw new UsageError(
            `the stack's exported rolloutPolicy is not valid: ${parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")}; run \`pulumi up\` with a valid config`,
        );
    }
    return withStrategy(parsed.data, strategy, stackName);
}

/**
 * The policy with `--strategy` in place of the stack's own, validated again (pure): a strategy the stack has no
 * config for is a UsageError naming the missing key, never an empty plan. The CLI checks it against the stack's
 * config before anything is read from AWS; promote checks it again against the stack's outputs.
 */
export function withStrategy(policy: RolloutPolicy, strategy?: Strategy, stackName = "this stack"): RolloutPolicy {
    if (!strategy || strategy === policy.strategy) return policy;
    const firstBake = policy.canary?.steps[0]?.bake ?? policy.linear?.every ?? 600;
    const overridden = rolloutSchema.safeParse({ ...policy, strategy, blueGreen: policy.blueGreen ?? { bake: firstBake } });
    if (!overridden.success) {
        const missing = overridden.error.issues.map((i) => `\`lambda-rollout:rollout.${i.path.join(".")}\` ${i.message}`).join("; ");
        throw new UsageError(
            `\`--strategy ${strategy}\`: ${stackName} has no config for it: ${missing}; add it to the stack's config and \`pulumi up\`, or use the stack's own strategy (${policy.strategy})`,
        );
    }
    return overridden.data;
}

/**
 * The key paths where two policies differ (pure), e.g. `hooks.afterStep[0].command`, `approvers`. A value the
 * outputs hold as a secret (`[secret]`) is taken to agree.
 */
export function policyDifferences(reviewed: unknown, deployed: unknown, path = ""): string[] {
    if (deployed === "[secret]") return [];
    if (Array.isArray(reviewed) && Array.isArray(deployed)) {
        const n = Math.max(reviewed.length, deployed.length);
        return Array.from({ length: n }, (_, i) => policyDifferences(reviewed[i], deployed[i], `${path}[${i}]`)).flat();
    }
    if (isObject(reviewed) && isObject(deployed)) {
        const keys = [...new Set([...Object.keys(reviewed), ...Object.keys(deployed)])].sort();
        return keys.flatMap((k) => policyDifferences(reviewed[k], deployed[k], path ? `${path}.${k}` : k));
    }
    return JSON.stringify(reviewed) === JSON.stringify(deployed) ? [] : [path || "(the whole policy)"];
}

function isObject(v: unknown): v is Record<string, unknown> {
    return typeof v === "object" && v !== null && !Array.isArray(v);
}

/**
 * The policy to follow: the reviewed config's (`reviewed`, validated), checked against the stack's outputs; a
 * difference is a UsageError naming the keys, before any traffic moves. Without a reviewed policy (a caller
 * that has no config, such as a test of the loop) the outputs' policy is validated and used.
 */
export function policyToFollow(
    outputs: StackOutputs,
    reviewed: RolloutPolicy | undefined,
    strategy: Strategy | undefined,
    stackName: string,
): RolloutPolicy {
    const deployed = policyFrom(outputs, undefined, stackName);
    if (!reviewed) return withStrategy(deployed, strategy, stackName);
    const differences = policyDifferences(reviewed, deployed);
    if (differences.length > 0) {
        throw new UsageError(
            `${stackName}'s outputs carry a rollout policy that differs from the checked-out config at ${differences
                .slice(0, 12)
                .map((d) => `\`rollout.${d}\``)
                .join(
                    ", ",
                )}${differences.length > 12 ? ` and ${differences.length - 12} more` : ""}: promote follows the reviewed config only; ` +
                `deploy it with \`pulumi up\` (or check out what was deployed) and run promote again. Nothing was moved.`,
        );
    }
    return withStrategy(reviewed, strategy, stackName);
}
