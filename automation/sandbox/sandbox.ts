/**
 * A sandbox for live operations: the rehearsal's simulated account (the stack deployed as a rehearsal stages it:
 * stable live, candidate published, the scenario's traffic and faults; automation/rehearsal/account.ts) on a real
 * clock sped up by a factor, served where the real command line in a second shell reaches it as it reaches a real
 * stack: AWS over HTTP on 127.0.0.1 (automation/simulator/httpServer.ts), the stack through a stand-in `pulumi`
 * whose calls the sandbox applies with the rehearsal's mock-engine stack, and the time through
 * `LAMBDA_ROLLOUT_SANDBOX_CLOCK`. Nothing of the tool runs here: the verbs run in the other shell, with the
 * real wiring (automation/wiring/real.ts).
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import type { RoutingOverride } from "../../config/stackConfig";
import { loadStackConfig, stackConfigPath } from "../engine/evaluate";
import { UsageError } from "../errors";
import type { PulumiProject } from "../project";
import { scenarioAccount } from "../rehearsal/account";
import type { Scenario } from "../rehearsal/scenario";
import { serveHttp, type WireServer } from "../simulator/httpServer";
import { parseStackName } from "../stackName";
import { formatClockAnchor, scaledClock, type ClockAnchor } from "../wiring/sandboxClock";
import { exportLines, processEnvironment, sandboxAccessKey, type EnvironmentParts } from "./environment";
import { Pacer } from "./pacer";
import { answerPulumi, type SandboxStack } from "./pulumiAnswers";
import { servePulumi, type PulumiServer } from "./pulumiServer";
import { writeStandIn, type PulumiAnswer, type PulumiCall } from "./standInPulumi";

/** What a sandbox runs. */
export interface SandboxOptions {
    /** The stack, as the command line names it. */
    readonly stack: string;
    readonly scenario: Scenario;
    readonly configFile?: string;
    readonly project: PulumiProject;
    /** Sandbox seconds per real second. */
    readonly speed: number;
    /** The simulated AWS's port on 127.0.0.1; default one the system picks. */
    readonly port?: number;
    /** Where the sandbox says what happens to its stack (each `up`). */
    readonly log: (line: string) => void;
    /** Where its private folder is made; default the system's temporary folder. */
    readonly tmpDir?: string;
    /** Who the verbs act as (`ROLE.SESSION`); default the role `lambda-rollout-sandbox`, a session named after the user. */
    readonly accessKeyId?: string;
    /** Sees each call of the stand-in `pulumi` and the sandbox's answer (a test's view of what the Automation API ran). */
    readonly observe?: (call: PulumiCall, answer: PulumiAnswer) => void;
}

/** A running sandbox. */
export interface Sandbox {
    /** The simulated AWS, `http://127.0.0.1:<port>`. */
    readonly endpoint: string;
    /** Its private folder (the stand-in `pulumi`, its socket, the environment file). */
    readonly dir: string;
    readonly anchor: ClockAnchor;
    readonly environment: EnvironmentParts;
    /** The shell lines a second shell runs (also in `<dir>/env`). */
    readonly exportLines: readonly string[];
    /** The functions: name, stable version live, candidate published. */
    readonly functions: Readonly<Record<string, { functionName: string; stable: string; candidate: string }>>;
    /** What of the scenario the sandbox does not apply (a person is the operator here). */
    readonly notApplied: readonly string[];
    /** The environment a process acting on the sandbox gets (`base` with the sandbox's variables). */
    processEnv(base: NodeJS.ProcessEnv): Record<string, string>;
    /** Stops the clock and both servers and removes the private folder. */
    close(): Promise<void>;
}

/** The account's history before the sandbox starts: the day of traffic promote's power statement reads from CloudWatch. */
export const HISTORY_MINUTES = 24 * 60;

/** The scenario's faults a rehearsal plays as processes and operators: in the sandbox a person does that. */
const PEOPLE_FAULTS = new Set(["killed", "interrupt", "approve", "abort", "pause", "promote-full"]);

/** Starts a sandbox; bad input (the stack, its config, the scenario, a port in use) is a UsageError with nothing left behind. */
export async function startSandbox(options: SandboxOptions): Promise<Sandbox> {
    const { scenario, project } = options;
    const config = loadStackConfig(options.stack, options.configFile, undefined, project).stackConfig;
    // A day of stable's traffic before the start, as a real account has: what promote's power statement reads.
    const account = await scenarioAccount({ ...options, historyMinutes: HISTORY_MINUTES }, config, project);
    const { sim } = account;
    const notApplied = [
        ...scenario.faults
            .filter((f) => PEOPLE_FAULTS.has(f.kind))
            .map((f) => `the fault "${f.kind}" (kill, interrupt or act from a shell yourself)`),
        ...(scenario.hooks ? ["the scenario's hook answers (the command line runs the stack's own hooks, for real)"] : []),
    ];

    let aws: WireServer | undefined;
    let pulumi: PulumiServer | undefined;
    let dir: string | undefined;
    const anchor: ClockAnchor = { simulatedMs: sim.now().getTime(), wallMs: Date.now(), speed: options.speed };
    const pacer = new Pacer(sim, scaledClock(anchor));
    const close = async () => {
        pacer.stop();
        await Promise.all([aws?.close(), pulumi?.close()]);
        if (dir) fs.rmSync(dir, { recursive: true, force: true });
    };
    try {
        aws = await serveHttp(sim, {
            ...(options.port !== undefined ? { port: options.port } : {}),
            // Every request reads the account at the sandbox's time.
            intercept: () => {
                pacer.catchUp();
                return undefined;
            },
        }).catch((err: NodeJS.ErrnoException) => {
            if (err.code === "EADDRINUSE" || err.code === "EACCES")
                throw new UsageError(
                    `\`--port\` (got ${options.port}): 127.0.0.1:${options.port} cannot be listened on (${err.code === "EADDRINUSE" ? "in use" : "not allowed"}); choose another, or leave --port out for one the system picks`,
                );
            throw err;
        });
        dir = fs.mkdtempSync(path.join(options.tmpDir ?? os.tmpdir(), "lambda-rollout-sandbox-"));
        const socket = path.join(dir, "pulumi.sock");
        const binDir = writeStandIn(dir, socket);
        account.stack.clock = pacer.stackClock();
        const stack = sandboxStack(options, account.stack, pacer);
        pulumi = await servePulumi(socket, async (call, signal) => {
            const answer = await answerPulumi(call, stack, signal);
            options.observe?.(call, answer);
            return answer;
        });
        pacer.start();
        const environment: EnvironmentParts = {
            endpoint: aws.endpoint,
            binDir,
            stack: options.stack,
            region: config.region,
            clock: formatClockAnchor(anchor),
            accessKeyId: options.accessKeyId ?? sandboxAccessKey(),
        };
        const lines = exportLines(environment);
        fs.writeFileSync(path.join(dir, "env"), `${lines.join("\n")}\n`, { mode: 0o600 });
        const functions = Object.fromEntries(
            account.names.map((key) => [
                key,
                {
                    functionName: account.candidateOutputs.functions[key].functionName,
                    stable: account.stableOutputs.functions[key].candidateVersion,
                    candidate: account.candidateOutputs.functions[key].candidateVersion,
                },
            ]),
        );
        return {
            endpoint: aws.endpoint,
            dir,
            anchor,
            environment,
            exportLines: lines,
            functions,
            notApplied,
            processEnv: (base) => processEnvironment(environment, base),
            close,
        };
    } catch (err) {
        await close();
        throw err;
    }
}

/** The sandbox's stack as its stand-in `pulumi` acts on it: the rehearsal's mock-engine stack, each `up` told. */
function sandboxStack(options: SandboxOptions, stack: Awaited<ReturnType<typeof scenarioAccount>>["stack"], pacer: Pacer): SandboxStack {
    const at = () => new Date(pacer.clock.now()).toISOString().slice(11, 19);
    return {
        stack: parseStackName(options.stack, options.project.name).name,
        project: options.project,
        configFile: stackConfigPath(options.stack, options.configFile, options.project),
        exportedOutputs: () => stack.exportedOutputs(),
        history: () => stack.history(Number.MAX_SAFE_INTEGER),
        up: async (routing: RoutingOverride | undefined, message: string, signal: AbortSignal) => {
            options.log(`[${at()}] up: ${message || "(no message)"}`);
            try {
                const outputs = await stack.up(routing, message, signal);
                options.log(`[${at()}] up done: ${describeRouting(routing)}`);
                return outputs;
            } catch (err) {
                options.log(`[${at()}] up failed: ${(err as Error).message}`);
                throw err;
            }
        },
    };
}

function describeRouting(routing: RoutingOverride | undefined): string {
    if (!routing) return "a plain up (live routing kept)";
    return Object.entries(routing)
        .map(
            ([fn, r]) =>
                `${fn} v${r.stable} ${Math.round((1 - r.weight) * 1000) / 10}% / v${r.candidate} ${Math.round(r.weight * 1000) / 10}%`,
        )
        .join(", ");
}
