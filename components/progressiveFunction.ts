import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { readLiveAlias } from "./liveAlias";
import { AlarmThresholds, RollbackAlarms } from "./rollbackAlarms";
import { additionalVersionWeights, decideAliasRouting, RoutingRequest, RoutingSource, Strategy, trafficShares } from "./routing";

/** The alias every progressively delivered function is called through. */
export const LIVE_ALIAS = "live";

/** Arguments of {@link ProgressiveFunction}. */
export interface ProgressiveFunctionArgs {
    /** The AWS name of the function (physical, so the live alias can be read before the function exists). */
    readonly functionName: string;
    /** AWS region, for reading the live alias. */
    readonly region: string;
    /** Absolute path of the directory holding the function's code. */
    readonly codePath: string;
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
}

/** Checks the arguments before anything is registered; messages name the field. */
export function validateProgressiveFunctionArgs(args: ProgressiveFunctionArgs): void {
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

    constructor(name: string, args: ProgressiveFunctionArgs, opts: pulumi.ComponentResourceOptions = {}) {
        super("lambda-rollout:index:ProgressiveFunction", name, {}, opts);
        validateProgressiveFunctionArgs(args);
        const { functionName } = args;
        const tags = {
            ...args.tags,
            "lambda-rollout:function": functionName,
            "lambda-rollout:release": args.release.version,
            ...(args.release.commit ? { "lambda-rollout:commit": args.release.commit } : {}),
        };

        const logGroup = new aws.cloudwatch.LogGroup(
            `${name}-logs`,
            { name: `/aws/lambda/${functionName}`, retentionInDays: args.logRetentionDays, tags },
            { parent: this },
        );

        const role = new aws.iam.Role(
            `${name}-role`,
            {
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

        // Least privilege: write to its own log group; send to its own dead-letter queue when it has one.
        const policy = new aws.iam.RolePolicy(
            `${name}-policy`,
            {
                role: role.id,
                policy: pulumi.all([logGroup.arn, deadLetterQueueArn]).apply(([logGroupArn, dlqArn]) =>
                    JSON.stringify(executionPolicy(logGroupArn, dlqArn)),
                ),
            },
            { parent: this },
        );

        const fn = new aws.lambda.Function(
            `${name}-fn`,
            {
                name: functionName,
                role: role.arn,
                runtime: args.runtime,
                handler: args.handler,
                code: new pulumi.asset.FileArchive(args.codePath),
                memorySize: args.memoryMb,
                timeout: args.timeoutSeconds,
                publish: true,
                description: releaseDescription(args.release),
                environment: { variables: { ...args.environment, RELEASE: args.release.version } },
                reservedConcurrentExecutions: args.reservedConcurrency,
                deadLetterConfig: deadLetterQueueArn ? { targetArn: deadLetterQueueArn } : undefined,
                loggingConfig: { logFormat: "Text", logGroup: logGroup.name },
                tags,
            },
            { parent: this, dependsOn: [logGroup, policy] },
        );

        const live = pulumi.output(readLiveAlias(args.region, functionName, LIVE_ALIAS));
        const routing = pulumi
            .all([fn.version, live])
            .apply(([publishedVersion, liveAlias]) =>
                decideAliasRouting({ strategy: args.strategy, publishedVersion, live: liveAlias, explicit: args.routing }),
            );

        const alias = new aws.lambda.Alias(
            `${name}-live`,
            {
                name: LIVE_ALIAS,
                functionName: fn.name,
                description: routing.description,
                functionVersion: routing.stableVersion,
                routingConfig: routing.apply((r) => {
                    const weights = additionalVersionWeights(r);
                    return weights ? { additionalVersionWeights: weights } : undefined;
                }),
            },
            { parent: this },
        );

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
        this.stableVersion = routing.stableVersion;
        this.candidateVersion = fn.version;
        this.liveWeights = routing.apply(trafficShares);
        this.routingSource = routing.source;
        this.alarmNames = alarms.alarmNames;
        this.deadLetterQueueArn = deadLetterQueueArn ?? pulumi.output(undefined);
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
        });
    }
}

/** The execution role's policy: its own log group, and its own dead-letter queue when it has one. */
export function executionPolicy(logGroupArn: string, deadLetterQueueArn?: string) {
    const statements: object[] = [
        { Sid: "Logs", Effect: "Allow", Action: ["logs:CreateLogStream", "logs:PutLogEvents"], Resource: `${logGroupArn}:*` },
    ];
    if (deadLetterQueueArn) {
        statements.push({ Sid: "DeadLetterQueue", Effect: "Allow", Action: "sqs:SendMessage", Resource: deadLetterQueueArn });
    }
    return { Version: "2012-10-17", Statement: statements };
}
