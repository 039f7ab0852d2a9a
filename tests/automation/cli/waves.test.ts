import { expect } from "chai";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { LambdaAdapter } from "../../../automation/adapters/lambda";
import { PROJECT_ROOT } from "../../../automation/engine/evaluate";
import { decodeState, encodeState } from "../../../domain/state";
import { SimulatedAws } from "../../../automation/simulator";
import { serveHttp } from "../../../automation/simulator/httpServer";
import type { RolloutOutputs } from "../../../components/rolloutOutputs";
import { runCli } from "../../helpers/cli";
import { PROD_POLICY } from "../../helpers/fakes";

const STACK_FILE = `config:
  aws:region: us-east-1
  lambda-rollout:functions:
    - name: api
      codeDir: app/api
      handler: index.handler
  lambda-rollout:rollout:
    strategy: canary
    canary:
      steps: [{ weight: 10, bake: 10m }, { weight: 50, bake: 10m }, { weight: 100, bake: 10m }]
    gates: { maxErrorRatePercent: 1, maxErrorRateIncreasePercent: 0.5, maxP99Ms: 6000, maxThrottles: 0, minInvocations: 50, onNoData: rollback, maxExtension: 10m, pollInterval: 1m }
    smokeTest: { payload: { test: true }, expect: { ok: true } }
`;

/** A stack's outputs as the stand-in pulumi gives them: one function, `lambda-rollout-<stack>-api`. */
function outputs(stack: string, live: Record<string, number>): { lambdaRollout: RolloutOutputs } {
    const fn = `lambda-rollout-${stack}-api`;
    const arn = `arn:aws:lambda:us-east-1:123456789012:function:${fn}`;
    return {
        lambdaRollout: {
            version: 1,
            strategy: "canary",
            rolloutPolicy: PROD_POLICY,
            region: "us-east-1",
            release: { version: "0.1.0", commit: "abc123" },
            functions: {
                api: {
                    functionName: fn,
                    functionArn: arn,
                    aliasName: "live",
                    aliasArn: `${arn}:live`,
                    stableVersion: "1",
                    candidateVersion: "2",
                    liveWeights: live,
                    routingSource: "live",
                    alarmNames: {},
                },
            },
        },
    };
}

/**
 * The real command line, in a process of its own, on a release of two stacks (a project of its own: two stack
 * files and waves.yaml), each stack's outputs from the stand-in pulumi and its functions in a simulated account
 * served over HTTP: the stacks' worlds as `promote --waves` builds them for real stacks (realStackWorld).
 */
describe("the command line's --waves (a release of two stacks; the stand-in pulumi; the simulated AWS over HTTP)", function () {
    this.timeout(120_000);
    let aws: SimulatedAws;
    let dir: string;
    let env: NodeJS.ProcessEnv;
    let close: () => Promise<void>;
    const alias = (stack: string) => new LambdaAdapter(aws.lambda).getAlias(`lambda-rollout-${stack}-api`, "live");
    const cli = (...args: string[]) => runCli([...args, "-C", dir], { fakePulumiLog: path.join(dir, "pulumi.jsonl"), env });

    beforeEach(async () => {
        aws = new SimulatedAws({ seed: 1, startTime: new Date(), metricDelayMinutes: 0 });
        for (const stack of ["w1", "w2"]) {
            const fn = `lambda-rollout-${stack}-api`;
            aws.putFunction({ name: fn, role: "arn:aws:iam::123456789012:role/api", timeoutSeconds: 10 });
            aws.publishVersion(fn);
            aws.publishVersion(fn);
        }
        // Wave 1 was promoted two hours ago (the watch after it is over); wave 2 has published its candidate, no more.
        aws.putAlias("lambda-rollout-w1-api", "live", "2");
        const since = Date.now() - 2 * 3600_000;
        await new LambdaAdapter(aws.lambda).updateAlias(
            "lambda-rollout-w1-api",
            "live",
            undefined,
            encodeState({ phase: "promoted", stable: "1", candidate: "2", step: 3, steps: 3, weight: 1, since }),
        );
        aws.putAlias("lambda-rollout-w2-api", "live", "1");
        const server = await serveHttp(aws);
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "lambda-rollout-waves-"));
        fs.writeFileSync(
            path.join(dir, "Pulumi.yaml"),
            `name: lambda-rollout\nruntime: nodejs\nmain: ${path.join(PROJECT_ROOT, "index.ts")}\n`,
        );
        fs.symlinkSync(path.join(PROJECT_ROOT, "app"), path.join(dir, "app"));
        for (const stack of ["w1", "w2"]) fs.writeFileSync(path.join(dir, `Pulumi.${stack}.yaml`), STACK_FILE);
        fs.writeFileSync(path.join(dir, "waves.yaml"), "rel:\n  waves:\n    - stacks: [w1]\n    - stacks: [w2]\n  watch: 30m\n");
        fs.writeFileSync(path.join(dir, "w1.json"), JSON.stringify(outputs("w1", { "2": 1 })));
        fs.writeFileSync(path.join(dir, "w2.json"), JSON.stringify(outputs("w2", { "1": 1 })));
        env = {
            FAKE_PULUMI_OUTPUTS: path.join(dir, "{stack}.json"),
            AWS_ENDPOINT_URL: server.endpoint,
            AWS_ACCESS_KEY_ID: "AKIDSIMULATED",
            AWS_SECRET_ACCESS_KEY: "simulated",
            AWS_EC2_METADATA_DISABLED: "true",
        };
        close = async () => {
            await server.close();
            fs.rmSync(dir, { recursive: true, force: true });
        };
    });

    afterEach(() => close());

    it("status --waves reads each stack's records: wave 1 promoted, wave 2 next; exit 0", async () => {
        const r = await cli("status", "--waves", "rel");
        expect(r.code, r.stderr).to.equal(0);
        expect(r.stdout).to.contain("release through wave plan rel: wave 2/2 under way: w2");
        expect(r.stdout).to.contain("  w1: promoted, release 0.1.0 (abc123)");
        expect(r.stdout).to.contain("  w2: not-started, release 0.1.0 (abc123)");
    });

    it("pause --waves pauses the stack not started yet before its first step; resume --waves lifts it; status says each", async () => {
        const paused = await cli("pause", "--waves", "rel", "--by", "carol", "--reason", "change freeze");
        expect(paused.code, paused.stderr).to.equal(0);
        expect(paused.stdout).to.contain("w2: paused before its first step (the release starts it after resume)");
        const record = decodeState((await alias("w2")).description);
        expect(record).to.include({ phase: "paused", step: 0, weight: 0, candidate: "2", by: "carol", reason: "change freeze" });
        expect(record!.owner).to.equal(undefined);
        expect((await cli("status", "--waves", "rel")).stdout).to.contain(
            "paused before w2 started (lambda-rollout resume --waves rel goes on)",
        );
        const resumed = await cli("resume", "--waves", "rel", "--by", "carol");
        expect(resumed.code, resumed.stderr).to.equal(0);
        expect((await cli("status", "--waves", "rel")).stdout).to.contain("  w2: not-started");
        // Traffic never moved.
        expect((await alias("w2")).functionVersion).to.equal("1");
    });

    it("abort --waves puts the promoted wave back on stable, recorded as aborted by whom; a promote --waves run again then ends, aborted", async () => {
        const r = await cli("abort", "--waves", "rel", "--yes", "--by", "carol", "--reason", "INC-42");
        expect(r.code, r.stderr).to.equal(0);
        expect(r.stdout).to.contain("w1: put back on stable (wave 1 was promoted)");
        const w1 = await alias("w1");
        expect(w1.functionVersion).to.equal("1");
        expect(decodeState(w1.description)).to.include({ phase: "aborted", by: "carol", stable: "1", candidate: "2" });
        expect((await alias("w2")).description ?? "").not.to.contain("lambda-rollout/");
        const dry = await cli("promote", "--waves", "rel", "--dry-run");
        expect(dry.code, dry.stderr).to.equal(0);
        expect(dry.stdout).to.contain("next: ended in wave 1/2: w1 aborted (release of wave plan rel aborted by carol: INC-42)");
    });

    it("refuses what does not go with --waves, naming the flag, before anything is read: exit 2", async () => {
        for (const [args, message] of [
            [
                ["promote", "--waves", "rel", "-s", "w1", "-y"],
                "`--waves`: the wave plan names the stacks and each stack's config is its own Pulumi.<stack>.yaml: it takes no --stack",
            ],
            [["promote", "--waves", "rel"], "stdin is not a terminal: promote would ask before it moves traffic"],
            [["promote", "--waves", "rel", "-y", "--through-wave", "3"], '`--through-wave` (got "3"): must be a wave of plan rel, 1 to 2'],
            [["status", "--waves", "nope"], '`--waves` (got "nope"): waves.yaml has no plan of that name (its plans: rel)'],
            [["promote", "-s", "w1", "-y", "--through-wave", "1"], "`--through-wave`: goes with `--waves <plan>`"],
        ] as const) {
            const r = await cli(...args);
            expect(r.code, `${args.join(" ")}: ${r.stderr}`).to.equal(2);
            expect(r.stderr).to.contain(message);
        }
        expect(fs.existsSync(path.join(dir, "pulumi.jsonl"))).to.equal(false);
    });

    it("rehearse --waves prints the release's report on stdout with --json, and exits with the release's code", async () => {
        const r = await runCli(["rehearse", "--waves", "prod", "--scenario", "scenarios/waves/bad-in-eu-west-1.json", "--json"]);
        expect(r.code, r.stderr).to.equal(1);
        const report = JSON.parse(r.stdout.trim().split("\n").at(-1)!);
        expect(report.outcome).to.equal("rolled-back");
        expect(report.release.cause.stack).to.equal("prod-eu-west-1");
        expect(report.waves.map((w: { outcome: string }) => w.outcome)).to.deep.equal(["rolled-back", "rolled-back", "not-started"]);
    });
});
