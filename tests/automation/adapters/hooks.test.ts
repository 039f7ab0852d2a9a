import { expect } from "chai";
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import { RealHookRunner, splitQualifier } from "../../../automation/adapters/hooks";
import { hookEnvironment, runHooks, type Hook, type HookContext } from "../../../automation/rollout/hooks";
import type { InvokeResult } from "../../../automation/rollout/ports";

const CONTEXT: HookContext = {
    stack: "prod",
    point: "afterStep",
    step: 2,
    steps: 3,
    weight: 0.5,
    functions: [
        {
            key: "api",
            functionName: "lambda-rollout-prod-api",
            alias: "live",
            stable: { version: "7", arn: "arn:aws:lambda:us-east-1:123456789012:function:lambda-rollout-prod-api:7" },
            candidate: { version: "8", arn: "arn:aws:lambda:us-east-1:123456789012:function:lambda-rollout-prod-api:8" },
        },
    ],
};
const hook = (h: Partial<Hook>): Hook => ({ timeout: 5, retries: 0, ...h }) as Hook;
const clock = { now: () => Date.now(), sleep: async () => undefined };

/** A webhook receiver on 127.0.0.1 answering each POST with the next status (the last one repeats). */
async function receiver(statuses: number[], delayMs = 0) {
    const bodies: unknown[] = [];
    const server = http.createServer((req, res) => {
        let body = "";
        req.on("data", (c) => (body += c));
        req.on("end", () => {
            bodies.push(JSON.parse(body));
            const status = statuses.length > 1 ? statuses.shift()! : statuses[0];
            setTimeout(
                () => res.writeHead(status, { "content-type": "text/plain" }).end(status === 200 ? "ok" : "synthetic check failed"),
                delayMs,
            );
        });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks/s3cr3t-token`;
    return { url, bodies, close: () => new Promise((r) => server.close(r)) };
}

class RecordingLambda {
    invokes: { functionName: string; version: string | undefined; payload: unknown }[] = [];
    constructor(private readonly answer: InvokeResult) {}
    async invoke(functionName: string, version: string | undefined, payload: unknown): Promise<InvokeResult> {
        this.invokes.push({ functionName, version, payload });
        return this.answer;
    }
}

describe("hooks: the real runner (a webhook on 127.0.0.1, a recorded Lambda, real commands)", () => {
    const runner = (env: NodeJS.ProcessEnv = {}, lambda = new RecordingLambda({ payload: { ok: true } })) =>
        new RealHookRunner(lambda, { cwd: process.cwd(), env });

    it("a webhook gets the context as JSON (versions and ARNs) and passes on 2xx", async () => {
        const r = await receiver([200]);
        try {
            const out = await runner().attempt(hook({ webhook: { url: r.url } }), CONTEXT, 2000);
            expect(out).to.deep.equal({ passed: true, status: "HTTP 200", output: "ok" });
            expect(r.bodies).to.deep.equal([CONTEXT]);
        } finally {
            await r.close();
        }
    });

    it("a webhook that answers 500 fails with its answer; retries run until one passes", async () => {
        const r = await receiver([500, 500, 200]);
        try {
            const once = await runHooks(runner(), [hook({ name: "synthetic", webhook: { url: r.url } })], CONTEXT, clock, () => 21.5);
            expect(once.failed).to.include({
                name: "synthetic",
                outcome: "failed",
                attempts: 1,
                status: "HTTP 500",
                output: "synthetic check failed",
            });
            const retried = await runHooks(
                runner(),
                [hook({ name: "synthetic", webhook: { url: r.url }, retries: 2 })],
                CONTEXT,
                clock,
                () => 21.5,
            );
            expect(retried.failed).to.equal(undefined);
            expect(retried.records[0]).to.include({ outcome: "passed", attempts: 2, point: "afterStep", step: 2, kind: "webhook" });
        } finally {
            await r.close();
        }
    });

    it("a slow webhook times out; a dead one fails; the URL (which may hold a secret) is never in the output", async () => {
        const r = await receiver([200], 1000);
        const env = { DEPLOY_CHECK_URL: r.url };
        try {
            const slow = await runner(env).attempt(hook({ webhook: { urlEnv: "DEPLOY_CHECK_URL" } }), CONTEXT, 200);
            expect(slow).to.deep.equal({ passed: false, status: "timed out after 0.2s", output: "" });
        } finally {
            await r.close();
        }
        const dead = await runner(env).attempt(hook({ webhook: { urlEnv: "DEPLOY_CHECK_URL" } }), CONTEXT, 2000);
        expect(dead.passed).to.equal(false);
        expect(dead.status).to.match(/^could not connect \(ECONNREFUSED\)$/);
        expect(JSON.stringify(dead)).not.to.include("s3cr3t");
        const unset = await runner({}).attempt(hook({ webhook: { urlEnv: "DEPLOY_CHECK_URL" } }), CONTEXT, 2000);
        expect(unset.status).to.equal("environment variable DEPLOY_CHECK_URL is not set: it holds the webhook's URL");
    });

    it("a Lambda hook is invoked with the context naming the exact candidate version (unlike CodeDeploy's hooks)", async () => {
        const lambda = new RecordingLambda({ payload: { passed: true } });
        const out = await runner({}, lambda).attempt(hook({ lambda: "deploy-checks:live" }), CONTEXT, 2000);
        expect(out.passed).to.equal(true);
        expect(lambda.invokes).to.have.length(1);
        expect(lambda.invokes[0]).to.include({ functionName: "deploy-checks", version: "live" });
        const sent = lambda.invokes[0].payload as HookContext;
        expect(sent.functions[0].candidate).to.deep.equal(CONTEXT.functions[0].candidate);
        expect(sent).to.include({ point: "afterStep", step: 2, weight: 0.5 });
    });

    it("a Lambda hook fails on a function error or on {passed: false}", async () => {
        const errored = await runner({}, new RecordingLambda({ functionError: "Unhandled", payload: { errorMessage: "boom" } })).attempt(
            hook({ lambda: "checks" }),
            CONTEXT,
            2000,
        );
        expect(errored).to.deep.equal({ passed: false, status: "function error (Unhandled)", output: '{"errorMessage":"boom"}' });
        const refused = await runner({}, new RecordingLambda({ payload: { passed: false, why: "p95 too high" } })).attempt(
            hook({ lambda: "checks" }),
            CONTEXT,
            2000,
        );
        expect(refused.passed).to.equal(false);
    });

    it("a command hook sees the context in LAMBDA_ROLLOUT_* variables; exit 0 passes, any other exit or the timeout fails", async () => {
        const ok = await runner().attempt(
            hook({
                command:
                    'test "$LAMBDA_ROLLOUT_API_CANDIDATE_VERSION" = 8 && test "$LAMBDA_ROLLOUT_STEP" = 2 && echo checked $LAMBDA_ROLLOUT_API_FUNCTION',
            }),
            CONTEXT,
            5000,
        );
        expect(ok).to.deep.equal({ passed: true, status: "exit 0", output: "checked lambda-rollout-prod-api" });
        const failed = await runner().attempt(hook({ command: "echo integration tests failed >&2; exit 3" }), CONTEXT, 5000);
        expect(failed).to.deep.equal({ passed: false, status: "exit 3", output: "integration tests failed" });
        const slow = await runner().attempt(hook({ command: "sleep 5" }), CONTEXT, 300);
        expect(slow).to.deep.equal({ passed: false, status: "timed out after 0.3s", output: "" });
    });

    it("the environment of a command hook, and where a qualifier goes", () => {
        const env = hookEnvironment(CONTEXT);
        expect(env).to.include({
            LAMBDA_ROLLOUT_STACK: "prod",
            LAMBDA_ROLLOUT_POINT: "afterStep",
            LAMBDA_ROLLOUT_STEP: "2",
            LAMBDA_ROLLOUT_WEIGHT: "0.5",
            LAMBDA_ROLLOUT_FUNCTIONS: "api",
            LAMBDA_ROLLOUT_API_STABLE_VERSION: "7",
            LAMBDA_ROLLOUT_API_CANDIDATE_ARN: "arn:aws:lambda:us-east-1:123456789012:function:lambda-rollout-prod-api:8",
        });
        expect(JSON.parse(env.LAMBDA_ROLLOUT_CONTEXT)).to.deep.equal(CONTEXT);
        expect(splitQualifier("checks")).to.deep.equal({ functionName: "checks" });
        expect(splitQualifier("checks:live")).to.deep.equal({ functionName: "checks", qualifier: "live" });
        expect(splitQualifier("arn:aws:lambda:us-east-1:1:function:checks:3")).to.deep.equal({
            functionName: "arn:aws:lambda:us-east-1:1:function:checks",
            qualifier: "3",
        });
        expect(splitQualifier("arn:aws:lambda:us-east-1:1:function:checks")).to.deep.equal({
            functionName: "arn:aws:lambda:us-east-1:1:function:checks",
        });
    });

    it("onRollback hooks all run and only report; at other points the first failure stops the rest", async () => {
        const failing = hook({ name: "first", command: "exit 1" });
        const second = hook({ name: "second", command: "true" });
        const after = await runHooks(runner(), [failing, second], CONTEXT, clock, () => 1);
        expect(after.records.map((r) => r.name)).to.deep.equal(["first"]);
        const onRollback = await runHooks(runner(), [failing, second], { ...CONTEXT, point: "onRollback" }, clock, () => 1);
        expect(onRollback.records.map((r) => [r.name, r.outcome])).to.deep.equal([
            ["first", "failed"],
            ["second", "passed"],
        ]);
        expect(onRollback.failed).to.equal(undefined);
    });
});
