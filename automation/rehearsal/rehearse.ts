/**
 * A rehearsal: the real promote logic and adapters, the real program under the mock engine, against a
 * simulated AWS on a virtual clock. It deploys the stable release and then the candidate (two plain `up`s, as
 * git would), starts the scenario's traffic, runs promote, and counts what users got.
 */
import * as path from "path";
import { loadStackConfig } from "../engine/evaluate";
import { defaultProject, type PulumiProject } from "../project";
import type { StackConfig } from "../../config/stackConfig";
import { UsageError } from "../errors";
import { CloudWatchAdapter } from "../adapters/cloudwatch";
import { LambdaAdapter } from "../adapters/lambda";
import type { Clock } from "../rollout/ports";
import { stepsFor } from "../rollout/steps";
import { promote, type PromoteOptions, type RolloutLog, type RolloutResult } from "../rollout/promote";
import type { RolloutDeps } from "../rollout/ports";
import { pruneAfterPromotion } from "../rollout/prune";
import type { RolloutReport } from "../rollout/report";
import type { StackOutputs } from "../rollout/ports";
import { createRandom, SimulatedAws } from "../simulator";
import type { WireServerOptions } from "../simulator/httpServer";
import { delivery } from "../notify/delivery";
import { slackChannel, teamsChannel, type NotificationChannel } from "../notify/channels";
import { applySimulatorFaults } from "./faults";
import { MockEngineStack, type UpFaults } from "./mockEngineStack";
import { OperatorSchedule, operatorEvents, rehearsedHooks, ScenarioHookRunner } from "./operators";
import { mergeRuns, processFaults, type RunPart, type SignalEvent } from "./runs";
import { missingEntrance, scenarioFor, scenarioForStack, type Scenario } from "./scenario";
import { connect, type RehearsalClients, type Transport } from "./transport";

/** Minute 0 of every rehearsal: a fixed instant, so a seed replays the same run. */
export const REHEARSAL_START = new Date("2026-01-05T09:00:00Z");

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

/** Options of {@link rehearse}. */
export interface RehearseOptions {
    readonly stack: string;
    readonly scenario: Scenario;
    readonly configFile?: string;
    readonly log: RolloutLog;
    /** The project rehearsed (`-C/--cwd`); default this repository's. */
    readonly project?: PulumiProject;
    /** Sees the report after every change (both runs of a killed rehearsal), as the CLI's report file does. */
    readonly observe?: (report: RolloutReport) => void;
    /**
     * How the adapters reach the simulated account (see transport.ts): `in-process` (default), or `http`, the
     * real SDK clients against the simulator served on 127.0.0.1.
     */
    readonly transport?: Transport;
    /** With the `http` transport: the server's options (a test's view of each call, or throttled answers). */
    readonly wire?: WireServerOptions;
    /** Given the simulated account once it exists, so that a caller can read what AWS would hold afterwards (its metrics). */
    readonly simulator?: (sim: SimulatedAws) => void;
    /**
     * Post the stack's Slack and Teams notifications for real: to these URLs (a test's server), or, with
     * `fromEnv`, to the URLs in the variables the config's `urlEnv` names. Without it the rehearsal sends them
     * nowhere (each is recorded as sent; SNS and the metrics always go to the simulated account).
     */
    readonly webhooks?: { readonly slack?: string; readonly teams?: string } | "fromEnv";
    /** Where `urlEnv` is read with `webhooks: "fromEnv"` (default process.env). */
    readonly env?: Readonly<Record<string, string | undefined>>;
}

/** The rehearsal's stand-in for a webhook: posts where `webhooks` says, else only records the send. */
function rehearsedWebhook(webhooks: RehearseOptions["webhooks"]) {
    return (name: "slack" | "teams", envUrl: string | undefined): NotificationChannel => {
        const url = webhooks === "fromEnv" ? envUrl : webhooks?.[name];
        if (!url) return { name, send: async () => undefined };
        return name === "slack" ? slackChannel(url) : teamsChannel(url);
    };
}

/** Where traffic truly ended (read from the simulated account, not from the report), and whether that is safe. */
export interface Safety {
    /** Traffic on stable, or fully promoted after every gate of the run passed. */
    readonly safe: boolean;
    /**
     * Not safe, but no path to AWS worked (every call and every `up` refused, e.g. expired credentials) and the
     * report says so: where traffic is was "unknown", with the command a person can run.
     */
    readonly saidSo: boolean;
    /** Per function, e.g. `v1 100%`. */
    readonly traffic: Record<string, string>;
    readonly why: string;
}

/** A rehearsal's result: the promote's, and the ground truth about where traffic ended. */
export interface RehearsalResult extends RolloutResult {
    readonly safety: Safety;
    /** The simulated account as the rehearsal left it (its custom metrics and SNS publishes, read back by tests). */
    readonly account: SimulatedAws;
}

/** What happens to a rehearsed promote process at given virtual instants. */
export interface ProcessEvents {
    /** The process dies at this instant (epoch ms), wherever it is: inside an `up` or a rollback included. */
    readonly killAtMs?: number;
    /**
     * Signals, in time order, shared with the processes after this one (each takes those that arrive while it is
     * alive): the first aborts the run (with `thenKill`, SIGKILL follows as a CI runner's cancel does); a second
     * makes the command line record what it has and exit at once, as the CLI's second-signal handler does.
     */
    readonly signals?: SignalEvent[];
    /** The process dies right after its rollback decision is recorded, before any traffic moves. */
    readonly killAfterRollbackDecision?: boolean;
    /** Operators acting from other processes at their instants, whichever promote process is alive. */
    readonly operators?: OperatorSchedule;
}

/** A CI runner's cancel: SIGINT, SIGTERM about 7.5 s later, SIGKILL 2.5 s after that. */
export const CANCEL_TO_KILL_MS = 10_000;

/**
 * A virtual clock over the simulated account, and the process it times: sleeping advances the account (and
 * runs the operators' processes whose instants it passes); a scheduled signal aborts `controller` at its
 * instant (waking a sleep that listens for it); a kill stops everything dead there (the sleep, and every later
 * call of the process, never returns).
 */
export class VirtualClock implements Clock {
    killed = false;
    /** How the process died: killed, or exited at once on a second signal. */
    death?: { readonly how: string; readonly by: "kill" | "decision" | "signal" };
    private onKilled: () => void = () => undefined;
    /** Resolves when the process is killed. */
    readonly killedSignal: Promise<void>;
    /** Aborted by the first scheduled signal; the promote's `signal`. */
    readonly controller = new AbortController();
    private killAtMs?: number;
    private readonly signals: SignalEvent[];

    constructor(
        private readonly sim: SimulatedAws,
        private readonly events: ProcessEvents = {},
    ) {
        this.killedSignal = new Promise((resolve) => (this.onKilled = resolve));
        this.killAtMs = events.killAtMs;
        this.signals = events.signals ?? [];
    }

    now(): number {
        return this.sim.now().getTime();
    }

    async sleep(ms: number, signal?: AbortSignal): Promise<void> {
        if (this.killed) return new Promise<void>(() => undefined);
        const target = this.now() + ms;
        for (;;) {
            const next = this.signals[0];
            const signalDue = next !== undefined && next.atMs <= target && (this.killAtMs === undefined || next.atMs < this.killAtMs);
            await this.operatorsUntil(Math.min(target, this.killAtMs ?? Infinity, signalDue ? next.atMs : Infinity));
            if (!signalDue) break;
            this.sim.advance(Math.max(0, next.atMs - this.now()));
            this.signals.shift();
            if (this.controller.signal.aborted) {
                this.death = { how: `exited at once on a second ${next.signal}`, by: "signal" };
                return this.kill();
            }
            if (next.thenKill) this.killAtMs = Math.min(this.killAtMs ?? Infinity, next.atMs + CANCEL_TO_KILL_MS);
            this.controller.abort(next.signal);
            if (signal?.aborted) return;
        }
        if (this.killAtMs !== undefined && target >= this.killAtMs) {
            this.sim.advance(Math.max(0, this.killAtMs - this.now()));
            this.death = { how: "killed", by: "kill" };
            return this.kill();
        }
        this.sim.advance(Math.max(0, target - this.now()));
    }

    /** Runs the operators' processes due by `until` (each at its instant); a sleep then goes on to its own end. */
    private async operatorsUntil(until: number): Promise<void> {
        const ops = this.events.operators;
        for (let at = ops?.next(); ops && at !== undefined && at <= until; at = ops.next()) {
            this.sim.advance(Math.max(0, at - this.now()));
            await ops.runNext();
        }
    }

    /** The rehearsal's `killed` fault with `after: "rollback-decision"`. */
    async checkpoint(point: "rollback-decision"): Promise<void> {
        if (point === "rollback-decision" && this.events.killAfterRollbackDecision) {
            this.death = { how: "killed right after recording its rollback decision", by: "decision" };
            return this.kill();
        }
    }

    /** Stops the process dead: from now on nothing it calls returns. */
    kill(): Promise<void> {
        this.killed = true;
        this.onKilled();
        return new Promise<void>(() => undefined);
    }

    /** `target` as this process sees it: once the process is dead, none of its calls returns. */
    bind<T extends object>(target: T): T {
        return new Proxy(target, {
            get: (obj, prop, receiver) => {
                const value = Reflect.get(obj, prop, receiver);
                if (typeof value !== "function") return value;
                return (...args: unknown[]) => {
                    if (this.killed) return new Promise(() => undefined);
                    const out = value.apply(obj, args);
                    return out instanceof Promise ? out.then((v) => (this.killed ? new Promise(() => undefined) : v)) : out;
                };
            },
        });
    }
}

/** Runs a scenario against a stack's config. */
export async function rehearse(options: RehearseOptions): Promise<RehearsalResult> {
    const opened: RehearsalClients[] = [];
    try {
        return await rehearseOver(options, async (sim) => {
            const clients = await connect(sim, options.transport ?? "in-process", options.wire);
            opened.push(clients);
            return clients;
        });
    } finally {
        await Promise.all(opened.map((clients) => clients.close()));
    }
}

/** One stack staged in a simulated account of its own, as a rehearsal starts it: what its rollout runs against. */
export interface StagedStack {
    readonly sim: SimulatedAws;
    readonly stack: MockEngineStack;
    readonly config: StackConfig;
    /** The stack's function keys. */
    readonly names: string[];
    readonly stableOutputs: StackOutputs;
    readonly candidateOutputs: StackOutputs;
    /** The tool's adapters, over the transport asked. */
    readonly adapters: { readonly lambda: LambdaAdapter; readonly metrics: CloudWatchAdapter };
    readonly hooks: ScenarioHookRunner;
    /** Version retention after a promotion, when the stack's config asks for it. */
    readonly afterPromotion?: () => ReturnType<typeof pruneAfterPromotion>;
}

/** What {@link stageStack} needs: the stack, its scenario (already the stack's own, see scenarioForStack), where it is. */
export interface StageOptions {
    readonly stack: string;
    readonly scenario: Scenario;
    readonly configFile?: string;
    readonly project: PulumiProject;
    readonly log: RolloutLog;
    readonly simulator?: (sim: SimulatedAws) => void;
    readonly connectTo: (sim: SimulatedAws) => Promise<RehearsalClients>;
}

/**
 * The world before the rollout, in a simulated account of the stack's own: the config read (bad input refused
 * before anything is simulated, with the key path), the stable release deployed and live, the candidate published
 * by a plain `up`, the scenario's traffic, profiles, smoke answers and AWS faults in place, stable's history
 * backfilled, and the tool's adapters connected. `rehearse` stages one stack; `rehearse --waves` one per stack.
 */
export async function stageStack(options: StageOptions): Promise<StagedStack> {
    const { scenario, log, project } = options;
    const config = loadStackConfig(options.stack, options.configFile, undefined, project).stackConfig;
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
    sim.backfill(baselineMinutes(config.rollout.gates.baseline));

    const clients = await options.connectTo(sim);
    const adapters = { lambda: new LambdaAdapter(clients.lambda), metrics: new CloudWatchAdapter(clients.cloudWatch) };
    const hooks = new ScenarioHookRunner(scenario.hooks);
    // Version retention after a promotion, as the stack's config asks, against the simulated account's versions.
    const afterPromotion = config.retention.afterPromotion
        ? () => pruneAfterPromotion({ stack, lambda: adapters.lambda, log }, { stackName: options.stack, retention: config.retention })
        : undefined;
    return { sim, stack, config, names, stableOutputs, candidateOutputs, adapters, hooks, ...(afterPromotion ? { afterPromotion } : {}) };
}

async function rehearseOver(
    options: RehearseOptions,
    connectTo: (sim: SimulatedAws) => Promise<RehearsalClients>,
): Promise<RehearsalResult> {
    const { log } = options;
    const scenario = scenarioForStack(options.scenario, options.stack);
    const project = options.project ?? defaultProject();
    const { sim, stack, config, names, stableOutputs, candidateOutputs, adapters, hooks, afterPromotion } = await stageStack({
        stack: options.stack,
        scenario,
        configFile: options.configFile,
        project,
        log,
        simulator: options.simulator,
        connectTo,
    });
    // Notifications and deployment metrics: SNS and CloudWatch are the simulated account's (in-process whatever
    // the transport), the webhooks as `options.webhooks` says.
    const notify = delivery({
        notifications: config.notifications,
        stack: options.stack.split("/").at(-1)!,
        env: options.env ?? process.env,
        cloudWatch: sim.cloudWatch,
        sns: { client: sim.sns, topicArn: candidateOutputs.alarmTopicArn },
        now: () => sim.now(),
        warn: (line) => log.line(line),
        webhook: rehearsedWebhook(options.webhooks),
    });
    // The retries' jitter draws from a stream of its own, so a seed replays the same run.
    const jitter = createRandom(scenario.seed, JITTER_STREAM);
    const random = () => jitter.uniform();
    // Operators act from processes of their own, on the same virtual timeline (operators.ts).
    const operators = new OperatorSchedule(operatorEvents(scenario, REHEARSAL_START.getTime()), {
        now: () => sim.now().getTime(),
        advanceTo: (ms) => sim.advance(Math.max(0, ms - sim.now().getTime())),
        stack: (clock) => stack.withClock(clock),
        deps: { lambda: adapters.lambda, random },
        stackName: options.stack,
        log,
        startMs: REHEARSAL_START.getTime(),
    });
    stack.duringUp = (step) => operators.duringUp(step);
    const runs = await runProcesses(scenario, sim, stack, {
        promoteOptions: { stackName: options.stack, hooks: rehearsedHooks(scenario), policy: config.rollout },
        deps: { lambda: adapters.lambda, metrics: adapters.metrics, log, random, hooks, afterPromotion },
        operators,
        observe: (report) => {
            options.observe?.(report);
        },
        notify: (report) => notify.observe(report),
    });
    // The operators still at work once no promote runs (an abort confirming itself) finish on the same timeline.
    await operators.drain();
    let result: RolloutResult = { ...runs.last, report: { ...mergeRuns(runs.parts), ...warnUnapplied(runs.unapplied, operators) } };
    if (operators.outcomes.length > 0) result.report.operatorVerbs = operators.outcomes.map((o) => ({ ...o }));

    // What users got: every request of the rehearsal, through to its end.
    let total = 0;
    let candidate = 0;
    let candidateErrors = 0;
    for (const key of names) {
        const counts = sim.requestCounts(candidateOutputs.functions[key].functionName);
        const v = counts.byVersion[candidateOutputs.functions[key].candidateVersion];
        total += counts.total;
        candidate += v?.requests ?? 0;
        candidateErrors += (v?.errors ?? 0) + (v?.throttles ?? 0);
    }
    result.report.requests = { total, candidate, candidateErrors };
    result = { ...result, report: await notify.finish(result.report) };
    options.observe?.(result.report);
    const versions = Object.fromEntries(
        names.map((key) => [
            key,
            { stable: stableOutputs.functions[key].candidateVersion, candidate: candidateOutputs.functions[key].candidateVersion },
        ]),
    );
    return { ...result, safety: safetyOf(sim, candidateOutputs, versions, result.report), account: sim };
}

/**
 * The promise every rehearsal is held to: each function's traffic all on its stable version, or all on the
 * candidate with the outcome "promoted" and no step failed or left without a verdict.
 */
export function safetyOf(
    sim: SimulatedAws,
    outputs: StackOutputs,
    versions: Record<string, { stable: string; candidate: string }>,
    report: RolloutReport,
): Safety {
    const traffic: Record<string, string> = {};
    const problems: string[] = [];
    const gatesPassed =
        report.outcome === "promoted" &&
        report.steps.every((s) => s.verdict === "passed" || s.verdict === "extended" || s.verdict === "interrupted");
    for (const [key, v] of Object.entries(versions)) {
        const { functionName, aliasName } = outputs.functions[key];
        const r = sim.aliasRouting(functionName, aliasName);
        traffic[key] = !r
            ? "no alias"
            : r.additional
              ? `v${r.primaryVersion} ${round1((1 - r.additional.weight) * 100)}% + v${r.additional.version} ${round1(r.additional.weight * 100)}%`
              : `v${r.primaryVersion} 100%`;
        const onStable = r !== undefined && !r.additional && r.primaryVersion === v.stable;
        const promoted = r !== undefined && !r.additional && r.primaryVersion === v.candidate && gatesPassed;
        if (!onStable && !promoted)
            problems.push(
                `${key}: ${traffic[key]}${r?.primaryVersion === v.candidate && !r.additional ? " on a candidate whose gates did not all pass" : ""}`,
            );
    }
    // Not safe but said so: no path to AWS worked (traffic "unknown", the command to run), or a record that cannot
    // be read held the run (nothing moved; the raw text, the stable the stack's history names and the commands said).
    const saidSo =
        problems.length > 0 &&
        report.outcome === "failed" &&
        Object.keys(versions).every(
            (key) =>
                (report.functions[key]?.finalRouting === "unknown" && report.functions[key]?.manualRollback !== undefined) ||
                report.unreadableRecords?.[key] !== undefined ||
                !problems.some((p) => p.startsWith(`${key}:`)),
        );
    return {
        safe: problems.length === 0,
        saidSo,
        traffic,
        why:
            problems.length === 0
                ? "every function on stable, or promoted after every gate passed"
                : saidSo
                  ? report.unreadableRecords
                      ? `${problems.join("; ")}: a rollout record that cannot be read held the run; the report gives its text, the stable the stack's history names and the commands`
                      : `${problems.join("; ")}: no path to AWS worked, and the report says traffic is unknown and gives the command to run`
                  : problems.join("; "),
    };
}

/** The random stream of the rollback's retry jitter (see createRandom): 'jit'. */
const JITTER_STREAM = 0x6a6974;

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

/** What the rehearsal's promote processes need besides the clock each one gets. */
interface ProcessSetup {
    readonly promoteOptions: PromoteOptions;
    readonly deps: Pick<RolloutDeps, "lambda" | "metrics" | "log" | "random" | "hooks" | "afterPromotion">;
    readonly operators: OperatorSchedule;
    /** Sees the rehearsal's report so far (the processes' reports as one) after every change. */
    readonly observe: (report: RolloutReport) => void;
    /** Sees each process's own report (the notifications follow the promote processes). */
    readonly notify: (report: RolloutReport) => void;
}

/**
 * Runs promote processes one after another until one ends: each meets the scenario's kills and signals that land
 * while it is alive (every one of a kind, in order), and a process that dies is followed by a promote run again,
 * as a person or a CI retry would. Returns each process's part and the faults no process was alive for.
 */
async function runProcesses(
    scenario: Scenario,
    sim: SimulatedAws,
    stack: MockEngineStack,
    setup: ProcessSetup,
): Promise<{ parts: RunPart[]; last: RolloutResult; unapplied: string[] }> {
    const faults = processFaults(scenario.faults, REHEARSAL_START.getTime());
    const kills = [...faults.kills];
    const signals = [...faults.signals];
    let decisionKills = faults.killsAfterRollbackDecision;
    const parts: RunPart[] = [];
    for (let run = 1; ; run++) {
        const startedAtMinute = minuteOf(sim);
        const clock = new VirtualClock(sim, {
            killAtMs: kills[0],
            signals,
            killAfterRollbackDecision: decisionKills > 0,
            operators: setup.operators,
        });
        stack.clock = clock;
        stack.releaseLock();
        const so = (report: RolloutReport) => mergeRuns([...parts, { report, startedAtMinute }]);
        let latest: RolloutReport | undefined;
        const running = promote(
            {
                ...setup.deps,
                stack: clock.bind(stack),
                lambda: clock.bind(setup.deps.lambda),
                metrics: clock.bind(setup.deps.metrics),
                clock,
                signal: clock.controller.signal,
                checkpoint: (point) => clock.checkpoint(point),
                ownerId: `0000000${run}`.slice(-8),
                observe: (r) => {
                    latest = structuredClone(r);
                    setup.observe(so(latest));
                    setup.notify(r);
                },
            },
            setup.promoteOptions,
        );
        const ended = await Promise.race([running, clock.killedSignal.then(() => undefined)]);
        if (ended) {
            parts.push({ report: ended.report, startedAtMinute });
            const unapplied = [
                ...kills.map((at) => `killed at minute ${round1((at - REHEARSAL_START.getTime()) / 60000)}`),
                ...signals.map((s) => `${s.signal} at minute ${round1((s.atMs - REHEARSAL_START.getTime()) / 60000)}`),
                ...Array.from({ length: decisionKills }, () => "killed after the rollback decision"),
            ];
            return { parts, last: ended, unapplied };
        }
        if (clock.death?.by === "kill") kills.shift();
        if (clock.death?.by === "decision") decisionKills -= 1;
        const diedAt = minuteOf(sim);
        setup.deps.log.line(
            `[min ${diedAt}] ${clock.death?.how.toUpperCase() ?? "KILLED"}: the promote process stopped dead; traffic stays as it was. Running promote again...`,
        );
        const report = latest ?? emptyReport(scenario);
        parts.push({
            report,
            startedAtMinute,
            died: { atMinute: diedAt, how: clock.death?.how ?? "killed", weight: liveWeightOf(latest, await stack.outputs()) },
        });
        if (clock.death?.by === "signal") {
            report.interrupt ??= String(clock.controller.signal.reason);
            report.error = `${report.error ? `${report.error}; ` : ""}${clock.death.how}`;
        }
    }
}

/** A report for a process that died before it recorded anything. */
function emptyReport(scenario: Scenario): RolloutReport {
    return {
        outcome: "failed",
        stack: scenario.stack ?? "",
        strategy: "",
        functions: {},
        steps: [],
        decisionAtMinute: null,
        durationMinutes: 0,
    };
}

/** Faults no process was alive for, and operator events that never ran: warnings, so the rehearsal never claims what it did not do. */
function warnUnapplied(unapplied: readonly string[], operators: OperatorSchedule): Pick<RolloutReport, "warnings"> | Record<string, never> {
    const lines = [
        ...unapplied.map((f) => `rehearsal: the fault "${f}" did not apply: no promote process was alive then`),
        ...operators
            .unrun()
            .map((e) =>
                e.duringUp !== undefined
                    ? `rehearsal: the abort inside step ${e.duringUp}'s up did not apply: that up never ran`
                    : `rehearsal: the operator's ${e.action} at minute ${e.minute} did not run`,
            ),
    ];
    return lines.length > 0 ? { warnings: lines } : {};
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

/** The candidate's weight in the stack's last outputs (the step a killed run was in). */
function liveWeightOf(report: RolloutReport | undefined, outputs: StackOutputs | undefined): number {
    const fn = Object.values(outputs?.functions ?? {})[0];
    const key = Object.keys(outputs?.functions ?? {})[0];
    const candidate = key ? report?.functions[key]?.candidate : undefined;
    return fn && candidate ? (fn.liveWeights[candidate] ?? 0) : 0;
}

function minuteOf(sim: SimulatedAws): number {
    return round1((sim.now().getTime() - REHEARSAL_START.getTime()) / 60000);
}

function round1(n: number): number {
    return Math.round(n * 10) / 10;
}
