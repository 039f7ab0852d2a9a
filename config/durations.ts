/**
 * Durations in config, and the upper bound of each: one table, which the schema enforces (an error naming the
 * key and the bound) and the README's configuration reference lists. Without bounds a value such as `1000000h`
 * passed validation and overflowed Node's 32-bit timers (automation/timers.ts): a hook timeout fired after
 * 18 ms. Every bound here is far below that limit (24.8 days) and above anything a rollout needs.
 */
import { z } from "zod";

const DURATION_TEXT = /^(\d+)(s|m|h)$/;
const NOT_A_DURATION = 'must be a duration such as "30s", "10m" or "1h"';

/** Parses "30s" / "10m" / "1h" into seconds. */
export function parseDuration(text: string): number {
    const match = DURATION_TEXT.exec(text);
    if (!match) {
        throw new Error(`"${text}" is not a duration such as "30s", "10m" or "1h"`);
    }
    const unit = { s: 1, m: 60, h: 3600 }[match[2] as "s" | "m" | "h"];
    return Number(match[1]) * unit;
}

/**
 * A duration such as "30s", "10m" or "1h", in seconds. A number is taken as seconds already, so a validated
 * policy (as the stack exports it) validates again unchanged. Unbounded: use {@link boundedDuration}.
 */
export const duration = z.union(
    [
        z.number().int().min(0),
        z
            .string()
            .regex(DURATION_TEXT, { message: NOT_A_DURATION })
            .transform((text) => parseDuration(text)),
    ],
    { message: NOT_A_DURATION },
);

const HOUR = 3600;
const DAY = 24 * HOUR;

/**
 * The bounds, in seconds, by what the duration is. `min` is the least that makes sense (0 when a zero is
 * meaningful, e.g. a bake of `0s` written on purpose).
 */
export const DURATION_BOUNDS = {
    /** A canary step's bake, a linear step's `every` and `finalBake`, blue-green's bake: a day at most. */
    bake: { min: 0, max: DAY },
    /** How long a step may wait for data past its bake. */
    maxExtension: { min: 0, max: DAY },
    /** How often the gate polls: Lambda's metrics are per minute; an hour between looks is already blind. */
    pollInterval: { min: 60, max: HOUR },
    /** Stable's history before the rollout added to its evidence. */
    baseline: { min: 0, max: DAY },
    /** How long a step waits for a person's approval: a week covers a weekend and a holiday. */
    approvalTimeout: { min: 1, max: 7 * DAY },
    /** One attempt of a hook (an integration test suite included). */
    hookTimeout: { min: 1, max: HOUR },
    /** One notification send. */
    notificationTimeout: { min: 1, max: 120 },
    /** How long a release watches the waves it released before the next wave starts (waves.yaml's `watch`). */
    waveWatch: { min: 0, max: DAY },
    /** A function's own timeout: Lambda's limit. */
    functionTimeout: { min: 1, max: 900 },
} as const;

/** What a bound is called in config. */
export type DurationBound = keyof typeof DURATION_BOUNDS;

/** Seconds as the config writes them: `1h`, `10m`, `30s` (the largest unit that divides them), `0s`. */
export function formatDurationBound(seconds: number): string {
    if (seconds > 0 && seconds % HOUR === 0) return `${seconds / HOUR}h`;
    if (seconds > 0 && seconds % 60 === 0) return `${seconds / 60}m`;
    return `${seconds}s`;
}

/** The rule a bound states: `must be between 1s and 1h`, or `must be at most 24h` when 0 is allowed. */
export function boundRule(bound: DurationBound): string {
    const { min, max } = DURATION_BOUNDS[bound];
    return min === 0
        ? `must be at most ${formatDurationBound(max)}`
        : `must be between ${formatDurationBound(min)} and ${formatDurationBound(max)}`;
}

/** Whether `seconds` is within `bound`. */
export function withinBound(bound: DurationBound, seconds: number): boolean {
    const { min, max } = DURATION_BOUNDS[bound];
    return seconds >= min && seconds <= max;
}

/** A duration within `bound`, refused otherwise with the bound's rule (and `why`, when the bound needs a reason). */
export function boundedDuration(bound: DurationBound, why?: string) {
    return duration.refine((s) => withinBound(bound, s), { message: `${boundRule(bound)}${why ? ` (${why})` : ""}` });
}
