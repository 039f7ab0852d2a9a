/**
 * The environment a second shell needs to act on the sandbox with the real command line (pure): the AWS SDK's
 * endpoint and credentials (the SDK reads `AWS_ENDPOINT_URL`; the simulated STS makes the access key id a
 * principal), the stand-in `pulumi` first on PATH, the stack, and the sandbox's clock. Nothing else differs from
 * a real shell, and every one of these is for the sandbox only.
 */
import * as os from "os";
import { SANDBOX_CLOCK_ENV } from "../wiring/sandboxClock";

/** What the environment is made from. */
export interface EnvironmentParts {
    /** The simulated AWS, `http://127.0.0.1:<port>`. */
    readonly endpoint: string;
    /** The folder of the stand-in `pulumi`. */
    readonly binDir: string;
    /** The stack, as the command line names it. */
    readonly stack: string;
    readonly region: string;
    /** `LAMBDA_ROLLOUT_SANDBOX_CLOCK`'s value. */
    readonly clock: string;
    /** Who the verbs act as: `ROLE.SESSION`, which the simulated STS answers as that role's session. */
    readonly accessKeyId: string;
}

/** Variables a real shell may hold that must not reach the sandbox (a real session token beside its key). */
export const UNSET = ["AWS_SESSION_TOKEN", "AWS_PROFILE"] as const;

/** The variables, `PATH` given as the folder to put first (`$PATH` after it). */
export function sandboxVariables(parts: EnvironmentParts): Record<string, string> {
    return {
        AWS_ENDPOINT_URL: parts.endpoint,
        AWS_ACCESS_KEY_ID: parts.accessKeyId,
        AWS_SECRET_ACCESS_KEY: "sandbox-not-a-secret",
        AWS_REGION: parts.region,
        AWS_EC2_METADATA_DISABLED: "true",
        PULUMI_STACK: parts.stack,
        [SANDBOX_CLOCK_ENV]: parts.clock,
    };
}

/** The shell lines: `unset` the real-only variables, then one `export` a variable, PATH with the stand-in first. */
export function exportLines(parts: EnvironmentParts): string[] {
    return [
        `unset ${UNSET.join(" ")}`,
        ...Object.entries(sandboxVariables(parts)).map(([name, value]) => `export ${name}=${shellQuote(value)}`),
        `export PATH=${shellQuote(parts.binDir)}:"$PATH"`,
    ];
}

/** The environment as a process would get it: `base` without the unset ones, the variables, PATH with the stand-in first. */
export function processEnvironment(parts: EnvironmentParts, base: NodeJS.ProcessEnv): Record<string, string> {
    const env: Record<string, string> = {};
    for (const [k, v] of Object.entries(base)) if (v !== undefined && !(UNSET as readonly string[]).includes(k)) env[k] = v;
    return { ...env, ...sandboxVariables(parts), PATH: [parts.binDir, base.PATH ?? ""].filter(Boolean).join(":") };
}

/** A value quoted for a POSIX shell (single quotes; a single quote as '\''); plain words stay as they are. */
export function shellQuote(value: string): string {
    return /^[\w@%+=:,./-]+$/.test(value) ? value : `'${value.replace(/'/g, `'\\''`)}'`;
}

/** The access key id the verbs act with: the role `lambda-rollout-sandbox`, a session named after the user. */
export function sandboxAccessKey(user: string = userName()): string {
    // No dot in the session: the simulated STS reads ROLE.SESSION at the last dot.
    const session = user
        .replace(/[^\w+=,@-]/g, "-")
        .slice(0, 64)
        .padEnd(2, "-");
    return `lambda-rollout-sandbox.${session}`;
}

function userName(): string {
    try {
        return os.userInfo().username;
    } catch {
        return "operator";
    }
}
