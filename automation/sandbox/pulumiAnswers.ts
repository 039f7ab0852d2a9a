/**
 * What the sandbox answers its stand-in `pulumi` (standInPulumi.ts): the commands the Automation API runs for
 * lambda-rollout's stack driver (automation/adapters/pulumiStack.ts) and nothing else, in the shapes the Pulumi
 * CLI prints them, applied to the sandbox's stack, which is the rehearsal's (the real program under Pulumi's mock
 * engine, applied to the simulated account: automation/rehearsal/mockEngineStack.ts):
 *
 * - `version`, `whoami [--json]`, `about`: the CLI the installed SDK expects;
 * - `stack select` / `stack init` (`--stack`): the sandbox's stack only; another is refused as the CLI refuses a
 *   stack that does not exist;
 * - `stack output --json [--show-secrets]`: the outputs the program exported at the last `up`;
 * - `stack history --json [--page-size N --page P]`: the sandbox's updates, newest first;
 * - `config --json`: the stack file's values (secrets shown as `[secret]`: the sandbox decrypts nothing);
 * - `up --config-file F --message M`: the routing override in F (`<project>:routing`, what promote and rollback
 *   write) applied by one `up` of the sandbox's stack; another update in progress is the CLI's 409 conflict.
 *
 * Calls from another directory than the sandbox's project are refused: the stand-in is first on PATH in the
 * sandbox's shell, and must not pretend to be the CLI of another project.
 */
import * as fs from "fs";
import * as path from "path";
import { parse as parseYaml } from "yaml";
import { routingKey, type RoutingOverride } from "../../config/stackConfig";
import { StackLockedError } from "../errors";
import type { PulumiProject } from "../project";
import type { StackOutputs, UpdateRecord } from "../rollout/ports";
import { parseStackName } from "../stackName";
import type { PulumiAnswer, PulumiCall } from "./standInPulumi";

/** The sandbox's stack, as the stand-in's answers need it. */
export interface SandboxStack {
    /** The stack's short name (`prod`). */
    readonly stack: string;
    readonly project: PulumiProject;
    /** The stack's config file (absolute). */
    readonly configFile: string;
    /** The program's outputs at the last `up`. */
    exportedOutputs(): Record<string, unknown> | undefined;
    /** Every update, newest first. */
    history(): Promise<UpdateRecord[]>;
    /** One `up` with this routing override (undefined: a plain `up`). */
    up(routing: RoutingOverride | undefined, message: string, signal: AbortSignal): Promise<StackOutputs>;
}

/** The flags of the commands answered here that take a value (their value is not a positional word). */
const VALUED_FLAGS = new Set([
    "--stack",
    "-s",
    "--message",
    "-m",
    "--config-file",
    "--exec-kind",
    "--page-size",
    "--page",
    "--event-log",
    "--client",
    "--color",
    "--exec-agent",
    "--parallel",
    "--target",
    "--replace",
    "--exclude",
    "--policy-pack",
    "--policy-pack-config",
    "--plan",
    "--secrets-provider",
    "--tracing",
    "--verbose",
    "-v",
    "--cwd",
    "-C",
]);

/** The value of `name` in `argv` (`--flag value` or `--flag=value`). */
function flag(argv: readonly string[], ...names: string[]): string | undefined {
    for (let i = 0; i < argv.length; i++) {
        for (const name of names) {
            if (argv[i] === name) return argv[i + 1];
            if (argv[i].startsWith(`${name}=`)) return argv[i].slice(name.length + 1);
        }
    }
    return undefined;
}

/** The positional words of `argv`, flags and their values left out. */
function words(argv: readonly string[]): string[] {
    const out: string[] = [];
    for (let i = 0; i < argv.length; i++) {
        const a = argv[i];
        if (a === "--") return [...out, ...argv.slice(i + 1)];
        if (a.startsWith("-")) {
            if (VALUED_FLAGS.has(a)) i++;
            continue;
        }
        out.push(a);
    }
    return out;
}

const ok = (stdout: string): PulumiAnswer => ({ stdout, stderr: "", code: 0 });
const failed = (message: string): PulumiAnswer => ({ stdout: "", stderr: `error: ${message}\n`, code: 255 });
const pct = (share: number) => `${Math.round(share * 1000) / 10}%`;
const json = (value: unknown): PulumiAnswer => ok(`${JSON.stringify(value, null, 4)}\n`);

/** The Pulumi CLI version the stand-in reports: the installed SDK's own, which the Automation API accepts. */
export function sdkVersion(): string {
    const file = require.resolve("@pulumi/pulumi/package.json");
    return (JSON.parse(fs.readFileSync(file, "utf8")) as { version: string }).version;
}

/** Answers one call of the stand-in. `signal` aborts when the stand-in goes away (an `up` cancelled). */
export async function answerPulumi(call: PulumiCall, stack: SandboxStack, signal: AbortSignal): Promise<PulumiAnswer> {
    const { argv } = call;
    const [command, sub] = words(argv);
    if (command === "version") return ok(`v${sdkVersion()}\n`);
    if (command === "whoami")
        return argv.includes("--json") ? json({ user: "sandbox", organizations: ["sandbox"], url: "" }) : ok("sandbox\n");
    if (command === "about") return json({ cliAbout: { version: sdkVersion() } });
    const cwd = fs.realpathSync(path.resolve(call.cwd));
    if (cwd !== fs.realpathSync(stack.project.root)) {
        return failed(
            `this \`pulumi\` is the stand-in of a lambda-rollout sandbox for project ${stack.project.name} at ${stack.project.root}, not the Pulumi CLI: run lambda-rollout there (or with -C), or use a shell without the sandbox's environment (got a call from ${call.cwd})`,
        );
    }
    const named = flag(argv, "--stack", "-s");
    if (named !== undefined && !namesStack(named, stack)) {
        return failed(`no stack named '${named}' found (the sandbox serves stack ${stack.stack} of project ${stack.project.name} only)`);
    }
    switch (command === "stack" ? `stack ${sub}` : command) {
        case "stack select":
        case "stack init":
            return ok("");
        case "stack output":
            return json(stack.exportedOutputs() ?? {});
        case "stack history":
            return json(historyPage(await stack.history(), argv));
        case "config":
            return sub === undefined && argv.includes("--json") ? json(configJson(stack.configFile)) : unanswered(argv);
        case "up":
            return up(call, stack, signal);
    }
    return unanswered(argv);
}

/** Whether `name` (`prod`, `<org>/<project>/prod`) names the sandbox's stack. */
function namesStack(name: string, stack: SandboxStack): boolean {
    try {
        return parseStackName(name, stack.project.name).name === stack.stack;
    } catch {
        return false;
    }
}

function unanswered(argv: readonly string[]): PulumiAnswer {
    return failed(
        `the lambda-rollout sandbox's stand-in pulumi does not answer \`pulumi ${argv.join(" ")}\`: it answers what lambda-rollout runs (version, whoami, stack select, stack output --json, stack history --json, config --json, up). The stack is simulated; there is no Pulumi CLI behind it`,
    );
}

/** `stack history --json`'s records (pulumi's `updateInfoJSON`), newest first, one page when asked. */
function historyPage(updates: readonly UpdateRecord[], argv: readonly string[]): unknown[] {
    const records = updates.map((u, i) => ({
        version: updates.length - i,
        kind: "update",
        startTime: u.startTime.toISOString(),
        endTime: u.startTime.toISOString(),
        message: u.message,
        environment: { "exec.kind": "auto.local" },
        config: {},
        result: u.result,
        resourceChanges: {},
    }));
    const size = Number(flag(argv, "--page-size") ?? 0);
    const page = Math.max(1, Number(flag(argv, "--page") ?? 1));
    return size > 0 ? records.slice((page - 1) * size, page * size) : records;
}

/** `config --json`: the stack file's values as the CLI shows them, secure ones as `[secret]` (nothing is decrypted). */
function configJson(file: string): Record<string, unknown> {
    const config = ((parseYaml(fs.readFileSync(file, "utf8")) ?? {}) as { config?: Record<string, unknown> }).config ?? {};
    return Object.fromEntries(
        Object.entries(config).map(([key, value]) => {
            if (value !== null && typeof value === "object" && "secure" in value) return [key, { value: "[secret]", secret: true }];
            if (value !== null && typeof value === "object")
                return [key, { value: JSON.stringify(value), objectValue: value, secret: false }];
            return [key, { value: String(value), secret: false }];
        }),
    );
}

/** `up`: the routing override in the given config file, applied by one `up` of the sandbox's stack. */
async function up(call: PulumiCall, stack: SandboxStack, signal: AbortSignal): Promise<PulumiAnswer> {
    let routing: RoutingOverride | undefined;
    if (call.configFile) {
        if (call.configFile.content === undefined)
            return failed(`could not read the config file ${call.configFile.path}: ${call.configFile.error ?? "unknown error"}`);
        const config = ((parseYaml(call.configFile.content) ?? {}) as { config?: Record<string, unknown> }).config ?? {};
        routing = config[routingKey(stack.project.name)] as RoutingOverride | undefined;
    }
    const message = flag(call.argv, "--message", "-m") ?? "";
    try {
        const outputs = await stack.up(routing, message, signal);
        const functions = Object.keys(outputs.functions).length;
        return ok(
            [
                `Updating (${stack.stack}) in the lambda-rollout sandbox: the program under Pulumi's mock engine, applied to the simulated account`,
                "",
                ...(routing
                    ? Object.entries(routing).map(
                          ([fn, r]) => `    ~ ${fn}: live alias v${r.stable} ${pct(1 - r.weight)}, v${r.candidate} ${pct(r.weight)}`,
                      )
                    : [
                          `    a plain \`up\` of ${functions} function${functions === 1 ? "" : "s"}: the live routing is kept (the rule of routing)`,
                      ]),
                "",
                "Duration: 45s (sandbox time)",
                "",
            ].join("\n"),
        );
    } catch (err) {
        if (err instanceof StackLockedError)
            return failed(`[409] Conflict: Another update is currently in progress.\n${(err as Error).message}`);
        return failed((err as Error).message);
    }
}
