/**
 * How notifications reach the world: a webhook POST, an SNS Publish, a PutMetricData. notify/ decides what to
 * send, to which channel, when; the composition root (automation/wiring) binds these to the adapters (or to
 * the rehearsal's stand-ins), so nothing here performs I/O of its own, as nothing in automation/rollout does.
 */
import type { MetricDatum } from "@aws-sdk/client-cloudwatch";

/** What a webhook answered (adapters/webhook.ts). */
export interface PostAnswer {
    readonly status: number;
    readonly ok: boolean;
}

/**
 * POSTs a JSON body to a webhook URL. It rejects only with an error whose message names neither the URL nor
 * the answer's body (the URL is a credential): the channels quote that message in their warnings.
 */
export interface WebhookPost {
    (url: string, body: unknown, signal: AbortSignal): Promise<PostAnswer>;
}

/** Publishes one message to an SNS topic; `attributes` are what a subscription filters on (adapters/sns.ts). */
export interface TopicPublish {
    (
        topicArn: string,
        message: { readonly Subject: string; readonly Message: string },
        attributes: Readonly<Record<string, string>>,
    ): Promise<void>;
}

/** Puts custom metrics in a CloudWatch namespace (adapters/cloudwatch.ts). */
export interface MetricPut {
    (namespace: string, data: readonly MetricDatum[]): Promise<void>;
}
