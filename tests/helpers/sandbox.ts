/**
 * A sandbox (`lambda-rollout sandbox`) run as a person runs it: a process of its own, its environment read from
 * what it prints (`--json`), and second shells with that environment: the command line in a process of its own, or
 * on a pseudo-terminal (tmux, on a private socket) whose screen is read back. Waits poll for a condition with a
 * generous deadline: the machine is shared, and the sandbox's clock, not a fixed sleep, decides what happens.
 */
import { spawn, spawnSync, type ChildProcess } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { PROJECT_ROOT } from "../../automation/engine/evaluate";
import { shellQuote } from "../../automation/sandbox/environment";
import { COMPILED_CLI, ensureCompiled } from "./compiled";

/** What `sandbox --json` prints. */
export interface SandboxInfo {
    readonly stack: string;
    readonly speed: number;
    readonly endpoint: string;
    readonly dir: string;
    readonly functions: Record<string, { functionName: string; stable: string; candidate: string }>;
    readonly variables: Record<string, string>;
    readonly pathPrepend: string;
    readonly unset: string[];
    readonly exportLines: string[];
}

/** A running sandbox process. */
export interface SandboxProcess {
    readonly child: ChildProcess;
    readonly info: SandboxInfo;
    /** Everything it wrote on stderr so far (its log of `up`s, what it runs). */
    stderr(): string;
    /** The environment of a second shell: a minimal one, with what the sandbox printed. */
    readonly env: NodeJS.ProcessEnv;
    /** Resolves with its exit once it has exited. */
    readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** PATH without any real `pulumi`: node's folder and the system's. */
const BASE_PATH = [path.dirname(process.execPath), "/usr/bin", "/bin"].join(path.delimiter);

/** `lambda-rollout` as the installed command runs it: node on dist/, built from the sources first (helpers/compiled.ts). */
function command(): string[] {
    ensureCompiled();
    return [process.execPath, COMPILED_CLI];
}

/**
 * Polls `check` every 200 ms until it returns a value other than undefined/false, or fails after `ms` saying what it
 * waited for. The deadline only bounds a test that is broken: four minutes, as a process started on a machine
 * busy with other test runs can take a minute to print its first line.
 */
export async function until<T>(
    what: string,
    check: () => T | undefined | false | Promise<T | undefined | false>,
    ms = 240_000,
): Promise<T> {
    const deadline = Date.now() + ms;
    for (;;) {
        const value = await check();
        if (value !== undefined && value !== false) return value;
        if (Date.now() > deadline) throw new Error(`waited ${ms / 1000} s for ${what}`);
        await new Promise((r) => setTimeout(r, 200));
    }
}

/** Starts `lambda-rollout sandbox <args> --json` (TMPDIR: `tmpDir`) and resolves once it has printed its environment. */
export async function startSandboxProcess(args: string[], tmpDir: string): Promise<SandboxProcess> {
    const [node, ...cli] = command();
    const child = spawn(node, [...cli, "sandbox", ...args, "--json"], {
        cwd: PROJECT_ROOT,
        env: { PATH: BASE_PATH, HOME: tmpDir, TMPDIR: tmpDir, PULUMI_HOME: tmpDir },
        stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout!.setEncoding("utf8").on("data", (c: string) => (stdout += c));
    child.stderr!.setEncoding("utf8").on("data", (c: string) => (stderr += c));
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
        child.on("exit", (code, signal) => resolve({ code, signal })),
    );
    let gone = false;
    void exited.then(() => (gone = true));
    const line = await until("the sandbox to print its environment", () => {
        if (gone) throw new Error(`the sandbox exited before printing its environment: ${stderr}`);
        return stdout.includes("\n") ? stdout.split("\n")[0] : undefined;
    });
    const info = JSON.parse(line) as SandboxInfo;
    const env: NodeJS.ProcessEnv = {
        HOME: tmpDir,
        PULUMI_HOME: tmpDir,
        ...info.variables,
        PATH: [info.pathPrepend, BASE_PATH].join(path.delimiter),
    };
    return { child, info, env, exited, stderr: () => stderr };
}

/** A run of the command line from the second shell. */
export interface VerbRun {
    readonly code: number | null;
    readonly stdout: string;
    readonly stderr: string;
}

/** Starts `lambda-rollout <args>` with the second shell's environment, stdin not a terminal. */
export function startVerb(args: string[], env: NodeJS.ProcessEnv): { child: ChildProcess; done: Promise<VerbRun> } {
    const [node, ...cli] = command();
    const child = spawn(node, [...cli, ...args], {
        cwd: PROJECT_ROOT,
        env,
        stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout!.setEncoding("utf8").on("data", (c: string) => (stdout += c));
    child.stderr!.setEncoding("utf8").on("data", (c: string) => (stderr += c));
    const done = new Promise<VerbRun>((resolve, reject) => {
        child.on("error", reject);
        child.on("close", (code) => resolve({ code, stdout, stderr }));
    });
    return { child, done };
}

/** A terminal (a tmux pane on a private server) running one command line of the second shell. */
export interface Terminal {
    /** The screen as it is now, trailing blank lines dropped. */
    screen(): string;
    close(): void;
}

/**
 * Runs `lambda-rollout <args>` on a pseudo-terminal: a tmux session on a socket of its own (no user config), with
 * the second shell's environment; once the command ends the pane says `exited <code>` and stays on screen.
 */
export function openTerminal(args: string[], env: NodeJS.ProcessEnv, dir: string): Terminal {
    const socket = path.join(dir, "tmux.sock");
    const line = [...command(), ...args].map(shellQuote).join(" ");
    const tmux = (...a: string[]) => spawnSync("tmux", ["-S", socket, "-f", "/dev/null", ...a], { env, encoding: "utf8" });
    const started = tmux(
        "new-session",
        "-d",
        "-s",
        "watch",
        "-x",
        "200",
        "-y",
        "50",
        "-c",
        PROJECT_ROOT,
        `${line}; echo "exited $?"; sleep 600`,
    );
    if (started.status !== 0) throw new Error(`tmux did not start: ${started.stderr}`);
    return {
        screen: () => tmux("capture-pane", "-p", "-t", "watch").stdout.replace(/\s+$/, ""),
        close: () => {
            tmux("kill-server");
            fs.rmSync(socket, { force: true });
        },
    };
}

/** A fresh empty folder under the system's temporary folder. */
export function freshDir(prefix: string): string {
    return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}
