/**
 * A deployed stack for the command line to act on from a process of its own: the simulated account served over
 * HTTP (the SDK's AWS_ENDPOINT_URL points the CLI's clients there) and the stack's outputs given to the stand-in
 * pulumi (FAKE_PULUMI_OUTPUTS).
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import type { RolloutOutputs } from "../../components/rolloutOutputs";
import type { SimulatedAws } from "../../automation/simulator";
import { serveHttp } from "../../automation/simulator/httpServer";
import { PROD_POLICY } from "./fakes";

/** prod's api, as its outputs name it. */
export const API_FUNCTION = "lambda-rollout-prod-api";
const ARN = `arn:aws:lambda:us-east-1:123456789012:function:${API_FUNCTION}`;

/** Serves `aws` and writes prod's outputs (api: stable and candidate as given); `env` is what the CLI needs. */
export async function stackOverHttp(aws: SimulatedAws, stable: string, candidate: string, liveWeights: Record<string, number>) {
    const server = await serveHttp(aws);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "stack-over-http-"));
    const outputs: RolloutOutputs = {
        version: 1,
        strategy: "canary",
        rolloutPolicy: PROD_POLICY,
        region: "us-east-1",
        functions: {
            api: {
                functionName: API_FUNCTION,
                functionArn: ARN,
                aliasName: "live",
                aliasArn: `${ARN}:live`,
                stableVersion: stable,
                candidateVersion: candidate,
                liveWeights,
                routingSource: "live",
                alarmNames: {},
            },
        },
    };
    fs.writeFileSync(path.join(dir, "outputs.json"), JSON.stringify({ lambdaRollout: outputs }));
    return {
        dir,
        env: {
            FAKE_PULUMI_OUTPUTS: path.join(dir, "outputs.json"),
            AWS_ENDPOINT_URL: server.endpoint,
            AWS_ACCESS_KEY_ID: "AKIDSIMULATED",
            AWS_SECRET_ACCESS_KEY: "simulated",
            AWS_EC2_METADATA_DISABLED: "true",
        } as NodeJS.ProcessEnv,
        /** Every request the CLI sent to the simulated account, in order. */
        calls: server.calls,
        close: async () => {
            await server.close();
            fs.rmSync(dir, { recursive: true, force: true });
        },
    };
}
