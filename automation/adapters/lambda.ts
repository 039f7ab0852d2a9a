/**
 * The Lambda control plane through @aws-sdk/client-lambda. Thin on purpose: request shapes in, plain facts
 * out. The client is injected: a real LambdaClient (the SDK's standard retry mode covers throttling and
 * transient faults), or the rehearsal's simulated AWS, which answers the same commands. A failure leaves as an
 * AwsCallError naming the operation and AWS's code.
 */
import {
    DeleteFunctionCommand,
    GetAliasCommand,
    GetFunctionConfigurationCommand,
    GetProvisionedConcurrencyConfigCommand,
    InvokeCommand,
    ListAliasesCommand,
    ListVersionsByFunctionCommand,
    UpdateAliasCommand,
} from "@aws-sdk/client-lambda";
import type { AliasRouting, LiveAlias, NamedAlias } from "../../domain/routing";
import { additionalVersionWeights } from "../../domain/routing";
import type { InvokeResult, LambdaControl, VersionControl, VersionFacts } from "../rollout/ports";
import type { SdkClient } from "../../domain/sdk";
import { awsCall, type AwsCallError } from "./awsError";

/** {@link LambdaControl} and {@link VersionControl} over the Lambda API. */
export class LambdaAdapter implements LambdaControl, VersionControl {
    constructor(private readonly client: SdkClient) {}

    async getAlias(functionName: string, aliasName: string): Promise<LiveAlias> {
        const out = await awsCall("GetAlias", () => this.client.send(new GetAliasCommand({ FunctionName: functionName, Name: aliasName })));
        return {
            functionVersion: out.FunctionVersion,
            additionalVersionWeights: out.RoutingConfig?.AdditionalVersionWeights ?? {},
            description: out.Description,
            revisionId: out.RevisionId,
        };
    }

    async getVersion(functionName: string, version: string): Promise<VersionFacts> {
        const out = await awsCall("GetFunctionConfiguration", () =>
            this.client.send(new GetFunctionConfigurationCommand({ FunctionName: functionName, Qualifier: version })),
        );
        const subnetIds = out.VpcConfig?.SubnetIds ?? [];
        return {
            version: out.Version,
            role: out.Role,
            deadLetterTargetArn: out.DeadLetterConfig?.TargetArn,
            ...(subnetIds.length > 0 ? { vpc: { subnetIds, securityGroupIds: out.VpcConfig?.SecurityGroupIds ?? [] } } : {}),
        };
    }

    async listVersions(functionName: string): Promise<string[]> {
        const versions: string[] = [];
        let marker: string | undefined;
        do {
            const out = await awsCall("ListVersionsByFunction", () =>
                this.client.send(new ListVersionsByFunctionCommand({ FunctionName: functionName, Marker: marker })),
            );
            versions.push(...(out.Versions ?? []).map((v: { Version: string }) => v.Version).filter((v: string) => /^\d+$/.test(v)));
            marker = out.NextMarker;
        } while (marker);
        return versions.sort((a, b) => Number(a) - Number(b));
    }

    async listAliases(functionName: string): Promise<NamedAlias[]> {
        const aliases: NamedAlias[] = [];
        let marker: string | undefined;
        do {
            const out = await awsCall("ListAliases", () =>
                this.client.send(new ListAliasesCommand({ FunctionName: functionName, Marker: marker })),
            );
            for (const a of out.Aliases ?? []) {
                aliases.push({
                    name: a.Name,
                    functionVersion: a.FunctionVersion,
                    additionalVersionWeights: a.RoutingConfig?.AdditionalVersionWeights ?? {},
                    ...(a.Description !== undefined ? { description: a.Description } : {}),
                });
            }
            marker = out.NextMarker;
        } while (marker);
        return aliases;
    }

    async deleteVersion(functionName: string, version: string): Promise<void> {
        // Never unqualified: without a Qualifier, DeleteFunction deletes the function with every version and alias.
        if (!/^\d+$/.test(version)) throw new RangeError(`deleteVersion: ${JSON.stringify(version)} is not a published version number`);
        await awsCall("DeleteFunction", () =>
            this.client.send(new DeleteFunctionCommand({ FunctionName: functionName, Qualifier: version })),
        );
    }

    async hasProvisionedConcurrency(functionName: string, aliasName: string): Promise<boolean> {
        try {
            await awsCall("GetProvisionedConcurrencyConfig", () =>
                this.client.send(new GetProvisionedConcurrencyConfigCommand({ FunctionName: functionName, Qualifier: aliasName })),
            );
            return true;
        } catch (err) {
            if ((err as AwsCallError).code === "ProvisionedConcurrencyConfigNotFoundException") return false;
            throw err;
        }
    }

    async invoke(functionName: string, version: string | undefined, payload: unknown, signal?: AbortSignal): Promise<InvokeResult> {
        const out = await awsCall("Invoke", () =>
            this.client.send(
                new InvokeCommand({
                    FunctionName: functionName,
                    Qualifier: version,
                    InvocationType: "RequestResponse",
                    Payload: new TextEncoder().encode(JSON.stringify(payload)),
                }),
                signal ? { abortSignal: signal } : undefined,
            ),
        );
        const text = out.Payload ? new TextDecoder().decode(out.Payload) : "";
        let decoded: unknown = text;
        try {
            decoded = text ? JSON.parse(text) : undefined;
        } catch {
            // not JSON: keep the text
        }
        return { functionError: out.FunctionError, payload: decoded };
    }

    async updateAlias(
        functionName: string,
        aliasName: string,
        routing: AliasRouting | undefined,
        description?: string,
        revisionId?: string,
    ): Promise<void> {
        await awsCall("UpdateAlias", () =>
            this.client.send(
                new UpdateAliasCommand({
                    FunctionName: functionName,
                    Name: aliasName,
                    // Omitted fields keep their value; an empty map clears the split (leaving RoutingConfig out would keep it).
                    ...(routing
                        ? {
                              FunctionVersion: routing.stableVersion,
                              RoutingConfig: { AdditionalVersionWeights: additionalVersionWeights(routing) ?? {} },
                          }
                        : {}),
                    ...(description !== undefined ? { Description: description } : {}),
                    // Compare-and-set: AWS refuses the write (PreconditionFailedException) if the alias changed since.
                    ...(revisionId !== undefined ? { RevisionId: revisionId } : {}),
                }),
            ),
        );
    }
}
