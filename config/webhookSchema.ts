/**
 * A webhook's URL and an environment variable's name as config writes them, shared by hooks (`rollout.hooks`) and
 * notifications (`notifications`); and which key paths hold a URL, so an error about one never shows it.
 */
import { z } from "zod";
import { OFFLINE_SECRET } from "./secrets";
import { WEBHOOK_URL_RULE, webhookUrlProblem } from "./webhookUrls";

/**
 * Is this key path a webhook's URL (a hook's `webhook.url`, a notification's `url`)? Its value may be the
 * webhook's credential (Slack's and Teams' URLs are), so an error about it never shows the value.
 */
export function isWebhookUrlKey(path: readonly PropertyKey[]): boolean {
    return path.at(-1) === "url" && (path.at(-2) === "webhook" || path[0] === "notifications");
}

/** An environment variable's name. */
export const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * A webhook's URL written in config: https, or plain http to a loopback host (config/webhookUrls.ts). `secret`:
 * a notification's URL, set as a secret (offline, `[secret]`: validated when the tool reads it decrypted).
 */
export function webhookUrl(secret: boolean) {
    const rule = `${WEBHOOK_URL_RULE}${secret ? ", set as a secret" : ""}`;
    return z.string({ message: rule }).superRefine((url, ctx) => {
        const problem = secret && url === OFFLINE_SECRET ? undefined : webhookUrlProblem(url);
        if (problem) ctx.addIssue({ code: "custom", message: `${problem}: ${rule}` });
    });
}
