/**
 * What the package ships beside its code, found from wherever it is installed: the rehearsal scenarios, so
 * `--scenario healthy` (or `scenarios/healthy.json`) works in a folder that has no copy of them, and the package's
 * own modules, so a project's program that imports `lambda-rollout` or `@pulumi/pulumi` without an install of its
 * own loads the tool's (one Pulumi runtime for the program and the mock engine).
 */
import * as fs from "fs";
import * as nodeModule from "module";
import * as path from "path";
import { UsageError } from "../errors";
import { PACKAGE_ROOT } from "../packageRoot";

/**
 * The scenario file for `--scenario <arg>`: the path as given when it exists; else the shipped one it names
 * (`healthy`, `healthy.json`, `scenarios/healthy.json`, `operators/abort.json`); else a UsageError naming the flag
 * and the shipped scenarios (exit 2, nothing read or started).
 */
export function scenarioPath(arg: string, cwd: string = process.cwd(), root: string = PACKAGE_ROOT): string {
    if (fs.existsSync(path.resolve(cwd, arg))) return arg;
    const name = arg.replace(/^scenarios\//, "");
    for (const candidate of [name, `${name}.json`]) {
        const shipped = path.join(root, "scenarios", candidate);
        if (fs.existsSync(shipped) && fs.statSync(shipped).isFile()) return shipped;
    }
    const folder = path.join(root, "scenarios");
    const entries = fs.existsSync(folder) ? fs.readdirSync(folder, { withFileTypes: true }) : [];
    const names = entries.filter((e) => e.isFile() && e.name.endsWith(".json")).map((e) => e.name.slice(0, -".json".length));
    const folders = entries.filter((e) => e.isDirectory()).map((e) => `${e.name}/`);
    throw new UsageError(
        `\`--scenario\` (got ${JSON.stringify(arg)}): no such file, and no scenario of that name ships with lambda-rollout; give a scenario file's path, or a shipped one's name: ${names.sort().join(", ")}${folders.length > 0 ? ` (and those in ${folders.sort().join(", ")}, e.g. ${folders.sort()[0]}<name>)` : ""}`,
    );
}

/**
 * Lets a program resolve `lambda-rollout` and the tool's own dependencies when its project has no node_modules
 * of its own (a copy of the example beside a global install): the tool's folders join NODE_PATH, which Node
 * searches only after the program's own node_modules, so a project's own install still wins.
 */
export function shareToolModules(root: string = PACKAGE_ROOT): void {
    const folders = [path.join(root, "node_modules"), path.dirname(root)];
    const current = (process.env.NODE_PATH ?? "").split(path.delimiter).filter(Boolean);
    const missing = folders.filter((f) => !current.includes(f) && fs.existsSync(f));
    if (missing.length === 0 || path.basename(path.dirname(root)) !== "node_modules") return;
    process.env.NODE_PATH = [...current, ...missing].join(path.delimiter);
    // Node reads NODE_PATH once at start-up; _initPaths reads it again (the documented way for a running process).
    (nodeModule.Module as unknown as { _initPaths(): void })._initPaths();
}
