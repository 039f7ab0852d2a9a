import { expect } from "chai";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { sleep } from "../../../automation/timers";
import type { Clock } from "../../../automation/rollout/ports";
import { realClock } from "../../../automation/wiring/clock";
import {
    formatClockAnchor,
    parseClockAnchor,
    sandboxClockFrom,
    SANDBOX_CLOCK_ENV,
    scaledClock,
    wallClock,
} from "../../../automation/wiring/sandboxClock";
import { runCli } from "../../helpers/cli";

const ANCHOR = { simulatedMs: Date.parse("2026-01-05T09:00:00Z"), wallMs: Date.parse("2026-12-07T10:00:00Z"), speed: 60 };
const VALUE = formatClockAnchor(ANCHOR);

describe("the sandbox's clock, as the environment names it (read only by wiring/clock.ts)", () => {
    it("unset, realClock is the wall clock exactly as before: Date.now() and the overflow-safe sleep of automation/timers.ts", async () => {
        // This process is a real shell's: the variable is not set.
        expect(process.env[SANDBOX_CLOCK_ENV]).to.equal(undefined);
        expect(sandboxClockFrom({})).to.deep.equal({ kind: "unset" });
        expect(sandboxClockFrom({ [SANDBOX_CLOCK_ENV]: "" })).to.deep.equal({ kind: "unset" });
        expect(realClock).to.equal(wallClock);
        expect(realClock.sleep).to.equal(sleep);
        const before = Date.now();
        const now = realClock.now();
        expect(now).to.be.within(before, Date.now());
        const started = Date.now();
        await realClock.sleep(30);
        expect(Date.now() - started).to.be.at.least(25);
    });

    it("set with the sandbox's loopback endpoint, the clock runs at its speed from its anchor", async () => {
        let wallNow = ANCHOR.wallMs;
        const slept: number[] = [];
        const wall: Clock = { now: () => wallNow, sleep: async (ms) => void slept.push(ms) };
        const setting = sandboxClockFrom({ [SANDBOX_CLOCK_ENV]: VALUE, AWS_ENDPOINT_URL: "http://127.0.0.1:4567" }, wall);
        expect(setting.kind).to.equal("sandbox");
        const clock = (setting as { clock: Clock }).clock;
        expect(clock.now()).to.equal(ANCHOR.simulatedMs);
        wallNow += 10_000; // 10 real seconds: 10 sandbox minutes at 60x
        expect(clock.now()).to.equal(ANCHOR.simulatedMs + 600_000);
        await clock.sleep(600_000); // a 10-minute bake sleeps 10 real seconds
        expect(slept).to.deep.equal([10_000]);
        expect(scaledClock({ ...ANCHOR, speed: 1 }, wall).now()).to.equal(ANCHOR.simulatedMs + 10_000);
    });

    it("its value round-trips; a malformed one is refused, naming the variable and the valid form", () => {
        expect(VALUE).to.equal("simulated=2026-01-05T09:00:00.000Z wall=2026-12-07T10:00:00.000Z speed=60");
        expect(parseClockAnchor(VALUE)).to.deep.equal(ANCHOR);
        for (const bad of [
            "60",
            "simulated=x wall=y speed=60",
            VALUE.replace("speed=60", "speed=0"),
            VALUE.replace("speed=60", "speed=601"),
        ]) {
            const setting = sandboxClockFrom({ [SANDBOX_CLOCK_ENV]: bad, AWS_ENDPOINT_URL: "http://127.0.0.1:1" });
            expect(setting.kind, bad).to.equal("refused");
            expect((setting as { why: string }).why, bad).to.match(
                /^`LAMBDA_ROLLOUT_SANDBOX_CLOCK` \(got .*\): must be "simulated=<ISO time> wall=<ISO time> speed=<1-600>"/,
            );
        }
    });

    it("is refused unless every AWS endpoint the SDK would use is the sandbox's: a sped-up clock never meets real AWS", () => {
        const cases: [Record<string, string>, RegExp | undefined][] = [
            [{}, /`AWS_ENDPOINT_URL` \(unset\) is not the sandbox's/],
            [{ AWS_ENDPOINT_URL: "https://lambda.us-east-1.amazonaws.com" }, /`AWS_ENDPOINT_URL` \("https:\/\/lambda/],
            [{ AWS_ENDPOINT_URL: "http://localhost:4567" }, /`AWS_ENDPOINT_URL`/],
            [
                { AWS_ENDPOINT_URL: "http://127.0.0.1:4567", AWS_ENDPOINT_URL_LAMBDA: "https://lambda.eu-west-1.amazonaws.com" },
                /`AWS_ENDPOINT_URL_LAMBDA` \("https:\/\/lambda\.eu-west-1\.amazonaws\.com"\) is not the sandbox's/,
            ],
            [{ AWS_ENDPOINT_URL: "http://127.0.0.1:4567", AWS_ENDPOINT_URL_STS: "http://127.0.0.1:4567" }, undefined],
        ];
        for (const [env, why] of cases) {
            const setting = sandboxClockFrom({ [SANDBOX_CLOCK_ENV]: VALUE, ...env });
            if (why === undefined) expect(setting.kind, JSON.stringify(env)).to.equal("sandbox");
            else expect((setting as { why?: string }).why, JSON.stringify(env)).to.match(why);
        }
    });
});

describe("a verb given the sandbox's clock without the sandbox", function () {
    this.timeout(120_000);

    it("exits 2 naming the variable before the Pulumi CLI or AWS is asked anything", async () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "sandbox-clock-"));
        const log = path.join(dir, "pulumi.jsonl");
        try {
            const run = await runCli(["status", "-s", "prod"], { fakePulumiLog: log, env: { [SANDBOX_CLOCK_ENV]: VALUE } });
            expect(run.code, run.stderr).to.equal(2);
            expect(run.stderr).to.contain(
                "`LAMBDA_ROLLOUT_SANDBOX_CLOCK` is set (a sandbox's sped-up clock) but `AWS_ENDPOINT_URL` (unset)",
            );
            expect(run.stderr).to.contain("a rollout against real AWS would bake for seconds");
            expect(fs.existsSync(log)).to.equal(false);
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });
});
