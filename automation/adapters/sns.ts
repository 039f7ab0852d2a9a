/** SNS through @aws-sdk/client-sns: Publish to the stack's topic (the rollout's notifications). */
import { PublishCommand } from "@aws-sdk/client-sns";
import { awsCall } from "./awsError";
import type { SdkClient } from "../../domain/sdk";

/** Publishes one message; `attributes` become String message attributes (what a subscription filters on). */
export async function publish(
    sns: SdkClient,
    topicArn: string,
    message: { readonly Subject: string; readonly Message: string },
    attributes: Readonly<Record<string, string>>,
): Promise<void> {
    await awsCall("Publish", () =>
        sns.send(
            new PublishCommand({
                TopicArn: topicArn,
                ...message,
                MessageAttributes: Object.fromEntries(
                    Object.entries(attributes).map(([name, value]) => [name, { DataType: "String", StringValue: value }]),
                ),
            }),
        ),
    );
}
