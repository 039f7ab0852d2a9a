import { expect } from "chai";
import * as path from "path";
import { describePlan } from "../../../automation/engine/describePlan";
import { emptyAccount, evaluateProgram, PROJECT_ROOT } from "../../../automation/engine/evaluate";
import {
    defaultAnswer,
    RESOURCE_TYPES,
    resourceType,
    T,
    UnknownResourceTypeError,
    type DeclaredResource,
    type ResourceTypeKey,
} from "../../../automation/engine/resourceTypes";

const UNKNOWN_MESSAGE =
    "the mock engine does not know the resource type aws:s3/bucket:Bucket: add it to RESOURCE_TYPES in automation/engine/resourceTypes.ts " +
    "(its id, the outputs the program reads, and how the plan prints it)";

/** One declared resource per registered type: its inputs, and the id, computed outputs and plan line the engine gives it. */
const TABLE: Record<ResourceTypeKey, { inputs: Record<string, any>; id: string; computed: Record<string, unknown>; line: string }> = {
    fn: {
        inputs: {
            name: "orders-prod",
            runtime: "nodejs22.x",
            handler: "index.handler",
            memorySize: 256,
            timeout: 10,
            publish: true,
            description: "v7",
        },
        id: "orders-prod",
        computed: { arn: "arn:aws:lambda:us-east-1:123456789012:function:orders-prod", version: "7" },
        line: 'orders-prod nodejs22.x index.handler 256MB timeout 10s publish=true "v7"',
    },
    alias: {
        inputs: {
            functionName: "orders-prod",
            name: "live",
            functionVersion: "6",
            routingConfig: { additionalVersionWeights: { "7": 0.1 } },
        },
        id: "orders-prod:live",
        computed: { arn: "arn:aws:lambda:us-east-1:123456789012:function:orders-prod:live" },
        line: "orders-prod:live -> v6 + v7 10%",
    },
    alarm: {
        inputs: {
            name: "orders-errors",
            metricName: "Errors",
            statistic: "Sum",
            period: 60,
            dimensions: { Resource: "orders-prod:live" },
            comparisonOperator: "GreaterThanThreshold",
            threshold: 1,
            evaluationPeriods: 2,
        },
        id: "orders-errors",
        computed: { arn: "arn:aws:cloudwatch:us-east-1:123456789012:alarm:orders-errors" },
        line: 'orders-errors: Errors Sum/60s over {"Resource":"orders-prod:live"} GreaterThanThreshold 1, 2 of 2, missing=missing',
    },
    composite: {
        inputs: { alarmName: "orders-rollback", alarmRule: 'ALARM("orders-errors")', alarmActions: ["arn:topic"] },
        id: "orders-rollback",
        computed: { arn: "arn:aws:cloudwatch:us-east-1:123456789012:alarm:orders-rollback" },
        line: 'orders-rollback: ALARM("orders-errors") -> arn:topic',
    },
    dashboard: {
        inputs: { dashboardName: "rollout", dashboardBody: JSON.stringify({ widgets: [{ properties: { title: "Errors" } }] }) },
        id: "r-id",
        computed: {},
        line: "rollout: 1 widgets (Errors)",
    },
    logGroup: {
        inputs: { name: "/aws/lambda/orders-prod", retentionInDays: 14 },
        id: "r-id",
        computed: { arn: "arn:aws:logs:us-east-1:123456789012:log-group:/aws/lambda/orders-prod" },
        line: "/aws/lambda/orders-prod retention 14 days",
    },
    role: {
        inputs: { assumeRolePolicy: JSON.stringify({ Statement: [{ Principal: { Service: "lambda.amazonaws.com" } }] }) },
        id: "r-id",
        computed: { arn: "arn:aws:iam::123456789012:role/r", name: "r" },
        line: "assumed by lambda.amazonaws.com",
    },
    rolePolicy: {
        inputs: { policy: JSON.stringify({ Statement: [{ Action: ["sqs:SendMessage"], Resource: "arn:q" }] }) },
        id: "r-id",
        computed: {},
        line: "sqs:SendMessage on arn:q",
    },
    rolePolicyAttachment: {
        inputs: { policyArn: "arn:aws:iam::aws:policy/AWSXRayDaemonWriteAccess" },
        id: "r-id",
        computed: {},
        line: "arn:aws:iam::aws:policy/AWSXRayDaemonWriteAccess",
    },
    queue: {
        inputs: { name: "orders-dlq" },
        id: "r-id",
        computed: {
            arn: "arn:aws:sqs:us-east-1:123456789012:orders-dlq",
            url: "https://sqs.us-east-1.amazonaws.com/123456789012/orders-dlq",
        },
        line: "orders-dlq",
    },
    topic: {
        inputs: { name: "rollout-alarms" },
        id: "r-id",
        computed: { arn: "arn:aws:sns:us-east-1:123456789012:rollout-alarms" },
        line: "rollout-alarms",
    },
    subscription: {
        inputs: { protocol: "email", endpoint: "oncall@example.com" },
        id: "r-id",
        computed: {},
        line: "email oncall@example.com",
    },
    httpApi: {
        inputs: { name: "orders-prod", protocolType: "HTTP" },
        id: "r-apiid",
        computed: {
            apiEndpoint: "https://r-apiid.execute-api.us-east-1.amazonaws.com",
            executionArn: "arn:aws:execute-api:us-east-1:123456789012:r-apiid",
        },
        line: "orders-prod HTTP",
    },
    apiStage: {
        inputs: {
            apiId: "r-apiid",
            name: "$default",
            autoDeploy: true,
            defaultRouteSettings: { throttlingRateLimit: 100, throttlingBurstLimit: 200 },
            accessLogSettings: { destinationArn: "arn:aws:logs:us-east-1:123456789012:log-group:/aws/apigateway/orders-prod" },
        },
        id: "r-id",
        computed: { invokeUrl: "https://r-apiid.execute-api.us-east-1.amazonaws.com/" },
        line: "$default autoDeploy=true throttle 100/s burst 200 access logs -> arn:aws:logs:us-east-1:123456789012:log-group:/aws/apigateway/orders-prod",
    },
    apiIntegration: {
        inputs: {
            integrationType: "AWS_PROXY",
            payloadFormatVersion: "2.0",
            integrationUri: "arn:aws:lambda:us-east-1:123456789012:function:orders-prod:live",
        },
        id: "r-id",
        computed: {},
        line: "AWS_PROXY payload 2.0 uri arn:aws:lambda:us-east-1:123456789012:function:orders-prod:live",
    },
    apiRoute: {
        inputs: { routeKey: "$default", target: "integrations/i-1" },
        id: "r-id",
        computed: {},
        line: "$default -> integrations/i-1",
    },
    permission: {
        inputs: {
            action: "lambda:InvokeFunction",
            principal: "apigateway.amazonaws.com",
            function: "orders-prod",
            qualifier: "live",
            sourceArn: "arn:aws:execute-api:us-east-1:123456789012:r-apiid/*/*",
        },
        id: "r-id",
        computed: {},
        line: "lambda:InvokeFunction by apigateway.amazonaws.com on orders-prod qualifier live from arn:aws:execute-api:us-east-1:123456789012:r-apiid/*/*",
    },
    functionUrl: {
        inputs: { functionName: "orders-prod", qualifier: "live", authorizationType: "AWS_IAM" },
        id: "r-id",
        computed: { functionUrl: "https://r.lambda-url.us-east-1.on.aws/" },
        line: "orders-prod qualifier live auth AWS_IAM cors []",
    },
    eventSourceMapping: {
        inputs: {
            eventSourceArn: "arn:aws:sqs:us-east-1:123456789012:orders-queue",
            functionName: "arn:aws:lambda:us-east-1:123456789012:function:orders-prod:live",
            batchSize: 10,
            functionResponseTypes: ["ReportBatchItemFailures"],
            scalingConfig: { maximumConcurrency: 5 },
        },
        id: "r-id",
        computed: {},
        line: 'arn:aws:sqs:us-east-1:123456789012:orders-queue -> arn:aws:lambda:us-east-1:123456789012:function:orders-prod:live batch 10 ["ReportBatchItemFailures"] maxConcurrency 5',
    },
    eventRule: {
        inputs: { name: "orders-schedule", scheduleExpression: "rate(5 minutes)" },
        id: "r-id",
        computed: { arn: "arn:aws:events:us-east-1:123456789012:rule/orders-schedule" },
        line: "orders-schedule rate(5 minutes)",
    },
    eventTarget: {
        inputs: { rule: "orders-schedule", arn: "arn:aws:lambda:us-east-1:123456789012:function:orders-prod:live" },
        id: "r-id",
        computed: {},
        line: "orders-schedule -> arn:aws:lambda:us-east-1:123456789012:function:orders-prod:live",
    },
    securityGroup: {
        inputs: { name: "orders-sg", vpcId: "vpc-1", ingress: [], egress: [{ protocol: "-1", fromPort: 0, toPort: 0 }] },
        id: "sg-r",
        computed: { id: "sg-r", arn: "arn:aws:ec2:us-east-1:123456789012:security-group/sg-r" },
        line: "orders-sg in vpc-1 ingress 0 egress -1:0-0",
    },
    vpc: {
        inputs: { numberOfAvailabilityZones: 2, natGateways: { strategy: "Single" } },
        id: "vpc-r",
        computed: {
            vpcId: "vpc-r",
            privateSubnetIds: ["subnet-r-private-1", "subnet-r-private-2"],
            publicSubnetIds: ["subnet-r-public-1", "subnet-r-public-2"],
        },
        line: "2 AZs, private subnets in each, NAT Single",
    },
};

describe("the mock engine's resource type registry (automation/engine/resourceTypes.ts)", () => {
    for (const [key, row] of Object.entries(TABLE) as [ResourceTypeKey, (typeof TABLE)[ResourceTypeKey]][]) {
        const token = RESOURCE_TYPES[key].token;
        it(`${token}: the engine answers its id and the inputs plus ${Object.keys(row.computed).join(", ") || "nothing computed"}, and the plan prints it`, () => {
            const resource: DeclaredResource = { type: token, name: "r", inputs: row.inputs };
            expect(T[key]).to.equal(token);
            expect(defaultAnswer(resource, "7")).to.deep.equal({ id: row.id, state: { ...row.inputs, ...row.computed } });
            expect(resourceType(token).describe(row.inputs)).to.equal(row.line);
        });
    }

    it("every token is unique and every entry has a plan label", () => {
        const tokens = Object.values(RESOURCE_TYPES).map((t) => t.token);
        expect(new Set(tokens).size).to.equal(tokens.length);
        for (const type of Object.values(RESOURCE_TYPES)) expect(type.label, type.token).to.match(/^[a-z ]+$/);
    });

    it("a type the registry lacks fails with a message naming the type and the registry file", () => {
        const bucket: DeclaredResource = { type: "aws:s3/bucket:Bucket", name: "uploads", inputs: {} };
        expect(() => emptyAccount.register(bucket)).to.throw(UnknownResourceTypeError, UNKNOWN_MESSAGE);
    });

    it("a program declaring such a type fails its evaluation with that message instead of hanging", async function () {
        this.timeout(60_000);
        const project = {
            root: PROJECT_ROOT,
            name: "lambda-rollout",
            main: path.join(PROJECT_ROOT, "tests", "fixtures", "unknownResourceType.ts"),
        };
        let error: Error | undefined;
        try {
            await evaluateProgram({ stack: "dev", project });
        } catch (err) {
            error = err as Error;
        }
        expect(error?.message).to.contain(UNKNOWN_MESSAGE);
    });

    it("the plan prints each resource with its registry label", async function () {
        this.timeout(60_000);
        const lines = describePlan("prod", await evaluateProgram({ stack: "prod" }));
        expect(lines.find((l) => l.trimStart().startsWith("alias "))).to.match(/^ {2}alias {12}\S+-live +\S+:live -> v1 \(no split\)$/);
    });

    it("the plan of a stack in another region shows every ARN and endpoint in that region", async function () {
        this.timeout(60_000);
        const plan = describePlan("prod-eu-west-1", await evaluateProgram({ stack: "prod-eu-west-1" })).join("\n");
        const regions = new Set([...plan.matchAll(/arn:aws:[a-z-]+:([a-z0-9-]*):/g)].map((m) => m[1]).filter((r) => r !== ""));
        expect([...regions]).to.deep.equal(["eu-west-1"]);
        expect(plan).to.contain("arn:aws:lambda:eu-west-1:123456789012:function:lambda-rollout-prod-eu-west-1-api:live");
        expect(plan).not.to.contain("us-east-1");
    });

    it("an answer names the region it is asked for, the mock engine's own when none is", () => {
        const alias: DeclaredResource = { type: T.alias, name: "live", inputs: { functionName: "orders", name: "live" } };
        expect(defaultAnswer(alias, "", "ap-southeast-1").state.arn).to.equal(
            "arn:aws:lambda:ap-southeast-1:123456789012:function:orders:live",
        );
        expect(defaultAnswer(alias, "").state.arn).to.equal("arn:aws:lambda:us-east-1:123456789012:function:orders:live");
    });
});
