import { GetCallerIdentityCommand } from "@aws-sdk/client-sts";
import { dispatch, type CommandHandlers, type SimulatedClient } from "./sdkDispatch";

/** The simulated account's id. */
export const SIMULATED_ACCOUNT = "123456789012";

/**
 * Who the simulated STS says a caller is, from the access key id it signs with (signatures are not checked): a
 * key `ROLE.SESSION` is a session of an assumed role (`arn:aws:sts::<account>:assumed-role/ROLE/SESSION`, as a CI
 * job's OIDC role is), any other key an IAM user of that name. So a test gives each party its own identity by
 * its AWS_ACCESS_KEY_ID alone.
 */
export function principalFor(accessKeyId: string): { Arn: string; Account: string; UserId: string } {
    const session = /^([\w+=,.@-]{1,64})\.([\w+=,.@-]{2,64})$/.exec(accessKeyId);
    if (session) {
        return {
            Arn: `arn:aws:sts::${SIMULATED_ACCOUNT}:assumed-role/${session[1]}/${session[2]}`,
            Account: SIMULATED_ACCOUNT,
            UserId: `AROASIMULATED:${session[2]}`,
        };
    }
    return { Arn: `arn:aws:iam::${SIMULATED_ACCOUNT}:user/${accessKeyId}`, Account: SIMULATED_ACCOUNT, UserId: "AIDASIMULATED" };
}

/** The STS API of a simulated account, in process: GetCallerIdentity, answered for the given access key id. */
export function createStsClient(accessKeyId: string): SimulatedClient {
    const handlers: CommandHandlers = [[GetCallerIdentityCommand, () => principalFor(accessKeyId)]];
    return { send: async (command: unknown) => dispatch(command, handlers, "STS") };
}
