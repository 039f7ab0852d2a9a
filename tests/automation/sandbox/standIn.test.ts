import { expect } from "chai";
import { execFile } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { LambdaClient } from "@aws-sdk/client-lambda";
import { AutomationStackDriver } from "../../../automation/adapters/pulumiStack";
import { LambdaAdapter } from "../../../automation/adapters/lambda";
import { PROJECT_ROOT } from "../../../automation/engine/evaluate";
import { resolveProject } from "../../../automation/project";
import { readScenario } from "../../../automation/rehearsal/scenario";
import { startSandbox, type Sandbox } from "../../../automation/sandbox/sandbox";
import type { PulumiAnswer, PulumiCall } from "../../../automation/sandbox/standInPulumi";
import { CONTRACT, contractProblems } from "../../helpers/pulumiContract";
import { until } from "../../helpers/sandbox";

/**
 * The sandbox's stand-in `pulumi` under the real Automation API (the stack driver the command line uses), the
 * sandbox in this process: what it answers is the sandbox's stack, in the real CLI's commands, flags and JSON
 * fields (tests/fixtures/pulumi-cli-contract.json); what it is not asked for, it refuses.
 */
describe("the sandbox's stand-in pulumi, under the Automation API", function () {
    this.timeout(180_000);
    const project = resolveProject(PROJECT_ROOT);
    const calls: { call: PulumiCall; answer: PulumiAnswer }[] = [];
    const ups: string[] = [];
    let sandbox: Sandbox;
    let lambda: LambdaClient;
    let tmp: string;

    const start = (speed: number) =>
        startSandbox({
            stack: "prod",
            scenario: readScenario(path.join(PROJECT_ROOT, "scenarios", "healthy.json")),
            project,
            speed,
            log: (line) => ups.push(line),
            tmpDir: tmp,
            observe: (call, answer) => calls.push({ call, answer }),
        });
    const driver = (s: Sandbox) =>
        new AutomationStackDriver({
            stack: "prod",
            workDir: PROJECT_ROOT,
            project: "lambda-rollout",
            pulumiCommand: path.join(s.dir, "bin", "pulumi"),
        });

    before(async () => {
        tmp = fs.mkdtempSync(path.join(os.tmpdir(), "sandbox-standin-"));
        sandbox = await start(120);
        lambda = new LambdaClient({
            endpoint: sandbox.endpoint,
            region: "us-east-1",
            credentials: { accessKeyId: "t.test", secretAccessKey: "x" },
        });
    });

    after(async () => {
        lambda.destroy();
        await sandbox?.close();
        fs.rmSync(tmp, { recursive: true, force: true });
    });

    it("outputs, history and an up with a routing override reach the sandbox's stack, in the real CLI's commands, flags and fields", async () => {
        const stack = driver(sandbox);
        const outputs = await stack.outputs();
        expect(outputs?.functions.api).to.include({ functionName: "lambda-rollout-prod-api", stableVersion: "1", candidateVersion: "2" });
        expect((await stack.history(5)).map((u) => u.message)).to.deep.equal(["deploy the candidate release", "deploy the stable release"]);

        await stack.up({ api: { stable: "1", candidate: "2", weight: 0.25 } }, "a step through the stand-in");
        const alias = await new LambdaAdapter(lambda).getAlias("lambda-rollout-prod-api", "live");
        expect(alias).to.include({ functionVersion: "1" });
        expect(alias.additionalVersionWeights).to.deep.equal({ "2": 0.25 });
        const [last] = await stack.history(1);
        expect(last).to.include({ message: "a step through the stand-in", result: "succeeded" });
        expect(ups.some((l) => l.includes("up done: api v1 75% / v2 25%"))).to.equal(true);

        expect(calls.map((c) => c.call.argv.filter((a) => !a.startsWith("-"))[0])).to.include.members(["stack", "up"]);
        expect(calls.every((c) => c.answer.code === 0)).to.equal(true);
        expect(calls.flatMap((c) => contractProblems(c.call.argv))).to.deep.equal([]);
        const history = calls.find((c) => c.call.argv.includes("history"))!;
        const fields = Object.keys((JSON.parse(history.answer.stdout) as object[])[0]);
        expect(fields.filter((f) => !CONTRACT.outputs["stack history --json"].fields.includes(f))).to.deep.equal([]);
    });

    it("refuses what it does not stand in for: another command, another stack, another project's directory", async () => {
        const pulumi = path.join(sandbox.dir, "bin", "pulumi");
        // Asynchronously: the sandbox answering it runs in this process.
        const run = (args: string[], cwd = PROJECT_ROOT) =>
            new Promise<{ status: number | null; stderr: string }>((resolve, reject) => {
                execFile(pulumi, args, { cwd, encoding: "utf8" }, (err, _stdout, stderr) =>
                    err && typeof err.code !== "number" ? reject(err) : resolve({ status: err ? (err.code as number) : 0, stderr }),
                );
            });
        const destroy = await run(["destroy", "--yes"]);
        expect(destroy.status).to.equal(255);
        expect(destroy.stderr).to.contain("does not answer `pulumi destroy --yes`");
        const other = await run(["stack", "select", "--stack", "staging"]);
        expect(other.status).to.equal(255);
        expect(other.stderr).to.contain("no stack named 'staging' found");
        const elsewhere = await run(["stack", "output", "--json"], tmp);
        expect(elsewhere.status).to.equal(255);
        expect(elsewhere.stderr).to.contain(`the stand-in of a lambda-rollout sandbox for project lambda-rollout at ${PROJECT_ROOT}`);
    });

    it("an up the Automation API cancels (SIGINT to the stand-in) is cancelled in the sandbox and recorded so", async () => {
        // At real time an up lasts 45 s: the cancel lands inside it, whatever the machine's speed.
        const slow = await start(1);
        try {
            const stack = driver(slow);
            const cancel = new AbortController();
            const before = ups.length;
            const up = stack.up({ api: { stable: "1", candidate: "2", weight: 0.1 } }, "cancelled by the test", cancel.signal);
            const failed = up.then(
                () => undefined,
                (err: Error) => err,
            );
            await until("the sandbox to begin the up", () => ups.slice(before).some((l) => l.includes("up: cancelled by the test")));
            cancel.abort();
            const err = await failed;
            expect(err, "the up was not cancelled").to.be.instanceOf(Error);
            const last = await until("the cancelled up in the history", async () => {
                const [u] = await stack.history(1);
                return u?.message === "cancelled by the test" ? u : undefined;
            });
            expect(last.result).to.equal("cancelled");
        } finally {
            await slow.close();
        }
        expect(fs.existsSync(slow.dir)).to.equal(false);
    });
});
