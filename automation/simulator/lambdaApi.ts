import {
    CreateAliasCommand,
    DeleteFunctionCommand,
    GetAliasCommand,
    GetFunctionConfigurationCommand,
    GetProvisionedConcurrencyConfigCommand,
    InvokeCommand,
    ListAliasesCommand,
    ListVersionsByFunctionCommand,
    UpdateAliasCommand,
    type AliasConfiguration,
    type FunctionConfiguration,
    type InvokeCommandInput,
} from "@aws-sdk/client-lambda";
import { clientError } from "./errors";
import { dispatch, type CommandHandlers, type SimulatedClient } from "./sdkDispatch";
import { functionArn, parseFunctionName, type AliasState, type LambdaControlPlane, type VersionConfig } from "./lambdaControlPlane";

/** What an Invoke returns before it is wrapped in the SDK's output shape. */
export interface InvokeResult {
    readonly executedVersion: string;
    readonly payload: unknown;
    readonly functionError?: string;
}

/** The data plane behind InvokeCommand, provided by the simulator (it owns the handlers, the clock and the metrics). */
export type Invoker = (functionName: string, qualifier: string | undefined, payload: unknown) => InvokeResult;

/** Faults the Lambda API meets (see InjectedFaults); none by default. */
export interface LambdaFaults {
    /** Throws what every call meets at the current virtual time (expired credentials). */
    checkCall(): void;
    /** Throws when an UpdateAlias of the function conflicts (an update in progress). */
    checkUpdateAlias(functionName: string): void;
}

const NO_FAULTS: LambdaFaults = { checkCall: () => undefined, checkUpdateAlias: () => undefined };

/** The Lambda API of a simulated account, over its control plane and invoker. */
export function createLambdaClient(control: LambdaControlPlane, invoke: Invoker, faults: LambdaFaults = NO_FAULTS): SimulatedClient {
    const target = (functionName: unknown, qualifier?: unknown): { name: string; qualifier?: string } => {
        if (typeof functionName !== "string" || functionName === "")
            throw clientError("InvalidParameterValueException", "FunctionName is required.");
        const parsed = parseFunctionName(functionName);
        if (qualifier !== undefined && parsed.qualifier !== undefined && qualifier !== parsed.qualifier) {
            throw clientError(
                "InvalidParameterValueException",
                `The derived qualifier from the function name (${parsed.qualifier}) does not match the specified qualifier (${qualifier}).`,
            );
        }
        return { name: parsed.name, qualifier: (qualifier as string | undefined) ?? parsed.qualifier };
    };
    const handlers: CommandHandlers = [
        [GetAliasCommand, (input) => aliasConfiguration(control, target(input.FunctionName).name, input.Name)],
        [
            CreateAliasCommand,
            (input) => {
                const { name } = target(input.FunctionName);
                const alias = control.createAlias(
                    name,
                    input.Name,
                    input.FunctionVersion,
                    input.RoutingConfig?.AdditionalVersionWeights ?? {},
                    input.Description ?? "",
                );
                return aliasConfiguration(control, name, alias.name);
            },
        ],
        [
            UpdateAliasCommand,
            (input) => {
                const { name } = target(input.FunctionName);
                faults.checkUpdateAlias(name);
                const alias = control.updateAlias(name, input.Name, {
                    functionVersion: input.FunctionVersion,
                    weights: input.RoutingConfig ? (input.RoutingConfig.AdditionalVersionWeights ?? {}) : undefined,
                    description: input.Description,
                    revisionId: input.RevisionId,
                });
                return aliasConfiguration(control, name, alias.name);
            },
        ],
        [
            ListAliasesCommand,
            (input) => {
                const { name } = target(input.FunctionName);
                const { page, next } = pageOf(control.aliases(name), input.Marker, input.MaxItems);
                return {
                    Aliases: page.map((alias) => aliasConfiguration(control, name, alias.name)),
                    ...(next !== undefined ? { NextMarker: next } : {}),
                    $metadata: {},
                };
            },
        ],
        [
            GetFunctionConfigurationCommand,
            (input) => {
                const { name, qualifier } = target(input.FunctionName, input.Qualifier);
                const version =
                    qualifier !== undefined && control.isAlias(name, qualifier)
                        ? control.alias(name, qualifier).functionVersion
                        : (qualifier ?? "$LATEST");
                return { ...functionConfiguration(name, control.version(name, version)), $metadata: {} };
            },
        ],
        [
            ListVersionsByFunctionCommand,
            (input) => {
                const { name } = target(input.FunctionName);
                const versions = [control.version(name, "$LATEST"), ...control.publishedVersions(name)];
                const { page, next } = pageOf(versions, input.Marker, input.MaxItems);
                return {
                    Versions: page.map((version) => functionConfiguration(name, version)),
                    ...(next !== undefined ? { NextMarker: next } : {}),
                    $metadata: {},
                };
            },
        ],
        [
            DeleteFunctionCommand,
            (input) => {
                const { name, qualifier } = target(input.FunctionName, input.Qualifier);
                // Without a qualifier AWS deletes the function with every version and alias; nothing here asks for that.
                if (qualifier === undefined)
                    throw clientError(
                        "InvalidParameterValueException",
                        "The simulated account deletes published versions only: pass the version as Qualifier.",
                    );
                control.deleteVersion(name, qualifier);
                return { StatusCode: 204, $metadata: {} };
            },
        ],
        [
            GetProvisionedConcurrencyConfigCommand,
            (input) => {
                const { name, qualifier } = target(input.FunctionName, input.Qualifier);
                if (qualifier === undefined)
                    throw clientError("InvalidParameterValueException", "Qualifier is required for GetProvisionedConcurrencyConfig.");
                const config = control.provisionedConcurrency(name, qualifier);
                return {
                    RequestedProvisionedConcurrentExecutions: config.requested,
                    AvailableProvisionedConcurrentExecutions: config.requested,
                    AllocatedProvisionedConcurrentExecutions: config.requested,
                    Status: "READY",
                    LastModified: new Date(config.lastModifiedMs).toISOString(),
                    $metadata: {},
                };
            },
        ],
        [
            InvokeCommand,
            (input: InvokeCommandInput) => {
                const { name, qualifier } = target(input.FunctionName, input.Qualifier);
                const payload = decodePayload(input.Payload);
                if (input.InvocationType === "DryRun") {
                    control.version(
                        name,
                        qualifier !== undefined && control.isAlias(name, qualifier)
                            ? control.alias(name, qualifier).functionVersion
                            : (qualifier ?? "$LATEST"),
                    );
                    return { StatusCode: 204, $metadata: {} };
                }
                const result = invoke(name, qualifier, payload);
                if (input.InvocationType === "Event") return { StatusCode: 202, $metadata: {} };
                return {
                    StatusCode: 200,
                    ExecutedVersion: result.executedVersion,
                    Payload: new TextEncoder().encode(JSON.stringify(result.payload ?? null)),
                    ...(result.functionError !== undefined ? { FunctionError: result.functionError } : {}),
                    $metadata: {},
                };
            },
        ],
    ];
    return {
        send: async (command: unknown) => {
            faults.checkCall();
            return dispatch(command, handlers, "Lambda");
        },
    };
}

/** The list pages of ListVersionsByFunction and ListAliases: at most 50 items a page unless MaxItems (1-10000) says otherwise. */
function pageOf<T>(items: readonly T[], marker: unknown, maxItems: unknown): { page: T[]; next?: string } {
    const start = marker === undefined ? 0 : Number(marker);
    if (!Number.isInteger(start) || start < 0 || start > items.length)
        throw clientError("InvalidParameterValueException", `Marker ${String(marker)} is not one this list returned.`);
    const size = maxItems === undefined ? 50 : Number(maxItems);
    if (!Number.isInteger(size) || size < 1 || size > 10000)
        throw clientError("InvalidParameterValueException", `MaxItems must be between 1 and 10000, got ${String(maxItems)}.`);
    const end = Math.min(items.length, start + size);
    return { page: items.slice(start, end), ...(end < items.length ? { next: String(end) } : {}) };
}

function decodePayload(payload: unknown): unknown {
    if (payload === undefined) return undefined;
    const text = typeof payload === "string" ? payload : new TextDecoder().decode(payload as Uint8Array);
    if (text === "") return undefined;
    try {
        return JSON.parse(text);
    } catch {
        throw clientError("InvalidRequestContentException", "Could not parse request body into json: the Payload is not valid JSON.");
    }
}

function aliasConfiguration(
    control: LambdaControlPlane,
    functionName: string,
    aliasName: string,
): AliasConfiguration & { $metadata: object } {
    const { alias, weights } = control.aliasView(functionName, aliasName);
    return { ...aliasShape(functionName, alias, weights), $metadata: {} };
}

function aliasShape(functionName: string, alias: AliasState, weights: Readonly<Record<string, number>>): AliasConfiguration {
    return {
        AliasArn: functionArn(functionName, alias.name),
        Name: alias.name,
        FunctionVersion: alias.functionVersion,
        Description: alias.description,
        RevisionId: alias.revisionId,
        ...(Object.keys(weights).length > 0 ? { RoutingConfig: { AdditionalVersionWeights: { ...weights } } } : {}),
    };
}

function functionConfiguration(functionName: string, version: VersionConfig): FunctionConfiguration {
    const d = version.details ?? {};
    return {
        ...(d.runtime ? { Runtime: d.runtime as FunctionConfiguration["Runtime"] } : {}),
        ...(d.handler ? { Handler: d.handler } : {}),
        ...(d.memorySize ? { MemorySize: d.memorySize } : {}),
        ...(d.environment ? { Environment: { Variables: { ...d.environment } } } : {}),
        PackageType: (d.packageType ?? "Zip") as FunctionConfiguration["PackageType"],
        Architectures: [...(d.architectures ?? ["x86_64"])] as FunctionConfiguration["Architectures"],
        LoggingConfig: { LogFormat: "Text", LogGroup: d.logGroup ?? `/aws/lambda/${functionName}` },
        FunctionName: functionName,
        FunctionArn: version.version === "$LATEST" ? functionArn(functionName) : functionArn(functionName, version.version),
        Version: version.version,
        Role: version.role,
        Description: version.description,
        Timeout: version.timeoutSeconds,
        RevisionId: version.revisionId,
        State: "Active",
        LastUpdateStatus: "Successful",
        ...(version.deadLetterTargetArn ? { DeadLetterConfig: { TargetArn: version.deadLetterTargetArn } } : {}),
        ...(version.vpc ? { VpcConfig: { SubnetIds: version.vpc.subnetIds, SecurityGroupIds: version.vpc.securityGroupIds } } : {}),
    };
}
