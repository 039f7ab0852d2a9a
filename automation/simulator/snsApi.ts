import { PublishCommand } from "@aws-sdk/client-sns";
import { dispatch, type CommandHandlers, type SimulatedClient } from "./sdkDispatch";

/** One message published to a topic of the simulated account, as SNS received it. */
export interface SnsPublish {
    readonly topicArn: string;
    readonly subject?: string;
    readonly message: string;
    /** String message attributes, by name. */
    readonly attributes: Record<string, string>;
    /** Virtual epoch ms. */
    readonly atMs: number;
}

/**
 * The SNS API of a simulated account: Publish, recorded (nothing is delivered), so a test or the rehearsal
 * reads back what the tool published and when.
 */
export function createSnsClient(backend: { nowMs(): number; checkAvailable(): void; published: SnsPublish[] }): SimulatedClient {
    const handlers: CommandHandlers = [
        [
            PublishCommand,
            (input: {
                TopicArn?: string;
                Subject?: string;
                Message?: string;
                MessageAttributes?: Record<string, { StringValue?: string }>;
            }) => {
                if (!input.TopicArn || input.Message === undefined) {
                    throw Object.assign(new Error("TopicArn and Message are required"), { name: "InvalidParameterException" });
                }
                const messageId = `sim-${backend.published.length + 1}`;
                backend.published.push({
                    topicArn: input.TopicArn,
                    ...(input.Subject !== undefined ? { subject: input.Subject } : {}),
                    message: input.Message,
                    attributes: Object.fromEntries(Object.entries(input.MessageAttributes ?? {}).map(([k, v]) => [k, v.StringValue ?? ""])),
                    atMs: backend.nowMs(),
                });
                return { MessageId: messageId };
            },
        ],
    ];
    return {
        send: async (command: unknown) => {
            backend.checkAvailable();
            return dispatch(command, handlers, "SNS");
        },
    };
}
