/**
 * How a rehearsal's adapters reach the simulated account. `in-process` (the default) hands them the simulator's
 * stand-ins, which take the SDK's command objects; `http` serves the account on 127.0.0.1 (simulator/httpServer.ts)
 * and hands them a real LambdaClient and CloudWatchClient pointed at it, so the SDK's own serialization,
 * retries and error parsing run between the tool and the simulator, as they do between the tool and AWS.
 */
import { CloudWatchClient } from "@aws-sdk/client-cloudwatch";
import { LambdaClient } from "@aws-sdk/client-lambda";
import type { SdkClient } from "../../domain/sdk";
import { SIMULATED_REGION } from "../simulator";
import { serveHttp, type SimulatedApis, type WireServerOptions } from "../simulator/httpServer";
import type { Transport } from "./transportNames";

// The names live in a module of their own: the entry point needs them to build its options, without the SDK.
export { TRANSPORTS, type Transport } from "./transportNames";

/** The clients the adapters get, and what to stop once the rehearsal is over. */
export interface RehearsalClients {
    readonly lambda: SdkClient;
    readonly cloudWatch: SdkClient;
    close(): Promise<void>;
}

/**
 * Credentials the SDK signs with: the simulator checks no signature, and fixed ones keep the SDK from looking
 * for real ones (environment, profiles, instance metadata).
 */
export const SIMULATED_CREDENTIALS = { accessKeyId: "AKIASIMULATEDEXAMPLE", secretAccessKey: "simulated-secret-access-key" } as const;

/** The real SDK clients, with their default (standard) retry strategy, pointed at a simulator's `endpoint`. */
export function sdkClients(endpoint: string): { lambda: LambdaClient; cloudWatch: CloudWatchClient } {
    const config = { endpoint, region: SIMULATED_REGION, credentials: SIMULATED_CREDENTIALS };
    return { lambda: new LambdaClient(config), cloudWatch: new CloudWatchClient(config) };
}

/** Connects a rehearsal to `apis` over `transport`. */
export async function connect(apis: SimulatedApis, transport: Transport, options: WireServerOptions = {}): Promise<RehearsalClients> {
    if (transport === "in-process") return { lambda: apis.lambda, cloudWatch: apis.cloudWatch, close: async () => undefined };
    const server = await serveHttp(apis, options);
    const clients = sdkClients(server.endpoint);
    return {
        ...clients,
        close: async () => {
            clients.lambda.destroy();
            clients.cloudWatch.destroy();
            await server.close();
        },
    };
}
