/** The schema of who hears about the stack: its alarms' email (`alarms`) and the rollout's notifications (`notifications`). */
import { z } from "zod";
import { boundedDuration } from "./durations";
import { OFFLINE_SECRET } from "./secrets";
import { ENV_NAME, webhookUrl } from "./webhookSchema";

/** The stack's alarms: who their SNS topic notifies. */
export const alarmsSchema = z
    .object({
        /** An address subscribed to the stack's alarm topic. */
        email: z.union([z.literal(OFFLINE_SECRET), z.email()], { message: "must be an email address" }).optional(),
    })
    .strict();

/**
 * A webhook's URL: a Pulumi secret (`pulumi config set --secret --path 'lambda-rollout:notifications.slack.url'`,
 * read offline as `[secret]`) or the name of an environment variable that holds it (`urlEnv`), exactly one.
 */
const webhookSchema = z
    .object({
        url: webhookUrl(true).optional(),
        urlEnv: z.string().regex(ENV_NAME, { message: 'must be an environment variable\'s name, e.g. "SLACK_WEBHOOK_URL"' }).optional(),
    })
    .strict()
    .superRefine((hook, ctx) => {
        if ((hook.url === undefined) === (hook.urlEnv === undefined)) {
            ctx.addIssue({
                code: "custom",
                path: [],
                message: "needs exactly one of `url` (a secret) or `urlEnv` (an environment variable's name)",
            });
        }
    });

/** The rollout's notifications (automation/notify): Slack and Teams webhooks, the stack's SNS topic. */
export const NOTIFICATION_EVENT_KINDS = [
    "started",
    "step-passed",
    "waiting-for-approval",
    "rolled-back",
    "aborted",
    "promoted",
    "failed",
] as const;
export const notificationsSchema = z
    .object({
        slack: webhookSchema.optional(),
        teams: webhookSchema.optional(),
        /** Publish each event to the stack's SNS topic (the one its alarms notify). */
        sns: z.boolean({ message: "must be true or false" }).default(false),
        /** The events to send; default all. */
        events: z
            .array(
                z.enum(NOTIFICATION_EVENT_KINDS, { message: `must be one of ${NOTIFICATION_EVENT_KINDS.map((k) => `"${k}"`).join(", ")}` }),
            )
            .min(1, { message: "must name at least one event (leave it out for all)" })
            .optional(),
        /** How long one send may take before it is given up with a warning. */
        timeout: boundedDuration("notificationTimeout").default(10),
    })
    .strict();

/** A stack's validated notifications config. */
export type NotificationsConfig = z.output<typeof notificationsSchema>;
