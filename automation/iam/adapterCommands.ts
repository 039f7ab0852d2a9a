/**
 * Reads TypeScript source and finds the AWS SDK v3 commands it sends (`new GetAliasCommand(...)`), each with
 * the client package it was imported from, so the promoter policy can be checked against what the adapters
 * really do.
 */
import * as fs from "fs";
import * as path from "path";
import { NEEDS_NO_PERMISSION, PolicyDocument, grantedActions, iamActionOf } from "./promoterPolicy";

/** The SDK v3 client packages the adapters use, by the IAM service prefix of their actions. */
export const CLIENT_PACKAGES = {
    lambda: "@aws-sdk/client-lambda",
    cloudwatch: "@aws-sdk/client-cloudwatch",
    sns: "@aws-sdk/client-sns",
    sts: "@aws-sdk/client-sts",
} as const;

/** One `new XCommand(` found in a source file. */
export interface SentCommand {
    /** The command class, e.g. `GetAliasCommand`. */
    readonly command: string;
    /** The IAM action it needs (`lambda:GetAlias`), or undefined when its client could not be told. */
    readonly action: string | undefined;
    /** 1-based line of the `new`. */
    readonly line: number;
}

/**
 * The commands a source file sends. The client of a command is found from the file's imports: a named import
 * (`import { GetAliasCommand } from "@aws-sdk/client-lambda"`, also `as` renames) or a namespace import
 * (`import * as lambda from "@aws-sdk/client-lambda"` with `new lambda.GetAliasCommand(`).
 */
export function commandsSent(source: string): SentCommand[] {
    const clientOf = new Map<string, { service: keyof typeof CLIENT_PACKAGES; command: string }>();
    const namespaces = new Map<string, keyof typeof CLIENT_PACKAGES>();
    for (const [service, pkg] of Object.entries(CLIENT_PACKAGES) as [keyof typeof CLIENT_PACKAGES, string][]) {
        const quoted = pkg.replace(/[/-]/g, (c) => `\\${c}`);
        const named = new RegExp(`import\\s+(?:type\\s+)?\\{([^}]*)\\}\\s*from\\s*["']${quoted}["']`, "g");
        for (const m of source.matchAll(named)) {
            for (const spec of m[1].split(",")) {
                const parts = spec
                    .trim()
                    .replace(/^type\s+/, "")
                    .split(/\s+as\s+/);
                const imported = parts[0]?.trim();
                const local = (parts[1] ?? parts[0])?.trim();
                if (imported && local && /Command$/.test(imported)) clientOf.set(local, { service, command: imported });
            }
        }
        const ns = new RegExp(`import\\s+\\*\\s+as\\s+(\\w+)\\s+from\\s*["']${quoted}["']`, "g");
        for (const m of source.matchAll(ns)) namespaces.set(m[1], service);
    }
    const found: SentCommand[] = [];
    for (const m of source.matchAll(/new\s+(?:(\w+)\.)?(\w+)\s*\(/g)) {
        const [, namespace, local] = m;
        if (!/Command$/.test(local) && !(namespace === undefined && clientOf.has(local))) continue;
        const line = source.slice(0, m.index).split("\n").length;
        const service = namespace !== undefined ? namespaces.get(namespace) : clientOf.get(local)?.service;
        const command = namespace !== undefined ? local : (clientOf.get(local)?.command ?? local);
        found.push({ command, action: service ? iamActionOf(command, service) : undefined, line });
    }
    return found;
}

/** How a policy compares with the commands the adapters in a directory send. */
export interface AdapterCheck {
    /** The adapter files read (`*.ts`), with their directory. */
    readonly files: string[];
    /** IAM action -> where it is sent (`file:line`). */
    readonly sent: Map<string, string[]>;
    /** Commands whose client could not be told, with where they are. */
    readonly unknown: string[];
    /** Actions sent but not granted, with where they are sent. */
    readonly notGranted: string[];
    /** Actions granted but sent by no adapter. */
    readonly unused: string[];
}

/**
 * Reads every `*.ts` file of `dirs` (the adapters, and the notifications' senders) and compares the commands
 * they send with what `policy` grants.
 */
export function checkAdapters(dirs: string | readonly string[], policy: PolicyDocument): AdapterCheck {
    const files = (typeof dirs === "string" ? [dirs] : dirs).flatMap((dir) =>
        fs.existsSync(dir)
            ? fs
                  .readdirSync(dir)
                  .filter((f) => f.endsWith(".ts"))
                  .sort()
                  .map((f) => path.join(dir, f))
            : [],
    );
    const sent = new Map<string, string[]>();
    const unknown: string[] = [];
    for (const file of files) {
        for (const c of commandsSent(fs.readFileSync(file, "utf8"))) {
            const where = `${path.basename(file)}:${c.line}`;
            if (c.action === undefined)
                unknown.push(`${where} new ${c.command}( (not imported from ${Object.values(CLIENT_PACKAGES).join(" or ")})`);
            else sent.set(c.action, [...(sent.get(c.action) ?? []), where]);
        }
    }
    const granted = grantedActions(policy);
    return {
        files,
        sent,
        unknown,
        notGranted: [...sent]
            .filter(([a]) => !granted.includes(a) && !NEEDS_NO_PERMISSION.includes(a))
            .map(([a, where]) => `${a} (sent at ${where.join(", ")})`),
        unused: granted.filter((a) => !sent.has(a)),
    };
}
