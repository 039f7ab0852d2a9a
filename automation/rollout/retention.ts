/**
 * Version retention (pure): which of a function's published versions `prune` may delete. Every commit publishes a
 * version and Lambda keeps them all; this keeps the newest `keep`, and never deletes one that is still needed:
 * `$LATEST`, a version any alias routes to (its primary or its weighted version, whatever the alias), or the
 * stable and candidate of a rollout still under way (its rollback target may carry no traffic at 100%).
 *
 * Each version's decision carries its reasons as data; the sentences for people are made from them.
 */
import type { NamedAlias } from "../../domain/routing";
import { isUnfinished, type RolloutState } from "../../domain/state";

/** Why a version is kept. */
export type KeepReason =
    | { readonly kind: "newest"; readonly keep: number }
    | { readonly kind: "alias"; readonly alias: string; readonly weight: number }
    | { readonly kind: "rollout"; readonly role: "stable" | "candidate"; readonly phase: RolloutState["phase"] }
    | { readonly kind: "record-unreadable" };

/** One version and what retention decided for it. */
export interface VersionDecision {
    readonly version: string;
    readonly delete: boolean;
    /** Empty when the version is deleted. */
    readonly keptBecause: readonly KeepReason[];
}

/** What retention decides from: the function's versions, its aliases and the rollout recorded on its live alias. */
export interface RetentionInput {
    /** Published versions as ListVersionsByFunction gives them (`$LATEST` may be among them; it is never deleted). */
    readonly versions: readonly string[];
    /** Every alias of the function (ListAliases), not only `live`. */
    readonly aliases: readonly NamedAlias[];
    /** The rollout state recorded on the live alias, if any; only an unfinished one protects its versions. */
    readonly rollout?: RolloutState;
    /** The live alias's record cannot be read: it could name any version as the rollback target, so none is deleted. */
    readonly recordUnreadable?: boolean;
    /** How many of the newest numbered versions to keep (lambda-rollout:retention.keep). */
    readonly keep: number;
}

const isNumbered = (v: string) => /^\d+$/.test(v);

/**
 * Every numbered version, newest first, with whether it may be deleted and, if not, why (pure). `$LATEST` and
 * anything that is not a version number are left out: they are never candidates for deletion.
 */
export function retentionDecisions(input: RetentionInput): VersionDecision[] {
    const numbered = [...new Set(input.versions.filter(isNumbered))].sort((a, b) => Number(b) - Number(a));
    const newest = new Set(numbered.slice(0, Math.max(0, input.keep)));
    const underWay = isUnfinished(input.rollout) ? input.rollout : undefined;
    return numbered.map((version) => {
        const reasons: KeepReason[] = [];
        if (newest.has(version)) reasons.push({ kind: "newest", keep: input.keep });
        for (const alias of input.aliases) {
            const weights = alias.additionalVersionWeights ?? {};
            if (alias.functionVersion === version) {
                const others = Object.values(weights).reduce((sum, w) => sum + w, 0);
                reasons.push({ kind: "alias", alias: alias.name, weight: Math.max(0, 1 - others) });
            }
            if (Object.hasOwn(weights, version)) reasons.push({ kind: "alias", alias: alias.name, weight: weights[version] });
        }
        if (underWay?.stable === version) reasons.push({ kind: "rollout", role: "stable", phase: underWay.phase });
        if (underWay?.candidate === version) reasons.push({ kind: "rollout", role: "candidate", phase: underWay.phase });
        if (input.recordUnreadable) reasons.push({ kind: "record-unreadable" });
        return { version, delete: reasons.length === 0, keptBecause: reasons };
    });
}

/** The versions retention may delete, oldest first. */
export function versionsToDelete(input: RetentionInput): string[] {
    return retentionDecisions(input)
        .filter((d) => d.delete)
        .map((d) => d.version)
        .reverse();
}

/** A reason as people read it: `newest 10`, `routed by alias live (90%)`, `rollout in progress (stable, baking)`. */
export function describeKeepReason(reason: KeepReason): string {
    switch (reason.kind) {
        case "newest":
            return `newest ${reason.keep}`;
        case "alias":
            return `routed by alias ${reason.alias} (${Math.round(reason.weight * 1000) / 10}%)`;
        case "rollout":
            return `rollout in progress (its ${reason.role}, ${reason.phase})`;
        case "record-unreadable":
            return "the live alias's rollout record cannot be read (it could name this version)";
    }
}
