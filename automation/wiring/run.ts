/**
 * A stack's rollout from its reviewed config to its last report, the same for a real run and a rehearsal: the
 * world is built for the config, its side effects wired once (index.ts), promote run in it, then the
 * notifications finished and the deployment metrics put, and whatever the world opened closed. A {@link Stage}
 * is all that differs: the command line's stage acts on AWS through the Pulumi CLI, the rehearsal's on a
 * simulated account under the mock engine. So the order of those steps, and what each gets, is written once.
 */
import type { StackConfig } from "../../config/stackConfig";
import type { RolloutResult } from "../rollout/run";
import { wireRollout, type RolloutSettings, type RolloutWiring, type World } from "./index";

/** What differs between running a stack's rollout for real and rehearsing it. */
export interface Stage<R extends RolloutResult = RolloutResult> {
    /** The world the run acts on, for the stack's reviewed config (a rehearsal stages its simulated account here). */
    world(config: StackConfig): Promise<World>;
    /**
     * Runs promote (one process, or a rehearsal's processes and operators) with the wired side effects; each
     * report on the way goes to `wiring.delivery.observe` beside the stage's own observers.
     */
    run(wiring: RolloutWiring, config: StackConfig): Promise<RolloutResult>;
    /** The result once the notifications were sent and the metrics put (for a dry run, as promote gave it). */
    ended(result: RolloutResult): Promise<R>;
    /** Closes what {@link world} opened, whether the run ended or threw. */
    close(): Promise<void>;
}

/** Runs a stack's rollout on `stage`: world, wiring, promote, notifications and metrics, in that order. */
export async function runStack<R extends RolloutResult>(stage: Stage<R>, config: StackConfig, settings: RolloutSettings): Promise<R> {
    try {
        const world = await stage.world(config);
        // Every side effect, wired once: a webhook URL that cannot be had is exit 2 here, before anything moves.
        const wiring = await wireRollout(world, settings, config);
        const result = await stage.run(wiring, config);
        if (settings.dryRun) return await stage.ended(result);
        // The notifications still in flight (each bounded by its timeout) and the metrics, then the stage's last word.
        return await stage.ended({ ...result, report: await wiring.delivery.finish(result.report) });
    } finally {
        await stage.close();
    }
}
