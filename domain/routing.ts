/**
 * The one rule of routing (docs/design.md), as pure functions shared by the program and the rollout tool.
 *
 * The `live` alias has a primary (stable) version and at most one additional (candidate) version with a
 * weight. Who decides the routing on an `up`:
 *   1. explicit routing passed by `promote`/`rollback` for this one `up`;
 *   2. otherwise, strategy `all-at-once` follows the newly published version;
 *   3. otherwise, the routing live in AWS now is kept (a first deploy, with no alias, takes the first version).
 */

/** Rollout strategies: the one list the config schema, the CLI's choices and the steps derive from. */
export const STRATEGIES = ["all-at-once", "blue-green", "canary", "linear"] as const;
export type Strategy = (typeof STRATEGIES)[number];

/** The alias as AWS reports it (GetAlias / the provider's alias lookup). */
export interface LiveAlias {
    /** The primary version. */
    readonly functionVersion: string;
    /** `RoutingConfig.AdditionalVersionWeights`, possibly empty. */
    readonly additionalVersionWeights?: Readonly<Record<string, number>>;
    /** The alias's description: where the rollout tool records the rollout's state (domain/state.ts). */
    readonly description?: string;
    /** GetAlias's RevisionId: an UpdateAlias that passes it fails (PreconditionFailedException) if the alias changed since. */
    readonly revisionId?: string;
}

/** An alias by name, as ListAliases gives it: a live alias and its name (retention reads every alias of a function). */
export interface NamedAlias extends LiveAlias {
    readonly name: string;
}

/** A routing the program or the tool intends: primary plus at most one weighted candidate. */
export interface AliasRouting {
    /** The version that takes the rest of the traffic. */
    readonly stableVersion: string;
    /** The weighted additional version, if traffic is split. */
    readonly candidate?: { readonly version: string; readonly weight: number };
}

/** Explicit routing for one `up`: the candidate's share (0.0-1.0), the rest to stable. */
export interface RoutingRequest {
    readonly stable: string;
    readonly candidate: string;
    readonly weight: number;
    /** The rollout state to record in the alias's description with this routing (same UpdateAlias call). */
    readonly state?: string;
}

/** Which rule decided an alias's routing on this `up`. */
export type RoutingSource = "explicit" | "follows-new-version" | "kept-live" | "first-deploy";

/**
 * Reads a live alias as intended routing. A weight of 0 or 1 is no split: AWS briefly shows `{"<old>": 1}`
 * while it switches an alias's version (terraform-provider-aws PR #48116), and taking that as intent would
 * let a plain `up` move all traffic back. Returns `transient: true` when such a weight was dropped, so a
 * caller that can wait may read again.
 */
export function readLiveRouting(live: LiveAlias): AliasRouting & { transient: boolean } {
    const entries = Object.entries(live.additionalVersionWeights ?? {});
    const split = entries.filter(([version, weight]) => weight > 0 && weight < 1 && version !== live.functionVersion);
    const transient = entries.length > split.length;
    if (split.length === 0) {
        return { stableVersion: live.functionVersion, transient };
    }
    const [version, weight] = split[0];
    return { stableVersion: live.functionVersion, candidate: { version, weight }, transient };
}

/**
 * How to read an alias while AWS shows a transient weight: this many reads in all, this far apart. The program
 * (components/liveAlias.ts) and the tool (automation/rollout/traffic.ts) both wait it out the same way.
 */
export const TRANSIENT_REREAD = { attempts: 3, intervalMs: 2000 } as const;

/** Turns an explicit request into routing: weight 1 makes the candidate primary, weight 0 leaves stable alone. */
export function routingFromRequest(request: RoutingRequest): AliasRouting {
    if (request.weight >= 1) {
        return { stableVersion: request.candidate };
    }
    if (request.weight <= 0 || request.candidate === request.stable) {
        return { stableVersion: request.stable };
    }
    return { stableVersion: request.stable, candidate: { version: request.candidate, weight: request.weight } };
}

/** The inputs that decide an alias's routing on one `up`. */
export interface RoutingDecisionInput {
    readonly strategy: Strategy;
    /** The version this `up` published (the function's latest). */
    readonly publishedVersion: string;
    /** The alias as it is live in AWS, or undefined when it does not exist yet. */
    readonly live?: LiveAlias;
    /** Routing passed by promote/rollback for this `up`. */
    readonly explicit?: RoutingRequest;
}

/**
 * Applies the rule of routing. The alias's description (the rollout state) follows the same rule: what
 * promote/rollback pass with the routing, else what is live (a plain `up` neither loses nor changes a
 * rollout's record), except that all-at-once, which has no rollout, clears it.
 */
export function decideAliasRouting(input: RoutingDecisionInput): AliasRouting & { source: RoutingSource; description: string } {
    if (input.explicit) {
        return {
            ...routingFromRequest(input.explicit),
            source: "explicit",
            description: input.explicit.state ?? input.live?.description ?? DEFAULT_ALIAS_DESCRIPTION,
        };
    }
    if (input.strategy === "all-at-once") {
        return { stableVersion: input.publishedVersion, source: "follows-new-version", description: DEFAULT_ALIAS_DESCRIPTION };
    }
    if (!input.live) {
        return { stableVersion: input.publishedVersion, source: "first-deploy", description: DEFAULT_ALIAS_DESCRIPTION };
    }
    const { transient: _transient, ...kept } = readLiveRouting(input.live);
    return { ...kept, source: "kept-live", description: input.live.description ?? DEFAULT_ALIAS_DESCRIPTION };
}

/** The alias's description when no rollout has recorded its state there (the program gives a new alias this one). */
export const DEFAULT_ALIAS_DESCRIPTION = "Traffic of this function, moved by lambda-rollout";

/** The alias's `routingConfig.additionalVersionWeights` for a routing (undefined when there is no split). */
export function additionalVersionWeights(routing: AliasRouting): Record<string, number> | undefined {
    return routing.candidate ? { [routing.candidate.version]: routing.candidate.weight } : undefined;
}

/** Every version's share of traffic, e.g. `{ "7": 0.9, "8": 0.1 }`. */
export function trafficShares(routing: AliasRouting): Record<string, number> {
    if (!routing.candidate) {
        return { [routing.stableVersion]: 1 };
    }
    const candidateShare = routing.candidate.weight;
    return { [routing.stableVersion]: round(1 - candidateShare), [routing.candidate.version]: candidateShare };
}

function round(n: number): number {
    return Math.round(n * 1e6) / 1e6;
}
