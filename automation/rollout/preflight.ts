/**
 * Preflight: the alias constraints AWS enforces, checked before any traffic moves, so a violation is a clear
 * error with the way out instead of a failed `up` halfway through a rollout.
 */
import type { Step } from "./steps";
import type { VersionFacts } from "./ports";

/** What preflight knows about one function. */
export interface PreflightFacts {
    readonly name: string;
    readonly stable: VersionFacts;
    readonly candidate: VersionFacts;
    readonly aliasHasProvisionedConcurrency: boolean;
}

/** The network a version runs in, as people read it: `subnets a, b; security groups sg` or `no VPC`. */
function describeVpc(v: VersionFacts): string {
    return v.vpc
        ? `subnets ${[...v.vpc.subnetIds].sort().join(", ")}; security groups ${[...v.vpc.securityGroupIds].sort().join(", ")}`
        : "no VPC";
}

/**
 * What is worth knowing but allowed: the two versions run in different networks (a VPC added, removed or moved).
 * AWS routes between them, but the candidate reaches (or no longer reaches) other things than stable does, so a
 * failure may be the network's, not the code's.
 */
export function preflightNotes(facts: PreflightFacts[]): string[] {
    const network = facts
        .filter((f) => describeVpc(f.stable) !== describeVpc(f.candidate))
        .map(
            (f) =>
                `${f.name}: v${f.candidate.version} runs in a different network than v${f.stable.version} ` +
                `(${describeVpc(f.candidate)} vs ${describeVpc(f.stable)}): errors that only the candidate sees may come from the network`,
        );
    // AWS allows a routing configuration on an alias with provisioned concurrency and divides that concurrency
    // between the versions by weight (API_PutProvisionedConcurrencyConfig: AllocatedProvisionedConcurrentExecutions
    // "fluctuates" on a weighted alias); what it refuses is adding provisioned concurrency to a weighted alias.
    const provisioned = facts
        .filter((f) => f.aliasHasProvisionedConcurrency)
        .map(
            (f) =>
                `${f.name}: the alias has provisioned concurrency: during a split Lambda divides it between the versions by weight ` +
                `(the candidate's share may start cold); do not change it while a rollout runs (AWS refuses provisioned concurrency on a weighted alias)`,
        );
    return [...network, ...provisioned];
}

/** Every violation, each naming the function, the rule and the way out; empty when the rollout may start. */
export function preflightProblems(facts: PreflightFacts[], steps: Step[]): string[] {
    const splits = steps.some((s) => s.weight > 0 && s.weight < 1);
    const problems: string[] = [];
    for (const f of facts) {
        for (const [role, v] of [
            ["stable", f.stable],
            ["candidate", f.candidate],
        ] as const) {
            if (!/^\d+$/.test(v.version)) {
                problems.push(
                    `${f.name}: the ${role} version "${v.version}" is not a published version (alias routing never uses $LATEST); run \`pulumi up\` to publish`,
                );
            }
        }
        if (f.stable.version === f.candidate.version) {
            problems.push(`${f.name}: the candidate is the stable version (v${f.stable.version}); nothing to roll out`);
        }
        if (splits && f.stable.role !== f.candidate.role) {
            problems.push(
                `${f.name}: v${f.candidate.version} has execution role ${f.candidate.role} but v${f.stable.version} has ${f.stable.role}; ` +
                    "AWS refuses weighted routing between versions with different roles: use the blue-green strategy for a role change (--strategy blue-green)",
            );
        }
        if (splits && (f.stable.deadLetterTargetArn ?? "") !== (f.candidate.deadLetterTargetArn ?? "")) {
            problems.push(
                `${f.name}: v${f.candidate.version} and v${f.stable.version} have different dead-letter configs ` +
                    `(${f.candidate.deadLetterTargetArn ?? "none"} vs ${f.stable.deadLetterTargetArn ?? "none"}); ` +
                    "AWS refuses weighted routing between them: use the blue-green strategy (--strategy blue-green)",
            );
        }
    }
    return problems;
}
