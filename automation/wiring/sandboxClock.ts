/**
 * The clock of a sandbox (automation/sandbox), as the environment names it. The sandbox runs the simulated account
 * on a real clock sped up by a factor; the command line in a second shell must keep the same time, or a 10-minute
 * bake takes 10 real minutes and the CloudWatch windows it reads miss the account's minutes. So the sandbox prints
 * `LAMBDA_ROLLOUT_SANDBOX_CLOCK` (where its time was at a wall-clock instant, and its speed) and wiring/clock.ts, the
 * only reader, builds the same clock from it. Unset, nothing changes. Set, it is honoured only while every AWS
 * endpoint the SDK reads from the environment is a loopback one: a sped-up clock must never meet real AWS.
 */
import type { Clock } from "../rollout/ports";
import { sleep } from "../timers";

/** The variable the sandbox sets and wiring/clock.ts reads. */
export const SANDBOX_CLOCK_ENV = "LAMBDA_ROLLOUT_SANDBOX_CLOCK";

/** The slowest and the fastest sandbox: real time, and a 10-minute bake in a second. */
export const SPEED_BOUNDS = { min: 1, max: 600 } as const;

/** Where a sped-up clock stood at one wall-clock instant, and how fast it runs. */
export interface ClockAnchor {
    /** The clock's time (epoch ms) at `wallMs`. */
    readonly simulatedMs: number;
    /** The wall-clock instant (epoch ms) of the anchor. */
    readonly wallMs: number;
    /** How many of its milliseconds pass in one real millisecond. */
    readonly speed: number;
}

/** The wall clock: time as it passes, timers that never overflow (automation/timers.ts). */
export const wallClock: Clock = { now: () => Date.now(), sleep };

/** A clock that runs `anchor.speed` times as fast as `wall`, from `anchor.simulatedMs` at `anchor.wallMs`. */
export function scaledClock(anchor: ClockAnchor, wall: Clock = wallClock): Clock {
    return {
        now: () => anchor.simulatedMs + (wall.now() - anchor.wallMs) * anchor.speed,
        sleep: (ms, signal) => wall.sleep(Math.max(0, ms) / anchor.speed, signal),
    };
}

/** The variable's value for an anchor: `simulated=<ISO> wall=<ISO> speed=<n>`, readable by a person too. */
export function formatClockAnchor(anchor: ClockAnchor): string {
    return `simulated=${new Date(anchor.simulatedMs).toISOString()} wall=${new Date(anchor.wallMs).toISOString()} speed=${anchor.speed}`;
}

/** The anchor in the variable's value; an Error naming the variable and the valid form when it is not one. */
export function parseClockAnchor(text: string): ClockAnchor {
    const m = /^simulated=(\S+) wall=(\S+) speed=(\S+)$/.exec(text.trim());
    const simulatedMs = m ? Date.parse(m[1]) : NaN;
    const wallMs = m ? Date.parse(m[2]) : NaN;
    const speed = m ? Number(m[3]) : NaN;
    if (!Number.isFinite(simulatedMs) || !Number.isFinite(wallMs) || !(speed >= SPEED_BOUNDS.min && speed <= SPEED_BOUNDS.max)) {
        throw new Error(
            `\`${SANDBOX_CLOCK_ENV}\` (got ${JSON.stringify(text)}): must be "simulated=<ISO time> wall=<ISO time> speed=<${SPEED_BOUNDS.min}-${SPEED_BOUNDS.max}>", as \`lambda-rollout sandbox\` prints it; unset it outside the sandbox's shell`,
        );
    }
    return { simulatedMs, wallMs, speed };
}

/** The endpoint variables the AWS SDK reads for the clients the tool makes (the SDK's `AWS_ENDPOINT_URL[_<SERVICE>]`). */
export const ENDPOINT_VARIABLES = [
    "AWS_ENDPOINT_URL",
    "AWS_ENDPOINT_URL_LAMBDA",
    "AWS_ENDPOINT_URL_CLOUDWATCH",
    "AWS_ENDPOINT_URL_STS",
    "AWS_ENDPOINT_URL_SNS",
] as const;

/** Whether `url` is plain http on the loopback address the sandbox listens on. */
export function isSandboxEndpoint(url: string): boolean {
    try {
        const u = new URL(url);
        return u.protocol === "http:" && u.hostname === "127.0.0.1";
    } catch {
        return false;
    }
}

/** What the environment says of the sandbox: nothing (not in one), its clock, or why its clock is refused. */
export type SandboxClockSetting =
    | { readonly kind: "unset" }
    | { readonly kind: "sandbox"; readonly clock: Clock; readonly anchor: ClockAnchor }
    | { readonly kind: "refused"; readonly why: string };

/**
 * The sandbox's clock from an environment (pure but for the clock it returns): unset when the variable is; refused
 * when its value is malformed, when `AWS_ENDPOINT_URL` is not the sandbox's loopback endpoint, or when a
 * service's own endpoint variable points elsewhere (that service would be real AWS on a sped-up clock).
 */
export function sandboxClockFrom(env: Readonly<Record<string, string | undefined>>, wall: Clock = wallClock): SandboxClockSetting {
    const value = env[SANDBOX_CLOCK_ENV];
    if (value === undefined || value === "") return { kind: "unset" };
    let anchor: ClockAnchor;
    try {
        anchor = parseClockAnchor(value);
    } catch (err) {
        return { kind: "refused", why: (err as Error).message };
    }
    const elsewhere = ENDPOINT_VARIABLES.filter(
        (name) => (name === "AWS_ENDPOINT_URL" || env[name]) && !isSandboxEndpoint(env[name] ?? ""),
    );
    if (elsewhere.length > 0) {
        return {
            kind: "refused",
            why: `\`${SANDBOX_CLOCK_ENV}\` is set (a sandbox's sped-up clock) but ${elsewhere.map((n) => `\`${n}\` (${env[n] === undefined ? "unset" : JSON.stringify(env[n])})`).join(", ")} ${elsewhere.length === 1 ? "is" : "are"} not the sandbox's http://127.0.0.1 endpoint: a rollout against real AWS would bake for seconds. The sandbox's environment is for the sandbox's shell only: unset ${SANDBOX_CLOCK_ENV}, or set every variable \`lambda-rollout sandbox\` printed`,
        };
    }
    return { kind: "sandbox", clock: scaledClock(anchor, wall), anchor };
}
