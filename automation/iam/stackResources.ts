/**
 * What the IAM policies act on, read from the stack itself: the outputs contract (`lambdaRollout`) the program
 * exports names every function, alarm and the SNS topic; the stack's config names the hook functions. Offline
 * (`iam-policy`), the contract comes from the program run under the mock engine, whose ARNs are made up: only
 * names are taken from it, and the ARNs are built in the contract's region and the account given.
 */
import { readRolloutOutputs, type RolloutOutputs } from "../../components/rolloutOutputs";
import type { StackConfig } from "../../config/stackConfig";
import { PolicyArgsError, type StackResources } from "./promoterPolicy";

/** Options of {@link stackResources}. */
export interface StackResourcesOptions {
    /** The 12-digit account the stack deploys to. */
    readonly accountId: string;
    /** Only these functions (their keys in the contract); default all. */
    readonly only?: readonly string[];
}

/** The name in an SNS topic ARN (`arn:aws:sns:<region>:<account>:<name>`). */
function topicName(arn: string): string {
    const name = /^arn:aws[\w-]*:sns:[^:]*:[^:]*:([^:]+)$/.exec(arn)?.[1];
    if (!name) throw new PolicyArgsError(`\`lambdaRollout.alarmTopicArn\` (got ${JSON.stringify(arn)}) is not an SNS topic ARN`);
    return name;
}

/**
 * The resources of a stack from its outputs (`outputs`: the program's exports, plain values) and config. Throws a
 * PolicyArgsError naming what is missing: a program that exports no contract, or an `only` key it lacks.
 */
export function stackResources(outputs: Record<string, unknown>, config: StackConfig, options: StackResourcesOptions): StackResources {
    const contract: RolloutOutputs | undefined = readRolloutOutputs(outputs);
    if (!contract) throw new PolicyArgsError("the program exports nothing: no `lambdaRollout` contract to take the stack's resources from");
    const keys = Object.keys(contract.functions);
    for (const key of options.only ?? []) {
        if (!keys.includes(key)) {
            throw new PolicyArgsError(`\`--functions\`: the stack has no function "${key}" (its functions: ${keys.join(", ")})`);
        }
    }
    const chosen = options.only?.length ? keys.filter((k) => options.only!.includes(k)) : keys;
    const functions = chosen.map((k) => contract.functions[k]);
    return {
        region: contract.region,
        accountId: options.accountId,
        functionNames: functions.map((f) => f.functionName),
        alarmNames: functions.flatMap((f) => Object.values(f.alarmNames ?? {})),
        ...(contract.alarmTopicArn ? { alarmTopicName: topicName(contract.alarmTopicArn) } : {}),
        hookFunctions: [
            ...new Set(Object.values(config.rollout.hooks).flatMap((hooks) => hooks.flatMap((h) => (h.lambda ? [h.lambda] : [])))),
        ],
    };
}
