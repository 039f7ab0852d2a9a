/**
 * orders-service: a team's own Pulumi program that adopted lambda-rollout. It names its functions its own way,
 * gives the API an extra IAM policy (its DynamoDB table) and the worker arm64 and a managed policy, and exports
 * the rollout contract the tool reads. Everything else about the program is the team's.
 *
 * The import is relative so this example runs offline inside this repository (tests, `-C examples/existing-project`)
 * without an `npm install`; a team's program writes `from "lambda-rollout"` (docs/adopting.md).
 */
import * as pulumi from "@pulumi/pulumi";
import * as path from "path";
import { AlarmTopic, ProgressiveFunction, rolloutOutputs, type RolloutStackOutputs } from "../../components";
import { decodePulumiConfig, readRelease, readStackConfig } from "../../config";

export = async () => {
    const project = pulumi.getProject();
    const stack = pulumi.getStack();
    const config = readStackConfig(decodePulumiConfig(pulumi.runtime.allConfig()), `the config of stack "${stack}"`, __dirname, project);
    // package.json's version and the commit: a new commit publishes a new version, which the tool rolls out.
    const release = readRelease(__dirname);
    const tags = { team: "orders", stack };
    const ordersTable = `arn:aws:dynamodb:${config.region}:123456789012:table/orders-${stack}`;

    const topic = new AlarmTopic("orders-alarms", { topicName: `orders-${stack}-alarms`, tags });
    const extras: Record<string, Partial<ConstructorParameters<typeof ProgressiveFunction>[1]>> = {
        "orders-api": {
            policyStatements: [
                { Sid: "OrdersTable", Effect: "Allow", Action: ["dynamodb:GetItem", "dynamodb:PutItem"], Resource: ordersTable },
            ],
        },
        "orders-worker": {
            architectures: ["arm64"],
            managedPolicyArns: ["arn:aws:iam::aws:policy/AWSXRayDaemonWriteAccess"],
        },
    };

    const functions = Object.fromEntries(
        config.functions.map((fn) => [
            fn.name,
            new ProgressiveFunction(fn.name, {
                // The team's naming, not lambda-rollout's: `orders-api-dev`; an adopted function keeps its own.
                functionName: fn.functionName ?? `${fn.name}-${stack}`,
                roleName: fn.roleName,
                rolePath: fn.rolePath,
                logGroupName: fn.logGroupName,
                region: config.region,
                code: new pulumi.asset.AssetArchive({ ".": new pulumi.asset.FileArchive(path.resolve(__dirname, fn.codeDir)) }),
                handler: fn.handler,
                runtime: fn.runtime,
                memoryMb: fn.memoryMb,
                timeoutSeconds: fn.timeout,
                environment: fn.environment,
                logRetentionDays: fn.logRetentionDays,
                strategy: config.rollout.strategy,
                routing: config.routing?.[fn.name],
                thresholds: config.rollout.gates,
                alarmTopicArn: topic.topicArn,
                release,
                tags,
                ...extras[fn.name],
            }),
        ]),
    );

    return {
        lambdaRollout: rolloutOutputs({
            strategy: config.rollout.strategy,
            rolloutPolicy: config.rollout,
            region: config.region,
            release,
            functions,
            // The topic its alarms notify: the tool publishes there, and `iam-policy` grants Publish on it.
            alarmTopicArn: topic.topicArn,
        }),
        ordersTable,
    } satisfies RolloutStackOutputs;
};
