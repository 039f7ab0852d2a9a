import { expect } from "chai";
import { execFileSync, spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { parse as parseYaml, parseDocument } from "yaml";
import { renderSummary } from "../.github/scripts/reportSummary";
import { PROMOTION_ENVIRONMENT, deliveryKeys, parseDeliveryConfig } from "../deployments/delivery";

const ROOT = path.resolve(__dirname, "..");
const WORKFLOWS = path.join(ROOT, ".github", "workflows");
const packageJson = JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8"));
const scripts: Record<string, string> = packageJson.scripts;
const delivery = parseDeliveryConfig(
    deliveryKeys((parseYaml(fs.readFileSync(path.join(ROOT, "deployments", "Pulumi.delivery.yaml"), "utf8")) as { config: Record<string, unknown> }).config),
    "deployments/Pulumi.delivery.yaml",
);

type Step = { uses?: string; run?: string; with?: Record<string, any>; env?: Record<string, string>; name?: string; if?: string };
type Job = { environment?: string; steps: Step[]; permissions?: Record<string, string>; "runs-on": string; strategy?: { matrix?: Record<string, unknown[]>; "fail-fast"?: boolean } };
type Workflow = { on: Record<string, any>; jobs: Record<string, Job>; permissions?: Record<string, string> };

function load(name: string): Workflow {
    return parseYaml(fs.readFileSync(path.join(WORKFLOWS, name), "utf8")) as Workflow;
}
const steps = (wf: Workflow) => Object.values(wf.jobs).flatMap((j) => j.steps);
const runs = (wf: Workflow) => steps(wf).flatMap((s) => (s.run ? [s.run] : []));
const stepUsing = (wf: Workflow, action: string) => steps(wf).find((s) => s.uses?.startsWith(`${action}@`));

describe("GitHub workflows (.github/workflows)", () => {
    const files = fs.readdirSync(WORKFLOWS).filter((f) => /\.ya?ml$/.test(f));

    it("are test.yml, promote.yml and rollback.yml, each valid YAML", () => {
        expect(files.sort()).to.deep.equal(["promote.yml", "rollback.yml", "test.yml"]);
        for (const f of files) {
            const doc = parseDocument(fs.readFileSync(path.join(WORKFLOWS, f), "utf8"));
            expect(doc.errors.map((e) => e.message), f).to.deep.equal([]);
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
        expect(used).to.include.members(["test", "promote", "rollback"]);
        expect(used.filter((s) => !(s in scripts))).to.deep.equal([]);
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
        expect(setUp).to.deep.equal({ "promote.yml": [24], "rollback.yml": [24], "test.yml": [24, 22, 26] });
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
            expect(runs(wf)).to.deep.equal(["npm ci", "npm test"]);
        });
    });

    describe("promote.yml", () => {
        const wf = load("promote.yml");
        const job = Object.values(wf.jobs)[0];
        const promoteRun = runs(wf).find((r) => r.includes("npm run promote"))!;

        it("runs in the protected `production` environment, by hand or on a repository_dispatch", () => {
            expect(Object.keys(wf.jobs)).to.have.length(1);
            expect(job.environment).to.equal(PROMOTION_ENVIRONMENT);
            expect(Object.keys(wf.on).sort()).to.deep.equal(["repository_dispatch", "workflow_dispatch"]);
            expect(wf.on.repository_dispatch.types).to.deep.equal(["prod-candidate-published"]);
        });

        it("promotes prod with --yes --json and writes the report", () => {
            expect(promoteRun).to.contain("npm run promote -- --stack prod --yes --json --report rollout-report.json");
            expect(promoteRun).to.contain('>> "$GITHUB_STEP_SUMMARY"');
        });

        it("checks out the branch prod deploys from, so its `pulumi up`s publish no other code", () => {
            expect(stepUsing(wf, "actions/checkout")?.with?.ref).to.equal(delivery.stacks.prod.branch);
        });

        it("gets AWS credentials through OIDC and installs the Pulumi CLI", () => {
            expect(wf.permissions?.["id-token"]).to.equal("write");
            expect(stepUsing(wf, "aws-actions/configure-aws-credentials")?.with?.["role-to-assume"]).to.equal("${{ vars.PROMOTER_ROLE_ARN_PROD }}");
            expect(stepUsing(wf, "pulumi/actions")).to.not.equal(undefined);
            expect(stepUsing(wf, "actions/setup-node")?.with?.["node-version"]).to.equal(24);
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
            const run = runs(wf).find((r) => r.includes("npm run rollback"))!;
            expect(run).to.contain('npm run rollback -- --stack "$STACK" --yes --json');
            const step = steps(wf).find((s) => s.run === run)!;
            expect(step.env?.STACK).to.equal("${{ inputs.stack }}");
        });

        it("checks out each stack's own deployment branch", () => {
            const ref: string = stepUsing(wf, "actions/checkout")?.with?.ref;
            const pairs = Object.fromEntries([...ref.matchAll(/inputs\.stack == '(\w+)' && '([\w/.-]+)'/g)].map((m) => [m[1], m[2]]));
            const fallback = /\|\| '([\w/.-]+)' }}$/.exec(ref)?.[1];
            const stacks = Object.keys(delivery.stacks);
            const resolved = Object.fromEntries(stacks.map((s) => [s, pairs[s] ?? fallback]));
            expect(resolved).to.deep.equal(Object.fromEntries(stacks.map((s) => [s, delivery.stacks[s].branch])));
        });
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

    it("is a table of the steps: weight, verdict, reason", () => {
        const md = renderSummary(report, 1);
        expect(md).to.contain("## Rollout of `prod`: rolled-back");
        expect(md).to.contain("exit code 1: rolled back by a gate (the system is safe)");
        expect(md).to.contain("| step | weight | verdict | reason |");
        expect(md).to.contain("| 1 | 10% | passed | candidate 0.2% errors of 1200 calls <= 1% |");
        expect(md).to.contain("| 2 | 50% | failed | candidate 5.1% errors \\| stable 0.2% |");
        expect(md).to.contain("| api | 7 | 8 | v7 100% |");
    });

    it("says so when no report was written", () => {
        expect(renderSummary(undefined, 4)).to.contain("No report was written. Exit code 4: another update holds the stack.");
    });
});

describe("promote.yml's promote step, run with a stand-in npm", function () {
    this.timeout(60000);
    const wf = load("promote.yml");
    const script = runs(wf).find((r) => r.includes("npm run promote"))!;
    let dir: string;

    before(() => {
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "promote-step-"));
        fs.symlinkSync(path.join(ROOT, ".github"), path.join(dir, ".github"));
        fs.symlinkSync(path.join(ROOT, "node_modules"), path.join(dir, "node_modules"));
        fs.mkdirSync(path.join(dir, "bin"));
        // Writes a report to the --report file and exits with FAKE_EXIT, as promote would.
        fs.writeFileSync(
            path.join(dir, "bin", "npm"),
            [
                "#!/usr/bin/env bash",
                'echo "npm $*" >> npm-calls.log',
                'while [ $# -gt 0 ]; do if [ "$1" = "--report" ]; then report="$2"; fi; shift; done',
                'if [ -n "$report" ] && [ -n "$FAKE_REPORT" ]; then printf "%s" "$FAKE_REPORT" > "$report"; fi',
                'exit "$FAKE_EXIT"',
            ].join("\n"),
            { mode: 0o755 },
        );
        execFileSync("bash", ["-c", "command -v npx"], { stdio: "ignore" });
    });
    after(() => fs.rmSync(dir, { recursive: true, force: true }));

    const cases: [number, string][] = [
        [0, "promoted"],
        [1, "rolled-back"],
        [3, "failed"],
        [4, "failed"],
    ];
    for (const [code, outcome] of cases) {
        it(`exit ${code} (${outcome}): the job ${code === 0 ? "passes" : "fails"} with promote's code and the summary holds the steps`, () => {
            const summary = path.join(dir, `summary-${code}.md`);
            const result = spawnSync("bash", ["-e", "-c", script], {
                cwd: dir,
                encoding: "utf8",
                env: {
                    ...process.env,
                    PATH: `${path.join(dir, "bin")}:${process.env.PATH}`,
                    GITHUB_STEP_SUMMARY: summary,
                    FAKE_EXIT: String(code),
                    FAKE_REPORT: JSON.stringify({ outcome, stack: "prod", strategy: "canary", steps: [{ weight: 0.1, verdict: code === 1 ? "failed" : "passed", reason: "r" }] }),
                },
            });
            expect(result.status, result.stderr).to.equal(code);
            const md = fs.readFileSync(summary, "utf8");
            expect(md).to.contain(`## Rollout of \`prod\`: ${outcome}`);
            expect(md).to.contain(`| 1 | 10% | ${code === 1 ? "failed" : "passed"} | r |`);
            if (code !== 0) expect(result.stdout).to.contain("::error::");
        });
    }
});
