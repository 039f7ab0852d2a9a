/**
 * The lambda-rollout Pulumi program: reads and validates the stack's config, creates the components, exports
 * the rollout contract (`lambdaRollout`) the rollout tool reads. `pulumi up --stack <env>` runs it; so do the
 * offline plan and the rehearsal, under Pulumi's mock engine. Bad config throws before any resource is registered.
 */
import * as awsx from "@pulumi/awsx";
import * as pulumi from "@pulumi/pulumi";
import * as path from "path";
import {
    AlarmTopic,
    DeploymentAlarms,
    LIVE_ALIAS,
    ProgressiveFunction,
    rolloutOutputs,
    RolloutDashboard,
    type RolloutStackOutputs,
} from "./components";
import { stepsFor } from "./automation/rollout/steps";
import { decodePulumiConfig, NAT_STRATEGIES, PROJECT, readRelease, readStackConfig } from "./config";

export = async () => {
    const stack = pulumi.getStack();
    const config = readStackConfig(decodePulumiConfig(pulumi.runtime.allConfig()), `the config of stack "${stack}"`, __dirname, PROJECT);
    const release = readRelease(__dirname);
    const { rollout } = config;
    const prefix = `${PROJECT}-${stack}`;
    const tags = { "lambda-rollout:stack": stack };
    // An adopted function keeps its own name (`functions[].functionName`); the others are named by the stack.
    const functionNameOf = (fn: { name: string; functionName?: string }) => fn.functionName ?? `${prefix}-${fn.name}`;

    const topic = new AlarmTopic("alarms", {
        topicName: `${prefix}-rollback-alarms`,
        email: config.alarms.email === undefined ? undefined : pulumi.secret(config.alarms.email),
        tags,
    });

    // The stack's network: a new awsx VPC (private subnets in each zone), an existing one, or none.
    let vpc: { vpcId: pulumi.Input<string>; subnetIds: pulumi.Input<string[]>; ingressCidrs: string[] } | undefined;
    if (config.vpc?.kind === "existing") {
        vpc = { vpcId: config.vpc.vpcId, subnetIds: config.vpc.subnetIds, ingressCidrs: config.vpc.ingressCidrs };
    } else if (config.vpc?.kind === "new") {
        const network = new awsx.ec2.Vpc("network", {
            numberOfAvailabilityZones: config.vpc.availabilityZones,
            natGateways: { strategy: NAT_STRATEGIES[config.vpc.natGateways] },
            tags: { ...tags, Name: prefix },
        });
        vpc = { vpcId: network.vpcId, subnetIds: network.privateSubnetIds, ingressCidrs: config.vpc.ingressCidrs };
    }

    const functions = config.functions.map(
        (fn) =>
            new ProgressiveFunction(fn.name, {
                functionName: functionNameOf(fn),
                roleName: fn.roleName,
                rolePath: fn.rolePath,
                logGroupName: fn.logGroupName,
                region: config.region,
                codePath: path.resolve(__dirname, fn.codeDir),
                handler: fn.handler,
                runtime: fn.runtime,
                memoryMb: fn.memoryMb,
                timeoutSeconds: fn.timeout,
                environment: fn.environment,
                reservedConcurrency: fn.reservedConcurrency,
                deadLetterQueue: fn.deadLetterQueue,
                logRetentionDays: fn.logRetentionDays,
                strategy: rollout.strategy,
                routing: config.routing?.[fn.name],
                thresholds: rollout.gates,
                alarmTopicArn: topic.topicArn,
                release,
                tags,
                http: fn.http,
                queue: fn.queue,
                schedule: fn.schedule,
                vpc,
            }),
    );

    const dashboard = new RolloutDashboard("rollout", {
        dashboardName: prefix,
        region: config.region,
        functionNames: config.functions.map(functionNameOf),
        aliasName: LIVE_ALIAS,
        httpApis: functions.flatMap((f) => (f.httpApi ? [f.httpApi] : [])),
        deployments: { stack, functionKeys: config.functions.map((f) => f.name) },
    });

    // The runbook's monitors on the deployment metrics the rollout tool puts at the end of every rollout.
    new DeploymentAlarms("deployments", {
        stack,
        functionKeys: config.functions.map((f) => f.name),
        bakeSeconds: stepsFor(rollout).reduce((sum, step) => sum + step.bakeSeconds, 0),
        alarmTopicArn: topic.topicArn,
        namePrefix: prefix,
        tags,
    });

    return {
        // The contract the rollout tool reads (components/rolloutOutputs.ts); the compiler checks it is there.
        lambdaRollout: rolloutOutputs({
            strategy: rollout.strategy,
            rolloutPolicy: rollout,
            region: config.region,
            release,
            functions: Object.fromEntries(functions.map((f, i) => [config.functions[i].name, f])),
            alarmTopicArn: topic.topicArn,
        }),
        alarmTopicArn: topic.topicArn,
        dashboardName: dashboard.dashboardName,
        // Each function's HTTP endpoint, by key (only the functions that have one).
        endpoints: Object.fromEntries(
            functions.flatMap((f, i) => (config.functions[i].http ? [[config.functions[i].name, f.endpointUrl]] : [])),
        ),
    } satisfies RolloutStackOutputs;
};
