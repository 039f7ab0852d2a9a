/**
 * The stack configuration of lambda-rollout, typed and validated in one place.
 *
 * Every key under the `lambda-rollout:` namespace of a `Pulumi.<stack>.yaml` file is described here. The
 * program, the offline plan, the rollout tool and the rehearsal all read config through `parseStackConfig`,
 * so a bad value is caught before any resource is registered and before any traffic moves, with a message
 * that names the key path, the bad value and what would be valid.
 */
import { z } from "zod";
import { STRATEGIES } from "../domain/routing";
import { boundedDuration, boundRule, duration, withinBound } from "./durations";
import { ConfigError, describeIssues, namespaceKeys } from "./issues";
import { WEBHOOK_URL_RULE, webhookUrlProblem } from "./webhookUrls";
import { OFFLINE_SECRET } from "./secrets";

/** This repository's Pulumi project name: its config keys are `lambda-rollout:<key>`. Another project's are `<its name>:<key>`. */
export const PROJECT = "lambda-rollout";

/** The config key promote and rollback pass their routing in, for one `up` only: `<project>:routing`. */
export function routingKey(project: string): string {
    return `${project}:routing`;
}

/** This repository's routing key, `lambda-rollout:routing`. */
export const ROUTING_KEY = routingKey(PROJECT);

export { parseDuration } from "./durations";

/**
 * The Lambda runtimes AWS supports today (2026-11), with the date AWS projects to deprecate each: "Lambda runtimes",
 * https://docs.aws.amazon.com/lambda/latest/dg/lambda-runtimes.html (supported and deprecated runtimes). When a
 * date passes, move the runtime to {@link DEPRECATED_LAMBDA_RUNTIMES}. The SDK's `Runtime` enum also names
 * runtimes that page did not list as supported when this was written (nodejs26.x, python3.15, ruby4.0, ...):
 * add one here once AWS lists it.
 */
export const LAMBDA_RUNTIMES = [
    "nodejs24.x", // 2028-04-30
    "nodejs22.x", // 2027-04-30
    "python3.14", // 2029-06-30
    "python3.13", // 2029-06-30
    "python3.12", // 2028-10-31
    "java25", // 2029-06-30
    "java21", // 2029-06-30
    "dotnet10", // 2028-11-14
    "ruby3.4", // 2028-03-31
    "ruby3.3", // 2027-03-31
    "provided.al2023", // 2029-06-30
] as const;

/** The runtime a function gets when its config names none. */
export const DEFAULT_LAMBDA_RUNTIME = "nodejs24.x";

/**
 * Runtimes AWS Lambda has deprecated (same page): the date, and the runtime to move to. A deprecated runtime gets
 * no more security patches, and AWS then blocks creating, later updating, functions that use it.
 */
export const DEPRECATED_LAMBDA_RUNTIMES: Readonly<
    Record<string, { readonly since: string; readonly use: (typeof LAMBDA_RUNTIMES)[number] }>
> = {
    "nodejs20.x": { since: "2026-04-30", use: "nodejs24.x" },
    "nodejs18.x": { since: "2025-09-01", use: "nodejs24.x" },
    "nodejs16.x": { since: "2024-06-12", use: "nodejs24.x" },
    "nodejs14.x": { since: "2023-12-04", use: "nodejs24.x" },
    "nodejs12.x": { since: "2023-03-31", use: "nodejs24.x" },
    "python3.11": { since: "2026-06-30", use: "python3.14" },
    "python3.10": { since: "2026-06-30", use: "python3.14" },
    "python3.9": { since: "2025-12-15", use: "python3.14" },
    "python3.8": { since: "2024-10-14", use: "python3.14" },
    java17: { since: "2026-06-30", use: "java25" },
    java11: { since: "2026-06-30", use: "java25" },
    "java8.al2": { since: "2026-06-30", use: "java25" },
    java8: { since: "2024-01-08", use: "java25" },
    dotnet8: { since: "2026-11-10", use: "dotnet10" },
    dotnet6: { since: "2024-11-12", use: "dotnet10" },
    "ruby3.2": { since: "2026-03-31", use: "ruby3.4" },
    "provided.al2": { since: "2026-06-30", use: "provided.al2023" },
    provided: { since: "2024-01-08", use: "provided.al2023" },
    "go1.x": { since: "2024-01-08", use: "provided.al2023" },
};

/** Why a runtime is refused: deprecated (since when, what to use instead), or not a Lambda runtime we know. */
function runtimeProblem(runtime: unknown): string {
    const deprecated =
        typeof runtime === "string" && Object.hasOwn(DEPRECATED_LAMBDA_RUNTIMES, runtime) ? DEPRECATED_LAMBDA_RUNTIMES[runtime] : undefined;
    if (deprecated) {
        return `${runtime as string} is deprecated by AWS Lambda (since ${deprecated.since}: no security patches, then no creating or updating functions on it); use ${deprecated.use}`;
    }
    return `must be one of ${LAMBDA_RUNTIMES.join(", ")}`;
}

/** One progressively delivered function. */
const functionSchema = z
    .object({
        /** Short name, unique in the stack: `api`. The AWS function is `<project>-<stack>-<name>`. */
        name: z.string().regex(/^[a-z][a-z0-9-]{0,29}$/, {
            message: "must be 1-30 characters of lower-case letters, digits and '-', starting with a letter",
        }),
        /** Directory of the function's code, relative to the project root. */
        codeDir: z.string().min(1, { message: "must name the directory of the function's code" }),
        /** Handler, `file.export`. */
        handler: z.string().regex(/^[\w./-]+\.[\w$]+$/, { message: 'must be "<file>.<export>", e.g. "index.handler"' }),
        /** Lambda runtime; deprecated runtimes are refused with the one to move to. */
        runtime: z.enum(LAMBDA_RUNTIMES, { error: (issue) => runtimeProblem(issue.input) }).default(DEFAULT_LAMBDA_RUNTIME),
        memoryMb: z
            .number()
            .int({ message: "must be a whole number of MB" })
            .min(128, { message: "must be at least 128 (MB)" })
            .max(10240, { message: "must be at most 10240 (MB)" })
            .default(256),
        /** Function timeout, at most 15 minutes. */
        timeout: boundedDuration("functionTimeout", "Lambda's limit").default(10),
        environment: z.record(z.string(), z.string()).default({}),
        /** Reserved concurrency; omit for the account's unreserved pool. */
        reservedConcurrency: z.number().int().min(0, { message: "must be 0 or more" }).optional(),
        /** `true` creates an SQS dead-letter queue for the function; a string is the ARN of an existing SQS queue. */
        deadLetterQueue: z
            .union([z.boolean(), z.string().regex(/^arn:aws[\w-]*:sqs:/, { message: "must be an SQS queue ARN" })])
            .optional(),
        /**
         * What sends the function HTTP traffic, always through the `live` alias: `type: api` an API Gateway HTTP
         * API, `type: url` a function URL. Omit for none. No key names a target: the alias is the only one.
         */
        http: z
            .discriminatedUnion(
                "type",
                [
                    z
                        .object({
                            type: z.literal("api"),
                            /** Route keys, e.g. "GET /items"; default every method and path. */
                            routes: z
                                .array(
                                    z.string().regex(/^(ANY|GET|POST|PUT|PATCH|DELETE|HEAD|OPTIONS) \/\S*$|^\$default$/, {
                                        message: 'must be a route key such as "GET /items" or "$default"',
                                    }),
                                )
                                .min(1)
                                .default(["$default"]),
                            /** Steady-state requests per second the stage allows. */
                            throttleRateLimit: z.number().positive({ message: "must be above 0 (requests per second)" }).default(100),
                            /** Burst the stage allows. */
                            throttleBurstLimit: z.number().int().positive({ message: "must be above 0 (requests)" }).default(200),
                        })
                        .strict(),
                    z
                        .object({
                            type: z.literal("url"),
                            authorization: z.enum(["AWS_IAM", "NONE"], { message: 'must be "AWS_IAM" or "NONE"' }).default("AWS_IAM"),
                            /** Origins CORS allows; empty for none. */
                            corsAllowOrigins: z.array(z.string()).default([]),
                        })
                        .strict(),
                ],
                { message: "must have `type: api` (an API Gateway HTTP API) or `type: url` (a function URL)" },
            )
            .optional(),
        /** An SQS queue feeding the function through the `live` alias: created here (with a DLQ), or an existing one by `arn`. */
        queue: z
            .object({
                arn: z
                    .string()
                    .regex(/^arn:aws[\w-]*:sqs:[a-z0-9-]+:\d{12}:[\w-]+$/, { message: "must be an SQS queue ARN" })
                    .optional(),
                batchSize: z
                    .number()
                    .int()
                    .min(1, { message: "must be between 1 and 10000" })
                    .max(10000, { message: "must be between 1 and 10000" })
                    .default(10),
                /** The handler reports failed items (`batchItemFailures`) instead of failing the whole batch. */
                partialBatchResponses: z.boolean().default(true),
                /** At most this many concurrent invocations from the queue (SQS's own limit: 2-1000). */
                maxConcurrency: z
                    .number()
                    .int()
                    .min(2, { message: "must be between 2 and 1000" })
                    .max(1000, { message: "must be between 2 and 1000" })
                    .optional(),
            })
            .strict()
            .optional(),
        /** An EventBridge schedule invoking the `live` alias, e.g. "rate(5 minutes)" or "cron(0 12 * * ? *)". */
        schedule: z
            .string()
            .regex(/^(rate\(\d+ (minute|minutes|hour|hours|day|days)\)|cron\(.+\))$/, {
                message: 'must be "rate(<n> minutes|hours|days)" or "cron(...)"',
            })
            .optional(),
        /**
         * The AWS function's name, when it is not the program's own (`<project>-<stack>-<name>` here): a function
         * brought under management (`lambda-rollout adopt`) keeps the name it has, since a new name replaces it.
         */
        functionName: z
            .string()
            .regex(/^[A-Za-z0-9_-]{1,64}$/, { message: "must be 1-64 letters, digits, '-' or '_' (Lambda's rule for a function name)" })
            .optional(),
        /** The execution role's name, for a role that exists already (an adopted function's); default: generated. */
        roleName: z
            .string()
            .regex(/^[\w+=,.@-]{1,64}$/, { message: "must be an IAM role name: 1-64 of letters, digits and +=,.@_-" })
            .optional(),
        /** The existing role's path (e.g. `/service-role/`, the console's); default `/`. */
        rolePath: z
            .string()
            .regex(/^\/([\x21-\x7E]+\/)?$/, { message: 'must be an IAM path such as "/" or "/service-role/"' })
            .optional(),
        /** The function's log group, when it is not `/aws/lambda/<functionName>`. */
        logGroupName: z
            .string()
            .regex(/^[\w\-./#]{1,512}$/, { message: "must be a CloudWatch Logs group name" })
            .optional(),
        /** Log retention in days. */
        logRetentionDays: z
            .number()
            .refine((d) => [1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365].includes(d), {
                message: "must be one of CloudWatch Logs' retention periods: 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365",
            })
            .default(14),
    })
    .strict();

/** A canary step: the candidate's share of traffic, held for the bake time. */
const canaryStep = z
    .object({
        weight: z
            .number()
            .gt(0, { message: "must be above 0 (percent of traffic to the candidate)" })
            .max(100, { message: "must be at most 100 (percent of traffic to the candidate)" }),
        /**
         * How long the step is held under the gates. Required: a step that skips its gate must say so with
         * `0s` (plan and promote then warn), never by leaving the key out.
         */
        bake: z
            .union(duration.options, {
                error: (issue) =>
                    issue.input === undefined
                        ? 'is required: how long to hold this step under the gates, e.g. "10m" (write "0s" to skip its gate on purpose)'
                        : 'must be a duration such as "30s", "10m" or "1h"',
            })
            .refine((s) => withinBound("bake", s), { message: boundRule("bake") }),
        /**
         * Whether a person must approve this step before its weight goes live (e.g. the 100% step in prod): the
         * rollout holds the weight before it, gates still watching, until `approve` (or `abort`, or the timeout).
         */
        approval: z.boolean({ message: "must be true or false" }).optional(),
    })
    .strict();

/**
 * When a canary or linear step moves on (the contract's name, `advance: time | evidence`): `time` once its bake is
 * over and its evidence could have failed its must-catch regression (the power condition); `evidence` once the
 * evidence excludes the must-catch regression, the bake the least and the bake plus `gates.maxExtension` the most
 * it waits (docs/gates.md, "When a step moves on").
 */
export const ADVANCE_MODES = ["time", "evidence"] as const;
/** How a canary or linear rollout moves on from a step. */
export type Advance = (typeof ADVANCE_MODES)[number];
/** The default, chosen from the benchmark (docs/gates.md). */
export const DEFAULT_ADVANCE: Advance = "time";
const advanceSchema = z.enum(ADVANCE_MODES, { message: 'must be "time" or "evidence"' }).default(DEFAULT_ADVANCE);

/** The runbook's severity bands, on the candidate's always-valid lower bound of its error rate (docs/gates.md). */
const severitySchema = z
    .object({
        /** From this error rate (percent, on the bound) a failed or marginal verdict is in the `rollback` band; below, `monitor`. */
        rollbackAtPercent: z
            .number()
            .gt(0, { message: "must be above 0 (percent)" })
            .max(100, { message: "must be at most 100 (percent)" })
            .default(1),
        /** Above this error rate (percent, on the bound), or a total failure, the verdict is in the `incident` band: roll back and page. */
        incidentAtPercent: z
            .number()
            .gt(0, { message: "must be above 0 (percent)" })
            .max(100, { message: "must be at most 100 (percent)" })
            .default(5),
    })
    .strict()
    .superRefine((s, ctx) => {
        if (s.incidentAtPercent <= s.rollbackAtPercent)
            ctx.addIssue({
                code: "custom",
                path: ["incidentAtPercent"],
                message: `must be above \`rollbackAtPercent\` (${s.rollbackAtPercent}), got ${s.incidentAtPercent}`,
            });
    });

/**
 * Is this key path a webhook's URL (a hook's `webhook.url`, a notification's `url`)? Its value may be the
 * webhook's credential (Slack's and Teams' URLs are), so an error about it never shows the value.
 */
export function isWebhookUrlKey(path: readonly PropertyKey[]): boolean {
    return path.at(-1) === "url" && (path.at(-2) === "webhook" || path[0] === "notifications");
}

/** An environment variable's name. */
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** The most variables a command hook may name in `env`. */
export const MAX_HOOK_ENV = 32;

/**
 * A webhook's URL written in config: https, or plain http to a loopback host (config/webhookUrls.ts). `secret`:
 * a notification's URL, set as a secret (offline, `[secret]`: validated when the tool reads it decrypted).
 */
function webhookUrl(secret: boolean) {
    const rule = `${WEBHOOK_URL_RULE}${secret ? ", set as a secret" : ""}`;
    return z.string({ message: rule }).superRefine((url, ctx) => {
        const problem = secret && url === OFFLINE_SECRET ? undefined : webhookUrlProblem(url);
        if (problem) ctx.addIssue({ code: "custom", message: `${problem}: ${rule}` });
    });
}

/** A check a team runs at a point of the rollout: an HTTP webhook, a Lambda function, or a local command. */
export const hookSchema = z
    .object({
        /** How the hook is named in logs, the report and notifications (default: its kind and target). */
        name: z
            .string()
            .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, { message: "must be 1-64 letters, digits, '.', '_' or '-'" })
            .optional(),
        /** POSTs the rollout's context as JSON; a 2xx answer passes. The URL, or the environment variable holding it. */
        webhook: z
            .object({
                url: webhookUrl(false).optional(),
                urlEnv: z.string().regex(ENV_NAME, { message: "must be an environment variable's name, e.g. DEPLOY_CHECK_URL" }).optional(),
            })
            .strict()
            .refine((w) => (w.url === undefined) !== (w.urlEnv === undefined), { message: "must have exactly one of `url` and `urlEnv`" })
            .optional(),
        /** Invokes this function (name or ARN, with its own qualifier if any) with the context; a function error or `{"passed": false}` fails. */
        lambda: z.string().min(1, { message: "must be a function name or ARN" }).optional(),
        /** Runs this command with `sh -c` in the project, the context in LAMBDA_ROLLOUT_* variables; exit 0 passes. */
        command: z.string().min(1, { message: "must be a command line" }).optional(),
        /**
         * A command hook's environment is PATH, HOME and the LAMBDA_ROLLOUT_* context, and these variables of
         * the tool's own environment: nothing else (not the job's AWS or Pulumi credentials) unless named here.
         */
        env: z
            .array(z.string().regex(ENV_NAME, { message: "must be an environment variable's name, e.g. NPM_TOKEN" }))
            .max(MAX_HOOK_ENV, { message: `must name at most ${MAX_HOOK_ENV} variables` })
            .optional(),
        /** How long one attempt may take. */
        timeout: boundedDuration("hookTimeout").default(30),
        /** Attempts after the first that failed (a hook that flakes once is not a failed release). */
        retries: z.number().int().min(0).max(5, { message: "must be at most 5" }).default(0),
    })
    .strict()
    .superRefine((h, ctx) => {
        const kinds = (["webhook", "lambda", "command"] as const).filter((k) => h[k] !== undefined);
        if (kinds.length !== 1)
            ctx.addIssue({
                code: "custom",
                message: `must have exactly one of \`webhook\`, \`lambda\` and \`command\`${kinds.length ? ` (has ${kinds.join(" and ")})` : ""}`,
            });
        if (h.env !== undefined && h.command === undefined)
            ctx.addIssue({
                code: "custom",
                path: ["env"],
                message: "applies to `command` hooks only: a webhook or a Lambda hook runs nowhere on this machine",
            });
    });

/** Where hooks run: before any traffic, after each step's bake, after the promotion, after a rollback (report only). */
export const HOOK_POINTS = ["preTraffic", "afterStep", "postTraffic", "onRollback"] as const;
export type HookPoint = (typeof HOOK_POINTS)[number];

const hooksSchema = z
    .object(
        Object.fromEntries(HOOK_POINTS.map((p) => [p, z.array(hookSchema).default([])])) as Record<
            HookPoint,
            z.ZodDefault<z.ZodArray<typeof hookSchema>>
        >,
    )
    .strict();

/** Health gates, applied between steps. */
const gatesSchema = z
    .object({
        /** Candidate error rate, percent, above which the rollout rolls back. */
        maxErrorRatePercent: z.number().min(0).max(100).default(1),
        /**
         * The increase over stable's error rate (percentage points) the gate must catch: a candidate that much
         * worse is rolled back with high probability, one no worse than stable only within the false-rollback
         * budget (Wald's rejectable level). Smaller increases may be caught too. See docs/gates.md.
         */
        maxErrorRateIncreasePercent: z.number().min(0).max(100).default(0.5),
        /** Candidate p99 duration limit. */
        maxP99Ms: z.number().positive({ message: "must be above 0 (milliseconds)" }).default(6000),
        /** Throttles through the alias tolerated in a bake. */
        maxThrottles: z.number().int().min(0).default(0),
        /**
         * The false-rollback budget: the chance, in percent, that the error-rate tests roll back a candidate
         * no worse than stable and within the absolute limit, over the whole rollout and however often the
         * gate polls. Split evenly between the stack's functions, then between the absolute-limit test, the
         * same-minute comparison and the end-of-step looks. See docs/gates.md.
         */
        falseRollbackPercent: z
            .number()
            .gt(0, { message: "must be above 0 (percent): a gate that may never be wrong never rolls back" })
            .max(50, { message: "must be at most 50 (percent)" })
            .default(1),
        /**
         * Candidate invocations the final (100%) step needs before it may pass; a step at weight w needs
         * w x this many, so every step asks for the same evidence per share of traffic.
         */
        minInvocations: z.number().int().min(1, { message: "must be at least 1: no data is never a pass" }).default(50),
        /**
         * How much of stable's history before the rollout the error tests add to stable's evidence (its
         * invocations on the alias, read once when the rollout starts). 0 compares only the rollout's minutes.
         */
        baseline: boundedDuration("baseline").default(3600),
        /**
         * What a step whose evidence is still short after `maxExtension` does (too few invocations, its minutes not
         * arrived, too little power, or with `advance: evidence` the must-catch regression not excluded): `rollback`
         * (exit 1), `fail` (rolled back, exit 3) or `hold` (the weight stays and the rollout stops, recorded as held:
         * run promote again to go on watching).
         */
        onNoData: z.enum(["rollback", "fail", "hold"], { message: 'must be "rollback", "fail" or "hold"' }).default("rollback"),
        /** How long a step may be extended waiting for enough evidence. */
        maxExtension: boundedDuration("maxExtension").default(600),
        /** How often the gate polls CloudWatch during a bake. */
        pollInterval: boundedDuration("pollInterval", "Lambda metrics are per minute").default(60),
        severity: severitySchema.default(severitySchema.parse({})),
    })
    .strict();

/** The rollout policy alone: the tool re-validates the one the stack exports. */
export const rolloutSchema = z
    .object({
        strategy: z.enum(STRATEGIES, {
            message: `must be one of ${STRATEGIES.map((s) => `"${s}"`).join(", ")}`,
        }),
        canary: z
            .object({ steps: z.array(canaryStep).min(1, { message: "must have at least one step" }), advance: advanceSchema })
            .strict()
            .optional(),
        linear: z
            .object({
                stepPercent: z.number().gt(0).max(100, { message: "must be at most 100 (percent)" }),
                every: boundedDuration("bake"),
                /** The bake of the last (100%) step; defaults to `every`, so a late regression is still rolled back. */
                finalBake: boundedDuration("bake").optional(),
                advance: advanceSchema,
            })
            .strict()
            .optional(),
        blueGreen: z
            .object({ bake: boundedDuration("bake") })
            .strict()
            .optional(),
        gates: gatesSchema.default(gatesSchema.parse({})),
        smokeTest: z
            .object({
                /** The payload sent straight to the candidate version. */
                payload: z.unknown().default({ test: true }),
                /** Fields the response must contain (a subset match). */
                expect: z.record(z.string(), z.unknown()).default({}),
                /**
                 * Invocations before the smoke test fails: it fails only when every one fails (a broken release
                 * fails them all; an occasional error is the gates' to judge).
                 */
                attempts: z.number().int().min(1, { message: "must be at least 1" }).max(10, { message: "must be at most 10" }).default(3),
            })
            .strict()
            .optional(),
        /** Checks of the team's own at points of the rollout; a failing one rolls back (onRollback hooks only report). */
        hooks: hooksSchema.default(hooksSchema.parse({})),
        /** How long a step that needs approval waits, and what happens then. */
        approval: z
            .object({
                timeout: boundedDuration("approvalTimeout").default(3600),
                /** `rollback` (all traffic back to stable) or `hold` (the promote ends, the weight and the wait stay). */
                onTimeout: z.enum(["rollback", "hold"], { message: 'must be "rollback" or "hold"' }).default("rollback"),
            })
            .strict()
            .default({ timeout: 3600, onTimeout: "rollback" }),
        /**
         * Who may approve a step, resume a paused rollout and `promote --full`: principal ARN patterns (IAM's `*`
         * and `?`), matched against the caller AWS names (STS GetCallerIdentity); an assumed role's session also
         * matches its role's ARN. Empty: anyone who can run the verbs. Taken from the reviewed stack config only.
         */
        approvers: z
            .array(
                z
                    .string()
                    .max(2048, { message: "must be at most 2048 characters" })
                    .regex(/^arn:(aws[\w-]*|\*):(iam|sts|\*)::(\d{12}|\*):\S+$/, {
                        message:
                            'must be an IAM or STS principal ARN pattern, e.g. "arn:aws:iam::123456789012:role/ReleaseManagers" or "arn:aws:sts::123456789012:assumed-role/ReleaseManagers/*"',
                    }),
            )
            .max(50, { message: "must list at most 50 patterns" })
            .default([]),
    })
    .strict()
    .superRefine((rollout, ctx) => {
        if (rollout.strategy === "canary") {
            if (!rollout.canary) {
                ctx.addIssue({ code: "custom", path: ["canary"], message: 'is required when strategy is "canary"' });
                return;
            }
            const weights = rollout.canary.steps.map((s) => s.weight);
            const inRange = (w: number) => w > 0 && w <= 100;
            weights.forEach((w, i) => {
                if (i > 0 && inRange(w) && inRange(weights[i - 1]) && w <= weights[i - 1]) {
                    ctx.addIssue({
                        code: "custom",
                        path: ["canary", "steps", i, "weight"],
                        message: `is ${w} after ${weights[i - 1]}: weights must rise strictly and end at 100`,
                    });
                }
            });
            const last = weights[weights.length - 1];
            if (last !== 100 && inRange(last)) {
                ctx.addIssue({
                    code: "custom",
                    path: ["canary", "steps", weights.length - 1, "weight"],
                    message: `is ${last}: weights must rise strictly and end at 100`,
                });
            }
        }
        if (rollout.strategy === "linear" && !rollout.linear) {
            ctx.addIssue({ code: "custom", path: ["linear"], message: 'is required when strategy is "linear"' });
        }
        if (rollout.strategy === "blue-green" && !rollout.blueGreen) {
            ctx.addIssue({ code: "custom", path: ["blueGreen"], message: 'is required when strategy is "blue-green"' });
        }
    });

const alarmsSchema = z
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
const notificationsSchema = z
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

/** How many NAT gateways a new VPC gets, as the config spells it, and awsx's name for each. */
export const NAT_STRATEGIES = { none: "None", single: "Single", onePerAz: "OnePerAz" } as const;

/**
 * Where the stack's functions run: a new VPC (awsx.ec2.Vpc: private subnets in `availabilityZones` zones, NAT
 * per `natGateways`) or an existing one by `vpcId` and `subnetIds`. Omit to run outside any VPC.
 */
const cidr = z.string().regex(/^\d+\.\d+\.\d+\.\d+\/\d+$/, { message: "must be a CIDR such as 10.0.0.0/16" });
const vpcSchema = z
    .object({
        /** A new VPC: how many availability zones get a private (and a public) subnet. */
        availabilityZones: z
            .number()
            .int()
            .min(1, { message: "must be between 1 and 6" })
            .max(6, { message: "must be between 1 and 6" })
            .optional(),
        /** A new VPC: NAT gateways for the private subnets' way out. */
        natGateways: z
            .enum(Object.keys(NAT_STRATEGIES) as [keyof typeof NAT_STRATEGIES], {
                message: `must be one of ${Object.keys(NAT_STRATEGIES)
                    .map((k) => `"${k}"`)
                    .join(", ")}`,
            })
            .optional(),
        /** An existing VPC, by id; needs `subnetIds`. */
        vpcId: z
            .string()
            .regex(/^vpc-[0-9a-f]+$/, { message: 'must be a VPC id such as "vpc-0abc123"' })
            .optional(),
        /** The existing VPC's private subnets the functions run in. */
        subnetIds: z
            .array(z.string().regex(/^subnet-[0-9a-f]+$/, { message: 'must be a subnet id such as "subnet-0abc123"' }))
            .min(1, { message: "must list at least one subnet" })
            .optional(),
        /** CIDRs allowed into the functions' security group (all TCP); empty (the default) for egress only. */
        ingressCidrs: z.array(cidr).default([]),
    })
    .strict()
    .superRefine((vpc, ctx) => {
        if (vpc.vpcId !== undefined && vpc.subnetIds === undefined) {
            ctx.addIssue({
                code: "custom",
                path: ["subnetIds"],
                message: "is required with `vpcId`: the private subnets the functions run in",
            });
        }
        if (vpc.vpcId === undefined && vpc.subnetIds !== undefined) {
            ctx.addIssue({ code: "custom", path: ["vpcId"], message: "is required with `subnetIds`: the VPC the subnets belong to" });
        }
        for (const key of ["availabilityZones", "natGateways"] as const) {
            if (vpc.vpcId !== undefined && vpc[key] !== undefined) {
                ctx.addIssue({
                    code: "custom",
                    path: [key],
                    message: "applies to a new VPC only; an existing one (`vpcId`) keeps its own",
                });
            }
        }
    })
    .transform((vpc) =>
        vpc.vpcId !== undefined
            ? { kind: "existing" as const, vpcId: vpc.vpcId, subnetIds: vpc.subnetIds ?? [], ingressCidrs: vpc.ingressCidrs }
            : {
                  kind: "new" as const,
                  availabilityZones: vpc.availabilityZones ?? 2,
                  natGateways: vpc.natGateways ?? ("single" as const),
                  ingressCidrs: vpc.ingressCidrs,
              },
    );

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
/** A stack's validated notifications config. */
export type NotificationsConfig = z.output<typeof notificationsSchema>;
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
