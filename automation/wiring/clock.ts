/**
 * The real clock, in a module of its own: the command line's entry point needs it for every verb's log, and must
 * not load the real world's SDK clients and adapters (automation/wiring/real.ts) to start.
 *
 * In a sandbox's shell (`lambda-rollout sandbox`), the sandbox's sped-up time instead: `LAMBDA_ROLLOUT_SANDBOX_CLOCK`
 * is read here and nowhere else (wiring/real.ts refuses the verb when this module says the setting is refused).
 */
import type { Clock } from "../rollout/ports";
import { sandboxClockFrom, wallClock, type SandboxClockSetting } from "./sandboxClock";

/** What the environment says of a sandbox: unset on every real shell, where nothing changes. */
export const sandboxClock: SandboxClockSetting = sandboxClockFrom(process.env);

/**
 * Time as it passes (timers that never overflow: automation/timers.ts); in a sandbox's shell, the sandbox's sped-up
 * time (automation/wiring/sandboxClock.ts), so logs, bakes and CloudWatch windows follow the simulated account.
 */
export const realClock: Clock = sandboxClock.kind === "sandbox" ? sandboxClock.clock : wallClock;
