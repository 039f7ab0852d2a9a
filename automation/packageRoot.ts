/**
 * Where the tool's own package is, whether it runs from its TypeScript sources (tsx, `npm run`) or compiled into
 * `dist/` (the `lambda-rollout` bin, also from another project's node_modules): the nearest folder at or above
 * this module that holds a package.json. A path made from `__dirname` alone would point into `dist/` once compiled.
 */
import * as fs from "fs";
import * as path from "path";

/** The nearest folder at or above `start` that holds `marker`; undefined when there is none up to the root. */
export function findUp(start: string, marker: string): string | undefined {
    for (let dir = path.resolve(start); ; dir = path.dirname(dir)) {
        if (fs.existsSync(path.join(dir, marker))) return dir;
        if (path.dirname(dir) === dir) return undefined;
    }
}

/** The tool's package root: its package.json, and in a clone of this repository its Pulumi project too. */
export const PACKAGE_ROOT: string =
    findUp(__dirname, "package.json") ??
    (() => {
        throw new Error(`no package.json in ${__dirname} or any folder above it: lambda-rollout is not installed as a package`);
    })();

/** The tool's version: package.json's `version`, what `--version` prints. */
export function packageVersion(root: string = PACKAGE_ROOT): string {
    return (JSON.parse(fs.readFileSync(path.join(root, "package.json"), "utf8")) as { version: string }).version;
}
