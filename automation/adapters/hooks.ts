/**
 * The real hook runner: an HTTP webhook (POST of the context as JSON; a 2xx answer passes), a Lambda function
 * (invoked with the context; a function error or `{"passed": false}` fails), or a command (`sh -c`, the context in
 * LAMBDA_ROLLOUT_* variables, an allowlisted environment; exit 0 passes). Each attempt is cut at its timeout, and
 * at once when the run's signal aborts (SIGINT/SIGTERM): a command's whole process group is sent SIGTERM, then
 * SIGKILL after a short grace; a request or an Invoke is aborted. A webhook's URL never appears in what is
 * reported: it may be a secret.
 */
import { spawn } from "node:child_process";
import { WEBHOOK_URL_RULE, webhookUrlProblem } from "../../config/webhookUrls";
import { commandEnvironment, type Hook, type HookAttempt, type HookContext, type HookRunner } from "../rollout/hooks";
import type { LambdaControl } from "../rollout/ports";
import { describeError } from "../rollout/retry";
import { setLongTimeout, timeoutSignal } from "../timers";
import { postWebhook, WebhookError } from "./webhook";

/** Where a command hook runs, and the tool's own environment (a hook gets only what `commandEnvironment` allows of it). */
export interface CommandSettings {
    readonly cwd: string;
    readonly env: NodeJS.ProcessEnv;
}

/**
 * How long a command hook's process group has between SIGTERM and SIGKILL on an interrupt: short enough that
 * the rollout is aborted and the tool gone inside a CI cancel's window (SIGINT, SIGTERM 7.5 s later, SIGKILL
 * 2.5 s after that), long enough for a test runner to stop its children.
 */
export const HOOK_KILL_GRACE_MS = 2000;

/** The answer of an attempt the run's signal stopped. */
function interrupted(status: string, output = ""): HookAttempt {
    return { passed: false, interrupted: true, status, output };
}

/** The runner the CLI uses: webhooks over the network, Lambda hooks through the tool's client, commands on this machine. */
export class RealHookRunner implements HookRunner {
    constructor(
        private readonly lambda: Pick<LambdaControl, "invoke">,
        private readonly commands: CommandSettings,
    ) {}

    attempt(hook: Hook, context: HookContext, timeoutMs: number, signal?: AbortSignal): Promise<HookAttempt> {
        if (signal?.aborted) return Promise.resolve(interrupted("interrupted before it started"));
        if (hook.webhook) return this.webhook(hook.webhook, context, timeoutMs, signal);
        if (hook.lambda) return this.invoke(hook.lambda, context, timeoutMs, signal);
        return runCommand(hook, context, timeoutMs, this.commands, signal);
    }

    private async webhook(
        webhook: NonNullable<Hook["webhook"]>,
        context: HookContext,
        timeoutMs: number,
        signal?: AbortSignal,
    ): Promise<HookAttempt> {
        const url = webhook.url ?? this.commands.env[webhook.urlEnv!];
        if (!url)
            return { passed: false, status: `environment variable ${webhook.urlEnv} is not set: it holds the webhook's URL`, output: "" };
        const problem = webhookUrlProblem(url);
        if (problem) {
            const where = webhook.urlEnv ? `the URL in ${webhook.urlEnv}` : "the URL";
            return { passed: false, status: `not sent: ${where} ${problem}; ${WEBHOOK_URL_RULE}`, output: "" };
        }
        const timeout = timeoutSignal(timeoutMs);
        try {
            const answer = await postWebhook(url, context, signal ? AbortSignal.any([timeout, signal]) : timeout, true);
            return { passed: answer.ok, status: `HTTP ${answer.status}`, output: answer.body };
        } catch (err) {
            if (signal?.aborted) return interrupted("interrupted: the request was aborted");
            return { passed: false, status: failureOf(err, timeoutMs), output: "" };
        }
    }

    private async invoke(target: string, context: HookContext, timeoutMs: number, signal?: AbortSignal): Promise<HookAttempt> {
        const { functionName, qualifier } = splitQualifier(target);
        const stop = new AbortController();
        try {
            const out = await withDeadline(this.lambda.invoke(functionName, qualifier, context, stop.signal), timeoutMs, signal);
            const said = JSON.stringify(out.payload) ?? "";
            if (out.functionError) return { passed: false, status: `function error (${out.functionError})`, output: said };
            const refused =
                typeof out.payload === "object" && out.payload !== null && (out.payload as { passed?: unknown }).passed === false;
            return { passed: !refused, status: refused ? 'answered {"passed": false}' : "answered", output: said };
        } catch (err) {
            if (err instanceof HookInterrupted) return interrupted("interrupted: the Invoke was aborted");
            return { passed: false, status: failureOf(err, timeoutMs), output: "" };
        } finally {
            // A timeout or an interrupt: the SDK stops waiting for the answer too.
            stop.abort();
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

/** Sends `signal` to every process of the group led by `pid`; a group already gone is no error. */
function killGroup(pid: number | undefined, signal: NodeJS.Signals): void {
    if (pid === undefined) return;
    try {
        process.kill(-pid, signal);
    } catch {
        // already gone
    }
}

/**
 * Runs a command hook: `sh -c` in a process group of its own (so what it starts is stopped with it), the
 * environment `commandEnvironment` allows, output captured (both streams). At the timeout the group is killed;
 * when `signal` aborts, the group gets SIGTERM, then SIGKILL after {@link HOOK_KILL_GRACE_MS}, and the attempt
 * answers at once (the rollout's abort does not wait for the hook to die).
 */
export function runCommand(
    hook: Pick<Hook, "command" | "env">,
    context: HookContext,
    timeoutMs: number,
    settings: CommandSettings,
    signal?: AbortSignal,
): Promise<HookAttempt> {
    return new Promise((resolve) => {
        let settled = false;
        const settle = (attempt: HookAttempt) => {
            if (!settled) resolve(attempt);
            settled = true;
        };
        // The system's own shell by its path: the hook's PATH is the tool's, and a directory on it must not stand in for sh.
        const child = spawn("/bin/sh", ["-c", hook.command!], {
            cwd: settings.cwd,
            env: commandEnvironment(hook, settings.env, context),
            stdio: ["ignore", "pipe", "pipe"],
            detached: true,
        });
        let output = "";
        const keep = (chunk: Buffer) => {
            if (output.length < 4000) output += chunk.toString("utf8");
        };
        child.stdout.on("data", keep);
        child.stderr.on("data", keep);
        let ended: "timeout" | "interrupt" | undefined;
        let grace: NodeJS.Timeout | undefined;
        const timer = setLongTimeout(() => {
            ended = "timeout";
            killGroup(child.pid, "SIGKILL");
        }, timeoutMs);
        const onAbort = () => {
            if (ended) return;
            ended = "interrupt";
            timer.cancel();
            killGroup(child.pid, "SIGTERM");
            grace = setTimeout(() => killGroup(child.pid, "SIGKILL"), HOOK_KILL_GRACE_MS);
            settle(interrupted("interrupted: its process group was sent SIGTERM", output.trim()));
        };
        signal?.addEventListener("abort", onAbort, { once: true });
        const cleanUp = () => {
            timer.cancel();
            signal?.removeEventListener("abort", onAbort);
            if (grace === undefined) return;
            // The shell is gone after SIGTERM: whatever of its group is left does not get the rest of the grace.
            clearTimeout(grace);
            killGroup(child.pid, "SIGKILL");
        };
        child.on("error", (err) => {
            cleanUp();
            settle({ passed: false, status: `could not run: ${err.message}`, output: "" });
        });
        child.on("close", (code, killedBy) => {
            cleanUp();
            if (code === 0 && !ended) return settle({ passed: true, status: "exit 0", output: output.trim() });
            const status =
                ended === "timeout" ? `timed out after ${timeoutMs / 1000}s` : killedBy ? `killed by ${killedBy}` : `exit ${code}`;
            settle({ passed: false, status, output: output.trim() });
        });
    });
}

/** `work`, unless the timeout passes first (HookTimeout) or `signal` aborts (HookInterrupted). */
function withDeadline<T>(work: Promise<T>, ms: number, signal?: AbortSignal): Promise<T> {
    let timer: { cancel(): void } | undefined;
    let onAbort: (() => void) | undefined;
    const stopped = new Promise<never>((_, reject) => {
        timer = setLongTimeout(() => reject(new HookTimeout(ms)), ms);
        onAbort = () => reject(new HookInterrupted());
        if (signal?.aborted) onAbort();
        else signal?.addEventListener("abort", onAbort, { once: true });
    });
    return Promise.race([work, stopped]).finally(() => {
        timer?.cancel();
        if (onAbort) signal?.removeEventListener("abort", onAbort);
    });
}

class HookTimeout extends Error {
    constructor(ms: number) {
        super(`timed out after ${ms / 1000}s`);
    }
}

class HookInterrupted extends Error {
    constructor() {
        super("interrupted");
    }
}

function failureOf(err: unknown, timeoutMs: number): string {
    if (err instanceof HookTimeout || (err instanceof WebhookError && err.reason === "timeout"))
        return `timed out after ${timeoutMs / 1000}s`;
    if (err instanceof WebhookError) return err.reason === "refused" ? err.message : `could not connect${err.code ? ` (${err.code})` : ""}`;
    return describeError(err);
}
