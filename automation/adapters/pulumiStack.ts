/**
 * The stack driver for real stacks: the Automation API driving the same local program as `pulumi up`
 * (workDir = the project), with the routing of one `up` passed in a temporary copy of the stack's config file.
 * Nothing it does writes a committed file: it never calls `setConfig` (which writes `Pulumi.<stack>.yaml`).
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import {
    CommandError,
    ConcurrentUpdateError,
    LocalWorkspace,
    PulumiCommand,
    StackNotFoundError,
    type EngineEvent,
    type OutputMap,
    type Stack,
} from "@pulumi/pulumi/automation";
import { parseDocument } from "yaml";
import { readRolloutOutputs, RolloutOutputsError } from "../../components/rolloutOutputs";
import { decodePulumiConfig } from "../../config/issues";
import { PROJECT, ROUTING_KEY, routingKey, type RoutingOverride } from "../../config/stackConfig";
import { PROJECT_ROOT, readConfigFile } from "../engine/evaluate";
import { InfrastructureError, StackLockedError, UsageError } from "../errors";
import type { StackDriver, StackOutputs, UpdateRecord } from "../rollout/ports";

/** The config key that carries the routing of one `up`. */
export { ROUTING_KEY };

/** How many of the CLI's last useful error lines an InfrastructureError carries. */
const ERROR_LINES = 6;

/** Options of {@link AutomationStackDriver}. */
export interface AutomationStackDriverOptions {
    /** The stack name (`dev`, `prod`, or `org/project/stack`). */
    readonly stack: string;
    /** The stack's config file; default `Pulumi.<stack>.yaml` in `workDir`. */
    readonly configFile?: string;
    /** The Pulumi project directory (holds Pulumi.yaml; `-C/--cwd`); default this repository's root. */
    readonly workDir?: string;
    /** The project's name (Pulumi.yaml `name`): routing is passed as `<project>:routing`; default `lambda-rollout`. */
    readonly project?: string;
    /**
     * The pulumi executable, as `<root>/bin/pulumi` (how the Automation API locates a CLI); default `pulumi` on
     * PATH. For tests and pinned installations.
     */
    readonly pulumiCommand?: string;
    /** Receives the CLI's output of an `up`, line by line. */
    readonly onOutput?: (line: string) => void;
    /** Receives the engine events of an `up` as they happen (the CLI's live summary: automation/cli/upSummary.ts). */
    readonly onEvent?: (event: EngineEvent) => void;
}

/** Drives a real Pulumi stack through the Automation API (needs the Pulumi CLI). */
export class AutomationStackDriver implements StackDriver {
    private readonly stackName: string;
    private readonly workDir: string;
    private readonly configFile: string;
    private readonly project: string;
    private readonly pulumiRoot?: string;
    private readonly onOutput?: (line: string) => void;
    private readonly onEvent?: (event: EngineEvent) => void;
    private selected?: Stack;

    constructor(opts: AutomationStackDriverOptions) {
        if (!opts.stack) throw new UsageError("`stack` is required: the name of the stack to drive, e.g. prod");
        this.stackName = opts.stack;
        this.workDir = path.resolve(opts.workDir ?? PROJECT_ROOT);
        this.project = opts.project ?? PROJECT;
        this.configFile = opts.configFile ? path.resolve(opts.configFile) : path.join(this.workDir, `Pulumi.${opts.stack}.yaml`);
        this.pulumiRoot = opts.pulumiCommand === undefined ? undefined : pulumiRootOf(opts.pulumiCommand);
        this.onOutput = opts.onOutput;
        this.onEvent = opts.onEvent;
    }

    /**
     * The stack's config as the Pulumi CLI resolves it (`pulumi config --show-secrets --json`): ESC environments
     * imported, secrets decrypted. Object values come back as JSON text and are parsed. Never printed whole.
     */
    async config(): Promise<Record<string, unknown>> {
        const all = await this.run("read the config of", async () => {
            const stack = await this.stack("select");
            return stack === undefined ? undefined : stack.getAllConfig();
        });
        if (all === undefined)
            throw new UsageError(`stack ${this.stackName} does not exist: create it with \`pulumi stack init ${this.stackName}\``);
        return decodePulumiConfig(Object.fromEntries(Object.entries(all).map(([key, entry]) => [key, entry.value])));
    }

    /** The stack's outputs; undefined when the stack does not exist or has never been deployed. */
    async outputs(): Promise<StackOutputs | undefined> {
        return this.run("read the outputs of", async () => {
            const stack = await this.stack("select");
            if (stack === undefined) return undefined;
            return toStackOutputs(await stack.outputs(), this.stackName);
        });
    }

    /** One `pulumi up` with `routing` in a temporary copy of the stack's config file, removed afterwards. */
    async up(routing: RoutingOverride | undefined, message: string, signal?: AbortSignal): Promise<StackOutputs> {
        const tempDir = fs.mkdtempSync(path.join(os.tmpdir(), "lambda-rollout-config-"));
        try {
            const configFile = path.join(tempDir, path.basename(this.configFile));
            fs.writeFileSync(configFile, configWithRouting(this.configFile, routing, this.project), { mode: 0o600 });
            return await this.run("update", async () => {
                const stack = (await this.stack("createOrSelect"))!;
                const lines = new LineSplitter(this.onOutput);
                try {
                    // showSecrets: false keeps the SDK's post-up `stack history` from asking to decrypt config.
                    // `signal` cancels the update: the Automation API sends the `pulumi` child SIGINT, and it stops gracefully.
                    const result = await stack.up({
                        configFile,
                        message,
                        onOutput: (chunk) => lines.push(chunk),
                        ...(this.onEvent ? { onEvent: this.onEvent } : {}),
                        showSecrets: false,
                        signal,
                    });
                    const outputs = toStackOutputs(result.outputs, this.stackName);
                    if (outputs === undefined) {
                        throw new InfrastructureError(
                            `the update of stack ${this.stackName} succeeded but the stack has no outputs: does the program at ${this.workDir} export the rollout contract (\`lambdaRollout\`)?`,
                        );
                    }
                    return outputs;
                } finally {
                    lines.flush();
                }
            });
        } finally {
            fs.rmSync(tempDir, { recursive: true, force: true });
        }
    }

    /** The stack's last `limit` updates, newest first; none when the stack does not exist. */
    async history(limit: number): Promise<UpdateRecord[]> {
        if (!Number.isInteger(limit) || limit < 1)
            throw new UsageError(`\`limit\` must be a whole number of updates, 1 or more: got ${limit}`);
        return this.run("read the history of", async () => {
            const stack = await this.stack("select");
            if (stack === undefined) return [];
            // showSecrets false: the records' messages and results need no decrypted config.
            const updates = await stack.history(limit, 1, false);
            return updates
                .map((u) => ({ startTime: new Date(u.startTime), message: u.message ?? "", result: String(u.result) }))
                .sort((a, b) => b.startTime.getTime() - a.startTime.getTime())
                .slice(0, limit);
        });
    }

    /**
     * The workspace's stack, selected once per driver. `select` gives undefined for a stack that does not exist
     * (reading must not create one); `createOrSelect` creates it, as `pulumi up` would need.
     */
    private async stack(mode: "select" | "createOrSelect"): Promise<Stack | undefined> {
        if (this.selected !== undefined) return this.selected;
        const pulumiCommand = this.pulumiRoot === undefined ? undefined : await PulumiCommand.get({ root: this.pulumiRoot });
        const args = { stackName: this.stackName, workDir: this.workDir };
        try {
            this.selected =
                mode === "select"
                    ? await LocalWorkspace.selectStack(args, { pulumiCommand })
                    : await LocalWorkspace.createOrSelectStack(args, { pulumiCommand });
        } catch (err) {
            if (mode === "select" && err instanceof StackNotFoundError) return undefined;
            throw err;
        }
        return this.selected;
    }

    /** Runs one Automation API operation, mapping its errors to the tool's typed errors. */
    private async run<T>(what: string, operation: () => Promise<T>): Promise<T> {
        try {
            return await operation();
        } catch (err) {
            throw mapPulumiError(err, this.stackName, what);
        }
    }
}

/** The installation root of a `<root>/bin/pulumi` executable path; a UsageError for any other shape. */
export function pulumiRootOf(executable: string): string {
    const resolved = path.resolve(executable);
    const root = path.dirname(path.dirname(resolved));
    if (path.join(root, "bin", "pulumi") !== resolved) {
        throw new UsageError(
            `\`pulumiCommand\` must be the path of a pulumi executable named <root>/bin/pulumi (the Automation API finds the CLI there): got ${executable}`,
        );
    }
    return root;
}

/**
 * The text of a copy of the stack's config file with `<project>:routing` set to `routing` (removed when
 * undefined). Every other key, secure values and the file's comments are kept as they are.
 */
export function configWithRouting(configFile: string, routing: RoutingOverride | undefined, project: string = PROJECT): string {
    readConfigFile(configFile); // a clear ConfigFileError for a missing or malformed file
    const key = routingKey(project);
    const doc = parseDocument(fs.readFileSync(configFile, "utf8"));
    if (routing === undefined) doc.deleteIn(["config", key]);
    else doc.setIn(["config", key], doc.createNode(routing));
    return doc.toString();
}

/**
 * The rollout contract (`lambdaRollout`, or the flat outputs of stacks deployed before it) out of the Automation
 * API's `{ value, secret }` outputs; undefined when there are none.
 */
export function toStackOutputs(outputs: OutputMap, stack: string): StackOutputs | undefined {
    const plain: Record<string, unknown> = Object.fromEntries(Object.entries(outputs).map(([key, output]) => [key, output.value]));
    try {
        return readRolloutOutputs(plain);
    } catch (err) {
        if (err instanceof RolloutOutputsError) throw new InfrastructureError(`the outputs of stack ${stack}: ${err.message}`);
        throw err;
    }
}

/** What the Automation API's CommandError keeps about the failed CLI run (private in its typings). */
interface CommandResultView {
    readonly stdout?: string;
    readonly stderr?: string;
    readonly code?: number;
    readonly err?: { readonly code?: unknown; readonly stdout?: unknown; readonly stderr?: unknown; readonly exitCode?: unknown };
}

/** The message for a machine without the Pulumi CLI. */
export function cliMissingMessage(stack: string, detail: string): string {
    return (
        `cannot drive stack ${stack}: the Pulumi CLI is needed for real stacks and was not found (${detail}). ` +
        "Install it (https://www.pulumi.com/docs/install/, or `curl -fsSL https://get.pulumi.com | sh`) and make sure " +
        "`pulumi` is on PATH. `lambda-rollout rehearse` and `lambda-rollout plan` need no CLI."
    );
}

/** The tool's typed error for an Automation API failure; anything unrecognised is returned unchanged. */
export function mapPulumiError(err: unknown, stack: string, what: string): unknown {
    if (err instanceof InfrastructureError || err instanceof UsageError || err instanceof StackLockedError) return err;
    if (err instanceof CommandError) {
        const result = (err as unknown as { commandResult?: CommandResultView }).commandResult ?? {};
        const spawnCode = result.err?.code;
        if (spawnCode === "ENOENT" || spawnCode === "EACCES") {
            const spawnLine = /spawn \S+ E[A-Z]+/.exec(String(result.stderr ?? err.message))?.[0] ?? String(spawnCode);
            return new InfrastructureError(cliMissingMessage(stack, spawnLine));
        }
        const detail = usefulErrorLines(result);
        if (err instanceof ConcurrentUpdateError) {
            return new StackLockedError(`another update holds stack ${stack}: ${detail}`);
        }
        return new InfrastructureError(`pulumi failed to ${what} stack ${stack}: ${detail}`);
    }
    if (err instanceof Error && /Pulumi CLI version|Please update the Pulumi CLI|Please update the SDK/.test(err.message)) {
        return new InfrastructureError(`cannot drive stack ${stack}: ${err.message}`);
    }
    if (err instanceof Error && /^Invalid workDir/.test(err.message)) {
        return new UsageError(`cannot drive stack ${stack}: ${err.message}`);
    }
    return err;
}

/**
 * The CLI's last useful error lines: stderr's lines, else the `error:` lines of the diagnostics on stdout, else
 * the exit code. execa's own wrapper text ("Command failed with exit code ...") is left out.
 */
export function usefulErrorLines(result: CommandResultView): string {
    const stderr = typeof result.err?.stderr === "string" ? result.err.stderr : (result.stderr ?? "");
    const stdout = typeof result.err?.stdout === "string" ? result.err.stdout : (result.stdout ?? "");
    const lines = (text: string) =>
        text
            .split(/\r?\n/)
            .map((line) => line.trim())
            .filter((line) => line !== "" && !line.startsWith("Command failed with exit code"));
    let useful = lines(stderr);
    if (useful.length === 0 || useful.every((line) => !/error/i.test(line))) {
        const diagnostics = lines(stdout).filter((line) => /^error:/i.test(line));
        if (diagnostics.length > 0) useful = [...diagnostics, ...useful];
    }
    if (useful.length === 0) {
        const exitCode = typeof result.err?.exitCode === "number" ? result.err.exitCode : result.code;
        return `the CLI exited with code ${exitCode ?? "unknown"} and printed no error`;
    }
    return useful.slice(-ERROR_LINES).join("\n");
}

/** Turns the CLI's output chunks into whole lines. */
class LineSplitter {
    private pending = "";

    constructor(private readonly sink?: (line: string) => void) {}

    push(chunk: string): void {
        if (!this.sink) return;
        this.pending += chunk;
        const lines = this.pending.split(/\r?\n/);
        this.pending = lines.pop() ?? "";
        for (const line of lines) this.sink(line);
    }

    flush(): void {
        if (this.sink && this.pending !== "") this.sink(this.pending);
        this.pending = "";
    }
}
