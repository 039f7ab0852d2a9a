import { GetAliasCommand, LambdaClient } from "@aws-sdk/client-lambda";
import * as pulumi from "@pulumi/pulumi";
import { decodePulumiConfig } from "../config/issues";
import { awsClientSettings, sdkClientConfig } from "./awsClientSettings";
import { LiveAlias, readLiveRouting, TRANSIENT_REREAD } from "../domain/routing";
import type { SdkClient } from "../domain/sdk";

/**
 * Reads an alias as it is live in AWS. The provider's alias data source (`aws.lambda.getAlias`, @pulumi/aws 7)
 * returns no routing config, so the program asks the Lambda API itself; the rehearsal and the tests plug in
 * their own client with {@link setLambdaClientFactory}.
 *
 * How the program reads aliases: the Lambda client per region, and how it waits between reads.
 */
interface AliasReader {
    clientFactory: (region: string) => SdkClient;
    defaultSleep: (ms: number) => Promise<void>;
}

// Kept on the global object, not in this module: the program may load another copy of the components than the
// tool that plugs in the client (the repository's sources under the compiled `lambda-rollout` bin, or a second
// install), and both must see the same reader, as @pulumi/pulumi shares its runtime state across copies.
const READER = Symbol.for("lambda-rollout:liveAlias.reader");
const reader: AliasReader = ((globalThis as Record<symbol, AliasReader | undefined>)[READER] ??= {
    // The provider's profile and roles (aws:profile, aws:assumeRoles) from the stack's config, as `pulumi up` has it.
    clientFactory: (region) => new LambdaClient(sdkClientConfig(awsClientSettings(decodePulumiConfig(pulumi.runtime.allConfig()), region))),
    defaultSleep: (ms) => new Promise<void>((resolve) => setTimeout(resolve, ms)),
});

/**
 * Replaces the Lambda client the program reads live aliases with (the rehearsal's simulated AWS, tests'
 * fakes), and optionally how it waits between reads (the rehearsal's virtual clock).
 */
export function setLambdaClientFactory(factory: (region: string) => SdkClient, sleep?: (ms: number) => Promise<void>): void {
    reader.clientFactory = factory;
    if (sleep) reader.defaultSleep = sleep;
}

/** Is this the Lambda API's "no such function or alias"? Anything else (access denied, throttling) must fail the `up`. */
export function isNotFound(err: unknown): boolean {
    const name = (err as { name?: string })?.name ?? "";
    return name === "ResourceNotFoundException" || name === "ResourceNotFound";
}

/** Options of {@link readLiveAlias}. */
export interface ReadOptions {
    /** How many reads while AWS shows a transient 0/1 weight. */
    readonly attempts?: number;
    /** Waits between those reads. */
    readonly sleep?: (ms: number) => Promise<void>;
}

/**
 * The live alias, or undefined when the function or alias does not exist yet (a first deploy). While AWS
 * shows a transient weight of 0 or 1 (mid version switch) it reads again, a few times; what it returns
 * then may still hold that weight, and the rule of routing ignores it.
 */
export async function readLiveAlias(
    region: string,
    functionName: string,
    aliasName: string,
    options: ReadOptions = {},
): Promise<LiveAlias | undefined> {
    const attempts = options.attempts ?? TRANSIENT_REREAD.attempts;
    const sleep = options.sleep ?? reader.defaultSleep;
    const client = reader.clientFactory(region);
    let alias: LiveAlias | undefined;
    for (let attempt = 1; attempt <= attempts; attempt++) {
        try {
            const out = await client.send(new GetAliasCommand({ FunctionName: functionName, Name: aliasName }));
            alias = {
                functionVersion: out.FunctionVersion ?? "",
                additionalVersionWeights: out.RoutingConfig?.AdditionalVersionWeights ?? {},
                description: out.Description,
            };
        } catch (err) {
            if (isNotFound(err)) {
                return undefined;
            }
            throw new Error(
                `could not read the live alias ${functionName}:${aliasName} (${(err as Error).name}: ${(err as Error).message}); refusing to guess its routing`,
                { cause: err },
            );
        }
        if (!readLiveRouting(alias).transient) {
            return alias;
        }
        if (attempt < attempts) {
            await sleep(TRANSIENT_REREAD.intervalMs);
        }
    }
    return alias;
}
