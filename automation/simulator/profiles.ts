/**
 * How one version of a function behaves for the users of a rehearsal. Rates are per request; the
 * latency percentiles fit a log-normal, the usual shape of service latency.
 */
export interface VersionProfile {
    /** Probability that an invocation fails with a function error. */
    errorRate: number;
    /** Median duration, ms. */
    p50Ms: number;
    /** 99th percentile duration, ms (>= p50Ms). */
    p99Ms: number;
    /** Probability that a request is throttled (never invoked; a failed request for the user). */
    throttleRate?: number;
    /** Probability that an invocation that did not fail otherwise times out (an error lasting the function's timeout). */
    timeoutRate?: number;
    /**
     * Asynchronous events only: the probability that Lambda cannot write an event whose every attempt failed on
     * this version to the function's dead-letter queue (permissions, a misconfigured or throttled queue, a payload
     * too large), counted in DeadLetterErrors. Default 0.
     */
    deadLetterFailureRate?: number;
}

/** A profile that holds from `fromMinute` (minutes since the rehearsal started) on. */
export type TimedProfile = VersionProfile & { fromMinute: number };

/**
 * A profile for the whole rehearsal, or a list of profiles each from its minute on: the way a scenario
 * says "the candidate degrades at minute 20".
 */
export type ProfileSchedule = VersionProfile | TimedProfile[];

/** The behaviour of a version nobody described: healthy, so that only the versions a scenario names misbehave. */
export const DEFAULT_PROFILE: VersionProfile = Object.freeze({ errorRate: 0, p50Ms: 50, p99Ms: 200 });

/**
 * The profile in force at `minute` of the rehearsal: the last entry whose `fromMinute` is at or before it
 * (the first entry before the first `fromMinute`, so a schedule never leaves a gap).
 */
export function profileAt(schedule: ProfileSchedule, minute: number): VersionProfile {
    if (!Array.isArray(schedule)) return schedule;
    if (schedule.length === 0) throw new Error("a profile schedule needs at least one entry");
    const byStart = [...schedule].sort((a, b) => a.fromMinute - b.fromMinute);
    let current = byStart[0];
    for (const entry of byStart) {
        if (entry.fromMinute <= minute) current = entry;
    }
    return current;
}

/** The minutes at which a schedule changes profile, for splitting simulated traffic at those instants. */
export function profileChangeMinutes(schedule: ProfileSchedule): number[] {
    return Array.isArray(schedule) ? schedule.map((entry) => entry.fromMinute) : [];
}

/**
 * Throws unless the schedule is usable; the message names the field and what would be valid, so a bad
 * scenario file fails before the rehearsal starts rather than as NaN latencies.
 */
export function validateProfileSchedule(schedule: ProfileSchedule, where: string): void {
    const entries: VersionProfile[] = Array.isArray(schedule) ? schedule : [schedule];
    if (entries.length === 0) throw new Error(`${where}: a profile schedule needs at least one entry`);
    for (const profile of entries) {
        for (const field of ["errorRate", "throttleRate", "timeoutRate", "deadLetterFailureRate"] as const) {
            const value = profile[field];
            if (value !== undefined && !(value >= 0 && value <= 1)) {
                throw new Error(`${where}: \`${field}\` must be between 0 and 1, got ${value}`);
            }
        }
        if (!(profile.p50Ms > 0)) throw new Error(`${where}: \`p50Ms\` must be a positive number of ms, got ${profile.p50Ms}`);
        if (!(profile.p99Ms >= profile.p50Ms)) {
            throw new Error(`${where}: \`p99Ms\` must be at least \`p50Ms\` (${profile.p50Ms}), got ${profile.p99Ms}`);
        }
        if (Array.isArray(schedule) && !Number.isFinite((profile as TimedProfile).fromMinute)) {
            throw new Error(`${where}: every entry of a profile list needs a numeric \`fromMinute\``);
        }
    }
}

/** z-score of the 99th percentile of the standard normal. */
const Z99 = 2.3263;

/** Log-normal parameters whose median and 99th percentile are the profile's p50Ms and p99Ms. */
export function lognormalParameters(profile: VersionProfile): { mu: number; sigma: number } {
    const mu = Math.log(profile.p50Ms);
    return { mu, sigma: (Math.log(profile.p99Ms) - mu) / Z99 };
}
