/**
 * What sends a progressively delivered function its traffic: an API Gateway HTTP API or a function URL, an SQS
 * queue, an EventBridge schedule. Every one of them targets the `live` alias, never the unqualified function,
 * `$LATEST` or a version number: a caller that skips the alias skips the canary. The alias ARN is the only
 * target these functions accept, so there is no option that could point one elsewhere.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";

/** HTTP in front of the alias: an HTTP API, or a function URL. */
export type HttpFrontDoor =
    | { readonly type: "api"; readonly routes: readonly string[]; readonly throttleRateLimit: number; readonly throttleBurstLimit: number }
    | { readonly type: "url"; readonly authorization: "AWS_IAM" | "NONE"; readonly corsAllowOrigins: readonly string[] };

/** An SQS queue feeding the alias: `arn` an existing queue, otherwise one is created with a dead-letter queue. */
export interface QueueSource {
    readonly arn?: string;
    readonly batchSize: number;
    readonly partialBatchResponses: boolean;
    readonly maxConcurrency?: number;
}

/** Where the traffic comes in: the inputs of {@link declareHttp}. */
export interface FrontDoorTarget {
    readonly name: string;
    readonly functionName: pulumi.Input<string>;
    readonly aliasName: string;
    readonly aliasArn: pulumi.Input<string>;
    readonly logRetentionDays: number;
    readonly tags: Record<string, string>;
    readonly parent: pulumi.Resource;
}

/** The HTTP entrance's endpoint, and the API's id and stage for the dashboard (an HTTP API only). */
export interface HttpEndpoint {
    readonly url: pulumi.Output<string>;
    readonly api?: { readonly apiId: pulumi.Output<string>; readonly stage: string };
}

/** Declares the HTTP API or the function URL on the alias. */
export function declareHttp(http: HttpFrontDoor, t: FrontDoorTarget): HttpEndpoint {
    const opts = { parent: t.parent };
    if (http.type === "url") {
        const url = new aws.lambda.FunctionUrl(
            `${t.name}-url`,
            {
                functionName: t.functionName,
                qualifier: t.aliasName,
                authorizationType: http.authorization,
                cors: http.corsAllowOrigins.length > 0 ? { allowOrigins: [...http.corsAllowOrigins], allowMethods: ["*"] } : undefined,
            },
            opts,
        );
        return { url: url.functionUrl };
    }
    const api = new aws.apigatewayv2.Api(
        `${t.name}-api`,
        { name: pulumi.interpolate`${t.functionName}`, protocolType: "HTTP", tags: t.tags },
        opts,
    );
    const accessLogs = new aws.cloudwatch.LogGroup(
        `${t.name}-api-logs`,
        { name: pulumi.interpolate`/aws/apigateway/${t.functionName}`, retentionInDays: t.logRetentionDays, tags: t.tags },
        opts,
    );
    const stageName = "$default";
    const stage = new aws.apigatewayv2.Stage(
        `${t.name}-api-stage`,
        {
            apiId: api.id,
            name: stageName,
            autoDeploy: true,
            defaultRouteSettings: { throttlingRateLimit: http.throttleRateLimit, throttlingBurstLimit: http.throttleBurstLimit },
            accessLogSettings: {
                destinationArn: accessLogs.arn,
                format: JSON.stringify({
                    requestId: "$context.requestId",
                    routeKey: "$context.routeKey",
                    status: "$context.status",
                    latency: "$context.integrationLatency",
                    error: "$context.integrationErrorMessage",
                }),
            },
            tags: t.tags,
        },
        opts,
    );
    const integration = new aws.apigatewayv2.Integration(
        `${t.name}-api-integration`,
        { apiId: api.id, integrationType: "AWS_PROXY", integrationUri: t.aliasArn, payloadFormatVersion: "2.0" },
        opts,
    );
    http.routes.forEach(
        (routeKey, i) =>
            new aws.apigatewayv2.Route(
                `${t.name}-api-route-${i}`,
                { apiId: api.id, routeKey, target: pulumi.interpolate`integrations/${integration.id}` },
                opts,
            ),
    );
    new aws.lambda.Permission(
        `${t.name}-api-invoke`,
        {
            action: "lambda:InvokeFunction",
            principal: "apigateway.amazonaws.com",
            function: t.functionName,
            qualifier: t.aliasName,
            sourceArn: pulumi.interpolate`${api.executionArn}/*/*`,
        },
        opts,
    );
    return { url: stage.invokeUrl, api: { apiId: api.id, stage: stageName } };
}

/** Declares the queue (when not given by ARN) and its mapping on the alias; returns the queue's ARN for the role. */
export function declareQueue(queue: QueueSource, t: FrontDoorTarget, visibilityTimeoutSeconds: number): pulumi.Output<string> {
    const opts = { parent: t.parent };
    let queueArn: pulumi.Output<string>;
    if (queue.arn !== undefined) {
        queueArn = pulumi.output(queue.arn);
    } else {
        const dlq = new aws.sqs.Queue(
            `${t.name}-queue-dlq`,
            {
                name: pulumi.interpolate`${t.functionName}-queue-dlq`,
                messageRetentionSeconds: 14 * 24 * 3600,
                sqsManagedSseEnabled: true,
                tags: t.tags,
            },
            opts,
        );
        const created = new aws.sqs.Queue(
            `${t.name}-queue`,
            {
                name: pulumi.interpolate`${t.functionName}-queue`,
                // AWS: at least six times the function's timeout, so a retried batch is not seen twice.
                visibilityTimeoutSeconds: Math.max(30, 6 * visibilityTimeoutSeconds),
                redrivePolicy: dlq.arn.apply((deadLetterTargetArn) => JSON.stringify({ deadLetterTargetArn, maxReceiveCount: 5 })),
                sqsManagedSseEnabled: true,
                tags: t.tags,
            },
            opts,
        );
        queueArn = created.arn;
    }
    return queueArn;
}

/** The mapping from the queue to the alias; declared after the role can read the queue. */
export function declareQueueMapping(queue: QueueSource, queueArn: pulumi.Input<string>, t: FrontDoorTarget, dependsOn: pulumi.Resource[]) {
    return new aws.lambda.EventSourceMapping(
        `${t.name}-queue-mapping`,
        {
            eventSourceArn: queueArn,
            functionName: t.aliasArn,
            batchSize: queue.batchSize,
            functionResponseTypes: queue.partialBatchResponses ? ["ReportBatchItemFailures"] : undefined,
            scalingConfig: queue.maxConcurrency !== undefined ? { maximumConcurrency: queue.maxConcurrency } : undefined,
        },
        { parent: t.parent, dependsOn },
    );
}

/**
 * Declares an EventBridge rule with a schedule that invokes the alias. A rule with a target (rather than
 * aws.scheduler.Schedule) because its invocation is authorized by a resource-based permission on the alias,
 * which the test of targets checks like every other entrance; EventBridge Scheduler would need its own role.
 */
export function declareSchedule(scheduleExpression: string, t: FrontDoorTarget): void {
    const opts = { parent: t.parent };
    const rule = new aws.cloudwatch.EventRule(
        `${t.name}-schedule`,
        { name: pulumi.interpolate`${t.functionName}-schedule`, scheduleExpression, tags: t.tags },
        opts,
    );
    new aws.cloudwatch.EventTarget(`${t.name}-schedule-target`, { rule: rule.name, arn: t.aliasArn }, opts);
    new aws.lambda.Permission(
        `${t.name}-schedule-invoke`,
        {
            action: "lambda:InvokeFunction",
            principal: "events.amazonaws.com",
            function: t.functionName,
            qualifier: t.aliasName,
            sourceArn: rule.arn,
        },
        opts,
    );
}

/** The statement letting the execution role read from its queue, and only that one. */
export function queueStatement(queueArn: string) {
    return {
        Sid: "EventSourceQueue",
        Effect: "Allow" as const,
        Action: ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"],
        Resource: queueArn,
    };
}

/**
 * The network-interface permissions Lambda needs to place a function in a VPC, as "Giving Lambda functions
 * access to resources in an Amazon VPC" lists them
 * (https://docs.aws.amazon.com/lambda/latest/dg/configuration-vpc.html, execution role permissions): the
 * AWSLambdaVPCAccessExecutionRole policy without its logs actions (the role has its own log group) and without
 * ec2:DescribeSubnets. DescribeNetworkInterfaces works only on `"Resource": "*"`, and the page warns that a
 * DeleteNetworkInterface scoped to resource ids can keep the function out of its VPC, so the statement is not
 * scoped further.
 */
export const VPC_NETWORK_INTERFACE_STATEMENT = {
    Sid: "VpcNetworkInterfaces",
    Effect: "Allow" as const,
    Action: [
        "ec2:CreateNetworkInterface",
        "ec2:DescribeNetworkInterfaces",
        "ec2:DeleteNetworkInterface",
        "ec2:AssignPrivateIpAddresses",
        "ec2:UnassignPrivateIpAddresses",
    ],
    Resource: "*",
};
