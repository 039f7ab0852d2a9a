import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";

/** Arguments of {@link AlarmTopic}. */
export interface AlarmTopicArgs {
    /** The SNS topic's name. */
    readonly topicName: string;
    /**
     * An address subscribed by email (it must confirm the subscription), kept a secret in the state. A plain
     * string is checked here; an Output (e.g. a secret from the stack's config, validated there) is taken as is.
     */
    readonly email?: pulumi.Input<string>;
    /** Tags. */
    readonly tags?: Record<string, string>;
}

/** The stack's SNS topic that the "roll back" alarms notify, with an optional email subscription. */
export class AlarmTopic extends pulumi.ComponentResource {
    /** The topic's ARN. */
    public readonly topicArn: pulumi.Output<string>;

    constructor(name: string, args: AlarmTopicArgs, opts: pulumi.ComponentResourceOptions = {}) {
        super("lambda-rollout:index:AlarmTopic", name, {}, opts);
        if (typeof args.email === "string" && !/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(args.email)) {
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
