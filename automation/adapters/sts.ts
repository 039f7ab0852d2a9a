/**
 * Who the caller is, as AWS says: STS GetCallerIdentity (needs no permission). The operator verbs record it as
 * the actor, and the `approvers` list is checked against it; `--by` is only a display name beside it.
 */
import { GetCallerIdentityCommand } from "@aws-sdk/client-sts";
import type { CallerIdentity } from "../rollout/ports";
import { awsCall } from "./awsError";
import type { SdkClient } from "../../domain/sdk";

/** {@link CallerIdentity} over STS. */
export class StsIdentity implements CallerIdentity {
    constructor(private readonly client: SdkClient) {}

    async principalArn(): Promise<string> {
        const out = await awsCall("GetCallerIdentity", () => this.client.send(new GetCallerIdentityCommand({})));
        if (typeof out.Arn !== "string") throw new Error("GetCallerIdentity answered no Arn");
        return out.Arn;
    }
}
