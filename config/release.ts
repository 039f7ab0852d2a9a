import { execFileSync } from "child_process";
import * as fs from "fs";
import * as path from "path";

/** What this `up` ships: the package's version and, when known, the git commit. */
export interface Release {
    readonly version: string;
    readonly commit?: string;
}

/**
 * The release of the project at `root`: package.json's version, and the commit from the CI environment
 * (GITHUB_SHA, or LAMBDA_ROLLOUT_COMMIT) or else from git. A machine without git or outside a checkout
 * simply has no commit.
 */
export function readRelease(root: string, env: NodeJS.ProcessEnv = process.env): Release {
    const pkg = JSON.parse(fs.readFileSync(path.join(root, "package.json"), "utf8")) as { version?: string };
    const version = pkg.version ?? "0.0.0";
    const fromEnv = env.LAMBDA_ROLLOUT_COMMIT ?? env.GITHUB_SHA;
    if (fromEnv) {
        return { version, commit: fromEnv.slice(0, 12) };
    }
    try {
        const commit = execFileSync("git", ["rev-parse", "--short=12", "HEAD"], { cwd: root, stdio: ["ignore", "pipe", "ignore"] })
            .toString()
            .trim();
        return commit ? { version, commit } : { version };
    } catch {
        return { version };
    }
}
