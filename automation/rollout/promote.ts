/**
 * The rollout loop, as a linear pipeline: read the live state, plan, preflight, smoke-test, then step the
 * weights one `up` at a time with the gates between the steps, and put traffic back on stable the moment a
 * gate fails or the infrastructure does. The position is derived from AWS on every run, never from a local
 * file, so a promote that was killed resumes from the weight that is live.
 *
 * Everything with side effects comes in through `RolloutDeps`; the decisions are pure (steps.ts, assess.ts,
 * preflight.ts).
 */
import { rolloutSchema, type RolloutPolicy, type RoutingOverride } from "../../config/stackConfig";
import { trafficShares, type AliasRouting, type Strategy } from "../../components/routing";
import { InfrastructureError, StackLockedError, UsageError, ExitCode } from "../errors";
import { assessStep, evidenceSince, lookAlphas, type Baseline, type GateResult, type Verdict } from "./assess";
import type { Clock, EvidenceRequest, LambdaControl, MetricsSource, StackDriver, StackOutputs } from "./ports";
import { preflightProblems } from "./preflight";
import { exitCodeForOutcome, type Outcome, type RolloutReport, type StepRecord } from "./report";
import { percent, resumeFrom, stepsFor, type Step } from "./steps";
import { putAllTrafficOn, readAlias, type RolloutLog } from "./traffic";

export type { RolloutLog } from "./traffic";

/** The side effects a rollout needs. */
export interface RolloutDeps {
    readonly stack: StackDriver;
    readonly lambda: LambdaControl;
    readonly metrics: MetricsSource;
    readonly clock: Clock;
    readonly log: RolloutLog;
    /** Asks a person before traffic moves; absent when `--yes` or not a terminal. */
    readonly confirm?: (question: string) => Promise<boolean>;
    /** Sees the report as it is filled in, so a caller whose run dies midway still has the record so far. */
    readonly observe?: (report: RolloutReport) => void;
}

/** Options of a promote. */
export interface PromoteOptions {
    readonly stackName: string;
    /** Print the plan and touch nothing. */
    readonly dryRun?: boolean;
    /** Use this strategy instead of the stack's (e.g. blue-green for a role change). */
    readonly strategy?: Strategy;
}

/** What a promote returns: the report and the exit code. */
export interface RolloutResult {
    readonly report: RolloutReport;
    readonly exitCode: number;
    /** For --dry-run: the planned steps. */
    readonly plan?: string[];
}

/** One function in the rollout, as read from the stack and AWS. */
interface Target {
    readonly key: string;
    readonly functionName: string;
    readonly aliasName: string;
    readonly stable: string;
    readonly candidate: string;
    readonly liveWeight: number;
    readonly rollbackAlarm?: string;
}

/** The validated policy the stack exports, with a strategy override applied. */
export function policyFrom(outputs: StackOutputs, strategy?: Strategy): RolloutPolicy {
    const parsed = rolloutSchema.safeParse(outputs.rolloutPolicy);
    if (!parsed.success) {
        throw new UsageError(`the stack's exported rolloutPolicy is not valid: ${parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")}; run \`pulumi up\` with a valid config`);
    }
    const policy = parsed.data;
    if (!strategy || strategy === policy.strategy) return policy;
    const firstBake = policy.canary?.steps[0]?.bake ?? policy.linear?.every ?? 600;
    return { ...policy, strategy, blueGreen: policy.blueGreen ?? { bake: firstBake } } as RolloutPolicy;
}

/** Reads where each function stands. */
async function readTargets(deps: RolloutDeps, outputs: StackOutputs): Promise<{ targets: Target[]; notes: string[] }> {
    const targets: Target[] = [];
    const notes: string[] = [];
    for (const [key, fn] of Object.entries(outputs.functions)) {
        const live = await readAlias(deps.lambda, deps.clock, fn.functionName, fn.aliasName);
        const candidate = fn.candidateVersion;
        let liveWeight = 0;
        if (live.stableVersion === candidate) {
            liveWeight = 1;
        } else if (live.candidate?.version === candidate) {
            liveWeight = live.candidate.weight;
        } else if (live.candidate) {
            notes.push(`${key}: v${live.candidate.version} still has ${percent(live.candidate.weight)} from an earlier rollout; this rollout replaces it with v${candidate}`);
        }
        targets.push({
            key,
            functionName: fn.functionName,
            aliasName: fn.aliasName,
            stable: live.stableVersion,
            candidate,
            liveWeight,
            rollbackAlarm: fn.alarmNames?.rollback,
        });
    }
    return { targets, notes };
}

/** The routing override for one `up`: every function in the rollout at `weight`. */
export function routingAt(targets: Target[], weight: number): RoutingOverride {
    return Object.fromEntries(targets.map((t) => [t.key, { stable: t.stable, candidate: t.candidate, weight }]));
}

/** Does a response contain every expected field with the expected value? */
export function matchesExpectation(payload: unknown, expect: Record<string, unknown>): boolean {
    if (payload === null || typeof payload !== "object") return Object.keys(expect).length === 0;
    return Object.entries(expect).every(([k, v]) => JSON.stringify((payload as Record<string, unknown>)[k]) === JSON.stringify(v));
}

/** Runs a promote to its end: promoted, rolled back, nothing to do, or failed with traffic on stable. */
export async function promote(deps: RolloutDeps, options: PromoteOptions): Promise<RolloutResult> {
    const { clock, log } = deps;
    const startedAt = clock.now();
    const minute = () => Math.round(((clock.now() - startedAt) / 60000) * 10) / 10;

    const outputs = await deps.stack.outputs();
    if (!outputs || !outputs.functions || Object.keys(outputs.functions).length === 0) {
        throw new UsageError(`stack ${options.stackName} has no outputs yet: deploy it first with \`pulumi up --stack ${options.stackName}\``);
    }
    const policy = policyFrom(outputs, options.strategy);
    const { targets: all, notes } = await readTargets(deps, outputs);
    notes.forEach((n) => log.line(n));
    const targets = all.filter((t) => t.stable !== t.candidate);
    const steps = stepsFor(policy);

    const report: RolloutReport = {
        outcome: "nothing-to-do",
        stack: options.stackName,
        strategy: policy.strategy,
        functions: Object.fromEntries(all.map((t) => [t.key, { stable: t.stable, candidate: t.candidate, finalRouting: { [t.stable]: 1 } }])),
        steps: [],
        decisionAtMinute: null,
        durationMinutes: 0,
    };
    deps.observe?.(report);
    const finish = async (outcome: Outcome, exitCode = exitCodeForOutcome(outcome)): Promise<RolloutResult> => {
        report.outcome = outcome;
        report.durationMinutes = minute();
        for (const t of all) {
            try {
                report.functions[t.key].finalRouting = trafficShares(await readAlias(deps.lambda, clock, t.functionName, t.aliasName));
            } catch (err) {
                log.line(`could not read ${t.functionName}:${t.aliasName} at the end: ${(err as Error).message}`);
            }
        }
        return { report, exitCode };
    };

    if (targets.length === 0) {
        log.line(`nothing to do: every function's live alias already points at its latest version (${all.map((t) => `${t.key} v${t.candidate}`).join(", ")})`);
        return finish("nothing-to-do");
    }

    const position = Math.min(...targets.map((t) => t.liveWeight));
    const { remaining, resumed } = resumeFrom(steps, position);
    const plan = describeRollout(options.stackName, policy, targets, remaining, resumed, position);
    if (options.dryRun) {
        plan.forEach((l) => log.line(l));
        log.line("dry run: nothing was called that changes anything");
        return { report, exitCode: ExitCode.ok, plan };
    }
    plan.forEach((l) => log.line(l));

    // Preflight: AWS's alias constraints, before any traffic moves.
    const facts = [];
    for (const t of targets) {
        facts.push({
            name: t.key,
            stable: await deps.lambda.getVersion(t.functionName, t.stable),
            candidate: await deps.lambda.getVersion(t.functionName, t.candidate),
            aliasHasProvisionedConcurrency: await deps.lambda.hasProvisionedConcurrency(t.functionName, t.aliasName),
        });
    }
    const problems = preflightProblems(facts, remaining);
    if (problems.length > 0) {
        throw new UsageError(`preflight failed, no traffic was moved:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
    }
    log.line(`preflight passed: published versions, same role and dead-letter config${remaining.some((s) => s.weight < 1) ? ", no provisioned concurrency on the alias" : ""}`);

    // Rolls traffic back to stable: an `up` first, the Lambda API when the `up` cannot run.
    const restoreStable = async (why: string): Promise<void> => {
        log.line(`rolling back to stable (${targets.map((t) => `${t.key} v${t.stable}`).join(", ")}): ${why}`);
        const moves = targets.map((t) => ({ key: t.key, functionName: t.functionName, aliasName: t.aliasName, to: t.stable, from: t.candidate }));
        const { path } = await putAllTrafficOn(deps, moves, `lambda-rollout rollback: ${why}`);
        report.rollbackPath = path;
        log.line(`all traffic is on stable: ${targets.map((t) => `${t.key} v${t.stable} 100%`).join(", ")}`);
    };

    // Ends the rollout after an infrastructure error: traffic back on stable, the record kept, exit 3 or 4.
    const failOnInfrastructure = async (err: Error, weight: number, stepStartMinute: number): Promise<RolloutResult> => {
        report.error = err.message;
        report.steps.push({ weight, startedAtMinute: stepStartMinute, endedAtMinute: minute(), verdict: "failed", reason: `infrastructure: ${err.message}` });
        report.decisionAtMinute = minute();
        try {
            await restoreStable(`infrastructure error: ${err.message}`);
        } catch (rollbackErr) {
            report.error = `${err.message}; and the rollback failed too: ${(rollbackErr as Error).message}`;
            log.line(`ROLLBACK FAILED: ${(rollbackErr as Error).message}. Traffic may still be on the candidate: run \`npm run rollback -- --stack ${options.stackName}\` or see docs/runbook.md`);
        }
        return finish("failed", err instanceof StackLockedError ? ExitCode.locked : ExitCode.infrastructure);
    };

    // Smoke test: the candidate, invoked directly, before any (more) traffic reaches it.
    if (policy.smokeTest) {
        for (const t of targets) {
            let outcome: SmokeOutcome;
            try {
                outcome = await smokeTest(deps.lambda, t, policy.smokeTest);
            } catch (err) {
                return failOnInfrastructure(new InfrastructureError(`smoke test of ${t.key} v${t.candidate} could not run: ${(err as Error).message}`), position, minute());
            }
            for (const [i, problem] of outcome.failures.entries()) {
                log.line(`smoke test of ${t.key} v${t.candidate}, attempt ${i + 1} of ${policy.smokeTest.attempts}: ${problem}`);
            }
            if (!outcome.passed) {
                const reason = `smoke test of ${t.key} v${t.candidate} failed ${outcome.failures.length} of ${outcome.failures.length} attempts: ${outcome.failures.at(-1)}`;
                log.line(reason);
                report.steps.push({ weight: position, startedAtMinute: minute(), endedAtMinute: minute(), verdict: "failed", reason });
                report.decisionAtMinute = minute();
                if (position > 0) {
                    await restoreStable(reason);
                } else {
                    log.line("no traffic was moved: all of it stays on stable");
                }
                return finish("rolled-back");
            }
            log.line(`smoke test of ${t.key} v${t.candidate} passed${outcome.failures.length ? ` on attempt ${outcome.failures.length + 1}` : ""}`);
        }
    }

    if (deps.confirm && !(await deps.confirm(`Move ${options.stackName} traffic to ${targets.map((t) => `${t.key} v${t.candidate}`).join(", ")} (${remaining.map((s) => percent(s.weight)).join(" -> ")})?`))) {
        throw new UsageError("not confirmed: no traffic was moved");
    }

    let liveWeight = position;
    let rolloutStartMs: number | undefined;
    let baseline: Record<string, Baseline> | undefined;
    const looks = lookAlphas(policy.gates, remaining.map((s) => s.bakeSeconds));
    for (const [i, step] of remaining.entries()) {
        const label = `step ${i + 1}/${remaining.length} ${percent(step.weight)}`;
        const stepStartMinute = minute();
        if (Math.abs(step.weight - liveWeight) > 1e-9) {
            try {
                await deps.stack.up(routingAt(targets, step.weight), `lambda-rollout promote: ${label} (${targets.map((t) => `${t.key} v${t.stable}->v${t.candidate}`).join(", ")})`);
                await verifyRouting(deps, targets, step.weight);
            } catch (err) {
                log.line(`${label}: the up failed: ${(err as Error).message}`);
                return failOnInfrastructure(err as Error, step.weight, stepStartMinute);
            }
            liveWeight = step.weight;
            log.line(`[min ${minute()}] ${label}: ${percent(step.weight)} of traffic on the candidate; baking ${Math.round(step.bakeSeconds / 60)} min`);
        } else {
            log.line(`[min ${minute()}] ${label}: ${percent(step.weight)} is live already${resumed && i === 0 ? " (resumed: re-baking this step)" : ""}`);
        }
        if (step.bakeSeconds === 0 && step.weight >= 1) {
            report.steps.push({ weight: step.weight, startedAtMinute: stepStartMinute, endedAtMinute: minute(), verdict: "passed", reason: "final step: all traffic on the candidate" });
            continue;
        }
        let bake: Awaited<ReturnType<typeof bakeStep>>;
        try {
            if (rolloutStartMs === undefined) {
                rolloutStartMs = clock.now();
                baseline = await readBaseline(deps, policy, targets, rolloutStartMs, minute);
            }
            bake = await bakeStep(deps, policy, targets, step, label, minute, rolloutStartMs, { baseline, lookAlpha: looks[i] ?? undefined });
        } catch (err) {
            // Anything unexpected while traffic is on the candidate: back to stable, and keep the record.
            log.line(`${label}: ${(err as Error).message}`);
            return failOnInfrastructure(err as Error, step.weight, stepStartMinute);
        }
        report.steps.push({ weight: step.weight, startedAtMinute: stepStartMinute, endedAtMinute: minute(), verdict: recordVerdict(bake.verdict, bake.extended), reason: bake.result.reason });
        if (bake.verdict === "passed") {
            continue;
        }
        report.decisionAtMinute = minute();
        if (bake.interrupted) {
            report.error = bake.result.reason;
            return finish("failed", ExitCode.infrastructure);
        }
        const giveUp = bake.verdict === "inconclusive" && policy.gates.onNoData === "fail";
        try {
            await restoreStable(bake.result.reason);
        } catch (err) {
            report.error = (err as Error).message;
            log.line(`ROLLBACK FAILED: ${(err as Error).message}`);
            return finish("failed", ExitCode.infrastructure);
        }
        return finish(giveUp ? "failed" : "rolled-back");
    }
    report.decisionAtMinute = minute();
    log.line(`[min ${minute()}] promoted: ${targets.map((t) => `${t.key} v${t.candidate}`).join(", ")} take all traffic; v${targets.map((t) => t.stable).join(", v")} stay published for an instant rollback`);
    return finish("promoted");
}

function recordVerdict(verdict: Verdict, extended: boolean): StepRecord["verdict"] {
    if (verdict === "passed") return extended ? "extended" : "passed";
    if (verdict === "inconclusive") return "inconclusive";
    return "failed";
}

/** The window of a rollout's evidence that starts at `ms`: whole minutes (Lambda's metrics are per minute). */
const minuteFloor = (ms: number) => Math.floor(ms / 60000) * 60000;

/**
 * Stable's traffic through the alias in the `gates.baseline` window before the rollout, read once: the error
 * tests add it to stable's evidence. Without it (baseline 0, CloudWatch unavailable) they compare only the
 * rollout's minutes: weaker, still within the budget.
 */
async function readBaseline(deps: RolloutDeps, policy: RolloutPolicy, targets: Target[], startMs: number, minute: () => number): Promise<Record<string, Baseline> | undefined> {
    const seconds = policy.gates.baseline ?? 0;
    if (seconds <= 0) return undefined;
    const end = minuteFloor(startMs);
    try {
        const evidence = await deps.metrics.evidence(evidenceRequests(targets), new Date(end - seconds * 1000), new Date(end));
        const baseline = Object.fromEntries(targets.map((t) => [t.key, { invocations: evidence[t.key].stable.invocations, errors: evidence[t.key].stable.errors }]));
        deps.log.line(
            `[min ${minute()}] stable before the rollout (${Math.round(seconds / 60)} min): ` +
                targets.map((t) => `${t.key} v${t.stable} ${baseline[t.key].errors}/${baseline[t.key].invocations} errors`).join(", "),
        );
        return baseline;
    } catch (err) {
        deps.log.line(`[min ${minute()}] stable's history before the rollout unavailable (${(err as Error).message}): comparing the rollout's minutes only`);
        return undefined;
    }
}

function evidenceRequests(targets: Target[]): EvidenceRequest[] {
    return targets.map((t) => ({ key: t.key, functionName: t.functionName, aliasName: t.aliasName, stableVersion: t.stable, candidateVersion: t.candidate }));
}

/** What the smoke test of one function saw: whether an attempt passed, and each failed attempt's problem. */
export interface SmokeOutcome {
    readonly passed: boolean;
    readonly failures: string[];
}

/**
 * Invokes the candidate version directly with the smoke payload until an attempt passes, at most
 * `attempts` times. It fails only when every attempt fails: a broken release fails them all, while an
 * occasional error of a release that works is for the gates to weigh against stable's (a single failed
 * invocation of a function that fails 1% of its calls would otherwise block 1% of good releases).
 * An invocation that cannot be made at all (permissions, throttling of the API) throws.
 */
export async function smokeTest(lambda: RolloutDeps["lambda"], t: { functionName: string; candidate: string }, smoke: NonNullable<RolloutPolicy["smokeTest"]>): Promise<SmokeOutcome> {
    const failures: string[] = [];
    while (failures.length < smoke.attempts) {
        const out = await lambda.invoke(t.functionName, t.candidate, smoke.payload);
        if (out.functionError) {
            failures.push(`function error (${out.functionError}): ${JSON.stringify(out.payload).slice(0, 300)}`);
        } else if (!matchesExpectation(out.payload, smoke.expect)) {
            failures.push(`expected ${JSON.stringify(smoke.expect)}, got ${JSON.stringify(out.payload).slice(0, 300)}`);
        } else {
            return { passed: true, failures };
        }
    }
    return { passed: false, failures };
}

/** Polls the gates through a step's bake until a verdict other than baking/extended. */
async function bakeStep(
    deps: RolloutDeps,
    policy: RolloutPolicy,
    targets: Target[],
    step: Step,
    label: string,
    minute: () => number,
    rolloutStartMs: number,
    comparison: { baseline?: Record<string, Baseline>; lookAlpha?: number },
): Promise<{ verdict: Verdict; result: GateResult; extended: boolean; interrupted?: boolean }> {
    const { clock, log } = deps;
    const start = clock.now();
    // One query from the minute the rollout's first step began: the error tests read all of it, the rest of
    // the gate only this step's minutes. Per-version metrics need no other alignment.
    const windowStart = new Date(minuteFloor(rolloutStartMs));
    const stepStart = minuteFloor(start);
    const requests = evidenceRequests(targets);
    const alarmNames = targets.flatMap((t) => (t.rollbackAlarm ? [t.rollbackAlarm] : []));
    let extended = false;
    const bakeEnd = start + step.bakeSeconds * 1000;
    for (;;) {
        const wake = nextPollAt(clock.now(), policy.gates.pollInterval * 1000, bakeEnd);
        await sleepWithCountdown(deps, wake - clock.now(), label, bakeEnd);
        const elapsedSeconds = (clock.now() - start) / 1000;
        // Someone else moved traffic (an emergency rollback, a hand edit): stop, and leave their routing alone.
        for (const t of targets) {
            let live: AliasRouting;
            try {
                live = await readAlias(deps.lambda, clock, t.functionName, t.aliasName);
            } catch (err) {
                log.line(`[min ${minute()}] ${label}: could not read ${t.functionName}:${t.aliasName} (${(err as Error).message}); checking again next poll`);
                continue;
            }
            if (!routesAt(live, t, step.weight)) {
                const reason = `${t.key}: the alias was changed outside this promote (now ${JSON.stringify(trafficShares(live))}, expected ${percent(step.weight)} on v${t.candidate}); stopping without touching traffic`;
                log.line(`[min ${minute()}] ${label}: ${reason}`);
                return { verdict: "failed", result: { verdict: "failed", reason, numbers: {} }, extended, interrupted: true };
            }
        }
        let evidence;
        try {
            evidence = await deps.metrics.evidence(requests, windowStart, new Date(clock.now()));
        } catch (err) {
            log.line(`[min ${minute()}] ${label}: CloudWatch unavailable (${(err as Error).name}: ${(err as Error).message}); no evidence this poll`);
        }
        let alarmsInAlarm: Record<string, string[]> | undefined;
        if (alarmNames.length > 0 && evidence) {
            try {
                const states = await deps.metrics.alarmStates(alarmNames);
                alarmsInAlarm = Object.fromEntries(targets.map((t) => [t.key, t.rollbackAlarm && states[t.rollbackAlarm] === "ALARM" ? [t.rollbackAlarm] : []]));
            } catch (err) {
                log.line(`[min ${minute()}] ${label}: alarm states unavailable (${(err as Error).message})`);
            }
        }
        const result = assessStep(
            {
                gates: policy.gates,
                bakeSeconds: step.bakeSeconds,
                elapsedSeconds,
                evidence: evidence && Object.fromEntries(Object.entries(evidence).map(([k, ev]) => [k, evidenceSince(ev, stepStart)])),
                rolloutEvidence: evidence,
                baseline: comparison.baseline,
                lookAlpha: comparison.lookAlpha,
                weight: step.weight,
                alarmsInAlarm,
            },
            targets.map((t) => t.key),
        );
        const progress = `${Math.floor(elapsedSeconds / 60)}/${Math.round(step.bakeSeconds / 60)} min`;
        if (result.verdict === "extended") extended = true;
        if (result.verdict === "baking" || result.verdict === "extended") {
            log.line(`[min ${minute()}] ${label}: ${result.verdict} ${progress}: ${result.reason}`);
            continue;
        }
        log.line(`[min ${minute()}] ${label}: ${result.verdict.toUpperCase()} after ${progress}: ${result.reason}`);
        return { verdict: result.verdict, result, extended };
    }
}

/** How long after a poll-interval boundary the gate reads CloudWatch: a just-ended minute has had time to land. */
export const POLL_OFFSET_MS = 5_000;

/**
 * When to poll next (pure): on the poll-interval grid plus {@link POLL_OFFSET_MS}, so each poll sees the newest
 * minute as soon as it can be visible (polling a fixed interval after the `up` would see it up to a minute
 * late); and at the end of the bake, so a healthy step passes on time.
 */
export function nextPollAt(now: number, pollMs: number, bakeEnd: number): number {
    const onGrid = Math.floor((now - POLL_OFFSET_MS) / pollMs) * pollMs + pollMs + POLL_OFFSET_MS;
    return bakeEnd > now ? Math.min(onGrid, bakeEnd) : onGrid;
}

/** Sleeps until the next poll, with a countdown to the end of the bake for a person watching. */
async function sleepWithCountdown(deps: RolloutDeps, ms: number, label: string, bakeEnd: number): Promise<void> {
    const tick = 10_000;
    let left = ms;
    while (left > 0) {
        const chunk = Math.min(tick, left);
        if (deps.log.progress) {
            const remaining = Math.max(0, Math.round((bakeEnd - deps.clock.now()) / 1000));
            deps.log.progress(`${label}: baking, ${Math.floor(remaining / 60)}m${String(remaining % 60).padStart(2, "0")}s left`);
            await deps.clock.sleep(chunk);
        } else {
            await deps.clock.sleep(left);
            return;
        }
        left -= chunk;
    }
}

/** Does the live alias route `weight` of a target's traffic to its candidate, as this rollout set it? */
export function routesAt(live: AliasRouting, t: { stable: string; candidate: string }, weight: number): boolean {
    return weight >= 1
        ? live.stableVersion === t.candidate && !live.candidate
        : live.stableVersion === t.stable && live.candidate?.version === t.candidate && Math.abs(live.candidate.weight - weight) < 1e-6;
}

/** After an `up`, the alias must route what was asked: anything else is an infrastructure error. */
async function verifyRouting(deps: RolloutDeps, targets: Target[], weight: number): Promise<void> {
    for (const t of targets) {
        const live = await readAlias(deps.lambda, deps.clock, t.functionName, t.aliasName);
        if (!routesAt(live, t, weight)) {
            throw new InfrastructureError(`${t.key}: after the up the alias routes ${JSON.stringify(trafficShares(live))}, not ${percent(weight)} to v${t.candidate}`);
        }
    }
}


/** The plan a person reads before anything moves (and all that --dry-run prints). */
export function describeRollout(stack: string, policy: RolloutPolicy, targets: Target[], remaining: Step[], resumed: boolean, position: number): string[] {
    const g = policy.gates;
    return [
        `${stack}: ${policy.strategy} rollout of ${targets.map((t) => `${t.key} v${t.stable} -> v${t.candidate}`).join(", ")}`,
        resumed ? `resuming from ${percent(position)} live on the candidate (the step is baked again)` : "starting from 0% on the candidate",
        `steps: ${remaining.map((s) => `${percent(s.weight)}${s.bakeSeconds ? ` for ${Math.round(s.bakeSeconds / 60)} min` : ""}`).join(" -> ")}`,
        `gates: error rate <= ${g.maxErrorRatePercent}%, and not above stable's (catching +${g.maxErrorRateIncreasePercent} points; stable's last ${Math.round((g.baseline ?? 0) / 60)} min before the rollout included), ` +
            `false-rollback budget ${g.falseRollbackPercent}% per rollout; p99 <= ${g.maxP99Ms} ms, throttles <= ${g.maxThrottles}, ` +
            `>= ${g.minInvocations} candidate invocations at 100% (x the weight before; else extend up to ${Math.round(g.maxExtension / 60)} min, then ${g.onNoData}), polled every ${Math.round(g.pollInterval / 60)} min`,
        `calls: one \`pulumi up\` per step with the routing in a temporary config file; CloudWatch GetMetricData + DescribeAlarms per poll; ` +
            `${policy.smokeTest ? "a direct Invoke of each candidate first (smoke test); " : ""}rollback by \`pulumi up\`, or UpdateAlias if the up cannot run`,
    ];
}
