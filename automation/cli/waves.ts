/**
 * The command line's `--waves <plan>`: `promote`, `status`, `abort`, `pause`, `resume` and `approve` on a whole
 * release, and `rehearse --waves`. The verbs (automation/cli/wavesVerb.ts) hand each a way to build one stack's real
 * world (its own config, region and credentials: {@link StackWorldFactory}); everything else a release needs is here.
 */
import { ExitCode, exitCodeForSignal } from "../exitCodes";
import { UsageError } from "../errors";
import { handleInterrupts } from "../interrupts";
import type { PulumiProject } from "../project";
import type { OperatorAction } from "../rollout/operator";
import type { Clock, RolloutLog } from "../rollout/ports";
import { readScenario } from "../rehearsal/scenario";
import type { Transport } from "../rehearsal/transport";
import { planStacks, type WavePlan } from "../waves/plan";
import { readWavePlan } from "../waves/planFile";
import { release } from "../waves/release";
import { rehearseWaves } from "../waves/rehearsal";
import { describeRelease, type ReleaseReport } from "../waves/report";
import type { StackWorld } from "../waves/stack";
import { describeReleaseStatus, operateRelease, releaseStatus, releaseStatusExitCode } from "../waves/verbs";
import { formatDuration, printLines } from "./output";
import { writeHtmlAfterRun } from "./reportCommand";
import { reportKeeper, writeReportFile } from "../reportWriter";
import { scenarioPath } from "./shipped";

/** Builds one stack's real world (automation/cli/verbDeps.ts's realDeps for that stack), and who the caller is in its account. */
export type StackWorldFactory = (stack: string) => Promise<{ world: StackWorld; principal: () => Promise<string | undefined> }>;

/** The flags a waves command reads. */
export interface WavesFlags {
    readonly waves: string;
    readonly json?: boolean;
    readonly report?: string;
    readonly html?: string;
    readonly dryRun?: boolean;
    readonly throughWave?: string;
    readonly onInterrupt?: "abort" | "hold";
}

/** Every stack's world, built once before anything is read from AWS (a bad config is exit 2 here). */
async function worldsOf(plan: WavePlan, make: StackWorldFactory) {
    const built = new Map<string, Awaited<ReturnType<StackWorldFactory>>>();
    for (const stack of planStacks(plan)) built.set(stack, await make(stack));
    return { worldOf: (stack: string) => built.get(stack)!.world, built };
}

/** `--through-wave N`: a wave of the plan, 1-based. */
function throughWave(plan: WavePlan, text: string | undefined): number | undefined {
    if (text === undefined) return undefined;
    const n = Number(text);
    if (!Number.isInteger(n) || n < 1 || n > plan.waves.length)
        throw new UsageError(
            `\`--through-wave\` (got ${JSON.stringify(text)}): must be a wave of plan ${plan.name}, 1 to ${plan.waves.length}`,
        );
    return n;
}

/** `promote --waves <plan>`: the whole release (or through one wave), one report, one exit code. */
export async function runWavesPromote(
    project: PulumiProject,
    flags: WavesFlags,
    io: { log: RolloutLog; clock: Clock; make: StackWorldFactory; confirm?: (q: string) => Promise<boolean>; actor: string },
): Promise<number> {
    const plan = readWavePlan(project, flags.waves);
    const through = throughWave(plan, flags.throughWave);
    const { worldOf, built } = await worldsOf(plan, io.make);
    const keeper = reportKeeper(flags.dryRun ? undefined : flags.report);
    const interrupts = handleInterrupts(
        (signal) =>
            io.log.line(
                `${signal} received: nothing more starts; the stacks under way ${flags.onInterrupt === "hold" ? "hold their weight" : "abort, and every stack this release promoted goes back to stable"} (a second signal exits at once)`,
            ),
        (signal) => {
            const latest = keeper.latest() as ReleaseReport | undefined;
            if (latest && flags.report)
                writeReportFile(flags.report, { ...latest, interrupt: signal, error: `exited at once on a second ${signal}` });
            console.error(
                `${signal} again: exiting now. Where each stack is: \`lambda-rollout status --waves ${plan.name}\`; the release run again goes on from there.`,
            );
            process.exit(exitCodeForSignal(signal));
        },
    );
    try {
        const principal = await built.get(planStacks(plan)[0])!.principal();
        const result = await release(
            {
                clock: io.clock,
                log: io.log,
                worldOf,
                signal: interrupts.signal,
                observe: (r) => keeper.observe(r),
                ...(io.confirm ? { confirm: io.confirm } : {}),
                actor: { by: io.actor, ...(principal ? { principal } : {}) },
            },
            {
                plan,
                dryRun: flags.dryRun,
                ...(through !== undefined ? { throughWave: through } : {}),
                onInterrupt: flags.onInterrupt ?? "abort",
            },
        );
        if (flags.dryRun) {
            if (flags.json) console.log(JSON.stringify({ dryRun: true, plan: result.plan ?? [], report: result.report }));
            return ExitCode.ok;
        }
        keeper.observe(result.report);
        await writeHtmlAfterRun(flags.html, result.report);
        describeRelease(result.report).forEach((l) => io.log.line(l));
        if (flags.json) console.log(JSON.stringify(result.report));
        return result.exitCode;
    } finally {
        interrupts.dispose();
    }
}

/** `status --waves <plan>`: where each stack of the release stands, and the release's position. */
export async function runWavesStatus(
    project: PulumiProject,
    flags: WavesFlags,
    io: { clock: Clock; make: StackWorldFactory },
): Promise<number> {
    const plan = readWavePlan(project, flags.waves);
    const { worldOf } = await worldsOf(plan, io.make);
    const s = await releaseStatus({ worldOf, clock: io.clock }, plan);
    if (flags.json) console.log(JSON.stringify(s));
    else printLines(describeReleaseStatus(s));
    return releaseStatusExitCode(s);
}

/** `abort|pause|resume|approve --waves <plan>`: the verb on every stack of the release it applies to. */
export async function runWavesVerb(
    project: PulumiProject,
    action: OperatorAction,
    flags: WavesFlags & { readonly reason?: string },
    io: { log: RolloutLog; clock: Clock; make: StackWorldFactory; by: string },
): Promise<number> {
    const plan = readWavePlan(project, flags.waves);
    const { worldOf, built } = await worldsOf(plan, io.make);
    const principals: Record<string, string | undefined> = {};
    for (const [stack, b] of built) principals[stack] = await b.principal();
    const result = await operateRelease(
        { worldOf, clock: io.clock, log: io.log },
        plan,
        { action, by: io.by, ...(flags.reason ? { reason: flags.reason } : {}) },
        principals,
    );
    for (const [stack, r] of Object.entries(result.stacks)) io.log.line(`${stack}: ${r.did}${r.confirmed ? "" : " (NOT confirmed)"}`);
    if (flags.json) console.log(JSON.stringify(result));
    return result.exitCode;
}

/** `rehearse --waves <plan> --scenario S`: the release against a simulated account per stack, on one virtual timeline. */
export async function runWavesRehearsal(
    project: PulumiProject,
    flags: WavesFlags & { readonly scenario: string; readonly transport: Transport },
    log: RolloutLog,
): Promise<number> {
    const scenario = readScenario(scenarioPath(flags.scenario));
    const plan = readWavePlan(project, flags.waves);
    log.line(
        `rehearsing scenario "${scenario.name}" through wave plan ${plan.name} (${planStacks(plan).length} stacks, each its own simulated account${flags.transport === "http" ? " over HTTP" : ""}, virtual time, seed ${scenario.seed})${scenario.description ? `: ${scenario.description}` : ""}`,
    );
    const started = Date.now();
    const keeper = reportKeeper(flags.report);
    const result = await rehearseWaves({ plan, scenario, log, project, transport: flags.transport, observe: (r) => keeper.observe(r) });
    keeper.observe(result.report);
    describeRelease(result.report).forEach((l) => log.line(l));
    for (const [stack, s] of Object.entries(result.safety)) if (!s.safe) log.line(`NOT SAFE: ${stack}: ${s.why}`);
    log.line(
        `(rehearsed ${formatDuration(result.report.durationMinutes * 60_000)} of virtual time in ${formatDuration(Date.now() - started)})`,
    );
    await writeHtmlAfterRun(flags.html, result.report);
    if (flags.json) console.log(JSON.stringify(result.report));
    return result.exitCode;
}
