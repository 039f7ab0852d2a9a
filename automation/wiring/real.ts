/**
 * The real world: the Automation API on the project, and AWS in the stack's region with the provider's own
 * credentials (the stack's `aws:profile` and `aws:assumeRoles`, as `pulumi up` has them). The stack file is
 * validated first, offline, so bad input exits 2 before the Pulumi CLI or AWS is called; when the file cannot
 * tell the whole config (it imports ESC environments, or holds secrets), the config is read again as the Pulumi
 * CLI resolves it and validated the same way.
 */
import { CloudWatchClient } from "@aws-sdk/client-cloudwatch";
import { LambdaClient } from "@aws-sdk/client-lambda";
import { SNSClient } from "@aws-sdk/client-sns";
import { STSClient } from "@aws-sdk/client-sts";
import type { EngineEvent } from "@pulumi/pulumi/automation";
import { awsClientSettings, sdkClientConfig } from "../../components/awsClientSettings";
import { readStackConfig } from "../../config/projectConfig";
import type { StackConfig } from "../../config/stackConfig";
import { CloudWatchAdapter } from "../adapters/cloudwatch";
import { RealHookRunner } from "../adapters/hooks";
import { AutomationStackDriver } from "../adapters/pulumiStack";
import { loadStackConfig, stackConfigPath, UnresolvedStackConfigError, type LoadedStackConfig } from "../engine/evaluate";
import { UsageError } from "../errors";
import { resolveProject, type PulumiProject } from "../project";
import type { RecentTraffic } from "../rollout/power";
import { realClock, sandboxClock } from "./clock";
import type { World } from "./index";

/** Which stack of which project, as the command line names it. */
export interface RealStackOptions {
    /** The stack (qualified as the CLI's conventions resolved it). */
    readonly stack: string;
    /** `-C/--cwd`: the project's directory. */
    readonly cwd?: string;
    /** `--config-file`. */
    readonly configFile?: string;
}

/** A real world with the stack's validated config and its project. */
export interface RealWorld extends World {
    readonly config: StackConfig;
    readonly project: PulumiProject;
}

/**
 * The real world for a stack. `onEvent` sees each engine event of an `up` (the command line prints a compact
 * summary of the changes as they happen).
 */
export async function realWorld(opts: RealStackOptions, onEvent?: (event: EngineEvent) => void): Promise<RealWorld> {
    checkSandbox();
    const project = resolveProject(opts.cwd);
    const file = stackConfigPath(opts.stack, opts.configFile, project);
    const stack = new AutomationStackDriver({ stack: opts.stack, configFile: file, workDir: project.root, project: project.name, onEvent });
    let offline: LoadedStackConfig | undefined;
    try {
        offline = loadStackConfig(opts.stack, opts.configFile, undefined, project);
    } catch (err) {
        // Only what an ESC environment may supply is left to the Pulumi CLI; any other bad value stops here.
        if (!(err instanceof UnresolvedStackConfigError)) throw err;
    }
    // The file says all when it has no secrets and imports nothing; else the config as the Pulumi CLI resolves it.
    const fileSaysAll = offline !== undefined && offline.environments.length === 0 && offline.secretKeys.length === 0;
    const resolved = fileSaysAll ? offline!.config : await stack.config();
    const config = fileSaysAll
        ? offline!.stackConfig
        : readStackConfig(resolved, `the config of stack ${opts.stack} (as \`pulumi config\` resolves it)`, project.root, project.name);
    const sdk = clientConfig(resolved, config.region);
    const cloudWatch = new CloudWatchClient(sdk);
    return {
        config,
        project,
        stack,
        clients: { lambda: new LambdaClient(sdk), cloudWatch, sts: new STSClient(sdk) },
        notifyClients: { cloudWatch, sns: new SNSClient(sdk) },
        clock: realClock,
        hooks: (lambda) => new RealHookRunner(lambda, { cwd: project.root, env: process.env }),
        env: process.env,
    };
}

/**
 * `plan --traffic cloudwatch`: each alias's last day of traffic from CloudWatch, with the stack file's region and
 * AWS settings (plan reads the file offline; it runs no Pulumi CLI).
 */
export function cloudWatchTraffic(opts: RealStackOptions): RecentTraffic {
    checkSandbox();
    const loaded = loadStackConfig(opts.stack, opts.configFile, undefined, resolveProject(opts.cwd));
    const metrics = new CloudWatchAdapter(new CloudWatchClient(clientConfig(loaded.config, loaded.stackConfig.region)));
    return (targets) => metrics.recentTraffic(targets, new Date(realClock.now()));
}

/** A sandbox clock that would meet real AWS, or a malformed one: exit 2 before anything is read. */
function checkSandbox(): void {
    if (sandboxClock.kind === "refused") throw new UsageError(sandboxClock.why);
}

/**
 * The SDK clients' config: the provider's region, profile and roles; in a sandbox's shell the region only, the
 * credentials being the sandbox's from the environment (it has no profiles or roles to assume).
 */
function clientConfig(config: Record<string, unknown>, region: string) {
    const settings = awsClientSettings(config, region);
    return sdkClientConfig(sandboxClock.kind === "sandbox" ? { region: settings.region, assumeRoles: [] } : settings);
}
