import { expect } from "chai";
import type { StackConfig } from "../../../config/stackConfig";
import type { SdkClient } from "../../../domain/sdk";
import type { RolloutReport } from "../../../automation/rollout/report";
import type { RolloutResult } from "../../../automation/rollout/run";
import type { World } from "../../../automation/wiring";
import { runStack, type Stage } from "../../../automation/wiring/run";
import { FakeLambda, FakeStack, memoryLog, outputsFor } from "../../helpers/fakes";

/** What the stage and the account saw, in order. */
type Seen = string[];

/** A client that records each command's name in `seen` and answers nothing. */
function recording(seen: Seen, name: string): SdkClient {
    return {
        send: async (command: object) => {
            seen.push(`${name} ${command.constructor.name}`);
            return {};
        },
    } as SdkClient;
}

function worldOf(seen: Seen): World {
    const client = recording(seen, "aws");
    return {
        stack: new FakeStack(new FakeLambda(), outputsFor()),
        clients: { lambda: client, cloudWatch: client, sts: client },
        notifyClients: { cloudWatch: recording(seen, "metrics"), sns: recording(seen, "sns") },
        clock: { now: () => Date.UTC(2026, 0, 5, 9), sleep: async () => undefined },
        hooks: () => ({ run: async () => ({ ok: true }) }) as never,
        env: {},
    };
}

const CONFIG = { retention: { keep: 10, afterPromotion: false } } as unknown as StackConfig;

function promoted(): RolloutResult {
    const report = {
        outcome: "promoted",
        functions: { api: { stable: "1", candidate: "2" } },
        durationMinutes: 36,
        decisionAtMinute: 36,
        steps: [],
    } as unknown as RolloutReport;
    return { exitCode: 0, report };
}

/** A stage that records when each of its parts is called; `run` does what `runs` says. */
function stage(seen: Seen, runs: () => Promise<RolloutResult>): Stage<RolloutResult> {
    return {
        world: async () => {
            seen.push("world");
            return worldOf(seen);
        },
        run: async () => {
            seen.push("run");
            return runs();
        },
        ended: async (result) => {
            seen.push(`ended metricsPut=${JSON.stringify(result.report.metricsPut ?? null)}`);
            return result;
        },
        close: async () => {
            seen.push("close");
        },
    };
}

describe("a stack's run, real or rehearsed (wiring/run.ts runStack)", () => {
    it("runs world, promote, then puts the deployment metrics, then the stage's last word, then closes: in that order", async () => {
        const seen: Seen = [];
        const result = await runStack(
            stage(seen, async () => promoted()),
            CONFIG,
            { stack: "prod", stackName: "prod", log: memoryLog() },
        );
        expect(seen).to.deep.equal([
            "world",
            "run",
            "metrics PutMetricDataCommand",
            'ended metricsPut=["RolloutSucceeded","RolloutRolledBack","RolloutDuration","RolloutTimeToDecision"]',
            "close",
        ]);
        expect(result.exitCode).to.equal(0);
    });

    it("a promote that throws: nothing is put, the stage gets no last word, and what the world opened is closed", async () => {
        const seen: Seen = [];
        const run = runStack(
            stage(seen, async () => {
                throw new Error("the up failed");
            }),
            CONFIG,
            { stack: "prod", stackName: "prod", log: memoryLog() },
        );
        await run.then(
            () => expect.fail("runStack resolved"),
            (err: Error) => expect(err.message).to.equal("the up failed"),
        );
        expect(seen).to.deep.equal(["world", "run", "close"]);
    });

    it("a dry run sends and puts nothing: the stage ends with promote's own report", async () => {
        const seen: Seen = [];
        await runStack(
            stage(seen, async () => promoted()),
            CONFIG,
            { stack: "prod", stackName: "prod", log: memoryLog(), dryRun: true },
        );
        expect(seen).to.deep.equal(["world", "run", "ended metricsPut=null", "close"]);
    });
});
