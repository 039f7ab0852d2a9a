import { expect } from "chai";
import { spawn, spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { parse as parseYaml, parseDocument } from "yaml";
import { micromark } from "micromark";
import { gfm, gfmHtml } from "micromark-extension-gfm";
import { renderSummary } from "../../.github/scripts/reportSummary";
import { EXIT_CODE_MEANINGS } from "../../automation/exitCodes";
import { PROMOTION_ENVIRONMENT, deliveryKeys, parseDeliveryConfig } from "../../deployments/delivery";
import { defaultProject } from "../../automation/project";
import { readWavePlan } from "../../automation/waves/planFile";

const ROOT = path.resolve(__dirname, "..", "..");
const WORKFLOWS = path.join(ROOT, ".github", "workflows");
const packageJson = JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8"));
const scripts: Record<string, string> = packageJson.scripts;
const delivery = parseDeliveryConfig(
    deliveryKeys(
        (parseYaml(fs.readFileSync(path.join(ROOT, "deployments", "Pulumi.delivery.yaml"), "utf8")) as { config: Record<string, unknown> })
            .config,
    ),
    "deployments/Pulumi.delivery.yaml",
);

type Step = { uses?: string; run?: string; with?: Record<string, any>; env?: Record<string, string>; name?: string; if?: string };
type Job = {
    environment?: string;
    steps: Step[];
    permissions?: Record<string, string>;
    "runs-on": string;
    strategy?: { matrix?: Record<string, unknown[]>; "fail-fast"?: boolean };
};
type Workflow = { on: Record<string, any>; jobs: Record<string, Job>; permissions?: Record<string, string> };

function load(name: string): Workflow {
    return parseYaml(fs.readFileSync(path.join(WORKFLOWS, name), "utf8")) as Workflow;
}
const steps = (wf: Workflow) => Object.values(wf.jobs).flatMap((j) => j.steps);
const runs = (wf: Workflow) => steps(wf).flatMap((s) => (s.run ? [s.run] : []));
const stepUsing = (wf: Workflow, action: string) => steps(wf).find((s) => s.uses?.startsWith(`${action}@`));

describe("GitHub workflows (.github/workflows)", () => {
    const files = fs.readdirSync(WORKFLOWS).filter((f) => /\.ya?ml$/.test(f));

    it("are test.yml, promote.yml, release.yml and rollback.yml, each valid YAML", () => {
        expect(files.sort()).to.deep.equal(["promote.yml", "release.yml", "rollback.yml", "test.yml"]);
        for (const f of files) {
            const doc = parseDocument(fs.readFileSync(path.join(WORKFLOWS, f), "utf8"));
            expect(
                doc.errors.map((e) => e.message),
                f,
            ).to.deep.equal([]);
        }
    });

    it("every `npm run X` and `npm test` they run exists in package.json's scripts", () => {
        const used: string[] = [];
        for (const f of files) {
            for (const run of runs(load(f))) {
                for (const m of run.matchAll(/npm\s+run\s+(?:--silent\s+)?([\w:-]+)/g)) used.push(m[1]);
                if (/npm\s+test\b/.test(run)) used.push("test");
            }
        }
        expect(used).to.include.members(["test", "typecheck", "lint"]);
        expect(used.filter((s) => !(s in scripts))).to.deep.equal([]);
    });

    it("run the rollout tool as package.json's scripts do, but with node itself (`node --import tsx`), so a cancel's signal reaches it", () => {
        const tool: string[] = [];
        for (const f of files) {
            for (const run of runs(load(f))) {
                for (const m of run.matchAll(/node --import tsx (automation\/cli\.ts (\w+))/g)) {
                    tool.push(m[2]);
                    expect(scripts[m[2]], `${f}: ${m[0]}`).to.equal(`tsx ${m[1]}`);
                }
                expect(run, f).to.not.match(/npm\s+run\s+(promote|rollback)\b/);
            }
        }
        expect([...new Set(tool)].sort()).to.deep.equal(["promote", "rollback"]);
    });

    it("set up Node 24, and test.yml tests on 22 and 26 too (package.json's engines: >=22)", () => {
        expect(packageJson.engines.node).to.equal(">=22");
        const setUp: Record<string, unknown[]> = {};
        for (const f of files) {
            const wf = load(f);
            const matrix = Object.values(wf.jobs).flatMap((j) => j.strategy?.matrix?.node ?? []);
            setUp[f] = steps(wf)
                .filter((s) => s.uses?.startsWith("actions/setup-node@"))
                .flatMap((s) => (s.with?.["node-version"] === "${{ matrix.node }}" ? matrix : [s.with?.["node-version"]]));
        }
        expect(setUp).to.deep.equal({ "promote.yml": [24], "release.yml": [24, 24, 24], "rollback.yml": [24], "test.yml": [24, 22, 26] });
    });

    describe("test.yml", () => {
        const wf = load("test.yml");
        it("runs npm ci and npm test on every pull request, on Node 24, 22 and 26", () => {
            expect(Object.keys(wf.on)).to.deep.equal(["pull_request"]);
            expect(wf.on.pull_request).to.equal(null);
            const job = Object.values(wf.jobs)[0];
            expect(job.strategy?.matrix?.node).to.deep.equal([24, 22, 26]);
            expect(job.strategy?.["fail-fast"]).to.equal(false);
            expect(stepUsing(wf, "actions/setup-node")?.with?.["node-version"]).to.equal("${{ matrix.node }}");
            expect(runs(wf)).to.deep.equal([
                "npm ci",
                "npm run typecheck",
                "npm run lint",
                "npm test",
                "bash tests/package/install-check.sh ${{ matrix.node }}",
            ]);
        });

        it("runs the same checks as .ci/run (install from the lock file, typecheck, lint, tests, the packed package's install)", () => {
            const checks = (lines: string[]) =>
                lines.flatMap(
                    (l) => /^(?:npm\s+(?:ci|test|run\s+[\w:-]+)\b|bash tests\/package\/install-check\.sh)/.exec(l.trim())?.[0] ?? [],
                );
            const ciLines = fs.readFileSync(path.join(ROOT, ".ci", "run"), "utf8").split("\n");
            const ciRun = [...new Set(checks(ciLines))];
            expect(ciRun).to.deep.equal(["npm ci", "npm run typecheck", "npm run lint", "npm test", "bash tests/package/install-check.sh"]);
            expect(checks(runs(wf))).to.deep.equal(ciRun);
            // .ci/run installs it on both majors the README names; test.yml on its matrix's.
            expect(ciLines.filter((l) => l.startsWith("bash tests/package/install-check.sh"))).to.deep.equal([
                "bash tests/package/install-check.sh 22",
                "bash tests/package/install-check.sh 24",
            ]);
        });
    });

    describe("promote.yml", () => {
        const wf = load("promote.yml");
        const job = Object.values(wf.jobs)[0];
        const promoteRun = runs(wf).find((r) => r.includes("automation/cli.ts promote"))!;

        it("runs in the protected `production` environment, by hand or on a repository_dispatch", () => {
            expect(Object.keys(wf.jobs)).to.have.length(1);
            expect(job.environment).to.equal(PROMOTION_ENVIRONMENT);
            expect(Object.keys(wf.on).sort()).to.deep.equal(["repository_dispatch", "workflow_dispatch"]);
            expect(wf.on.repository_dispatch.types).to.deep.equal(["prod-candidate-published"]);
        });

        it("promotes prod with --yes --json and writes the report, as JSON and as a page", () => {
            expect(promoteRun).to.contain(
                "node --import tsx automation/cli.ts promote --stack prod --yes --json --report rollout-report.json --html rollout-report.html &",
            );
            expect(promoteRun).to.contain('>> "$GITHUB_STEP_SUMMARY"');
        });

        it("checks out the branch prod deploys from, so its `pulumi up`s publish no other code", () => {
            expect(stepUsing(wf, "actions/checkout")?.with?.ref).to.equal(delivery.stacks.prod.branch);
        });

        it("gets AWS credentials through OIDC and installs the Pulumi CLI", () => {
            expect(job.permissions?.["id-token"]).to.equal("write");
            expect(stepUsing(wf, "aws-actions/configure-aws-credentials")?.with?.["role-to-assume"]).to.equal(
                "${{ vars.PROMOTER_ROLE_ARN_PROD }}",
            );
            expect(stepUsing(wf, "pulumi/actions")).to.not.equal(undefined);
            expect(stepUsing(wf, "actions/setup-node")?.with?.["node-version"]).to.equal(24);
        });
    });

    describe("release.yml", () => {
        const wf = load("release.yml");
        const plan = readWavePlan(defaultProject(), "prod");
        const jobs = Object.entries(wf.jobs) as [string, Job & { needs?: string; env?: Record<string, string> }][];

        it("runs one job per wave of waves.yaml's plan prod, in order, each needing the one before, each in the `production` environment", () => {
            expect(jobs.map(([name]) => name)).to.deep.equal(plan.waves.map((_, i) => `wave-${i + 1}`));
            jobs.forEach(([name, job], i) => {
                expect(job.environment, name).to.equal(PROMOTION_ENVIRONMENT);
                expect(job.needs, name).to.equal(i === 0 ? undefined : `wave-${i}`);
                expect(job.env, name).to.deep.equal({ PLAN: "prod", WAVE: String(i + 1) });
            });
            expect(Object.keys(wf.on).sort()).to.deep.equal(["repository_dispatch", "workflow_dispatch"]);
        });

        it("each job releases through its own wave, from the stacks' records, with --yes --json and the report kept", () => {
            const run = runs(wf).find((r) => r.includes("automation/cli.ts promote"))!;
            expect(run).to.contain(
                'node --import tsx automation/cli.ts promote --waves "$PLAN" --through-wave "$WAVE" --yes --json --report release-report.json --html "release-report-wave-$WAVE.html" &',
            );
            expect(run).to.contain('>> "$GITHUB_STEP_SUMMARY"');
            const upload = steps(wf).find(
                (st) => st.uses?.startsWith("actions/upload-artifact@") && st.with?.path === "release-report.json",
            )!;
            expect(upload.with?.name).to.equal("release-report-wave-${{ env.WAVE }}");
        });

        it("checks out the branch the regional stacks deploy from, and reaches each account as its stack file says", () => {
            for (const stack of plan.waves.flatMap((w) => w.stacks))
                expect(delivery.stacks[stack].branch, stack).to.equal("release-regions");
            expect(stepUsing(wf, "actions/checkout")?.with?.ref).to.equal("release-regions");
            const profile = (
                parseYaml(fs.readFileSync(path.join(ROOT, "Pulumi.prod-ap-southeast-1.yaml"), "utf8")) as { config: Record<string, string> }
            ).config["aws:profile"];
            expect(runs(wf).find((r) => r.includes("~/.aws/config"))).to.contain(`[profile ${profile}]`);
        });

        it("one release at a time: a second run queues, never cancels one mid-wave", () => {
            expect((wf as unknown as { concurrency: unknown }).concurrency).to.deep.equal({
                group: "release-prod-regions",
                "cancel-in-progress": false,
            });
        });
    });

    describe("rollback.yml", () => {
        const wf = load("rollback.yml");
        it("is started by hand with a choice of the delivery stacks", () => {
            expect(Object.keys(wf.on)).to.deep.equal(["workflow_dispatch"]);
            const input = wf.on.workflow_dispatch.inputs.stack;
            expect(input.type).to.equal("choice");
            expect([...input.options].sort()).to.deep.equal(Object.keys(delivery.stacks).sort());
        });

        it("rolls the chosen stack back with --yes --json", () => {
            const run = runs(wf).find((r) => r.includes("automation/cli.ts rollback"))!;
            expect(run).to.contain(
                'node --import tsx automation/cli.ts rollback --stack "$STACK" --yes --json --report rollback-report.json --html rollback-report.html &',
            );
            const step = steps(wf).find((s) => s.run === run)!;
            expect(step.env?.STACK).to.equal("${{ inputs.stack }}");
        });

        it("checks out each stack's own deployment branch", () => {
            const ref: string = stepUsing(wf, "actions/checkout")?.with?.ref;
            const pairs = Object.fromEntries([...ref.matchAll(/inputs\.stack == '([\w-]+)' && '([\w/.-]+)'/g)].map((m) => [m[1], m[2]]));
            const fallback = /\|\| '([\w/.-]+)' }}$/.exec(ref)?.[1];
            const stacks = Object.keys(delivery.stacks);
            const resolved = Object.fromEntries(stacks.map((s) => [s, pairs[s] ?? fallback]));
            expect(resolved).to.deep.equal(Object.fromEntries(stacks.map((s) => [s, delivery.stacks[s].branch])));
        });
    });
});

describe("CI security (.github/**)", () => {
    const files = fs.readdirSync(WORKFLOWS).filter((f) => /\.ya?ml$/.test(f));
    const text = (f: string) => fs.readFileSync(path.join(WORKFLOWS, f), "utf8");
    type Job = { steps: Step[]; permissions?: Record<string, string> | string; "timeout-minutes"?: number };
    const jobsOf = (f: string) => Object.entries((parseYaml(text(f)) as { jobs: Record<string, Job> }).jobs);
    const usesIn = (job: Job, action: string) => job.steps.some((s) => s.uses?.startsWith(`${action}@`));
    const OIDC_ACTIONS = ["pulumi/auth-actions", "aws-actions/configure-aws-credentials"];

    /** Every file under .github, recursively. */
    function githubFiles(dir = path.join(ROOT, ".github")): string[] {
        return fs
            .readdirSync(dir, { withFileTypes: true })
            .flatMap((e) => (e.isDirectory() ? githubFiles(path.join(dir, e.name)) : [path.join(dir, e.name)]));
    }

    it("pin every action by a full 40-hex commit SHA with its release in a comment (`uses: owner/repo@<sha> # vX.Y.Z`)", () => {
        const problems: string[] = [];
        const pins: Record<string, Set<string>> = {};
        for (const f of files) {
            // Each `uses:` the YAML holds must be on a line of this exact form (a comment is not part of the parsed YAML).
            // Jobs that share their steps through a YAML anchor (release.yml's waves) hold the same step objects once parsed.
            const unique = [...new Set(jobsOf(f).flatMap(([, j]) => j.steps))];
            const parsed = unique.flatMap((st) => (st.uses === undefined ? [] : [st.uses]));
            const lines = text(f)
                .split("\n")
                .filter((l) => /^\s*(-\s+)?uses\s*:/.test(l));
            expect(lines.length, `${f}: every uses: on a line of its own`).to.equal(parsed.length);
            for (const line of lines) {
                const m = /^\s*(?:-\s+)?uses:\s*([A-Za-z0-9_.-]+\/[A-Za-z0-9_./-]+)@([0-9a-f]{40})\s+#\s*(v\d+\.\d+\.\d+)\s*$/.exec(line);
                if (!m) {
                    problems.push(`${f}: ${line.trim()}`);
                    continue;
                }
                (pins[m[1]] ??= new Set()).add(`${m[2]} # ${m[3]}`);
            }
        }
        expect(problems, "not pinned by a commit SHA with a `# vX.Y.Z` comment").to.deep.equal([]);
        // One release per action across the workflows.
        expect(
            Object.entries(pins)
                .filter(([, p]) => p.size > 1)
                .map(([a, p]) => `${a}: ${[...p].join(", ")}`),
        ).to.deep.equal([]);
        expect(Object.keys(pins).sort()).to.include.members(
            ["actions/checkout", "actions/setup-node", "actions/upload-artifact", ...OIDC_ACTIONS, "pulumi/actions"].sort(),
        );
    });

    it("hold no long-lived secret: no PULUMI_ACCESS_TOKEN and no `secrets.` anywhere under .github", () => {
        for (const file of githubFiles()) {
            const content = fs.readFileSync(file, "utf8");
            expect(content, path.relative(ROOT, file)).to.not.contain("PULUMI_ACCESS_TOKEN");
            expect(content, path.relative(ROOT, file)).to.not.match(/\bsecrets\./);
        }
    });

    it("reach Pulumi Cloud by OIDC: an organization token from pulumi/auth-actions, for the delivery config's organisation", () => {
        for (const f of ["promote.yml", "rollback.yml"]) {
            const wf = load(f);
            const auth = stepUsing(wf, "pulumi/auth-actions");
            expect(auth?.with?.organization, f).to.equal(delivery.organization);
            expect(auth?.with?.["requested-token-type"], f).to.equal("urn:pulumi:token-type:access_token:organization");
            // The token outlives the job (pulumi/auth-actions asks for this; Pulumi Cloud may grant less).
            const job = Object.values(wf.jobs)[0] as Job;
            expect(Number(auth?.with?.["token-expiration"]), f).to.be.at.least(job["timeout-minutes"]! * 60);
            // The token is there before the tool runs.
            const all = steps(wf);
            expect(all.indexOf(auth!), f).to.be.lessThan(all.findIndex((s) => s.run?.includes("automation/cli.ts")));
            expect(stepUsing(wf, "aws-actions/configure-aws-credentials")?.with?.["role-to-assume"], f).to.match(
                f === "rollback.yml" ? /^\$\{\{.*vars\.ROLLBACK_ROLE_ARN_/ : /^\$\{\{.*vars\.PROMOTER_ROLE_ARN_/,
            );
            // No install script runs in a job with credentials, but the one tsx needs (esbuild's), rebuilt by name.
            const installs = runs(wf).filter((r) => /^npm (ci|install|rebuild)/.test(r));
            expect(installs, f).to.deep.equal(["npm ci --ignore-scripts", "npm rebuild esbuild"]);
        }
    });

    it("grant least privilege: `permissions` on every workflow and job, id-token: write only on the jobs that use OIDC, no other write", () => {
        for (const f of files) {
            const wf = parseYaml(text(f)) as { permissions?: unknown };
            expect(wf.permissions, `${f}: workflow-level permissions`).to.not.equal(undefined);
            expect(JSON.stringify(wf.permissions), `${f}: workflow-level permissions`).to.not.contain("write");
            for (const [name, job] of jobsOf(f)) {
                const oidc = OIDC_ACTIONS.some((a) => usesIn(job, a));
                expect(job.permissions, `${f} ${name}`).to.deep.equal(
                    oidc ? { "id-token": "write", contents: "read" } : { contents: "read" },
                );
            }
        }
    });

    it("check out without persisting the token (no job pushes), and set timeout-minutes on every job", () => {
        for (const f of files) {
            for (const [name, job] of jobsOf(f)) {
                expect(job["timeout-minutes"], `${f} ${name}`).to.be.a("number");
                for (const st of job.steps.filter((x) => x.uses?.startsWith("actions/checkout@")))
                    expect(st.with?.["persist-credentials"], `${f} ${name}`).to.equal(false);
            }
        }
    });

    it("promote: one rollout of prod at a time (a second run queues, never cancels one mid-way), and its report is kept even when cancelled", () => {
        const wf = parseYaml(text("promote.yml")) as { concurrency?: { group?: string; "cancel-in-progress"?: boolean } };
        expect(wf.concurrency).to.deep.equal({ group: "rollout-prod", "cancel-in-progress": false });
        const all = steps(load("promote.yml"));
        const upload = all.find((st) => st.uses?.startsWith("actions/upload-artifact@"))!;
        expect(upload.if).to.equal("always()");
        expect(upload.with?.path).to.equal("rollout-report.json");
        expect(all.indexOf(upload)).to.be.greaterThan(all.findIndex((st) => st.run?.includes("automation/cli.ts promote")));
        // The AWS session lasts as long as the job may run.
        const job = Object.values(load("promote.yml").jobs)[0] as Job;
        expect(
            Number(stepUsing(load("promote.yml"), "aws-actions/configure-aws-credentials")?.with?.["role-duration-seconds"]),
        ).to.be.at.least(job["timeout-minutes"]! * 60);
    });

    it("promote and rollback upload the HTML report as the file itself, even when cancelled, and link it from the summary", () => {
        for (const [f, page] of [
            ["promote.yml", "rollout-report.html"],
            ["release.yml", "release-report-wave-${{ env.WAVE }}.html"],
            ["rollback.yml", "rollback-report.html"],
        ]) {
            const all = steps(load(f));
            const html = all.find((st) => st.uses?.startsWith("actions/upload-artifact@") && st.with?.path === page)!;
            expect(html, f).to.not.equal(undefined);
            expect(html.if, f).to.equal("always()");
            expect(html.with?.archive, f).to.equal(false);
            const link = all[all.indexOf(html) + 1];
            expect(link.if, f).to.equal("always() && steps.html.outputs.artifact-url != ''");
            expect(link.env?.HTML_URL, f).to.equal("${{ steps.html.outputs.artifact-url }}");
            // The URL reaches the shell as a variable, never pasted into the script.
            expect(link.run, f).to.match(/\]\(\$HTML_URL\)" >> "\$GITHUB_STEP_SUMMARY"\n$/);
        }
    });

    it("privileged jobs (prod credentials) use no dependency cache", () => {
        for (const f of ["promote.yml", "release.yml", "rollback.yml"]) {
            const setup = stepUsing(load(f), "actions/setup-node");
            expect(setup?.with?.cache, f).to.equal(undefined);
            expect(setup?.with?.["package-manager-cache"], f).to.equal(false);
        }
    });
});

describe("the rollout report in the job summary (.github/scripts/reportSummary.ts)", () => {
    const report = {
        outcome: "rolled-back",
        stack: "prod",
        strategy: "canary",
        functions: { api: { stable: "7", candidate: "8", finalRouting: { "7": 1 } } },
        steps: [
            { weight: 0.1, verdict: "passed", reason: "candidate 0.2% errors of 1200 calls <= 1%" },
            { weight: 0.5, verdict: "failed", reason: "candidate 5.1% errors | stable 0.2%" },
        ],
    };

    /** The summary as GitHub renders it (GFM: tables, autolinks, HTML): the rows of each table, as cell texts. */
    const rendered = (md: string) => micromark(md, { extensions: [gfm()], htmlExtensions: [gfmHtml()] });
    const rows = (html: string) =>
        [...html.matchAll(/<tr>([\s\S]*?)<\/tr>/g)].map((row) =>
            [...row[1].matchAll(/<t[dh]>([\s\S]*?)<\/t[dh]>/g)].map((c) =>
                c[1]
                    .replace(/&lt;/g, "<")
                    .replace(/&gt;/g, ">")
                    .replace(/&quot;/g, '"')
                    .replace(/&amp;/g, "&"),
            ),
        );

    it("is a table of the steps: weight, verdict, reason", () => {
        const md = renderSummary(report, 1);
        expect(md).to.contain("## Rollout of `prod`: rolled\\-back");
        expect(md).to.contain("exit code 1: rolled back by a gate, or a rollback already recorded for this candidate (the system is safe)");
        expect(rows(rendered(md))).to.deep.equal([
            ["function", "stable", "candidate", "final routing"],
            ["api", "7", "8", "v7 100%"],
            ["step", "weight", "verdict", "reason"],
            ["1", "10%", "passed", "candidate 0.2% errors of 1200 calls <= 1%"],
            ["2", "50%", "failed", "candidate 5.1% errors | stable 0.2%"],
        ]);
    });

    it("a reason cannot make a link, an image, HTML, a table row or a cell, nor carry control characters", () => {
        const reason =
            "afterStep hook x failed: exit 1 [login](https://evil.example) ![i](https://evil.example/i.png) <img src=x onerror=alert(1)> " +
            "https://evil.example www.evil.example a@evil.example | extra cell |\n| 9 | 100% | passed | forged row |\x1b[31m red \x07";
        const md = renderSummary({ ...report, stack: "prod`<b>", steps: [{ weight: 0.5, verdict: "failed", reason }] }, 1);
        const html = rendered(md);
        expect(html).not.to.match(/<a |<img|<b>|<script/);
        // eslint-disable-next-line no-control-regex
        expect(md).not.to.match(/[\x00-\x09\x0b-\x1f\x7f]/);
        const table = rows(html);
        expect(table).to.have.length(4);
        expect(table[3]).to.deep.equal([
            "1",
            "50%",
            "failed",
            "afterStep hook x failed: exit 1 [login](https://evil.example) ![i](https://evil.example/i.png) <img src=x onerror=alert(1)> " +
                "https://evil.example www.evil.example a@evil.example | extra cell | | 9 | 100% | passed | forged row | red",
        ]);
        // Without the escaping the same reason makes links, an image, HTML and a forged row: the check above can fail.
        const raw = `| a |\n| --- |\n| ${reason.replace(/\n/g, " ")} |\n`;
        expect(rendered(raw)).to.match(/<a href/);
    });

    it("draws the weight and the error rates as Mermaid charts when the report has the per-minute series", () => {
        const series = {
            limits: { maxErrorRatePercent: 1, maxErrorRateIncreasePercent: 0.5, maxP99Ms: 6000, sameMinuteLogRatio: 5.99 },
            polls: { minute: [3.1, 4.1], weight: [0.1, 0.1], verdict: ["baking", "failed"] },
            functions: {
                api: {
                    minutes: {
                        minute: [0, 1],
                        candidateInvocations: [20, 30],
                        candidateErrors: [1, 2],
                        candidateP99Ms: [300, 310],
                        stableInvocations: [180, 170],
                        stableErrors: [0, 1],
                        throttles: [0, 0],
                    },
                    lowerBoundPercent: [0, 0.2],
                    sameMinuteLogRatio: [1, 6.1],
                },
            },
        };
        const md = renderSummary(
            {
                ...report,
                steps: [{ ...report.steps[0], startedAtMinute: 0, endedAtMinute: 4.1 }],
                series,
                decisionAtMinute: 4.1,
                stableAtMinute: 4.3,
                durationMinutes: 4.8,
            } as never,
            1,
        );
        const charts = [...md.matchAll(/```mermaid\n([\s\S]*?)```/g)].map((m) => m[1]);
        expect(charts).to.have.length(2);
        expect(charts[0]).to.contain('x-axis "minutes since the rollout began" [0, 1, 2, 3, 4, 5]');
        // 10% until traffic was back on stable at minute 4.3.
        expect(charts[0]).to.contain("line [10, 10, 10, 10, 10, 0]");
        // Since the rollout began: the candidate 1/20 then 3/50, stable 0/180 then 1/350, the limit 1%.
        expect(charts[1]).to.contain("line [5, 6]\n    line [0, 0.29]\n    line [1, 1]");
    });

    it("says so when no report was written", () => {
        expect(renderSummary(undefined, 4)).to.contain("No report was written. Exit code 4: another update holds the stack.");
    });
});

/** A stand-in for automation/cli.ts: writes FAKE_REPORT to --report and exits FAKE_EXIT; with FAKE_WAIT it waits for
 * SIGINT/SIGTERM instead (noting it in `signals`), writes an `aborted` report and exits 130/143, as promote does. */
const STAND_IN_CLI = `
import * as fs from "fs";
const args = process.argv.slice(2);
const report = args.includes("--report") ? args[args.indexOf("--report") + 1] : undefined;
fs.appendFileSync("cli-calls.log", args.join(" ") + "\\n");
if (process.env.FAKE_WAIT) {
    const onSignal = (signal: NodeJS.Signals) => {
        fs.appendFileSync("signals", signal + "\\n");
        setTimeout(() => {
            if (report) fs.writeFileSync(report, JSON.stringify({ outcome: "aborted", stack: "prod", steps: [{ weight: 0.1, verdict: "aborted", reason: signal }] }));
            process.exit(signal === "SIGTERM" ? 143 : 130);
        }, 300);
    };
    process.on("SIGINT", onSignal);
    process.on("SIGTERM", onSignal);
    fs.writeFileSync("started", String(process.pid));
    setInterval(() => undefined, 1000);
} else {
    if (report && process.env.FAKE_REPORT) fs.writeFileSync(report, process.env.FAKE_REPORT);
    process.exit(Number(process.env.FAKE_EXIT));
}
`;

describe("the promote and rollback steps, run with a stand-in rollout tool", function () {
    this.timeout(60000);
    const promoteScript = runs(load("promote.yml")).find((r) => r.includes("automation/cli.ts promote"))!;
    const rollbackScript = runs(load("rollback.yml")).find((r) => r.includes("automation/cli.ts rollback"))!;
    let dir: string;

    before(() => {
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "promote-step-"));
        fs.symlinkSync(path.join(ROOT, ".github"), path.join(dir, ".github"));
        fs.symlinkSync(path.join(ROOT, "node_modules"), path.join(dir, "node_modules"));
        fs.mkdirSync(path.join(dir, "automation"));
        fs.writeFileSync(path.join(dir, "automation", "cli.ts"), STAND_IN_CLI);
    });
    after(() => fs.rmSync(dir, { recursive: true, force: true }));

    const env = (summary: string, extra: Record<string, string>) => ({
        ...process.env,
        GITHUB_STEP_SUMMARY: summary,
        STACK: "prod",
        ...extra,
    });

    const cases: [number, string][] = [
        [0, "promoted"],
        [1, "rolled-back"],
        [3, "failed"],
        [4, "failed"],
    ];
    for (const [code, outcome] of cases) {
        it(`promote exit ${code} (${outcome}): the job ${code === 0 ? "passes" : "fails"} with promote's code and the summary holds the steps`, () => {
            const summary = path.join(dir, `summary-${code}.md`);
            const result = spawnSync("bash", ["-e", "-c", promoteScript], {
                cwd: dir,
                encoding: "utf8",
                env: env(summary, {
                    FAKE_EXIT: String(code),
                    FAKE_REPORT: JSON.stringify({
                        outcome,
                        stack: "prod",
                        strategy: "canary",
                        steps: [{ weight: 0.1, verdict: code === 1 ? "failed" : "passed", reason: "r" }],
                    }),
                }),
            });
            expect(result.status, result.stderr).to.equal(code);
            const md = fs.readFileSync(summary, "utf8");
            expect(md).to.contain(`## Rollout of \`prod\`: ${outcome.replace(/-/g, "\\-")}`);
            expect(md).to.contain(`| 1 | 10% | ${code === 1 ? "failed" : "passed"} | r |`);
            // The log's line is the tool's own meaning of the code (automation/exitCodes.ts), an error unless 0.
            const line = `exit code ${code}: ${EXIT_CODE_MEANINGS[code]}`;
            expect(result.stdout).to.contain(code === 0 ? line : `::error::${line}`);
        });
    }

    it("rollback: the job ends with the tool's exit code and the summary holds its report", () => {
        const summary = path.join(dir, "summary-rollback.md");
        const result = spawnSync("bash", ["-e", "-c", rollbackScript], {
            cwd: dir,
            encoding: "utf8",
            env: env(summary, { FAKE_EXIT: "3", FAKE_REPORT: JSON.stringify({ outcome: "failed", stack: "prod", steps: [] }) }),
        });
        expect(result.status, result.stderr).to.equal(3);
        expect(fs.readFileSync(summary, "utf8")).to.contain("## Rollout of `prod`: failed");
    });

    // A cancelled run (or timeout-minutes) makes the runner send SIGINT, then SIGTERM 7.5 s later, to the step's
    // shell only, not to its children: the shell must pass each signal on to the tool and wait for it.
    for (const [name, script] of [
        ["promote", promoteScript],
        ["rollback", rollbackScript],
    ] as const) {
        for (const [signal, code] of [
            ["SIGINT", 130],
            ["SIGTERM", 143],
        ] as const) {
            it(`${name}: a cancel's ${signal} to the step's shell reaches the tool, which aborts; the step ends with ${code} and the summary`, async () => {
                for (const f of ["started", "signals", "rollout-report.json", "rollback-report.json"])
                    fs.rmSync(path.join(dir, f), { force: true });
                const summary = path.join(dir, `summary-${name}-${signal}.md`);
                const shell = spawn("bash", ["-e", "-c", script], {
                    cwd: dir,
                    env: env(summary, { FAKE_WAIT: "1" }),
                    stdio: ["ignore", "pipe", "pipe"],
                });
                let output = "";
                shell.stdout.on("data", (d) => (output += d));
                shell.stderr.on("data", (d) => (output += d));
                const exited = new Promise<number | null>((resolve) => shell.on("exit", (c) => resolve(c)));
                const deadline = Date.now() + 30000;
                while (!fs.existsSync(path.join(dir, "started")) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
                expect(fs.existsSync(path.join(dir, "started")), output).to.equal(true);
                shell.kill(signal);
                const status = await Promise.race([
                    exited,
                    new Promise<string>((r) => setTimeout(() => r("still running 15 s after the signal"), 15000)),
                ]);
                if (typeof status === "string") shell.kill("SIGKILL");
                expect(status, output).to.equal(code);
                expect(fs.readFileSync(path.join(dir, "signals"), "utf8")).to.equal(`${signal}\n`);
                expect(fs.readFileSync(summary, "utf8")).to.contain("## Rollout of `prod`: aborted");
                expect(output).to.contain(`::error::exit code ${code}: interrupted by ${signal}`);
            });
        }
    }
});
