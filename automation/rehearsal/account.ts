/**
 * The scenario's account: a simulated AWS with the stack deployed as git would have it (the stable release, then
 * the candidate published by a plain `up`), the scenario's traffic, version profiles, smoke-test answers, faults
 * and history; checked against the stack before anything is simulated.
 */
import * as path from "path";
import type { StackConfig } from "../../config/stackConfig";
import { UsageError } from "../errors";
import type { PulumiProject } from "../project";
import type { StackOutputs } from "../rollout/ports";
import { stepsFor } from "../rollout/steps";
import { SimulatedAws } from "../simulator";
import { REHEARSAL_START } from "./clock";
import { applySimulatorFaults } from "./faults";
import { MockEngineStack, type UpFaults } from "./mockEngineStack";
import { missingEntrance, scenarioFor, type Scenario } from "./scenario";

/**
 * Minutes of user traffic the simulated account is given before minute 0 (SimulatedAws.backfill): the stack's
 * `rollout.gates.baseline` (seconds), rounded up to whole minutes; 0 gives none. When the rollout starts, the
 * gates read stable's invocations and errors over that window before it as stable's baseline. A real account
 * has that history (stable served users all along); a simulated one starts empty at minute 0, so without the
 * backfill the baseline would read nothing and the rehearsal would not test it.
 */
export function baselineMinutes(baselineSeconds: number): number {
    return Math.max(0, Math.ceil(baselineSeconds / 60));
}

/** The scenario's account, ready for the promote: the account, its stack, and the stack's outputs before and after the candidate. */
export interface ScenarioAccount {
    readonly sim: SimulatedAws;
    readonly stack: MockEngineStack;
    readonly stableOutputs: StackOutputs;
    readonly candidateOutputs: StackOutputs;
    /** The stack's functions, by key. */
    readonly names: string[];
}

/**
 * Builds the scenario's account for a stack's config, once the scenario is known to fit the config's steps
 * ({@link checkScenarioSteps}: refused, exit 2, before anything is simulated).
 */
export async function scenarioAccount(
    options: {
        readonly stack: string;
        readonly scenario: Scenario;
        readonly configFile?: string;
        readonly simulator?: (sim: SimulatedAws) => void;
        /**
         * Minutes of stable's traffic before minute 0, when more than the gates' baseline is wanted (the sandbox:
         * a real account has the day the power statement reads); default the baseline's (baselineMinutes).
         */
        readonly historyMinutes?: number;
    },
    config: StackConfig,
    project: PulumiProject,
): Promise<ScenarioAccount> {
    const { scenario } = options;
    checkScenarioSteps(scenario, stepsFor(config.rollout).length, options.stack);
    const sim = new SimulatedAws({
        seed: scenario.seed,
        startTime: REHEARSAL_START,
        metricDelayMinutes: scenario.metricDelayMinutes,
        transientRoutingMs: 5_000,
        executedVersionWithoutSplit: scenario.executedVersionWithoutSplit === "published",
        // The stable and the candidate are published by the two `up`s below: the history comes before them.
        priorVersions: scenario.versions === undefined ? 0 : scenario.versions - 2,
    });
    options.simulator?.(sim);
    const stack = new MockEngineStack({ stack: options.stack, configFile: options.configFile, sim, faults: upFaults(scenario), project });

    // The world before the rollout: the stable release live, then the candidate published by a plain `up`.
    const stableOutputs = await stack.deploy("rehearsal-stable", "deploy the stable release");
    const names = Object.keys(stableOutputs.functions);
    for (const key of Object.keys(scenario.functions)) {
        if (key !== "*" && !names.includes(key)) {
            throw new UsageError(
                `scenario ${scenario.name} names function "${key}", which stack ${options.stack} does not have (functions: ${names.join(", ")})`,
            );
        }
    }
    for (const key of names) {
        const fnConfig = config.functions.find((f) => f.name === key);
        const missing = fnConfig && missingEntrance(scenarioFor(scenario, key).source, fnConfig);
        if (missing) {
            throw new UsageError(
                `scenario ${scenario.name} sends ${key}'s traffic through \`source: ${scenarioFor(scenario, key).source}\`, but ${missing}`,
            );
        }
    }
    const candidateOutputs = await stack.deploy("rehearsal-candidate", "deploy the candidate release");
    applySimulatorFaults(sim, scenario.faults, candidateOutputs.functions);
    for (const key of names) {
        const fn = scenarioFor(scenario, key);
        const { functionName, aliasName } = candidateOutputs.functions[key];
        const stableVersion = stableOutputs.functions[key].candidateVersion;
        const candidateVersion = candidateOutputs.functions[key].candidateVersion;
        sim.setTraffic(functionName, aliasName, fn.requestsPerMinute, { asynchronous: fn.source === "async" });
        if (fn.provisionedConcurrency) sim.setProvisionedConcurrency(functionName, aliasName, fn.provisionedConcurrency);
        sim.setVersionProfile(functionName, stableVersion, fn.stable);
        sim.setVersionProfile(functionName, candidateVersion, fn.candidate);
        const index = config.functions.findIndex((f) => f.name === key);
        const smokeAnswer = await smokeResponse(
            project,
            index,
            config.functions[index].codeDir,
            config.rollout.smokeTest?.payload ?? { test: true },
        );
        sim.setInvokeHandler(functionName, stableVersion, () => ({ payload: smokeAnswer }));
        sim.setInvokeHandler(functionName, candidateVersion, () =>
            fn.smokeTest === "pass"
                ? { payload: smokeAnswer }
                : { payload: { errorType: "Error", errorMessage: "rehearsed smoke-test failure" }, functionError: "Unhandled" },
        );
    }
    // Stable's history before minute 0, for the gates' baseline (see baselineMinutes); the rehearsal's minutes,
    // requests counted and traffic of the seed stay as they were.
    sim.backfill(Math.max(options.historyMinutes ?? 0, baselineMinutes(config.rollout.gates.baseline)));

    return { sim, stack, stableOutputs, candidateOutputs, names };
}

/**
 * The `up` faults of a scenario. Two of one kind both apply: the earliest step counts (from it on every `up`
 * fails), and `"rollback"` (only the rollback's `up`) is kept when it is the only one.
 */
export function upFaults(scenario: Scenario): UpFaults {
    const earliest = (kind: "up-fails" | "lock-conflict") => {
        const at = scenario.faults.flatMap((f) => (f.kind === kind ? [f.atStep] : []));
        const steps = at.filter((a): a is number => typeof a === "number");
        return steps.length > 0 ? Math.min(...steps) : at.length > 0 ? ("rollback" as const) : undefined;
    };
    return { upFailsAtStep: earliest("up-fails"), lockConflictAtStep: earliest("lock-conflict") };
}

/**
 * A step the scenario names must be one the stack's strategy has (`atStep` of up-fails and lock-conflict,
 * `duringUp` of abort): one beyond them would never fire, and the rehearsal would prove nothing.
 */
export function checkScenarioSteps(scenario: Scenario, steps: number, stack: string): void {
    scenario.faults.forEach((f, i) => {
        const named =
            (f.kind === "up-fails" || f.kind === "lock-conflict") && typeof f.atStep === "number"
                ? { field: "atStep", step: f.atStep }
                : f.kind === "abort" && f.duringUp !== undefined
                  ? { field: "duringUp", step: f.duringUp }
                  : undefined;
        if (named && named.step > steps) {
            throw new UsageError(
                `scenario ${scenario.name}: \`faults[${i}].${named.field}\` (got ${named.step}): stack ${stack}'s strategy has ${steps} step${steps === 1 ? "" : "s"}, so it must be 1 to ${steps}`,
            );
        }
    });
}

/**
 * What the function's real handler answers to the smoke payload (run here, in-process, once). Code that cannot
 * be loaded is a usage error naming the function's `codeDir` (its existence is checked with the config).
 */
async function smokeResponse(project: PulumiProject, index: number, codeDir: string, payload: unknown): Promise<unknown> {
    const dir = path.resolve(project.root, codeDir);
    let handler: unknown;
    try {
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        handler = (require(dir) as { handler?: unknown }).handler;
    } catch (err) {
        throw new UsageError(
            `\`${project.name}:functions[${index}].codeDir\` (got ${JSON.stringify(codeDir)}): the rehearsal cannot load the function's code from ${dir}: ${(err as Error).message.split("\n")[0]}`,
        );
    }
    if (typeof handler !== "function") {
        throw new UsageError(
            `\`${project.name}:functions[${index}].codeDir\` (got ${JSON.stringify(codeDir)}): the code in ${dir} exports no \`handler\` function for the rehearsal's smoke test`,
        );
    }
    return handler(payload, { functionVersion: "rehearsal" });
}
