/**
 * The least-privilege IAM policy of the promoter role: the role that `npm run promote` and `npm run rollback`
 * talk to Lambda and CloudWatch with (their adapters in automation/adapters/*.ts). A test
 * (tests/automation/iam/iam.test.ts) reads the adapters and fails when they send a command this policy does not grant, or
 * when it grants an action no adapter sends.
 *
 * Not covered: the `pulumi up` that promote runs for each step is the Pulumi program's deployment and needs
 * the program's broader deploy permissions (create and update functions, aliases, alarms, roles, queues,
 * topics, dashboards). Those belong to the deploy role (docs/delivery.md), not to this policy.
 */

import { DEPLOYMENT_NAMESPACE } from "../../components/deploymentMetrics";
import { UsageError } from "../errors";

/** The project prefix of every AWS name: `lambda-rollout-<stack>-<name>`. */
export const NAME_PREFIX = "lambda-rollout";

/** The Lambda actions the adapters need, each with the SDK v3 command that sends it. */
export const LAMBDA_ACTIONS = [
    "lambda:GetAlias",
    "lambda:UpdateAlias",
    "lambda:GetFunctionConfiguration",
    "lambda:InvokeFunction",
    "lambda:ListVersionsByFunction",
    "lambda:ListAliases",
    "lambda:GetProvisionedConcurrencyConfig",
] as const;

/**
 * What `prune` deletes with: DeleteFunction, granted on the qualified ARNs (`<fn>:*`) only. Lambda authorises an
 * action on a version against the version's ARN, and `arn:...:function:<fn>:*` matches the qualified ARNs and not
 * the unqualified one ("Fine-tuning the Resources and Conditions sections of policies",
 * https://docs.aws.amazon.com/lambda/latest/dg/lambda-api-permissions-ref.html), so the role can delete one version
 * at a time but never the function itself (an unqualified DeleteFunction deletes every version and alias).
 */
export const VERSION_DELETE_ACTIONS = ["lambda:DeleteFunction"] as const;

/** The CloudWatch actions scoped to the stack's alarms. */
export const ALARM_ACTIONS = ["cloudwatch:DescribeAlarms"] as const;

/** The CloudWatch actions that take no resource-level permissions. */
export const UNSCOPED_CLOUDWATCH_ACTIONS = ["cloudwatch:GetMetricData"] as const;

/** The deployment metrics' action: no resource-level permissions, limited to one namespace by a condition. */
export const DEPLOYMENT_METRIC_ACTIONS = ["cloudwatch:PutMetricData"] as const;

/** The notifications' action on the stack's SNS topic. */
export const NOTIFICATION_ACTIONS = ["sns:Publish"] as const;

/** Inputs of {@link promoterPolicy}. */
export interface PromoterPolicyArgs {
    /** Stack name: dev, staging, prod. */
    readonly stack: string;
    /** AWS region of the stack's functions, e.g. us-east-1. */
    readonly region: string;
    /** 12-digit AWS account id. */
    readonly accountId: string;
    /**
     * The functions' short names from the stack config (`api` for `lambda-rollout-<stack>-api`). Given, the
     * policy names exactly those functions; omitted, it covers `lambda-rollout-<stack>-*`.
     */
    readonly functionNames?: readonly string[];
    /** Prefix of the alarm names the gates read; default `lambda-rollout-<stack>-` (every component alarm). */
    readonly alarmNamePrefix?: string;
    /** The functions the stack's Lambda hooks invoke (names, `name:qualifier` or ARNs): InvokeFunction on each, nothing else. */
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

/** Invalid arguments: the messages name the field. */
export class PolicyArgsError extends UsageError {
    constructor(message: string) {
        super(message);
        this.name = "PolicyArgsError";
    }
}

/** Validates the arguments; throws a PolicyArgsError naming the field and what would be valid. */
export function validatePolicyArgs(args: PromoterPolicyArgs): void {
    if (!/^[a-z][a-z0-9-]*$/.test(args.stack)) {
        throw new PolicyArgsError(`\`stack\` must be a stack name such as "prod" (got ${JSON.stringify(args.stack)})`);
    }
    if (!/^[a-z]{2}(-[a-z]+)+-\d$/.test(args.region)) {
        throw new PolicyArgsError(`\`region\` must be an AWS region such as "us-east-1" (got ${JSON.stringify(args.region)})`);
    }
    if (!/^\d{12}$/.test(args.accountId)) {
        throw new PolicyArgsError(`\`accountId\` must be a 12-digit AWS account id (got ${JSON.stringify(args.accountId)})`);
    }
    if (args.functionNames !== undefined) {
        if (args.functionNames.length === 0) {
            throw new PolicyArgsError(
                "`functionNames` must list at least one function, or be omitted to cover every function of the stack",
            );
        }
        for (const name of args.functionNames) {
            if (!/^[A-Za-z0-9_-]+$/.test(name)) {
                throw new PolicyArgsError(`\`functionNames\` must hold short names such as "api" (got ${JSON.stringify(name)})`);
            }
        }
    }
    const stackPrefix = `${NAME_PREFIX}-${args.stack}-`;
    if (args.alarmNamePrefix !== undefined && !args.alarmNamePrefix.startsWith(stackPrefix)) {
        throw new PolicyArgsError(
            `\`alarmNamePrefix\` must start with "${stackPrefix}", the stack's own names (got ${JSON.stringify(args.alarmNamePrefix)})`,
        );
    }
}

/**
 * The promoter role's policy for one stack: Lambda actions on the stack's functions (unqualified and
 * qualified ARNs: aliases and versions), DeleteFunction on their versions only (`prune`), DescribeAlarms on the
 * stack's alarms, GetMetricData on "*", PutMetricData in the deployment metrics' namespace only, and Publish to
 * the stack's SNS topic.
 */
export function promoterPolicy(args: PromoterPolicyArgs): PolicyDocument {
    validatePolicyArgs(args);
    const lambdaArn = `arn:aws:lambda:${args.region}:${args.accountId}:function:`;
    const functions = args.functionNames?.map((n) => `${NAME_PREFIX}-${args.stack}-${n}`) ?? [`${NAME_PREFIX}-${args.stack}-*`];
    const alarmPrefix = args.alarmNamePrefix ?? `${NAME_PREFIX}-${args.stack}-`;
    return {
        Version: "2012-10-17",
        Statement: [
            {
                Sid: "StackFunctions",
                Effect: "Allow",
                Action: [...LAMBDA_ACTIONS],
                // `<fn>` for GetFunctionConfiguration and ListVersionsByFunction; `<fn>:*` for the qualified ARNs
                // that GetAlias, UpdateAlias, Invoke (of a version) and GetProvisionedConcurrencyConfig act on.
                Resource: functions.flatMap((fn) => [`${lambdaArn}${fn}`, `${lambdaArn}${fn}:*`]),
            },
            {
                Sid: "PruneVersions",
                Effect: "Allow",
                Action: [...VERSION_DELETE_ACTIONS],
                // Qualified ARNs only: one published version at a time, never the whole function (see VERSION_DELETE_ACTIONS).
                Resource: functions.map((fn) => `${lambdaArn}${fn}:*`),
            },
            {
                Sid: "StackAlarms",
                Effect: "Allow",
                Action: [...ALARM_ACTIONS],
                Resource: [`arn:aws:cloudwatch:${args.region}:${args.accountId}:alarm:${alarmPrefix}*`],
            },
            ...(args.hookFunctions?.length
                ? [
                      {
                          Sid: "HookFunctions",
                          Effect: "Allow" as const,
                          Action: ["lambda:InvokeFunction"],
                          Resource: args.hookFunctions.map((h) => hookFunctionArn(h, lambdaArn)),
                      },
                  ]
                : []),
            {
                Sid: "MetricData",
                Effect: "Allow",
                Action: [...UNSCOPED_CLOUDWATCH_ACTIONS],
                // cloudwatch:GetMetricData supports no resource-level permissions: AWS only accepts "*".
                Resource: "*",
            },
            {
                Sid: "DeploymentMetrics",
                Effect: "Allow",
                Action: [...DEPLOYMENT_METRIC_ACTIONS],
                // PutMetricData has no resource either; the `cloudwatch:namespace` condition key limits it to one
                // namespace ("Using condition keys to limit access to CloudWatch namespaces",
                // https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/iam-cw-condition-keys-namespace.html).
                Resource: "*",
                Condition: { StringEquals: { "cloudwatch:namespace": DEPLOYMENT_NAMESPACE } },
            },
            {
                Sid: "NotificationTopic",
                Effect: "Allow",
                Action: [...NOTIFICATION_ACTIONS],
                // The topic the program declares (index.ts: `<prefix>-rollback-alarms`), which the stack's alarms notify.
                Resource: [`arn:aws:sns:${args.region}:${args.accountId}:${NAME_PREFIX}-${args.stack}-rollback-alarms`],
            },
        ],
    };
}

/** A Lambda hook's function as a resource: its ARN, qualified as the hook names it (Invoke is authorised on the qualified ARN). */
function hookFunctionArn(target: string, lambdaArn: string): string {
    if (target.startsWith("arn:")) return target;
    return `${lambdaArn}${target}`;
}

/** Every action the policy grants. */
export function grantedActions(policy: PolicyDocument): string[] {
    return [...new Set(policy.Statement.flatMap((s) => s.Action))].sort();
}

/** The policy as printed JSON (two-space indent, trailing newline). */
export function printPolicy(args: PromoterPolicyArgs): string {
    return JSON.stringify(promoterPolicy(args), null, 2) + "\n";
}

/**
 * The IAM action an AWS SDK v3 command class sends, e.g. `GetAliasCommand` -> `lambda:GetAlias`. The Lambda
 * API names its Invoke action `lambda:InvokeFunction`.
 */
export function iamActionOf(commandClass: string, client: "lambda" | "cloudwatch" | "sns"): string {
    const name = commandClass.replace(/Command$/, "");
    if (client === "lambda" && name === "Invoke") return "lambda:InvokeFunction";
    return `${client}:${name}`;
}

/** A stack's config as the policy needs it: the region its functions run in, and their short names. */
export interface StackPolicyConfig {
    /** `aws:region`, where the stack's functions run. */
    readonly awsRegion?: string;
    /** The stack's own region setting (`<project>:region`), used when `aws:region` is not set. */
    readonly region: string;
    /** The short names in `<project>:functions`. */
    readonly functionNames: readonly string[];
    /** The functions the stack's Lambda hooks invoke. */
    readonly hookFunctions?: readonly string[];
}

/**
 * The policy's inputs for a stack (`lambda-rollout iam-policy`): region and function names from the stack's
 * config, unless `--region` or `--functions a,b` override them.
 */
export function stackPolicyArgs(
    stack: string,
    accountId: string,
    config: StackPolicyConfig,
    overrides: { readonly region?: string; readonly functions?: string } = {},
): PromoterPolicyArgs {
    const listed = overrides.functions
        ?.split(",")
        .map((f) => f.trim())
        .filter((f) => f !== "");
    return {
        stack,
        accountId,
        region: overrides.region ?? config.awsRegion ?? config.region,
        functionNames: listed ?? config.functionNames,
        ...(config.hookFunctions?.length ? { hookFunctions: config.hookFunctions } : {}),
    };
}
