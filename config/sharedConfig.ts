/**
 * Config several stacks share (the regional stacks of one environment): a stack's file names one shared file with
 * `<project>:sharedConfig`, and every project key of that file applies to the stack unless the stack's own file
 * sets the same key (a whole top-level key wins, as Pulumi's own project-level config is overridden).
 *
 * Why a shared file the program reads, and not Pulumi's other ways (docs/design.md, "Config shared by stacks"):
 * project-level config in Pulumi.yaml applies to every stack of the project (dev and staging would inherit
 * prod's VPC, alarms and notifications) and holds an object only under `value:`; an ESC environment imported by
 * each stack cannot be read offline, so `plan` and `rehearse` could not see what it holds. A file in the
 * repository is reviewed with the code, and the one function below is where the program under `pulumi up`, the
 * offline plan, the rehearsal and the rollout tool all read it (readStackConfig calls it first).
 *
 * The shared file holds only the project's own keys: `aws:*` keys (region, profile, assumeRoles) are read by the
 * AWS provider from each stack's own config, never through the program, so a shared one would be ignored by the
 * provider; and a secret is encrypted with one stack's key, so no other stack could read it.
 */
import * as fs from "fs";
import * as path from "path";
import { parse as parseYaml } from "yaml";
import { StackConfigError } from "./stackConfig";
import { isSecureValue } from "./secrets";

/** The key naming the shared file: `<project>:sharedConfig`. */
export function sharedConfigKey(project: string): string {
    return `${project}:sharedConfig`;
}

/**
 * The stack's config with its shared file's keys under it (the stack's own win), and without the key naming the
 * file. A config without the key is returned as it is. Problems (no such file, not YAML, a key that cannot be
 * shared) are a StackConfigError naming the key and the file.
 */
export function withSharedConfig(
    config: Record<string, unknown>,
    source: string,
    projectRoot: string,
    project: string,
): Record<string, unknown> {
    const key = sharedConfigKey(project);
    if (!(key in config)) return config;
    const { [key]: named, ...own } = config;
    const fail = (problem: string): never => {
        throw new StackConfigError(source, [`\`${key}\` (got ${JSON.stringify(named)}): ${problem}`]);
    };
    if (typeof named !== "string" || !/\.ya?ml$/.test(named))
        return fail("must be the path of a YAML file, relative to the project root, e.g. shared/prod.yaml");
    const file = path.resolve(projectRoot, named);
    const relative = path.relative(projectRoot, file);
    if (relative.startsWith("..") || path.isAbsolute(relative)) return fail(`must be a file inside the project (${projectRoot})`);
    let text: string;
    try {
        text = fs.readFileSync(file, "utf8");
    } catch (err) {
        return fail(`cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
    let doc: unknown;
    try {
        doc = parseYaml(text);
    } catch (err) {
        return fail(`${named} is not valid YAML: ${(err as Error).message.split("\n")[0]}`);
    }
    const shared = (doc as { config?: unknown } | null)?.config;
    if (typeof shared !== "object" || shared === null || Array.isArray(shared)) return fail(`${named} has no \`config:\` map`);
    const problems = sharedKeyProblems(shared as Record<string, unknown>, project, named);
    if (problems.length > 0) throw new StackConfigError(source, problems);
    return { ...(shared as Record<string, unknown>), ...own };
}

/** What a shared file may not hold (pure): keys outside the project, a second level of sharing, secrets. */
export function sharedKeyProblems(shared: Record<string, unknown>, project: string, file: string): string[] {
    return Object.entries(shared).flatMap(([key, value]) => {
        const where = `\`${key}\` in ${file}`;
        if (key === sharedConfigKey(project))
            return [`${where}: a shared file cannot name another one (one level of sharing: put the keys here)`];
        if (!key.startsWith(`${project}:`))
            return [
                `${where}: only this project's keys (\`${project}:<key>\`) can be shared: the AWS provider reads \`aws:*\` keys (region, profile, assumeRoles) from each stack's own file, so set them there`,
            ];
        if (holdsSecret(value))
            return [
                `${where}: holds a secret, which is encrypted with one stack's key: set it in each stack's file (\`pulumi config set --secret\`)`,
            ];
        return [];
    });
}

function holdsSecret(value: unknown): boolean {
    if (isSecureValue(value)) return true;
    if (Array.isArray(value)) return value.some(holdsSecret);
    if (typeof value === "object" && value !== null) return Object.values(value).some(holdsSecret);
    return false;
}
