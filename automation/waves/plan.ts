/**
 * Wave plans (pure): how one release goes through many stacks, as the reviewed `waves.yaml` beside Pulumi.yaml
 * says. A plan is ordered waves, each a list of stacks (the first usually one region); how long the release
 * watches the stacks it released before the next wave starts; how many stacks of one wave move at once; and what
 * a failure does: `rollback: all` (every stack that received the candidate goes back to stable: a release that
 * fails anywhere is suspect everywhere; the default) or `rollback: wave` (the failing wave only; the earlier
 * waves are held where they are, with the reason).
 */
import { z } from "zod";
import { boundedDuration } from "../../config/durations";
import { valueAt } from "../../config/issues";
import { UsageError } from "../errors";

/** What a failure does to the stacks that already received the candidate. */
export const ROLLBACK_SCOPES = ["all", "wave"] as const;
export type RollbackScope = (typeof ROLLBACK_SCOPES)[number];

/** The most stacks of one wave that move at once. */
export const MAX_CONCURRENCY = 20;

const STACK_NAME = /^[A-Za-z0-9_.-]+$/;

const stackName = z
    .string({ message: "must be a stack name, e.g. prod-eu-west-1" })
    .regex(STACK_NAME, { message: "must be a stack name (letters, digits, '-', '_', '.')" });

const waveSchema = z
    .object({
        /** The stacks of the wave, each released by its own rollout (its own gates, its own policy). */
        stacks: z.array(stackName, { message: "must be a list of stack names" }).min(1, { message: "must name at least one stack" }),
    })
    .strict();

const planSchema = z
    .object({
        waves: z
            .array(waveSchema, { message: "must be a list of waves, each {stacks: [...]}" })
            .min(1, { message: "must hold at least one wave" }),
        /** Between two waves: how long the stacks already released are watched (their gates, at 100%) before the next wave starts. */
        watch: boundedDuration("waveWatch").default(1800),
        /** How many stacks of one wave move at once. */
        concurrency: z
            .number({ message: `must be a whole number from 1 to ${MAX_CONCURRENCY}` })
            .int({ message: `must be a whole number from 1 to ${MAX_CONCURRENCY}` })
            .min(1, { message: `must be a whole number from 1 to ${MAX_CONCURRENCY}` })
            .max(MAX_CONCURRENCY, { message: `must be a whole number from 1 to ${MAX_CONCURRENCY}` })
            .default(1),
        rollback: z
            .enum(ROLLBACK_SCOPES, { message: 'must be "all" (every stack that received the candidate) or "wave" (the failing wave only)' })
            .default("all"),
    })
    .strict()
    .superRefine((plan, ctx) => {
        const seen = new Map<string, number>();
        plan.waves.forEach((wave, w) =>
            wave.stacks.forEach((stack, s) => {
                const first = seen.get(stack);
                if (first !== undefined)
                    ctx.addIssue({
                        code: "custom",
                        path: ["waves", w, "stacks", s],
                        message: `is already in wave ${first + 1}: a stack is released once per release`,
                    });
                else seen.set(stack, w);
            }),
        );
    });

/** One wave plan, validated: `watch` in seconds. */
export type WavePlan = z.output<typeof planSchema> & { readonly name: string };

const fileSchema = z.record(
    z.string().regex(/^[A-Za-z0-9_.-]+$/, { message: "must be a plan name (letters, digits, '-', '_', '.'), e.g. prod" }),
    planSchema,
    { message: "must map each plan's name to its plan, e.g. prod: {waves: [...]}" },
);

/**
 * Validates a parsed wave file (pure); `source` names it in errors. Every problem is listed, each with its key
 * path in the file (`prod.waves[1].stacks[0]`), the value and what is valid: a UsageError, nothing touched.
 */
export function parseWaveFile(raw: unknown, source: string): Record<string, WavePlan> {
    const parsed = fileSchema.safeParse(raw ?? {});
    if (!parsed.success) {
        const problems = parsed.error.issues.map((issue) => {
            const where =
                issue.path.map((p, i) => (typeof p === "number" ? `[${p}]` : i === 0 ? String(p) : `.${String(p)}`)).join("") ||
                "(top level)";
            if (issue.code === "unrecognized_keys") return `\`${where}\`: unknown field(s) ${issue.keys.map((k) => `\`${k}\``).join(", ")}`;
            const value = valueAt(raw, issue.path);
            return `\`${where}\`${value === undefined ? "" : ` (got ${JSON.stringify(value)})`}: ${issue.message}`;
        });
        throw new UsageError(`invalid wave plan in ${source}:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
    }
    return Object.fromEntries(Object.entries(parsed.data).map(([name, plan]) => [name, { ...plan, name }]));
}

/** The plan `name` of a wave file, or a UsageError naming `--waves` and the plans there are. */
export function planNamed(plans: Record<string, WavePlan>, name: string, source: string): WavePlan {
    const plan = plans[name];
    if (plan) return plan;
    const names = Object.keys(plans);
    throw new UsageError(
        `\`--waves\` (got ${JSON.stringify(name)}): ${source} has no plan of that name (${names.length > 0 ? `its plans: ${names.join(", ")}` : "it holds none"})`,
    );
}

/** Every stack of a plan, in release order. */
export function planStacks(plan: Pick<WavePlan, "waves">): string[] {
    return plan.waves.flatMap((w) => w.stacks);
}

/** The index (0-based) of the wave a stack is in. */
export function waveOf(plan: Pick<WavePlan, "waves">, stack: string): number {
    return plan.waves.findIndex((w) => w.stacks.includes(stack));
}

/** The plan in a few lines, for a person (and `--dry-run`). */
export function describePlan(plan: WavePlan): string[] {
    return [
        `wave plan ${plan.name}: ${plan.waves.length} wave${plan.waves.length === 1 ? "" : "s"}, ${plan.concurrency} stack${plan.concurrency === 1 ? "" : "s"} of a wave at once, ` +
            `${Math.round(plan.watch / 60)} min watched between waves, on a failure ${plan.rollback === "all" ? "every stack that received the candidate goes back to stable (rollback: all)" : "the failing wave goes back, the earlier ones are held (rollback: wave)"}`,
        ...plan.waves.map((w, i) => `  wave ${i + 1}: ${w.stacks.join(", ")}`),
    ];
}
