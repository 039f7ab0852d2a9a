/**
 * Whether a step's evidence is enough to pass it (pure): a step passes only on evidence that could have failed
 * it. Three conditions, on top of `minInvocations` x the weight:
 *
 * - **The bake's own minutes.** Lambda's metrics arrive minutes late; a step passes only once the data of every
 *   whole minute of its bake has arrived (a minute is known to have arrived when it, or a later one, shows in
 *   either version's series). With metrics 12 minutes late, a 10-minute bake waits for its minutes.
 * - **`advance: time`: power.** The configured error tests, on the evidence so far, would fail a candidate at the
 *   step's must-catch regression showing its expected errors (about even odds of catching it: the tests "could
 *   have failed it"). A step's must-catch is the regression that hurts users at its weight as fast as
 *   `maxErrorRateIncreasePercent` would at full traffic: the increase over the weight (+5 points at 10%, +1 at
 *   50%, +0.5 at 100% in prod), so the last step carries the full promise.
 * - **`advance: evidence`: acceptance.** The evidence excludes the must-catch of the weight the rollout moves to
 *   next (+1 point before 50%, +0.5 before 100% and before the promotion in prod): the regression that would
 *   hurt users there faster than `maxErrorRateIncreasePercent` at full traffic. The acceptance side of a
 *   sequential test: an e-process against that regression reaching 1/{@link ACCEPTANCE_BETA}. A step holds its
 *   weight until then, so a candidate that bad is decided at the lowest weight the evidence allows.
 *
 * Short of them after the bake, the step is extended up to `maxExtension`, then does what `onNoData` says.
 */
import type { GatePolicy } from "../../config/stackConfig";
import { errorStatistics, everyPollTests, lookTest, MIN_ERRORS_TO_FAIL, pooled, stableRate, type ErrorCounts } from "./errorTests";
import type { FunctionEvidence } from "./ports";
import { boundary, logAcceptanceRatio } from "./sequential";

/**
 * The acceptance side's error: a candidate at the must-catch regression advances past a step, or is promoted,
 * with probability at most this (with `advance: evidence`), however often the gate looks.
 */
export const ACCEPTANCE_BETA = 0.05;

/** Why a step that no test failed may not pass yet. */
export type Shortfall = "no-data" | "late-minutes" | "underpowered" | "not-excluded";

/** The step's must-catch increase as a fraction: `maxErrorRateIncreasePercent` over the weight, at most 1. */
export function mustCatchIncrease(gates: GatePolicy, weight: number): number {
    return Math.min(1, gates.maxErrorRateIncreasePercent / 100 / Math.min(1, Math.max(weight, 1e-6)));
}

/** The end (epoch ms) of the last whole minute of a bake that started at `stepStartMs`. */
export function bakeMinutesEnd(stepStartMs: number, bakeSeconds: number): number {
    return Math.floor((stepStartMs + bakeSeconds * 1000) / 60_000) * 60_000;
}

/**
 * How far a function's metrics have arrived (epoch ms, the end of the newest minute in either version's
 * series): Lambda publishes a minute of a version only when it had invocations, so a quiet minute shows only
 * once a later one arrives. Undefined when nothing has.
 */
export function arrivedThrough(ev: FunctionEvidence): number | undefined {
    const newest = Math.max(...ev.candidate.minutes, ...ev.stable.minutes);
    return Number.isFinite(newest) ? newest + 60_000 : undefined;
}

/** What the power condition found. */
export interface PowerNumbers {
    /** The step's must-catch: stable's rate plus this many points. */
    readonly mustCatchIncreasePoints: number;
    /** The test the numbers are of: the step's end-of-step look (on its window), or the every-poll tests (now). */
    readonly test: "look" | "every-poll";
    /** The candidate invocations that test reads. */
    readonly candidateInvocations: number;
    /** The errors a candidate at the must-catch rate would make in them. */
    readonly expectedErrors: number;
    /** The fewest candidate errors at which the test would fail it; undefined when none would. */
    readonly criticalErrors?: number;
    readonly met: boolean;
}

/** The fewest candidate errors, from MIN_ERRORS_TO_FAIL up, at which `fails` holds (it is monotone); undefined if none. */
function fewestFailing(invocations: number, fails: (errors: number) => boolean): number | undefined {
    let lo = MIN_ERRORS_TO_FAIL;
    let hi = invocations;
    if (hi < lo || !fails(hi)) return undefined;
    while (lo < hi) {
        const mid = Math.floor((lo + hi) / 2);
        if (fails(mid)) hi = mid;
        else lo = mid + 1;
    }
    return lo;
}

/**
 * Whether the error tests could fail a regression of `increase` (a fraction; a step's must-catch is
 * {@link mustCatchIncrease}) on this much evidence (pure): for the
 * every-poll tests on the counts now, and for the step's end-of-step look on its window's counts (`look`), the
 * fewest candidate errors the test fails against the errors a candidate at the must-catch rate would show.
 * Met when either could. The same-minute test is left out, so the answer errs on the strict side.
 */
export function powerCheck(
    c: ErrorCounts,
    gates: GatePolicy,
    increase: number,
    look?: { readonly alpha: number; readonly counts: ErrorCounts },
): PowerNumbers {
    // With nothing of stable to compare with (a 100% switch, `baseline: 0s`), the only test is the absolute
    // limit, and the must-catch is that far beyond it.
    const mustCatchRate = Math.min(1, (stableRate(c) ?? gates.maxErrorRatePercent / 100) + increase);
    const numbers = (test: PowerNumbers["test"], counts: ErrorCounts, fails: (errors: number) => boolean): PowerNumbers => {
        const expectedErrors = mustCatchRate * counts.candidateInvocations;
        const criticalErrors = fewestFailing(counts.candidateInvocations, fails);
        return {
            mustCatchIncreasePoints: round3(increase * 100),
            test,
            candidateInvocations: counts.candidateInvocations,
            expectedErrors: Math.round(expectedErrors * 10) / 10,
            ...(criticalErrors !== undefined ? { criticalErrors } : {}),
            met: criticalErrors !== undefined && expectedErrors >= criticalErrors,
        };
    };
    const withErrors = (counts: ErrorCounts, errors: number) => ({ ...counts, candidateErrors: errors });
    const now = numbers("every-poll", c, (errors) => {
        const counts = withErrors(c, errors);
        return everyPollTests(counts, gates, errorStatistics(counts, gates, false)) !== undefined;
    });
    if (now.met || !look) return now;
    const atLook = numbers("look", look.counts, (errors) => {
        const counts = withErrors(look.counts, errors);
        return lookTest(counts, gates, errorStatistics(counts, gates, false), look.alpha)?.failed === true;
    });
    return atLook.met ? atLook : now;
}

/**
 * The acceptance side (`advance: evidence`, pure): ln of the e-process against the must-catch regression of the
 * weight the rollout moves to next (1 for the promotion), and whether the evidence excludes it.
 */
export function acceptanceCheck(
    c: ErrorCounts,
    gates: GatePolicy,
    nextWeight: number,
): { logRatio: number; increasePoints: number; met: boolean } {
    const increase = mustCatchIncrease(gates, nextWeight);
    const logRatio = logAcceptanceRatio(pooled(c), increase);
    return {
        logRatio: Math.round(logRatio * 100) / 100,
        increasePoints: round3(increase * 100),
        met: logRatio >= boundary(ACCEPTANCE_BETA),
    };
}

function round3(n: number): number {
    return Math.round(n * 1000) / 1000;
}
