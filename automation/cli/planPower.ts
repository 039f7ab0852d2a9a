/**
 * `plan`'s power statement: the program's exported rollout policy and functions (read from the evaluation under
 * the mock engine), at the traffic `--scenario` or `--traffic cloudwatch` gives. Apart from the pure rollout
 * logic because reading the outputs loads the Pulumi SDK.
 */
import { readRolloutOutputs } from "../../components/rolloutOutputs";
import { rolloutSchema } from "../../config/stackConfig";
import { statePower, type PowerStatement, type RecentTraffic } from "../rollout/power";

/**
 * The power statement for `plan` (pure but for the read): the stack's exported policy and functions, at the traffic
 * `recentTraffic` reads. Undefined when no traffic was asked for or the program exported no rollout.
 */
export async function planPower(
    outputs: Record<string, unknown>,
    recentTraffic: RecentTraffic | undefined,
    say: (line: string) => void,
): Promise<PowerStatement[] | undefined> {
    const rollout = recentTraffic ? readRolloutOutputs(outputs) : undefined;
    const parsed = rollout ? rolloutSchema.safeParse(rollout.rolloutPolicy) : undefined;
    if (!rollout || !parsed?.success) return undefined;
    const targets = Object.entries(rollout.functions).map(([key, f]) => ({ key, functionName: f.functionName, aliasName: f.aliasName }));
    return statePower(recentTraffic, parsed.data, targets, say);
}
