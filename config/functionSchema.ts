/** The schema of one progressively delivered function (`functions[]` of the stack config). */
import { z } from "zod";
import { integerBetween } from "./numbers";
import { boundedDuration } from "./durations";
import { DEFAULT_LAMBDA_RUNTIME, LAMBDA_RUNTIMES, runtimeProblem } from "./runtimes";

/** One progressively delivered function. */
export const functionSchema = z
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
                batchSize: integerBetween(1, 10000).default(10),
                /** The handler reports failed items (`batchItemFailures`) instead of failing the whole batch. */
                partialBatchResponses: z.boolean().default(true),
                /** At most this many concurrent invocations from the queue (SQS's own limit: 2-1000). */
                maxConcurrency: integerBetween(2, 1000).optional(),
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
