/**
 * The stack configuration of lambda-rollout, typed and validated in one place.
 *
 * Every key under the `lambda-rollout:` namespace of a `Pulumi.<stack>.yaml` file is described here: this module
 * is the whole config's schema and its entry (what the rest of the project imports), each section's schema in a
 * module of its own beside it (functions, rollout, gates, hooks, notifications, vpc). The program, the offline
 * plan, the rollout tool and the rehearsal all read config through `parseStackConfig`, so a bad value is caught
 * before any resource is registered and before any traffic moves, with a message that names the key path, the
 * bad value and what would be valid.
 */
import { z } from "zod";
import { functionSchema } from "./functionSchema";
import { ConfigError, describeIssues, namespaceKeys } from "./issues";
import { alarmsSchema, notificationsSchema } from "./notificationsSchema";
import { rolloutSchema } from "./rolloutSchema";
import { vpcSchema } from "./vpcSchema";
import { isWebhookUrlKey } from "./webhookSchema";

/** This repository's Pulumi project name: its config keys are `lambda-rollout:<key>`. Another project's are `<its name>:<key>`. */
export const PROJECT = "lambda-rollout";

/** The config key promote and rollback pass their routing in, for one `up` only: `<project>:routing`. */
export function routingKey(project: string): string {
    return `${project}:routing`;
}

/** This repository's routing key, `lambda-rollout:routing`. */
export const ROUTING_KEY = routingKey(PROJECT);

export { parseDuration } from "./durations";
export { DEFAULT_LAMBDA_RUNTIME, DEPRECATED_LAMBDA_RUNTIMES, LAMBDA_RUNTIMES } from "./runtimes";
export { ADVANCE_MODES, DEFAULT_ADVANCE, rolloutSchema, type Advance } from "./rolloutSchema";
export { HOOK_POINTS, hookSchema, MAX_HOOK_ENV, type HookPoint } from "./hooksSchema";
export { isWebhookUrlKey } from "./webhookSchema";
export { NOTIFICATION_EVENT_KINDS, type NotificationsConfig } from "./notificationsSchema";
export { NAT_STRATEGIES } from "./vpcSchema";

/**
 * The routing that `promote` or `rollback` asks for, for one `up` only (passed in a temporary config file,
 * never committed): per function, the stable version, the candidate and the candidate's weight (0.0-1.0).
 */
const routingEntry = z
    .object({
        stable: z.string().regex(/^\d+$/, { message: "must be a published version number (never $LATEST)" }),
        candidate: z.string().regex(/^\d+$/, { message: "must be a published version number (never $LATEST)" }),
        weight: z.number().min(0, { message: "must be between 0.0 and 1.0" }).max(1, { message: "must be between 0.0 and 1.0" }),
        /** The rollout state recorded in the alias's description with this routing (domain/state.ts). */
        state: z.string().max(256, { message: "must be at most 256 characters (Lambda's limit on an alias description)" }).optional(),
    })
    .strict();

/** What a stack without a region is told: the key to set, and how. */
export const REGION_MISSING =
    "is not set: set `aws:region`, the region the stack deploys to (e.g. `pulumi config set aws:region us-east-1`)";

/**
 * How many published versions each function keeps (`lambda-rollout prune`, automation/rollout/retention.ts): every
 * commit publishes one, and Lambda keeps them all (75 GB of code per region is the account's limit) unless deleted.
 * Read from the stack's config by the tool, never exported: a change takes effect without an `up`.
 */
export const retentionSchema = z
    .object({
        /** The newest numbered versions kept per function, besides any an alias routes to or a rollout in progress needs. */
        keep: z
            .number({ message: "must be a whole number of versions, 2 or more" })
            .int({ message: "must be a whole number of versions, 2 or more" })
            // Two at least: `rollback` after a promotion goes back to the version before the live one.
            .min(2, { message: "must be at least 2 (the newest version and one before it, so `rollback` has a version to go back to)" })
            .default(10),
        /** Prune after every promotion (a failure to prune is a warning in the report, never a failed promotion). */
        afterPromotion: z.boolean({ message: "must be true or false" }).default(false),
    })
    .strict();

/** A validated retention policy. */
export type RetentionPolicy = z.output<typeof retentionSchema>;

/** The whole of a stack's `<project>:` config. */
export const stackConfigSchema = z
    .object({
        region: z
            .string({
                // No default region: a stack deployed to a region it did not name is worse than a refusal.
                error: (issue) => (issue.input === undefined ? REGION_MISSING : undefined),
            })
            .regex(/^[a-z]{2}(-[a-z]+)+-\d$/, { message: 'must be an AWS region such as "us-east-1"' }),
        functions: z.array(functionSchema).min(1, { message: "must list at least one function" }),
        rollout: rolloutSchema,
        alarms: alarmsSchema.default({}),
        notifications: notificationsSchema.optional(),
        routing: z.record(z.string(), routingEntry).optional(),
        vpc: vpcSchema.optional(),
        retention: retentionSchema.default({ keep: 10, afterPromotion: false }),
    })
    .strict()
    .superRefine((cfg, ctx) => {
        const seen = new Set<string>();
        cfg.functions.forEach((fn, i) => {
            if (seen.has(fn.name)) {
                ctx.addIssue({
                    code: "custom",
                    path: ["functions", i, "name"],
                    message: `"${fn.name}" is used twice: function names must be unique`,
                });
            }
            seen.add(fn.name);
        });
        for (const name of Object.keys(cfg.routing ?? {})) {
            if (!seen.has(name)) {
                ctx.addIssue({
                    code: "custom",
                    path: ["routing", name],
                    message: `names no function of this stack (functions: ${[...seen].join(", ")})`,
                });
            }
        }
    });

/** A validated stack configuration. */
export type StackConfig = z.output<typeof stackConfigSchema>;
/** A validated rollout policy. */
export type RolloutPolicy = StackConfig["rollout"];
/** Validated gate thresholds. */
export type GatePolicy = RolloutPolicy["gates"];
/** Explicit routing for one `up`, by function name. */
export type RoutingOverride = NonNullable<StackConfig["routing"]>;

/** A stack config error (exit code 2 in the tool): every problem, each naming its key. */
export class StackConfigError extends ConfigError {
    constructor(source: string, problems: string[]) {
        super(source, problems, "stack config");
        this.name = "StackConfigError";
    }
}

/**
 * A stack file that does not validate and imports ESC environments: what is missing may come from them, so the
 * Pulumi CLI, which resolves them, may still find the stack's config complete.
 */
export class UnresolvedStackConfigError extends StackConfigError {
    constructor(
        source: string,
        problems: string[],
        /** The environments the file imports. */
        readonly environments: string[],
    ) {
        super(source, problems);
        this.name = "UnresolvedStackConfigError";
    }
}

/**
 * Validates the `lambda-rollout:` keys of a stack (already stripped of their namespace, values parsed from
 * YAML or JSON). Throws a StackConfigError that lists every problem.
 */
export function parseStackConfig(raw: Record<string, unknown>, source: string, project: string = PROJECT): StackConfig {
    const result = stackConfigSchema.safeParse(raw);
    if (result.success) {
        return result.data;
    }
    throw new StackConfigError(source, describeIssues(result.error.issues, project, raw, isWebhookUrlKey));
}

/**
 * Takes the `config:` map of a Pulumi stack file (`<project>:functions: [...]`) and returns the values of
 * `project`'s keys without their namespace. Keys of other namespaces are ignored, except `aws:region`, which
 * becomes the default `region`.
 */
export function projectKeys(config: Record<string, unknown>, project: string = PROJECT): Record<string, unknown> {
    const out = namespaceKeys(config, project);
    if (out.region === undefined && typeof config["aws:region"] === "string") {
        out.region = config["aws:region"];
    }
    return out;
}
