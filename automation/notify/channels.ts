/**
 * Where notifications go: a Slack incoming webhook, a Microsoft Teams incoming webhook (a Workflows webhook,
 * the replacement of the retired Office 365 connectors, takes the same payload), and the stack's SNS topic.
 *
 * A webhook's URL is its credential: it is held here and nowhere else, and never enters an error (a failure
 * says the channel and the HTTP status or the network error's code, never the URL or a response body).
 */
import { PublishCommand } from "@aws-sdk/client-sns";
import { awsCall } from "../adapters/awsError";
import type { CommandSender } from "../adapters/lambda";
import { describeEvent, eventTitle, type RolloutEvent } from "./events";

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

/** Slack's incoming-webhook body: `text` (the fallback and the notification) and one section block. */
export function slackPayload(event: RolloutEvent): { text: string; blocks: object[] } {
    const text = describeEvent(event);
    return { text, blocks: [{ type: "section", text: { type: "mrkdwn", text } }] };
}

/**
 * A Teams webhook's body: a message with one Adaptive Card attachment ("Send Adaptive Cards using an Incoming
 * Webhook", https://learn.microsoft.com/en-us/microsoftteams/platform/webhooks-and-connectors/how-to/add-incoming-webhook;
 * Workflows webhooks take the same `attachments` form).
 */
export function teamsPayload(event: RolloutEvent): object {
    const text = describeEvent(event);
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
                        { type: "TextBlock", text: text.slice(eventTitle(event).length + 2), wrap: true },
                    ],
                },
            },
        ],
    };
}

/** POSTs JSON to a webhook with node's fetch; a non-2xx answer or a network error rejects without the URL. */
export async function postJson(channel: string, url: string, body: unknown, signal: AbortSignal): Promise<void> {
    let response: Response;
    try {
        response = await fetch(url, {
            method: "POST",
            headers: { "content-type": "application/json" },
            body: JSON.stringify(body),
            signal,
            redirect: "error",
        });
    } catch (err) {
        if (signal.aborted) throw new NotificationError(`${channel} webhook did not answer in time`);
        // fetch's own message and cause can carry the address; only the cause's code is kept.
        const code = (err as { cause?: { code?: unknown } }).cause?.code;
        throw new NotificationError(`${channel} webhook could not be reached${typeof code === "string" ? ` (${code})` : ""}`);
    }
    // The body is read and dropped: a webhook's error page may echo the request.
    await response.arrayBuffer().catch(() => undefined);
    if (!response.ok) throw new NotificationError(`${channel} webhook answered HTTP ${response.status}`);
}

/** A Slack incoming webhook. */
export function slackChannel(url: string): NotificationChannel {
    return { name: "slack", send: (event, signal) => postJson("Slack", url, slackPayload(event), signal) };
}

/** A Microsoft Teams incoming (or Workflows) webhook. */
export function teamsChannel(url: string): NotificationChannel {
    return { name: "teams", send: (event, signal) => postJson("Teams", url, teamsPayload(event), signal) };
}

/**
 * The SNS message of an event: the subject (at most 100 characters, SNS's limit) and the text. A rollback in the
 * `incident` severity band says so first: the runbook's top band opens an incident (pages).
 */
export function snsMessage(event: RolloutEvent): { Subject: string; Message: string } {
    const incident = "severity" in event && event.severity === "incident" ? "INCIDENT: " : "";
    return { Subject: `${incident}${eventTitle(event)}`.slice(0, 100), Message: describeEvent(event) };
}

/**
 * The stack's SNS topic (`alarmTopicArn` in the stack's outputs), through SNS Publish. The event's kind, and a
 * rollback's severity band, are message attributes, so a subscription can filter on them (e.g. page only on
 * `severity` = `incident`).
 */
export function snsChannel(sns: CommandSender, topicArn: string): NotificationChannel {
    return {
        name: "sns",
        // The notifier stops waiting at its timeout; the SDK's own retries end the call.
        send: async (event) => {
            await awsCall("Publish", () =>
                sns.send(
                    new PublishCommand({
                        TopicArn: topicArn,
                        ...snsMessage(event),
                        // `severity` lets the on-call's subscription page on the top band only (a filter policy on it).
                        MessageAttributes: {
                            event: { DataType: "String", StringValue: event.kind },
                            ...("severity" in event && event.severity
                                ? { severity: { DataType: "String", StringValue: event.severity } }
                                : {}),
                        },
                    }),
                ),
            );
        },
    };
}
