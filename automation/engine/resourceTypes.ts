/**
 * The one registry of the resource types the mock engine answers: for each `aws:` type token, the id and the
 * outputs a provider would report (computed from the inputs), and how the offline plan prints it.
 *
 * The mock engine (evaluate.ts), the plan (describePlan.ts), the rehearsal's simulated account
 * (mockEngineStack.ts) and the test fakes all read this table. A custom resource whose type is not here fails
 * the evaluation with an {@link UnknownResourceTypeError} naming the type and this file: an answer without the
 * outputs the program reads would leave an `apply` that never fires, and the evaluation would hang.
 */

/** A resource the program declared, with the inputs it sent to the engine. */
export interface DeclaredResource {
    readonly type: string;
    readonly name: string;
    readonly inputs: Record<string, any>;
}

/** How the mock engine answers one resource type, and how the plan shows it. */
export interface ResourceType {
    /** The Pulumi type token, e.g. `aws:lambda/function:Function`. */
    readonly token: string;
    /** The word the offline plan prints in its type column. */
    readonly label: string;
    /** The id a provider would assign. */
    id(resource: DeclaredResource): string;
    /**
     * The outputs a provider would report: the inputs plus the computed fields the program reads (ARNs in the
     * stack's `region`, names, the published version). Every output the program reads must be here, or an `apply`
     * on it never runs.
     */
    outputs(resource: DeclaredResource, publishedVersion: string, region: string): Record<string, any>;
    /** One line of the inputs a reviewer checks in the plan. */
    describe(inputs: Record<string, any>): string;
}

/** The account of every ARN the mock engine makes up. */
export const MOCK_ACCOUNT = "123456789012";
/** The region of its ARNs when the caller names none (the rehearsal's simulated account is in this one region). */
export const MOCK_REGION = "us-east-1";

const account = MOCK_ACCOUNT;

/** The id the engine gives a resource whose provider id the program never reads. */
const generatedId = (r: DeclaredResource) => `${r.name}-id`;
const sameInputs = (r: DeclaredResource) => ({ ...r.inputs });

function describeFunction(i: Record<string, any>): string {
    return (
        `${i.name} ${i.runtime} ${i.handler} ${i.memorySize}MB timeout ${i.timeout}s publish=${i.publish} "${i.description}"` +
        (i.reservedConcurrentExecutions !== undefined ? ` reserved=${i.reservedConcurrentExecutions}` : "") +
        (i.deadLetterConfig ? ` dlq=${i.deadLetterConfig.targetArn}` : "") +
        (i.vpcConfig ? ` subnets=${(i.vpcConfig.subnetIds ?? []).join(",")} sg=${(i.vpcConfig.securityGroupIds ?? []).join(",")}` : "")
    );
}

function describeAlias(i: Record<string, any>): string {
    const weights = i.routingConfig?.additionalVersionWeights;
    const split =
        weights && Object.keys(weights).length > 0
            ? ` + ${Object.entries(weights)
                  .map(([v, w]) => `v${v} ${Math.round(Number(w) * 1000) / 10}%`)
                  .join(", ")}`
            : " (no split)";
    return `${i.functionName}:${i.name} -> v${i.functionVersion}${split}`;
}

function describeMetricAlarm(i: Record<string, any>): string {
    const rule = `${i.comparisonOperator} ${i.threshold}, ${i.datapointsToAlarm ?? i.evaluationPeriods} of ${i.evaluationPeriods}, missing=${i.treatMissingData ?? "missing"}`;
    if (i.metricQueries) {
        const expr = i.metricQueries.find((q: any) => q.expression)?.expression;
        const dims = i.metricQueries.find((q: any) => q.metricStat)?.metricStat.metric.dimensions;
        return `${i.name}: ${expr} over ${JSON.stringify(dims)} ${rule}`;
    }
    return `${i.name}: ${i.metricName} ${i.extendedStatistic ?? i.statistic}/${i.period}s over ${JSON.stringify(i.dimensions)} ${rule}`;
}

/**
 * Every resource type the mock engine answers, by a short key the tests use. A new type is one entry here;
 * the compiler then checks each caller.
 */
export const RESOURCE_TYPES = {
    fn: {
        token: "aws:lambda/function:Function",
        label: "function",
        id: (r) => r.inputs.name,
        outputs: (r, publishedVersion, region) => ({
            ...r.inputs,
            arn: `arn:aws:lambda:${region}:${account}:function:${r.inputs.name}`,
            version: publishedVersion,
        }),
        describe: describeFunction,
    },
    alias: {
        token: "aws:lambda/alias:Alias",
        label: "alias",
        id: (r) => `${r.inputs.functionName}:${r.inputs.name}`,
        outputs: (r, _version, region) => ({
            ...r.inputs,
            arn: `arn:aws:lambda:${region}:${account}:function:${r.inputs.functionName}:${r.inputs.name}`,
        }),
        describe: describeAlias,
    },
    alarm: {
        token: "aws:cloudwatch/metricAlarm:MetricAlarm",
        label: "alarm",
        id: (r) => r.inputs.name,
        outputs: (r, _version, region) => ({ ...r.inputs, arn: `arn:aws:cloudwatch:${region}:${account}:alarm:${r.inputs.name}` }),
        describe: describeMetricAlarm,
    },
    composite: {
        token: "aws:cloudwatch/compositeAlarm:CompositeAlarm",
        label: "composite alarm",
        id: (r) => r.inputs.alarmName,
        outputs: (r, _version, region) => ({ ...r.inputs, arn: `arn:aws:cloudwatch:${region}:${account}:alarm:${r.inputs.alarmName}` }),
        describe: (i) => `${i.alarmName}: ${i.alarmRule} -> ${(i.alarmActions ?? []).join(", ")}`,
    },
    dashboard: {
        token: "aws:cloudwatch/dashboard:Dashboard",
        label: "dashboard",
        id: generatedId,
        outputs: sameInputs,
        describe: (i) => {
            const widgets = (JSON.parse(i.dashboardBody) as { widgets: { properties: { title: string } }[] }).widgets;
            return `${i.dashboardName}: ${widgets.length} widgets (${widgets.map((w) => w.properties.title).join("; ")})`;
        },
    },
    logGroup: {
        token: "aws:cloudwatch/logGroup:LogGroup",
        label: "log group",
        id: generatedId,
        outputs: (r, _version, region) => ({ ...r.inputs, arn: `arn:aws:logs:${region}:${account}:log-group:${r.inputs.name}` }),
        describe: (i) => `${i.name} retention ${i.retentionInDays} days`,
    },
    role: {
        token: "aws:iam/role:Role",
        label: "role",
        id: generatedId,
        outputs: (r) => ({ ...r.inputs, arn: `arn:aws:iam::${account}:role/${r.name}`, name: r.name }),
        describe: (i) => {
            const statements = (JSON.parse(i.assumeRolePolicy) as { Statement: { Principal: { Service: string } }[] }).Statement;
            return `assumed by ${statements.map((st) => st.Principal.Service).join(", ")}`;
        },
    },
    rolePolicy: {
        token: "aws:iam/rolePolicy:RolePolicy",
        label: "role policy",
        id: generatedId,
        outputs: sameInputs,
        describe: (i) =>
            (JSON.parse(i.policy) as { Statement: { Action: string | string[]; Resource: string }[] }).Statement.map(
                (s) => `${[s.Action].flat().join(",")} on ${s.Resource}`,
            ).join("; "),
    },
    rolePolicyAttachment: {
        token: "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
        label: "managed policy",
        id: generatedId,
        outputs: sameInputs,
        describe: (i) => String(i.policyArn),
    },
    queue: {
        token: "aws:sqs/queue:Queue",
        label: "queue",
        id: generatedId,
        outputs: (r, _version, region) => ({
            ...r.inputs,
            arn: `arn:aws:sqs:${region}:${account}:${r.inputs.name}`,
            url: `https://sqs.${region}.amazonaws.com/${account}/${r.inputs.name}`,
        }),
        describe: (i) => String(i.name),
    },
    topic: {
        token: "aws:sns/topic:Topic",
        label: "topic",
        id: generatedId,
        outputs: (r, _version, region) => ({ ...r.inputs, arn: `arn:aws:sns:${region}:${account}:${r.inputs.name}` }),
        describe: (i) => String(i.name),
    },
    subscription: {
        token: "aws:sns/topicSubscription:TopicSubscription",
        label: "subscription",
        id: generatedId,
        outputs: sameInputs,
        describe: (i) => `${i.protocol} ${i.endpoint}`,
    },
    httpApi: {
        token: "aws:apigatewayv2/api:Api",
        label: "http api",
        id: (r) => `${r.name}-apiid`,
        outputs: (r, _version, region) => {
            const id = `${r.name}-apiid`;
            return {
                ...r.inputs,
                apiEndpoint: `https://${id}.execute-api.${region}.amazonaws.com`,
                executionArn: `arn:aws:execute-api:${region}:${account}:${id}`,
            };
        },
        describe: (i) => `${i.name} ${i.protocolType}`,
    },
    apiStage: {
        token: "aws:apigatewayv2/stage:Stage",
        label: "api stage",
        id: generatedId,
        outputs: (r, _version, region) => ({ ...r.inputs, invokeUrl: `https://${r.inputs.apiId}.execute-api.${region}.amazonaws.com/` }),
        describe: (i) =>
            `${i.name} autoDeploy=${i.autoDeploy} throttle ${i.defaultRouteSettings?.throttlingRateLimit}/s burst ${i.defaultRouteSettings?.throttlingBurstLimit} access logs -> ${i.accessLogSettings?.destinationArn}`,
    },
    apiIntegration: {
        token: "aws:apigatewayv2/integration:Integration",
        label: "api integration",
        id: generatedId,
        outputs: sameInputs,
        describe: (i) => `${i.integrationType} payload ${i.payloadFormatVersion} uri ${i.integrationUri}`,
    },
    apiRoute: {
        token: "aws:apigatewayv2/route:Route",
        label: "api route",
        id: generatedId,
        outputs: sameInputs,
        describe: (i) => `${i.routeKey} -> ${i.target}`,
    },
    permission: {
        token: "aws:lambda/permission:Permission",
        label: "permission",
        id: generatedId,
        outputs: sameInputs,
        describe: (i) => `${i.action} by ${i.principal} on ${i.function} qualifier ${i.qualifier} from ${i.sourceArn}`,
    },
    functionUrl: {
        token: "aws:lambda/functionUrl:FunctionUrl",
        label: "function url",
        id: generatedId,
        outputs: (r, _version, region) => ({ ...r.inputs, functionUrl: `https://${r.name}.lambda-url.${region}.on.aws/` }),
        describe: (i) =>
            `${i.functionName} qualifier ${i.qualifier} auth ${i.authorizationType} cors ${JSON.stringify(i.cors?.allowOrigins ?? [])}`,
    },
    eventSourceMapping: {
        token: "aws:lambda/eventSourceMapping:EventSourceMapping",
        label: "event source",
        id: generatedId,
        outputs: sameInputs,
        describe: (i) =>
            `${i.eventSourceArn} -> ${i.functionName} batch ${i.batchSize} ${JSON.stringify(i.functionResponseTypes ?? [])} maxConcurrency ${i.scalingConfig?.maximumConcurrency}`,
    },
    eventRule: {
        token: "aws:cloudwatch/eventRule:EventRule",
        label: "schedule",
        id: generatedId,
        outputs: (r, _version, region) => ({ ...r.inputs, arn: `arn:aws:events:${region}:${account}:rule/${r.inputs.name}` }),
        describe: (i) => `${i.name} ${i.scheduleExpression}`,
    },
    eventTarget: {
        token: "aws:cloudwatch/eventTarget:EventTarget",
        label: "event target",
        id: generatedId,
        outputs: sameInputs,
        describe: (i) => `${i.rule} -> ${i.arn}`,
    },
    securityGroup: {
        token: "aws:ec2/securityGroup:SecurityGroup",
        label: "security group",
        id: (r) => `sg-${r.name}`,
        outputs: (r, _version, region) => ({
            ...r.inputs,
            id: `sg-${r.name}`,
            arn: `arn:aws:ec2:${region}:${account}:security-group/sg-${r.name}`,
        }),
        describe: (i) =>
            `${i.name} in ${i.vpcId} ingress ${(i.ingress ?? []).length} egress ${(i.egress ?? []).map((e: any) => `${e.protocol}:${e.fromPort}-${e.toPort}`).join(",")}`,
    },
    /** awsx's VPC, a remote component: the mock answers the outputs the program reads, as awsx would. */
    vpc: {
        token: "awsx:ec2:Vpc",
        label: "awsx vpc",
        id: (r) => `vpc-${r.name}`,
        outputs: (r) => {
            const azs = Number(r.inputs.numberOfAvailabilityZones ?? 3);
            const subnets = (kind: string) => Array.from({ length: azs }, (_, i) => `subnet-${r.name}-${kind}-${i + 1}`);
            return { ...r.inputs, vpcId: `vpc-${r.name}`, privateSubnetIds: subnets("private"), publicSubnetIds: subnets("public") };
        },
        describe: (i) => {
            const azs = Number(i.numberOfAvailabilityZones ?? 3);
            return `${azs} AZs, private subnets in each, NAT ${i.natGateways?.strategy}`;
        },
    },
} as const satisfies Record<string, ResourceType>;

/** The short keys of {@link RESOURCE_TYPES}. */
export type ResourceTypeKey = keyof typeof RESOURCE_TYPES;

/** Type tokens by short key (`T.fn` is `aws:lambda/function:Function`), for tests and callers that match on a type. */
export const T = Object.fromEntries(Object.entries(RESOURCE_TYPES).map(([key, type]) => [key, type.token])) as {
    readonly [K in ResourceTypeKey]: (typeof RESOURCE_TYPES)[K]["token"];
};

const BY_TOKEN: ReadonlyMap<string, ResourceType> = new Map(Object.values(RESOURCE_TYPES).map((type) => [type.token, type]));

/** The registry file, as error messages name it. */
export const RESOURCE_TYPES_FILE = "automation/engine/resourceTypes.ts";

/** A custom resource the mock engine has no entry for: a bug to fix in the registry, not a user's mistake. */
export class UnknownResourceTypeError extends Error {
    constructor(readonly token: string) {
        super(
            `the mock engine does not know the resource type ${token}: add it to RESOURCE_TYPES in ${RESOURCE_TYPES_FILE} ` +
                `(its id, the outputs the program reads, and how the plan prints it)`,
        );
        this.name = "UnknownResourceTypeError";
    }
}

/** The registry's entry for a type token, or undefined. */
export function findResourceType(token: string): ResourceType | undefined {
    return BY_TOKEN.get(token);
}

/** The registry's entry for a type token; throws an {@link UnknownResourceTypeError} when there is none. */
export function resourceType(token: string): ResourceType {
    const type = BY_TOKEN.get(token);
    if (type === undefined) throw new UnknownResourceTypeError(token);
    return type;
}

/**
 * The engine's answer for a resource: its id and outputs from the registry (`publishedVersion` is what a
 * function's publish yields; its ARNs in `region`). Throws an {@link UnknownResourceTypeError} for a type the
 * registry lacks.
 */
export function defaultAnswer(
    resource: DeclaredResource,
    publishedVersion: string,
    region: string = MOCK_REGION,
): { id: string; state: Record<string, any> } {
    const type = resourceType(resource.type);
    return { id: type.id(resource), state: type.outputs(resource, publishedVersion, region) };
}
