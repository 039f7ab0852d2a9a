import { expect } from "chai";
import * as fs from "fs";
import * as path from "path";
import { stringify } from "yaml";
import { LambdaAdapter } from "../../../automation/adapters/lambda";
import { decodeState, encodeState } from "../../../domain/state";
import { SimulatedAws } from "../../../automation/simulator";
import { rolloutSchema } from "../../../config/stackConfig";
import { FAKE_PULUMI_DIR, startCli } from "../../helpers/cli";
import { API_FUNCTION, stackOverHttp } from "../../helpers/stackOverHttp";

const FN = API_FUNCTION;

/** The processes of a process group that are still alive (a zombie is dead, waiting to be reaped), read from /proc. */
function aliveInGroup(pgid: number): number[] {
    const alive: number[] = [];
    for (const entry of fs.readdirSync("/proc")) {
        if (!/^\d+$/.test(entry)) continue;
        let stat: string;
        try {
            stat = fs.readFileSync(`/proc/${entry}/stat`, "utf8");
        } catch {
            continue; // gone meanwhile
        }
        // pid (comm) state ppid pgrp ...: comm may hold spaces and parentheses, so read after the last ')'.
        const [state, , pgrp] = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
        if (Number(pgrp) === pgid && state !== "Z") alive.push(Number(entry));
    }
    return alive;
}

async function waitFor(check: () => boolean, ms: number): Promise<boolean> {
    const end = Date.now() + ms;
    while (Date.now() < end) {
        if (check()) return true;
        await new Promise((r) => setTimeout(r, 50));
    }
    return check();
}

/**
 * The real command line in a process of its own, run as the promote workflow runs it, against the simulated
 * account over HTTP and the stand-in pulumi: a promote whose `afterStep` hook sleeps while 10% of traffic is on
 * the candidate, and a CI cancel's SIGTERM arriving during that hook.
 */
describe("SIGTERM during a command hook (the CLI, the simulated AWS over HTTP, the stand-in pulumi)", function () {
    this.timeout(180_000);
    let aws: SimulatedAws;
    let stack: Awaited<ReturnType<typeof stackOverHttp>>;

    const rollout = (dir: string) => ({
        strategy: "canary",
        canary: {
            steps: [
                { weight: 10, bake: "0s" },
                { weight: 100, bake: "10m" },
            ],
        },
        hooks: {
            afterStep: [
                {
                    name: "slow-check",
                    // Its environment for the test to read, its process group id, then a long wait, in part deaf to SIGTERM.
                    command: `env > ${path.join(dir, "hook-env")}; echo $$ > ${path.join(dir, "hook-pgid")}; (trap '' TERM; sleep 120) & sleep 120; wait`,
                    timeout: "10m",
                    env: ["HOOK_VISIBLE"],
                },
            ],
        },
    });

    beforeEach(async () => {
        aws = new SimulatedAws({ seed: 1, startTime: new Date(), metricDelayMinutes: 0 });
        aws.putFunction({ name: FN, role: "arn:aws:iam::123456789012:role/api", timeoutSeconds: 10 });
        aws.publishVersion(FN);
        aws.publishVersion(FN);
        // A promote was killed while step 1 baked: 10% on the candidate; run again, it re-bakes step 1 (0s) and runs the hook.
        aws.putAlias(FN, "live", "1", { "2": 0.1 });
        await new LambdaAdapter(aws.lambda).updateAlias(
            FN,
            "live",
            undefined,
            encodeState({ phase: "baking", stable: "1", candidate: "2", step: 1, steps: 2, weight: 0.1, since: Date.now() }),
        );
        stack = await stackOverHttp(aws, "1", "2", { "1": 0.9, "2": 0.1 });
    });

    afterEach(() => stack.close());

    it("the rollout is aborted onto stable within 10 s, exit 143, the hook recorded interrupted (not failed), its group gone", async () => {
        const dir = stack.dir;
        // The same policy in the stack's outputs and in the checked-out config (whichever promote reads).
        const policy = rollout(dir);
        const outputsFile = path.join(dir, "outputs.json");
        const outputs = JSON.parse(fs.readFileSync(outputsFile, "utf8"));
        outputs.lambdaRollout.rolloutPolicy = rolloutSchema.parse(policy);
        fs.writeFileSync(outputsFile, JSON.stringify(outputs));
        const configFile = path.join(dir, "Pulumi.prod.yaml");
        fs.writeFileSync(
            configFile,
            stringify({
                config: {
                    "aws:region": "us-east-1",
                    "lambda-rollout:functions": [{ name: "api", codeDir: "app/api", handler: "index.handler" }],
                    "lambda-rollout:rollout": policy,
                },
            }),
        );
        const report = path.join(dir, "out", "report.json");
        const cli = startCli(["promote", "-s", "prod", "--yes", "--config-file", configFile, "--report", report], {
            fakePulumiLog: path.join(dir, "pulumi.jsonl"),
            env: {
                ...stack.env,
                // The hook's commands (env, sleep) come from the system's folders, as on a CI runner.
                PATH: [FAKE_PULUMI_DIR, path.dirname(process.execPath), "/usr/bin", "/bin"].join(path.delimiter),
                HOOK_VISIBLE: "declared",
                PULUMI_ACCESS_TOKEN: "pul-job-token",
                PULUMI_CONFIG_PASSPHRASE: "x",
            },
        });
        const pgidFile = path.join(dir, "hook-pgid");
        const started = await Promise.race([
            waitFor(() => fs.existsSync(pgidFile) && fs.readFileSync(pgidFile, "utf8").endsWith("\n"), 120_000),
            cli.done.then(() => false),
        ]);
        if (!started) {
            cli.child.kill("SIGKILL");
            const ended = await cli.done;
            expect.fail(`the hook never started (exit ${ended.code}):\n${ended.stdout}\n${ended.stderr}`);
        }
        const pgid = Number(fs.readFileSync(pgidFile, "utf8"));
        expect(aliveInGroup(pgid)).not.to.deep.equal([]);
        expect((await new LambdaAdapter(aws.lambda).getAlias(FN, "live")).additionalVersionWeights).to.deep.equal({ "2": 0.1 });

        const signalled = Date.now();
        cli.child.kill("SIGTERM");
        const timer = setTimeout(() => cli.child.kill("SIGKILL"), 20_000);
        const run = await cli.done;
        clearTimeout(timer);
        const took = Date.now() - signalled;

        expect(run.code, `${run.stdout}\n${run.stderr}`).to.equal(143);
        expect(took, "from SIGTERM to exit").to.be.below(10_000);
        const alias = await new LambdaAdapter(aws.lambda).getAlias(FN, "live");
        expect(alias.functionVersion).to.equal("1");
        expect(alias.additionalVersionWeights ?? {}).to.deep.equal({});
        expect(decodeState(alias.description)).to.include({ phase: "aborted", candidate: "2", reason: "interrupted by SIGTERM" });
        expect(aliveInGroup(pgid), "processes of the hook's group left").to.deep.equal([]);

        const written = JSON.parse(fs.readFileSync(report, "utf8"));
        expect(written).to.include({ outcome: "aborted", interrupt: "SIGTERM" });
        expect(written.hooks.map((h: { name: string; outcome: string }) => [h.name, h.outcome])).to.deep.equal([
            ["slow-check", "interrupted"],
        ]);
        expect(written.steps.filter((s: { cause?: string }) => s.cause === "hook")).to.deep.equal([]);
        expect(run.stdout).to.contain("SIGTERM: aborting the rollout, all traffic back to stable through the Lambda API");

        // The hook saw the context and what it declared, and none of the job's AWS or Pulumi credentials.
        const hookEnv = fs.readFileSync(path.join(dir, "hook-env"), "utf8");
        expect(hookEnv).to.contain("HOOK_VISIBLE=declared");
        expect(hookEnv).to.contain("LAMBDA_ROLLOUT_API_CANDIDATE_VERSION=2");
        expect(hookEnv.split("\n").filter((l) => /^(AWS_|PULUMI_)/.test(l))).to.deep.equal([]);
    });
});
