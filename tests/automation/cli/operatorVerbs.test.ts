import { expect } from "chai";
import * as fs from "fs";
import * as path from "path";
import { LambdaAdapter } from "../../../automation/adapters/lambda";
import { decodeState, encodeState } from "../../../domain/state";
import { SimulatedAws } from "../../../automation/simulator";
import { runCli } from "../../helpers/cli";
import { API_FUNCTION, stackOverHttp } from "../../helpers/stackOverHttp";

const FN = API_FUNCTION;

/**
 * The real command line, in a process of its own, against the simulated account served over HTTP (the SDK's
 * AWS_ENDPOINT_URL points it there) and the stand-in pulumi (the stack's outputs): what a person at another
 * shell, or a CI job, does to a rollout a promote is running elsewhere.
 */
describe("operator verbs from another process (the CLI, the simulated AWS over HTTP, the stand-in pulumi)", function () {
    this.timeout(120_000);
    let aws: SimulatedAws;
    let stack: Awaited<ReturnType<typeof stackOverHttp>>;
    let dir: string;
    let env: NodeJS.ProcessEnv;

    beforeEach(async () => {
        aws = new SimulatedAws({ seed: 1, startTime: new Date(), metricDelayMinutes: 0 });
        aws.putFunction({ name: FN, role: "arn:aws:iam::123456789012:role/api", timeoutSeconds: 10 });
        aws.publishVersion(FN);
        aws.publishVersion(FN);
        aws.putAlias(FN, "live", "1", { "2": 0.5 });
        // A promote elsewhere is waiting for approval of 100%, holding 50%.
        await new LambdaAdapter(aws.lambda).updateAlias(
            FN,
            "live",
            undefined,
            encodeState({ phase: "awaiting-approval", stable: "1", candidate: "2", step: 2, steps: 3, weight: 0.5, since: Date.now() }),
        );
        stack = await stackOverHttp(aws, "1", "2", { "1": 0.5, "2": 0.5 });
        dir = stack.dir;
        env = stack.env;
    });

    afterEach(() => stack.close());

    const live = () => new LambdaAdapter(aws.lambda).getAlias(FN, "live");

    it("approve records the approval (and who) on the alias for the promote that owns the rollout; traffic is not moved by it", async () => {
        const r = await runCli(["approve", "-s", "prod", "--by", "carol"], { fakePulumiLog: path.join(dir, "pulumi.jsonl"), env });
        expect(r.code, r.stderr).to.equal(0);
        expect(r.stdout).to.contain("api: v2: step 2/3 at 50% awaiting approval of step 3/3");
        expect(r.stdout).to.contain("recorded and read back: the promote that owns the rollout acts on it at its next poll");
        const alias = await live();
        expect(decodeState(alias.description)).to.include({ phase: "awaiting-approval", request: "approve", by: "carol" });
        expect(alias.additionalVersionWeights).to.deep.equal({ "2": 0.5 });
    });

    it("abort puts all traffic on stable itself and records `aborted` on the alias, then an up so the stack agrees", async () => {
        const log = path.join(dir, "pulumi.jsonl");
        const r = await runCli(["abort", "-s", "prod", "--yes", "--by", "carol", "--reason", "pager fired"], { fakePulumiLog: log, env });
        expect(r.code, r.stderr).to.equal(0);
        const alias = await live();
        expect(alias.functionVersion).to.equal("1");
        expect(alias.additionalVersionWeights ?? {}).to.deep.equal({});
        expect(decodeState(alias.description)).to.include({ phase: "aborted", reason: "pager fired", by: "carol" });
        expect(r.stdout).to.contain("all traffic is on stable: api v1 100% (read after every `up` in flight ended)");
        const ups = fs
            .readFileSync(log, "utf8")
            .split("\n")
            .filter((l) => l.includes('"up"'));
        expect(ups.length).to.equal(1);
    });

    it("a verb that does not apply exits 2, says where the rollout stands, and changes nothing", async () => {
        const before = await live();
        const r = await runCli(["resume", "-s", "prod"], { fakePulumiLog: path.join(dir, "pulumi.jsonl"), env });
        expect(r.code).to.equal(2);
        expect(r.stderr).to.match(/^error: cannot resume on stack prod: api: not paused \(v2: step 2\/3 at 50% awaiting approval/);
        expect((await live()).description).to.equal(before.description);
    });
});
