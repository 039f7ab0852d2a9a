import { expect } from "chai";
import { promote } from "../../../automation/rollout/promote";
import { transition } from "../../../automation/rollout/operator";
import { decodeState, encodeState, type RolloutState } from "../../../domain/state";
import { FakeLambda, FakeMetrics, FakeStack, fakeClock, memoryLog, outputsFor, PROD_POLICY } from "../../helpers/fakes";

const API = "lambda-rollout-prod-api";
const APPROVAL_POLICY = {
    ...PROD_POLICY,
    canary: {
        steps: [
            { weight: 10, bake: 600 },
            { weight: 50, bake: 600 },
            { weight: 100, bake: 600, approval: true },
        ],
    },
    approval: { timeout: 1800, onTimeout: "rollback" },
};

/** A healthy api rollout on fakes, with approval before 100%, and a person at a terminal who answers `answer` after `afterMs`. */
function setup(answer: boolean | undefined, afterMs: number) {
    const lambda = new FakeLambda();
    lambda.aliases.set(API, { functionVersion: "7", additionalVersionWeights: {} });
    const stack = new FakeStack(lambda, outputsFor(["api"], APPROVAL_POLICY));
    const metrics = new FakeMetrics(lambda, { api: { stable: 0.002, candidate: 0.002 } }, 300);
    const { clock, drive } = fakeClock();
    const log = memoryLog();
    const asked: string[] = [];
    let closed = false;
    const ask = (question: string, signal: AbortSignal) =>
        new Promise<boolean | undefined>((resolve) => {
            asked.push(question);
            signal.addEventListener("abort", () => {
                closed = true;
                resolve(undefined);
            });
            void clock.sleep(afterMs).then(() => resolve(answer));
        });
    return {
        lambda,
        stack,
        log,
        asked,
        closed: () => closed,
        run: () => drive(promote({ stack, lambda, metrics, clock, log, ask, user: "alice" }, { stackName: "prod" })),
    };
}

describe("approval at a terminal (fakes, a fake clock)", () => {
    it("holds 50% after its bake, asks, and goes to 100% when the person says yes; who approved is in the report", async () => {
        const t = setup(true, 5 * 60_000);
        const result = await t.run();
        expect(t.asked).to.deep.equal(["Approve step 3/3 100% of prod? (no aborts the rollout: all traffic back to stable)"]);
        expect(result.report.outcome).to.equal("promoted");
        expect(t.stack.ups.map((u) => u.weight)).to.deep.equal([0.1, 0.5, 1]);
        expect(result.report.operator).to.deep.include({ action: "approve", by: "alice", atMinute: result.report.operator![0].atMinute });
        expect(result.report.waitingForApproval).to.equal(undefined);
    });

    it("a no at the prompt aborts: all traffic back to stable, outcome aborted, recorded on the alias", async () => {
        const t = setup(false, 60_000);
        const result = await t.run();
        expect(result.report.outcome).to.equal("aborted");
        expect(result.report.functions.api.finalRouting).to.deep.equal({ "7": 1 });
        expect(decodeState(t.lambda.aliases.get(API)!.description)).to.include({ phase: "aborted", candidate: "8" });
        expect(result.report.steps.at(-1)!.reason).to.equal("aborted by alice: not approved at the terminal");
    });

    it("while it waits, the wait is on the alias (a promote run again would still be waiting), and an approval from elsewhere closes the prompt", async () => {
        const t = setup(undefined, 24 * 3600_000);
        const run = t.run();
        // Approve from "another process" once the wait is recorded: the request written on the alias as `approve` writes it.
        const approveLater = (async () => {
            for (;;) {
                await new Promise((r) => setImmediate(r));
                const s = decodeState(t.lambda.aliases.get(API)!.description);
                if (s?.phase === "awaiting-approval") {
                    expect(s).to.include({ stable: "7", candidate: "8", weight: 0.5, step: 2, steps: 3 });
                    const approved = encodeState(transition(s, { action: "approve", by: "bob" }, 0) as RolloutState);
                    t.lambda.aliases.set(API, { ...t.lambda.aliases.get(API)!, description: approved });
                    return;
                }
            }
        })();
        const result = await run;
        await approveLater;
        expect(t.closed()).to.equal(true);
        expect(result.report.outcome).to.equal("promoted");
        expect(result.report.operator).to.deep.include({ action: "approve", by: "bob", atMinute: result.report.operator![0].atMinute });
    });
});
