/**
 * What the verbs that act on a stack share: its real world and adapters, the prompt before acting, who is acting
 * (the user's name, the caller as AWS says) and where the report goes. Everything heavy loads through verbModules.ts
 * when a verb runs, never at start-up.
 */
import type { EngineEvent } from "@pulumi/pulumi/automation";
import * as os from "os";
import { UsageError } from "../errors";
import { reportWarning, writeReportFile } from "../reportWriter";
import type { RolloutLog } from "../rollout/ports";
import type { CommonOptions } from "./options";
import { verbModules as load } from "./verbModules";

/** The prompt before traffic moves: asked on a terminal; refused without one unless --yes. */
export function confirmation(opts: CommonOptions): ((q: string) => Promise<boolean>) | undefined {
    if (opts.yes || opts.dryRun) return undefined;
    if (!process.stdin.isTTY) {
        return async () => {
            throw new UsageError("not a terminal, so nobody can confirm: pass --yes to move traffic without a prompt");
        };
    }
    return load.output().askOnTerminal;
}

/**
 * A verb's real world (automation/wiring/real.ts: the Automation API on the project, AWS with the provider's
 * credentials; bad config exits 2 before either is called) and its adapters. With a log, each `up` prints a
 * compact summary of its changes as they happen.
 */
export async function realDeps(opts: CommonOptions, log?: RolloutLog) {
    const { realWorld } = load.realWorld();
    const { adaptersOf } = load.wiring();
    const world = await realWorld(opts, log ? upSummary(log) : undefined);
    return { world, config: world.config, stack: world.stack, clock: world.clock, ...adaptersOf(world) };
}

/** What {@link realDeps} builds. */
export type RealDeps = Awaited<ReturnType<typeof realDeps>>;

/** Passes each engine event of an `up` that a person should see to the rollout's log, as one line. */
function upSummary(log: RolloutLog): (event: EngineEvent) => void {
    const { describeEngineEvent } = load.upSummary();
    return (event) => {
        const line = describeEngineEvent(event);
        if (line !== undefined) log.line(`  ${line}`);
    };
}

/** The user's login name, for the record of who acted. */
export const userName = () => {
    try {
        return os.userInfo().username;
    } catch {
        return "unknown";
    }
};

/** Who this process is as AWS says, or undefined (with why) when STS cannot say. */
export async function callerPrincipal(deps: RealDeps, log: RolloutLog): Promise<string | undefined> {
    try {
        return await deps.identity.principalArn();
    } catch (err) {
        log.line(
            `warning: who you are could not be read from AWS (STS GetCallerIdentity: ${(err as Error).message}); the record keeps only --by`,
        );
        return undefined;
    }
}

/** A verb's report: written to --report (a failed write is a warning) and, with --json, printed on stdout. */
export function emit(opts: CommonOptions, report: unknown): void {
    if (opts.report) {
        const error = writeReportFile(opts.report, report);
        if (error) console.error(reportWarning(opts.report, error));
    }
    if (opts.json) console.log(JSON.stringify(report));
}
