import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { OFFLINE_SECRET } from "../config/secrets";

/** Arguments of {@link AlarmTopic}. */
export interface AlarmTopicArgs {
    /** The SNS topic's name. */
    readonly topicName: string;
    /**
     * An address subscribed by email (it must confirm the subscription). Kept a secret in the state: an address
     * set with `pulumi config set --secret` stays one. `[secret]` (an encrypted value read offline) is taken as a
     * valid address.
     */
    readonly email?: string;
    /** Tags. */
    readonly tags?: Record<string, string>;
}

/** The stack's SNS topic that the "roll back" alarms notify, with an optional email subscription. */
export class AlarmTopic extends pulumi.ComponentResource {
    /** The topic's ARN. */
    public readonly topicArn: pulumi.Output<string>;

    constructor(name: string, args: AlarmTopicArgs, opts: pulumi.ComponentResourceOptions = {}) {
        super("lambda-rollout:index:AlarmTopic", name, {}, opts);
        if (args.email !== undefined && args.email !== OFFLINE_SECRET && !/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(args.email)) {
            throw new Error(`\`email\` "${args.email}" must be an email address`);
        }
        const topic = new aws.sns.Topic(`${name}-topic`, { name: args.topicName, tags: args.tags }, { parent: this });
        if (args.email) {
            new aws.sns.TopicSubscription(
                `${name}-email`,
                { topic: topic.arn, protocol: "email", endpoint: pulumi.secret(args.email) },
                { parent: this },
            );
        }
        this.topicArn = topic.arn;
        this.registerOutputs({ topicArn: this.topicArn });
    }
}
