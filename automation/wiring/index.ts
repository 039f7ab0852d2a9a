/**
 * The one composition root of a run's side effects. A {@link World} is all that differs between a real run and a
 * rehearsal: the stack driver (the Automation API, or the mock engine over the simulated account), the SDK clients
 * (real ones, or the simulated account's, in process or over HTTP), the clock, how hooks run and where webhooks go.
 * Everything a run builds from that (the adapters, the hook runner, notifications and deployment metrics, version
 * retention after a promotion) is built here, once: the command line (real.ts) and the rehearsal (simulated.ts)
 * both call it, so a rehearsal exercises exactly the wiring production uses, and a new side effect is wired once.
 */
import type { NotificationsConfig, RetentionPolicy } from "../../config/stackConfig";
import { CloudWatchAdapter, putMetricData } from "../adapters/cloudwatch";
import { publish } from "../adapters/sns";
import { postWebhook } from "../adapters/webhook";
import { LambdaAdapter } from "../adapters/lambda";
import type { SdkClient } from "../../domain/sdk";
import { StsIdentity } from "../adapters/sts";
import type { NotificationChannel } from "../notify/channels";
import type { WebhookPost } from "../notify/ports";
import { delivery, type Delivery } from "../notify/delivery";
import type { RolloutDeps } from "../rollout/deps";
import type { HookRunner } from "../rollout/hooks";
import type { CallerIdentity, Clock, LambdaControl, RolloutLog, StackDriver } from "../rollout/ports";
import type { RecentTraffic } from "../rollout/power";
import { pruneAfterPromotion } from "../rollout/prune";

/** What a run acts on. */
export interface World {
    /** The stack: `up`s, outputs, history. */
    readonly stack: StackDriver;
    /** The clients the gates, the traffic moves and the verbs call. */
    readonly clients: { readonly lambda: SdkClient; readonly cloudWatch: SdkClient; readonly sts: SdkClient };
    /** Where notifications go and deployment metrics are put (the simulated account's own, whatever the transport). */
    readonly notifyClients: { readonly cloudWatch: SdkClient; readonly sns: SdkClient };
    readonly clock: Clock;
    /** The hooks' runner: webhooks, Lambda functions and commands for real, or the rehearsal's answers. */
    readonly hooks: (lambda: LambdaControl) => HookRunner;
    /** How a Slack or Teams webhook is posted in place of the real post (the rehearsal's); absent: posted for real. */
    readonly webhook?: (name: "slack" | "teams", url: string | undefined) => NotificationChannel;
    /** Where `urlEnv`s and the hooks' declared variables are read. */
    readonly env: Readonly<Record<string, string | undefined>>;
    /**
     * The recent traffic the power statement reads before traffic moves; absent: each alias's last day from
     * CloudWatch (a rehearsal says its scenario's rate instead).
     */
    readonly recentTraffic?: RecentTraffic;
}

/** The adapters every verb uses, over a world's clients. */
export interface Adapters {
    readonly lambda: LambdaAdapter;
    readonly metrics: CloudWatchAdapter;
    readonly identity: CallerIdentity;
}

/** A world's adapters. */
export function adaptersOf(world: World): Adapters {
    return {
        lambda: new LambdaAdapter(world.clients.lambda),
        metrics: new CloudWatchAdapter(world.clients.cloudWatch),
        identity: new StsIdentity(world.clients.sts),
    };
}

/** What a rollout runs on besides its world's stack and clock: every side effect, wired once. */
export interface RolloutWiring extends Adapters {
    /** Notifications while it runs, deployment metrics once it ends (each caller adds its own observers beside it). */
    readonly delivery: Delivery;
    /**
     * The side effects as promote takes them: the command line and the rehearsal both spread this into promote's
     * dependencies, so a new one is wired here and nowhere else.
     */
    readonly rollout: WiredRolloutDeps;
}

/**
 * The part of promote's dependencies the composition root wires: the adapters, the hook runner, the recent
 * traffic of the power statement, retention after a promotion.
 */
export type WiredRolloutDeps = Pick<RolloutDeps, "lambda" | "metrics" | "hooks" | "recentTraffic" | "afterPromotion">;

/** What {@link wireRollout} needs of the run besides its config: the stack's names, the log, whether it is a dry run. */
export interface RolloutSettings {
    /** The stack's short name (the metrics' `Stack` dimension). */
    readonly stack: string;
    /** The stack as the command line names it (prune's messages). */
    readonly stackName: string;
    readonly log: RolloutLog;
    /** A dry run: nothing is sent, put or pruned. */
    readonly dryRun?: boolean;
}

/** The parts of the stack's reviewed config the wiring reads (without `notifications` none is sent; the deployment metrics are put all the same). */
export interface WiredConfig {
    readonly notifications?: NotificationsConfig;
    readonly retention: RetentionPolicy;
}

/**
 * Wires a rollout's side effects from a world: the adapters, the hook runner, notifications and deployment metrics
 * (the stack's SNS topic read from its outputs when `notifications.sns` is on; a webhook URL that cannot be had
 * is a config error here, before anything moves), and retention after a promotion.
 */
export async function wireRollout(world: World, settings: RolloutSettings, config: WiredConfig): Promise<RolloutWiring> {
    const adapters = adaptersOf(world);
    const { log } = settings;
    const { notifications, retention } = config;
    let topicArn: string | undefined;
    if (notifications?.sns && !settings.dryRun) {
        try {
            topicArn = (await world.stack.outputs())?.alarmTopicArn;
        } catch {
            // promote reads the outputs again and reports what is wrong with them; here SNS is only left out.
            topicArn = undefined;
        }
    }
    const notify = delivery({
        notifications: settings.dryRun ? undefined : notifications,
        stack: settings.stack,
        env: world.env,
        post: postNotification,
        ...(settings.dryRun ? {} : { putMetrics: (namespace, data) => putMetricData(world.notifyClients.cloudWatch, namespace, data) }),
        sns: { publish: (arn, message, attributes) => publish(world.notifyClients.sns, arn, message, attributes), topicArn },
        now: () => new Date(world.clock.now()),
        warn: (line) => log.line(line),
        ...(world.webhook ? { webhook: world.webhook } : {}),
    });
    const hooks = world.hooks(adapters.lambda);
    const recentTraffic: RecentTraffic =
        world.recentTraffic ?? ((targets) => adapters.metrics.recentTraffic(targets, new Date(world.clock.now())));
    const afterPromotion =
        retention.afterPromotion && !settings.dryRun
            ? () => pruneAfterPromotion({ stack: world.stack, lambda: adapters.lambda, log }, { stackName: settings.stackName, retention })
            : undefined;
    return {
        ...adapters,
        delivery: notify,
        rollout: {
            lambda: adapters.lambda,
            metrics: adapters.metrics,
            hooks,
            recentTraffic,
            ...(afterPromotion ? { afterPromotion } : {}),
        },
    };
}

/**
 * A notification's POST: the webhook adapter, its answer's body dropped (a service's error page may echo the
 * request). The adapter rejects only with a WebhookError, worded without the URL: what notify/ports.ts asks.
 */
export const postNotification: WebhookPost = (url, body, signal) => postWebhook(url, body, signal, false);
