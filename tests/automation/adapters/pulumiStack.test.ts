/**
 * The Automation API stack driver against a stand-in `pulumi` (tests/fixtures/fake-pulumi/pulumi) that records
 * what the SDK runs: the routing of one `up` travels in a temporary config file and no committed file changes.
 */
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { expect } from "chai";
import { parse as parseYaml } from "yaml";
import { AutomationStackDriver, configWithRouting } from "../../../automation/adapters/pulumiStack";
import { readConfigFile } from "../../../automation/engine/evaluate";
import { InfrastructureError, StackLockedError, UsageError } from "../../../automation/errors";
import type { RolloutOutputs } from "../../../components/rolloutOutputs";
import type { RoutingOverride } from "../../../config/stackConfig";

const projectRoot = path.resolve(__dirname, "..", "..", "..");
const fakeDir = path.join(projectRoot, "tests", "fixtures", "fake-pulumi");
const prodConfig = path.join(projectRoot, "Pulumi.prod.yaml");

/** One invocation of the stand-in, as it recorded it. */
interface Invocation {
    argv: string[];
    cwd: string;
    configFile?: { path: string; content: string | null };
}

const outputs: RolloutOutputs = {
    version: 1,
    strategy: "canary",
    rolloutPolicy: { strategy: "canary" },
    region: "us-east-1",
    functions: {
        api: {
            functionName: "lambda-rollout-prod-api",
            functionArn: "arn:aws:lambda:us-east-1:123456789012:function:lambda-rollout-prod-api",
            aliasName: "live",
            aliasArn: "arn:aws:lambda:us-east-1:123456789012:function:lambda-rollout-prod-api:live",
            stableVersion: "7",
            candidateVersion: "8",
            liveWeights: { "8": 0.1 },
            routingSource: "override",
            alarmNames: { errors: "lambda-rollout-prod-api-errors" },
        },
    },
    release: { version: "1.4.0", commit: "abc1234" },
};

const routing: RoutingOverride = { api: { stable: "7", candidate: "8", weight: 0.1 } };

const FAKE_ENV = [
    "FAKE_PULUMI_LOG",
    "FAKE_PULUMI_OUTPUTS",
    "FAKE_PULUMI_SECRETS",
    "FAKE_PULUMI_HISTORY",
    "FAKE_PULUMI_NO_STACK",
    "FAKE_PULUMI_CONFLICT",
    "FAKE_PULUMI_FAIL",
    "FAKE_PULUMI_VERSION",
];

describe("AutomationStackDriver (Automation API, stand-in pulumi)", () => {
    // The Automation API takes a CLI as <root>/bin/pulumi: link the stand-in there.
    let fakeRoot: string;
    let fakePulumi: string;
    let dir: string;
    let log: string;
    let savedEnv: Record<string, string | undefined>;

    before(() => {
        fakeRoot = fs.mkdtempSync(path.join(os.tmpdir(), "fake-pulumi-root-"));
        fs.mkdirSync(path.join(fakeRoot, "bin"));
        fakePulumi = path.join(fakeRoot, "bin", "pulumi");
        fs.symlinkSync(path.join(fakeDir, "pulumi"), fakePulumi);
    });

    after(() => {
        fs.rmSync(fakeRoot, { recursive: true, force: true });
    });

    beforeEach(() => {
        savedEnv = Object.fromEntries([...FAKE_ENV, "PATH"].map((key) => [key, process.env[key]]));
        for (const key of FAKE_ENV) delete process.env[key];
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "pulumi-stack-test-"));
        log = path.join(dir, "invocations.jsonl");
        process.env.FAKE_PULUMI_LOG = log;
        process.env.FAKE_PULUMI_OUTPUTS = writeJson("outputs.json", { lambdaRollout: outputs, dashboardName: "lambda-rollout-prod" });
    });

    afterEach(() => {
        for (const [key, value] of Object.entries(savedEnv)) {
            if (value === undefined) delete process.env[key];
            else process.env[key] = value;
        }
        fs.rmSync(dir, { recursive: true, force: true });
    });

    function writeJson(name: string, value: unknown): string {
        const file = path.join(dir, name);
        fs.writeFileSync(file, JSON.stringify(value));
        return file;
    }

    function invocations(): Invocation[] {
        if (!fs.existsSync(log)) return [];
        return fs
            .readFileSync(log, "utf8")
            .trim()
            .split("\n")
            .map((line) => JSON.parse(line) as Invocation);
    }

    function ups(): Invocation[] {
        return invocations().filter((i) => i.argv[0] === "up");
    }

    function flagValue(argv: string[], flag: string): string | undefined {
        const at = argv.indexOf(flag);
        return at < 0 ? undefined : argv[at + 1];
    }

    function driver(extra: Partial<ConstructorParameters<typeof AutomationStackDriver>[0]> = {}): AutomationStackDriver {
        return new AutomationStackDriver({ stack: "prod", workDir: projectRoot, pulumiCommand: fakePulumi, ...extra });
    }

    async function rejection(promise: Promise<unknown>): Promise<Error> {
        try {
            await promise;
        } catch (err) {
            return err as Error;
        }
        throw new Error("expected the call to reject, it resolved");
    }

    function gitStatus(): string {
        return execFileSync("git", ["-C", projectRoot, "status", "--porcelain", "--", "Pulumi.prod.yaml", "Pulumi.yaml"], {
            encoding: "utf8",
        });
    }

    function committedFiles(): string[] {
        return ["Pulumi.prod.yaml", "Pulumi.yaml"].map((name) => fs.readFileSync(path.join(projectRoot, name), "utf8"));
    }

    it("an up passes the routing in a temporary copy of Pulumi.prod.yaml, with --message, and changes no committed file", async () => {
        const statusBefore = gitStatus();
        const filesBefore = committedFiles();

        const result = await driver().up(routing, "promote api: 10% to version 8");

        const [up, ...more] = ups();
        expect(more, "exactly one up").to.have.length(0);
        expect(flagValue(up.argv, "--message")).to.equal("promote api: 10% to version 8");
        expect(flagValue(up.argv, "--stack")).to.equal("prod");
        expect(up.cwd).to.equal(projectRoot);
        const configFile = flagValue(up.argv, "--config-file")!;
        expect(configFile, "--config-file").to.be.a("string");
        expect(configFile.startsWith(os.tmpdir() + path.sep), "in the temp dir, never in the working tree").to.equal(true);

        const passed = (parseYaml(up.configFile!.content!) as { config: Record<string, unknown> }).config;
        expect(passed["lambda-rollout:routing"]).to.deep.equal(routing);
        const { ["lambda-rollout:routing"]: _, ...others } = passed;
        expect(others).to.deep.equal(readConfigFile(prodConfig));

        expect(fs.existsSync(configFile), "temporary config file removed").to.equal(false);
        expect(gitStatus()).to.equal(statusBefore);
        expect(committedFiles()).to.deep.equal(filesBefore);
        expect(
            invocations().some((i) => i.argv[0] === "config" && i.argv[1] !== undefined && !i.argv[1].startsWith("-")),
            "no config set/rm",
        ).to.equal(false);
        expect(result).to.deep.equal(outputs);
    });

    it("an up without routing passes a config file without the routing key, even if the stack's file has a stale one", async () => {
        const stale = path.join(dir, "Pulumi.prod.yaml");
        fs.writeFileSync(stale, configWithRouting(prodConfig, { api: { stable: "3", candidate: "4", weight: 0.5 } }));
        expect(readConfigFile(stale)).to.have.property("lambda-rollout:routing");

        await driver({ configFile: stale }).up(undefined, "publish candidate");

        const [up] = ups();
        const passed = (parseYaml(up.configFile!.content!) as { config: Record<string, unknown> }).config;
        expect(passed).to.not.have.property("lambda-rollout:routing");
        expect(passed).to.deep.equal(readConfigFile(prodConfig));
        expect(fs.existsSync(flagValue(up.argv, "--config-file")!)).to.equal(false);
    });

    it("the up's output reaches onOutput line by line", async () => {
        const lines: string[] = [];
        await driver({ onOutput: (line) => lines.push(line) }).up(routing, "promote");
        expect(lines).to.include("Updating (prod)");
        expect(lines).to.include("Duration: 4s");
        expect(lines.every((line) => !line.includes("\n"))).to.equal(true);
    });

    it("an update already in progress is a StackLockedError carrying the CLI's words, and the temp file is removed", async () => {
        process.env.FAKE_PULUMI_CONFLICT = "1";
        const err = await rejection(driver().up(routing, "promote"));
        expect(err).to.be.instanceOf(StackLockedError);
        expect(err.message).to.equal(
            "another update holds stack prod: error: [409] Conflict: Another update is currently in progress.\n" +
                "To learn more about possible reasons and resolution, visit https://www.pulumi.com/docs/common-errors/#conflict",
        );
        expect(fs.existsSync(flagValue(ups()[0].argv, "--config-file")!)).to.equal(false);
    });

    it("a failed up is an InfrastructureError with the diagnostics' error line, no SDK wrapper text", async () => {
        process.env.FAKE_PULUMI_FAIL = "1";
        const err = await rejection(driver().up(routing, "promote"));
        expect(err).to.be.instanceOf(InfrastructureError);
        expect(err.message).to.match(/^pulumi failed to update stack prod: error: updating urn:pulumi:prod::lambda-rollout::.*api-live: /);
        expect(err.message).to.include("InvalidParameterValueException: Version 9 does not exist");
        expect(err.message).to.not.match(/code: |stdout:|Command failed|\n\s+at /);
        expect(fs.existsSync(flagValue(ups()[0].argv, "--config-file")!)).to.equal(false);
    });

    it("a failed up that reports on stderr is an InfrastructureError with stderr's last lines", async () => {
        process.env.FAKE_PULUMI_FAIL = "stderr";
        const err = await rejection(driver().up(routing, "promote"));
        expect(err).to.be.instanceOf(InfrastructureError);
        expect(err.message).to.equal(
            'pulumi failed to update stack prod: error: failed to load checkpoint: blob (key ".pulumi/stacks/lambda-rollout/prod.json") (code=Unknown): AccessDenied: Access Denied\nstatus code: 403',
        );
    });

    it("outputs() unwraps the stack outputs, secrets included", async () => {
        process.env.FAKE_PULUMI_SECRETS = "lambdaRollout";
        expect(await driver().outputs()).to.deep.equal(outputs);
        const outputCalls = invocations().filter((i) => i.argv[0] === "stack" && i.argv[1] === "output");
        expect(outputCalls.map((i) => i.argv.includes("--show-secrets"))).to.deep.equal([false, true]);
    });

    it("outputs() is undefined for a stack never deployed, and for a stack that does not exist (which it does not create)", async () => {
        process.env.FAKE_PULUMI_OUTPUTS = writeJson("empty.json", {});
        expect(await driver().outputs()).to.equal(undefined);

        process.env.FAKE_PULUMI_NO_STACK = "1";
        fs.rmSync(log);
        expect(await driver().outputs()).to.equal(undefined);
        expect(invocations().map((i) => i.argv.slice(0, 2).join(" "))).to.deep.equal(["version", "stack select"]);
    });

    it("outputs without the `lambdaRollout` contract are an InfrastructureError naming what was found", async () => {
        process.env.FAKE_PULUMI_OUTPUTS = writeJson("foreign.json", { bucketName: "b" });
        const err = await rejection(driver().outputs());
        expect(err).to.be.instanceOf(InfrastructureError);
        expect(err.message).to.equal(
            "the outputs of stack prod: the stack has no `lambdaRollout` output (outputs: bucketName): export `lambdaRollout: rolloutOutputs({...})` from the program (docs/adopting.md)",
        );
    });

    it("the flat outputs of a stack deployed before the contract are still read, as version 1", async () => {
        const { version: _version, ...flat } = outputs;
        process.env.FAKE_PULUMI_OUTPUTS = writeJson("flat.json", { ...flat, alarmTopicArn: "arn:aws:sns:us-east-1:123456789012:t" });
        const read = await driver().outputs();
        expect(read).to.deep.include(outputs);
        expect(read?.functions.api.candidateVersion).to.equal("8");
    });

    it("a contract of a version this tool does not know is refused, naming the field", async () => {
        process.env.FAKE_PULUMI_OUTPUTS = writeJson("v2.json", { lambdaRollout: { ...outputs, version: 2 } });
        const err = await rejection(driver().outputs());
        expect(err).to.be.instanceOf(InfrastructureError);
        expect(err.message).to.match(/`lambdaRollout.version` \(got 2\): this tool reads version 1/);
    });

    it("up() creates a stack that does not exist yet, then updates it", async () => {
        process.env.FAKE_PULUMI_NO_STACK = "1";
        await driver().up(routing, "first");
        expect(invocations().map((i) => i.argv.slice(0, 2).join(" "))).to.deep.equal([
            "version",
            "stack select",
            "stack init",
            "up --yes",
            "stack output",
            "stack output",
            "stack history",
        ]);
    });

    it("history() maps the records newest first, asking for one page of `limit` without decrypting secrets", async () => {
        process.env.FAKE_PULUMI_HISTORY = writeJson("history.json", [
            {
                version: 13,
                kind: "update",
                startTime: "2025-05-02T10:20:00Z",
                endTime: "2025-05-02T10:21:10Z",
                message: "promote api: 50% to version 8",
                result: "succeeded",
                environment: { "exec.kind": "auto.local" },
                resourceChanges: { update: 1, same: 11 },
            },
            {
                version: 12,
                kind: "update",
                startTime: "2025-05-02T10:05:00Z",
                endTime: "2025-05-02T10:06:02Z",
                message: "promote api: 10% to version 8",
                result: "failed",
                environment: {},
                resourceChanges: { same: 12 },
            },
            {
                version: 11,
                kind: "update",
                startTime: "2025-05-01T09:00:00Z",
                endTime: "2025-05-01T09:03:00Z",
                message: "release 1.4.0",
                result: "succeeded",
                environment: {},
                resourceChanges: { create: 1 },
            },
        ]);
        const records = await driver().history(2);
        expect(records).to.deep.equal([
            { startTime: new Date("2025-05-02T10:20:00Z"), message: "promote api: 50% to version 8", result: "succeeded" },
            { startTime: new Date("2025-05-02T10:05:00Z"), message: "promote api: 10% to version 8", result: "failed" },
        ]);
        const call = invocations().find((i) => i.argv[1] === "history")!;
        expect(flagValue(call.argv, "--page-size")).to.equal("2");
        expect(call.argv).to.not.include("--show-secrets");
    });

    it("the stand-in found first on PATH is used when no pulumiCommand is given", async () => {
        process.env.PATH = `${fakeDir}${path.delimiter}${process.env.PATH}`;
        expect(await driver({ pulumiCommand: undefined }).outputs()).to.deep.equal(outputs);
        expect(invocations()[0].argv).to.deep.equal(["version"]);
    });

    describe("without a Pulumi CLI", () => {
        function expectCliNeeded(err: Error, spawned: string): void {
            expect(err).to.be.instanceOf(InfrastructureError);
            expect(err.message).to.equal(
                `cannot drive stack prod: the Pulumi CLI is needed for real stacks and was not found (spawn ${spawned} ENOENT). ` +
                    "Install it (https://www.pulumi.com/docs/install/, or `curl -fsSL https://get.pulumi.com | sh`) and make sure " +
                    "`pulumi` is on PATH. `lambda-rollout rehearse` and `lambda-rollout plan` need no CLI.",
            );
            expect(err.message).to.not.match(/\n\s+at /);
        }

        it("a pulumiCommand that does not exist makes every call an InfrastructureError saying the CLI is needed", async () => {
            const missing = path.join(dir, "no-such-install", "bin", "pulumi");
            const d = driver({ pulumiCommand: missing });
            const tempCopies = () => fs.readdirSync(os.tmpdir()).filter((name) => name.startsWith("lambda-rollout-config-"));
            const copiesBefore = tempCopies();
            expectCliNeeded(await rejection(d.outputs()), missing);
            expectCliNeeded(await rejection(d.history(5)), missing);
            expectCliNeeded(await rejection(d.up(routing, "promote")), missing);
            expect(tempCopies(), "the up's temporary config copy is removed").to.deep.equal(copiesBefore);
        });

        it("no pulumi on PATH makes every call an InfrastructureError saying the CLI is needed", async () => {
            process.env.PATH = dir;
            const d = driver({ pulumiCommand: undefined });
            expectCliNeeded(await rejection(d.outputs()), "pulumi");
            expectCliNeeded(await rejection(d.up(undefined, "publish")), "pulumi");
        });
    });

    it("a CLI older than the SDK accepts is an InfrastructureError that says so", async () => {
        process.env.FAKE_PULUMI_VERSION = "v3.1.0";
        const err = await rejection(driver().outputs());
        expect(err).to.be.instanceOf(InfrastructureError);
        expect(err.message).to.equal(
            "cannot drive stack prod: Minimum version requirement failed. The minimum CLI version requirement is 3.2.0-alpha, your current CLI version is v3.1.0. Please update the Pulumi CLI.",
        );
    });

    it("a pulumiCommand not shaped <root>/bin/pulumi is a UsageError", () => {
        expect(() => driver({ pulumiCommand: path.join(dir, "pulumi-3.248") }))
            .to.throw(UsageError)
            .with.property("message")
            .that.matches(/^`pulumiCommand` must be the path of a pulumi executable named <root>\/bin\/pulumi/);
    });

    it("the temporary config copy keeps the stack file's comments", () => {
        const text = configWithRouting(prodConfig, routing);
        expect(text.startsWith(fs.readFileSync(prodConfig, "utf8").split("\n")[0])).to.equal(true);
        expect(text).to.include("lambda-rollout:routing:");
    });
});
