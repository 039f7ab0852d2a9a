/**
 * An HTTP webhook through node's fetch: the one place a hook or a notification POSTs JSON to a URL the team
 * configured. The URL can be a credential (Slack's and Teams' are), so nothing this returns or throws holds it:
 * fetch's own message and cause may carry the address, so only the cause's code is kept, and a redirect (which
 * could send the body elsewhere) is refused. A URL that is not https (plain http only to a loopback host:
 * config/webhookUrls.ts) is refused before anything is sent, wherever it came from.
 */
import { WEBHOOK_URL_RULE, webhookUrlProblem } from "../../config/webhookUrls";

/** A webhook that could not be reached or did not answer in time; the message never holds the URL. */
export class WebhookError extends Error {
    constructor(
        /**
         * `timeout`: no answer before the signal aborted; `unreachable`: the request failed (`code`, e.g.
         * ECONNREFUSED); `refused`: not sent, the URL breaks the rule (`code` says how, never quoting it).
         */
        readonly reason: "timeout" | "unreachable" | "refused",
        readonly code?: string,
    ) {
        super(
            reason === "timeout"
                ? "did not answer in time"
                : reason === "refused"
                  ? `not sent: the URL ${code}; ${WEBHOOK_URL_RULE}`
                  : `could not be reached${code ? ` (${code})` : ""}`,
        );
        this.name = "WebhookError";
    }
}

/** What a webhook answered: the status, and the start of its body when asked for (a hook's answer is reported). */
export interface WebhookAnswer {
    readonly status: number;
    readonly ok: boolean;
    readonly body: string;
}

/**
 * POSTs `body` as JSON. `keepBody`: the first 1000 characters of the answer are returned (a hook's verdict);
 * otherwise the body is read and dropped (a notification service's error page may echo the request). It rejects
 * only with a {@link WebhookError}: a URL refused before sending, no answer in time, or no connection.
 */
export async function postWebhook(url: string, body: unknown, signal: AbortSignal, keepBody: boolean): Promise<WebhookAnswer> {
    const problem = webhookUrlProblem(url);
    if (problem) throw new WebhookError("refused", problem);
    let response: Response;
    try {
        response = await fetch(url, {
            method: "POST",
            headers: { "content-type": "application/json", "user-agent": "lambda-rollout" },
            body: JSON.stringify(body),
            signal,
            redirect: "error",
        });
    } catch (err) {
        if (signal.aborted) throw new WebhookError("timeout");
        const code = (err as { cause?: { code?: unknown } }).cause?.code;
        throw new WebhookError("unreachable", typeof code === "string" ? code : undefined);
    }
    const text = keepBody ? (await response.text().catch(() => "")).slice(0, 1000) : "";
    if (!keepBody) await response.arrayBuffer().catch(() => undefined);
    return { status: response.status, ok: response.ok, body: text };
}
