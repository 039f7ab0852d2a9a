/**
 * The real clock, in a module of its own: the command line's entry point needs it for every verb's log, and must
 * not load the real world's SDK clients and adapters (automation/wiring/real.ts) to start.
 */
import type { Clock } from "../rollout/ports";
import { sleep } from "../timers";

/** Time as it passes (timers that never overflow: automation/timers.ts). */
export const realClock: Clock = { now: () => Date.now(), sleep };
