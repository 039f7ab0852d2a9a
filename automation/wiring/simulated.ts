/**
 * The simulated world: the simulated account (its clients in process, or the real SDK clients against it served
 * over HTTP: the rehearsal's transport), the mock engine's stack, the account's virtual clock, the scenario's hook
 * answers, and webhooks posted only where a test or `--send-webhooks` says (else recorded as sent). Notifications
 * and deployment metrics go to the account's own SNS and CloudWatch, in process whatever the transport.
 */
import type { RecentTraffic } from "../rollout/power";
import { slackChannel, teamsChannel, type NotificationChannel } from "../notify/channels";
import type { Clock, StackDriver } from "../rollout/ports";
import type { HookRunner } from "../rollout/hooks";
import type { SimulatedAws } from "../simulator";
import { postNotification, type World } from "./index";

/** Where the rehearsal's Slack and Teams notifications are posted: these URLs (a test's server), the ones `urlEnv` names, or nowhere. */
export type RehearsedWebhooks = { readonly slack?: string; readonly teams?: string } | "fromEnv";

/** What a simulated world is made of besides the account. */
export interface SimulatedParts {
    readonly stack: StackDriver;
    /** The clients the adapters get (the transport's). */
    readonly clients: { readonly lambda: World["clients"]["lambda"]; readonly cloudWatch: World["clients"]["cloudWatch"] };
    readonly hooks: HookRunner;
    readonly webhooks?: RehearsedWebhooks;
    readonly env?: Readonly<Record<string, string | undefined>>;
    /** The traffic the power statement reads (the scenario's rate). */
    readonly recentTraffic?: RecentTraffic;
}

/** The account's clock: sleeping moves the simulated time on. */
export function accountClock(sim: SimulatedAws): Clock {
    return { now: () => sim.now().getTime(), sleep: async (ms) => sim.advance(Math.max(0, ms)) };
}

/** A simulated world over `sim`. */
export function simulatedWorld(sim: SimulatedAws, parts: SimulatedParts): World {
    return {
        stack: parts.stack,
        clients: { ...parts.clients, sts: sim.sts },
        notifyClients: { cloudWatch: sim.cloudWatch, sns: sim.sns },
        clock: accountClock(sim),
        hooks: () => parts.hooks,
        webhook: rehearsedWebhook(parts.webhooks),
        env: parts.env ?? process.env,
        ...(parts.recentTraffic ? { recentTraffic: parts.recentTraffic } : {}),
    };
}

/** The rehearsal's stand-in for a webhook: posts where `webhooks` says, else only records the send. */
function rehearsedWebhook(webhooks: RehearsedWebhooks | undefined) {
    return (name: "slack" | "teams", envUrl: string | undefined): NotificationChannel => {
        const url = webhooks === "fromEnv" ? envUrl : webhooks?.[name];
        if (!url) return { name, send: async () => undefined };
        return name === "slack" ? slackChannel(url, postNotification) : teamsChannel(url, postNotification);
    };
}
