/**
 * The schema of the rollout policy (`rollout`): the strategy and its steps, how a step moves on, the gates, the
 * smoke test, hooks, approval and who may approve. The tool re-validates the policy a stack exports with it.
 */
import { z } from "zod";
import { STRATEGIES } from "../domain/routing";
import { boundedDuration, boundRule, duration, withinBound } from "./durations";
import { gatesSchema } from "./gatesSchema";
import { hooksSchema } from "./hooksSchema";

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
