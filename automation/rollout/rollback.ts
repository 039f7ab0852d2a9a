/**
 * Emergency rollback: all traffic back to the stable version at once. An `up` with the routing first (so the
 * stack's state agrees); when the `up` fails or the stack is locked, the alias is set straight through the
 * Lambda API and the tool says so (the rule of routing makes the next plain `up` keep it).
 */
import { trafficShares, type AliasRouting } from "../../domain/routing";
import { UsageError } from "../errors";
import type { Clock, LambdaControl, StackDriver } from "./ports";
import { ROLLBACK_RETRY } from "./retry";
import { readRecord, stateOf } from "./record";
import { isUnfinished } from "../../domain/state";
import { restoreTraffic, type RolloutLog } from "./traffic";
import { recoveryAdvice, type UnreadableRecord } from "./unreadable";
import type { RolloutReport } from "./report";

/** What rolling one function back means, decided from its live alias. */
export interface RollbackTarget {
    readonly key: string;
    readonly functionName: string;
    readonly aliasName: string;
    /** The version that gets all traffic. */
    readonly to: string;
    /** The version that loses its traffic. */
    readonly from: string;
    readonly why: string;
}

/**
 * Decides each function's rollback target (pure). A split goes back to its primary. Without a split, the
 * alias already serves one version: `to` (if given) or the previous published version takes over; when the
 * alias is already there, there is nothing to do for that function.
 */
export function rollbackTarget(
    key: string,
    fn: { functionName: string; aliasName: string },
    live: AliasRouting,
    publishedVersions: string[],
    to?: string,
): RollbackTarget | undefined {
    if (to !== undefined) {
        if (!publishedVersions.includes(to)) {
            throw new UsageError(
                `--to ${to}: ${fn.functionName} has no published version ${to} (published: ${publishedVersions.join(", ") || "none"})`,
            );
        }
        if (live.stableVersion === to && !live.candidate) return undefined;
        return { key, ...fn, to, from: live.candidate?.version ?? live.stableVersion, why: `--to ${to}` };
    }
    if (live.candidate) {
        return { key, ...fn, to: live.stableVersion, from: live.candidate.version, why: `the canary's stable version` };
    }
    const previous = publishedVersions.filter((v) => Number(v) < Number(live.stableVersion)).pop();
    if (!previous) {
        throw new UsageError(
            `${fn.functionName}: the alias serves only v${live.stableVersion} and no earlier version is published; nothing to roll back to`,
        );
    }
    return { key, ...fn, to: previous, from: live.stableVersion, why: `the previous published version (pass --to to choose another)` };
}

/** Options of a rollback. */
export interface RollbackOptions {
    readonly stackName: string;
    /** Roll back to this version instead (must be published). */
    readonly to?: string;
    readonly dryRun?: boolean;
}

/** The dependencies of a rollback. */
type RollbackDeps = { stack: StackDriver; lambda: LambdaControl; clock: Clock; log: RolloutLog; confirm?: (q: string) => Promise<boolean> };

/** Rolls every function of the stack back; returns a report (outcome rolled-back, nothing-to-do, or failed). */
export async function rollback(deps: RollbackDeps, options: RollbackOptions): Promise<RolloutReport> {
    const { log, clock } = deps;
    const startedAt = clock.now();
    const outputs = await deps.stack.outputs();
    if (!outputs || !outputs.functions) {
        throw new UsageError(`stack ${options.stackName} has no outputs yet: nothing deployed, nothing to roll back`);
    }
    const { targets, unreadable } = await rollbackTargets(deps, outputs.functions, options.to);
    const report: RolloutReport = {
        outcome: "nothing-to-do",
        stack: options.stackName,
        strategy: outputs.strategy,
        functions: {},
        steps: [],
        decisionAtMinute: 0,
        durationMinutes: 0,
    };
    if (unreadable.length > 0) return refuseUnreadable(deps, report, unreadable, options.stackName, outputs.region);
    if (targets.length === 0) return report;
    for (const t of targets) log.line(`${t.key}: v${t.from} -> v${t.to} (${t.why})`);
    if (options.dryRun) {
        log.line("dry run: nothing was changed");
        return report;
    }
    if (
        deps.confirm &&
        !(await deps.confirm(`Roll ${options.stackName} back (${targets.map((t) => `${t.key} to v${t.to}`).join(", ")})?`))
    ) {
        throw new UsageError("not confirmed: nothing was changed");
    }
    const moves = targets.map((t) => ({
        ...t,
        state: {
            phase: "rolled-back" as const,
            stable: t.to,
            candidate: t.from,
            step: 0,
            steps: 0,
            weight: 0,
            since: clock.now(),
            reason: "lambda-rollout rollback (by hand)",
        },
    }));
    const restored = await restoreTraffic(deps, moves, {
        message: `lambda-rollout rollback: ${targets.map((t) => `${t.key} v${t.from}->v${t.to}`).join(", ")}`,
        retry: ROLLBACK_RETRY,
        upFallback: true,
        converge: true,
        region: outputs.region,
    });
    recordRestored(report, targets, restored, log);
    report.durationMinutes = Math.round(((clock.now() - startedAt) / 60000) * 10) / 10;
    return report;
}

/** What the rollback left, per function as read back from AWS, into the report and the log. */
function recordRestored(
    report: RolloutReport,
    targets: RollbackTarget[],
    restored: Awaited<ReturnType<typeof restoreTraffic>>,
    log: RolloutLog,
): void {
    report.rollbackPath = restored.path;
    report.stackConverged = restored.stackConverged;
    for (const t of targets) {
        const fn = restored.functions[t.key];
        report.functions[t.key] = {
            stable: t.to,
            candidate: t.from,
            finalRouting: fn.routing ? trafficShares(fn.routing) : "unknown",
            ...(fn.routing ? {} : { finalRoutingError: fn.error }),
            ...(fn.manualCommand ? { manualRollback: fn.manualCommand } : {}),
        };
        log.line(fn.landed ? `${t.key}: all traffic on v${t.to}` : `${t.key}: NOT on v${t.to}: ${fn.error}; run: ${fn.manualCommand}`);
    }
    const stranded = targets.filter((t) => !restored.functions[t.key].landed).map((t) => t.key);
    report.outcome = stranded.length > 0 ? "failed" : "rolled-back";
    if (stranded.length > 0) report.error = `the rollback did not land for ${stranded.join(", ")}`;
}

/**
 * A record that cannot be read, and no `--to`: the rollback target may be what the record held, so nothing is
 * moved (a guess could put traffic on the wrong version); what fixes it is said, exit 3.
 */
async function refuseUnreadable(
    deps: RollbackDeps,
    report: RolloutReport,
    unreadable: UnreadableRecord[],
    stackName: string,
    region: string | undefined,
): Promise<RolloutReport> {
    const history = await deps.stack.history(50).catch(() => []);
    const advice = Object.fromEntries(unreadable.map((u) => [u.key, recoveryAdvice(u, history, stackName, region)]));
    for (const lines of Object.values(advice)) lines.forEach((l) => deps.log.line(l));
    deps.log.line("nothing was moved: pass --to <version> to roll back to a version you choose");
    report.outcome = "failed";
    report.error = `the rollout record cannot be read for ${unreadable.map((u) => u.key).join(", ")}: nothing was moved`;
    report.unreadableRecords = Object.fromEntries(
        unreadable.map((u) => [u.key, { raw: u.raw, why: u.why, advice: advice[u.key].slice(1).map((l) => l.trim()) }]),
    );
    return report;
}

/** Each function's rollback target, from its live alias and the rollout recorded there; the records that cannot be read (without `--to`). */
async function rollbackTargets(
    deps: RollbackDeps,
    functions: Record<string, { functionName: string; aliasName: string; candidateVersion: string }>,
    to?: string,
): Promise<{ targets: RollbackTarget[]; unreadable: UnreadableRecord[] }> {
    const targets: RollbackTarget[] = [];
    const unreadable: UnreadableRecord[] = [];
    for (const [key, fn] of Object.entries(functions)) {
        const live = await readRecord(deps.lambda, deps.clock, fn);
        if (live.record.kind === "unreadable" && to === undefined) {
            unreadable.push({
                key,
                functionName: fn.functionName,
                aliasName: fn.aliasName,
                candidate: fn.candidateVersion,
                ...live.record,
            });
            continue;
        }
        const recorded = stateOf(live);
        // A rollout still under way at 100%: its recorded stable is the way back, not merely the previous version.
        const underWay =
            isUnfinished(recorded) && !live.candidate && live.stableVersion === recorded!.candidate ? recorded!.stable : undefined;
        const needsVersions = to !== undefined || (!live.candidate && underWay === undefined);
        const versions = needsVersions ? await deps.lambda.listVersions(fn.functionName) : [];
        const target =
            underWay !== undefined && to === undefined
                ? {
                      key,
                      functionName: fn.functionName,
                      aliasName: fn.aliasName,
                      to: underWay,
                      from: live.stableVersion,
                      why: "the stable version recorded by the rollout under way",
                  }
                : rollbackTarget(key, fn, live, versions, to);
        if (target) targets.push(target);
        else deps.log.line(`${key}: already all on v${live.stableVersion}`);
    }
    return { targets, unreadable };
}
