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
import { oneLine, plainText } from "../../domain/text";
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
    /**
     * How the attempt ended, in the runner's own words, never the hook's: `exit 3`, `killed by SIGTERM`, `HTTP 500`,
     * `function error (Unhandled)`, `timed out after 30s`, `could not connect (ECONNREFUSED)`. This, not the
     * output, is what a rollback's reason carries (to the alias, notifications and the job summary).
     */
    readonly status: string;
    /** What the hook said (response body, payload, output), for the report only. */
    readonly output: string;
    /** The run's signal aborted the attempt (SIGINT/SIGTERM): neither passed nor failed. */
    readonly interrupted?: boolean;
}

/**
 * Runs one attempt of a hook; never throws (a failure to run is a failed attempt, with why in `status`). When
 * `signal` aborts, the attempt is stopped (a command's process group killed, a request or an Invoke aborted) and
 * answers at once with `interrupted`.
 */
export interface HookRunner {
    attempt(hook: Hook, context: HookContext, timeoutMs: number, signal?: AbortSignal): Promise<HookAttempt>;
}

/** A hook's run in the report: its outcome, how it ended, how long it took, and the start of what it said. */
export interface HookRecord {
    point: HookPoint;
    step?: number;
    name: string;
    kind: "webhook" | "lambda" | "command";
    /** `interrupted`: SIGINT/SIGTERM stopped it; the rollout was then aborted, not failed by the hook. */
    outcome: "passed" | "failed" | "interrupted";
    /** How the last attempt ended (see {@link HookAttempt.status}). */
    status: string;
    attempts: number;
    durationMs: number;
    /** The start of the hook's output, control characters removed (at most {@link MAX_HOOK_OUTPUT} characters). */
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
    if (hook.lambda) return `lambda ${oneLine(hook.lambda)}`;
    return `command ${oneLine(hook.command!).split(" ")[0]}`;
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

/** The variables of the tool's own environment every command hook gets, besides those it names in `env`. */
export const HOOK_BASE_ENVIRONMENT = ["PATH", "HOME"] as const;

/**
 * A command hook's whole environment (pure): PATH and HOME, the variables the hook names in `env` (those that
 * are set), and the context's LAMBDA_ROLLOUT_* variables over them. Nothing else of the tool's environment: the
 * job's AWS session and Pulumi token reach a hook only when its config names them.
 */
export function commandEnvironment(
    hook: Pick<Hook, "env">,
    parent: Readonly<Record<string, string | undefined>>,
    context: HookContext,
): Record<string, string> {
    const env: Record<string, string> = {};
    for (const name of [...HOOK_BASE_ENVIRONMENT, ...(hook.env ?? [])]) {
        const value = parent[name];
        if (value !== undefined) env[name] = value;
    }
    return { ...env, ...hookEnvironment(context) };
}

/** What running the hooks of one point came to: a record for each, the first that failed, or the one interrupted. */
export interface HooksOutcome {
    readonly records: HookRecord[];
    readonly failed?: HookRecord;
    /** SIGINT/SIGTERM stopped this hook: the hooks after it did not run, and the run must act on the interrupt. */
    readonly interrupted?: HookRecord;
}

/**
 * Runs the hooks of one point in their order, each with its retries and its timeout per attempt. The first that
 * fails stops the rest (its rollback makes them moot), except at `onRollback`, whose hooks only report: all run.
 * When `signal` aborts, the hook running is stopped and none after it starts.
 */
export async function runHooks(
    runner: HookRunner,
    hooks: readonly Hook[],
    context: HookContext,
    clock: Clock,
    minute: () => number,
    signal?: AbortSignal,
): Promise<HooksOutcome> {
    const records: HookRecord[] = [];
    for (const hook of hooks) {
        if (signal?.aborted) break;
        const started = clock.now();
        let attempt: HookAttempt = { passed: false, status: "not run", output: "" };
        let attempts = 0;
        while (attempts <= hook.retries && !signal?.aborted) {
            attempts += 1;
            attempt = await runner.attempt(hook, context, hook.timeout * 1000, signal);
            if (attempt.passed) break;
        }
        const interrupted = Boolean(attempt.interrupted || (!attempt.passed && signal?.aborted));
        const record: HookRecord = {
            point: context.point,
            ...(context.step !== undefined ? { step: context.step } : {}),
            name: hookName(hook),
            kind: hookKind(hook),
            outcome: interrupted ? "interrupted" : attempt.passed ? "passed" : "failed",
            status: oneLine(attempt.status),
            attempts,
            durationMs: clock.now() - started,
            output: plainText(attempt.output).trim().slice(0, MAX_HOOK_OUTPUT),
            atMinute: minute(),
        };
        records.push(record);
        if (interrupted) return { records, interrupted: record };
        if (!attempt.passed && context.point !== "onRollback") return { records, failed: record };
    }
    return { records };
}

/**
 * Why a failing hook rolls back, for the alias, the report's step, notifications and the job summary: the hook's
 * name and how it ended, never what it printed (that stays in the report's `hooks[].output`).
 */
export function hookFailureReason(r: HookRecord): string {
    return `${r.point} hook ${r.name} failed${r.step !== undefined && r.point === "afterStep" ? ` after step ${r.step}` : ""}: ${r.status}`;
}

/** One line for people: `afterStep hook smoke-api (webhook) failed after 2 attempts in 1.2s: HTTP 500: p95 above SLO`. */
export function describeHook(r: HookRecord): string {
    const took = r.durationMs >= 1000 ? `${Math.round(r.durationMs / 100) / 10}s` : `${r.durationMs}ms`;
    const attempts = r.attempts > 1 ? ` after ${r.attempts} attempts` : "";
    const output = oneLine(r.output);
    const said = output ? `: ${output.slice(0, 160)}` : "";
    return `${r.point} hook ${r.name} (${r.kind}) ${r.outcome}${attempts} in ${took}: ${r.status}${said}`;
}
