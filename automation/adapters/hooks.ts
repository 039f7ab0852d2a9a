/**
 * The real hook runner: an HTTP webhook (POST of the context as JSON; a 2xx answer passes), a Lambda function
 * (invoked with the context; a function error or `{"passed": false}` fails), or a command (`sh -c`, the context in
 * LAMBDA_ROLLOUT_* variables; exit 0 passes). Each attempt is cut at its timeout. A webhook's URL never appears
 * in what is reported: it may be a secret.
 */
import { spawn } from "node:child_process";
import { hookEnvironment, type Hook, type HookAttempt, type HookContext, type HookRunner } from "../rollout/hooks";
import type { LambdaControl } from "../rollout/ports";
import { describeError } from "../rollout/retry";
import { postWebhook, WebhookError } from "./webhook";

/** Where a command hook runs, and the environment it inherits. */
export interface CommandSettings {
    readonly cwd: string;
    readonly env: NodeJS.ProcessEnv;
}

/** The runner the CLI uses: webhooks over the network, Lambda hooks through the tool's client, commands on this machine. */
export class RealHookRunner implements HookRunner {
    constructor(
        private readonly lambda: Pick<LambdaControl, "invoke">,
        private readonly commands: CommandSettings,
    ) {}

    attempt(hook: Hook, context: HookContext, timeoutMs: number): Promise<HookAttempt> {
        if (hook.webhook) return this.webhook(hook.webhook, context, timeoutMs);
        if (hook.lambda) return this.invoke(hook.lambda, context, timeoutMs);
        return runCommand(hook.command!, context, timeoutMs, this.commands);
    }

    private async webhook(webhook: NonNullable<Hook["webhook"]>, context: HookContext, timeoutMs: number): Promise<HookAttempt> {
        const url = webhook.url ?? this.commands.env[webhook.urlEnv!];
        if (!url) return { passed: false, output: `environment variable ${webhook.urlEnv} is not set: it holds the webhook's URL` };
        try {
            const answer = await postWebhook(url, context, AbortSignal.timeout(timeoutMs), true);
            return { passed: answer.ok, output: `HTTP ${answer.status}${answer.body ? `: ${answer.body}` : ""}` };
        } catch (err) {
            return { passed: false, output: failureOf(err, timeoutMs) };
        }
    }

    private async invoke(target: string, context: HookContext, timeoutMs: number): Promise<HookAttempt> {
        const { functionName, qualifier } = splitQualifier(target);
        try {
            const out = await withTimeout(this.lambda.invoke(functionName, qualifier, context), timeoutMs);
            const said = JSON.stringify(out.payload) ?? "";
            if (out.functionError) return { passed: false, output: `function error (${out.functionError}): ${said}` };
            const refused =
                typeof out.payload === "object" && out.payload !== null && (out.payload as { passed?: unknown }).passed === false;
            return { passed: !refused, output: said };
        } catch (err) {
            return { passed: false, output: failureOf(err, timeoutMs) };
        }
    }
}

/**
 * `name`, `name:qualifier` or an ARN, as Invoke takes it: a qualified ARN or a `name:qualifier` is split, so the
 * qualifier goes where the API reads it (Invoke refuses a qualifier in both places when they differ).
 */
export function splitQualifier(target: string): { functionName: string; qualifier?: string } {
    const parts = target.split(":");
    // arn:aws:lambda:region:account:function:name[:qualifier]
    if (target.startsWith("arn:"))
        return parts.length === 8 ? { functionName: parts.slice(0, 7).join(":"), qualifier: parts[7] } : { functionName: target };
    return parts.length === 2 ? { functionName: parts[0], qualifier: parts[1] } : { functionName: target };
}

/** Runs a command hook: `sh -c`, the context in its environment, output captured (both streams), killed at the timeout. */
export function runCommand(command: string, context: HookContext, timeoutMs: number, settings: CommandSettings): Promise<HookAttempt> {
    return new Promise((resolve) => {
        // A process group of its own, so the timeout kills what the command started too (a `sleep`, a test runner).
        const child = spawn("sh", ["-c", command], {
            cwd: settings.cwd,
            env: { ...settings.env, ...hookEnvironment(context) },
            stdio: ["ignore", "pipe", "pipe"],
            detached: true,
        });
        let timedOut = false;
        const timer = setTimeout(() => {
            timedOut = true;
            try {
                process.kill(-child.pid!, "SIGKILL");
            } catch {
                // already gone
            }
        }, timeoutMs);
        let output = "";
        const keep = (chunk: Buffer) => {
            if (output.length < 4000) output += chunk.toString("utf8");
        };
        child.stdout.on("data", keep);
        child.stderr.on("data", keep);
        child.on("error", (err) => {
            clearTimeout(timer);
            resolve({ passed: false, output: `could not run: ${err.message}` });
        });
        child.on("close", (code, signal) => {
            clearTimeout(timer);
            const text = output.trim();
            if (code === 0 && !timedOut) return resolve({ passed: true, output: text });
            const why = timedOut ? `timed out after ${timeoutMs / 1000}s` : signal ? `killed by ${signal}` : `exit ${code}`;
            resolve({ passed: false, output: `${why}${text ? `: ${text}` : ""}` });
        });
    });
}

function withTimeout<T>(work: Promise<T>, ms: number): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new HookTimeout(ms)), ms);
    });
    return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}

class HookTimeout extends Error {
    constructor(ms: number) {
        super(`timed out after ${ms / 1000}s`);
    }
}

function failureOf(err: unknown, timeoutMs: number): string {
    if (err instanceof HookTimeout || (err instanceof WebhookError && err.reason === "timeout"))
        return `timed out after ${timeoutMs / 1000}s`;
    if (err instanceof WebhookError) return `could not connect${err.code ? ` (${err.code})` : ""}`;
    return describeError(err);
}
