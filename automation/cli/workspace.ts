/**
 * Reads the Pulumi CLI's workspace settings for a project: the stack `pulumi stack select` chose. Read from the
 * file itself (automation/cli/conventions.ts names it), so the selected-stack fallback works without a Pulumi CLI
 * on the PATH (plan and rehearse need none).
 */
import * as fs from "fs";
import * as os from "os";
import { projectFile, type PulumiProject } from "../project";
import { selectedStackIn, workspaceSettingsFile, type ConventionEnv, type SelectedStack } from "./conventions";

/** The stack the workspace has selected for `project`; undefined when no settings file names one. */
export function readSelectedStack(
    project: PulumiProject,
    env: ConventionEnv = process.env,
    home: string = os.homedir(),
): SelectedStack | undefined {
    const pulumiYaml = projectFile(project.root);
    if (!pulumiYaml) return undefined;
    const file = workspaceSettingsFile(project.name, pulumiYaml, env, home);
    let text: string;
    try {
        text = fs.readFileSync(file, "utf8");
    } catch (err) {
        // No settings file: nothing selected. Any other failure is worth saying.
        if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
        throw err;
    }
    const stack = selectedStackIn(text);
    return stack === undefined ? undefined : { stack, file };
}
