import { expect } from "chai";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { PROJECT_ROOT } from "../../../automation/engine/evaluate";
import { runCli, type CliRun } from "../../helpers/cli";

const BAD_CONFIG = "tests/fixtures/bad-input.yaml";

/** What each command prints for tests/fixtures/bad-input.yaml: one line per bad key. */
const BAD_CONFIG_PROBLEMS = [
    "error: invalid stack config in tests/fixtures/bad-input.yaml:",
    "  - `lambda-rolout:alarms`: `lambda-rolout:` is not this project's namespace, so nothing reads this key: did you mean `lambda-rollout:alarms`? (this project's keys are `lambda-rollout:<key>`; other namespaces, such as `aws:`, belong to their providers)",
    "  - `lambda-rollout:rollout.canary.steps[1].weight` (got 120): must be at most 100 (percent of traffic to the candidate)",
    `  - \`lambda-rollout:functions[0].codeDir\` (got "app/nope"): no such directory (${path.join(PROJECT_ROOT, "app", "nope")}): must be the directory of the function's code, relative to the project root (${PROJECT_ROOT})`,
];

const STACK_RULE =
    "a stack name may contain only letters, digits, '-', '_' and '.' (at most 100 characters), e.g. prod; or be fully qualified as <org>/lambda-rollout/<stack> (or <org>/<stack>)";

/** Every verb, with what it needs besides --stack; promote, rollback and status run with the stand-in pulumi. */
const VERBS: [verb: string, extra: string[], usesPulumi: boolean][] = [
    ["plan", [], false],
    ["promote", ["--yes"], true],
    ["rollback", ["--yes"], true],
    ["status", [], true],
    ["rehearse", ["--scenario", "scenarios/healthy.json"], false],
    ["rehearse-all", [], false],
    ["retry", ["--yes"], true],
    ["approve", [], true],
    ["pause", [], true],
    ["resume", [], true],
    ["abort", ["--yes"], true],
    ["prune", ["--yes"], true],
];

/** A fresh path for the stand-in pulumi's log of calls. */
function pulumiLog(name: string): string {
    return path.join(fs.mkdtempSync(path.join(os.tmpdir(), "lambda-rollout-bad-input-")), `${name}.jsonl`);
}

/** The stand-in pulumi's recorded calls (none when it was never run). */
function pulumiCalls(log: string): string[] {
    return fs.existsSync(log) ? fs.readFileSync(log, "utf8").trim().split("\n").filter(Boolean) : [];
}

/** Usage error: exit 2, the message, no stack trace, and not an infrastructure failure in disguise. */
function expectUsageError(r: CliRun, label: string): void {
    expect(r.code, `${label}: exit code; stderr:\n${r.stderr}`).to.equal(2);
    expect(r.stderr, label).not.to.match(/\n\s+at /);
    expect(r.stderr, label).not.to.contain("pulumi up failed");
    expect(r.stderr, label).not.to.contain("Require stack");
}

describe("bad input on the command line: exit 2, the key named, nothing touched", function () {
    this.timeout(180_000);

    it("every command refuses the same bad config, naming each bad key, before anything would call the Pulumi CLI", async () => {
        const runs = await Promise.all(
            VERBS.map(async ([verb, extra, usesPulumi]) => {
                const log = pulumiLog(verb);
                const r = await runCli(
                    [verb, "--stack", "prod", "--config-file", BAD_CONFIG, ...extra],
                    usesPulumi ? { fakePulumiLog: log } : {},
                );
                return { verb, r, calls: pulumiCalls(log) };
            }),
        );
        for (const { verb, r, calls } of runs) {
            expectUsageError(r, verb);
            expect(r.stderr.split("\n"), verb).to.include.members(BAD_CONFIG_PROBLEMS);
            expect(calls, `${verb} called pulumi`).to.deep.equal([]);
        }
    });

    it("the stand-in pulumi is on PATH for these runs: status with a good config does call it", async () => {
        const log = pulumiLog("status-good");
        const r = await runCli(["status", "--stack", "prod"], { fakePulumiLog: log });
        // The stand-in stack has no outputs, so status stops there; what matters is that it asked pulumi.
        expect(r.stderr).to.contain("stack prod has no outputs yet");
        expect(pulumiCalls(log).length).to.be.greaterThan(0);
    });

    it("a stack name that is a path is refused by every command before any file is read (the scenario's included)", async () => {
        const extras: Record<string, string[]> = {
            rehearse: ["--scenario", "scenarios/no-such.json"],
            "rehearse-all": ["--dir", "no-such-folder"],
        };
        const runs = await Promise.all(
            VERBS.map(async ([verb, extra, usesPulumi]) => {
                const log = pulumiLog(verb);
                const r = await runCli(
                    [verb, "--stack", "../../etc", ...(extras[verb] ?? extra)],
                    usesPulumi ? { fakePulumiLog: log } : {},
                );
                return { verb, r, calls: pulumiCalls(log) };
            }),
        );
        for (const { verb, r, calls } of runs) {
            expectUsageError(r, verb);
            expect(r.stderr, verb).to.equal(`error: \`--stack\` (got "../../etc"): ${STACK_RULE}\n`);
            expect(calls, `${verb} called pulumi`).to.deep.equal([]);
        }
    });

    it("the operator verbs' own flags: --full needs --reason, --by must be a name the alias can record; nothing is called", async () => {
        const cases: [args: string[], message: string][] = [
            [
                ["promote", "--stack", "prod", "--full"],
                'error: `--reason`: is required with --full (why the remaining bakes are skipped goes into the report), e.g. --reason "hotfix for INC-123"\n',
            ],
            [
                ["approve", "--stack", "prod", "--by", "alice smith"],
                'error: `--by` (got "alice smith"): must be 1-40 letters, digits or . _ @ + -, e.g. --by alice\n',
            ],
            [
                ["promote", "--stack", "prod", "--full", "--reason", "x", "--dry-run"],
                "error: `--full`: acts on the rollout under way; it takes no --dry-run, --retry or --strategy\n",
            ],
        ];
        const runs = await Promise.all(
            cases.map(async ([args, message]) => {
                const log = pulumiLog(args[0]);
                return { args, message, r: await runCli(args, { fakePulumiLog: log }), calls: pulumiCalls(log) };
            }),
        );
        for (const { args, message, r, calls } of runs) {
            expectUsageError(r, args.join(" "));
            expect(r.stderr, args.join(" ")).to.equal(message);
            expect(calls).to.deep.equal([]);
        }
    });

    // A bad value is in the table above; these are the files that cannot be read at all.
    it("rehearse: an unknown stack, a missing --config-file and YAML that does not parse are usage errors, not 'pulumi up failed'", async () => {
        const cases: [label: string, args: string[], message: string | RegExp][] = [
            ["an unknown stack", ["--stack", "qa"], 'error: no stack "qa" in project lambda-rollout'],
            [
                "a missing --config-file",
                ["--stack", "prod", "--config-file", "tests/fixtures/no-such.yaml"],
                `error: cannot read config file ${path.join(PROJECT_ROOT, "tests", "fixtures", "no-such.yaml")}: ENOENT`,
            ],
            [
                "YAML that does not parse",
                ["--stack", "prod", "--config-file", "tests/fixtures/not-yaml.yaml"],
                /^error: config file .*not-yaml\.yaml is not valid YAML: Block collections are not allowed within flow collections at line 3/m,
            ],
        ];
        const runs = await Promise.all(
            cases.map(async ([label, args, message]) => ({
                label,
                message,
                r: await runCli(["rehearse", "--scenario", "scenarios/healthy.json", ...args]),
            })),
        );
        for (const { label, message, r } of runs) {
            expectUsageError(r, label);
            if (typeof message === "string") expect(r.stderr, label).to.contain(message);
            else expect(r.stderr, label).to.match(message);
        }
    });
});

describe("--report on the command line", function () {
    this.timeout(180_000);

    it("creates a folder that does not exist; a report that cannot be written is refused before anything runs (exit 2, naming --report)", async () => {
        const root = fs.mkdtempSync(path.join(os.tmpdir(), "lambda-rollout-report-"));
        const nested = path.join(root, "new", "folder", "report.json");
        const aFolder = path.join(root, "a-folder");
        fs.mkdirSync(aFolder);
        const rehearse = (report: string) =>
            runCli(["rehearse", "--stack", "prod", "--scenario", "scenarios/bad-canary.json", "--json", "--report", report]);
        const [written, refused] = await Promise.all([rehearse(nested), rehearse(aFolder)]);

        expect(written.code, written.stderr).to.equal(1);
        expect(JSON.parse(fs.readFileSync(nested, "utf8"))).to.deep.equal(JSON.parse(written.stdout.trim().split("\n").at(-1)!));

        // Checked first (automation/reportWriter.ts checkReportPath): a rollout whose report would be lost never starts.
        expect(refused.code, refused.stderr).to.equal(2);
        expect(refused.stderr).to.equal(
            `error: \`--report\` (got ${JSON.stringify(aFolder)}): EISDIR: the path is a directory; name a file in a folder you can write\n`,
        );
        expect(refused.stdout).to.equal("");
        expect(fs.readdirSync(root).sort()).to.deep.equal(["a-folder", "new"]);
        fs.rmSync(root, { recursive: true, force: true });
    });
});
