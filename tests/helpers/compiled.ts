/**
 * The compiled command (dist/, what the package's `bin` runs), built from this checkout's sources before a test
 * runs it: once per test run by the suite's global setup (`.mocharc.json` requires this file), and again by any
 * test process that finds a source newer than dist/ (a single file run with `npx mocha <file>`). A lock keeps two
 * processes from writing dist/ at once; a process that waited for it finds dist/ fresh and builds nothing.
 */
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { PACKAGE_ROOT } from "../../automation/packageRoot";

/** The compiled command, as the package's `bin` names it. */
export const COMPILED_CLI = path.join(PACKAGE_ROOT, "dist", "automation", "cli.js");

/** What `tsconfig.build.json` compiles. */
const SOURCES = ["lib.ts", "components", "config", "automation", "tsconfig.json", "tsconfig.build.json"];
const LOCK = path.join(PACKAGE_ROOT, "dist", ".building");

/** The newest modification time among the compiled sources. */
function newestSource(): number {
    let newest = 0;
    const visit = (p: string) => {
        const stat = fs.statSync(p);
        if (stat.isDirectory()) for (const entry of fs.readdirSync(p)) visit(path.join(p, entry));
        else if (/\.(ts|json)$/.test(p)) newest = Math.max(newest, stat.mtimeMs);
    };
    for (const source of SOURCES) visit(path.join(PACKAGE_ROOT, source));
    return newest;
}

/** Whether dist/ holds the command built from the sources as they are now. */
export function compiledIsFresh(): boolean {
    return fs.existsSync(COMPILED_CLI) && fs.statSync(COMPILED_CLI).mtimeMs >= newestSource();
}

let checked = false;

/** Builds dist/ (`tsc -p tsconfig.build.json`, what `npm ci` runs as `prepare`) unless it is already fresh. */
export function ensureCompiled(): void {
    if (checked) return;
    for (const start = Date.now(); !compiledIsFresh();) {
        try {
            fs.mkdirSync(path.dirname(LOCK), { recursive: true });
            fs.mkdirSync(LOCK);
        } catch {
            // Another process is building: wait for it (a lock older than two minutes is left over from a killed build).
            const lock = fs.statSync(LOCK, { throwIfNoEntry: false });
            if (lock && Date.now() - lock.mtimeMs > 120_000) fs.rmSync(LOCK, { recursive: true, force: true });
            if (Date.now() - start > 300_000) throw new Error(`waited 5 minutes for ${LOCK} to go: remove it if no build is running`);
            execFileSync("sleep", ["0.5"]);
            continue;
        }
        try {
            if (!compiledIsFresh()) {
                execFileSync(
                    process.execPath,
                    [path.join(PACKAGE_ROOT, "node_modules", "typescript", "bin", "tsc"), "-p", "tsconfig.build.json"],
                    {
                        cwd: PACKAGE_ROOT,
                        stdio: "inherit",
                    },
                );
                // tsc writes only what changed: the entry's time says the whole build is as new as the sources.
                const now = new Date();
                fs.utimesSync(COMPILED_CLI, now, now);
            }
        } finally {
            fs.rmSync(LOCK, { recursive: true, force: true });
        }
    }
    checked = true;
}

/** Mocha's global setup: the compiled command built once, before any test file runs (in parallel runs too). */
export function mochaGlobalSetup(): void {
    ensureCompiled();
}
