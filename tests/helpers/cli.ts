/**
 * Runs the rollout tool's command line as a user would: a child process with a PATH that has node and, when
 * asked, the stand-in `pulumi` of tests/fixtures/fake-pulumi (which records every call it gets), but no real one.
 */
import { spawn, type ChildProcess } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { PROJECT_ROOT } from "../../automation/engine/evaluate";

/** What a run of the CLI gave. */
export interface CliRun {
    readonly code: number | null;
    readonly stdout: string;
    readonly stderr: string;
}

/** The folder of the stand-in `pulumi` executable. */
export const FAKE_PULUMI_DIR = path.join(PROJECT_ROOT, "tests", "fixtures", "fake-pulumi");

/** The compiled command, as the package's `bin` names it (built by `npm run build`, run on `npm ci`). */
export const COMPILED_CLI = path.join(PROJECT_ROOT, "dist", "automation", "cli.js");

/** How to run the command line. */
export interface CliOptions {
    /** Puts the stand-in pulumi on PATH, recording its calls in this file. */
    readonly fakePulumiLog?: string;
    /** Environment variables on top of the minimal one (PULUMI_STACK, PULUMI_HOME, PULUMI_SKIP_CONFIRMATIONS...). */
    readonly env?: NodeJS.ProcessEnv;
    /** Run the compiled bin (dist/automation/cli.js) with plain node instead of the sources with tsx. */
    readonly compiled?: boolean;
}

/**
 * Runs `lambda-rollout <args>` with stdin not a terminal. PULUMI_HOME is an empty folder unless `env` names one,
 * so no stack selected on this machine (`pulumi stack select`) leaks into a test.
 */
export function runCli(args: string[], options: CliOptions = {}): Promise<CliRun> {
    const tsx = path.join(PROJECT_ROOT, "node_modules", "tsx", "dist", "cli.mjs");
    const env = cliEnvironment(options);
    const entry = options.compiled ? [COMPILED_CLI] : [tsx, path.join(PROJECT_ROOT, "automation", "cli.ts")];
    return new Promise((resolve, reject) => {
        const child = spawn(process.execPath, [...entry, ...args], { cwd: PROJECT_ROOT, env, stdio: ["ignore", "pipe", "pipe"] });
        let stdout = "";
        let stderr = "";
        child.stdout.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
        child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
        const timer = setTimeout(() => child.kill("SIGKILL"), 90_000);
        child.on("error", reject);
        child.on("close", (code) => {
            clearTimeout(timer);
            resolve({ code, stdout, stderr });
        });
    });
}

/** The environment a run of the CLI gets: see {@link CliOptions.env}. */
function cliEnvironment(options: CliOptions): NodeJS.ProcessEnv {
    const PATH = [...(options.fakePulumiLog ? [FAKE_PULUMI_DIR] : []), path.dirname(process.execPath)].join(path.delimiter);
    const env: NodeJS.ProcessEnv = { PATH, HOME: os.tmpdir(), AWS_REGION: "us-east-1", PULUMI_HOME: emptyPulumiHome(), ...options.env };
    if (options.fakePulumiLog) env.FAKE_PULUMI_LOG = options.fakePulumiLog;
    return env;
}

/** A run of the CLI started by {@link startCli}: the process, and what it gave once it exited. */
export interface StartedCli {
    readonly child: ChildProcess;
    readonly done: Promise<CliRun & { readonly signal: NodeJS.Signals | null }>;
}

/**
 * Starts `lambda-rollout <args>` as the promote workflow runs it, `node --import tsx automation/cli.ts`: one
 * process (no tsx wrapper relaying signals), so a signal the test sends reaches the tool itself, as a CI cancel does.
 */
export function startCli(args: string[], options: Omit<CliOptions, "compiled"> = {}): StartedCli {
    const child = spawn(process.execPath, ["--import", "tsx", path.join(PROJECT_ROOT, "automation", "cli.ts"), ...args], {
        cwd: PROJECT_ROOT,
        env: cliEnvironment(options),
        stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout!.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
    child.stderr!.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
    const done = new Promise<CliRun & { signal: NodeJS.Signals | null }>((resolve, reject) => {
        child.on("error", reject);
        child.on("close", (code, signal) => resolve({ code, signal, stdout, stderr }));
    });
    return { child, done };
}

let pulumiHome: string | undefined;

/** A PULUMI_HOME with no workspaces in it. */
function emptyPulumiHome(): string {
    pulumiHome ??= fs.mkdtempSync(path.join(os.tmpdir(), "lambda-rollout-pulumi-home-"));
    return pulumiHome;
}
