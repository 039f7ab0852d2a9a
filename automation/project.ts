/**
 * The Pulumi project the tool drives: found as the Pulumi CLI finds it (the nearest Pulumi.yaml at or above the
 * directory given with `-C/--cwd`, else the current directory), and read for what the tool needs of it: its
 * name (the namespace of its config keys, `<project>:functions`, and of the routing key `<project>:routing`), its
 * program (what the mock engine runs) and its root (where `Pulumi.<stack>.yaml` and the code directories are).
 */
import * as fs from "fs";
import * as path from "path";
import { parse as parseYaml } from "yaml";
import { UsageError } from "./errors";
import { PACKAGE_ROOT } from "./packageRoot";

/** A Pulumi project on disk. */
export interface PulumiProject {
    /** The directory holding Pulumi.yaml: stack files and `codeDir`s are relative to it. */
    readonly root: string;
    /** Pulumi.yaml's `name`: the namespace of the project's config keys. */
    readonly name: string;
    /** The program's entry file, absolute: Pulumi.yaml's `main`, else package.json's `main`, else `index.ts`. */
    readonly main: string;
}

const PROJECT_FILES = ["Pulumi.yaml", "Pulumi.yml"];

/**
 * This repository's own project (the default of the library functions when the tool runs inside its clone): the
 * tool's package root, also when the tool runs compiled from `dist/`.
 */
export const REPO_ROOT = PACKAGE_ROOT;

/**
 * The directory of the nearest Pulumi.yaml at or above `from`, as the Pulumi CLI looks for it; a UsageError
 * naming `from` when there is none.
 */
export function findProjectRoot(from: string): string {
    const start = path.resolve(from);
    if (!fs.existsSync(start)) throw new UsageError(`\`--cwd\` (got ${JSON.stringify(from)}): no such directory`);
    for (let dir = start; ; dir = path.dirname(dir)) {
        if (PROJECT_FILES.some((f) => fs.existsSync(path.join(dir, f)))) return dir;
        if (path.dirname(dir) === dir) break;
    }
    throw new UsageError(`no Pulumi.yaml in ${start} or any directory above it: pass \`-C <dir>\` naming a Pulumi project`);
}

/** The project file in `root` (Pulumi.yaml, else Pulumi.yml), absolute; undefined when there is none. */
export function projectFile(root: string): string | undefined {
    return PROJECT_FILES.map((f) => path.join(path.resolve(root), f)).find((f) => fs.existsSync(f));
}

/** Reads the project at `root` (which holds Pulumi.yaml). Throws a UsageError naming the file and the field. */
export function readProject(root: string): PulumiProject {
    const file = projectFile(root);
    if (!file) throw new UsageError(`${root} holds no Pulumi.yaml`);
    let doc: { name?: unknown; main?: unknown } | null;
    try {
        doc = parseYaml(fs.readFileSync(file, "utf8")) as typeof doc;
    } catch (err) {
        throw new UsageError(`${file} is not valid YAML: ${(err as Error).message}`);
    }
    const name = doc?.name;
    if (typeof name !== "string" || !/^[A-Za-z0-9_.-]+$/.test(name)) {
        throw new UsageError(
            `\`name\` in ${file} (got ${JSON.stringify(name)}): must be the project's name, letters, digits, '-', '_' and '.'`,
        );
    }
    const main = programEntry(root, typeof doc?.main === "string" ? doc.main : undefined);
    if (!fs.existsSync(main)) {
        throw new UsageError(
            `the program of project ${name} (${main}) does not exist: set \`main\` in ${file} to the program's entry file`,
        );
    }
    return { root, name, main };
}

/**
 * The program's entry file, as the Pulumi Node.js host picks it: Pulumi.yaml's `main` (a file, or a directory
 * in which the same rules apply), else a package.json `main` that is a TypeScript file, else `index.ts`. A
 * package.json `main` pointing at compiled JavaScript (a library's `dist/`) is not taken as the program.
 */
export function programEntry(root: string, main: string | undefined): string {
    if (main !== undefined) {
        const target = path.resolve(root, main);
        if (fs.existsSync(target) && fs.statSync(target).isDirectory()) return programEntry(target, undefined);
        return target;
    }
    const pkgFile = path.join(root, "package.json");
    if (fs.existsSync(pkgFile)) {
        const pkgMain = (JSON.parse(fs.readFileSync(pkgFile, "utf8")) as { main?: unknown }).main;
        if (typeof pkgMain === "string" && pkgMain.endsWith(".ts")) return path.resolve(root, pkgMain);
    }
    return path.join(root, "index.ts");
}

/** The project `-C/--cwd` names (the nearest Pulumi.yaml at or above it), else the one around the current directory. */
export function resolveProject(cwd?: string): PulumiProject {
    return readProject(findProjectRoot(cwd ?? process.cwd()));
}

let repoProject: PulumiProject | undefined;

/** This repository's project (lambda-rollout, index.ts): the default of every function that takes a project. */
export function defaultProject(): PulumiProject {
    repoProject ??= readProject(REPO_ROOT);
    return repoProject;
}
