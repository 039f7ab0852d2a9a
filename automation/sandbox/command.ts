/**
 * `lambda-rollout sandbox`: starts a sandbox (sandbox.ts), says what it runs and the environment a second shell
 * needs, and runs until Ctrl-C (or SIGTERM, or the terminal closing), when it stops cleanly: its servers closed,
 * its private folder removed. Flags are checked before anything starts (exit 2, nothing opened or written).
 */
import type { PulumiProject } from "../project";
import { readScenario } from "../rehearsal/scenario";
import { parsePort, parseSpeed, realDuration } from "./options";
import { startSandbox, type Sandbox } from "./sandbox";
import { UNSET, sandboxVariables } from "./environment";

/** The verb's flags, the scenario already resolved to a file (a shipped name included). */
export interface SandboxFlags {
    readonly stack: string;
    readonly scenarioFile: string;
    readonly configFile?: string;
    readonly speed?: string;
    readonly port?: string;
    readonly json?: boolean;
}

/** Runs a sandbox until a signal stops it; resolves once it has stopped. */
export async function runSandbox(project: PulumiProject, flags: SandboxFlags): Promise<void> {
    const speed = parseSpeed(flags.speed);
    const port = parsePort(flags.port);
    const scenario = readScenario(flags.scenarioFile);
    // Lines for a person: on stdout, or on stderr when stdout holds the JSON.
    const say = (line: string) => (flags.json ? process.stderr : process.stdout).write(`${line}\n`);
    const sandbox = await startSandbox({
        stack: flags.stack,
        scenario,
        configFile: flags.configFile,
        project,
        speed,
        ...(port !== undefined ? { port } : {}),
        log: say,
    });
    if (flags.json) process.stdout.write(`${JSON.stringify(describeJson(sandbox, flags, scenario.name))}\n`);
    for (const line of describeStart(sandbox, flags, project, scenario)) say(line);
    const signal = await untilStopped();
    say(`${signal}: stopping the sandbox...`);
    await sandbox.close();
    say(
        `stopped: the simulated account and its stand-in pulumi are gone and ${sandbox.dir} is removed; the sandbox's environment in other shells now points at nothing`,
    );
}

/** Resolves with the first of SIGINT, SIGTERM, SIGHUP, the handlers removed. */
function untilStopped(): Promise<NodeJS.Signals> {
    return new Promise((resolve) => {
        const signals: NodeJS.Signals[] = ["SIGINT", "SIGTERM", "SIGHUP"];
        const handlers = signals.map((s) => [s, () => done(s)] as const);
        const done = (s: NodeJS.Signals) => {
            for (const [name, h] of handlers) process.off(name, h);
            resolve(s);
        };
        for (const [name, h] of handlers) process.on(name, h);
    });
}

/** What the sandbox runs, the environment, what to try, how to stop it. */
export function describeStart(
    sandbox: Sandbox,
    flags: SandboxFlags,
    project: PulumiProject,
    scenario: { readonly name: string; readonly seed: number; readonly description?: string },
): string[] {
    const speed = sandbox.anchor.speed;
    const configFlag = flags.configFile ? ` --config-file ${flags.configFile}` : "";
    return [
        `lambda-rollout sandbox: stack ${flags.stack}, scenario "${scenario.name}" (seed ${scenario.seed}), sandbox time ${speed}x real time: a 10-minute bake takes ${realDuration(10, speed)}`,
        ...(scenario.description ? [`  ${scenario.description}`] : []),
        `  a simulated AWS account on ${sandbox.endpoint} (127.0.0.1 only; Lambda, CloudWatch, STS, SNS), traffic flowing per the scenario:`,
        ...Object.entries(sandbox.functions).map(
            ([key, f]) =>
                `    ${key} (${f.functionName}): stable v${f.stable} live, candidate v${f.candidate} published, no traffic on it yet`,
        ),
        `  its stack: the real program under Pulumi's mock engine, reached by the stand-in \`pulumi\` in ${sandbox.dir}/bin (not the Pulumi CLI)`,
        `  sandbox time now: ${new Date(sandbox.anchor.simulatedMs).toISOString()}`,
        ...sandbox.notApplied.map((n) => `  not applied here: ${n}`),
        "",
        `In a second shell, in ${project.root}, set this environment. It is for the sandbox only: it points the AWS SDK, \`pulumi\` and the clock at this sandbox; never keep it in a shell that acts on real stacks.`,
        ...sandbox.exportLines,
        `(or: . ${sandbox.dir}/env)`,
        "",
        "Then try, as on a real stack (--interval and --wait count sandbox seconds):",
        "  npx lambda-rollout promote -y",
        "  npx lambda-rollout status --watch --interval 60     (in another shell with the same environment)",
        "  npx lambda-rollout pause | resume | approve | abort -y | rollback -y",
        ...(configFlag ? [`  (each with${configFlag}, the config the sandbox runs)`] : []),
        "",
        `Ctrl-C here stops the sandbox: its servers close and ${sandbox.dir} is removed.`,
    ];
}

/** `--json`: the same, for a program. */
function describeJson(sandbox: Sandbox, flags: SandboxFlags, scenario: string) {
    return {
        stack: flags.stack,
        scenario,
        speed: sandbox.anchor.speed,
        endpoint: sandbox.endpoint,
        dir: sandbox.dir,
        simulatedStart: new Date(sandbox.anchor.simulatedMs).toISOString(),
        functions: sandbox.functions,
        variables: sandboxVariables(sandbox.environment),
        pathPrepend: sandbox.environment.binDir,
        unset: UNSET,
        exportLines: sandbox.exportLines,
        notApplied: sandbox.notApplied,
        pid: process.pid,
    };
}
