/**
 * Describes what the program declares, for the offline plan: the resources with their key inputs (alias
 * routing, alarm queries and thresholds), grouped by component. Pure: it formats an Evaluation.
 */
import { readRolloutOutputs } from "../../components/rolloutOutputs";
import type { Evaluation } from "./evaluate";
import { findResourceType, type DeclaredResource } from "./resourceTypes";

/** One line of key inputs for a declared resource ("" for a type the registry in resourceTypes.ts lacks). */
export function describeResource(r: DeclaredResource): string {
    return findResourceType(r.type)?.describe(r.inputs) ?? "";
}

/** The plan as lines a person reads at a glance. */
export function describePlan(stack: string, evaluation: Evaluation): string[] {
    const lines: string[] = [];
    const out = readRolloutOutputs(evaluation.outputs);
    if (out === undefined) return [`stack ${stack}: the program exported nothing`];
    lines.push(
        `stack ${stack}: strategy ${out.strategy}, release ${out.release?.version}${out.release?.commit ? ` (${out.release.commit})` : ""}`,
    );
    const custom = evaluation.resources.flatMap((r) => {
        const type = findResourceType(r.type);
        return type ? [{ r, type }] : [];
    });
    lines.push(`${custom.length} resources would be declared:`);
    for (const { r, type } of custom) {
        lines.push(`  ${type.label.padEnd(16)} ${r.name.padEnd(30)} ${type.describe(r.inputs)}`);
    }
    for (const [name, fn] of Object.entries(out.functions)) {
        lines.push(
            `function ${name}: stable v${fn.stableVersion}, candidate v${fn.candidateVersion}, weights ${JSON.stringify(fn.liveWeights)} (${fn.routingSource})`,
        );
    }
    return lines;
}
