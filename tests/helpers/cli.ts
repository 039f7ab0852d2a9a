/**
 * Runs the rollout tool's command line as a user would: a child process with a PATH that has node and, when
 * asked, the stand-in `pulumi` of tests/fixtures/fake-pulumi (which records every call it gets), but no real one.
 */
import { spawn, type ChildProcess } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { PROJECT_ROOT } from "../../automation/engine/evaluate";
import { COMPILED_CLI, ensureCompiled } from "./compiled";

/** What a run of the CLI gave. */
export interface CliRun {
    readonly code: number | null;
    readonly stdout: string;
    readonly stderr: string;
}

/** The folder of the stand-in `pulumi` executable. */
export const FAKE_PULUMI_DIR = path.join(PROJECT_ROOT, "tests", "fixtures", "fake-pulumi");

export { COMPILED_CLI } from "./compiled";

/** How to run the command line. */
export interface CliOptions {
    /** Puts the stand-in pulumi on PATH, recording its calls in this file. */
    readonly fakePulumiLog?: string;
    /** Environment variables on top of the minimal one (PULUMI_STACK, PULUMI_HOME, PULUMI_SKIP_CONFIRMATIONS...). */
    readonly env?: NodeJS.ProcessEnv;
}

/**
 * Runs `lambda-rollout <args>` (the compiled command) with stdin not a terminal. PULUMI_HOME is an empty folder
 * unless `env` names one, so no stack selected on this machine (`pulumi stack select`) leaks into a test.
 */
export function runCli(args: string[], options: CliOptions = {}): Promise<CliRun> {
    const env = cliEnvironment(options);
    // The installed command's way: plain node on dist/ (built from the sources first: helpers/compiled.ts). The
    // npm scripts' way (tsx on the sources) is what startCli and the terminal tests run.
    ensureCompiled();
    return new Promise((resolve, reject) => {
        const child = spawn(process.execPath, [COMPILED_CLI, ...args], { cwd: PROJECT_ROOT, env, stdio: ["ignore", "pipe", "pipe"] });
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
export function startCli(args: string[], options: CliOptions = {}): StartedCli {
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
