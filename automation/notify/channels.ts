/**
 * Where notifications go: a Slack incoming webhook, a Microsoft Teams incoming webhook (a Workflows webhook,
 * the replacement of the retired Office 365 connectors, takes the same payload), and the stack's SNS topic.
 *
 * A webhook's URL is its credential: it is held here and nowhere else, and never enters an error (a failure
 * says the channel and the HTTP status or the network error's code, never the URL or a response body).
 */
import { oneLine, plainText, slackText } from "../../domain/text";
import { describeEvent, eventTitle, type RolloutEvent } from "./events";
import type { TopicPublish, WebhookPost } from "./ports";

/** The channels a stack can notify; the config's keys under `notifications`. */
export const CHANNELS = ["slack", "teams", "sns"] as const;
/** See {@link CHANNELS}. */
export type ChannelName = (typeof CHANNELS)[number];

/** One destination of notifications. */
export interface NotificationChannel {
    readonly name: ChannelName;
    /** Sends one event; rejects with an error that names no secret. `signal` aborts a send that takes too long. */
    send(event: RolloutEvent, signal: AbortSignal): Promise<void>;
}

/** A failed send, worded without the URL. */
export class NotificationError extends Error {
    constructor(message: string) {
        super(message);
        this.name = "NotificationError";
    }
}

/**
 * Slack's incoming-webhook body: `text` (the fallback and the notification) and one section block, both mrkdwn
 * with `&`, `<` and `>` escaped (a reason cannot make a link or an @channel mention) and no control characters.
 */
export function slackPayload(event: RolloutEvent): { text: string; blocks: object[] } {
    const text = slackText(describeEvent(event));
    return { text, blocks: [{ type: "section", text: { type: "mrkdwn", text } }] };
}

/**
 * A Teams webhook's body: a message with one Adaptive Card attachment ("Send Adaptive Cards using an Incoming
 * Webhook", https://learn.microsoft.com/en-us/microsoftteams/platform/webhooks-and-connectors/how-to/add-incoming-webhook;
 * Workflows webhooks take the same `attachments` form). The title is ours; the rest (reasons, names) is a
 * TextRun in a RichTextBlock, which Adaptive Cards never read as Markdown ("TextRun: Markdown is not supported",
 * https://learn.microsoft.com/en-us/adaptive-cards/schema-explorer/text-run), so it shows as written.
 */
export function teamsPayload(event: RolloutEvent): object {
    const text = plainText(describeEvent(event));
    return {
        type: "message",
        attachments: [
            {
                contentType: "application/vnd.microsoft.card.adaptive",
                contentUrl: null,
                content: {
                    $schema: "http://adaptivecards.io/schemas/adaptive-card.json",
                    type: "AdaptiveCard",
                    version: "1.4",
                    body: [
                        { type: "TextBlock", text: eventTitle(event), weight: "Bolder", size: "Medium", wrap: true },
                        { type: "RichTextBlock", inlines: [{ type: "TextRun", text: text.slice(eventTitle(event).length + 2) }] },
                    ],
                },
            },
        ],
    };
}

/**
 * POSTs JSON to a webhook through `post` (bound to adapters/webhook.ts); a non-2xx answer or a network error
 * rejects without the URL: `post` rejects only with errors worded without it (its contract, ports.ts).
 */
export async function postJson(channel: string, post: WebhookPost, url: string, body: unknown, signal: AbortSignal): Promise<void> {
    let answer: { readonly ok: boolean; readonly status: number };
    try {
        answer = await post(url, body, signal);
    } catch (err) {
        throw new NotificationError(`${channel} webhook ${err instanceof Error ? err.message : "could not be reached"}`);
    }
    if (!answer.ok) throw new NotificationError(`${channel} webhook answered HTTP ${answer.status}`);
}

/** A Slack incoming webhook, posted to through `post`. */
export function slackChannel(url: string, post: WebhookPost): NotificationChannel {
    return { name: "slack", send: (event, signal) => postJson("Slack", post, url, slackPayload(event), signal) };
}

/** A Microsoft Teams incoming (or Workflows) webhook, posted to through `post`. */
export function teamsChannel(url: string, post: WebhookPost): NotificationChannel {
    return { name: "teams", send: (event, signal) => postJson("Teams", post, url, teamsPayload(event), signal) };
}

/**
 * The SNS message of an event: the subject (at most 100 characters, SNS's limit) and the text. A rollback in the
 * `incident` severity band says so first: the runbook's top band opens an incident (pages).
 */
export function snsMessage(event: RolloutEvent): { Subject: string; Message: string } {
    const incident = "severity" in event && event.severity === "incident" ? "INCIDENT: " : "";
    // SNS refuses a subject with a line break or a control character; an email or SMS shows the message as text.
    return { Subject: oneLine(`${incident}${eventTitle(event)}`).slice(0, 100), Message: plainText(describeEvent(event)) };
}

/**
 * The stack's SNS topic (`alarmTopicArn` in the stack's outputs), through SNS Publish. The event's kind, and a
 * rollback's severity band, are message attributes, so a subscription can filter on them (e.g. page only on
 * `severity` = `incident`).
 */
export function snsChannel(publish: TopicPublish, topicArn: string): NotificationChannel {
    return {
        name: "sns",
        // The notifier stops waiting at its timeout; the SDK's own retries end the call.
        send: (event) =>
            // `severity` lets the on-call's subscription page on the top band only (a filter policy on it).
            publish(topicArn, snsMessage(event), {
                event: event.kind,
                ...("severity" in event && event.severity ? { severity: event.severity } : {}),
            }),
    };
}
