/**
 * Hooks: a team's own checks at the points where the runbooks check a release (CodeDeploy's BeforeAllowTraffic
 * and AfterAllowTraffic, Flagger's webhooks). `preTraffic` runs after the smoke test, before any traffic;
 * `afterStep` after each step's bake passed, before the next weight; `postTraffic` after the last bake, before the
 * promotion is recorded (so a failing one still rolls back); `onRollback` after a rollback landed, and only
 * reports. A failing hook fails the gate. Unlike CodeDeploy's hooks, each is told the exact versions.
 *
 * What a hook is (a webhook, a Lambda function, a command) is the runner's business (adapters/hooks.ts, or the
 * rehearsal's answers); the order, the retries, the timing and the record are decided here, once.
 */
import type { HookPoint, RolloutPolicy } from "../../config/stackConfig";
import type { Clock } from "./ports";

/** A hook as the stack's config declares it (validated). */
export type Hook = RolloutPolicy["hooks"][HookPoint][number];

/** What a hook is told: where the rollout stands, and each function's stable and candidate (versions and ARNs). */
export interface HookContext {
    readonly stack: string;
    readonly point: HookPoint;
    /** The step whose bake just passed (afterStep), or the last one (postTraffic, onRollback). */
    readonly step?: number;
    readonly steps: number;
    /** The candidate's share of traffic now (0-1). */
    readonly weight: number;
    readonly functions: readonly HookFunction[];
    /** Why the rollout was rolled back (onRollback). */
    readonly reason?: string;
}

/** One function in a hook's context. */
export interface HookFunction {
    readonly key: string;
    readonly functionName: string;
    readonly alias: string;
    readonly stable: { readonly version: string; readonly arn?: string };
    readonly candidate: { readonly version: string; readonly arn?: string };
}

/** One attempt's answer. */
export interface HookAttempt {
    readonly passed: boolean;
    /** What the hook said (response body, payload, output), for the report. */
    readonly output: string;
}

/** Runs one attempt of a hook; never throws (a failure to run is a failed attempt, with why in `output`). */
export interface HookRunner {
    attempt(hook: Hook, context: HookContext, timeoutMs: number): Promise<HookAttempt>;
}

/** A hook's run in the report: its outcome, how long it took, and the start of what it said. */
export interface HookRecord {
    point: HookPoint;
    step?: number;
    name: string;
    kind: "webhook" | "lambda" | "command";
    outcome: "passed" | "failed";
    attempts: number;
    durationMs: number;
    /** The start of the hook's output (at most {@link MAX_HOOK_OUTPUT} characters). */
    output: string;
    atMinute: number;
}

/** How much of a hook's output the report keeps. */
export const MAX_HOOK_OUTPUT = 500;

/** The kind of a (validated) hook. */
export function hookKind(hook: Hook): HookRecord["kind"] {
    return hook.webhook ? "webhook" : hook.lambda ? "lambda" : "command";
}

/** The hook's name in logs and the report: its own, else its kind and target (never a webhook's URL, which may be a secret). */
export function hookName(hook: Hook): string {
    if (hook.name) return hook.name;
    if (hook.webhook) return hook.webhook.urlEnv ? `webhook $${hook.webhook.urlEnv}` : "webhook";
    if (hook.lambda) return `lambda ${hook.lambda}`;
    return `command ${hook.command!.split(/\s+/)[0]}`;
}

/**
 * The context as environment variables for a command hook (pure): LAMBDA_ROLLOUT_STACK, _POINT, _STEP, _STEPS,
 * _WEIGHT, _FUNCTIONS (keys, comma-separated), and per function `LAMBDA_ROLLOUT_<KEY>_{FUNCTION,STABLE_VERSION,
 * CANDIDATE_VERSION,STABLE_ARN,CANDIDATE_ARN}`; LAMBDA_ROLLOUT_CONTEXT holds the whole context as JSON.
 */
export function hookEnvironment(context: HookContext): Record<string, string> {
    const env: Record<string, string> = {
        LAMBDA_ROLLOUT_STACK: context.stack,
        LAMBDA_ROLLOUT_POINT: context.point,
        LAMBDA_ROLLOUT_STEPS: String(context.steps),
        LAMBDA_ROLLOUT_WEIGHT: String(context.weight),
        LAMBDA_ROLLOUT_FUNCTIONS: context.functions.map((f) => f.key).join(","),
        LAMBDA_ROLLOUT_CONTEXT: JSON.stringify(context),
    };
    if (context.step !== undefined) env.LAMBDA_ROLLOUT_STEP = String(context.step);
    if (context.reason !== undefined) env.LAMBDA_ROLLOUT_REASON = context.reason;
    for (const f of context.functions) {
        const prefix = `LAMBDA_ROLLOUT_${f.key.toUpperCase().replace(/[^A-Z0-9]/g, "_")}_`;
        env[`${prefix}FUNCTION`] = f.functionName;
        env[`${prefix}STABLE_VERSION`] = f.stable.version;
        env[`${prefix}CANDIDATE_VERSION`] = f.candidate.version;
        if (f.stable.arn) env[`${prefix}STABLE_ARN`] = f.stable.arn;
        if (f.candidate.arn) env[`${prefix}CANDIDATE_ARN`] = f.candidate.arn;
    }
    return env;
}

/** What running the hooks of one point came to: a record for each, and the first that failed. */
export interface HooksOutcome {
    readonly records: HookRecord[];
    readonly failed?: HookRecord;
}

/**
 * Runs the hooks of one point in their order, each with its retries and its timeout per attempt. The first that
 * fails stops the rest (its rollback makes them moot), except at `onRollback`, whose hooks only report: all run.
 */
export async function runHooks(
    runner: HookRunner,
    hooks: readonly Hook[],
    context: HookContext,
    clock: Clock,
    minute: () => number,
): Promise<HooksOutcome> {
    const records: HookRecord[] = [];
    for (const hook of hooks) {
        const started = clock.now();
        let attempt: HookAttempt = { passed: false, output: "" };
        let attempts = 0;
        while (attempts <= hook.retries) {
            attempts += 1;
            attempt = await runner.attempt(hook, context, hook.timeout * 1000);
            if (attempt.passed) break;
        }
        const record: HookRecord = {
            point: context.point,
            ...(context.step !== undefined ? { step: context.step } : {}),
            name: hookName(hook),
            kind: hookKind(hook),
            outcome: attempt.passed ? "passed" : "failed",
            attempts,
            durationMs: clock.now() - started,
            output: attempt.output.slice(0, MAX_HOOK_OUTPUT),
            atMinute: minute(),
        };
        records.push(record);
        if (!attempt.passed && context.point !== "onRollback") return { records, failed: record };
    }
    return { records };
}

/** One line for people: `afterStep hook smoke-api (webhook) failed after 2 attempts in 1.2s: HTTP 500 ...`. */
export function describeHook(r: HookRecord): string {
    const took = r.durationMs >= 1000 ? `${Math.round(r.durationMs / 100) / 10}s` : `${r.durationMs}ms`;
    const attempts = r.attempts > 1 ? ` after ${r.attempts} attempts` : "";
    const said = r.output ? `: ${r.output.replace(/\s+/g, " ").slice(0, 160)}` : "";
    return `${r.point} hook ${r.name} (${r.kind}) ${r.outcome}${attempts} in ${took}${said}`;
}
