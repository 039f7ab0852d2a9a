/**
 * A rehearsal: the real promote logic and adapters, the real program under the mock engine, against a
 * simulated AWS on a virtual clock. It deploys the stable release and then the candidate (two plain `up`s, as
 * git would), starts the scenario's traffic, runs promote, and counts what users got.
 */
import { loadParsedStackConfig } from "../engine/evaluate";
import { parseStackName } from "../stackName";
import { runStack } from "../wiring/run";
import { RehearsedStack, type RehearsalResult, type RehearseOptions } from "./rehearsedStack";

export { baselineMinutes } from "./account";
export { CANCEL_TO_KILL_MS, REHEARSAL_START, VirtualClock, type ProcessEvents } from "./clock";
export { safetyOf, type Safety } from "./safety";
export { stageStack, type RehearsalResult, type RehearseOptions, type StagedStack, type StageOptions } from "./rehearsedStack";

/**
 * Runs a scenario against a stack's config: the stack's name parsed and its config read (exit 2 on bad input,
 * before anything is simulated, as plan and promote), then the run the command line runs (wiring/run.ts) on the
 * rehearsal's stage (rehearsedStack.ts).
 */
export async function rehearse(options: RehearseOptions): Promise<RehearsalResult> {
    const rehearsal = new RehearsedStack(options);
    const stack = parseStackName(options.stack, rehearsal.project.name);
    const { stackConfig } = loadParsedStackConfig(stack, options.configFile, undefined, rehearsal.project);
    return runStack(rehearsal, stackConfig, { stack: stack.name, stackName: options.stack, log: options.log });
}
