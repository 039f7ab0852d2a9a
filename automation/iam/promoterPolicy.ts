/**
 * The least-privilege IAM policies of the tool's two roles, for one stack:
 *
 * - the **promoter** role, that `promote`, `rollback`, `status`, `prune` and the operator verbs talk to Lambda,
 *   CloudWatch and SNS with (their adapters in automation/adapters/*.ts);
 * - the narrower **rollback** role of the emergency rollback workflow (.github/workflows/rollback.yml): read
 *   the aliases and versions and move an alias back, nothing else.
 *
 * Every resource comes from the stack itself, never from a naming convention: the function names, alarm names
 * and SNS topic from the outputs contract (`lambdaRollout`, components/rolloutOutputs.ts) the program exports,
 * the hook functions from its config (stackResources.ts reads both). A test (tests/automation/iam/iam.test.ts)
 * reads the adapters and fails when they send a command {@link GRANTS} does not list, or when a grant is sent by
 * no adapter.
 *
 * Not covered: the `pulumi up` that promote runs for each step is the program's deployment and needs the
 * program's deploy permissions (docs/delivery.md), not these.
 */

import { DEPLOYMENT_NAMESPACE } from "../../components/deploymentMetrics";
import { UsageError } from "../errors";

/** The tool's roles. */
export const ROLES = ["promoter", "rollback"] as const;
export type Role = (typeof ROLES)[number];

/**
 * What a grant applies to:
 * - `functions`: each function's ARN and its qualified ARNs (`<fn>:*`: aliases and versions);
 * - `versions`: the qualified ARNs only, so one published version at a time and never the function itself;
 * - `alarms`: the stack's alarms, by name;
 * - `hooks`: the functions the stack's Lambda hooks invoke;
 * - `any`: actions with no resource-level permissions (AWS accepts only "*");
 * - `namespace`: "*" limited to the deployment metrics' namespace by the `cloudwatch:namespace` condition key;
 * - `topic`: the stack's SNS topic.
 */
export type Scope = "functions" | "versions" | "alarms" | "hooks" | "any" | "namespace" | "topic";

/** One action a role may take, on what, and why. */
export interface Grant {
    readonly action: string;
    readonly scope: Scope;
    readonly roles: readonly Role[];
    readonly why: string;
}

/**
 * Every action the tool's roles are granted: the one place to add a call. A command an adapter starts sending is
 * refused by the IAM test until it has a row here (or in {@link NEEDS_NO_PERMISSION}); a row no adapter sends
 * fails it too.
 */
export const GRANTS: readonly Grant[] = [
    { action: "lambda:GetAlias", scope: "functions", roles: ["promoter", "rollback"], why: "read the live routing" },
    { action: "lambda:UpdateAlias", scope: "functions", roles: ["promoter", "rollback"], why: "move traffic (the fast path)" },
    {
        action: "lambda:GetFunctionConfiguration",
        scope: "functions",
        roles: ["promoter", "rollback"],
        why: "a version's role and dead-letter config (preflight)",
    },
    {
        action: "lambda:ListVersionsByFunction",
        scope: "functions",
        roles: ["promoter", "rollback"],
        why: "the previous version to roll back to",
    },
    { action: "lambda:InvokeFunction", scope: "functions", roles: ["promoter"], why: "the smoke test on the candidate version" },
    { action: "lambda:ListAliases", scope: "functions", roles: ["promoter"], why: "the versions other aliases keep (prune)" },
    {
        action: "lambda:GetProvisionedConcurrencyConfig",
        scope: "functions",
        roles: ["promoter"],
        why: "weights are refused on an alias with provisioned concurrency (preflight)",
    },
    // Lambda authorises an action on a version against the version's ARN, and `arn:...:function:<fn>:*` matches the
    // qualified ARNs and not the unqualified one ("Fine-tuning the Resources and Conditions sections of policies",
    // https://docs.aws.amazon.com/lambda/latest/dg/lambda-api-permissions-ref.html): one version at a time, never
    // the function itself (an unqualified DeleteFunction deletes every version and alias).
    { action: "lambda:DeleteFunction", scope: "versions", roles: ["promoter"], why: "prune deletes old published versions" },
    { action: "cloudwatch:DescribeAlarms", scope: "alarms", roles: ["promoter"], why: "the stack's alarms (gates, status)" },
    { action: "lambda:InvokeFunction", scope: "hooks", roles: ["promoter"], why: "the stack's Lambda hooks" },
    { action: "cloudwatch:GetMetricData", scope: "any", roles: ["promoter"], why: "the per-version metrics of the gates" },
    // PutMetricData has no resource either; the `cloudwatch:namespace` condition key limits it to one namespace
    // ("Using condition keys to limit access to CloudWatch namespaces",
    // https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/iam-cw-condition-keys-namespace.html).
    { action: "cloudwatch:PutMetricData", scope: "namespace", roles: ["promoter"], why: "the deployment metrics" },
    { action: "sns:Publish", scope: "topic", roles: ["promoter"], why: "notifications to the stack's topic" },
];

/**
 * Calls the adapters may send that IAM does not authorise: `sts:GetCallerIdentity` ("No permissions are required to
 * perform this operation", https://docs.aws.amazon.com/STS/latest/APIReference/API_GetCallerIdentity.html).
 */
export const NEEDS_NO_PERMISSION: readonly string[] = ["sts:GetCallerIdentity"];

/** The statement id of each scope. */
const SIDS: Record<Scope, string> = {
    functions: "StackFunctions",
    versions: "PruneVersions",
    alarms: "StackAlarms",
    hooks: "HookFunctions",
    any: "MetricData",
    namespace: "DeploymentMetrics",
    topic: "NotificationTopic",
};

/** What a stack holds, as its outputs contract and config name it: the policies' only inputs. */
export interface StackResources {
    /** AWS region of the stack's functions (the contract's `region`). */
    readonly region: string;
    /** 12-digit AWS account id. */
    readonly accountId: string;
    /** The functions' AWS names (the contract's `functions.<key>.functionName`). */
    readonly functionNames: readonly string[];
    /** Every alarm the contract names (`functions.<key>.alarmNames`): the ones the gates and status read. */
    readonly alarmNames: readonly string[];
    /** The stack's SNS topic's name (the contract's `alarmTopicArn`); none: no Publish is granted. */
    readonly alarmTopicName?: string;
    /** The functions the stack's Lambda hooks invoke (names, `name:qualifier` or ARNs). */
    readonly hookFunctions?: readonly string[];
}

/** One statement of an IAM policy document. */
export interface PolicyStatement {
    readonly Sid: string;
    readonly Effect: "Allow";
    readonly Action: string[];
    readonly Resource: string[] | "*";
    readonly Condition?: Record<string, Record<string, string>>;
}

/** An IAM policy document. */
export interface PolicyDocument {
    readonly Version: "2012-10-17";
    readonly Statement: PolicyStatement[];
}

/** Invalid inputs: the messages name the field. */
export class PolicyArgsError extends UsageError {
    constructor(message: string) {
        super(message);
        this.name = "PolicyArgsError";
    }
}

/** Lambda's rule for a function name. */
const FUNCTION_NAME = /^[A-Za-z0-9_-]{1,64}$/;

/** Validates the inputs; throws a PolicyArgsError naming the field and what would be valid. */
export function validateStackResources(r: StackResources): void {
    if (!/^[a-z]{2}(-[a-z]+)+-\d$/.test(r.region)) {
        throw new PolicyArgsError(`\`region\` must be an AWS region such as "us-east-1" (got ${JSON.stringify(r.region)})`);
    }
    if (!/^\d{12}$/.test(r.accountId)) {
        throw new PolicyArgsError(`\`accountId\` must be a 12-digit AWS account id (got ${JSON.stringify(r.accountId)})`);
    }
    if (r.functionNames.length === 0) {
        throw new PolicyArgsError("`functionNames` must list at least one function: the stack's contract names none");
    }
    for (const name of r.functionNames) {
        if (!FUNCTION_NAME.test(name)) {
            throw new PolicyArgsError(
                `\`functionNames\` must hold Lambda function names such as "orders-api-dev" (got ${JSON.stringify(name)})`,
            );
        }
    }
    for (const name of r.alarmNames) {
        if (name === "" || name.includes("*")) {
            throw new PolicyArgsError(`\`alarmNames\` must hold alarm names, no wildcards (got ${JSON.stringify(name)})`);
        }
    }
    if (r.alarmTopicName !== undefined && !/^[A-Za-z0-9_-]{1,256}(\.fifo)?$/.test(r.alarmTopicName)) {
        throw new PolicyArgsError(`\`alarmTopicName\` must be an SNS topic name (got ${JSON.stringify(r.alarmTopicName)})`);
    }
}

/** The resources of a scope for this stack; empty when the stack has none (the statement is then left out). */
function resourcesOf(scope: Scope, r: StackResources): string[] | "*" {
    const lambdaArn = `arn:aws:lambda:${r.region}:${r.accountId}:function:`;
    switch (scope) {
        case "functions":
            // `<fn>` for GetFunctionConfiguration and ListVersionsByFunction; `<fn>:*` for the qualified ARNs that
            // GetAlias, UpdateAlias, Invoke (of a version) and GetProvisionedConcurrencyConfig act on.
            return r.functionNames.flatMap((fn) => [`${lambdaArn}${fn}`, `${lambdaArn}${fn}:*`]);
        case "versions":
            return r.functionNames.map((fn) => `${lambdaArn}${fn}:*`);
        case "alarms":
            return [...new Set(r.alarmNames)].map((name) => `arn:aws:cloudwatch:${r.region}:${r.accountId}:alarm:${name}`);
        case "hooks":
            // Invoke is authorised on the qualified ARN, so each hook is granted exactly as it names its target.
            return [...new Set(r.hookFunctions ?? [])].map((h) => (h.startsWith("arn:") ? h : `${lambdaArn}${h}`));
        case "topic":
            return r.alarmTopicName ? [`arn:aws:sns:${r.region}:${r.accountId}:${r.alarmTopicName}`] : [];
        case "any":
        case "namespace":
            return "*";
    }
}

/** A role's policy for one stack: one statement per scope, in the order of {@link GRANTS}. */
export function rolePolicy(role: Role, resources: StackResources): PolicyDocument {
    validateStackResources(resources);
    const scopes = [...new Set(GRANTS.filter((g) => g.roles.includes(role)).map((g) => g.scope))];
    const statements: PolicyStatement[] = [];
    for (const scope of scopes) {
        const resource = resourcesOf(scope, resources);
        if (resource !== "*" && resource.length === 0) continue;
        statements.push({
            Sid: SIDS[scope],
            Effect: "Allow",
            Action: GRANTS.filter((g) => g.scope === scope && g.roles.includes(role)).map((g) => g.action),
            Resource: resource,
            ...(scope === "namespace" ? { Condition: { StringEquals: { "cloudwatch:namespace": DEPLOYMENT_NAMESPACE } } } : {}),
        });
    }
    return { Version: "2012-10-17", Statement: statements };
}

/** The promoter role's policy (see the module's comment). */
export const promoterPolicy = (resources: StackResources): PolicyDocument => rolePolicy("promoter", resources);

/** The emergency rollback role's policy: GetAlias, UpdateAlias, GetFunctionConfiguration, ListVersionsByFunction. */
export const rollbackPolicy = (resources: StackResources): PolicyDocument => rolePolicy("rollback", resources);

/** Every action the policy grants. */
export function grantedActions(policy: PolicyDocument): string[] {
    return [...new Set(policy.Statement.flatMap((s) => s.Action))].sort();
}

/** A policy as printed JSON (two-space indent, trailing newline). */
export function printPolicy(policy: PolicyDocument): string {
    return JSON.stringify(policy, null, 2) + "\n";
}

/** The SDK v3 clients whose commands map to IAM actions, by service prefix. */
export type AwsService = "lambda" | "cloudwatch" | "sns" | "sts";

/**
 * The IAM action an AWS SDK v3 command class sends, e.g. `GetAliasCommand` -> `lambda:GetAlias`. The Lambda
 * API names its Invoke action `lambda:InvokeFunction`.
 */
export function iamActionOf(commandClass: string, client: AwsService): string {
    const name = commandClass.replace(/Command$/, "");
    if (client === "lambda" && name === "Invoke") return "lambda:InvokeFunction";
    return `${client}:${name}`;
}
