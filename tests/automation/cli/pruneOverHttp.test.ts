import { expect } from "chai";
import * as path from "path";
import { LambdaAdapter } from "../../../automation/adapters/lambda";
import { SimulatedAws } from "../../../automation/simulator";
import { runCli } from "../../helpers/cli";
import { API_FUNCTION, stackOverHttp } from "../../helpers/stackOverHttp";

const FN = API_FUNCTION;

/**
 * `prune` end to end: the real command line in a process of its own, against a simulated account of 25 versions
 * and two aliases served over HTTP (the SDK's AWS_ENDPOINT_URL points it there), the stack's outputs from the
 * stand-in pulumi, the retention of Pulumi.prod.yaml (keep 10, the default).
 */
describe("prune on the command line against the simulated account over HTTP", function () {
    this.timeout(120_000);
    let aws: SimulatedAws;
    let stack: Awaited<ReturnType<typeof stackOverHttp>>;
    let dir: string;
    let env: NodeJS.ProcessEnv;

    beforeEach(async () => {
        aws = new SimulatedAws({ seed: 1, startTime: new Date(), metricDelayMinutes: 0 });
        aws.putFunction({ name: FN, role: "arn:aws:iam::123456789012:role/api", timeoutSeconds: 10 });
        for (let i = 0; i < 25; i++) aws.publishVersion(FN);
        aws.putAlias(FN, "live", "24", { "25": 0.1 });
        aws.putAlias(FN, "beta", "3");
        stack = await stackOverHttp(aws, "24", "25", { "24": 0.9, "25": 0.1 });
        dir = stack.dir;
        env = stack.env;
    });

    afterEach(() => stack.close());

    it("--dry-run lists exactly the versions it may delete and deletes nothing; the run deletes them and nothing else", async () => {
        const versions = () => new LambdaAdapter(aws.lambda).listVersions(FN);
        const all = Array.from({ length: 25 }, (_, i) => String(i + 1));
        const mayDelete = ["1", "2", ...Array.from({ length: 12 }, (_, i) => String(i + 4))]; // v3: beta; v16-v25: the newest 10
        const pulumiLog = path.join(dir, "pulumi.jsonl");

        const dry = await runCli(["prune", "-s", "prod", "--dry-run", "--json"], { fakePulumiLog: pulumiLog, env });
        expect(dry.code, dry.stderr).to.equal(0);
        const planned = JSON.parse(dry.stdout) as { functions: Record<string, { toDelete: string[]; deleted: string[] }> };
        expect(planned.functions.api.toDelete).to.deep.equal(mayDelete);
        expect(planned.functions.api.deleted).to.deep.equal([]);
        expect(await versions()).to.deep.equal(all);

        const run = await runCli(["prune", "-s", "prod", "-y"], { fakePulumiLog: pulumiLog, env });
        expect(run.code, run.stderr).to.equal(0);
        expect(await versions()).to.deep.equal(all.filter((v) => !mayDelete.includes(v)));
    });
});
