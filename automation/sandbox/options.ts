/**
 * The sandbox's flags, checked before anything starts (pure): a bad value is a UsageError naming the flag and
 * saying what is valid, so the command exits 2 having opened no port and written no file.
 */
import { UsageError } from "../errors";
import { SPEED_BOUNDS } from "../wiring/sandboxClock";

/** The default speed: a 10-minute bake takes 10 s. */
export const DEFAULT_SPEED = 60;

/** `--speed`: how many sandbox seconds pass in one real second, from 1 (real time) to 600. */
export function parseSpeed(text: string | undefined): number {
    if (text === undefined) return DEFAULT_SPEED;
    const speed = /^\s*\d+(\.\d+)?\s*$/.test(text) ? Number(text) : NaN;
    if (!(speed >= SPEED_BOUNDS.min && speed <= SPEED_BOUNDS.max)) {
        throw new UsageError(
            `\`--speed\` (got ${JSON.stringify(text)}): must be a number from ${SPEED_BOUNDS.min} (real time) to ${SPEED_BOUNDS.max} (a 10-minute bake in 1 s); default ${DEFAULT_SPEED} (a 10-minute bake in 10 s)`,
        );
    }
    return speed;
}

/** `--port`: the port of the simulated AWS on 127.0.0.1, 1-65535; undefined: one the system picks. */
export function parsePort(text: string | undefined): number | undefined {
    if (text === undefined) return undefined;
    const port = /^\d{1,5}$/.test(text) ? Number(text) : NaN;
    if (!(port >= 1 && port <= 65535)) {
        throw new UsageError(
            `\`--port\` (got ${JSON.stringify(text)}): must be a TCP port from 1 to 65535 (the simulated AWS listens on 127.0.0.1 only); leave it out for one the system picks`,
        );
    }
    return port;
}

/** How long `minutes` of sandbox time take for real at `speed`, for a person (`10 s`, `1.5 min`). */
export function realDuration(minutes: number, speed: number): string {
    const seconds = (minutes * 60) / speed;
    if (seconds < 120) return `${Math.round(seconds * 10) / 10} s`;
    return `${Math.round((seconds / 60) * 10) / 10} min`;
}
