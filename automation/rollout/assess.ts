/**
 * The health gate: a pure function of the policy, the time into the step and the evidence, returning a verdict
 * with its reason and the numbers behind it. Each function is assessed on its own; the worst verdict wins,
 * so functions of one stack move and roll back together.
 *
 * The error tests (errorTests.ts) read the whole rollout's evidence (a version's error rate does not depend on
 * its share of traffic) and split the false-rollback budget (`gates.falseRollbackPercent`) between an absolute
 * limit, a same-minute comparison with stable, a comparison with stable's history (always valid) and one look
 * per step. A step passes only after its bake on evidence that could have failed it (sufficiency.ts): enough
 * invocations, the bake's own minutes arrived, and power against its must-catch regression (`advance: time`) or
 * that regression excluded (`advance: evidence`). No data is never a pass. See docs/gates.md.
 */
import type { Advance, GatePolicy } from "../../config/stackConfig";
import {
    comparisonRatios,
    errorStatistics,
    everyPollTests,
    lookTest,
    minuteCounts,
    fmtAlpha,
    type ErrorCounts,
    type ErrorStatistics,
} from "./errorTests";
import type { FunctionEvidence } from "./ports";
import { logConditionalMixtureRatio } from "./sequential";
import {
    ACCEPTANCE_BETA,
    acceptanceCheck,
    arrivedThrough,
    bakeMinutesEnd,
    mustCatchIncrease,
    powerCheck,
    type Shortfall,
} from "./sufficiency";
import { throttleCheck } from "./throttles";
import { DEFAULT_SEVERITY, withSeverity } from "./severity";
import type { Baseline, GateCause, GateNumbers, GateResult, Verdict } from "./verdict";

export { gateAlphas, lookAlphas, MIN_ERRORS_TO_FAIL, minuteCounts } from "./errorTests";
export { poissonUpperQuantile, THROTTLE_RATE_TOLERANCE, throttleCheck } from "./throttles";
export { DEFAULT_SEVERITY, isMarginal, severityBand, withSeverity, type SeverityBand } from "./severity";
export type { Baseline, GateCause, GateNumbers, GateResult, Verdict } from "./verdict";

/** Worst first: the order in which one function's verdict overrides another's. */
const SEVERITY: Verdict[] = ["failed", "inconclusive", "extended", "baking", "passed"];

/** Minutes out of the last five whose candidate p99 must exceed the limit to fail (as the p99 alarm). */
export const LATENCY_BREACHES = 3;

/** Everything a gate decision depends on. */
export interface GateInput {
    readonly gates: GatePolicy;
    readonly bakeSeconds: number;
    readonly elapsedSeconds: number;
    /** The candidate's share of traffic in this step (0-1]: a step needs `minInvocations` x weight. Default 1. */
    readonly weight?: number;
    /** How the step moves on (default `time`). */
    readonly advance?: Advance;
    /** The weight the rollout moves to after this step (1 for the last: the promotion); `advance: evidence` reads it. */
    readonly nextWeight?: number;
    /** When the step's bake began (epoch ms): its minutes must have arrived before it passes. */
    readonly stepStartMs?: number;
    /** When the rollout's evidence window began (epoch ms), for the minutes reported. */
    readonly rolloutStartMs?: number;
    /** This step's evidence per function; undefined when CloudWatch could not be read on this poll. */
    readonly evidence?: Record<string, FunctionEvidence>;
    /**
     * Evidence since the rollout's first step, per function: the error tests run on it (on `evidence` when
     * absent). `evidence` still decides minInvocations, p99, throttles and dead-letter errors.
     */
    readonly rolloutEvidence?: Record<string, FunctionEvidence>;
    /** Stable's history before the rollout, per function; absent when none could be read. */
    readonly baseline?: Record<string, Baseline>;
    /**
     * This step's share of the budget for its end-of-step look (a probability), from {@link lookAlphas}.
     * Without it the step has no look (only the every-poll tests run).
     */
    readonly lookAlpha?: number;
    /** Alarms in ALARM per function (names), when the alarm states could be read. */
    readonly alarmsInAlarm?: Record<string, string[]>;
    /**
     * Per function, why its evidence could not be read whole this poll (a metric series missing or failed,
     * the alarm states unreadable): that function then has no evidence, never zero errors or a quiet alarm.
     */
    readonly unreadable?: Record<string, string>;
}

/**
 * A function's evidence restricted to the minutes from `fromMs` on and before `beforeMs` (the rollout's evidence
 * cut to one step, or to a bake's window).
 * Throttles and dead-letter errors are totals and stay as they are: over the longer window they are only
 * stricter.
 */
export function evidenceSince(ev: FunctionEvidence, fromMs: number, beforeMs = Infinity): FunctionEvidence {
    const cut = (v: FunctionEvidence["candidate"]) => {
        const keep = v.minutes.map((t) => t >= fromMs && t < beforeMs);
        const pick = <T>(xs: T[] | undefined) => (xs ?? []).filter((_, i) => keep[i]);
        const invocationsByMinute = pick(v.invocationsByMinute);
        const errorsByMinute = pick(v.errorsByMinute);
        return {
            invocations: invocationsByMinute.reduce((a, b) => a + b, 0),
            errors: errorsByMinute.reduce((a, b) => a + b, 0),
            p99ByMinute: v.p99ByMinute.length === v.minutes.length ? pick(v.p99ByMinute) : v.p99ByMinute,
            minutes: pick(v.minutes),
            invocationsByMinute,
            errorsByMinute,
        };
    };
    return { ...ev, candidate: cut(ev.candidate), stable: cut(ev.stable) };
}

/** The candidate invocations a step at `weight` needs before it may pass. */
export function requiredInvocations(gates: GatePolicy, weight: number): number {
    return Math.max(1, Math.ceil(gates.minInvocations * Math.min(1, Math.max(0, weight)) - 1e-9));
}

const rate = (errors: number, n: number) => (n === 0 ? 0 : (100 * errors) / n);
const fmt = (n: number) => (Math.round(n * 100) / 100).toString();

/**
 * The alternatives of the same-minute test (rate ratios over stable): the mixture's grid, plus the ratio the
 * gate must catch (stable's historical rate plus `maxErrorRateIncreasePercent`) when the history has errors.
 */
export function sameMinuteRatios(gates: GatePolicy, baseline?: Baseline): number[] {
    return comparisonRatios(gates, { baselineInvocations: baseline?.invocations ?? 0, baselineErrors: baseline?.errors ?? 0 });
}

/** What one poll measured of one function: the counts the tests read, their statistics, the counts in words. */
interface Measured {
    readonly counts: ErrorCounts;
    readonly stats: ErrorStatistics;
    readonly sameMinuteLogRatio?: number;
    readonly recentP99: number[];
    readonly numbers: GateNumbers;
    readonly words: string;
}

/** Measures one function's evidence (pure): the statistics every test of {@link assessFunction} reads. */
function measure(name: string, ev: FunctionEvidence, input: GateInput): Measured {
    const { gates } = input;
    const cumulative = input.rolloutEvidence?.[name];
    const c = cumulative?.candidate ?? ev.candidate;
    const s = cumulative?.stable ?? ev.stable;
    const base: Baseline = input.baseline?.[name] ?? { invocations: 0, errors: 0 };
    const counts = countsOf(cumulative ?? ev, base);
    const stats = errorStatistics(counts, gates);
    const recentP99 = ev.candidate.p99ByMinute.slice(-5);
    const sameMinute = minuteCounts(c, s);
    const logRatio = sameMinute.length > 0 ? logConditionalMixtureRatio(sameMinute, sameMinuteRatios(gates, base)) : undefined;
    const arrived = arrivedThrough(cumulative ?? ev);
    const numbers: GateNumbers = {
        candidateInvocations: c.invocations,
        candidateErrors: c.errors,
        candidateErrorRatePercent: round2(rate(c.errors, c.invocations)),
        stableInvocations: s.invocations,
        stableErrors: s.errors,
        stableErrorRatePercent: round2(rate(s.errors, s.invocations)),
        baselineInvocations: base.invocations,
        baselineErrors: base.errors,
        candidateErrorRateLowerPercent: round3((stats.candidateLower ?? 0) * 100),
        sameMinuteLogRatio: logRatio === undefined ? undefined : round2(logRatio),
        historyLogRatio: stats.historyLogRatio === undefined ? undefined : round2(stats.historyLogRatio),
        ...(arrived !== undefined && input.rolloutStartMs !== undefined
            ? { arrivedThroughMinute: round2((arrived - input.rolloutStartMs) / 60_000) }
            : {}),
        candidateP99Ms: recentP99.length ? Math.max(...recentP99) : undefined,
        throttles: ev.aliasThrottles,
        deadLetterErrors: ev.deadLetterErrors,
    };
    const history =
        base.invocations > 0
            ? `, stable before the rollout ${base.errors}/${base.invocations} (${fmt(rate(base.errors, base.invocations))}%)`
            : "";
    const words =
        `${cumulative ? "since the rollout began: " : ""}candidate ${c.errors}/${c.invocations} errors (${fmt(numbers.candidateErrorRatePercent)}%), stable ${s.errors}/${s.invocations} (${fmt(numbers.stableErrorRatePercent)}%)${history}` +
        (cumulative ? `; this step: candidate ${ev.candidate.errors}/${ev.candidate.invocations}` : "");
    return { counts, stats, sameMinuteLogRatio: logRatio, recentP99, numbers, words };
}

/** Assesses one function: the first decisive failure, else where the bake stands. */
export function assessFunction(
    name: string,
    ev: FunctionEvidence,
    alarms: string[],
    input: GateInput,
): { verdict: Verdict; reason: string; cause: GateCause; numbers: GateNumbers } {
    const { gates } = input;
    const m = measure(name, ev, input);
    const fail = (cause: GateCause, why: string, extra: Partial<GateNumbers> = {}) => ({
        verdict: "failed" as const,
        cause,
        reason: `${name}: ${why}`,
        numbers: { ...m.numbers, ...extra },
    });
    if (alarms.length > 0) return fail("alarm", `alarm ${alarms.join(", ")} in ALARM; ${m.words}`);
    const throttles = throttleCheck(gates, input.rolloutEvidence?.[name] ?? ev, input.baseline?.[name]);
    if (throttles.exceeded) return fail("throttles", throttles.reason);
    if (ev.deadLetterErrors > 0) return fail("dead-letter", `${ev.deadLetterErrors} dead-letter delivery errors`);
    const errors = everyPollTests(m.counts, gates, m.stats, m.sameMinuteLogRatio);
    if (errors) return fail(errors.cause, `${errors.why}: ${m.words}`);
    const breaches = m.recentP99.filter((p) => p > gates.maxP99Ms);
    if (breaches.length >= LATENCY_BREACHES) {
        return fail(
            "latency",
            `p99 ${Math.round(Math.max(...breaches))} ms > ${gates.maxP99Ms} ms in ${breaches.length} of the last ${m.recentP99.length} minutes`,
        );
    }
    const where = timing(name, ev, m, input);
    if (where.look) {
        const look = lookTest(where.look.counts, gates, errorStatistics(where.look.counts, gates, false), where.look.alpha);
        if (look?.failed) return fail("end-of-step-look", `${look.why}: ${m.words}`, { ...where.numbers, lookPValue: look.p });
        if (look) return { ...where, numbers: { ...m.numbers, ...where.numbers, lookPValue: look.p } };
    }
    return { ...where, numbers: { ...m.numbers, ...where.numbers } };
}

/** The counts the error tests read, from a function's evidence and its history before the rollout (pure). */
function countsOf(ev: FunctionEvidence, base: Baseline): ErrorCounts {
    return {
        candidateInvocations: ev.candidate.invocations,
        candidateErrors: ev.candidate.errors,
        stableInvocations: ev.stable.invocations,
        stableErrors: ev.stable.errors,
        baselineInvocations: base.invocations,
        baselineErrors: base.errors,
        ...(base.olderHalf ? { baselinePrior: base.olderHalf } : {}),
    };
}

/**
 * The end-of-step look's window and share of the budget (pure): one test per step, at a time the candidate's
 * errors never choose. With `advance: time` the look is taken at the poll that passes the step (the first whose
 * evidence has power against the step's must-catch: a time set by the invocation counts and stable's rate), on
 * the evidence so far (`upTo` undefined). With `advance: evidence` the step may wait long after its bake, so the
 * look reads the window up to the end of the bake's last whole minute (`upTo`), fixed in advance: every poll
 * that reads it takes the same test.
 */
function lookWindow(
    name: string,
    ev: FunctionEvidence,
    input: GateInput,
    upTo?: number,
): { alpha: number; counts: ErrorCounts } | undefined {
    if (input.lookAlpha === undefined) return undefined;
    const rollout = input.rolloutEvidence?.[name] ?? ev;
    const window = upTo === undefined ? rollout : evidenceSince(rollout, -Infinity, upTo);
    return { alpha: input.lookAlpha, counts: countsOf(window, input.baseline?.[name] ?? { invocations: 0, errors: 0 }) };
}

/** Where the bake stands when no test failed: baking, passed, or short of evidence (extended, then inconclusive). */
function timing(
    name: string,
    ev: FunctionEvidence,
    m: Measured,
    input: GateInput,
): { verdict: Verdict; reason: string; cause: GateCause; numbers: Partial<GateNumbers>; look?: ReturnType<typeof lookWindow> } {
    const { gates, elapsedSeconds, bakeSeconds } = input;
    if (elapsedSeconds < bakeSeconds)
        return { verdict: "baking", reason: `${name}: healthy so far: ${m.words}`, cause: "healthy", numbers: {} };
    const found = sufficiency(name, ev, m, input);
    const look = found.lookDue ? found.look : undefined;
    if (!found.short)
        return { verdict: "passed", reason: `${name}: ${m.words}; ${found.enough}`, cause: "healthy", numbers: found.numbers, look };
    const { cause, why } = found.short;
    // Waiting for the bake's own minutes is the bake, not an extension for want of evidence (bounded the same).
    if (cause === "late-minutes" && elapsedSeconds < bakeSeconds + gates.maxExtension) {
        return { verdict: "baking", reason: `${name}: ${why}; waiting for them: ${m.words}`, cause, numbers: found.numbers, look };
    }
    if (elapsedSeconds < bakeSeconds + gates.maxExtension) {
        return { verdict: "extended", reason: `${name}: ${why}; bake extended: ${m.words}`, cause, numbers: found.numbers, look };
    }
    return {
        verdict: "inconclusive",
        reason: `${name}: ${why}, after the bake and ${Math.round(gates.maxExtension / 60)} min of extension: ${m.words}`,
        cause,
        numbers: found.numbers,
        look,
    };
}

/**
 * Whether a step's evidence could have failed it (sufficiency.ts), in order: the bake's own minutes arrived,
 * enough invocations this step, then power against the step's must-catch (`advance: time`) or that regression
 * excluded (`advance: evidence`). The first shortfall, or what made the evidence enough, in words and numbers.
 */
function sufficiency(
    name: string,
    ev: FunctionEvidence,
    m: Measured,
    input: GateInput,
): {
    short?: { cause: Shortfall; why: string };
    enough: string;
    numbers: Partial<GateNumbers>;
    /** The bake is over, its invocations and minutes in: the end-of-step look is due (on its fixed window). */
    lookDue?: boolean;
    look?: ReturnType<typeof lookWindow>;
} {
    const { gates } = input;
    const weight = input.weight ?? 1;
    if (input.stepStartMs !== undefined && input.rolloutStartMs !== undefined) {
        const end = bakeMinutesEnd(input.stepStartMs, input.bakeSeconds);
        const arrived = arrivedThrough(input.rolloutEvidence?.[name] ?? ev);
        if (arrived === undefined || arrived < end) {
            const at = (ms: number) => fmt((ms - input.rolloutStartMs!) / 60_000);
            return {
                short: {
                    cause: "late-minutes",
                    why:
                        `the bake's own minutes have not all arrived (metrics in through minute ${arrived === undefined ? "none" : at(arrived)} of the rollout, ` +
                        `the bake's through minute ${at(end)})`,
                },
                enough: "",
                numbers: {},
            };
        }
    }
    const needed = requiredInvocations(gates, weight);
    if (ev.candidate.invocations < needed) {
        return {
            short: { cause: "no-data", why: `${ev.candidate.invocations} of ${needed} candidate invocations needed this step` },
            enough: "",
            numbers: {},
        };
    }
    if ((input.advance ?? "time") === "evidence") return acceptance(name, ev, m, input);
    const look = lookWindow(name, ev, input);
    const power = powerCheck(m.counts, gates, mustCatchIncrease(gates, weight), look);
    const due = { lookDue: power.met, look };
    const catching =
        `a candidate at stable's rate + ${fmt(power.mustCatchIncreasePoints)} points (this step's must-catch) would show ${fmt(power.expectedErrors)} errors ` +
        `in ${power.test === "look" ? "the look's" : "these"} ${power.candidateInvocations} requests; the ${power.test === "look" ? "end-of-step look fails" : "tests fail"} it from ${power.criticalErrors ?? "no count at all"}`;
    return power.met
        ? { enough: `>= ${needed} candidate invocations this step, its minutes in, and power: ${catching}`, numbers: { power }, ...due }
        : {
              short: { cause: "underpowered", why: `too little evidence to catch this step's must-catch regression: ${catching}` },
              enough: "",
              numbers: { power },
              ...due,
          };
}

/** `advance: evidence`: the step moves on once the evidence excludes the next weight's must-catch (sufficiency.ts). */
function acceptance(name: string, ev: FunctionEvidence, m: Measured, input: GateInput): ReturnType<typeof sufficiency> {
    const { gates } = input;
    const upTo = input.stepStartMs !== undefined ? bakeMinutesEnd(input.stepStartMs, input.bakeSeconds) : undefined;
    const due = { lookDue: true, look: lookWindow(name, ev, input, upTo) };
    const next = input.nextWeight ?? 1;
    const found = acceptanceCheck(m.counts, gates, next);
    const numbers = { acceptanceLogRatio: found.logRatio };
    const what =
        next >= 1
            ? `the must-catch regression (stable's rate + ${gates.maxErrorRateIncreasePercent} points)`
            : `the must-catch of the next step at ${Math.round(next * 100)}% (stable's rate + ${fmt(found.increasePoints)} points)`;
    const test = `e-process against it e^${fmt(found.logRatio)}, 1/${fmtAlpha(ACCEPTANCE_BETA)} needed`;
    return found.met
        ? { enough: `the evidence excludes ${what} (${test}): advancing on evidence`, numbers, ...due }
        : { short: { cause: "not-excluded", why: `the evidence does not yet exclude ${what} (${test})` }, enough: "", numbers, ...due };
}

/** The input with the false-rollback budget (and this step's look) split evenly between `n` functions. */
export function perFunction(input: GateInput, n: number): GateInput {
    return {
        ...input,
        gates: { ...input.gates, falseRollbackPercent: (input.gates.falseRollbackPercent ?? 1) / n },
        lookAlpha: input.lookAlpha === undefined ? undefined : input.lookAlpha / n,
    };
}

/** Assesses a step across the stack's functions. */
export function assessStep(input: GateInput, functionNames: string[]): GateResult {
    // The budget is the rollout's: the functions roll back together, so each function's tests get an even share.
    const share = functionNames.length > 1 ? perFunction(input, functionNames.length) : input;
    const results = functionNames.map((name) => {
        const missing = !input.evidence ? "CloudWatch unavailable" : input.unreadable?.[name];
        return missing !== undefined
            ? withoutEvidence(name, missing, input.alarmsInAlarm?.[name] ?? [], input)
            : assessFunction(name, input.evidence![name], input.alarmsInAlarm?.[name] ?? [], share);
    });
    const worst = results.reduce((a, b) => (SEVERITY.indexOf(b.verdict) < SEVERITY.indexOf(a.verdict) ? b : a));
    const reason = worst.verdict === "passed" ? results.map((r) => r.reason).join("; ") : worst.reason;
    const gated: GateResult = {
        verdict: worst.verdict,
        reason,
        cause: worst.cause,
        function: functionNames[results.indexOf(worst)],
        numbers: Object.fromEntries(functionNames.flatMap((n, i) => (results[i].numbers ? [[n, results[i].numbers!]] : []))),
    };
    return withSeverity(gated, input.gates.severity ?? DEFAULT_SEVERITY);
}

/**
 * A function whose evidence could not be read this poll: it may keep baking or wait, never pass (no data is
 * never a pass); an alarm that could be read and is in ALARM still fails it.
 */
function withoutEvidence(
    name: string,
    why: string,
    alarms: string[],
    input: GateInput,
): { verdict: Verdict; reason: string; cause: GateCause; numbers?: GateNumbers } {
    if (alarms.length > 0)
        return { verdict: "failed", cause: "alarm", reason: `${name}: alarm ${alarms.join(", ")} in ALARM (no metrics this poll: ${why})` };
    const { elapsedSeconds, bakeSeconds, gates } = input;
    if (elapsedSeconds < bakeSeconds) return { verdict: "baking", cause: "no-data", reason: `${name}: no evidence this poll (${why})` };
    if (elapsedSeconds < bakeSeconds + gates.maxExtension)
        return { verdict: "extended", cause: "no-data", reason: `${name}: no evidence this poll (${why}); bake extended` };
    return {
        verdict: "inconclusive",
        cause: "no-data",
        reason: `${name}: no evidence this poll (${why}) after the bake and ${Math.round(gates.maxExtension / 60)} min of extension`,
    };
}

function round2(n: number): number {
    return Math.round(n * 100) / 100;
}

function round3(n: number): number {
    return Math.round(n * 1000) / 1000;
}
