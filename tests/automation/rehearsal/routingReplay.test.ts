import { DescribeAlarmsCommand, type DescribeAlarmsCommandOutput } from "@aws-sdk/client-cloudwatch";
import { UpdateAliasCommand } from "@aws-sdk/client-lambda";
import { expect } from "chai";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { LambdaAdapter } from "../../../automation/adapters/lambda";
import { PROJECT_ROOT } from "../../../automation/engine/evaluate";
import { MockEngineStack } from "../../../automation/rehearsal/mockEngineStack";
import { REHEARSAL_START } from "../../../automation/rehearsal/rehearse";
import { decodeState, encodeState, type RolloutState } from "../../../domain/state";
import { SimulatedAws } from "../../../automation/simulator";
import { defaultProject } from "../../../automation/project";
import type { RoutingOverride } from "../../../config/stackConfig";

const API = "lambda-rollout-prod-api";
const state = (phase: RolloutState["phase"], step: number, weight: number): string =>
    encodeState({ phase, stable: "1", candidate: "2", step, steps: 3, weight, since: REHEARSAL_START.getTime() });
const step = (n: number, weight: number): RoutingOverride => ({
    api: { stable: "1", candidate: "2", weight, state: state("baking", n, weight) },
});

/** One stack over its own simulated account; `replay: false` runs the program for every `up`. */
function world(replay: boolean, project = defaultProject(), stackName = "prod") {
    const sim = new SimulatedAws({ seed: 3, startTime: REHEARSAL_START, metricDelayMinutes: 2, transientRoutingMs: 5000 });
    const stack = new MockEngineStack({ stack: stackName, sim, project, replayRoutingUps: replay });
    const lambda = new LambdaAdapter(sim.lambda);
    return { sim, stack, alias: () => lambda.getAlias(API, "live") };
}

/** What the account holds after an `up`: the alias, and every alarm with its state and when it last changed. */
async function account(w: ReturnType<typeof world>) {
    const { revisionId: _revision, ...alias } = await w.alias();
    const alarms = (await w.sim.cloudWatch.send(
        new DescribeAlarmsCommand({ AlarmTypes: ["MetricAlarm", "CompositeAlarm"] }),
    )) as DescribeAlarmsCommandOutput;
    const states = [...(alarms.MetricAlarms ?? []), ...(alarms.CompositeAlarms ?? [])].map((a) => [
        a.AlarmName,
        a.StateValue,
        a.StateUpdatedTimestamp?.toISOString(),
    ]);
    return { alias, states, versions: w.sim.publishedVersions(API), now: w.sim.now().toISOString() };
}

/** The same `up`s on a stack that replays and on one that does not; what each left behind, after each `up`. */
async function sideBySide(ups: ((w: ReturnType<typeof world>) => Promise<unknown>)[], project = defaultProject()) {
    const fast = world(true, project);
    const full = world(false, project);
    for (const [i, up] of ups.entries()) {
        const [a, b] = [await up(fast).catch((e: Error) => e.message), await up(full).catch((e: Error) => e.message)];
        expect(a, `up ${i + 1}: what it returned`).to.deep.equal(b);
        expect(await account(fast), `up ${i + 1}: the account`).to.deep.equal(await account(full));
    }
    return { fast, full };
}

const deploys = [(w: ReturnType<typeof world>) => w.stack.deploy("stable"), (w: ReturnType<typeof world>) => w.stack.deploy("candidate")];

describe("a rehearsal's routing-only ups, replayed", function () {
    this.timeout(120_000);

    it("10% -> 50% -> 100% -> back to stable: the same outputs and the same account as running the program for every up, with only the first step's up run in full", async () => {
        const { fast, full } = await sideBySide([
            ...deploys,
            (w) => w.stack.up(step(1, 0.1), "step 1/3 10%"),
            (w) => w.stack.up(step(2, 0.5), "step 2/3 50%"),
            (w) => w.stack.up(step(3, 1), "step 3/3 100%"),
            (w) => w.stack.up({ api: { stable: "1", candidate: "2", weight: 0, state: state("rolled-back", 3, 0) } }, "rollback"),
        ]);
        expect(fast.stack.programRuns).to.deep.equal({ full: 3, replayed: 3 });
        expect(full.stack.programRuns).to.deep.equal({ full: 6, replayed: 0 });
        expect(await fast.alias()).to.deep.include({ functionVersion: "1", additionalVersionWeights: {} });
    });

    it("an abort landing inside a replayed up lands after the read and before the write: the up writes its step over it, as the program does", async () => {
        const abortInsideStep2 = (w: ReturnType<typeof world>) => {
            w.stack.duringUp = async (n) => {
                if (n !== 2) return;
                await w.sim.lambda.send(
                    new UpdateAliasCommand({
                        FunctionName: API,
                        Name: "live",
                        FunctionVersion: "1",
                        Description: state("aborting", 2, 0.5),
                    }),
                );
            };
            return Promise.resolve();
        };
        const { fast } = await sideBySide([
            ...deploys,
            abortInsideStep2,
            (w) => w.stack.up(step(1, 0.1), "step 1/3 10%"),
            (w) => w.stack.up(step(2, 0.5), "step 2/3 50%"),
        ]);
        expect(fast.stack.programRuns).to.deep.equal({ full: 3, replayed: 1 });
        // The read came before the abort: no refusal; the step's routing and record are written over it.
        const alias = await fast.alias();
        expect(alias).to.deep.include({ functionVersion: "1", additionalVersionWeights: { "2": 0.5 } });
        expect(decodeState(alias.description)).to.include({ phase: "baking", step: 2 });
    });

    it("an abort recorded before the up is read by it: the replayed up refuses to move the candidate forward, as the program does, and writes nothing", async () => {
        const abortBeforeStep3 = (w: ReturnType<typeof world>) =>
            w.sim.lambda.send(
                new UpdateAliasCommand({ FunctionName: API, Name: "live", FunctionVersion: "1", Description: state("aborting", 2, 0.5) }),
            );
        const { fast } = await sideBySide([
            ...deploys,
            (w) => w.stack.up(step(1, 0.1), "step 1/3 10%"),
            (w) => w.stack.up(step(2, 0.5), "step 2/3 50%"),
            abortBeforeStep3,
            (w) =>
                w.stack
                    .up(step(3, 1), "step 3/3 100%")
                    .then(() => "no refusal")
                    .catch(
                        (e: Error) =>
                            (e.message.match(/refusing to move v2 forward: the live alias records its rollout as aborting/) ?? [
                                e.message,
                            ])[0],
                    ),
        ]);
        expect(fast.stack.programRuns).to.deep.equal({ full: 3, replayed: 2 });
        expect(decodeState((await fast.alias()).description)).to.include({ phase: "aborting" });
        expect((await fast.stack.history(1))[0]).to.include({ message: "step 3/3 100%", result: "failed" });
    });

    it("a new commit, or a program whose outputs follow the routing, runs in full every time", async () => {
        const { fast } = await sideBySide([
            ...deploys,
            (w) => w.stack.up(step(1, 0.1), "step 1/3 10%"),
            (w) => w.stack.deploy("a-newer-commit"),
            (w) => w.stack.up(step(2, 0.5), "step 2/3 50%"),
        ]);
        expect(fast.stack.programRuns).to.deep.equal({ full: 5, replayed: 0 });

        // The repository's program, plus an output that echoes the routing it was given.
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "lambda-rollout-echo-"));
        try {
            const main = path.join(dir, "index.ts");
            fs.writeFileSync(
                main,
                [
                    `import * as pulumi from ${JSON.stringify(path.join(PROJECT_ROOT, "node_modules", "@pulumi", "pulumi"))};`,
                    `import program = require(${JSON.stringify(path.join(PROJECT_ROOT, "index"))});`,
                    `export = async () => ({ ...(await program()), routingSeen: pulumi.runtime.allConfig()["lambda-rollout:routing"] ?? "none" });`,
                    "",
                ].join("\n"),
            );
            const echo = await sideBySide(
                [...deploys, (w) => w.stack.up(step(1, 0.1), "step 1/3 10%"), (w) => w.stack.up(step(2, 0.5), "step 2/3 50%")],
                { ...defaultProject(), main },
            );
            expect(echo.fast.stack.programRuns).to.deep.equal({ full: 4, replayed: 0 });
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });

    it("a stack whose shared config file (lambda-rollout:sharedConfig) was edited runs in full again; unedited, it replays", async () => {
        // A copy of the project's regional stack and its shared file; the functions' code is the repository's.
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "lambda-rollout-shared-"));
        try {
            fs.symlinkSync(path.join(PROJECT_ROOT, "app"), path.join(dir, "app"));
            fs.mkdirSync(path.join(dir, "shared"));
            const shared = path.join(dir, "shared", "prod.yaml");
            fs.copyFileSync(path.join(PROJECT_ROOT, "shared", "prod.yaml"), shared);
            fs.copyFileSync(path.join(PROJECT_ROOT, "Pulumi.prod-eu-west-1.yaml"), path.join(dir, "Pulumi.prod-eu-west-1.yaml"));
            const w = world(true, { ...defaultProject(), root: dir }, "prod-eu-west-1");
            for (const deploy of deploys) await deploy(w);
            await w.stack.up(step(1, 0.1), "step 1/3 10%");
            await w.stack.up(step(2, 0.5), "step 2/3 50%");
            expect(w.stack.programRuns).to.deep.equal({ full: 3, replayed: 1 });
            // The log group's retention, shared by the regional stacks: nothing to do with routing, but not what ran.
            const text = fs.readFileSync(shared, "utf8");
            expect(text).to.include("logRetentionDays: 90");
            fs.writeFileSync(shared, text.replace("logRetentionDays: 90", "logRetentionDays: 30"));
            await w.stack.up(step(3, 1), "step 3/3 100%");
            expect(w.stack.programRuns).to.deep.equal({ full: 4, replayed: 1 });
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });
});
