/**
 * Runs the rollout tool's command line as a user would: a child process with a PATH that has node and, when
 * asked, the stand-in `pulumi` of tests/fixtures/fake-pulumi (which records every call it gets), but no real one.
 */
import { spawn } from "child_process";
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

/** Runs `lambda-rollout <args>`; `fakePulumiLog` puts the stand-in pulumi on PATH, recording its calls there. */
export function runCli(args: string[], options: { fakePulumiLog?: string } = {}): Promise<CliRun> {
    const tsx = path.join(PROJECT_ROOT, "node_modules", "tsx", "dist", "cli.mjs");
    const PATH = [...(options.fakePulumiLog ? [FAKE_PULUMI_DIR] : []), path.dirname(process.execPath)].join(path.delimiter);
    const env: NodeJS.ProcessEnv = { PATH, HOME: os.tmpdir(), AWS_REGION: "us-east-1" };
    if (options.fakePulumiLog) env.FAKE_PULUMI_LOG = options.fakePulumiLog;
    return new Promise((resolve, reject) => {
        const child = spawn(process.execPath, [tsx, path.join(PROJECT_ROOT, "automation", "cli.ts"), ...args], { cwd: PROJECT_ROOT, env, stdio: ["ignore", "pipe", "pipe"] });
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
