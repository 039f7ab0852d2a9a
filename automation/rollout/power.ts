/**
 * The power statement, before any traffic moves (pure, but for {@link statePower}'s read of recent traffic):
 * per function, from its recent traffic and stable's error rate, what this rollout's steps and bakes can catch,
 * and what it would take to catch its must-catch regression (`maxErrorRateIncreasePercent`). The numbers are
 * those of the gate itself: the counts a function at that traffic would show by each minute of the rollout,
 * run through the same power condition and acceptance test (sufficiency.ts), metric lag aside.
 */
import type { RolloutPolicy } from "../../config/stackConfig";
import { lookAlphas, type ErrorCounts } from "./errorTests";
import { acceptanceCheck, mustCatchIncrease, powerCheck } from "./sufficiency";
import { advanceOf, stepsFor } from "./steps";

/** A function's recent traffic: requests a minute and stable's error rate (a fraction), and where they come from. */
export interface TrafficEstimate {
    readonly requestsPerMinute: number;
    readonly stableErrorRate: number;
    /** "CloudWatch, the last day", "scenario low-traffic", ... */
    readonly source: string;
}

/** What one step would need, for a candidate as good as stable at that traffic. */
export interface StepOutlook {
    readonly weight: number;
    readonly bakeMinutes: number;
    /** The regression the step must be able to catch (`time`) or exclude (`evidence`), in points over stable. */
    readonly mustCatchIncreasePoints: number;
    /** Minutes after the step's start its evidence needs; undefined when beyond a week. */
    readonly minutesNeeded?: number;
    /** `on-time`: by the end of its bake; `extended`: within its extension; `short`: not even then (onNoData). */
    readonly outlook: "on-time" | "extended" | "short";
}

/** The power statement of one function. */
export interface PowerStatement {
    readonly function: string;
    readonly requestsPerMinute: number;
    readonly stableErrorRatePercent: number;
    readonly source: string;
    readonly advance: "time" | "evidence";
    /** The smallest increase the tests could catch by the end of the last bake (points over stable); undefined: none. */
    readonly detectableIncreasePoints?: number;
    /** The same as a ratio of stable's rate (undefined when stable's rate is 0). */
    readonly detectableRatio?: number;
    readonly mustCatchIncreasePoints: number;
    /** Whether the steps and bakes as configured catch the must-catch by the end of the last bake. */
    readonly catchesMustCatch: boolean;
    /** Minutes at 100% the must-catch needs (`time`: power; `evidence`: its exclusion); undefined: beyond a week. */
    readonly minutesAt100ForMustCatch?: number;
    /**
     * When it needs more than a week: the same with a day of stable's history (`gates.baseline: 24h`), for a
     * function whose hour before the rollout is too few requests to pin stable's own rate.
     */
    readonly minutesAt100WithDayOfHistory?: number;
    readonly steps: StepOutlook[];
    /** The statement for people, a line or two. */
    readonly text: string[];
}

const WEEK_MINUTES = 7 * 24 * 60;
const DAY_SECONDS = 24 * 3600;

/** The expected counts after the steps before `index` ran `minutes[]` each and step `index` has run `t` minutes. */
function countsAt(policy: RolloutPolicy, traffic: TrafficEstimate, minutes: number[], index: number, t: number): ErrorCounts {
    const steps = stepsFor(policy);
    const rpm = traffic.requestsPerMinute;
    const p = traffic.stableErrorRate;
    let candidate = 0;
    let stable = 0;
    steps.slice(0, index + 1).forEach((s, i) => {
        const m = i < index ? minutes[i] : t;
        candidate += s.weight * rpm * m;
        stable += (1 - s.weight) * rpm * m;
    });
    const history = (rpm * (policy.gates.baseline ?? 0)) / 60;
    const c = Math.round(candidate);
    return {
        candidateInvocations: c,
        candidateErrors: Math.round(c * p),
        stableInvocations: Math.round(stable),
        stableErrors: Math.round(stable * p),
        baselineInvocations: Math.round(history),
        baselineErrors: Math.round(history * p),
        ...(history > 0 ? { baselinePrior: { invocations: Math.round(history / 2), errors: Math.round((history / 2) * p) } } : {}),
    };
}

/** The first `t` in [0, cap] minutes at which `ok(t)` holds (it is monotone), to 1% or a tenth of a minute; undefined when none. */
function firstMinute(cap: number, ok: (t: number) => boolean): number | undefined {
    if (!ok(cap)) return undefined;
    let lo = 0;
    let hi = cap;
    while (hi - lo > Math.max(0.1, hi / 100)) {
        const mid = (lo + hi) / 2;
        if (ok(mid)) hi = mid;
        else lo = mid;
    }
    return Math.ceil(hi * 10) / 10;
}

/**
 * Whether step `index`'s evidence, `t` minutes in, would let it move on (pure): `time`, power against
 * `increase`; `evidence`, the must-catch of `nextWeight` excluded.
 */
function enough(
    policy: RolloutPolicy,
    advance: "time" | "evidence",
    traffic: TrafficEstimate,
    minutes: number[],
    index: number,
    target: { readonly increase: number; readonly nextWeight: number },
    t: number,
): boolean {
    const counts = countsAt(policy, traffic, minutes, index, t);
    if (advance === "evidence") return acceptanceCheck(counts, policy.gates, target.nextWeight).met;
    const look = lookAlphas(
        policy.gates,
        stepsFor(policy).map((s) => s.bakeSeconds),
    )[index];
    return powerCheck(counts, policy.gates, target.increase, look === null || look === undefined ? undefined : { alpha: look, counts }).met;
}

/** What each step would need at `traffic`, each taking what it needs within its bake and extension (pure). */
function stepOutlooks(policy: RolloutPolicy, advance: "time" | "evidence", traffic: TrafficEstimate): StepOutlook[] {
    const gates = policy.gates;
    const steps = stepsFor(policy);
    const extension = gates.maxExtension / 60;
    const minutes: number[] = [];
    return steps.map((s, i) => {
        const bake = s.bakeSeconds / 60;
        const nextWeight = steps[i + 1]?.weight ?? 1;
        const target = { increase: mustCatchIncrease(gates, s.weight), nextWeight };
        const needed = bake === 0 ? 0 : firstMinute(WEEK_MINUTES, (t) => enough(policy, advance, traffic, minutes, i, target, t));
        minutes.push(needed === undefined ? bake + extension : Math.min(Math.max(needed, bake), bake + extension));
        const outlook =
            needed !== undefined && needed <= bake ? "on-time" : needed !== undefined && needed <= bake + extension ? "extended" : "short";
        const increase = advance === "evidence" ? mustCatchIncrease(gates, nextWeight) : target.increase;
        return {
            weight: s.weight,
            bakeMinutes: bake,
            mustCatchIncreasePoints: round3(increase * 100),
            ...(needed !== undefined ? { minutesNeeded: needed } : {}),
            outlook,
        };
    });
}

/** The smallest increase the configured bakes alone could catch by the end of the last one (time's power condition). */
function detectableIncrease(policy: RolloutPolicy, traffic: TrafficEstimate): number | undefined {
    const bakes = stepsFor(policy).map((s) => s.bakeSeconds / 60);
    const last = bakes.length - 1;
    const detects = (increase: number) => enough(policy, "time", traffic, bakes, last, { increase, nextWeight: 1 }, bakes[last]);
    const ceiling = 1 - traffic.stableErrorRate;
    if (!(ceiling > 0) || !detects(ceiling)) return undefined;
    let lo = 0;
    let hi = ceiling;
    // To a thousandth of a point.
    while (hi - lo > 1e-5) {
        const mid = (lo + hi) / 2;
        if (detects(mid)) hi = mid;
        else lo = mid;
    }
    return hi;
}

/** The power statement of one function at `traffic` (pure). */
export function powerStatement(policy: RolloutPolicy, name: string, traffic: TrafficEstimate): PowerStatement {
    const gates = policy.gates;
    const advance = advanceOf(policy);
    const bakes = stepsFor(policy).map((s) => s.bakeSeconds / 60);
    const detectable = detectableIncrease(policy, traffic);
    const mustCatch = gates.maxErrorRateIncreasePercent / 100;
    const atFullWith = (p: RolloutPolicy) =>
        firstMinute(WEEK_MINUTES, (t) => enough(p, advance, traffic, bakes, bakes.length - 1, { increase: mustCatch, nextWeight: 1 }, t));
    const atFull = atFullWith(policy);
    const withDay =
        atFull === undefined && (gates.baseline ?? 0) < DAY_SECONDS
            ? atFullWith({ ...policy, gates: { ...gates, baseline: DAY_SECONDS } })
            : undefined;
    const statement = {
        function: name,
        requestsPerMinute: round3(traffic.requestsPerMinute),
        stableErrorRatePercent: round3(traffic.stableErrorRate * 100),
        source: traffic.source,
        advance,
        ...(detectable !== undefined
            ? {
                  detectableIncreasePoints: round3(detectable * 100),
                  ...(traffic.stableErrorRate > 0
                      ? { detectableRatio: round1((traffic.stableErrorRate + detectable) / traffic.stableErrorRate) }
                      : {}),
              }
            : {}),
        mustCatchIncreasePoints: gates.maxErrorRateIncreasePercent,
        catchesMustCatch: detectable !== undefined && detectable <= mustCatch + 1e-9,
        ...(atFull !== undefined ? { minutesAt100ForMustCatch: atFull } : {}),
        ...(withDay !== undefined ? { minutesAt100WithDayOfHistory: withDay } : {}),
        steps: stepOutlooks(policy, advance, traffic),
    };
    return { ...statement, text: describePower(statement, gates.maxExtension / 60, gates.onNoData) };
}

/** The statement in words (pure). */
export function describePower(p: Omit<PowerStatement, "text">, extensionMinutes: number, onNoData: string): string[] {
    const at = `${p.function}: at ${p.requestsPerMinute} request${p.requestsPerMinute === 1 ? "" : "s"} a minute (stable ${p.stableErrorRatePercent}% errors; ${p.source})`;
    const catches =
        p.detectableIncreasePoints === undefined
            ? "its steps and bakes cannot catch even a release failing every call by the end of the last bake"
            : `its steps and bakes catch a rise of +${round2(p.detectableIncreasePoints)} points${p.detectableRatio !== undefined ? ` (${p.detectableRatio}x stable's errors)` : ""} by the end of the last bake`;
    const full = p.minutesAt100ForMustCatch;
    const lastBake = p.steps.at(-1)?.bakeMinutes ?? 0;
    const mustCatch = p.catchesMustCatch
        ? `so it catches its must-catch, +${p.mustCatchIncreasePoints} points`
        : full === undefined
          ? `to catch its must-catch, +${p.mustCatchIncreasePoints} points, it would need more than a week at 100%` +
            (p.minutesAt100WithDayOfHistory !== undefined
                ? ` (stable's hour before the rollout is too few requests to pin its own rate; with gates.baseline 24h, about ${duration(p.minutesAt100WithDayOfHistory)})`
                : "")
          : p.steps.at(-1)?.outlook === "extended"
            ? `it catches its must-catch, +${p.mustCatchIncreasePoints} points, after about ${duration(full)} at 100% (the last bake extended, within maxExtension ${duration(extensionMinutes)})`
            : `to catch its must-catch, +${p.mustCatchIncreasePoints} points, it needs about ${duration(full)} at 100% (maxExtension ${duration(Math.max(0, full - lastBake))} or more${p.advance === "time" ? "; or advance: evidence with it" : ""})`;
    const short = p.steps.filter((s) => s.outlook !== "on-time");
    const steps =
        short.length === 0
            ? `every step has its evidence by the end of its bake (advance: ${p.advance})`
            : `advance: ${p.advance}: ` +
              short
                  .map(
                      (s) =>
                          `${Math.round(s.weight * 100)}% needs ${s.minutesNeeded === undefined ? "more than a week" : duration(s.minutesNeeded)} against +${s.mustCatchIncreasePoints} points ` +
                          (s.outlook === "extended"
                              ? `(within bake + maxExtension)`
                              : `(past bake ${duration(s.bakeMinutes)} + maxExtension ${duration(extensionMinutes)}: onNoData ${onNoData}, for a healthy candidate too)`),
                  )
                  .join("; ");
    return [`power: ${at}, ${catches}; ${mustCatch}.`, `power: ${p.function}: ${steps}.`];
}

/** "45 min", "2.4 h". */
function duration(minutes: number): string {
    return minutes < 90 ? `${Math.ceil(minutes)} min` : `${round1(minutes / 60)} h`;
}

function round2(n: number): number {
    return Math.round(n * 100) / 100;
}

function round1(n: number): number {
    return Math.round(n * 10) / 10;
}

function round3(n: number): number {
    return Math.round(n * 1000) / 1000;
}

/** A function to read recent traffic for: its key in the stack's config, and where its metrics are. */
export interface TrafficTarget {
    readonly key: string;
    readonly functionName: string;
    readonly aliasName: string;
}

/**
 * Reads each function's recent traffic: from CloudWatch, the last day of Invocations and Errors through the
 * alias; in a rehearsal, the scenario's rate. A function whose traffic cannot be read says why.
 */
export type RecentTraffic = (
    targets: readonly TrafficTarget[],
) => Promise<Record<string, TrafficEstimate | { readonly unreadable: string }>>;

/**
 * The power statement of each function, logged for the person about to move traffic (pure but for the read and
 * the lines): a read that fails is said, never a reason to stop. Undefined when there is nothing to state (no
 * way to read traffic, or no step with a bake).
 */
export async function statePower(
    recentTraffic: RecentTraffic | undefined,
    policy: RolloutPolicy,
    targets: readonly TrafficTarget[],
    say: (line: string) => void,
): Promise<PowerStatement[] | undefined> {
    if (!recentTraffic || targets.length === 0 || stepsFor(policy).every((s) => s.bakeSeconds === 0)) return undefined;
    let read: Awaited<ReturnType<RecentTraffic>>;
    try {
        read = await recentTraffic(targets);
    } catch (err) {
        say(
            `power: recent traffic could not be read (${err instanceof Error ? err.message : String(err)}): no statement of what this rollout can catch`,
        );
        return undefined;
    }
    const statements: PowerStatement[] = [];
    for (const t of targets) {
        // A statement is some milliseconds of arithmetic: what else is in flight (a notification) is served between.
        await new Promise((resolve) => setImmediate(resolve));
        const traffic = read[t.key];
        if (!traffic || "unreadable" in traffic) {
            say(`power: ${t.key}: recent traffic could not be read (${traffic?.unreadable ?? "no answer"})`);
            continue;
        }
        const statement = powerStatement(policy, t.key, traffic);
        statement.text.forEach(say);
        statements.push(statement);
    }
    return statements;
}
