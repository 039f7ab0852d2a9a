/**
 * A rollout record that cannot be read (a hand edit, a truncation, another tool's text): never taken for "no
 * rollout". Every command that meets one refuses to move anything forward and says what the text is, why it
 * cannot be read, what the stack's update history says about the rollout (each promote `up` names
 * `v<stable>->v<candidate>` in its message: the second copy of the record's most important fact), and the exact
 * commands that fix it either way.
 */
import type { UpdateRecord } from "./ports";
import { DEFAULT_ALIAS_DESCRIPTION, describeUnreadable } from "../../domain/state";

/** One alias whose record cannot be read. */
export interface UnreadableRecord {
    readonly key: string;
    readonly functionName: string;
    readonly aliasName: string;
    /** The candidate the stack's outputs name (its latest published version). */
    readonly candidate: string;
    readonly raw: string;
    readonly why: string;
}

/** The newest update of the stack's history that moved this function's traffic to `candidate`: its stable, and the update. */
export function stableFromHistory(
    key: string,
    candidate: string,
    history: readonly UpdateRecord[],
): { stable: string; update: UpdateRecord } | undefined {
    const named = new RegExp(`(?:^|[(,]\\s*)${key.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")} v(\\d+)->v${candidate}\\b`);
    for (const update of history) {
        if (!update.message.startsWith("lambda-rollout promote:")) continue;
        const m = named.exec(update.message);
        if (m) return { stable: m[1], update };
    }
    return undefined;
}

/** What a person reads about an unreadable record (pure): what it says, why, what the history says, what fixes it. */
export function recoveryAdvice(r: UnreadableRecord, history: readonly UpdateRecord[], stackName: string, region?: string): string[] {
    const found = stableFromHistory(r.key, r.candidate, history);
    const where = `${r.functionName}:${r.aliasName}`;
    const regionFlag = region ? ` --region ${region}` : "";
    return [
        `${r.key}: ${describeUnreadable(r)} (on ${where})`,
        found
            ? `  the stack's history names v${found.stable} as the stable of the last rollout of v${r.candidate} (${new Date(found.update.startTime).toISOString()}: "${found.update.message}")`
            : `  the stack's history names no rollout of v${r.candidate} (\`lambda-rollout status -s ${stackName}\` lists the last one)`,
        `  to put all its traffic back on the stable version: lambda-rollout rollback -s ${stackName} --to ${found?.stable ?? "<stable version>"}`,
        `  if no rollout of v${r.candidate} is under way and its routing is to stay as it is: aws lambda update-alias --function-name ${r.functionName} --name ${r.aliasName} --description '${DEFAULT_ALIAS_DESCRIPTION}'${regionFlag}`,
    ];
}
