/**
 * A stack's config read against the project it belongs to: the one way the program (index.ts), the offline
 * plan, the rollout tool and the rehearsal turn a stack's `config:` map into a validated StackConfig.
 *
 * Beyond the schema (config/stackConfig.ts), it checks what only the project can answer: that no key sits
 * under a misspelt namespace, and that each function's `codeDir` is a directory of the project. The schema stays
 * pure on purpose: it also re-validates the policy a deployed stack exports, and tests parse configs whose code
 * does not exist; a look at the file system belongs where the project root is known, here.
 */
import * as fs from "fs";
import * as path from "path";
import { describeIssues, misplacedNamespaceKeys } from "./issues";
import { withSharedConfig } from "./sharedConfig";
import { isWebhookUrlKey, PROJECT, projectKeys, stackConfigSchema, StackConfigError, type StackConfig } from "./stackConfig";

/** The project's own keys, which a foreign namespace never means. `region` is left out: `aws:region` is real. */
const OWN_KEYS = ["functions", "rollout", "alarms", "routing"];

/**
 * Validates a stack's whole `config:` map (every namespace, values parsed from YAML or JSON) for the project in
 * `projectRoot`, named `project` in its Pulumi.yaml (the namespace of its keys; default this repository's,
 * `lambda-rollout`). A stack that names a shared file (`<project>:sharedConfig`, config/sharedConfig.ts) gets its
 * keys under its own first. Throws a StackConfigError listing every problem, each naming its key: misplaced keys
 * first, then the schema's, then code directories that do not exist.
 */
export function readStackConfig(
    config: Record<string, unknown>,
    source: string,
    projectRoot: string,
    project: string = PROJECT,
): StackConfig {
    const merged = withSharedConfig(config, source, projectRoot, project);
    const raw = projectKeys(merged, project);
    const parsed = stackConfigSchema.safeParse(raw);
    const problems = [
        ...misplacedNamespaceKeys(merged, project, OWN_KEYS),
        ...(parsed.success ? [] : describeIssues(parsed.error.issues, project, raw, isWebhookUrlKey)),
        ...missingCodeDirs(raw, projectRoot, project),
    ];
    if (problems.length > 0 || !parsed.success) throw new StackConfigError(source, problems);
    return parsed.data;
}

/**
 * `` `lambda-rollout:functions[i].codeDir` (got "app/nope"): no such directory `` for each function whose code
 * directory is not a directory under `projectRoot` (where Pulumi.yaml is; `codeDir` is relative to it). Looks at
 * the raw values, so it reports alongside the schema's problems rather than after they are fixed.
 */
export function missingCodeDirs(raw: Record<string, unknown>, projectRoot: string, project: string = PROJECT): string[] {
    const functions = Array.isArray(raw.functions) ? (raw.functions as unknown[]) : [];
    return functions.flatMap((fn, i) => {
        const codeDir = fn !== null && typeof fn === "object" ? (fn as { codeDir?: unknown }).codeDir : undefined;
        if (typeof codeDir !== "string" || codeDir === "") return [];
        const dir = path.resolve(projectRoot, codeDir);
        let stat: fs.Stats | undefined;
        try {
            stat = fs.statSync(dir);
        } catch {
            stat = undefined;
        }
        if (stat?.isDirectory()) return [];
        const what = stat ? "is not a directory" : "no such directory";
        return [
            `\`${project}:functions[${i}].codeDir\` (got ${JSON.stringify(codeDir)}): ${what} (${dir}): must be the directory of the function's code, relative to the project root (${projectRoot})`,
        ];
    });
}
