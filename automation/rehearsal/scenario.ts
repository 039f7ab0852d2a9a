/**
 * The rehearsal's scenario file (DESIGN.md's contract), validated strictly: an unknown field is an error that
 * names it, so a typo never silently rehearses something else.
 */
import * as fs from "fs";
import { z } from "zod";
import { UsageError } from "../errors";

const profile = z
    .object({
        errorRate: z.number().min(0).max(1, { message: "must be a fraction between 0 and 1" }),
        p50Ms: z.number().positive(),
        p99Ms: z.number().positive(),
        throttleRate: z.number().min(0).max(1).optional(),
        timeoutRate: z.number().min(0).max(1).optional(),
    })
    .strict()
    .refine((p) => p.p99Ms >= p.p50Ms, { message: "p99Ms must be at least p50Ms" });

const timedProfile = z
    .object({
        fromMinute: z.number().min(0),
        errorRate: z.number().min(0).max(1, { message: "must be a fraction between 0 and 1" }),
        p50Ms: z.number().positive(),
        p99Ms: z.number().positive(),
        throttleRate: z.number().min(0).max(1).optional(),
        timeoutRate: z.number().min(0).max(1).optional(),
    })
    .strict();

const schedule = z.union([profile, z.array(timedProfile).min(1)], { message: "must be a profile object or a list of them with fromMinute" });

const functionScenario = z
    .object({
        requestsPerMinute: z.number().min(0).optional(),
        stable: schedule,
        candidate: schedule,
        smokeTest: z.enum(["pass", "fail"], { message: 'must be "pass" or "fail"' }).default("pass"),
    })
    .strict();

const fault = z.discriminatedUnion(
    "kind",
    [
        z.object({ kind: z.literal("up-fails"), atStep: z.union([z.number().int().min(1), z.literal("rollback")]) }).strict(),
        z.object({ kind: z.literal("lock-conflict"), atStep: z.union([z.number().int().min(1), z.literal("rollback")]) }).strict(),
        z.object({ kind: z.literal("cloudwatch-unavailable"), fromMinute: z.number().min(0), toMinute: z.number().min(0) }).strict(),
        z.object({ kind: z.literal("killed"), atMinute: z.number().gt(0).optional(), after: z.literal("rollback-decision").optional() }).strict(),
        z.object({ kind: z.literal("interrupt"), atMinute: z.number().min(0), signal: z.enum(["SIGINT", "SIGTERM"]), then: z.literal("SIGKILL").optional() }).strict(),
    ],
    { message: 'must have kind "up-fails", "lock-conflict", "cloudwatch-unavailable" or "killed"' },
);

/** The scenario schema. */
export const scenarioSchema = z
    .object({
        name: z.string().min(1),
        description: z.string().optional(),
        /** The stack `rehearse-all` runs this scenario on (its `--stack` otherwise). */
        stack: z.string().regex(/^[A-Za-z0-9_.-]+$/, { message: "must be a stack name (letters, digits, '-', '_', '.')" }).optional(),
        seed: z.number().int(),
        requestsPerMinute: z.number().min(0),
        metricDelayMinutes: z.number().min(0).default(2),
        functions: z.record(z.string(), functionScenario),
        faults: z.array(fault).default([]),
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
        const where = i.path.map((p) => (typeof p === "number" ? `[${p}]` : `.${String(p)}`)).join("").replace(/^\./, "") || "(top level)";
        return i.code === "unrecognized_keys" ? `\`${where}\`: unknown field(s) ${i.keys.map((k) => `\`${k}\``).join(", ")}` : `\`${where}\`: ${i.message}`;
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

/** The scenario for a function: its own entry, else "*"; a function the scenario does not cover is an error. */
export function scenarioFor(scenario: Scenario, functionName: string): FunctionScenario & { requestsPerMinute: number } {
    const entry = scenario.functions[functionName] ?? scenario.functions["*"];
    if (!entry) {
        throw new UsageError(`scenario ${scenario.name} has no entry for function "${functionName}" and no "*" entry`);
    }
    return { ...entry, requestsPerMinute: entry.requestsPerMinute ?? scenario.requestsPerMinute };
}
