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
        if (splits && f.aliasHasProvisionedConcurrency) {
            problems.push(
                `${f.name}: the alias has provisioned concurrency, which AWS does not allow with routing weights; use blue-green (--strategy blue-green) or remove it`,
            );
        }
    }
    return problems;
}
