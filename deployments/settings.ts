/**
 * Turns the delivery decisions (delivery.ts) into Pulumi Cloud resources: one DeploymentSettings per stack of
 * the lambda-rollout project and one deployment webhook per progression edge.
 */
import * as pulumi from "@pulumi/pulumi";
import * as pulumiservice from "@pulumi/pulumiservice";
import * as fs from "fs";
import * as path from "path";
import { parse as parseYaml } from "yaml";
import { APP_PROJECT, DeliveryConfig, PROGRESSION_EVENT, approvalRule, pathFilters, progressionEdges, sessionName } from "./delivery";

/**
 * The DeploymentSettings inputs of one stack.
 *
 * - Source: this repository at the stack's branch. The settings take one branch name (`sourceContext.git.branch`),
 *   not a pattern, and pulumiservice 1.3's `vcs` has no tag trigger: a `release/*` glob cannot be expressed, so
 *   prod deploys the fixed branch its config names (default `release`).
 * - Trigger: `vcs.deployCommits` runs `pulumi up` on each push to that branch whose changed files pass
 *   `vcs.paths` (pathFilters); `previewPullRequests` runs `pulumi preview` on pull requests into it.
 * - `npm ci` runs as a pre-run command, so the executor's own dependency install is skipped
 *   (`skipInstallDependencies`): one install, from the lockfile.
 * - AWS credentials: Pulumi Cloud's OIDC token exchanged for the stack's deploy role.
 *
 * For canary and blue-green stacks the `up` only publishes the candidate version (the program's rule of routing
 * keeps the live weights); traffic moves with `npm run promote`, a separate step.
 */
export function deploymentSettingsArgs(config: DeliveryConfig, stack: string): pulumiservice.DeploymentSettingsArgs {
    const entry = config.stacks[stack];
    if (!entry) throw new Error(`no stack "${stack}" in \`stacks\``);
    return {
        organization: config.organization,
        project: config.project,
        stack,
        sourceContext: {
            git: {
                repoUrl: config.repository.url,
                branch: `refs/heads/${entry.branch}`,
            },
        },
        vcs: {
            provider: "github",
            repository: `${config.repository.owner}/${config.repository.name}`,
            deployCommits: true,
            previewPullRequests: entry.previewPullRequests,
            pullRequestTemplate: false,
            paths: pathFilters(stack, sharedConfigOf(stack)),
        },
        operationContext: {
            preRunCommands: [...config.preRunCommands],
            options: { skipInstallDependencies: true },
            oidc: {
                aws: {
                    roleARN: entry.roleArn,
                    sessionName: sessionName(stack, entry),
                    duration: entry.duration,
                },
            },
        },
    };
}

/**
 * The file a stack of the app project shares its config from (`lambda-rollout:sharedConfig` in its
 * Pulumi.<stack>.yaml beside this folder), so that a change to it deploys the stack; undefined when none.
 */
export function sharedConfigOf(stack: string, appRoot = path.resolve(__dirname, "..")): string | undefined {
    const file = path.join(appRoot, `Pulumi.${stack}.yaml`);
    if (!fs.existsSync(file)) return undefined;
    const config = (parseYaml(fs.readFileSync(file, "utf8")) as { config?: Record<string, unknown> } | null)?.config;
    const shared = config?.[`${APP_PROJECT}:sharedConfig`];
    return typeof shared === "string" ? shared : undefined;
}

/** What the program declared, for its stack outputs. */
export interface Delivery {
    readonly settings: Record<string, pulumiservice.DeploymentSettings>;
    readonly webhooks: pulumiservice.Webhook[];
}

/** Declares the deployment settings of every configured stack and the progression webhooks. */
export function declareDelivery(config: DeliveryConfig, opts: pulumi.CustomResourceOptions = {}): Delivery {
    const settings: Record<string, pulumiservice.DeploymentSettings> = {};
    for (const stack of Object.keys(config.stacks)) {
        settings[stack] = new pulumiservice.DeploymentSettings(`${stack}-settings`, deploymentSettingsArgs(config, stack), opts);
    }
    // A `pulumi_deployments` webhook on the source stack asks Pulumi Cloud to deploy the target stack with the
    // target's own settings (its own branch): it starts a deployment, it does not carry the source's commit.
    const webhooks = progressionEdges(config).map(
        (edge) =>
            new pulumiservice.Webhook(
                `${edge.from}-to-${edge.to}`,
                {
                    active: true,
                    displayName: `deploy ${edge.to} after ${edge.from} updates`,
                    organizationName: config.organization,
                    projectName: config.project,
                    stackName: edge.from,
                    format: pulumiservice.WebhookFormat.PulumiDeployments,
                    payloadUrl: `${config.project}/${edge.to}`,
                    filters: [PROGRESSION_EVENT],
                },
                { ...opts, dependsOn: [settings[edge.from], settings[edge.to]] },
            ),
    );
    return { settings, webhooks };
}

/** Per stack, in words and data: what a push does. Exported by the program as `stacks`. */
export function deliverySummary(config: DeliveryConfig): Record<string, unknown> {
    return Object.fromEntries(
        Object.entries(config.stacks).map(([stack, entry]) => [
            stack,
            {
                branch: entry.branch,
                paths: pathFilters(stack, sharedConfigOf(stack)),
                roleArn: entry.roleArn,
                approval: approvalRule(stack, entry).summary,
                ...(entry.release ? { release: entry.release } : {}),
                deploysAfter: config.progression.filter((e) => e.to === stack).map((e) => e.from),
            },
        ]),
    );
}
