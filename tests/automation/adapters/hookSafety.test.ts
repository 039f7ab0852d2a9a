import { expect } from "chai";
import * as fs from "node:fs";
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { HOOK_KILL_GRACE_MS, RealHookRunner, runCommand } from "../../../automation/adapters/hooks";
import {
    commandEnvironment,
    describeHook,
    hookFailureReason,
    runHooks,
    type Hook,
    type HookContext,
} from "../../../automation/rollout/hooks";
import type { InvokeResult } from "../../../automation/rollout/ports";

const CONTEXT: HookContext = {
    stack: "prod",
    point: "afterStep",
    step: 1,
    steps: 2,
    weight: 0.1,
    functions: [
        { key: "api", functionName: "lambda-rollout-prod-api", alias: "live", stable: { version: "1" }, candidate: { version: "2" } },
    ],
};
const hook = (h: Partial<Hook>): Hook => ({ timeout: 30, retries: 0, ...h }) as Hook;
const clock = { now: () => Date.now(), sleep: async () => undefined };

/** The tool's own environment in a CI job: its AWS session and Pulumi token among the rest. */
const JOB_ENV = {
    PATH: process.env.PATH,
    HOME: "/home/ci",
    AWS_ACCESS_KEY_ID: "AKIDJOB",
    AWS_SECRET_ACCESS_KEY: "job-secret",
    AWS_SESSION_TOKEN: "job-session",
    AWS_REGION: "us-east-1",
    PULUMI_ACCESS_TOKEN: "pul-job-token",
    PULUMI_CONFIG_PASSPHRASE: "passphrase",
    GITHUB_TOKEN: "ghs_job",
    NPM_TOKEN: "npm-token",
    LAMBDA_ROLLOUT_ACTOR: "someone",
};

/** Is any process of the group led by `pgid` still alive? */
function groupAlive(pgid: number): boolean {
    try {
        process.kill(-pgid, 0);
        return true;
    } catch {
        return false;
    }
}

async function until(check: () => boolean, ms: number): Promise<boolean> {
    const end = Date.now() + ms;
    while (Date.now() < end) {
        if (check()) return true;
        await new Promise((r) => setTimeout(r, 20));
    }
    return check();
}

describe("hooks: what a command hook may see (an allowlisted environment)", () => {
    it("a command hook that prints its environment shows no AWS_* or PULUMI_* variable of the job's, and a declared one passes", async () => {
        const out = await runCommand(hook({ command: "env", env: ["NPM_TOKEN", "AWS_REGION"] }), CONTEXT, 5000, {
            cwd: process.cwd(),
            env: JOB_ENV,
        });
        expect(out.passed, out.status).to.equal(true);
        const names = out.output.split("\n").map((l) => l.split("=")[0]);
        expect(names.filter((n) => /^(AWS_|PULUMI_)/.test(n))).to.deep.equal(["AWS_REGION"]);
        expect(out.output).not.to.match(/AKIDJOB|job-secret|job-session|pul-job-token|passphrase|ghs_job/);
        expect(out.output).to.contain("NPM_TOKEN=npm-token");
        expect(out.output).to.contain("HOME=/home/ci");
        expect(out.output).to.contain("LAMBDA_ROLLOUT_API_CANDIDATE_VERSION=2");
        // The tool's own LAMBDA_ROLLOUT_* variables are not the context: not passed unless declared.
        expect(out.output).not.to.contain("LAMBDA_ROLLOUT_ACTOR");
    });

    it("the rule, pure: PATH, HOME, the declared names that are set, then the context over them", () => {
        const env = commandEnvironment(
            { env: ["NPM_TOKEN", "UNSET_ONE", "LAMBDA_ROLLOUT_STACK"] },
            { ...JOB_ENV, LAMBDA_ROLLOUT_STACK: "forged" },
            CONTEXT,
        );
        expect(Object.keys(env).filter((k) => !k.startsWith("LAMBDA_ROLLOUT_"))).to.deep.equal(["PATH", "HOME", "NPM_TOKEN"]);
        expect(env.LAMBDA_ROLLOUT_STACK).to.equal("prod");
    });
});

describe("hooks: an interrupt stops a hook at once", function () {
    this.timeout(30_000);
    let dir: string;
    beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), "hook-interrupt-"))));
    afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

    it("SIGTERM to the whole process group of a command (what it started too), SIGKILL after the grace to what ignores it", async () => {
        const pidFile = path.join(dir, "pgid");
        // The shell starts a child that ignores SIGTERM and one that does not, then waits.
        const command = `echo $$ > ${pidFile}; (trap '' TERM; sleep 60) & sleep 60 & wait`;
        const controller = new AbortController();
        const started = Date.now();
        const attempt = runCommand(hook({ command }), CONTEXT, 60_000, { cwd: dir, env: { PATH: process.env.PATH } }, controller.signal);
        expect(await until(() => fs.existsSync(pidFile) && fs.readFileSync(pidFile, "utf8").trim() !== "", 5000)).to.equal(true);
        const pgid = Number(fs.readFileSync(pidFile, "utf8"));
        expect(groupAlive(pgid)).to.equal(true);
        controller.abort("SIGTERM");
        const out = await attempt;
        expect(out).to.deep.include({ passed: false, interrupted: true, status: "interrupted: its process group was sent SIGTERM" });
        expect(Date.now() - started).to.be.below(5000);
        // The attempt answered at once; the child that ignores SIGTERM is still there, and gone once the grace is over.
        expect(groupAlive(pgid)).to.equal(true);
        expect(await until(() => !groupAlive(pgid), HOOK_KILL_GRACE_MS + 3000)).to.equal(true);
    });

    it("a webhook's request and a Lambda hook's Invoke are aborted: the attempt answers interrupted, not failed", async () => {
        const server = http.createServer(() => undefined); // never answers
        await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
        const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/slow`;
        let invokeSignal: AbortSignal | undefined;
        const lambda = {
            invoke: (_f: string, _q: string | undefined, _p: unknown, signal?: AbortSignal): Promise<InvokeResult> => {
                invokeSignal = signal;
                return new Promise(() => undefined); // never answers
            },
        };
        const runner = new RealHookRunner(lambda, { cwd: dir, env: {} });
        try {
            const controller = new AbortController();
            const webhook = runner.attempt(hook({ webhook: { url } }), CONTEXT, 60_000, controller.signal);
            const invoke = runner.attempt(hook({ lambda: "checks:live" }), CONTEXT, 60_000, controller.signal);
            await new Promise((r) => setTimeout(r, 200));
            controller.abort("SIGINT");
            expect(await webhook).to.deep.include({ passed: false, interrupted: true, status: "interrupted: the request was aborted" });
            expect(await invoke).to.deep.include({ passed: false, interrupted: true, status: "interrupted: the Invoke was aborted" });
            expect(invokeSignal?.aborted).to.equal(true);
        } finally {
            server.closeAllConnections();
            await new Promise((r) => server.close(r));
        }
    });

    it("runHooks stops at the interrupted hook: recorded `interrupted` (not failed), the next hook never starts, no retry", async () => {
        const marker = path.join(dir, "second-ran");
        const controller = new AbortController();
        const runner = new RealHookRunner({ invoke: async () => ({ payload: {} }) }, { cwd: dir, env: { PATH: process.env.PATH } });
        setTimeout(() => controller.abort("SIGTERM"), 300);
        const outcome = await runHooks(
            runner,
            [hook({ name: "slow", command: "sleep 30", retries: 3 }), hook({ name: "next", command: `touch ${marker}` })],
            CONTEXT,
            clock,
            () => 4.5,
            controller.signal,
        );
        expect(outcome.failed).to.equal(undefined);
        expect(outcome.interrupted).to.include({ name: "slow", outcome: "interrupted", attempts: 1 });
        expect(outcome.records).to.have.length(1);
        expect(fs.existsSync(marker)).to.equal(false);
    });
});

describe("hooks: a webhook's URL from the environment is checked when the hook runs", () => {
    it("plain http to another host is refused without sending, naming the variable, never the URL", async () => {
        const runner = new RealHookRunner(
            { invoke: async () => ({ payload: {} }) },
            {
                cwd: process.cwd(),
                env: { CHECKS_URL: "http://checks.example.com/hook/s3cr3t" },
            },
        );
        const out = await runner.attempt(hook({ webhook: { urlEnv: "CHECKS_URL" } }), CONTEXT, 5000);
        expect(out).to.deep.equal({
            passed: false,
            status: "not sent: the URL in CHECKS_URL is plain http to a host that is not loopback; must be an https URL (plain http only to a loopback host: 127.0.0.0/8, [::1] or localhost)",
            output: "",
        });
    });
});

describe("hooks: what a hook prints cannot inject (control characters, escapes; never in the rollback's reason)", () => {
    it("the report keeps the output without control characters; the reason carries the name and exit status only", async () => {
        const runner = new RealHookRunner(
            { invoke: async () => ({ payload: {} }) },
            { cwd: process.cwd(), env: { PATH: process.env.PATH } },
        );
        const printed = String.raw`printf '\033[2J\033]0;pwned\007tests \033[31mFAILED\033[0m\r\nsee [docs](https://evil.example) | x\n'; exit 4`;
        const { failed } = await runHooks(runner, [hook({ name: "integration", command: printed })], CONTEXT, clock, () => 3);
        expect(failed).to.include({ outcome: "failed", status: "exit 4" });
        expect(failed!.output).to.equal("tests FAILED\nsee [docs](https://evil.example) | x");
        expect(hookFailureReason(failed!)).to.equal("afterStep hook integration failed after step 1: exit 4");
        expect(describeHook(failed!)).to.match(
            /^afterStep hook integration \(command\) failed in [\d.]+m?s: exit 4: tests FAILED see \[docs\]\(https:\/\/evil\.example\) \| x$/,
        );
        // eslint-disable-next-line no-control-regex
        expect(describeHook(failed!)).not.to.match(/[\x00-\x1f\x7f-\x9f]/);
    });
});
