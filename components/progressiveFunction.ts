import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import {
    declareHttp,
    declareQueue,
    declareQueueMapping,
    declareSchedule,
    type FrontDoorTarget,
    type HttpFrontDoor,
    type HttpEndpoint,
    type QueueSource,
    queueStatement,
    VPC_NETWORK_INTERFACE_STATEMENT,
} from "./frontDoor";
import { forwardRefusal } from "../domain/state";
import { readLiveAlias } from "./liveAlias";
import { AlarmThresholds, RollbackAlarms } from "./rollbackAlarms";
import {
    additionalVersionWeights,
    decideAliasRouting,
    RoutingDecisionInput,
    RoutingRequest,
    RoutingSource,
    Strategy,
    trafficShares,
} from "../domain/routing";

/** The alias every progressively delivered function is called through. */
export const LIVE_ALIAS = "live";

/** The component's type token. */
export const PROGRESSIVE_FUNCTION_TYPE = "lambda-rollout:index:ProgressiveFunction";

/**
 * The names of a component's children that exist in AWS before it when a function is adopted: one rule for the
 * constructor and for `lambda-rollout adopt`, which imports them under these names.
 */
export function progressiveFunctionChildren(name: string) {
    return { function: `${name}-fn`, role: `${name}-role`, logGroup: `${name}-logs`, alias: `${name}-live` } as const;
}

/** Arguments of {@link ProgressiveFunction}. */
export interface ProgressiveFunctionArgs {
    /** The AWS name of the function (physical, so the live alias can be read before the function exists). */
    readonly functionName: string;
    /** AWS region, for reading the live alias. */
    readonly region: string;
    /** Absolute path of the directory holding the function's code (zipped as it is); or give `code` instead. */
    readonly codePath?: string;
    /** The function's code as the team packages it (an `AssetArchive`, a built zip's `FileArchive`); instead of `codePath`. */
    readonly code?: pulumi.asset.Archive;
    /** `file.export`. */
    readonly handler: string;
    /** Lambda runtime, e.g. `nodejs24.x`. */
    readonly runtime: string;
    /** Memory, MB. */
    readonly memoryMb: number;
    /** Timeout, seconds. */
    readonly timeoutSeconds: number;
    /** Environment variables (the release is added as `RELEASE`). */
    readonly environment?: Record<string, string>;
    /** Reserved concurrency; undefined for the unreserved pool. */
    readonly reservedConcurrency?: number;
    /** `true` creates an SQS dead-letter queue; a string is an existing queue's ARN; undefined for none. */
    readonly deadLetterQueue?: boolean | string;
    /** Log retention, days. */
    readonly logRetentionDays: number;
    /** The execution role's name (an existing role to keep, e.g. an adopted function's); default: generated from `name`. */
    readonly roleName?: string;
    /** The execution role's path (with `roleName`: the existing role's, e.g. `/service-role/`); default `/`. */
    readonly rolePath?: string;
    /** The log group's name; default `/aws/lambda/<functionName>`, the one Lambda writes to. */
    readonly logGroupName?: string;
    /** The stack's strategy: decides whether a plain `up` moves traffic (rule of routing). */
    readonly strategy: Strategy;
    /** Routing passed by promote/rollback for this one `up`. */
    readonly routing?: RoutingRequest;
    /** Alarm thresholds, from the rollout policy. */
    readonly thresholds: AlarmThresholds;
    /** The stack's alarm topic. */
    readonly alarmTopicArn: pulumi.Input<string>;
    /** The release this `up` ships: the version's description and the function's tags carry it. */
    readonly release: { readonly version: string; readonly commit?: string };
    /** Extra tags. */
    readonly tags?: Record<string, string>;
    /** IAM statements added to the execution role's own policy (beyond its log group and dead-letter queue). */
    readonly policyStatements?: readonly PolicyStatement[];
    /** Managed policies attached to the execution role, by ARN. */
    readonly managedPolicyArns?: readonly string[];
    /** Lambda layer version ARNs, in order. */
    readonly layers?: readonly pulumi.Input<string>[];
    /** The instruction set: `["x86_64"]` (Lambda's default) or `["arm64"]`. */
    readonly architectures?: readonly ("x86_64" | "arm64")[];
    /** HTTP in front of the `live` alias: an API Gateway HTTP API or a function URL. */
    readonly http?: HttpFrontDoor;
    /** An SQS queue feeding the `live` alias. */
    readonly queue?: QueueSource;
    /** An EventBridge schedule expression invoking the `live` alias. */
    readonly schedule?: string;
    /** Private subnets to run in, with a security group of the function's own (egress only unless `ingressCidrs`). */
    readonly vpc?: VpcPlacement;
}

/** Where in a VPC a function runs. */
export interface VpcPlacement {
    readonly vpcId: pulumi.Input<string>;
    readonly subnetIds: pulumi.Input<string[]>;
    /** CIDRs allowed in (all TCP); empty for egress only. */
    readonly ingressCidrs?: readonly string[];
}

/** One IAM policy statement, as IAM's JSON has it. */
export interface PolicyStatement {
    readonly Sid?: string;
    readonly Effect: "Allow" | "Deny";
    readonly Action: string | readonly string[];
    readonly Resource: string | readonly string[];
    readonly Condition?: Record<string, unknown>;
}

/** Checks the arguments before anything is registered; messages name the field. */
export function validateProgressiveFunctionArgs(args: ProgressiveFunctionArgs): void {
    if ((args.codePath === undefined) === (args.code === undefined)) {
        throw new Error("exactly one of `codePath` (a directory) and `code` (an archive) must be given: the function's code");
    }
    (args.policyStatements ?? []).forEach((st, i) => {
        if (st.Effect !== "Allow" && st.Effect !== "Deny")
            throw new Error(`\`policyStatements[${i}].Effect\` (got ${JSON.stringify(st.Effect)}) must be "Allow" or "Deny"`);
        const actions = typeof st.Action === "string" ? [st.Action] : st.Action;
        if (!Array.isArray(actions) || actions.length === 0 || !actions.every((a) => /^[a-z0-9-]+:[A-Za-z0-9*?]+$|^\*$/.test(a))) {
            throw new Error(
                `\`policyStatements[${i}].Action\` (got ${JSON.stringify(st.Action)}) must be one or more actions such as "s3:GetObject"`,
            );
        }
        const resources = typeof st.Resource === "string" ? [st.Resource] : st.Resource;
        if (!Array.isArray(resources) || resources.length === 0 || !resources.every((r) => r === "*" || r.startsWith("arn:"))) {
            throw new Error(`\`policyStatements[${i}].Resource\` (got ${JSON.stringify(st.Resource)}) must be one or more ARNs (or "*")`);
        }
    });
    (args.managedPolicyArns ?? []).forEach((arn, i) => {
        if (!/^arn:aws[\w-]*:iam::(aws|\d{12}):policy\/.+$/.test(arn)) {
            throw new Error(
                `\`managedPolicyArns[${i}]\` (got ${JSON.stringify(arn)}) must be an IAM policy ARN such as "arn:aws:iam::aws:policy/AWSXRayDaemonWriteAccess"`,
            );
        }
    });
    if (args.layers && args.layers.length > 5) throw new Error(`\`layers\` has ${args.layers.length} layers: Lambda allows at most 5`);
    if (args.architectures && !(args.architectures.length === 1 && ["x86_64", "arm64"].includes(args.architectures[0]))) {
        throw new Error(`\`architectures\` (got ${JSON.stringify(args.architectures)}) must be ["x86_64"] or ["arm64"]`);
    }
    if (!/^[A-Za-z0-9_-]{1,64}$/.test(args.functionName)) {
        throw new Error(`\`functionName\` "${args.functionName}" must be 1-64 letters, digits, '-' or '_' (Lambda's rule)`);
    }
    if (args.routing && (args.routing.weight < 0 || args.routing.weight > 1)) {
        throw new Error(`\`routing.weight\` ${args.routing.weight} must be between 0.0 and 1.0`);
    }
    if (args.routing && !/^\d+$/.test(args.routing.stable)) {
        throw new Error(`\`routing.stable\` "${args.routing.stable}" must be a published version number (never $LATEST)`);
    }
    if (args.routing && !/^\d+$/.test(args.routing.candidate)) {
        throw new Error(`\`routing.candidate\` "${args.routing.candidate}" must be a published version number (never $LATEST)`);
    }
}

/** The description a published version carries: the release, and the commit when known. */
export function releaseDescription(release: { version: string; commit?: string }): string {
    return release.commit ? `release ${release.version} (${release.commit})` : `release ${release.version}`;
}

/**
 * One progressively delivered Lambda function: a least-privilege execution role, a log group with retention,
 * the function published as a new version on every change, the weighted `live` alias that follows the rule of
 * routing, and its rollback alarms.
 */
export class ProgressiveFunction extends pulumi.ComponentResource {
    /** The AWS function name. */
    public readonly functionName: pulumi.Output<string>;
    /** The function's ARN (unqualified). */
    public readonly functionArn: pulumi.Output<string>;
    /** `live`. */
    public readonly aliasName: pulumi.Output<string>;
    /** The alias's ARN: what callers invoke. */
    public readonly aliasArn: pulumi.Output<string>;
    /** The alias's primary version after this `up`. */
    public readonly stableVersion: pulumi.Output<string>;
    /** The version this `up` published: the next one to roll out (equal to stable once promoted). */
    public readonly candidateVersion: pulumi.Output<string>;
    /** Each version's share of the alias's traffic after this `up`, e.g. `{ "7": 0.9, "8": 0.1 }`. */
    public readonly liveWeights: pulumi.Output<Record<string, number>>;
    /** Which rule of routing decided the alias on this `up`. */
    public readonly routingSource: pulumi.Output<RoutingSource>;
    /** Alarm names by role, `rollback` being the composite one. */
    public readonly alarmNames: pulumi.Output<Record<string, string>>;
    /** The dead-letter queue's ARN, if any. */
    public readonly deadLetterQueueArn: pulumi.Output<string | undefined>;
    /** The HTTP endpoint in front of the alias (API stage URL or function URL), if any. */
    public readonly endpointUrl: pulumi.Output<string | undefined>;
    /** The HTTP API's id and stage, for the dashboard; undefined without an HTTP API. */
    public readonly httpApi?: HttpEndpoint["api"];

    constructor(name: string, args: ProgressiveFunctionArgs, opts: pulumi.ComponentResourceOptions = {}) {
        super(PROGRESSIVE_FUNCTION_TYPE, name, {}, opts);
        validateProgressiveFunctionArgs(args);
        const { functionName } = args;
        const children = progressiveFunctionChildren(name);
        const tags = {
            ...args.tags,
            "lambda-rollout:function": functionName,
            "lambda-rollout:release": args.release.version,
            ...(args.release.commit ? { "lambda-rollout:commit": args.release.commit } : {}),
        };

        const logGroup = new aws.cloudwatch.LogGroup(
            children.logGroup,
            { name: args.logGroupName ?? `/aws/lambda/${functionName}`, retentionInDays: args.logRetentionDays, tags },
            { parent: this },
        );

        const role = new aws.iam.Role(
            children.role,
            {
                name: args.roleName,
                path: args.rolePath,
                assumeRolePolicy: JSON.stringify({
                    Version: "2012-10-17",
                    Statement: [{ Effect: "Allow", Principal: { Service: "lambda.amazonaws.com" }, Action: "sts:AssumeRole" }],
                }),
                description: `Execution role of ${functionName}`,
                tags,
            },
            { parent: this },
        );

        let deadLetterQueueArn: pulumi.Output<string> | undefined;
        if (args.deadLetterQueue === true) {
            const queue = new aws.sqs.Queue(
                `${name}-dlq`,
                { name: `${functionName}-dlq`, messageRetentionSeconds: 14 * 24 * 3600, sqsManagedSseEnabled: true, tags },
                { parent: this },
            );
            deadLetterQueueArn = queue.arn;
        } else if (typeof args.deadLetterQueue === "string") {
            deadLetterQueueArn = pulumi.output(args.deadLetterQueue);
        }

        const target = (liveArn: pulumi.Input<string>): FrontDoorTarget => ({
            name,
            functionName,
            aliasName: LIVE_ALIAS,
            aliasArn: liveArn,
            logRetentionDays: args.logRetentionDays,
            tags,
            parent: this,
        });
        const sourceQueueArn = args.queue ? declareQueue(args.queue, target(""), args.timeoutSeconds) : undefined;

        // Least privilege: write to its own log group; send to its own dead-letter queue when it has one; read its
        // source queue only; manage the network interfaces of a VPC placement.
        const policy = new aws.iam.RolePolicy(
            `${name}-policy`,
            {
                role: role.id,
                policy: pulumi
                    .all([logGroup.arn, deadLetterQueueArn, sourceQueueArn])
                    .apply(([logGroupArn, dlqArn, queueArn]) =>
                        JSON.stringify(
                            executionPolicy(logGroupArn, dlqArn, [
                                ...(queueArn ? [queueStatement(queueArn)] : []),
                                ...(args.vpc ? [VPC_NETWORK_INTERFACE_STATEMENT] : []),
                                ...(args.policyStatements ?? []),
                            ]),
                        ),
                    ),
            },
            { parent: this },
        );

        const securityGroup = args.vpc
            ? new aws.ec2.SecurityGroup(
                  `${name}-sg`,
                  {
                      name: `${functionName}-sg`,
                      description: `Lambda function ${functionName}: egress only unless ingress is configured`,
                      vpcId: args.vpc.vpcId,
                      ingress: (args.vpc.ingressCidrs ?? []).map((cidr) => ({
                          protocol: "tcp",
                          fromPort: 0,
                          toPort: 65535,
                          cidrBlocks: [cidr],
                      })),
                      egress: [{ protocol: "-1", fromPort: 0, toPort: 0, cidrBlocks: ["0.0.0.0/0"] }],
                      tags,
                  },
                  { parent: this },
              )
            : undefined;

        const attachments = (args.managedPolicyArns ?? []).map(
            (policyArn, i) => new aws.iam.RolePolicyAttachment(`${name}-managed-${i}`, { role: role.name, policyArn }, { parent: this }),
        );

        const fn = new aws.lambda.Function(
            children.function,
            {
                name: functionName,
                role: role.arn,
                runtime: args.runtime,
                handler: args.handler,
                code: args.code ?? new pulumi.asset.FileArchive(args.codePath!),
                layers: args.layers ? [...args.layers] : undefined,
                architectures: args.architectures ? [...args.architectures] : undefined,
                memorySize: args.memoryMb,
                timeout: args.timeoutSeconds,
                publish: true,
                description: releaseDescription(args.release),
                environment: { variables: { ...args.environment, RELEASE: args.release.version } },
                reservedConcurrentExecutions: args.reservedConcurrency,
                deadLetterConfig: deadLetterQueueArn ? { targetArn: deadLetterQueueArn } : undefined,
                loggingConfig: { logFormat: "Text", logGroup: logGroup.name },
                vpcConfig: args.vpc && securityGroup ? { subnetIds: args.vpc.subnetIds, securityGroupIds: [securityGroup.id] } : undefined,
                tags,
            },
            { parent: this, dependsOn: [logGroup, policy, ...attachments] },
        );

        const live = pulumi.output(readLiveAlias(args.region, functionName, LIVE_ALIAS));
        const onUp = pulumi
            .all([fn.version, live])
            .apply(([publishedVersion, liveAlias]) =>
                aliasOnUp({ strategy: args.strategy, publishedVersion, live: liveAlias, explicit: args.routing }),
            );

        const alias = new aws.lambda.Alias(
            children.alias,
            {
                name: LIVE_ALIAS,
                functionName: fn.name,
                description: onUp.apply((u) => u.alias.description),
                functionVersion: onUp.apply((u) => u.alias.functionVersion),
                routingConfig: onUp.apply((u) => u.alias.routingConfig),
            },
            { parent: this },
        );

        // Every entrance targets the alias (components/frontDoor.ts): a caller that skips it skips the canary.
        const front = target(alias.arn);
        const endpoint = args.http ? declareHttp(args.http, { ...front, functionName: fn.name }) : undefined;
        if (args.queue && sourceQueueArn) declareQueueMapping(args.queue, sourceQueueArn, front, [policy]);
        if (args.schedule) declareSchedule(args.schedule, { ...front, functionName: fn.name });

        const alarms = new RollbackAlarms(
            `${name}-alarms`,
            {
                functionName,
                aliasName: LIVE_ALIAS,
                candidateVersion: fn.version,
                thresholds: args.thresholds,
                hasDeadLetterQueue: deadLetterQueueArn !== undefined,
                alarmTopicArn: args.alarmTopicArn,
                tags,
            },
            { parent: this },
        );

        this.functionName = fn.name;
        this.functionArn = fn.arn;
        this.aliasName = alias.name;
        this.aliasArn = alias.arn;
        this.stableVersion = onUp.apply((u) => u.outputs.stableVersion);
        this.candidateVersion = fn.version;
        this.liveWeights = onUp.apply((u) => u.outputs.liveWeights);
        this.routingSource = onUp.apply((u) => u.outputs.routingSource);
        this.alarmNames = alarms.alarmNames;
        this.deadLetterQueueArn = deadLetterQueueArn ?? pulumi.output(undefined);
        this.endpointUrl = endpoint?.url ?? pulumi.output(undefined);
        this.httpApi = endpoint?.api;
        this.registerOutputs({
            functionName: this.functionName,
            functionArn: this.functionArn,
            aliasName: this.aliasName,
            aliasArn: this.aliasArn,
            stableVersion: this.stableVersion,
            candidateVersion: this.candidateVersion,
            liveWeights: this.liveWeights,
            routingSource: this.routingSource,
            alarmNames: this.alarmNames,
            endpointUrl: this.endpointUrl,
        });
    }
}

/**
 * What one `up` makes of the `live` alias from the version it published and the alias as it is live: the routing
 * by the rule of routing, the alias's inputs, and the component's outputs. It throws rather than move a candidate
 * forward over an abort or a rollback recorded on the alias: an `up` cannot be conditional. One rule for the
 * component and for the rehearsal's routing-only `up`s (automation/rehearsal/routingReplay.ts).
 */
export function aliasOnUp(input: RoutingDecisionInput) {
    const refusal = input.explicit && forwardRefusal(input.explicit, input.live);
    if (refusal) throw new Error(refusal);
    const routing = decideAliasRouting(input);
    const weights = additionalVersionWeights(routing);
    return {
        alias: {
            functionVersion: routing.stableVersion,
            description: routing.description,
            routingConfig: weights ? { additionalVersionWeights: weights } : undefined,
        },
        outputs: { stableVersion: routing.stableVersion, liveWeights: trafficShares(routing), routingSource: routing.source },
    };
}

/** The execution role's policy: its own log group, its own dead-letter queue when it has one, and the caller's statements. */
export function executionPolicy(logGroupArn: string, deadLetterQueueArn?: string, extra: readonly PolicyStatement[] = []) {
    const statements: object[] = [
        { Sid: "Logs", Effect: "Allow", Action: ["logs:CreateLogStream", "logs:PutLogEvents"], Resource: `${logGroupArn}:*` },
    ];
    if (deadLetterQueueArn) {
        statements.push({ Sid: "DeadLetterQueue", Effect: "Allow", Action: "sqs:SendMessage", Resource: deadLetterQueueArn });
    }
    statements.push(...extra);
    return { Version: "2012-10-17", Statement: statements };
}
