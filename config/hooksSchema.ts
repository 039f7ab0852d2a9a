/** The schema of the team's own checks at points of the rollout (`rollout.hooks`). */
import { z } from "zod";
import { boundedDuration } from "./durations";
import { ENV_NAME, webhookUrl } from "./webhookSchema";

/** The most variables a command hook may name in `env`. */
export const MAX_HOOK_ENV = 32;

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

/** Every hook point, each a list of hooks (default none). */
export const hooksSchema = z
    .object(
        Object.fromEntries(HOOK_POINTS.map((p) => [p, z.array(hookSchema).default([])])) as Record<
            HookPoint,
            z.ZodDefault<z.ZodArray<typeof hookSchema>>
        >,
    )
    .strict();
