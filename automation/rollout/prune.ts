/**
 * `prune`: deletes the published versions retention allows (retention.ts), function by function, and nothing
 * else. Each function's versions, every alias of it and the rollout state on its live alias are read first; the
 * decision is the pure rule's; each delete is one DeleteFunction of one version. A delete that fails (AWS refuses
 * a version an alias started to route to meanwhile) is reported and the rest go on; the run then exits non-zero.
 */
import type { RetentionPolicy } from "../../config/stackConfig";
import { ExitCode } from "../exitCodes";
import { UsageError } from "../errors";
import type { StackDriver, VersionControl } from "./ports";
import { describeKeepReason, retentionDecisions } from "./retention";
import { describeError } from "./retry";
import { readRecordText } from "../../domain/state";
import type { RolloutLog } from "./ports";
import { recoveryAdvice } from "./unreadable";

/** What prune needs: the stack's outputs (which functions, which alias is live) and Lambda's version calls. */
export interface PruneDeps {
    readonly stack: StackDriver;
    readonly lambda: VersionControl;
    readonly log: RolloutLog;
}

/** Options of a prune. */
export interface PruneOptions {
    readonly stackName: string;
    readonly retention: RetentionPolicy;
    /** List what would be deleted, and why the rest is kept; delete nothing. */
    readonly dryRun?: boolean;
}

/** One function's prune. */
export interface FunctionPrune {
    readonly functionName: string;
    /** Published versions when prune read them. */
    readonly published: number;
    /** The versions retention allows deleting, oldest first (in a dry run: what would be deleted). */
    readonly toDelete: string[];
    /** Each kept version, newest first, with why. */
    readonly kept: { readonly version: string; readonly because: string[] }[];
    /** The versions deleted (empty in a dry run). */
    readonly deleted: string[];
    /** Deletes that failed, and listings that could not be read (`version` absent), with AWS's answer. */
    readonly failed: { readonly version?: string; readonly error: string }[];
    /** The live alias's rollout record, when it cannot be read (every version is then kept): its text and why. */
    readonly unreadableRecord?: { readonly raw: string; readonly why: string };
}

/** The report of a prune (`--json`). */
export interface PruneReport {
    readonly stack: string;
    readonly dryRun: boolean;
    readonly keep: number;
    readonly functions: Record<string, FunctionPrune>;
    /** `failed` when any listing or delete failed (exit 3); else `pruned`, or `nothing-to-do` when nothing could go. */
    readonly outcome: "pruned" | "nothing-to-do" | "failed";
    readonly exitCode: number;
}

/** Prunes every function of the stack, or (dry run) says what it would delete. */
export async function prune(deps: PruneDeps, options: PruneOptions): Promise<PruneReport> {
    const outputs = await deps.stack.outputs();
    if (!outputs || !outputs.functions || Object.keys(outputs.functions).length === 0) {
        throw new UsageError(
            `stack ${options.stackName} has no outputs yet: deploy it first with \`pulumi up --stack ${options.stackName}\``,
        );
    }
    const { keep } = options.retention;
    const functions: Record<string, FunctionPrune> = {};
    for (const [key, fn] of Object.entries(outputs.functions)) {
        functions[key] = await pruneFunction(deps, key, fn.functionName, fn.aliasName, keep, options.dryRun === true);
        const u = functions[key].unreadableRecord;
        if (u) {
            const history = await deps.stack.history(50).catch(() => []);
            const advice = recoveryAdvice(
                { key, functionName: fn.functionName, aliasName: fn.aliasName, candidate: fn.candidateVersion, ...u },
                history,
                options.stackName,
                outputs.region,
            );
            advice.forEach((l) => deps.log.line(l));
        }
    }
    const all = Object.values(functions);
    const outcome = all.some((f) => f.failed.length > 0 || f.unreadableRecord)
        ? "failed"
        : all.some((f) => (options.dryRun ? f.toDelete : f.deleted).length > 0)
          ? "pruned"
          : "nothing-to-do";
    return {
        stack: options.stackName,
        dryRun: options.dryRun === true,
        keep,
        functions,
        outcome,
        exitCode: outcome === "failed" ? ExitCode.infrastructure : ExitCode.ok,
    };
}

async function pruneFunction(
    deps: PruneDeps,
    key: string,
    functionName: string,
    liveAlias: string,
    keep: number,
    dryRun: boolean,
): Promise<FunctionPrune> {
    let versions: string[];
    let aliases: Awaited<ReturnType<VersionControl["listAliases"]>>;
    try {
        [versions, aliases] = await Promise.all([deps.lambda.listVersions(functionName), deps.lambda.listAliases(functionName)]);
    } catch (err) {
        // Nothing is deleted from what could not be read whole.
        const error = describeError(err);
        deps.log.line(`${key}: could not read its versions and aliases, nothing deleted: ${error}`);
        return { functionName, published: 0, toDelete: [], kept: [], deleted: [], failed: [{ error }] };
    }
    const record = readRecordText(aliases.find((a) => a.name === liveAlias)?.description);
    const rollout = record.kind === "state" ? record.state : undefined;
    const decisions = retentionDecisions({ versions, aliases, rollout, keep, recordUnreadable: record.kind === "unreadable" });
    const toDelete = decisions
        .filter((d) => d.delete)
        .map((d) => d.version)
        .reverse();
    const kept = decisions.filter((d) => !d.delete).map((d) => ({ version: d.version, because: d.keptBecause.map(describeKeepReason) }));
    for (const line of describeFunctionPlan(key, functionName, versions.length, toDelete, kept, dryRun)) deps.log.line(line);
    const deleted: string[] = [];
    const failed: { version: string; error: string }[] = [];
    if (!dryRun) {
        for (const version of toDelete) {
            try {
                await deps.lambda.deleteVersion(functionName, version);
                deleted.push(version);
                deps.log.line(`${key}: deleted v${version}`);
            } catch (err) {
                failed.push({ version, error: describeError(err) });
                deps.log.line(`${key}: could not delete v${version}: ${describeError(err)}`);
            }
        }
    }
    return {
        functionName,
        published: versions.length,
        toDelete,
        kept,
        deleted,
        failed,
        ...(record.kind === "unreadable" ? { unreadableRecord: { raw: record.raw, why: record.why } } : {}),
    };
}

/** A function's plan for people: what goes, then each kept version with why (pure). */
export function describeFunctionPlan(
    key: string,
    functionName: string,
    published: number,
    toDelete: readonly string[],
    kept: readonly { version: string; because: string[] }[],
    dryRun: boolean,
): string[] {
    const verb = dryRun ? "would delete" : "deleting";
    const head =
        toDelete.length === 0
            ? `${key} (${functionName}): ${published} published, nothing to delete`
            : `${key} (${functionName}): ${published} published, ${verb} ${toDelete.length}: ${toDelete.map((v) => `v${v}`).join(", ")}`;
    return [head, ...keptRuns(kept).map((r) => `  kept ${r.versions}: ${r.because}`)];
}

/** Kept versions for people: consecutive ones kept for the same reasons as one run, `v16-v23` (newest first in, out). */
function keptRuns(kept: readonly { version: string; because: string[] }[]): { versions: string; because: string }[] {
    const runs: { newest: string; oldest: string; because: string }[] = [];
    for (const k of kept) {
        const because = k.because.join("; ");
        const last = runs.at(-1);
        if (last && last.because === because && Number(last.oldest) === Number(k.version) + 1) last.oldest = k.version;
        else runs.push({ newest: k.version, oldest: k.version, because });
    }
    return runs.map((r) => ({ versions: r.newest === r.oldest ? `v${r.newest}` : `v${r.oldest}-v${r.newest}`, because: r.because }));
}

/** The report's last line for people: `pruned: api 13 deleted` / `dry run: api 13 would be deleted`. */
export function summarizePrune(report: PruneReport): string {
    const per = Object.entries(report.functions).map(([key, f]) =>
        report.dryRun ? `${key} ${f.toDelete.length} would be deleted` : `${key} ${f.deleted.length} deleted`,
    );
    const failures = Object.entries(report.functions).flatMap(([key, f]) =>
        f.failed.map((x) => (x.version ? `${key} v${x.version}: ${x.error}` : `${key}: ${x.error}`)),
    );
    const head = report.dryRun ? "dry run, nothing deleted" : report.outcome.toUpperCase();
    return `${head} (keep ${report.keep}): ${per.join(", ")}${failures.length > 0 ? `; FAILED ${failures.join("; ")}` : ""}`;
}

/**
 * Prune as a promotion's last act (`retention.afterPromotion`): what it deleted, and a warning for anything it
 * could not do. It never throws: a promotion that succeeded stays promoted whatever happens here.
 */
export async function pruneAfterPromotion(
    deps: PruneDeps,
    options: Omit<PruneOptions, "dryRun">,
): Promise<{ pruned: Record<string, string[]>; warnings: string[] }> {
    try {
        const report = await prune(deps, options);
        const pruned = Object.fromEntries(Object.entries(report.functions).map(([key, f]) => [key, f.deleted]));
        const warnings = Object.entries(report.functions).flatMap(([key, f]) =>
            f.failed.map((x) => `prune after promotion: ${key}${x.version ? ` v${x.version}` : ""} not deleted: ${x.error}`),
        );
        return { pruned, warnings };
    } catch (err) {
        return { pruned: {}, warnings: [`prune after promotion failed, nothing more deleted: ${describeError(err)}`] };
    }
}
