/**
 * The wave file of a project, `waves.yaml` beside its Pulumi.yaml: read, validated (plan.ts), and each stack it
 * names checked against the project's stack files, before anything is read from AWS.
 */
import * as fs from "fs";
import * as path from "path";
import { parse as parseYaml } from "yaml";
import { stacksOf } from "../engine/evaluate";
import { UsageError } from "../errors";
import type { PulumiProject } from "../project";
import { parseWaveFile, planNamed, planStacks, type WavePlan } from "./plan";

/** The wave file's name, in the project's root. */
export const WAVE_FILE = "waves.yaml";

/** The plan `name` of the project's wave file; a UsageError (exit 2) naming the file, the field or the stack otherwise. */
export function readWavePlan(project: PulumiProject, name: string): WavePlan {
    const file = path.join(project.root, WAVE_FILE);
    let text: string;
    try {
        text = fs.readFileSync(file, "utf8");
    } catch (err) {
        throw new UsageError(
            `\`--waves ${name}\`: cannot read the wave plans, ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message} (docs/runbook.md, "Releasing to several regions", shows one)`,
        );
    }
    let raw: unknown;
    try {
        raw = parseYaml(text);
    } catch (err) {
        throw new UsageError(`${WAVE_FILE} is not valid YAML: ${(err as Error).message.split("\n")[0]}`);
    }
    const plan = planNamed(parseWaveFile(raw, WAVE_FILE), name, WAVE_FILE);
    const known = stacksOf(project);
    const missing = planStacks(plan).filter((s) => !known.includes(s));
    if (missing.length > 0) {
        throw new UsageError(
            `${WAVE_FILE}: plan ${name} names ${missing.map((s) => `"${s}"`).join(", ")}, which the project has no Pulumi.<stack>.yaml for (its stacks: ${known.join(", ")})`,
        );
    }
    return plan;
}
