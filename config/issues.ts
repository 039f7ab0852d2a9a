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

/** `` `ns:key[0].field` (got 5): rule `` for each issue. */
export function describeIssues(issues: z.core.$ZodIssue[], namespace: string, raw: unknown): string[] {
    return issues.map((issue) => {
        const keyPath = [`${namespace}:${String(issue.path[0] ?? "")}`, ...issue.path.slice(1)]
            .map((p, i) => (i === 0 ? p : typeof p === "number" ? `[${p}]` : `.${String(p)}`))
            .join("");
        if (issue.code === "unrecognized_keys") {
            return `\`${keyPath}\`: has unknown key(s) ${issue.keys.map((k) => `\`${k}\``).join(", ")}`;
        }
        const value = valueAt(raw, issue.path);
        const shown = value === undefined ? "" : ` (got ${JSON.stringify(value)})`;
        return `\`${keyPath}\`${shown}: ${issue.message}`;
    });
}

function valueAt(root: unknown, path: PropertyKey[]): unknown {
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
    return Object.fromEntries(Object.entries(config).filter(([k]) => k.startsWith(prefix)).map(([k, v]) => [k.slice(prefix.length), v]));
}
