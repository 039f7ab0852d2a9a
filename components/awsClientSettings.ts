/**
 * The region and credentials the AWS provider uses, for the AWS SDK clients that work beside it: the program's
 * read of the live alias (components/liveAlias.ts) and the tool's Lambda and CloudWatch clients. Both must reach
 * the account the stack deploys to as the provider does, not with whatever credentials the shell happens to have:
 * `aws:profile` (a named profile of the shared config and credentials files) and `aws:assumeRoles` (roles the
 * provider assumes in order, each with the previous one's credentials), as @pulumi/aws 7 reads them.
 */
import { fromIni, fromTemporaryCredentials } from "@aws-sdk/credential-providers";
import type { LambdaClientConfig } from "@aws-sdk/client-lambda";

/** Credentials as the SDK v3 clients take them. */
type Credentials = ReturnType<typeof fromIni>;

/** One role the provider assumes (`aws:assumeRoles` entry). */
export interface AssumedRole {
    readonly roleArn: string;
    readonly sessionName?: string;
    readonly externalId?: string;
}

/** The provider's region, profile and roles, as read from a stack's config. */
export interface AwsClientSettings {
    readonly region: string;
    /** `aws:profile`; without it the SDK's default chain (AWS_PROFILE, environment, SSO, instance role...). */
    readonly profile?: string;
    /** `aws:assumeRoles`, in the order the provider assumes them. */
    readonly assumeRoles: readonly AssumedRole[];
}

/** The session name the provider's role sessions get when the config names none. */
export const DEFAULT_SESSION_NAME = "lambda-rollout";

/**
 * The provider's settings from a stack's config map (`aws:*` keys, values parsed from YAML or JSON), with the
 * stack's validated `region`. Entries of `aws:assumeRoles` without a `roleArn` are left out, as the provider
 * ignores an empty role.
 */
export function awsClientSettings(config: Record<string, unknown>, region: string): AwsClientSettings {
    const profile = typeof config["aws:profile"] === "string" && config["aws:profile"] !== "" ? config["aws:profile"] : undefined;
    const roles = Array.isArray(config["aws:assumeRoles"]) ? config["aws:assumeRoles"] : [];
    const assumeRoles = roles.flatMap((r): AssumedRole[] => {
        const role = (r ?? {}) as Record<string, unknown>;
        if (typeof role.roleArn !== "string" || role.roleArn === "") return [];
        return [
            {
                roleArn: role.roleArn,
                ...(typeof role.sessionName === "string" ? { sessionName: role.sessionName } : {}),
                ...(typeof role.externalId === "string" ? { externalId: role.externalId } : {}),
            },
        ];
    });
    return { region, ...(profile ? { profile } : {}), assumeRoles };
}

/** An SDK client's config for these settings: the region, and credentials from the profile and the roles. */
export function sdkClientConfig(settings: AwsClientSettings): Pick<LambdaClientConfig, "region" | "credentials"> & { region: string } {
    let credentials: Credentials | undefined = settings.profile ? fromIni({ profile: settings.profile }) : undefined;
    for (const role of settings.assumeRoles) {
        credentials = fromTemporaryCredentials({
            params: { RoleArn: role.roleArn, RoleSessionName: role.sessionName ?? DEFAULT_SESSION_NAME, ExternalId: role.externalId },
            ...(credentials ? { masterCredentials: credentials } : {}),
            clientConfig: { region: settings.region },
        });
    }
    return { region: settings.region, ...(credentials ? { credentials } : {}) };
}
