/**
 * `rehearse --waves <plan> --scenario S`: the release rehearsed like everything else. Each stack of the plan gets
 * a simulated account of its own, staged as `rehearse -s <stack>` stages one (automation/rehearsal/rehearse.ts's
 * stageStack, with the scenario's `stacks` entry for it and the faults naming it), and all of them live on one
 * virtual timeline (timeline.ts): the release's process, killed and run again as the scenario says, drives the
 * real release loop (release.ts) over the real promote of each stack; operators act from processes of their own,
 * on one stack (`stack` on the event) or on the whole release. What users got, and where traffic ended, is read
 * from each simulated account.
 */
import { UsageError } from "../errors";
import { defaultProject, type PulumiProject } from "../project";
import type { OperatorCommand } from "../rollout/operator";
import type { RolloutLog, UpdateRecord } from "../rollout/ports";
import type { RolloutReport } from "../rollout/report";
import { REHEARSAL_OPERATOR, REHEARSAL_OPERATOR_PRINCIPAL, rehearsedHooks } from "../rehearsal/operators";
import { REHEARSAL_START, safetyOf, stageStack, type Safety, type StagedStack } from "../rehearsal/rehearse";
import { CANCEL_TO_KILL_MS } from "../rehearsal/rehearse";
import { scenarioForStack, type Scenario } from "../rehearsal/scenario";
import { connect, type RehearsalClients, type Transport } from "../rehearsal/transport";
import type { SdkClient } from "../../domain/sdk";
import { createRandom, type SimulatedAws } from "../simulator";
import { planStacks, type WavePlan } from "./plan";
import { release, type ReleaseResult } from "./release";
import { mergeReleaseRuns, type ReleaseReport } from "./report";
import type { StackWorld } from "./stack";
import { Timeline, type TimedSignal, type TimelineProcess } from "./timeline";
import { operateRelease } from "./verbs";
import { operateStack } from "./stack";

/** Options of {@link rehearseWaves}. */
export interface RehearseWavesOptions {
    readonly plan: WavePlan;
    readonly scenario: Scenario;
    readonly log: RolloutLog;
    readonly project?: PulumiProject;
    /** A stack's config file instead of its Pulumi.<stack>.yaml (a test's, the scale bench's). */
    readonly configFile?: (stack: string) => string | undefined;
    /** How each stack's adapters reach its simulated account (transport.ts). */
    readonly transport?: Transport;
    /** Sees the report after every change (every run of the release as one). */
    readonly observe?: (report: ReleaseReport) => void;
    /**
     * The release as CI runs it, one job per wave: each run goes `--through-wave` the next of these waves (1-based),
     * and a run that stopped there is followed by the next job's run (a killed one by a run of the same job).
     */
    readonly jobs?: readonly number[];
}

/** What one rehearsed operator verb came to. */
export interface WaveOperatorOutcome {
    readonly action: OperatorCommand["action"];
    readonly stack?: string;
    readonly atMinute: number;
    readonly endedAtMinute: number;
    readonly exitCode: number;
    readonly refused?: string;
}

/** A release rehearsal's result: the release's, where each stack's traffic truly ended, and the accounts. */
export interface WavesRehearsalResult extends ReleaseResult {
    /** Per stack, read from its simulated account: on stable, or promoted after every gate passed. */
    readonly safety: Record<string, Safety>;
    readonly accounts: Record<string, SimulatedAws>;
    readonly operators: WaveOperatorOutcome[];
    /** How many release processes ran (a kill starts another). */
    readonly runs: number;
    /** The Lambda and CloudWatch calls the tool sent each stack's account (what a real release would send AWS). */
    readonly awsCalls: Record<string, number>;
    /** Each stack's updates as its stack's history holds them, newest first (every `up` a rollout or a deploy ran). */
    readonly histories: Record<string, UpdateRecord[]>;
}

/** One run of the release's process: its report, and how it died if it did. */
type ReleaseRun = { report: ReleaseReport; died?: { at: string; how: string; weights?: Record<string, number> } };

/** The random stream of each stack's retry jitter ('wjt'), apart from its traffic's. */
const JITTER_STREAM = 0x776a74;

/** Refuses what a release rehearsal cannot do with a scenario, naming the field: nothing is simulated then. */
export function checkWaveScenario(scenario: Scenario, plan: WavePlan): void {
    const stacks = planStacks(plan);
    const problems: string[] = [];
    for (const name of Object.keys(scenario.stacks ?? {}))
        if (!stacks.includes(name))
            problems.push(`\`stacks.${name}\`: is not a stack of wave plan ${plan.name} (its stacks: ${stacks.join(", ")})`);
    scenario.faults.forEach((f, i) => {
        if (f.stack !== undefined && !stacks.includes(f.stack))
            problems.push(
                `\`faults[${i}].stack\` (got "${f.stack}"): is not a stack of wave plan ${plan.name} (its stacks: ${stacks.join(", ")})`,
            );
        if ((f.kind === "killed" || f.kind === "interrupt") && f.stack !== undefined)
            problems.push(
                `\`faults[${i}].stack\`: a ${f.kind} fault stops the release's process, whatever stack it is moving: leave \`stack\` out`,
            );
        if (f.kind === "abort" && f.duringUp !== undefined)
            problems.push(
                `\`faults[${i}].duringUp\`: not with --waves (the stacks' \`up\`s interleave): use \`atMinute\`, with \`stack\` for one stack`,
            );
    });
    if (problems.length > 0)
        throw new UsageError(
            `scenario ${scenario.name} cannot be rehearsed with --waves ${plan.name}:\n${problems.map((p) => `  - ${p}`).join("\n")}`,
        );
}

/** Rehearses a release of `plan` under `scenario`. */
export async function rehearseWaves(options: RehearseWavesOptions): Promise<WavesRehearsalResult> {
    const { plan, scenario, log } = options;
    checkWaveScenario(scenario, plan);
    const project = options.project ?? defaultProject();
    const opened: RehearsalClients[] = [];
    try {
        const staged: Record<string, StagedStack> = {};
        const calls: Record<string, number> = {};
        const stacks = planStacks(plan);
        for (const [i, stack] of stacks.entries()) {
            staged[stack] = await stageStack({
                stack,
                // Each account draws its own traffic: the seed moves with the stack's place in the plan.
                scenario: { ...scenarioForStack(scenario, stack), seed: (scenario.seed + i) % 0x1_0000_0000 },
                configFile: options.configFile?.(stack),
                project,
                log: prefixed(log, stack),
                connectTo: async (sim) => {
                    const clients = await connect(sim, options.transport ?? "in-process");
                    opened.push(clients);
                    // What the tool sends this stack's account (the program's own reads under the mock engine aside).
                    const counted = (sender: SdkClient): SdkClient => ({
                        send: (command, sendOptions) => {
                            calls[stack] = (calls[stack] ?? 0) + 1;
                            return sender.send(command, sendOptions);
                        },
                    });
                    return { ...clients, lambda: counted(clients.lambda), cloudWatch: counted(clients.cloudWatch) };
                },
            });
        }
        return { ...(await new WavesRehearsal(options, staged).run()), awsCalls: calls };
    } finally {
        await Promise.all(opened.map((c) => c.close()));
    }
}

/** A log whose every line says the stack. */
function prefixed(log: RolloutLog, stack: string): RolloutLog {
    return { line: (text) => log.line(`${stack} | ${text}`) };
}

/** One rehearsal of a release: the timeline, its processes, and the report of every run. */
class WavesRehearsal {
    private readonly timeline = new Timeline(REHEARSAL_START.getTime());
    private readonly operators: WaveOperatorOutcome[] = [];
    private readonly jitter: Record<string, () => number>;

    constructor(
        private readonly options: RehearseWavesOptions,
        private readonly staged: Record<string, StagedStack>,
    ) {
        for (const s of Object.values(staged)) this.timeline.addAccount(s.sim);
        this.jitter = Object.fromEntries(
            planStacks(options.plan).map((stack, i) => {
                const random = createRandom(options.scenario.seed + i, JITTER_STREAM);
                return [stack, () => random.uniform()];
            }),
        );
    }

    private minute(): number {
        return Math.round(((this.timeline.now() - REHEARSAL_START.getTime()) / 60_000) * 10) / 10;
    }

    /** The stack's world as a process sees it: its calls die with the process; its `up`s pass on the process's clock. */
    private worldFor(stack: string, process: TimelineProcess, owner: string, release: boolean): StackWorld {
        const s = this.staged[stack];
        const stackScenario = scenarioForStack(this.options.scenario, stack);
        return {
            stack,
            policy: s.config.rollout,
            promoteOptions: { hooks: rehearsedHooks(stackScenario) },
            notify: s.wiring.delivery,
            deps: {
                ...s.wiring.rollout,
                stack: process.bind(release ? s.stack : s.stack.withClock(process)),
                lambda: process.bind(s.wiring.rollout.lambda),
                metrics: process.bind(s.wiring.rollout.metrics),
                clock: process,
                log: prefixed(this.options.log, stack),
                random: this.jitter[stack],
                ownerId: owner,
                ...(release ? { checkpoint: (point) => this.checkpoint(process, point) } : {}),
            },
        };
    }

    private killsAfterDecision = 0;

    /** The scenario's `killed` fault with `after: "rollback-decision"`: the release's process dies right after a stack records one. */
    private async checkpoint(process: TimelineProcess, point: "rollback-decision"): Promise<void> {
        if (point !== "rollback-decision" || this.killsAfterDecision <= 0) return;
        this.killsAfterDecision -= 1;
        process.kill("killed right after a stack recorded its rollback decision");
        return new Promise<void>(() => undefined);
    }

    async run(): Promise<Omit<WavesRehearsalResult, "awsCalls">> {
        const { plan, log } = this.options;
        const faults = this.processFaults();
        const kills = faults.kills;
        let signals = faults.signals;
        this.scheduleOperators();
        const runs: ReleaseRun[] = [];
        let jobs = 0;
        for (let run = 1; ; run++) {
            const process = this.timeline.process(`release run ${run}`, { killAtMs: kills[0], signals });
            const through = this.options.jobs?.[jobs];
            const { result, latest } = await this.runRelease(process, run, runs, through);
            // A CI job that released through its wave stopped on purpose: the next job goes on from the records.
            if (
                result &&
                through !== undefined &&
                result.report.outcome === "held" &&
                result.exitCode === 0 &&
                jobs + 1 < this.options.jobs!.length
            ) {
                runs.push({ report: result.report });
                jobs += 1;
                log.line(`[min ${this.minute()}] the job for wave ${through} ended (exit 0); the next job starts`);
                continue;
            }
            if (result) {
                runs.push({ report: result.report });
                // Operators still at work once no release runs (an abort confirming itself) finish on the same timeline.
                await this.timeline.drain();
                const report = mergeReleaseRuns(plan, runs);
                return {
                    ...result,
                    report: this.withRequests(report),
                    safety: this.safety(report),
                    accounts: this.accounts(),
                    operators: this.operators,
                    runs: runs.length,
                    histories: Object.fromEntries(
                        await Promise.all(Object.entries(this.staged).map(async ([k, st]) => [k, await st.stack.history(10_000)] as const)),
                    ),
                };
            }
            if (process.death === "killed") kills.shift();
            signals = signals.filter((x) => x.atMs > this.timeline.now());
            log.line(
                `[min ${this.minute()}] ${process.death?.toUpperCase() ?? "KILLED"}: the release's process stopped dead; traffic stays as it was. Running the release again...`,
            );
            const died = { at: new Date(this.timeline.now()).toISOString(), how: process.death ?? "killed", weights: this.liveWeights() };
            if (latest) runs.push({ report: latest, died });
        }
    }

    /** The scenario's kills and signals of the release's process, in time order; and how many kills follow a rollback decision. */
    private processFaults(): { kills: number[]; signals: TimedSignal[] } {
        const { scenario } = this.options;
        const at = (minute: number) => REHEARSAL_START.getTime() + minute * 60_000;
        this.killsAfterDecision = scenario.faults.filter((f) => f.kind === "killed" && f.after === "rollback-decision").length;
        return {
            kills: scenario.faults
                .flatMap((f) => (f.kind === "killed" && f.atMinute !== undefined ? [at(f.atMinute)] : []))
                .sort((a, b) => a - b),
            signals: scenario.faults
                .flatMap((f) =>
                    f.kind === "interrupt"
                        ? [
                              {
                                  atMs: at(f.atMinute),
                                  signal: f.signal,
                                  ...(f.then === "SIGKILL" ? { thenKillAfterMs: CANCEL_TO_KILL_MS } : {}),
                              },
                          ]
                        : [],
                )
                .sort((a, b) => a.atMs - b.atMs),
        };
    }

    /** One run of the release in `process`: its result, or undefined when the process died (with its report so far). */
    private async runRelease(
        process: TimelineProcess,
        run: number,
        runs: readonly ReleaseRun[],
        throughWave: number | undefined,
    ): Promise<{ result?: ReleaseResult; latest?: ReleaseReport }> {
        const { plan, log } = this.options;
        // As `pulumi cancel` would: an `up` its predecessor died in holds no lock; this run's `up`s pass on its clock.
        for (const s of Object.values(this.staged)) {
            s.stack.releaseLock();
            s.stack.clock = process;
        }
        let latest: ReleaseReport | undefined;
        const owner = (stack: string) =>
            `${run.toString(16).padStart(4, "0")}${planStacks(plan).indexOf(stack).toString(16).padStart(4, "0")}`;
        const result = await process.run(() =>
            release(
                {
                    clock: process,
                    log: { line: (text) => log.line(text) },
                    worldOf: (stack) => this.worldFor(stack, process, owner(stack), true),
                    parallel: (tasks) => process.parallel(tasks),
                    signal: process.controller.signal,
                    observe: (report) => {
                        latest = structuredClone(report);
                        this.options.observe?.(mergeReleaseRuns(plan, [...runs, { report: latest }]));
                    },
                    actor: { by: "release" },
                },
                { plan, ...(throughWave !== undefined ? { throughWave } : {}) },
            ),
        );
        return { ...(result ? { result } : {}), ...(latest ? { latest } : {}) };
    }

    /** The scenario's operator events, each a process of its own at its minute: on the stack it names, or on the whole release. */
    private scheduleOperators(): void {
        const { scenario, plan, log } = this.options;
        const events = scenario.faults.flatMap((f) => {
            if (f.kind !== "approve" && f.kind !== "abort" && f.kind !== "pause" && f.kind !== "promote-full") return [];
            if (f.atMinute === undefined) return [];
            const own = [{ action: f.kind, minute: f.atMinute, stack: f.stack }];
            return f.kind === "pause" && f.resumeAtMinute !== undefined
                ? [...own, { action: "resume" as const, minute: f.resumeAtMinute, stack: f.stack }]
                : own;
        });
        events.forEach((e, i) => {
            this.timeline.at(REHEARSAL_START.getTime() + e.minute * 60_000, () => {
                const process = this.timeline.process(`operator ${i + 1}`);
                const command: OperatorCommand = {
                    action: e.action,
                    by: REHEARSAL_OPERATOR,
                    principal: REHEARSAL_OPERATOR_PRINCIPAL,
                    reason: `rehearsed ${e.action} at minute ${e.minute}`,
                };
                const verb = e.action === "promote-full" ? "promote --full" : e.action;
                log.line(
                    `[min ${this.minute()}] operator: lambda-rollout ${verb} ${e.stack ? `-s ${e.stack}` : `--waves ${plan.name}`} --by ${REHEARSAL_OPERATOR}`,
                );
                const worldOf = (stack: string) => this.worldFor(stack, process, `f${i.toString(16).padStart(7, "0")}`, false);
                const startedAt = this.minute();
                process.start(
                    () =>
                        e.stack
                            ? operateStack(worldOf(e.stack), command).then((r) => r.exitCode)
                            : operateRelease(
                                  {
                                      worldOf,
                                      clock: process,
                                      log: { line: (t) => log.line(`[min ${this.minute()}] operator:   ${t}`) },
                                      parallel: (t) => process.parallel(t),
                                  },
                                  plan,
                                  command,
                              ).then((r) => r.exitCode),
                    ({ value, error }) => {
                        const refused = error === undefined ? undefined : (error as Error).message;
                        const exitCode = value ?? (error instanceof UsageError ? 2 : 3);
                        log.line(`[min ${this.minute()}] operator:   ${refused ? `refused: ${refused}; ` : ""}exit ${exitCode}`);
                        this.operators.push({
                            action: e.action,
                            ...(e.stack ? { stack: e.stack } : {}),
                            atMinute: startedAt,
                            endedAtMinute: this.minute(),
                            exitCode,
                            ...(refused ? { refused } : {}),
                        });
                    },
                );
            });
        });
    }

    /** What users got in each stack, through to the end, on its entry and summed at the top. */
    private withRequests(report: ReleaseReport): ReleaseReport {
        let total = 0;
        let candidate = 0;
        let candidateErrors = 0;
        for (const wave of report.waves)
            for (const entry of wave.stacks) {
                const s = this.staged[entry.stack];
                const counted = { total: 0, candidate: 0, candidateErrors: 0 };
                for (const key of s.names) {
                    const fn = s.candidateOutputs.functions[key];
                    const counts = s.sim.requestCounts(fn.functionName);
                    const v = counts.byVersion[fn.candidateVersion];
                    counted.total += counts.total;
                    counted.candidate += v?.requests ?? 0;
                    counted.candidateErrors += (v?.errors ?? 0) + (v?.throttles ?? 0);
                }
                entry.requests = counted;
                total += counted.total;
                candidate += counted.candidate;
                candidateErrors += counted.candidateErrors;
            }
        return { ...report, requests: { total, candidate, candidateErrors } };
    }

    /** Where each stack's traffic truly ended, read from its account, and whether that is safe. */
    private safety(report: ReleaseReport): Record<string, Safety> {
        return Object.fromEntries(
            report.waves.flatMap((w) =>
                w.stacks.map((entry) => {
                    const s = this.staged[entry.stack];
                    const versions = Object.fromEntries(
                        s.names.map((k) => [
                            k,
                            {
                                stable: s.stableOutputs.functions[k].candidateVersion,
                                candidate: s.candidateOutputs.functions[k].candidateVersion,
                            },
                        ]),
                    );
                    return [
                        entry.stack,
                        safetyOf(s.sim, s.candidateOutputs, versions, {
                            ...entry,
                            outcome: entry.outcome === "not-started" ? "nothing-to-do" : entry.outcome,
                        } as RolloutReport),
                    ];
                }),
            ),
        );
    }

    /** Each stack's candidate weight now, as its account routes it (its first function's alias). */
    private liveWeights(): Record<string, number> {
        return Object.fromEntries(
            Object.entries(this.staged).map(([stack, s]) => {
                const fn = s.candidateOutputs.functions[s.names[0]];
                const r = s.sim.aliasRouting(fn.functionName, fn.aliasName);
                const weight = !r
                    ? 0
                    : r.additional?.version === fn.candidateVersion
                      ? r.additional.weight
                      : r.primaryVersion === fn.candidateVersion
                        ? 1
                        : 0;
                return [stack, weight];
            }),
        );
    }

    private accounts(): Record<string, SimulatedAws> {
        return Object.fromEntries(Object.entries(this.staged).map(([k, s]) => [k, s.sim]));
    }
}
