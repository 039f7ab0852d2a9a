import { expect } from "chai";
import { UsageError } from "../../../automation/errors";
import { promote } from "../../../automation/rollout/promote";
import { backoffDelay, credentialsProblem, isRetryable, ROLLBACK_RETRY } from "../../../automation/rollout/retry";
import { decodeState, encodeState, MAX_DESCRIPTION, type RolloutState } from "../../../domain/state";
import { updateAliasCommand } from "../../../automation/rollout/traffic";
import { FakeLambda, FakeMetrics, FakeStack, fakeClock, memoryLog, outputsFor, PROD_POLICY } from "../../helpers/fakes";

const API = "lambda-rollout-prod-api";
const WORKER = "lambda-rollout-prod-worker";
const MIN = 60_000;

function setup(options: { keys?: string[]; rates?: Record<string, { stable: number; candidate: number }>; policy?: unknown } = {}) {
    const keys = options.keys ?? ["api"];
    const lambda = new FakeLambda();
    for (const k of keys) lambda.aliases.set(`lambda-rollout-prod-${k}`, { functionVersion: "7", additionalVersionWeights: {} });
    const stack = new FakeStack(lambda, outputsFor(keys, options.policy ?? PROD_POLICY));
    const rates = options.rates ?? Object.fromEntries(keys.map((k) => [k, { stable: 0.002, candidate: 0.002 }]));
    const metrics = new FakeMetrics(lambda, rates, 300);
    const { clock, drive } = fakeClock();
    const log = memoryLog();
    const controller = new AbortController();
    /** Runs `action` at virtual minute `m` of the test. */
    const at = (m: number, action: () => void) => void clock.sleep(m * MIN).then(action);
    return { lambda, stack, metrics, clock, drive, log, controller, at, deps: { stack, lambda, metrics, clock, log, random: () => 0.5 } };
}

const conflict = () =>
    Object.assign(new Error("The operation cannot be performed at this time. An update is in progress for resource"), {
        name: "ResourceConflictException",
        $fault: "client",
        $metadata: { httpStatusCode: 409 },
    });

describe("the rollout state on the alias (pure)", () => {
    const state: RolloutState = {
        phase: "baking",
        stable: "1",
        candidate: "2",
        step: 3,
        steps: 3,
        weight: 1,
        since: Date.UTC(2026, 0, 5, 14, 2),
    };

    it("round-trips through the description and fits Lambda's 256 characters, a long reason cut to fit", () => {
        expect(decodeState(encodeState(state))).to.deep.equal(state);
        const long = encodeState({ ...state, phase: "rolling-back", reason: `api: "${"x".repeat(400)}"` });
        expect(long.length).to.be.at.most(MAX_DESCRIPTION);
        expect(decodeState(long)?.reason).to.match(/^api: "x+$/);
    });

    it("ignores a description that is not a state (a person's text, an older format)", () => {
        expect(decodeState("Traffic of this function, moved by lambda-rollout")).to.equal(undefined);
        expect(decodeState('lambda-rollout/1 {"p":"flying"}')).to.equal(undefined);
    });
});

describe("retrying what must land (pure)", () => {
    it("retries throttling, conflicts and server faults; never credentials or bad requests", () => {
        expect(isRetryable(conflict())).to.equal(true);
        expect(isRetryable({ name: "TooManyRequestsException" })).to.equal(true);
        expect(isRetryable({ name: "Whatever", $fault: "server", $metadata: { httpStatusCode: 503 } })).to.equal(true);
        expect(isRetryable({ name: "ExpiredTokenException", $metadata: { httpStatusCode: 403 } })).to.equal(false);
        expect(isRetryable({ name: "ValidationException", $fault: "client", $metadata: { httpStatusCode: 400 } })).to.equal(false);
    });
    it("names expired and missing credentials as such", () => {
        expect(credentialsProblem({ name: "ExpiredTokenException" })).to.equal("the AWS credentials have expired (ExpiredTokenException)");
        expect(credentialsProblem({ name: "CredentialsProviderError" })).to.equal(
            "no AWS credentials were found (CredentialsProviderError)",
        );
        expect(credentialsProblem({ name: "ThrottlingException" })).to.equal(undefined);
    });
    it("backs off exponentially with full jitter, capped", () => {
        expect([0, 1, 2, 3, 4, 5, 10].map((a) => backoffDelay(a, ROLLBACK_RETRY, () => 0.999999))).to.deep.equal([
            249, 499, 999, 1999, 3999, 3999, 3999,
        ]);
        expect(backoffDelay(3, ROLLBACK_RETRY, () => 0)).to.equal(0);
    });
    it("prints the exact AWS CLI command that puts a function's traffic on stable", () => {
        expect(updateAliasCommand({ functionName: API, aliasName: "live", to: "7" }, "us-east-1")).to.equal(
            `aws lambda update-alias --function-name ${API} --name live --function-version 7 --routing-config '{"AdditionalVersionWeights":{}}' --region us-east-1`,
        );
    });
});

describe("fault-safe rollouts (the loop, with fakes)", () => {
    it("a promote killed in the last (100%) bake and run again re-bakes 100% with the recorded stable as the rollback target, and rolls back a late regression", async () => {
        const t = setup();
        // What the first run left: all traffic on v8, the state saying step 3/3 is baking with v7 kept.
        t.lambda.aliases.set(API, {
            functionVersion: "8",
            additionalVersionWeights: {},
            description: encodeState({
                phase: "baking",
                stable: "7",
                candidate: "8",
                step: 3,
                steps: 3,
                weight: 1,
                since: t.clock.now() - 4 * MIN,
            }),
        });
        t.metrics.errorRates.api = { stable: 0.002, candidate: 0.05 };
        const result = await t.drive(promote(t.deps, { stackName: "prod" }));
        expect(result.report.outcome).to.equal("rolled-back");
        expect(result.exitCode).to.equal(1);
        expect(result.report.functions.api).to.deep.include({ stable: "7", candidate: "8", finalRouting: { "7": 1 } });
        expect(t.log.lines.join("\n")).to.contain("rollback target from the recorded rollout: api v7");
        expect(t.lambda.aliases.get(API)).to.deep.include({ functionVersion: "7", additionalVersionWeights: {} });
    });

    it("without a recorded state, an alias on the candidate is a finished promotion: nothing to do", async () => {
        const t = setup();
        t.lambda.aliases.set(API, { functionVersion: "8", additionalVersionWeights: {} });
        const result = await t.drive(promote(t.deps, { stackName: "prod" }));
        expect(result.report.outcome).to.equal("nothing-to-do");
    });

    it("completes a rollback that was decided but not carried out (the run died in between)", async () => {
        const t = setup();
        t.lambda.aliases.set(API, {
            functionVersion: "7",
            additionalVersionWeights: { "8": 0.5 },
            description: encodeState({
                phase: "rolling-back",
                stable: "7",
                candidate: "8",
                step: 2,
                steps: 3,
                weight: 0.5,
                since: t.clock.now(),
                reason: "api: error rate above 1%",
            }),
        });
        const result = await t.drive(promote(t.deps, { stackName: "prod" }));
        expect(result.report.outcome).to.equal("rolled-back");
        expect(result.exitCode).to.equal(1);
        expect(t.lambda.invokes).to.deep.equal([]);
        expect(t.lambda.aliases.get(API)).to.deep.include({ functionVersion: "7", additionalVersionWeights: {} });
        expect(decodeState(t.lambda.aliases.get(API)!.description)?.phase).to.equal("rolled-back");
    });

    it("a candidate that was rolled back is not rolled out again by a plain re-run (exit 1), only with --retry", async () => {
        const t = setup();
        t.lambda.aliases.set(API, {
            functionVersion: "7",
            additionalVersionWeights: {},
            description: encodeState({
                phase: "rolled-back",
                stable: "7",
                candidate: "8",
                step: 1,
                steps: 3,
                weight: 0.1,
                since: t.clock.now(),
                reason: "api: error rate above 1%",
            }),
        });
        const again = await t.drive(promote(t.deps, { stackName: "prod" }));
        expect(again.report.outcome).to.equal("rolled-back");
        expect(again.exitCode).to.equal(1);
        expect(t.stack.ups).to.deep.equal([]);
        expect(t.log.lines.join("\n")).to.contain("pass --retry to start again from the first step");
        const retried = await t.drive(promote(t.deps, { stackName: "prod", retry: true }));
        expect(retried.report.outcome).to.equal("promoted");
        expect(t.stack.ups.map((u) => u.weight)).to.deep.equal([0.1, 0.5, 1]);
    });

    it("a series answered InternalError is no evidence, never zero errors: a 5% candidate is never promoted", async () => {
        const t = setup({ rates: { api: { stable: 0.002, candidate: 0.05 } } });
        t.metrics.unreadable.set("api", "candidate Errors: InternalError");
        // With the errors unreadable the fake reports zero; the gate must not believe it.
        t.metrics.errorRates.api = { stable: 0, candidate: 0 };
        t.metrics.alarmsUnreadable = true;
        const result = await t.drive(promote(t.deps, { stackName: "prod" }));
        expect(result.report.outcome).to.equal("rolled-back");
        expect(result.report.steps[0]).to.include({ weight: 0.1, verdict: "inconclusive" });
        expect(result.report.steps[0].reason).to.contain("candidate Errors: InternalError");
        expect(t.stack.ups.map((u) => u.weight)).to.deep.equal([0.1, 0]);
    });

    it("alarm states that cannot be read are no evidence for the functions they guard, never a passing alarm", async () => {
        const t = setup();
        t.metrics.alarmsUnreadable = true;
        const result = await t.drive(promote(t.deps, { stackName: "prod" }));
        expect(result.report.outcome).to.equal("rolled-back");
        expect(result.report.steps[0].reason).to.contain("alarm states unreadable (Throttling: Rate exceeded)");
    });

    it("retries a conflicting UpdateAlias with backoff, and one function failing for good does not stop the others", async () => {
        const t = setup({
            keys: ["api", "worker"],
            rates: { api: { stable: 0.002, candidate: 0.002 }, worker: { stable: 0.002, candidate: 0.2 } },
        });
        t.lambda.updateFailures.set(WORKER, [conflict(), conflict(), conflict()]);
        t.lambda.updateFailures.set(API, Array.from({ length: 200 }, conflict));
        t.stack.lockedFromUp = 2; // the rollback's up cannot help either
        const result = await t.drive(promote(t.deps, { stackName: "prod" }));
        expect(t.lambda.aliases.get(WORKER)).to.deep.include({ functionVersion: "7", additionalVersionWeights: {} });
        expect(t.lambda.aliases.get(API)?.additionalVersionWeights).to.deep.equal({ "8": 0.1 });
        expect(result.report.outcome).to.equal("failed");
        expect(result.exitCode).to.equal(3);
        expect(result.report.functions.worker.finalRouting).to.deep.equal({ "7": 1 });
        expect(result.report.functions.api.finalRouting).to.deep.equal({ "7": 0.9, "8": 0.1 });
        expect(result.report.functions.api.manualRollback).to.equal(
            `aws lambda update-alias --function-name ${API} --name live --function-version 7 --routing-config '{"AdditionalVersionWeights":{}}' --region us-east-1`,
        );
        expect(t.log.lines.join("\n")).to.contain(`ROLLBACK DID NOT LAND for api`);
    });

    it("expired credentials are named as such; the rollout stops watching blind at once, and the report says where traffic is: unknown", async () => {
        const t = setup();
        t.at(15, () => {
            t.lambda.credentialsExpired = true;
            t.metrics.credentialsExpired = true;
        });
        const result = await t.drive(promote(t.deps, { stackName: "prod" }));
        expect(result.report.outcome).to.equal("failed");
        expect(result.exitCode).to.equal(3);
        expect(result.report.decisionAtMinute).to.be.below(16);
        expect(result.report.steps.at(-1)!.reason).to.match(/^the AWS credentials have expired \(ExpiredTokenException\): cannot read/);
        expect(result.report.functions.api.finalRouting).to.equal("unknown");
        expect(result.report.functions.api.finalRoutingError).to.equal("the AWS credentials have expired (ExpiredTokenException)");
        expect(result.report.functions.api.manualRollback).to.contain("aws lambda update-alias");
        expect(t.log.lines.join("\n")).not.to.contain("0 of 5 candidate invocations");
    });

    it("SIGINT during a bake: nothing moves forward, all traffic back on stable through the Lambda API at once, outcome aborted, exit 130", async () => {
        const t = setup();
        t.at(15, () => t.controller.abort("SIGINT"));
        const result = await t.drive(promote({ ...t.deps, signal: t.controller.signal }, { stackName: "prod" }));
        expect(result.report.outcome).to.equal("aborted");
        expect(result.exitCode).to.equal(130);
        expect(result.report.interrupt).to.equal("SIGINT");
        expect(result.report.decisionAtMinute).to.equal(15);
        expect(result.report.stableAtMinute).to.equal(15);
        expect(t.stack.ups.map((u) => u.weight)).to.deep.equal([0.1, 0.5]);
        expect(t.lambda.aliases.get(API)).to.deep.include({ functionVersion: "7", additionalVersionWeights: {} });
        expect(decodeState(t.lambda.aliases.get(API)!.description)).to.include({ phase: "aborted", stable: "7", candidate: "8" });
    });

    it("SIGINT before any traffic moved (during the confirmation or the smoke test): aborted, nothing written to AWS", async () => {
        const t = setup();
        t.controller.abort("SIGINT");
        const result = await t.drive(promote({ ...t.deps, signal: t.controller.signal }, { stackName: "prod" }));
        expect(result.report.outcome).to.equal("aborted");
        expect(result.exitCode).to.equal(130);
        expect(t.lambda.updates).to.deep.equal([]);
        expect(t.lambda.stateWrites).to.deep.equal([]);
        expect(t.stack.ups).to.deep.equal([]);
    });

    it("SIGTERM with --on-interrupt hold keeps the weight, records it held, exit 143; a promote run again resumes it", async () => {
        const t = setup();
        t.at(15, () => t.controller.abort("SIGTERM"));
        const held = await t.drive(promote({ ...t.deps, signal: t.controller.signal }, { stackName: "prod", onInterrupt: "hold" }));
        expect(held.report.outcome).to.equal("held");
        expect(held.exitCode).to.equal(143);
        expect(t.lambda.aliases.get(API)?.additionalVersionWeights).to.deep.equal({ "8": 0.5 });
        expect(decodeState(t.lambda.aliases.get(API)!.description)).to.include({ phase: "held", stable: "7", weight: 0.5 });
        const resumed = await t.drive(promote(t.deps, { stackName: "prod" }));
        expect(resumed.report.outcome).to.equal("promoted");
        expect(resumed.report.steps.map((s) => s.weight)).to.deep.equal([0.5, 1]);
    });

    it("a step whose bake is written 0s passes without a gate, with a warning in the plan and the report", async () => {
        const policy = {
            ...PROD_POLICY,
            canary: {
                steps: [
                    { weight: 10, bake: 600 },
                    { weight: 100, bake: 0 },
                ],
            },
        };
        const t = setup({ policy });
        const result = await t.drive(promote(t.deps, { stackName: "prod" }));
        expect(result.report.outcome).to.equal("promoted");
        expect(t.log.lines.join("\n")).to.contain(
            "WARNING: step 2 (100%) has bake 0s: no gate runs at that weight, so the promotion is final without watching the candidate at 100%",
        );
        expect(result.report.warnings).to.have.length(1);
        expect(result.report.steps[1].reason).to.equal("bake 0s written in the config: no gate ran for 100%");
    });

    it("--strategy canary on a blue-green stack is a usage error naming `rollout.canary`, before anything moves (never an empty plan promoted)", async () => {
        const t = setup({ policy: { ...PROD_POLICY, strategy: "blue-green", canary: undefined, blueGreen: { bake: 900 } } });
        let error: Error | undefined;
        await t.drive(promote(t.deps, { stackName: "staging", strategy: "canary" }).catch((e) => (error = e)));
        expect(error).to.be.instanceOf(UsageError);
        expect(error?.message).to.equal(
            "`--strategy canary`: stack staging has no config for it: `lambda-rollout:rollout.canary` is required when strategy is \"canary\"; add it to the stack's config and `pulumi up`, or use the stack's own strategy (blue-green)",
        );
        expect(t.stack.ups).to.deep.equal([]);
        expect(t.lambda.invokes).to.deep.equal([]);
    });

    it("a step's verdict is data: its cause, the deciding function and the numbers behind it, beside the sentence", async () => {
        const t = setup({
            keys: ["api", "worker"],
            rates: { api: { stable: 0.002, candidate: 0.002 }, worker: { stable: 0.002, candidate: 0.2 } },
        });
        const result = await t.drive(promote(t.deps, { stackName: "prod" }));
        const step = result.report.steps[0];
        expect(step).to.deep.include({ verdict: "failed", function: "worker" });
        expect(step.cause).to.be.oneOf(["absolute-limit", "same-minute"]);
        expect(step.numbers!.worker.candidateErrors).to.be.at.least(3);
        expect(step.numbers!.worker.candidateErrorRatePercent).to.be.above(10);
        expect(step.numbers!.api.candidateErrorRatePercent).to.be.below(1);
    });

    it("the report is shown after every change, so a run that dies keeps the record so far", async () => {
        const t = setup();
        const seen: string[] = [];
        await t.drive(promote({ ...t.deps, observe: (r) => seen.push(`${r.outcome}:${r.steps.length}`) }, { stackName: "prod" }));
        expect(seen).to.include("nothing-to-do:1");
        expect(seen).to.include("nothing-to-do:2");
        expect(seen.at(-1)).to.equal("promoted:3");
    });
});
