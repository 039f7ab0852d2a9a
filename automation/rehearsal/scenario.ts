/**
 * The rehearsal's scenario file (docs/design.md's contract), validated strictly: an unknown field is an error that
 * names it, so a typo never silently rehearses something else.
 */
import * as fs from "fs";
import { z } from "zod";
import { UsageError } from "../errors";
import type { RecentTraffic } from "../rollout/power";

/**
 * The most requests a minute a scenario may send to a function. Memory does not grow with the rate (the
 * simulator keeps per-minute aggregates), but every request's duration is still drawn, so time does: at this
 * rate a rehearsal of a half-hour rollout (with its hour of backfilled history) takes about 2 s per function,
 * and ten times the rate ten times that.
 */
export const MAX_REQUESTS_PER_MINUTE = 100_000;

/** The largest seed: the simulator's random generator (MT19937) takes a 32-bit unsigned seed. */
export const MAX_SEED = 4_294_967_295;

const rate = z.number().min(0).max(1, { message: "must be a fraction between 0 and 1" });
const minutes = z.number({ message: "must be a number of minutes >= 0" }).min(0, { message: "must be a number of minutes >= 0" });
const requestsPerMinute = z
    .number({ message: "must be a number of requests a minute" })
    .min(0, { message: "must be a number of requests a minute >= 0" })
    .max(MAX_REQUESTS_PER_MINUTE, {
        message: `must be at most ${MAX_REQUESTS_PER_MINUTE} requests a minute: the rehearsal draws every request's duration, so its time grows with the rate (a one-hour rollout at ${MAX_REQUESTS_PER_MINUTE} takes a few seconds per function)`,
    });
const functionKey = z
    .string({ message: 'must be a function\'s key in the stack config, such as "api"' })
    .min(1, { message: 'must be a function\'s key in the stack config, such as "api"' });

const profileFields = {
    errorRate: rate,
    p50Ms: z.number().positive(),
    p99Ms: z.number().positive(),
    throttleRate: z.number().min(0).max(1).optional(),
    timeoutRate: z.number().min(0).max(1).optional(),
    deadLetterFailureRate: z.number().min(0).max(1).optional(),
};

function p99AtLeastP50(p: { p50Ms: number; p99Ms: number }, ctx: z.RefinementCtx): void {
    if (typeof p.p50Ms === "number" && typeof p.p99Ms === "number" && p.p99Ms < p.p50Ms) {
        ctx.addIssue({ code: "custom", path: ["p99Ms"], message: `must be at least \`p50Ms\` (${p.p50Ms}), got ${p.p99Ms}` });
    }
}

const profile = z.object(profileFields).strict().superRefine(p99AtLeastP50);

const timedProfile = z
    .object({ fromMinute: z.number().min(0), ...profileFields })
    .strict()
    .superRefine(p99AtLeastP50);

const schedule = z.union([profile, z.array(timedProfile).min(1)], {
    message: "must be a profile object or a list of them with fromMinute",
});

/** Where a scenario's traffic may arrive from. */
export const TRAFFIC_SOURCES = ["api", "queue", "direct", "async"] as const;

/**
 * Why a function cannot receive traffic from `source` in a stack (undefined when it can): `api` needs its
 * `http`, `queue` its `queue`.
 */
export function missingEntrance(
    source: (typeof TRAFFIC_SOURCES)[number] | undefined,
    fn: { readonly name: string; readonly http?: unknown; readonly queue?: unknown },
): string | undefined {
    if (source === "api" && fn.http === undefined) return `function "${fn.name}" has no \`http\` in this stack's config`;
    if (source === "queue" && fn.queue === undefined) return `function "${fn.name}" has no \`queue\` in this stack's config`;
    return undefined;
}

const functionScenario = z
    .object({
        requestsPerMinute: requestsPerMinute.optional(),
        stable: schedule,
        candidate: schedule,
        smokeTest: z.enum(["pass", "fail"], { message: 'must be "pass" or "fail"' }).default("pass"),
        /**
         * Where the traffic comes from: `api` (the function's HTTP API or function URL), `queue` (its SQS
         * mapping), `direct` (Invoke on the alias) or `async` (asynchronous Invoke events on the alias, as S3,
         * SNS or EventBridge send them: retried twice on failure, then to the function's dead-letter queue). Every
         * one reaches the `live` alias, so the rollout reads the same metrics; the rehearsal checks the stack gives
         * the function that entrance. Optional.
         */
        source: z.enum(TRAFFIC_SOURCES, { message: 'must be "api", "queue", "direct" or "async"' }).optional(),
        /** Provisioned concurrency on the `live` alias before the rollout (PutProvisionedConcurrencyConfig). Optional. */
        provisionedConcurrency: z
            .number({ message: "must be a whole number of executions >= 1" })
            .int({ message: "must be a whole number of executions >= 1" })
            .min(1, { message: "must be a whole number of executions >= 1" })
            .optional(),
    })
    .strict();

/** Every fault kind a scenario can name (the contract of docs/design.md's scenario file). */
export const FAULT_KINDS = [
    "up-fails",
    "lock-conflict",
    "cloudwatch-unavailable",
    "cloudwatch-partial",
    "alarms-unreadable",
    "alias-conflict",
    "credentials-expire",
    "killed",
    "interrupt",
    "approve",
    "abort",
    "pause",
    "promote-full",
    "record-corrupt",
] as const;

/** The operator events among the faults: an operator verb run from another process at a minute. */
export const OPERATOR_EVENT_KINDS = ["approve", "abort", "pause", "promote-full"] as const;

/** The Lambda metrics a `cloudwatch-partial` fault can degrade: those the gates read. */
export const PARTIAL_METRICS = ["Errors", "Invocations", "Duration", "Throttles", "DeadLetterErrors"] as const;
/** The StatusCodes a `cloudwatch-partial` fault gives the results. */
export const PARTIAL_STATUS_CODES = ["InternalError", "Forbidden", "PartialData"] as const;

const quoted = (values: readonly string[]) =>
    values
        .map((v) => `"${v}"`)
        .join(", ")
        .replace(/, ([^,]*)$/, " or $1");

/** A stack's name, as a fault's `stack` or a key of `stacks` names it. */
const stackName = z
    .string({ message: "must be a stack name, e.g. prod-eu-west-1" })
    .regex(/^[A-Za-z0-9_.-]+$/, { message: "must be a stack name (letters, digits, '-', '_', '.')" });

/** Every fault may name the one stack it applies to (`rehearse --waves`); without it, it applies to every stack. */
const onStack = { stack: stackName.optional() };

const AT_STEP = 'must be a whole number >= 1 (the n-th promote step) or "rollback" (the rollback\'s `up`)';
const atStep = z.union([z.number().int({ message: AT_STEP }).min(1, { message: AT_STEP }), z.literal("rollback")], { message: AT_STEP });

/** A fault with a window [fromMinute, toMinute): the window must not be empty. */
function windowFault<K extends string, F extends z.ZodRawShape>(kind: K, fields: F) {
    return z
        .object({ kind: z.literal(kind), fromMinute: minutes, toMinute: minutes, ...onStack, ...fields })
        .strict()
        .superRefine((f, ctx) => {
            const { fromMinute, toMinute } = f as { fromMinute: unknown; toMinute: unknown };
            if (typeof fromMinute === "number" && typeof toMinute === "number" && !(toMinute > fromMinute)) {
                ctx.addIssue({
                    code: "custom",
                    path: ["toMinute"],
                    message: `must be after \`fromMinute\` (${fromMinute}), got ${toMinute}`,
                });
            }
        });
}

const fault = z.discriminatedUnion(
    "kind",
    [
        z.object({ kind: z.literal("up-fails"), ...onStack, atStep }).strict(),
        z.object({ kind: z.literal("lock-conflict"), ...onStack, atStep }).strict(),
        windowFault("cloudwatch-unavailable", {}),
        windowFault("cloudwatch-partial", {
            metric: z.enum(PARTIAL_METRICS, { message: `must be one of ${quoted(PARTIAL_METRICS)}` }),
            statusCode: z.enum(PARTIAL_STATUS_CODES, { message: `must be one of ${quoted(PARTIAL_STATUS_CODES)}` }),
            function: functionKey.optional(),
        }),
        windowFault("alarms-unreadable", {}),
        z
            .object({
                kind: z.literal("alias-conflict"),
                ...onStack,
                function: functionKey,
                times: z
                    .number({ message: "must be a whole number >= 1" })
                    .int({ message: "must be a whole number >= 1" })
                    .min(1, { message: "must be a whole number >= 1" }),
            })
            .strict(),
        z.object({ kind: z.literal("credentials-expire"), ...onStack, atMinute: minutes }).strict(),
        z
            .object({
                kind: z.literal("killed"),
                ...onStack,
                atMinute: z
                    .number({ message: "must be a number of minutes > 0" })
                    .gt(0, { message: "must be a number of minutes > 0" })
                    .optional(),
                after: z.literal("rollback-decision", { message: 'must be "rollback-decision"' }).optional(),
            })
            .strict()
            .superRefine((f, ctx) => {
                if ((f.atMinute === undefined) === (f.after === undefined)) {
                    ctx.addIssue({
                        code: "custom",
                        message:
                            'needs exactly one of `atMinute` (the minute the process dies, > 0) and `after` ("rollback-decision": dies right after deciding to roll back)',
                    });
                }
            }),
        z
            .object({
                kind: z.literal("interrupt"),
                ...onStack,
                atMinute: minutes,
                signal: z.enum(["SIGINT", "SIGTERM"], { message: 'must be "SIGINT" or "SIGTERM"' }),
                then: z.literal("SIGKILL", { message: 'must be "SIGKILL" (or left out)' }).optional(),
            })
            .strict(),
        z.object({ kind: z.literal("approve"), ...onStack, atMinute: minutes }).strict(),
        z
            .object({
                kind: z.literal("abort"),
                ...onStack,
                atMinute: minutes.optional(),
                /** The abort lands inside step N's `up`: after the program read the alias, before the provider writes it. */
                duringUp: z
                    .number({ message: "must be a whole number >= 1 (the n-th canary step's `up`)" })
                    .int({ message: "must be a whole number >= 1 (the n-th canary step's `up`)" })
                    .min(1, { message: "must be a whole number >= 1 (the n-th canary step's `up`)" })
                    .optional(),
            })
            .strict()
            .superRefine((f, ctx) => {
                if ((f.atMinute === undefined) === (f.duringUp === undefined)) {
                    ctx.addIssue({
                        code: "custom",
                        message:
                            "needs exactly one of `atMinute` (the minute the operator aborts) and `duringUp` (the step whose `up` the abort lands inside)",
                    });
                }
            }),
        z
            .object({
                kind: z.literal("record-corrupt"),
                ...onStack,
                atMinute: minutes,
                /** What the alias's description is replaced with, as a hand edit would (Lambda keeps at most 256 characters). */
                text: z.string({ message: "must be the text the description is replaced with" }).max(256, {
                    message: "must be at most 256 characters (Lambda's limit on an alias description)",
                }),
                function: functionKey.optional(),
            })
            .strict(),
        z.object({ kind: z.literal("promote-full"), ...onStack, atMinute: minutes }).strict(),
        z
            .object({ kind: z.literal("pause"), ...onStack, atMinute: minutes, resumeAtMinute: minutes.optional() })
            .strict()
            .superRefine((f, ctx) => {
                if (typeof f.resumeAtMinute === "number" && typeof f.atMinute === "number" && !(f.resumeAtMinute > f.atMinute)) {
                    ctx.addIssue({
                        code: "custom",
                        path: ["resumeAtMinute"],
                        message: `must be after \`atMinute\` (${f.atMinute}), got ${f.resumeAtMinute}`,
                    });
                }
            }),
    ],
    { message: `must have kind ${quoted(FAULT_KINDS)}` },
);

/** A hook's answer in the rehearsal. */
const hookAnswer = z.enum(["pass", "fail"], { message: 'must be "pass" or "fail"' });

/**
 * The answers of the rehearsed hooks (the contract): each point named gets a hook that answers so; `afterStep`
 * answers every step alike, or per step number (`{"2": "fail"}`; a step not named passes).
 */
const hooksAnswers = z
    .object({
        preTraffic: hookAnswer.optional(),
        afterStep: z
            .union([hookAnswer, z.record(z.string().regex(/^[1-9]\d*$/, { message: 'must be a step number such as "2"' }), hookAnswer)], {
                message: 'must be "pass", "fail" or an object of step numbers, e.g. {"2": "fail"}',
            })
            .optional(),
        postTraffic: hookAnswer.optional(),
        onRollback: hookAnswer.optional(),
    })
    .strict();

/** A fault as the schema checks it: `killed` and `abort` have both fields optional (exactly one is given); see {@link Fault}. */
type CheckedFault = z.output<typeof fault>;

/** The process dies at a minute, or right after the rollout decides to roll back (and a second run resumes). */
export type KilledFault = { stack?: string } & (
    { kind: "killed"; atMinute: number; after?: undefined } | { kind: "killed"; after: "rollback-decision"; atMinute?: undefined }
);

/** An operator aborts at a minute, or inside the n-th step's `up` (after the program read the alias, before the provider writes it). */
export type AbortFault = { stack?: string } & (
    { kind: "abort"; atMinute: number; duringUp?: undefined } | { kind: "abort"; duringUp: number; atMinute?: undefined }
);

/** One fault of a scenario. */
export type Fault = Exclude<CheckedFault, { kind: "killed" } | { kind: "abort" }> | KilledFault | AbortFault;
/** The name of a fault kind. */
export type FaultKind = Fault["kind"];
/** The fault of one kind, e.g. `FaultOf<"alias-conflict">`. */
export type FaultOf<K extends FaultKind> = Extract<Fault, { kind: K }>;

/** The scenario schema. */
export const scenarioSchema = z
    .object({
        name: z.string().min(1),
        description: z.string().optional(),
        /** The stack `rehearse-all` runs this scenario on (its `--stack` otherwise). */
        stack: z
            .string()
            .regex(/^[A-Za-z0-9_.-]+$/, { message: "must be a stack name (letters, digits, '-', '_', '.')" })
            .optional(),
        seed: z
            .number({ message: `must be a whole number from 0 to ${MAX_SEED}` })
            .int({ message: `must be a whole number from 0 to ${MAX_SEED}` })
            .min(0, { message: `must be a whole number from 0 to ${MAX_SEED}` })
            .max(MAX_SEED, { message: `must be a whole number from 0 to ${MAX_SEED}` }),
        requestsPerMinute,
        /**
         * How late Lambda's metrics reach CloudWatch after a minute's last call ended: minutes, or
         * `{"min": 1, "max": 4}` for a delay drawn per series and minute (one minute's series then arrive apart).
         */
        metricDelayMinutes: z
            .union(
                [
                    z.number().min(0),
                    z
                        .object({ min: z.number().min(0), max: z.number().min(0) })
                        .strict()
                        .refine((d) => d.max >= d.min, { message: "`max` must be at least `min`", path: ["max"] }),
                ],
                { message: 'must be a number of minutes >= 0, or {"min": m, "max": n} with 0 <= m <= n' },
            )
            .default(2),
        /**
         * Whether the simulated Lambda publishes the ExecutedVersion dimension for calls through an alias without
         * weights (undocumented by AWS): `published` (default) or `absent` (then only while the alias has a split).
         */
        executedVersionWithoutSplit: z.enum(["published", "absent"], { message: 'must be "published" or "absent"' }).default("published"),
        functions: z.record(z.string(), functionScenario),
        // The schema checks `killed` as one object; exactly one of its fields is then given (see Fault).
        faults: z
            .array(fault)
            .transform((faults) => faults as Fault[])
            .default([]),
        /** The rehearsed hooks' answers (in place of the stack's hooks at the points named). */
        hooks: hooksAnswers.optional(),
        /**
         * Per stack (the contract's name): the `functions` profiles that stack gets instead of the scenario's (a
         * release through several stacks, `rehearse --waves`, or `rehearse -s` of one of them). Each function takes
         * the stack's own entry for it, else the stack's `*`, else the scenario's.
         */
        stacks: z.record(stackName, z.object({ functions: z.record(z.string(), functionScenario) }).strict()).optional(),
        /**
         * Published versions per function when the rollout starts (the contract's name), the stable and the
         * candidate the newest two: an account with a history of releases, for `prune`. Default 2.
         */
        versions: z
            .number({ message: "must be a whole number of published versions, from 2 to 1000" })
            .int({ message: "must be a whole number of published versions, from 2 to 1000" })
            .min(2, { message: "must be a whole number of published versions, from 2 to 1000 (the stable and the candidate at least)" })
            .max(1000, { message: "must be a whole number of published versions, from 2 to 1000" })
            .optional(),
        /** What the rehearsal must end with; `rehearse-all` fails when it does not. */
        expect: z
            .object({
                outcome: z.enum(["promoted", "rolled-back", "failed", "nothing-to-do", "aborted", "held"], {
                    message: 'must be one of "promoted", "rolled-back", "failed", "nothing-to-do", "aborted", "held"',
                }),
                exitCode: z.number().int().min(0).max(255).optional(),
            })
            .strict()
            .optional(),
    })
    .strict();

/** A validated scenario. */
export type Scenario = z.output<typeof scenarioSchema>;
/** One function's part of a scenario. */
export type FunctionScenario = Scenario["functions"][string];

/** Validates a parsed scenario; `source` names it in errors. */
export function parseScenario(raw: unknown, source: string): Scenario {
    const result = scenarioSchema.safeParse(raw);
    if (result.success) return result.data;
    const problems = result.error.issues.map((i) => {
        const where =
            i.path
                .map((p) => (typeof p === "number" ? `[${p}]` : `.${String(p)}`))
                .join("")
                .replace(/^\./, "") || "(top level)";
        return i.code === "unrecognized_keys"
            ? `\`${where}\`: unknown field(s) ${i.keys.map((k) => `\`${k}\``).join(", ")}`
            : `\`${where}\`: ${i.message}`;
    });
    throw new UsageError(`invalid scenario ${source}:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
}

/** Reads and validates a scenario file. */
export function readScenario(file: string): Scenario {
    let text: string;
    try {
        text = fs.readFileSync(file, "utf8");
    } catch (err) {
        throw new UsageError(`cannot read scenario ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
    let raw: unknown;
    try {
        raw = JSON.parse(text);
    } catch (err) {
        throw new UsageError(`scenario ${file} is not valid JSON: ${(err as Error).message}`);
    }
    return parseScenario(raw, file);
}

/**
 * The scenario as one stack sees it (pure): its `stacks` entry's profiles in place of the scenario's (a `*` there
 * covers every function it does not name), and only the faults without a `stack` or naming this one.
 */
export function scenarioForStack(scenario: Scenario, stack: string): Scenario {
    const own = scenario.stacks?.[stack]?.functions;
    const functions = !own ? scenario.functions : "*" in own ? own : { ...scenario.functions, ...own };
    const faults = scenario.faults.filter((f) => f.stack === undefined || f.stack === stack);
    const { stacks: _stacks, ...rest } = scenario;
    return { ...rest, functions, faults };
}

/** The scenario for a function: its own entry, else "*"; a function the scenario does not cover is an error. */
export function scenarioFor(scenario: Scenario, functionName: string): FunctionScenario & { requestsPerMinute: number } {
    const entry = scenario.functions[functionName] ?? scenario.functions["*"];
    if (!entry) {
        throw new UsageError(`scenario ${scenario.name} has no entry for function "${functionName}" and no "*" entry`);
    }
    return { ...entry, requestsPerMinute: entry.requestsPerMinute ?? scenario.requestsPerMinute };
}

/**
 * The rehearsal's recent traffic for the power statement before traffic moves: each function's rate and stable's
 * error rate (its first profile) as the scenario sets them, where a real promote reads the last day from CloudWatch.
 */
export function scenarioTraffic(scenario: Scenario): RecentTraffic {
    return async (targets) =>
        Object.fromEntries(
            targets.map((t) => {
                const f = scenarioFor(scenario, t.key);
                const stable = Array.isArray(f.stable) ? f.stable[0] : f.stable;
                return [
                    t.key,
                    { requestsPerMinute: f.requestsPerMinute, stableErrorRate: stable.errorRate, source: `scenario ${scenario.name}` },
                ];
            }),
        );
}
