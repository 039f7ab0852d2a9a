/**
 * `lambda-rollout adopt FUNCTION[=key]...`: brings existing Lambda functions under a project's management without
 * replacing them. It reads each function live (readLive.ts), writes its entry into the stack's config and a
 * `pulumi import --file` file (adoption.ts), and first runs the program under the mock engine with that config to
 * check that every imported resource keeps its replace-forcing properties: a program that would replace one is
 * refused (exit 2) and nothing is written.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { Document, parseDocument } from "yaml";
import { awsClientSettings, sdkClientConfig } from "../../components/awsClientSettings";
import { emptyAccount, evaluateProgram, readStackFile, stackConfigPath } from "../engine/evaluate";
import { UsageError } from "../errors";
import type { PulumiProject } from "../project";
import { parseStackName } from "../stackName";
import { adoptionOf, describeCheck, importFile, keyFor, replaceChecks, type Adoption, type PropertyCheck } from "./adoption";
import { adoptClients, readLiveFunction, type AdoptClients } from "./readLive";

/** The flags of `adopt`. */
export interface AdoptFlags {
    readonly stack: string;
    /** `NAME` or `NAME=key`, each an existing function (name or ARN). */
    readonly functions: readonly string[];
    /** The folder each function's code goes in, as `<codeDir>/<key>` (relative to the project). */
    readonly codeDir: string;
    /** Where the import file goes (default `import-<stack>.json` in the project). */
    readonly importFile?: string;
    /** The region, when the stack file names none (else AWS_REGION). */
    readonly region?: string;
    /** Read and check, write nothing. */
    readonly dryRun?: boolean;
}

/** What `adopt` did. */
export interface AdoptResult {
    readonly stackFile: string;
    readonly importFile: string;
    readonly written: boolean;
    readonly functions: { key: string; functionName: string; imported: string[]; notes: string[] }[];
    readonly checks: PropertyCheck[];
}

/** A canary policy for a stack file that has none yet: 10%, then 100%, each baked 10 minutes. Edit to taste. */
const DEFAULT_ROLLOUT = {
    strategy: "canary",
    canary: {
        steps: [
            { weight: 10, bake: "10m" },
            { weight: 100, bake: "10m" },
        ],
    },
};

/** `NAME=key` into the function and its key. */
function parseTarget(arg: string): { functionName: string; key: string } {
    const [functionName, key] = arg.split("=", 2);
    if (!functionName) throw new UsageError(`\`FUNCTION\` ${JSON.stringify(arg)}: must be a function name or ARN, optionally =<key>`);
    if (key !== undefined && !/^[a-z][a-z0-9-]{0,29}$/.test(key)) {
        throw new UsageError(
            `\`FUNCTION\` ${arg}: the key ${JSON.stringify(key)} must be 1-30 lower-case letters, digits and '-', starting with a letter`,
        );
    }
    return { functionName, key: key ?? keyFor(functionName.split(":").pop()!) };
}

/** Reads, checks and (unless a dry run) writes the stack config and the import file; `log` gets the lines for people. */
export async function adopt(
    project: PulumiProject,
    flags: AdoptFlags,
    log: (line: string) => void,
    clients?: AdoptClients,
): Promise<AdoptResult> {
    const targets = flags.functions.map(parseTarget);
    const keys = targets.map((t) => t.key);
    const twice = keys.find((k, i) => keys.indexOf(k) !== i);
    if (twice) throw new UsageError(`\`FUNCTION\`: two functions get the key "${twice}"; name them apart with NAME=key`);
    const stackFile = stackConfigPath(flags.stack, undefined, project);
    const exists = fs.existsSync(stackFile);
    const written = exists ? readStackFile(stackFile).config : {};
    const region = (written["aws:region"] as string | undefined) ?? flags.region ?? process.env.AWS_REGION;
    if (!region)
        throw new UsageError(
            "`--region`: the stack file names no aws:region and AWS_REGION is not set: which region are the functions in?",
        );
    clients ??= adoptClients(sdkClientConfig(awsClientSettings(written, region)));

    const adoptions: Adoption[] = [];
    for (const t of targets) {
        const live = await readLiveFunction(clients, t.functionName);
        if (live.region !== region) throw new UsageError(`\`FUNCTION\` ${t.functionName} is in ${live.region}, the stack in ${region}`);
        const codeDir = path.posix.join(flags.codeDir, t.key);
        if (!fs.statSync(path.join(project.root, codeDir), { throwIfNoEntry: false })?.isDirectory()) {
            throw new UsageError(
                `\`--code-dir\`: ${codeDir} is not a directory of the project: put ${live.name}'s code there (its deployment package: \`aws lambda get-function --function-name ${live.name} --query Code.Location\`), or pass --code-dir`,
            );
        }
        adoptions.push(adoptionOf(live, t.key, codeDir));
    }

    const doc = exists ? parseDocument(fs.readFileSync(stackFile, "utf8")) : new Document({ config: {} });
    mergeConfig(doc, project.name, region, adoptions);
    const text = doc.toString();
    // The program with the new config, under the mock engine: what it would declare for each imported resource.
    const scratch = fs.mkdtempSync(path.join(os.tmpdir(), "lambda-rollout-adopt-"));
    let checks: PropertyCheck[];
    try {
        const candidate = path.join(scratch, path.basename(stackFile));
        fs.writeFileSync(candidate, text);
        const { resources } = await evaluateProgram({ stack: flags.stack, configFile: candidate, project, world: emptyAccount });
        checks = adoptions.flatMap((a) => replaceChecks(a, resources));
    } finally {
        fs.rmSync(scratch, { recursive: true, force: true });
    }
    const replaced = checks.filter((c) => !c.same);
    if (replaced.length > 0) {
        throw new UsageError(
            `the program would replace what it imports, so nothing was written:\n  ${replaced.map(describeCheck).join("\n  ")}\n` +
                "  (does the program pass `functionName`, `roleName`, `rolePath` and `logGroupName` from the config to ProgressiveFunction? docs/adopting.md)",
        );
    }

    const stackName = parseStackName(flags.stack, project.name).name;
    const importPath = path.resolve(project.root, flags.importFile ?? `import-${stackName}.json`);
    for (const a of adoptions) {
        log(
            `${a.key}: ${a.live.name} (role ${a.live.role.name}, log group ${a.live.logGroup.name}, ${a.live.versions.length} versions, aliases: ${a.live.aliases.map((x) => x.name).join(", ") || "none"})`,
        );
        for (const imp of a.imports.filter((i) => !i.component)) log(`  import ${imp.type} ${imp.name} ${imp.id}`);
        for (const note of a.notes) log(`  note: ${note}`);
    }
    log(
        `plan under the mock engine: ${checks.length} replace-forcing properties of ${new Set(checks.map((c) => c.resource)).size} imported resources, all as live: nothing is replaced`,
    );
    for (const c of checks) log(describeCheck(c));
    if (!flags.dryRun) {
        fs.writeFileSync(stackFile, text);
        fs.writeFileSync(importPath, JSON.stringify(importFile(adoptions), null, 4) + "\n");
        log(`wrote ${path.relative(process.cwd(), stackFile) || stackFile} and ${path.relative(process.cwd(), importPath) || importPath}`);
        log(
            `next: pulumi import --file ${path.basename(importPath)} --stack ${flags.stack} --generate-code=false, then pulumi preview --diff --stack ${flags.stack} (docs/adopting.md)`,
        );
    } else log("dry run: nothing was written");
    return {
        stackFile,
        importFile: importPath,
        written: !flags.dryRun,
        functions: adoptions.map((a) => ({
            key: a.key,
            functionName: a.live.name,
            imported: a.imports.filter((i) => !i.component).map((i) => i.type),
            notes: a.notes,
        })),
        checks,
    };
}

/** Puts the adopted functions into `<project>:functions` (replacing entries of the same key) and fills what a stack needs. */
function mergeConfig(doc: Document, project: string, region: string, adoptions: readonly Adoption[]): void {
    const key = (k: string) => ["config", `${project}:${k}`];
    if (!doc.hasIn(["config", "aws:region"])) doc.setIn(["config", "aws:region"], region);
    const existing = (doc.getIn(key("functions")) as { toJSON(): unknown } | undefined)?.toJSON();
    const functions = Array.isArray(existing) ? (existing as Record<string, unknown>[]) : [];
    for (const a of adoptions) {
        const at = functions.findIndex((f) => f.name === a.key);
        if (at >= 0) functions[at] = a.entry;
        else functions.push(a.entry);
    }
    doc.setIn(key("functions"), doc.createNode(functions));
    if (!doc.hasIn(key("rollout"))) doc.setIn(key("rollout"), doc.createNode(DEFAULT_ROLLOUT));
}
