/**
 * Runs the real Pulumi program (the project's `main`; this repository's index.ts by default) for a stack under
 * Pulumi's mock engine: no AWS, no Pulumi CLI.
 *
 * The offline plan prints what it declares, the tests assert on it, and the rehearsal's stack driver runs its
 * `up`s through it against a simulated AWS. What the engine answers for each declared resource (ids, ARNs, the
 * published version) and the Lambda client the program reads live aliases with come from a {@link ProgramWorld}.
 */
import * as pulumi from "@pulumi/pulumi";
// How the Pulumi runtime marks a secret when it serializes inputs for the engine (and the mocks).
import { specialSecretSig, specialSigKey } from "@pulumi/pulumi/runtime/rpc";
import * as fs from "fs";
import * as path from "path";
import { register } from "tsx/cjs/api";
import { parse as parseYaml } from "yaml";
import { setLambdaClientFactory } from "../../components/liveAlias";
import type { SdkClient } from "../../domain/sdk";
import { readStackConfig } from "../../config/projectConfig";
import { withSharedConfig } from "../../config/sharedConfig";
import { importedEnvironments, maskSecureValues, OFFLINE_SECRET, unresolvedEnvironments } from "../../config/secrets";
import { StackConfigError, UnresolvedStackConfigError, type StackConfig } from "../../config/stackConfig";
import { UsageError } from "../errors";
import { defaultProject, REPO_ROOT, type PulumiProject } from "../project";
import { parseStackName, type StackRef } from "../stackName";
import { sleep } from "../timers";
import { defaultAnswer, findResourceType, MOCK_REGION, type DeclaredResource } from "./resourceTypes";
import { withoutStackTraces } from "./stackTraces";

/** This repository's project root: where its Pulumi.yaml and stack files live. Other projects come as a {@link PulumiProject}. */
export const PROJECT_ROOT = REPO_ROOT;

export type { DeclaredResource } from "./resourceTypes";
export { unresolvedEnvironments } from "../../config/secrets";
export { UnresolvedStackConfigError } from "../../config/stackConfig";

/**
 * The inputs with each file archive or asset (a Lambda function's `code`) as `{ path }`: the mock engine hands
 * them over as SDK objects whose `path` is a promise, where a provider would get the path itself.
 */
async function withResolvedPaths(inputs: Record<string, any>): Promise<Record<string, any>> {
    const entries = await Promise.all(
        Object.entries(inputs).map(async ([key, value]) =>
            value instanceof pulumi.asset.FileArchive || value instanceof pulumi.asset.FileAsset
                ? [key, { path: await value.path }]
                : [key, value],
        ),
    );
    return Object.fromEntries(entries);
}

/** The world the mock engine stands in for. */
export interface ProgramWorld {
    /** The Lambda API the program reads live aliases through. */
    lambda(region: string): SdkClient;
    /**
     * Answers a custom resource's registration with its id and state (outputs), as the provider would after an
     * `up`; components never reach it. Throw for a type it cannot answer (see resourceTypes.ts).
     */
    register(resource: DeclaredResource): { id: string; state: Record<string, any> } | Promise<{ id: string; state: Record<string, any> }>;
    /** How the program waits between alias reads (default: real time). */
    sleep?(ms: number): Promise<void>;
}

/** Options of {@link evaluateProgram}. */
export interface EvaluateOptions {
    /** Stack name: dev, staging, prod. */
    readonly stack: string;
    /** The config file (like the CLI's `--config-file`); default `Pulumi.<stack>.yaml` in the project root. */
    readonly configFile?: string;
    /** Extra config keys for this run only (promote's `lambda-rollout:routing`). */
    readonly extraConfig?: Record<string, unknown>;
    /** What the engine answers; default: an empty account where everything is a first deploy. */
    readonly world?: ProgramWorld;
    /** The commit the release is tagged with (else from the environment or git). */
    readonly commit?: string;
    /** The project whose program runs (`-C/--cwd`); default this repository's. */
    readonly project?: PulumiProject;
}

/** What an evaluation produced. */
export interface Evaluation {
    readonly resources: DeclaredResource[];
    readonly outputs: Record<string, any>;
}

/** A config file that cannot be read or parsed: a usage error, nothing touched. */
export class ConfigFileError extends UsageError {
    constructor(message: string) {
        super(message);
        this.name = "ConfigFileError";
    }
}

/** Reads a Pulumi stack config file's `config:` map, as it is written (encrypted values included). */
export function readConfigFile(file: string): Record<string, unknown> {
    return readStackFile(file).config;
}

/** A stack file as offline commands read it: its `config:` map, and the ESC environments it imports. */
export interface StackFile {
    readonly config: Record<string, unknown>;
    readonly environments: string[];
}

/** Reads a Pulumi stack config file: its `config:` map and the ESC environments it imports. */
export function readStackFile(file: string): StackFile {
    let text: string;
    try {
        text = fs.readFileSync(file, "utf8");
    } catch (err) {
        throw new ConfigFileError(`cannot read config file ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
    let doc: unknown;
    try {
        doc = parseYaml(text);
    } catch (err) {
        throw new ConfigFileError(`config file ${file} is not valid YAML: ${(err as Error).message}`);
    }
    const config = (doc as { config?: unknown } | null)?.config;
    const environments = importedEnvironments(doc);
    // A stack whose config all comes from ESC environments may have no `config:` map of its own.
    if ((config === undefined || config === null) && environments.length > 0) return { config: {}, environments };
    if (config === undefined || config === null || typeof config !== "object" || Array.isArray(config)) {
        throw new ConfigFileError(`config file ${file} has no \`config:\` map`);
    }
    return { config: config as Record<string, unknown>, environments };
}

/**
 * The stack's config file path: `--config-file`, else `Pulumi.<stack>.yaml` in the project's root (for a fully
 * qualified `org/project/stack`, its last part, as the Pulumi CLI does). The stack name is validated first, so
 * none names another file.
 */
export function stackConfigPath(stack: string, configFile?: string, project: PulumiProject = defaultProject()): string {
    return configFileOf(parseStackName(stack, project.name), configFile, project);
}

/** {@link stackConfigPath} for a stack whose name was parsed already. */
function configFileOf(stack: StackRef, configFile: string | undefined, project: PulumiProject): string {
    return configFile ? path.resolve(configFile) : path.join(project.root, `Pulumi.${stack.name}.yaml`);
}

/** The stacks a project has: a `Pulumi.<stack>.yaml` beside its Pulumi.yaml for each. */
export function stacksOf(project: PulumiProject): string[] {
    return fs
        .readdirSync(project.root)
        .flatMap((f) => /^Pulumi\.(.+)\.ya?ml$/.exec(f)?.[1] ?? [])
        .sort();
}

/** A stack the project has no file for: the stacks it has, and how to make one. */
function unknownStack({ name }: StackRef, project: PulumiProject): string {
    const found = stacksOf(project);
    return (
        `no stack "${name}" in project ${project.name} (${displayPath(project.root) || "."}): no Pulumi.${name}.yaml there; ` +
        (found.length > 0 ? `its stacks: ${found.join(", ")}` : "it has no stack files yet") +
        ` (pass -s with one of them, or create the stack: \`pulumi stack init ${name}\` and its Pulumi.${name}.yaml)`
    );
}

/** A stack's config as every command reads it: the file, its whole `config:` map, and the validated config. */
export interface LoadedStackConfig {
    readonly file: string;
    /** The `config:` map, each encrypted value replaced by `[secret]` (config/secrets.ts). */
    readonly config: Record<string, unknown>;
    readonly stackConfig: StackConfig;
    /** The top-level keys holding a secret. */
    readonly secretKeys: string[];
    /** The ESC environments the file imports: what they hold is not in `config` (offline reads cannot resolve them). */
    readonly environments: string[];
}

/**
 * Reads and validates a stack's config file (plus `extraConfig`, promote's routing for one `up`) against the
 * project: the one place plan, promote, rollback, status and the rehearsal read it. Throws a StackNameError,
 * ConfigFileError or StackConfigError (all exit 2) that names the stack, the file or each bad key.
 */
export function loadStackConfig(
    stack: string,
    configFile?: string,
    extraConfig?: Record<string, unknown>,
    project: PulumiProject = defaultProject(),
): LoadedStackConfig {
    return loadParsedStackConfig(parseStackName(stack, project.name), configFile, extraConfig, project);
}

/** {@link loadStackConfig} for a stack whose name its caller parsed already (the name is parsed once per command). */
export function loadParsedStackConfig(
    stack: StackRef,
    configFile: string | undefined,
    extraConfig: Record<string, unknown> | undefined,
    project: PulumiProject,
): LoadedStackConfig {
    const file = configFileOf(stack, configFile, project);
    const shown = displayPath(file);
    if (configFile === undefined && !fs.existsSync(file)) throw new ConfigFileError(unknownStack(stack, project));
    const { config: written, environments } = readStackFile(file);
    const { config: masked, secretKeys } = maskSecureValues(written);
    try {
        // A stack's shared file (lambda-rollout:sharedConfig) merged here, so the program under the mock engine gets
        // the stack's whole config, from the project this command reads (config/sharedConfig.ts).
        const config = withSharedConfig({ ...masked, ...(extraConfig ?? {}) }, shown, project.root, project.name);
        return {
            file,
            config,
            stackConfig: readStackConfig(config, shown, project.root, project.name),
            secretKeys,
            environments,
        };
    } catch (err) {
        if (!(err instanceof StackConfigError) || environments.length === 0) throw err;
        throw new UnresolvedStackConfigError(
            err.source,
            [...err.problems, unresolvedEnvironments(environments, shown, stack.qualified)],
            environments,
        );
    }
}

/** A file as messages name it: relative to the working directory when it is inside it, else absolute. */
export function displayPath(file: string): string {
    const relative = path.relative(process.cwd(), file);
    return relative !== "" && !relative.startsWith("..") && !path.isAbsolute(relative) ? relative : file;
}

/**
 * An account with nothing deployed, in `region`: every alias lookup is "not found", every function gets version
 * 1, and every resource the answer {@link defaultAnswer} gives from the registry in resourceTypes.ts, its ARNs in
 * that region (the plan of a stack in eu-west-1 shows eu-west-1 ARNs).
 */
export function emptyAccountIn(region: string): ProgramWorld {
    return {
        lambda: () => ({
            send: async () => {
                throw Object.assign(new Error("Function not found"), { name: "ResourceNotFoundException" });
            },
        }),
        register: (resource) => defaultAnswer(resource, "1", region),
    };
}

/** {@link emptyAccountIn} the mock engine's default region (what the program's ARNs do not matter to). */
export const emptyAccount: ProgramWorld = emptyAccountIn(MOCK_REGION);

/**
 * Inputs with every secret shown as `[secret]`: the mock engine receives a secret Output's plain value wrapped in
 * Pulumi's secret envelope; what the plan prints (and `plan --json`) must never hold it.
 */
export function secretsShown(value: unknown): unknown {
    if (Array.isArray(value)) return value.map(secretsShown);
    if (typeof value !== "object" || value === null) return value;
    const record = value as Record<string, unknown>;
    if (record[specialSigKey] === specialSecretSig) return OFFLINE_SECRET;
    return Object.fromEntries(Object.entries(record).map(([k, v]) => [k, secretsShown(v)]));
}

// The Pulumi runtime's state is process-global: evaluations run one at a time.
let queue: Promise<unknown> = Promise.resolve();

/**
 * Runs `work` when no evaluation is under way, and holds the next one until it settles: for what shares the
 * program's process-global state (the Pulumi runtime, the program's Lambda client) outside an evaluation.
 */
export function inProgramQueue<T>(work: () => Promise<T>): Promise<T> {
    const run = queue.then(work);
    queue = run.catch(() => undefined);
    return run;
}

/** Evaluates the program for a stack. Rejects with the program's error (e.g. a StackConfigError) if it throws. */
export function evaluateProgram(options: EvaluateOptions): Promise<Evaluation> {
    return inProgramQueue(() => evaluateOnce(options));
}

async function evaluateOnce(options: EvaluateOptions): Promise<Evaluation> {
    const project = options.project ?? defaultProject();
    // The program validates too; doing it first gives a clean error that names the file, before the engine starts.
    const { config, secretKeys, stackConfig } = loadStackConfig(options.stack, options.configFile, options.extraConfig, project);
    const world = options.world ?? emptyAccountIn(stackConfig.region);
    const resources: DeclaredResource[] = [];

    await pulumi.runtime.setMocks(
        {
            async newResource(args) {
                const resource = {
                    type: args.type,
                    name: args.name,
                    inputs: secretsShown(await withResolvedPaths(args.inputs)) as Record<string, unknown>,
                };
                resources.push(resource);
                // Components and the stack have no provider: their state is what they were given. A remote
                // component (awsx:ec2:Vpc) is answered from the registry: the program reads its outputs.
                if (!args.custom && findResourceType(args.type) === undefined) return { id: `${resource.name}-id`, state: resource.inputs };
                const answer = await world.register(resource);
                return { id: answer.id, state: answer.state };
            },
            call(args) {
                throw new Error(`the program called ${args.token}, which the mock engine does not answer`);
            },
        },
        project.name,
        // `pulumi.getStack()` is the stack's own name, also for a fully qualified `org/project/stack`.
        parseStackName(options.stack, project.name).name,
        false,
    );
    pulumi.runtime.setAllConfig(
        Object.fromEntries(Object.entries(config).map(([k, v]) => [k, typeof v === "string" ? v : JSON.stringify(v)])),
        secretKeys,
    );
    setLambdaClientFactory((region) => world.lambda(region), world.sleep ? (ms) => world.sleep!(ms) : (ms) => sleep(ms));

    const previousCommit = process.env.LAMBDA_ROLLOUT_COMMIT;
    if (options.commit !== undefined) process.env.LAMBDA_ROLLOUT_COMMIT = options.commit;
    // A program error also rejects promises inside the Pulumi runtime that nobody awaits; keep the first
    // error and report it instead of letting Node die of an unhandled rejection.
    // An error inside an `apply` never settles the stack's outputs: race them against it.
    let programError: unknown;
    let rejectRun: (reason: unknown) => void = () => undefined;
    const failed = new Promise<never>((_, reject) => (rejectRun = reject));
    const onUnhandled = (reason: unknown) => {
        programError ??= reason;
        rejectRun(programError);
    };
    process.on("unhandledRejection", onUnhandled);
    try {
        useTypeScriptLoader(project.main);
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        const program = require(project.main) as () => Promise<Record<string, unknown>>;
        // The program's modules are loaded above, with source maps; it runs without stack traces (stackTraces.ts).
        const outputs = await withoutStackTraces(async () => {
            const returned = (await Promise.race([pulumi.runtime.runInPulumiStack(program), failed])) ?? {};
            // Resources whose outputs the stack does not export may still be registering: drain the queue.
            const drain = (pulumi.runtime as unknown as { waitForRPCs?: () => Promise<void> }).waitForRPCs?.();
            await Promise.race([drain, failed]);
            return returned;
        });
        if (programError) throw programError;
        return { resources, outputs: unwrapSecrets(outputs) as Record<string, any> };
    } finally {
        await new Promise((resolve) => setImmediate(resolve));
        process.off("unhandledRejection", onUnhandled);
        if (previousCommit === undefined) delete process.env.LAMBDA_ROLLOUT_COMMIT;
        else process.env.LAMBDA_ROLLOUT_COMMIT = previousCommit;
    }
}

let typeScriptLoader: (() => void) | undefined;

/**
 * Makes a TypeScript program loadable, as the Pulumi Node.js host does for `typescript: true`: run from its
 * sources, the tool already has a loader (tsx); compiled (the `lambda-rollout` bin in `dist/`), it registers
 * tsx's, once. Node's own type stripping is not enough: it refuses `export =` and extensionless imports.
 */
function useTypeScriptLoader(main: string): void {
    if (typeScriptLoader || !/\.[cm]?ts$/.test(main) || __filename.endsWith(".ts")) return;
    typeScriptLoader = register();
}

function unwrapSecrets(value: unknown): unknown {
    if (Array.isArray(value)) return value.map(unwrapSecrets);
    if (value && typeof value === "object") {
        return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, unwrapSecrets(v)]));
    }
    return value;
}
