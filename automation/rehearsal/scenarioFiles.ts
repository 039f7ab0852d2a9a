/** The scenarios of `rehearse-all`: every `*.json` of a folder, in name order. */
import * as fs from "fs";
import * as path from "path";
import { UsageError } from "../errors";

/** The scenario files in `dir`; a folder that cannot be read or holds none is a usage error naming `--dir`. */
export function scenarioFiles(dir: string): string[] {
    let names: string[];
    try {
        names = fs.readdirSync(dir);
    } catch (err) {
        throw new UsageError(
            `\`--dir\` (got ${JSON.stringify(dir)}): cannot read the scenarios folder: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
        );
    }
    const files = names.filter((f) => f.endsWith(".json")).sort();
    if (files.length === 0) throw new UsageError(`\`--dir\` (got ${JSON.stringify(dir)}): holds no scenario files (*.json)`);
    return files.map((f) => path.join(dir, f));
}
