/**
 * What a rollout tells the world besides its report: notifications while it runs and deployment metrics once
 * it ends. Built from the stack's `notifications` config around the rollout's `observe` seam, so the rollout
 * loop knows nothing of it: `observe` is passed to promote, and `finish` runs after promote returned.
 */
import { OFFLINE_SECRET } from "../../config/secrets";
import type { NotificationsConfig } from "../../config/stackConfig";
import { ConfigError } from "../../config/issues";
import { WEBHOOK_URL_RULE, webhookUrlProblem } from "../../config/webhookUrls";
import type { RolloutReport } from "../rollout/report";
import { slackChannel, snsChannel, teamsChannel, type NotificationChannel } from "./channels";
import { putDeploymentMetrics } from "./metrics";
import { Notifier } from "./notifier";
import type { MetricPut, TopicPublish, WebhookPost } from "./ports";

/** What a rollout needs to notify and to put its metrics. */
export interface DeliveryDeps {
    /** The stack's `notifications` config (absent: no notification; metrics are still put). */
    readonly notifications?: NotificationsConfig;
    /** The stack's short name: the metrics' `Stack` dimension. */
    readonly stack: string;
    /** Where `urlEnv` is read. */
    readonly env: Readonly<Record<string, string | undefined>>;
    /** How Slack and Teams are posted to (adapters/webhook.ts). */
    readonly post: WebhookPost;
    /** CloudWatch's PutMetricData; absent: no metrics. */
    readonly putMetrics?: MetricPut;
    /** SNS Publish, with the stack's topic from its outputs; needed when `notifications.sns` is true. */
    readonly sns?: { readonly publish: TopicPublish; readonly topicArn: string | undefined };
    /** The instant the metrics are stamped with. */
    readonly now: () => Date;
    /** The rollout's log: a failed send is told there at once. */
    readonly warn: (line: string) => void;
    /**
     * In place of a webhook channel (the rehearsal's): given the channel, returns the one to use. Without it,
     * Slack and Teams are posted to through `post`.
     */
    readonly webhook?: (name: "slack" | "teams", url: string | undefined) => NotificationChannel;
}

/** A rollout's notifications and metrics: `observe` while it runs, `finish` once it ended. */
export interface Delivery {
    readonly observe: (report: RolloutReport) => void;
    /** Waits for the notifications (each bounded by the timeout), puts the metrics, and records both on the report. */
    finish(report: RolloutReport): Promise<RolloutReport>;
}

/**
 * A webhook's URL: the config's value (a decrypted secret), or the named environment variable's. A secret
 * that could not be decrypted (`[secret]`, an offline read), an unset variable, or a variable whose URL is not
 * https (plain http only to a loopback host) is a config error naming the key, before anything is sent.
 */
export function webhookUrl(
    name: "slack" | "teams",
    hook: { url?: string; urlEnv?: string },
    env: Readonly<Record<string, string | undefined>>,
): string {
    if (hook.urlEnv !== undefined) {
        const url = env[hook.urlEnv];
        if (!url) {
            throw new ConfigError("the stack's notifications", [
                `\`lambda-rollout:notifications.${name}.urlEnv\` names ${hook.urlEnv}, which is not set: export the webhook's URL in it`,
            ]);
        }
        const problem = webhookUrlProblem(url);
        if (problem) {
            throw new ConfigError("the stack's notifications", [
                `\`lambda-rollout:notifications.${name}.urlEnv\`: the URL in ${hook.urlEnv} ${problem}: it ${WEBHOOK_URL_RULE}`,
            ]);
        }
        return url;
    }
    if (hook.url === undefined || hook.url === OFFLINE_SECRET) {
        throw new ConfigError("the stack's notifications", [
            `\`lambda-rollout:notifications.${name}.url\` is a secret this run could not decrypt: run through the Pulumi CLI, or use \`urlEnv\``,
        ]);
    }
    return hook.url;
}

/** Builds a rollout's {@link Delivery}; a config that cannot be honoured is a ConfigError before anything moves. */
export function delivery(deps: DeliveryDeps): Delivery {
    const config = deps.notifications;
    const channels: NotificationChannel[] = [];
    const secrets: string[] = [];
    for (const name of ["slack", "teams"] as const) {
        const hook = config?.[name];
        if (!hook) continue;
        if (deps.webhook) {
            channels.push(deps.webhook(name, hook.urlEnv ? deps.env[hook.urlEnv] : undefined));
            continue;
        }
        const url = webhookUrl(name, hook, deps.env);
        secrets.push(url);
        channels.push(name === "slack" ? slackChannel(url, deps.post) : teamsChannel(url, deps.post));
    }
    const warnings: string[] = [];
    if (config?.sns) {
        if (deps.sns?.topicArn) channels.push(snsChannel(deps.sns.publish, deps.sns.topicArn));
        else warnings.push("notifications.sns is on, but the stack exports no `alarmTopicArn`: run `pulumi up` once with this release");
    }
    warnings.forEach((w) => deps.warn(`warning: ${w}`));
    const notifier = new Notifier(channels, {
        events: config?.events,
        timeoutMs: (config?.timeout ?? 10) * 1000,
        warn: deps.warn,
        secrets,
    });
    return {
        observe: notifier.observe,
        finish: async (report) => {
            const sent = await notifier.flush();
            const metrics = deps.putMetrics
                ? await putDeploymentMetrics(deps.putMetrics, report, deps.stack, deps.now())
                : { metricsPut: [] as string[] };
            if (metrics.warning) deps.warn(`warning: ${metrics.warning}`);
            const all = [...warnings, ...sent.warnings, ...(metrics.warning ? [metrics.warning] : [])];
            return {
                ...report,
                ...(all.length > 0 ? { warnings: [...(report.warnings ?? []), ...all] } : {}),
                notifications: sent.sent.map((s) => ({ kind: s.kind, channel: s.channel })),
                metricsPut: metrics.metricsPut,
            };
        },
    };
}
