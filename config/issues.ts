/**
 * Shared by every config schema of the project: how zod issues become messages that name the key path (with
 * its namespace), the bad value and the rule, and how Pulumi's config strings are decoded.
 */
import type { z } from "zod";

/** A config error: every problem found, each with its key path, value and rule. Nothing has been touched. */
export class ConfigError extends Error {
    constructor(
        readonly source: string,
        readonly problems: string[],
        what = "config",
    ) {
        super(`invalid ${what} in ${source}:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
        this.name = "ConfigError";
    }
}

/**
 * `` `ns:key[0].field` (got 5): rule `` for each issue; the value is left out where `hidden` says it may be a
 * credential (a webhook's URL).
 */
export function describeIssues(
    issues: z.core.$ZodIssue[],
    namespace: string,
    raw: unknown,
    hidden: (path: readonly PropertyKey[]) => boolean = () => false,
): string[] {
    return issues.map((issue) => {
        const keyPath = [`${namespace}:${String(issue.path[0] ?? "")}`, ...issue.path.slice(1)]
            .map((p, i) => (i === 0 ? p : typeof p === "number" ? `[${p}]` : `.${String(p)}`))
            .join("");
        if (issue.code === "unrecognized_keys") {
            return `\`${keyPath}\`: has unknown key(s) ${issue.keys.map((k) => `\`${k}\``).join(", ")}`;
        }
        const value = hidden(issue.path) ? undefined : valueAt(raw, issue.path);
        if (value === undefined && issue.code === "invalid_type" && /^Invalid input/.test(issue.message)) {
            // zod's default words for a missing key; a schema's own message (e.g. a bake's) is kept.
            return `\`${keyPath}\`: is required (${article(issue.expected)} ${issue.expected})`;
        }
        const shown = value === undefined ? "" : ` (got ${JSON.stringify(value)})`;
        return `\`${keyPath}\`${shown}: ${issue.message}`;
    });
}

function article(word: string): string {
    return /^[aeiou]/.test(word) ? "an" : "a";
}

/** The value at a key path of a parsed file (zod's issue path), or undefined: what an error quotes as "got". */
export function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
    let node: unknown = root;
    for (const key of path) {
        if (node === null || typeof node !== "object") return undefined;
        node = (node as Record<PropertyKey, unknown>)[key];
    }
    return node;
}

/** Pulumi hands structured config values over as JSON text; plain strings stay strings. */
export function decodePulumiConfig(all: Record<string, string>): Record<string, unknown> {
    return Object.fromEntries(
        Object.entries(all).map(([key, value]) => {
            if (/^\s*[[{]/.test(value)) {
                try {
                    return [key, JSON.parse(value)];
                } catch {
                    return [key, value];
                }
            }
            return [key, value];
        }),
    );
}

/** The values of one namespace's keys of a stack file's `config:` map, without the namespace. */
export function namespaceKeys(config: Record<string, unknown>, namespace: string): Record<string, unknown> {
    const prefix = `${namespace}:`;
    return Object.fromEntries(
        Object.entries(config)
            .filter(([k]) => k.startsWith(prefix))
            .map(([k, v]) => [k.slice(prefix.length), v]),
    );
}

/**
 * Keys of a stack file's `config:` map that look meant for `namespace` but are not under it, so that nothing
 * would read them and the setting would silently not apply: a namespace that is a near miss of it
 * (`lambda-rolout:`, `lambda_rollout:`, `Lambda-Rollout:`), one of `ownKeys` under a foreign namespace, or a
 * key with no namespace at all. Keys of other namespaces (`aws:region`, `aws:profile`, `pulumi:tags`) belong
 * to their providers and are left alone. One message per key, naming it and the key it should be.
 */
export function misplacedNamespaceKeys(config: Record<string, unknown>, namespace: string, ownKeys: readonly string[]): string[] {
    const problems: string[] = [];
    for (const key of Object.keys(config)) {
        const colon = key.indexOf(":");
        if (colon < 0) {
            problems.push(
                `\`${key}\`: has no namespace, so nothing reads it: config keys are \`<namespace>:<key>\`; this project's are \`${namespace}:<key>\`, e.g. \`${namespace}:${key}\``,
            );
            continue;
        }
        const ns = key.slice(0, colon);
        const name = key.slice(colon + 1);
        if (ns === namespace) continue;
        if (isNearMiss(ns, namespace) || ownKeys.includes(name)) {
            problems.push(
                `\`${key}\`: \`${ns}:\` is not this project's namespace, so nothing reads this key: did you mean \`${namespace}:${name}\`? (this project's keys are \`${namespace}:<key>\`; other namespaces, such as \`aws:\`, belong to their providers)`,
            );
        }
    }
    return problems;
}

/** A namespace that differs from `namespace` only in case, separators or a typo or two. */
function isNearMiss(candidate: string, namespace: string): boolean {
    const bare = (s: string) => s.toLowerCase().replace(/[^a-z0-9]/g, "");
    return bare(candidate) === bare(namespace) || editDistance(candidate.toLowerCase(), namespace) <= 2;
}

/** Levenshtein distance. */
function editDistance(a: string, b: string): number {
    let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
    for (let i = 1; i <= a.length; i++) {
        const current = [i];
        for (let j = 1; j <= b.length; j++) {
            current[j] = Math.min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
        }
        previous = current;
    }
    return previous[b.length];
}
