/**
 * Reads an existing Lambda function as `adopt` needs it, through the Lambda, CloudWatch and CloudWatch Logs APIs:
 * its configuration (and so its role and log group), its aliases and versions, its log group, and the alarms named
 * after it. Read-only: nothing here changes the account.
 */
import { CloudWatchClient, DescribeAlarmsCommand } from "@aws-sdk/client-cloudwatch";
import { CloudWatchLogsClient, DescribeLogGroupsCommand } from "@aws-sdk/client-cloudwatch-logs";
import {
    GetFunctionConfigurationCommand,
    LambdaClient,
    ListAliasesCommand,
    ListVersionsByFunctionCommand,
    type FunctionConfiguration,
} from "@aws-sdk/client-lambda";
import type { sdkClientConfig } from "../../components/awsClientSettings";
import { UsageError } from "../errors";

/** What an SDK client is to this module: something that sends a command. */
export interface Sender {
    send(command: object): Promise<unknown>;
}

/** The clients `adopt` reads with. */
export interface AdoptClients {
    readonly lambda: Sender;
    readonly cloudWatch: Sender;
    readonly logs: Sender;
}

/** The real clients, in `region` (the SDK's own credential chain and AWS_ENDPOINT_URL apply). */
export function adoptClients(config: ReturnType<typeof sdkClientConfig>): AdoptClients {
    return { lambda: new LambdaClient(config), cloudWatch: new CloudWatchClient(config), logs: new CloudWatchLogsClient(config) };
}

/** An existing function as it is live. */
export interface LiveFunction {
    readonly name: string;
    readonly arn: string;
    /** The region, from its ARN. */
    readonly region: string;
    readonly runtime?: string;
    readonly handler?: string;
    readonly memorySize?: number;
    readonly timeout?: number;
    readonly environment: Record<string, string>;
    readonly packageType: string;
    readonly deadLetterTargetArn?: string;
    readonly inVpc: boolean;
    readonly role: { readonly arn: string; readonly name: string; readonly path: string };
    readonly logGroup: {
        readonly name: string;
        /** Whether it exists (Lambda makes it on the first invocation). */
        readonly exists: boolean;
        readonly retentionInDays?: number;
        readonly logGroupClass?: string;
    };
    /** Every alias, with the version it routes to. */
    readonly aliases: { readonly name: string; readonly version: string; readonly weights: Record<string, number> }[];
    /** Published version numbers, ascending. */
    readonly versions: string[];
    /** Alarms whose names start with the function's name. */
    readonly alarms: string[];
}

/** `arn:aws:iam::<account>:role/<path><name>` split into its name and path. */
export function roleOf(arn: string): { arn: string; name: string; path: string } {
    const m = /^arn:aws[\w-]*:iam::\d{12}:role(\/(?:[\x21-\x7E]*\/)?)([\w+=,.@-]+)$/.exec(arn);
    if (!m) throw new UsageError(`the function's role ${JSON.stringify(arn)} is not an IAM role ARN`);
    return { arn, name: m[2], path: m[1] };
}

/** Reads `functionName` (a name or ARN); a function that does not exist is a usage error naming it. */
export async function readLiveFunction(clients: AdoptClients, functionName: string): Promise<LiveFunction> {
    let config: FunctionConfiguration;
    try {
        config = (await clients.lambda.send(new GetFunctionConfigurationCommand({ FunctionName: functionName }))) as FunctionConfiguration;
    } catch (err) {
        if ((err as { name?: string }).name === "ResourceNotFoundException") {
            throw new UsageError(`\`FUNCTION\` ${functionName}: no such function in this account and region (GetFunctionConfiguration)`);
        }
        throw err;
    }
    const name = config.FunctionName!;
    const arn = config.FunctionArn!;
    const aliases: LiveFunction["aliases"] = [];
    let marker: string | undefined;
    do {
        const page = (await clients.lambda.send(new ListAliasesCommand({ FunctionName: name, Marker: marker }))) as {
            Aliases?: { Name?: string; FunctionVersion?: string; RoutingConfig?: { AdditionalVersionWeights?: Record<string, number> } }[];
            NextMarker?: string;
        };
        for (const a of page.Aliases ?? [])
            aliases.push({ name: a.Name!, version: a.FunctionVersion!, weights: a.RoutingConfig?.AdditionalVersionWeights ?? {} });
        marker = page.NextMarker;
    } while (marker);
    const versions: string[] = [];
    marker = undefined;
    do {
        const page = (await clients.lambda.send(new ListVersionsByFunctionCommand({ FunctionName: name, Marker: marker }))) as {
            Versions?: { Version?: string }[];
            NextMarker?: string;
        };
        for (const v of page.Versions ?? []) if (v.Version && v.Version !== "$LATEST") versions.push(v.Version);
        marker = page.NextMarker;
    } while (marker);
    const logGroupName = config.LoggingConfig?.LogGroup ?? `/aws/lambda/${name}`;
    const groups = (await clients.logs.send(new DescribeLogGroupsCommand({ logGroupNamePrefix: logGroupName }))) as {
        logGroups?: { logGroupName?: string; retentionInDays?: number; logGroupClass?: string }[];
    };
    const group = (groups.logGroups ?? []).find((g) => g.logGroupName === logGroupName);
    const alarms = (await clients.cloudWatch.send(new DescribeAlarmsCommand({ AlarmNamePrefix: name }))) as {
        MetricAlarms?: { AlarmName?: string }[];
        CompositeAlarms?: { AlarmName?: string }[];
    };
    return {
        name,
        arn,
        region: arn.split(":")[3],
        runtime: config.Runtime,
        handler: config.Handler,
        memorySize: config.MemorySize,
        timeout: config.Timeout,
        environment: config.Environment?.Variables ?? {},
        packageType: config.PackageType ?? "Zip",
        ...(config.DeadLetterConfig?.TargetArn ? { deadLetterTargetArn: config.DeadLetterConfig.TargetArn } : {}),
        inVpc: (config.VpcConfig?.SubnetIds ?? []).length > 0,
        role: roleOf(config.Role!),
        logGroup: group
            ? {
                  name: logGroupName,
                  exists: true,
                  ...(group.retentionInDays !== undefined ? { retentionInDays: group.retentionInDays } : {}),
                  logGroupClass: group.logGroupClass ?? "STANDARD",
              }
            : { name: logGroupName, exists: false },
        aliases,
        versions: versions.sort((a, b) => Number(a) - Number(b)),
        alarms: [...(alarms.MetricAlarms ?? []), ...(alarms.CompositeAlarms ?? [])].map((a) => a.AlarmName!).sort(),
    };
}
