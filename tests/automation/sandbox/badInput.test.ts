import { expect } from "chai";
import * as fs from "fs";
import * as net from "net";
import * as os from "os";
import * as path from "path";
import { UsageError } from "../../../automation/errors";
import { exportLines, processEnvironment, shellQuote, sandboxAccessKey } from "../../../automation/sandbox/environment";
import { parsePort, parseSpeed, realDuration } from "../../../automation/sandbox/options";
import { principalFor } from "../../../automation/simulator/stsApi";
import { runCli } from "../../helpers/cli";

describe("sandbox: its flags, checked before anything starts", () => {
    it("--speed: 1 to 600 (default 60); anything else names the flag and what is valid", () => {
        expect(parseSpeed(undefined)).to.equal(60);
        expect(parseSpeed("1")).to.equal(1);
        expect(parseSpeed("600")).to.equal(600);
        expect(parseSpeed("2.5")).to.equal(2.5);
        for (const bad of ["0", "0.5", "601", "fast", "", "-60", "1e3", "Infinity"]) {
            expect(() => parseSpeed(bad), bad)
                .to.throw(UsageError)
                .with.property("message")
                .that.matches(/^`--speed` \(got .*\): must be a number from 1 \(real time\) to 600/);
        }
    });

    it("--port: 1 to 65535, else one the system picks", () => {
        expect(parsePort(undefined)).to.equal(undefined);
        expect(parsePort("8080")).to.equal(8080);
        for (const bad of ["0", "65536", "http", "80.5", "-1", "123456"]) {
            expect(() => parsePort(bad), bad).to.throw(UsageError, /^`--port` \(got .*\): must be a TCP port from 1 to 65535/);
        }
    });

    it("says how long sandbox time takes for real", () => {
        expect(realDuration(10, 60)).to.equal("10 s");
        expect(realDuration(10, 1)).to.equal("10 min");
        expect(realDuration(10, 600)).to.equal("1 s");
    });
});

describe("sandbox: the environment it prints", () => {
    const parts = {
        endpoint: "http://127.0.0.1:4567",
        binDir: "/tmp/lambda-rollout-sandbox-x/bin",
        stack: "prod",
        region: "us-east-1",
        clock: "simulated=2026-01-05T09:00:00.000Z wall=2026-12-07T10:00:00.000Z speed=60",
        accessKeyId: "lambda-rollout-sandbox.alice",
    };

    it("one export a variable, quoted for a shell, the stand-in first on PATH, a real session token unset", () => {
        expect(exportLines(parts)).to.deep.equal([
            "unset AWS_SESSION_TOKEN AWS_PROFILE",
            "export AWS_ENDPOINT_URL=http://127.0.0.1:4567",
            "export AWS_ACCESS_KEY_ID=lambda-rollout-sandbox.alice",
            "export AWS_SECRET_ACCESS_KEY=sandbox-not-a-secret",
            "export AWS_REGION=us-east-1",
            "export AWS_EC2_METADATA_DISABLED=true",
            "export PULUMI_STACK=prod",
            "export LAMBDA_ROLLOUT_SANDBOX_CLOCK='simulated=2026-01-05T09:00:00.000Z wall=2026-12-07T10:00:00.000Z speed=60'",
            'export PATH=/tmp/lambda-rollout-sandbox-x/bin:"$PATH"',
        ]);
        expect(shellQuote("it's")).to.equal(`'it'\\''s'`);
        const env = processEnvironment(parts, { PATH: "/usr/bin", AWS_SESSION_TOKEN: "real", HOME: "/home/a" });
        expect(env).to.include({ PATH: "/tmp/lambda-rollout-sandbox-x/bin:/usr/bin", HOME: "/home/a", AWS_ENDPOINT_URL: parts.endpoint });
        expect(env).not.to.have.property("AWS_SESSION_TOKEN");
    });

    it("the access key is a role session the simulated STS names, whatever the user's name", () => {
        for (const user of ["alice", "first.last", "dom\\user", "x"]) {
            const arn = principalFor(sandboxAccessKey(user)).Arn;
            expect(arn, user).to.match(/^arn:aws:sts::123456789012:assumed-role\/lambda-rollout-sandbox\/[\w+=,@-]{2,64}$/);
        }
    });
});

/**
 * The verb with bad input, in a process of its own: exit 2, a message naming the flag, nothing printed on stdout
 * (no environment), no port left open and no file written (its TMPDIR stays empty).
 */
describe("sandbox: bad input exits 2, names the flag and touches nothing", function () {
    this.timeout(180_000);
    let tmp: string;
    beforeEach(() => (tmp = fs.mkdtempSync(path.join(os.tmpdir(), "sandbox-bad-"))));
    afterEach(() => fs.rmSync(tmp, { recursive: true, force: true }));

    const refused = async (args: string[], names: RegExp) => {
        const run = await runCli(["sandbox", ...args], { env: { TMPDIR: tmp } });
        expect(run.code, run.stderr).to.equal(2);
        expect(run.stderr).to.match(names);
        expect(run.stdout).to.equal("");
        // (tsx keeps its compile cache there; nothing else may appear)
        expect(fs.readdirSync(tmp).filter((f) => !f.startsWith("tsx-"))).to.deep.equal([]);
    };

    it("--speed out of bounds, or not a number", async () => {
        await refused(["-s", "prod", "--scenario", "healthy", "--speed", "0"], /`--speed` \(got "0"\): must be a number from 1/);
        await refused(["-s", "prod", "--scenario", "healthy", "--speed", "fast"], /`--speed` \(got "fast"\)/);
    });

    it("--port out of bounds, or one in use on 127.0.0.1", async () => {
        await refused(
            ["-s", "prod", "--scenario", "healthy", "--port", "70000"],
            /`--port` \(got "70000"\): must be a TCP port from 1 to 65535/,
        );
        const taken = net.createServer();
        await new Promise<void>((resolve) => taken.listen(0, "127.0.0.1", resolve));
        const { port } = taken.address() as net.AddressInfo;
        try {
            await refused(
                ["-s", "prod", "--scenario", "healthy", "--port", String(port)],
                new RegExp(`\`--port\` \\(got ${port}\\): 127.0.0.1:${port} cannot be listened on \\(in use\\)`),
            );
        } finally {
            taken.close();
        }
    });

    it("a scenario that cannot be read, or names a function the stack lacks; no --scenario at all", async () => {
        await refused(
            ["-s", "prod", "--scenario", path.join(tmp, "..", "no-such-scenario.json")],
            /`--scenario` \(got ".*no-such-scenario\.json"\): no such file, and no scenario of that name ships with lambda-rollout; give a scenario file's path, or a shipped one's name: .*\bbad-canary\b.*\bhealthy\b/,
        );
        const scenario = path.join(os.tmpdir(), `sandbox-bad-scenario-${process.pid}.json`);
        fs.writeFileSync(
            scenario,
            JSON.stringify({
                name: "wrong-function",
                seed: 1,
                requestsPerMinute: 60,
                metricDelayMinutes: 2,
                functions: {
                    worker: {
                        stable: { errorRate: 0.002, p50Ms: 80, p99Ms: 400 },
                        candidate: { errorRate: 0.002, p50Ms: 80, p99Ms: 400 },
                        smokeTest: "pass",
                    },
                },
            }),
        );
        try {
            await refused(["-s", "prod", "--scenario", scenario], /names function "worker", which stack prod does not have/);
        } finally {
            fs.rmSync(scenario, { force: true });
        }
        await refused(["-s", "prod"], /required option '--scenario <file>' not specified/);
    });
});

describe("sandbox: its help", function () {
    this.timeout(60_000);

    it("shows its flags, an example and the exit codes it ends with, from the one table", async () => {
        const run = await runCli(["sandbox", "--help"]);
        expect(run.code, run.stderr).to.equal(0);
        for (const flag of ["--scenario <file>", "--speed <factor>", "--port <port>", "--json", "--config-file <file>"])
            expect(run.stdout).to.contain(flag);
        expect(run.stdout).to.contain("Examples:\n  $ lambda-rollout sandbox -s prod --scenario healthy\n");
        const codes = [...run.stdout.slice(run.stdout.indexOf("Exit codes:")).matchAll(/^\s+(\d+) {2}/gm)].map((m) => Number(m[1]));
        expect(codes).to.deep.equal([0, 2, 70]);
    });
});
