import { expect } from "chai";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { describePlan } from "../../automation/engine/describePlan";
import { evaluateProgram, type DeclaredResource } from "../../automation/engine/evaluate";
import { T } from "../../automation/engine/resourceTypes";
import { parseStackConfig, StackConfigError } from "../../config/stackConfig";

const LIVE = /^arn:aws:lambda:[a-z0-9-]+:\d{12}:function:[\w-]+:live$/;

/**
 * Why a traffic source does not go through the `live` alias, or undefined when it does. A source on the
 * unqualified function, `$LATEST` or a version number would bypass the canary.
 */
function bypassOf(r: DeclaredResource): string | undefined {
    const i = r.inputs;
    switch (r.type) {
        case T.apiIntegration:
            return LIVE.test(i.integrationUri) ? undefined : `integration ${r.name} uri ${i.integrationUri}`;
        case T.permission:
            return i.qualifier === "live" && !String(i.function).includes(":")
                ? undefined
                : `permission ${r.name} on ${i.function} qualifier ${i.qualifier}`;
        case T.eventSourceMapping:
            return LIVE.test(i.functionName) ? undefined : `mapping ${r.name} on ${i.functionName}`;
        case T.functionUrl:
            return i.qualifier === "live" ? undefined : `function URL ${r.name} qualifier ${i.qualifier}`;
        case T.eventTarget:
            return LIVE.test(i.arn) ? undefined : `event target ${r.name} on ${i.arn}`;
        default:
            return undefined;
    }
}

const SOURCE_TYPES: string[] = [T.apiIntegration, T.permission, T.eventSourceMapping, T.functionUrl, T.eventTarget];

/** A stack file with every front-door option on: an HTTP API, a function URL, a queue, an existing queue, a schedule, a new VPC. */
const EVERY_OPTION = `config:
  aws:region: us-east-1
  lambda-rollout:functions:
    - name: api
      codeDir: app/api
      handler: index.handler
      http: { type: api, routes: ["GET /items", "POST /items"], throttleRateLimit: 50, throttleBurstLimit: 100 }
      schedule: rate(5 minutes)
    - name: web
      codeDir: app/api
      handler: index.handler
      http: { type: url, authorization: NONE, corsAllowOrigins: ["https://example.com"] }
    - name: worker
      codeDir: app/worker
      handler: index.handler
      queue: { batchSize: 5, partialBatchResponses: false, maxConcurrency: 2 }
    - name: importer
      codeDir: app/worker
      handler: index.handler
      queue: { arn: "arn:aws:sqs:us-east-1:123456789012:imports" }
  lambda-rollout:vpc: { availabilityZones: 2, natGateways: none, ingressCidrs: ["10.0.0.0/16"] }
  lambda-rollout:rollout: { strategy: all-at-once }
`;

function everyOptionFile(): string {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "front-door-"));
    const file = path.join(dir, "Pulumi.every.yaml");
    fs.writeFileSync(file, EVERY_OPTION);
    return file;
}

describe("the front door: every traffic source goes through the live alias", function () {
    this.timeout(120_000);
    const runs: [string, () => Promise<DeclaredResource[]>][] = [
        ["dev", async () => (await evaluateProgram({ stack: "dev" })).resources],
        ["staging", async () => (await evaluateProgram({ stack: "staging" })).resources],
        ["prod", async () => (await evaluateProgram({ stack: "prod" })).resources],
        ["a config with every option on", async () => (await evaluateProgram({ stack: "every", configFile: everyOptionFile() })).resources],
    ];
    for (const [label, resourcesOf] of runs) {
        it(`${label}: no integration, permission, mapping, function URL or event target bypasses the alias`, async () => {
            const resources = await resourcesOf();
            expect(resources.map(bypassOf).filter((p) => p !== undefined)).to.deep.equal([]);
        });
    }

    it("the check catches a source on $LATEST, a version number or the unqualified function", () => {
        const fnArn = "arn:aws:lambda:us-east-1:123456789012:function:orders";
        expect(bypassOf({ type: T.apiIntegration, name: "i", inputs: { integrationUri: fnArn } })).to.equal(`integration i uri ${fnArn}`);
        expect(bypassOf({ type: T.eventSourceMapping, name: "m", inputs: { functionName: `${fnArn}:7` } })).to.equal(
            `mapping m on ${fnArn}:7`,
        );
        expect(bypassOf({ type: T.permission, name: "p", inputs: { function: "orders", qualifier: "$LATEST" } })).to.equal(
            "permission p on orders qualifier $LATEST",
        );
        expect(bypassOf({ type: T.functionUrl, name: "u", inputs: { qualifier: undefined } })).to.equal(
            "function URL u qualifier undefined",
        );
        expect(bypassOf({ type: T.eventTarget, name: "t", inputs: { arn: fnArn } })).to.equal(`event target t on ${fnArn}`);
    });

    it("the every-option config declares each kind of source, the queue's role access and the VPC placement", async () => {
        const { resources } = await evaluateProgram({ stack: "every", configFile: everyOptionFile() });
        const of = (type: string) => resources.filter((r) => r.type === type);
        expect(SOURCE_TYPES.map((t) => of(t).length)).to.deep.equal([1, 2, 2, 1, 1]);
        expect(of(T.apiRoute).map((r) => r.inputs.routeKey)).to.deep.equal(["GET /items", "POST /items"]);
        expect(of(T.apiStage)[0].inputs.defaultRouteSettings).to.deep.equal({ throttlingRateLimit: 50, throttlingBurstLimit: 100 });
        expect(of(T.apiStage)[0].inputs.accessLogSettings.destinationArn).to.equal(
            "arn:aws:logs:us-east-1:123456789012:log-group:/aws/apigateway/lambda-rollout-every-api",
        );
        expect(of(T.apiIntegration)[0].inputs).to.include({ integrationType: "AWS_PROXY", payloadFormatVersion: "2.0" });
        const permissionFromApi = of(T.permission).find((r) => r.inputs.principal === "apigateway.amazonaws.com")!;
        expect(permissionFromApi.inputs.sourceArn).to.equal("arn:aws:execute-api:us-east-1:123456789012:api-api-apiid/*/*");
        expect(of(T.functionUrl)[0].inputs).to.deep.include({
            authorizationType: "NONE",
            cors: { allowOrigins: ["https://example.com"], allowMethods: ["*"] },
        });
        const mapping = (name: string) => of(T.eventSourceMapping).find((r) => r.name === name)!.inputs;
        const [worker, importer] = [mapping("worker-queue-mapping"), mapping("importer-queue-mapping")];
        expect(worker).to.deep.include({ batchSize: 5, scalingConfig: { maximumConcurrency: 2 } });
        expect(worker.functionResponseTypes).to.equal(undefined);
        expect(importer).to.deep.include({
            eventSourceArn: "arn:aws:sqs:us-east-1:123456789012:imports",
            functionResponseTypes: ["ReportBatchItemFailures"],
        });
        const importerPolicy = JSON.parse(resources.find((r) => r.name === "importer-policy")!.inputs.policy);
        expect(importerPolicy.Statement).to.deep.include({
            Sid: "EventSourceQueue",
            Effect: "Allow",
            Action: ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"],
            Resource: "arn:aws:sqs:us-east-1:123456789012:imports",
        });
        const workerQueue = resources.find((r) => r.name === "worker-queue")!;
        expect(JSON.parse(workerQueue.inputs.redrivePolicy)).to.deep.equal({
            deadLetterTargetArn: "arn:aws:sqs:us-east-1:123456789012:lambda-rollout-every-worker-queue-dlq",
            maxReceiveCount: 5,
        });
        expect(of(T.eventRule)[0].inputs.scheduleExpression).to.equal("rate(5 minutes)");
        expect(of(T.vpc)[0].inputs).to.deep.include({ numberOfAvailabilityZones: 2, natGateways: { strategy: "None" } });
        const apiFn = resources.find((r) => r.name === "api-fn")!;
        expect(apiFn.inputs.vpcConfig).to.deep.equal({
            subnetIds: ["subnet-network-private-1", "subnet-network-private-2"],
            securityGroupIds: ["sg-api-sg"],
        });
        expect(resources.find((r) => r.name === "api-sg")!.inputs.ingress).to.deep.equal([
            { protocol: "tcp", fromPort: 0, toPort: 65535, cidrBlocks: ["10.0.0.0/16"] },
        ]);
    });

    it("prod: the api behind an HTTP API on live, in the private subnets of an awsx VPC, egress only, with the network-interface permissions", async () => {
        const evaluation = await evaluateProgram({ stack: "prod" });
        const lines = describePlan("prod", evaluation);
        expect(lines).to.include(
            "  api integration  api-api-integration            AWS_PROXY payload 2.0 uri arn:aws:lambda:us-east-1:123456789012:function:lambda-rollout-prod-api:live",
        );
        expect(lines).to.include("  awsx vpc         network                        3 AZs, private subnets in each, NAT OnePerAz");
        expect(lines.find((l) => l.includes("api-api-invoke"))).to.contain("qualifier live from arn:aws:execute-api:");
        const sg = evaluation.resources.find((r) => r.type === T.securityGroup)!;
        expect(sg.inputs.ingress).to.deep.equal([]);
        const policy = JSON.parse(evaluation.resources.find((r) => r.name === "api-policy")!.inputs.policy);
        expect(policy.Statement.find((s: any) => s.Sid === "VpcNetworkInterfaces").Action).to.deep.equal([
            "ec2:CreateNetworkInterface",
            "ec2:DescribeNetworkInterfaces",
            "ec2:DeleteNetworkInterface",
            "ec2:AssignPrivateIpAddresses",
            "ec2:UnassignPrivateIpAddresses",
        ]);
        expect(evaluation.outputs.endpoints).to.deep.equal({ api: "https://api-api-apiid.execute-api.us-east-1.amazonaws.com/" });
        expect(evaluation.outputs.lambdaRollout.functions.api.endpointUrl).to.equal(
            "https://api-api-apiid.execute-api.us-east-1.amazonaws.com/",
        );
    });

    it("dev: no VPC, no security group, no network-interface permissions, no endpoint in the contract", async () => {
        const evaluation = await evaluateProgram({ stack: "dev" });
        expect(evaluation.resources.filter((r) => r.type === T.vpc || r.type === T.securityGroup)).to.deep.equal([]);
        expect(evaluation.resources.find((r) => r.type === T.fn)!.inputs.vpcConfig).to.equal(undefined);
        expect(evaluation.outputs.lambdaRollout.functions.api).to.not.have.property("endpointUrl");
    });
});

/** A valid config; each case changes one field. */
function base(): Record<string, any> {
    return {
        region: "us-east-1",
        functions: [{ name: "api", codeDir: "app/api", handler: "index.handler" }],
        rollout: { strategy: "all-at-once" },
    };
}

function problemsOf(mutate: (cfg: Record<string, any>) => void): string[] {
    const cfg = base();
    mutate(cfg);
    try {
        parseStackConfig(cfg, "Pulumi.test.yaml");
    } catch (err) {
        expect(err).to.be.instanceOf(StackConfigError);
        return (err as StackConfigError).problems;
    }
    throw new Error("expected the config to be refused");
}

describe("front-door and VPC config: each bad value refused with a message naming its key", () => {
    const cases: [string, (c: Record<string, any>) => void, string][] = [
        [
            "NAT strategy two",
            (c) => (c.vpc = { natGateways: "two" }),
            '`lambda-rollout:vpc.natGateways` (got "two"): must be one of "none", "single", "onePerAz"',
        ],
        [
            "zero availability zones",
            (c) => (c.vpc = { availabilityZones: 0 }),
            "`lambda-rollout:vpc.availabilityZones` (got 0): must be between 1 and 6",
        ],
        [
            "a bad VPC id",
            (c) => (c.vpc = { vpcId: "abc", subnetIds: ["subnet-0a"] }),
            '`lambda-rollout:vpc.vpcId` (got "abc"): must be a VPC id such as "vpc-0abc123"',
        ],
        [
            "a VPC id without subnets",
            (c) => (c.vpc = { vpcId: "vpc-0a" }),
            "`lambda-rollout:vpc.subnetIds`: is required with `vpcId`: the private subnets the functions run in",
        ],
        [
            "a NAT strategy for an existing VPC",
            (c) => (c.vpc = { vpcId: "vpc-0a", subnetIds: ["subnet-0a"], natGateways: "single" }),
            '`lambda-rollout:vpc.natGateways` (got "single"): applies to a new VPC only; an existing one (`vpcId`) keeps its own',
        ],
        [
            "an http type",
            (c) => (c.functions[0].http = { type: "rest" }),
            '`lambda-rollout:functions[0].http.type` (got "rest"): must have `type: api` (an API Gateway HTTP API) or `type: url` (a function URL)',
        ],
        [
            "an http target (there is none: the alias)",
            (c) => (c.functions[0].http = { type: "api", target: "$LATEST" }),
            "`lambda-rollout:functions[0].http`: has unknown key(s) `target`",
        ],
        [
            "a function URL qualifier",
            (c) => (c.functions[0].http = { type: "url", qualifier: "7" }),
            "`lambda-rollout:functions[0].http`: has unknown key(s) `qualifier`",
        ],
        [
            "a queue's function",
            (c) => (c.functions[0].queue = { functionName: "x:$LATEST" }),
            "`lambda-rollout:functions[0].queue`: has unknown key(s) `functionName`",
        ],
        [
            "a function URL auth type",
            (c) => (c.functions[0].http = { type: "url", authorization: "COGNITO" }),
            '`lambda-rollout:functions[0].http.authorization` (got "COGNITO"): must be "AWS_IAM" or "NONE"',
        ],
        [
            "a route key",
            (c) => (c.functions[0].http = { type: "api", routes: ["FETCH /x"] }),
            '`lambda-rollout:functions[0].http.routes[0]` (got "FETCH /x"): must be a route key such as "GET /items" or "$default"',
        ],
        [
            "a batch size of 0",
            (c) => (c.functions[0].queue = { batchSize: 0 }),
            "`lambda-rollout:functions[0].queue.batchSize` (got 0): must be between 1 and 10000",
        ],
        [
            "a queue ARN that is SNS",
            (c) => (c.functions[0].queue = { arn: "arn:aws:sns:us-east-1:123456789012:t" }),
            '`lambda-rollout:functions[0].queue.arn` (got "arn:aws:sns:us-east-1:123456789012:t"): must be an SQS queue ARN',
        ],
        [
            "a maximum concurrency of 1",
            (c) => (c.functions[0].queue = { maxConcurrency: 1 }),
            "`lambda-rollout:functions[0].queue.maxConcurrency` (got 1): must be between 2 and 1000",
        ],
        [
            "a schedule in words",
            (c) => (c.functions[0].schedule = "every 5 minutes"),
            '`lambda-rollout:functions[0].schedule` (got "every 5 minutes"): must be "rate(<n> minutes|hours|days)" or "cron(...)"',
        ],
    ];
    for (const [label, mutate, message] of cases) {
        it(`${label}: ${message}`, () => expect(problemsOf(mutate)).to.deep.equal([message]));
    }

    it("defaults: an HTTP API on $default at 100/s burst 200; a function URL with IAM auth; a queue of 10 with partial batch responses; a new VPC in 2 zones with one NAT", () => {
        const cfg = base();
        cfg.functions[0].http = { type: "api" };
        cfg.functions.push({ name: "web", codeDir: "app/api", handler: "index.handler", http: { type: "url" }, queue: {} });
        cfg.vpc = {};
        const parsed = parseStackConfig(cfg, "Pulumi.test.yaml");
        expect(parsed.functions[0].http).to.deep.equal({
            type: "api",
            routes: ["$default"],
            throttleRateLimit: 100,
            throttleBurstLimit: 200,
        });
        expect(parsed.functions[1].http).to.deep.equal({ type: "url", authorization: "AWS_IAM", corsAllowOrigins: [] });
        expect(parsed.functions[1].queue).to.deep.equal({ batchSize: 10, partialBatchResponses: true });
        expect(parsed.vpc).to.deep.equal({ kind: "new", availabilityZones: 2, natGateways: "single", ingressCidrs: [] });
    });
});
