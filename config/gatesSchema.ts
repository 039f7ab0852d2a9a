/** The schema of the health gates (`rollout.gates`): error-rate, latency and throttle limits, evidence, severity. */
import { z } from "zod";
import { boundedDuration } from "./durations";

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

/** Health gates, applied between steps. */
export const gatesSchema = z
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
