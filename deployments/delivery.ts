/**
 * The decisions of git-driven delivery, as pure functions of the delivery config: which branch deploys which
 * stack, which changed files make a push deploy, which stack's success triggers which other stack, and who must
 * approve what. The Pulumi program in this directory (index.ts) only turns them into Pulumi Cloud resources;
 * the tests call these functions directly, by tables.
 */
import { z } from "zod";
import { ConfigError, describeIssues, namespaceKeys } from "../config/issues";

/** The Pulumi project of this program: its config keys are `lambda-rollout-delivery:<key>`. */
export const DELIVERY_PROJECT = "lambda-rollout-delivery";

/** The project whose stacks get deployment settings. */
export const APP_PROJECT = "lambda-rollout";

/** The GitHub environment that guards prod's promotion (`.github/workflows/promote.yml`); reviewers are set on it. */
export const PROMOTION_ENVIRONMENT = "production";

/** The webhook event on the source stack that starts the next stack's deployment. */
export const PROGRESSION_EVENT = "update_succeeded";

// Characters that make a git branch setting a pattern instead of a name.
const GLOB_CHARS = /[*?[\]{}!]/;

const durationText = z
    .string()
    .regex(/^(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$/, { message: 'must be a duration in "XhYmZs" form, e.g. "1h" or "45m"' })
    .refine((d) => d !== "", { message: 'must be a duration in "XhYmZs" form, e.g. "1h" or "45m"' })
    .refine(
        (d) => {
            const s = durationSeconds(d);
            return s >= 900 && s <= 43200;
        },
        { message: "must be between 15m and 12h (the limits of an AWS assume-role session)" },
    );

const stackSchema = z
    .object({
        /**
         * The one branch whose pushes deploy this stack. Pulumi Deployments' settings hold a single branch
         * (`sourceContext.git.branch`), not a pattern: `release/*` cannot be expressed, so prod deploys a fixed
         * `release` branch that release commits are merged or pushed to.
         */
        branch: z
            .string()
            .min(1, { message: "must name a git branch" })
            .refine((b) => !GLOB_CHARS.test(b), {
                message:
                    "is a pattern; Pulumi Deployments deploys one named branch per stack (DeploymentSettings sourceContext.git.branch " +
                    'takes no globs), so name a fixed branch such as "release"',
            })
            .refine((b) => !b.startsWith("refs/"), { message: 'must be a branch name without "refs/heads/", e.g. "main"' }),
        /** The IAM role the deployment assumes through Pulumi Cloud's OIDC issuer: the deploy role, not the promoter role. */
        roleArn: z.string().regex(/^arn:aws[\w-]*:iam::\d{12}:role\/[\w+=,.@/-]+$/, {
            message: 'must be an IAM role ARN such as "arn:aws:iam::123456789012:role/lambda-rollout-dev-deploy"',
        }),
        /** The assume-role session name; default `pulumi-deployments-lambda-rollout-<stack>`. */
        sessionName: z
            .string()
            .regex(/^[\w+=,.@-]{2,64}$/, { message: "must be 2-64 characters of letters, digits and +=,.@_-" })
            .optional(),
        /** The assume-role session duration, "XhYmZs"; default 1h. */
        duration: durationText.default("1h"),
        /** Run `pulumi preview` on pull requests into the stack's branch; default true. */
        previewPullRequests: z.boolean().default(true),
        /**
         * The wave plan (waves.yaml) that releases this stack with others (`promote --waves <plan>`, release.yml):
         * the stacks of one plan deploy one release, so they may share a branch.
         */
        release: z
            .string()
            .regex(/^[A-Za-z0-9_.-]+$/, { message: "must be a wave plan's name in waves.yaml, e.g. prod" })
            .optional(),
    })
    .strict();

const repositorySchema = z
    .object({
        /** GitHub owner (user or organisation) of this repository. */
        owner: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9-]*$/, { message: "must be a GitHub user or organisation name" }),
        /** Repository name. */
        name: z.string().regex(/^[A-Za-z0-9._-]+$/, { message: "must be a GitHub repository name" }),
        /** Clone URL, https://github.com/<owner>/<name>.git. */
        url: z.string().regex(/^https:\/\/[^\s/]+\/[^\s]+$/, {
            message: 'must be an https clone URL such as "https://github.com/acme/lambda-rollout.git"',
        }),
    })
    .strict();

/** The schema of this program's config (keys without the `lambda-rollout-delivery:` namespace). */
export const deliveryConfigSchema = z
    .object({
        /** Pulumi Cloud organisation that owns the stacks. */
        organization: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/, { message: "must be a Pulumi Cloud organisation name" }),
        /** The project whose stacks are deployed; default lambda-rollout. */
        project: z.string().min(1).default(APP_PROJECT),
        /** This repository, the git source of every deployment. */
        repository: repositorySchema,
        /** Per stack: its branch and its AWS role. */
        stacks: z.record(z.string().regex(/^[a-z][a-z0-9-]*$/, { message: "must be a stack name (lower case)" }), stackSchema),
        /** Shell commands run before each `pulumi` operation; default `npm ci`. */
        preRunCommands: z.array(z.string().min(1)).min(1, { message: "must list at least one command" }).default(["npm ci"]),
        /** Edges `{from, to}`: a successful update of `from` starts a deployment of `to`. Default none. */
        progression: z.array(z.object({ from: z.string(), to: z.string() }).strict()).default([]),
    })
    .strict()
    .superRefine((cfg, ctx) => {
        const stacks = Object.keys(cfg.stacks);
        if (stacks.length === 0) {
            ctx.addIssue({ code: "custom", path: ["stacks"], message: "must declare at least one stack" });
        }
        const owners = new Map<string, string>();
        for (const [stack, s] of Object.entries(cfg.stacks)) {
            const other = owners.get(s.branch);
            // A push deploys one stack, or the stacks of one wave plan (one release, published everywhere at once).
            const sameRelease = other !== undefined && s.release !== undefined && cfg.stacks[other].release === s.release;
            if (other !== undefined && !sameRelease) {
                ctx.addIssue({
                    code: "custom",
                    path: ["stacks", stack, "branch"],
                    message: `"${s.branch}" already deploys stack "${other}": a push must deploy one stack (or the stacks of one wave plan, each with the same \`release\`), so give each stack its own branch`,
                });
            }
            owners.set(s.branch, stack);
        }
        const repo = `${cfg.repository.owner}/${cfg.repository.name}`;
        const urlPath = cfg.repository.url.replace(/^https:\/\/[^/]+\//, "").replace(/\.git$/, "");
        if (urlPath !== repo) {
            ctx.addIssue({
                code: "custom",
                path: ["repository", "url"],
                message: `must point at ${repo} (the repository's owner/name), not ${urlPath}`,
            });
        }
        const seen = new Set<string>();
        cfg.progression.forEach((edge, i) => {
            for (const end of ["from", "to"] as const) {
                if (!(edge[end] in cfg.stacks)) {
                    ctx.addIssue({
                        code: "custom",
                        path: ["progression", i, end],
                        message: `names no stack of \`stacks\` (stacks: ${stacks.join(", ")})`,
                    });
                }
            }
            if (edge.from === edge.to) {
                ctx.addIssue({ code: "custom", path: ["progression", i], message: "must go from one stack to another, not to itself" });
            }
            const key = `${edge.from}->${edge.to}`;
            if (seen.has(key)) {
                ctx.addIssue({ code: "custom", path: ["progression", i], message: `${key} is declared twice` });
            }
            seen.add(key);
        });
        const cycle = findCycle(cfg.progression);
        if (cycle) {
            ctx.addIssue({
                code: "custom",
                path: ["progression"],
                message: `has a cycle (${cycle.join(" -> ")}): every successful update would start the next one forever`,
            });
        }
    });

/** The validated delivery config. */
export type DeliveryConfig = z.output<typeof deliveryConfigSchema>;
/** One validated stack entry. */
export type StackDelivery = DeliveryConfig["stacks"][string];
/** One progression edge. */
export type ProgressionEdge = DeliveryConfig["progression"][number];

/** A delivery config error: every problem, each naming its key. */
export class DeliveryConfigError extends ConfigError {
    constructor(source: string, problems: string[]) {
        super(source, problems, "delivery config");
        this.name = "DeliveryConfigError";
    }
}

/**
 * Validates this program's config (keys already stripped of `lambda-rollout-delivery:`). Throws a
 * DeliveryConfigError listing every problem as `` `lambda-rollout-delivery:stacks.prod.branch` (got "release/*"): ... ``.
 */
export function parseDeliveryConfig(raw: Record<string, unknown>, source: string): DeliveryConfig {
    const result = deliveryConfigSchema.safeParse(raw);
    if (result.success) return result.data;
    const problems = describeIssues(result.error.issues, DELIVERY_PROJECT, raw);
    throw new DeliveryConfigError(source, problems);
}

/** Takes a stack file's `config:` map and returns this project's keys without their namespace. */
export function deliveryKeys(config: Record<string, unknown>): Record<string, unknown> {
    return namespaceKeys(config, DELIVERY_PROJECT);
}

/** The stacks a push to `branch` deploys: one, the stacks of one wave plan, or none. */
export function stacksForBranch(config: DeliveryConfig, branch: string): string[] {
    const name = branch.replace(/^refs\/heads\//, "");
    return Object.entries(config.stacks)
        .filter(([, s]) => s.branch === name)
        .map(([stack]) => stack);
}

/** The stack a push to `branch` deploys (the first, for the stacks of a wave plan), or undefined when it deploys nothing. */
export function stackForBranch(config: DeliveryConfig, branch: string): string | undefined {
    return stacksForBranch(config, branch)[0];
}

/**
 * The push-to-deploy path filters of a stack, in Pulumi Deployments' syntax: a push deploys when at least one
 * changed file matches an include pattern and no `!`-prefixed exclude pattern. Only what the program is built
 * from deploys: a push of docs, markdown, tests, the rollout tool (automation/**), workflows or this
 * delivery program deploys nothing; another stack's config file does not deploy this stack. A stack that shares
 * its config with others (`lambda-rollout:sharedConfig`) is deployed by a change to that file too.
 */
export function pathFilters(stack: string, sharedConfig?: string): string[] {
    return [
        ...(sharedConfig ? [sharedConfig] : []),
        "app/**",
        "components/**",
        "config/**",
        "index.ts",
        "Pulumi.yaml",
        `Pulumi.${stack}.yaml`,
        "package*.json",
        "tsconfig.json",
        "!docs/**",
        "!*.md",
        "!**/*.md",
    ];
}

/**
 * Whether a push that changed `changedFiles` triggers a deployment under `filters`, as Pulumi Deployments
 * evaluates them: a file matches when it matches an include (or there are none) and no exclude; a push
 * deploys when at least one file matches. A pattern must match the whole path; `*` stays within one path
 * segment, `**` crosses segments.
 */
export function pushDeploys(filters: readonly string[], changedFiles: readonly string[]): boolean {
    const includes = filters.filter((f) => !f.startsWith("!")).map(globToRegExp);
    const excludes = filters.filter((f) => f.startsWith("!")).map((f) => globToRegExp(f.slice(1)));
    return changedFiles.some(
        (file) => (includes.length === 0 || includes.some((re) => re.test(file))) && !excludes.some((re) => re.test(file)),
    );
}

/** A path glob as an anchored regular expression (`**` any depth, `*` and `?` within a segment). */
export function globToRegExp(glob: string): RegExp {
    let out = "";
    for (let i = 0; i < glob.length; i++) {
        const c = glob[i];
        if (c === "*" && glob[i + 1] === "*") {
            if (glob[i + 2] === "/") {
                out += "(?:.*/)?";
                i += 2;
            } else {
                out += ".*";
                i += 1;
            }
        } else if (c === "*") {
            out += "[^/]*";
        } else if (c === "?") {
            out += "[^/]";
        } else {
            out += c.replace(/[.+^${}()|[\]\\]/g, "\\$&");
        }
    }
    return new RegExp(`^${out}$`);
}

/** The progression edges in a stable order (by source, then target), as the program declares webhooks for them. */
export function progressionEdges(config: DeliveryConfig): ProgressionEdge[] {
    return [...config.progression].sort((a, b) => a.from.localeCompare(b.from) || a.to.localeCompare(b.to));
}

/** The approval a stack's traffic change needs, as this repository enforces it. */
export interface ApprovalRule {
    /** Who moves traffic after the git-triggered `up`. */
    readonly promotion: "none" | "github-environment";
    /** The GitHub environment whose required reviewers approve the promote job (only for `github-environment`). */
    readonly environment?: string;
    /** In words, for the stack's outputs and the docs. */
    readonly summary: string;
}

/**
 * The approval rule of a stack. Pulumi Deployments runs every stack's `up` without approval (these settings
 * declare none). Only prod's promotion is gated: `.github/workflows/promote.yml` runs in the `production`
 * GitHub environment, whose required reviewers approve each run. Staging is promoted by hand
 * (`npm run promote -- --stack staging`); dev is all-at-once, its `up` moves traffic.
 */
export function approvalRule(stack: string, entry?: Pick<StackDelivery, "release">): ApprovalRule {
    if (entry?.release !== undefined) {
        return {
            promotion: "github-environment",
            environment: PROMOTION_ENVIRONMENT,
            summary: `\`up\` publishes the candidate without approval; release.yml releases wave plan ${entry.release} one wave per job, each after a required reviewer of the GitHub environment "${PROMOTION_ENVIRONMENT}" approves`,
        };
    }
    if (stack === "prod") {
        return {
            promotion: "github-environment",
            environment: PROMOTION_ENVIRONMENT,
            summary: `\`up\` publishes the candidate without approval; promote.yml moves traffic after a required reviewer of the GitHub environment "${PROMOTION_ENVIRONMENT}" approves`,
        };
    }
    return { promotion: "none", summary: "`up` runs without approval; no workflow of this repository gates it" };
}

/** The session name a stack's deployment assumes its role with. */
export function sessionName(stack: string, entry: StackDelivery): string {
    return entry.sessionName ?? `pulumi-deployments-${APP_PROJECT}-${stack}`;
}

function durationSeconds(text: string): number {
    const m = /^(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$/.exec(text);
    if (!m) return NaN;
    return Number(m[1] ?? 0) * 3600 + Number(m[2] ?? 0) * 60 + Number(m[3] ?? 0);
}

function findCycle(edges: readonly { from: string; to: string }[]): string[] | undefined {
    const next = new Map<string, string[]>();
    for (const e of edges) next.set(e.from, [...(next.get(e.from) ?? []), e.to]);
    const visit = (node: string, path: string[]): string[] | undefined => {
        const at = path.indexOf(node);
        if (at >= 0) return [...path.slice(at), node];
        for (const to of next.get(node) ?? []) {
            const found = visit(to, [...path, node]);
            if (found) return found;
        }
        return undefined;
    };
    for (const start of next.keys()) {
        const found = visit(start, []);
        if (found) return found;
    }
    return undefined;
}
