import { expect } from "chai";
import type { EngineEvent } from "@pulumi/pulumi/automation";
import { describeEngineEvent } from "../../../automation/cli/upSummary";
import type { Clock } from "../../../automation/rollout/ports";
import { rolloutEnded, watchExitCode, watchStatus, type FunctionStatus, type StackStatus } from "../../../automation/rollout/status";

describe("an up's live summary", () => {
    const urn = (type: string, name: string) =>
        `urn:pulumi:prod::lambda-rollout::lambda-rollout:index:ProgressiveFunction$${type}::${name}`;
    const step = (op: string, type: string, name: string, planning = false) =>
        ({
            sequence: 1,
            timestamp: 0,
            resOutputsEvent: { metadata: { op, type, urn: urn(type, name) }, planning },
        }) as unknown as EngineEvent;

    it("one line per changed resource, a closing count, warnings and errors; unchanged resources and previews left out", () => {
        const table: [EngineEvent, string | undefined][] = [
            [step("update", "aws:lambda/alias:Alias", "api-live"), "~ aws:lambda/alias:Alias api-live update"],
            [
                step("create", "aws:cloudwatch/metricAlarm:MetricAlarm", "api-errors"),
                "+ aws:cloudwatch/metricAlarm:MetricAlarm api-errors create",
            ],
            [step("delete", "aws:lambda/alias:Alias", "old"), "- aws:lambda/alias:Alias old delete"],
            [step("replace", "aws:lambda/function:Function", "api-fn"), "+- aws:lambda/function:Function api-fn replace"],
            [step("same", "aws:lambda/function:Function", "api-fn"), undefined],
            [step("update", "aws:lambda/alias:Alias", "api-live", true), undefined],
            [step("update", "pulumi:pulumi:Stack", "lambda-rollout-prod"), undefined],
            [
                {
                    sequence: 2,
                    timestamp: 0,
                    resourcePreEvent: { metadata: { op: "update", type: "aws:lambda/alias:Alias", urn: urn("x", "api-live") } },
                } as unknown as EngineEvent,
                undefined,
            ],
            [
                {
                    sequence: 3,
                    timestamp: 0,
                    resOpFailedEvent: {
                        metadata: { op: "update", type: "aws:lambda/alias:Alias", urn: urn("x", "api-live") },
                        status: 1,
                        steps: 1,
                    },
                } as unknown as EngineEvent,
                "! aws:lambda/alias:Alias api-live update failed",
            ],
            [
                {
                    sequence: 4,
                    timestamp: 0,
                    diagnosticEvent: {
                        message: "<{%reset%}>throttled<{%reset%}>\n",
                        color: "never",
                        severity: "warning",
                        urn: urn("x", "api-live"),
                    },
                },
                "warning: api-live: throttled",
            ],
            [{ sequence: 5, timestamp: 0, diagnosticEvent: { message: "reading config", color: "never", severity: "info" } }, undefined],
            [
                {
                    sequence: 6,
                    timestamp: 0,
                    summaryEvent: { maybeCorrupt: false, durationSeconds: 45, resourceChanges: { update: 1, same: 12 }, policyPacks: {} },
                },
                "up: 1 updated, 12 unchanged (45s)",
            ],
            [
                {
                    sequence: 7,
                    timestamp: 0,
                    summaryEvent: { maybeCorrupt: false, durationSeconds: 5400, resourceChanges: {}, policyPacks: {} },
                },
                "up: no changes (1h30m)",
            ],
        ];
        for (const [event, want] of table) expect(describeEngineEvent(event), JSON.stringify(event)).to.equal(want);
    });
});

describe("status --watch", () => {
    const fn = (phase: FunctionStatus["phase"]): FunctionStatus => ({
        functionName: "lambda-rollout-prod-api",
        stable: "1",
        candidate: "2",
        liveWeights: { "1": 1 },
        phase,
        alarms: {},
    });
    const at = (...phases: FunctionStatus["phase"][]): StackStatus => ({
        stack: "prod",
        strategy: "canary",
        functions: Object.fromEntries(phases.map((p, i) => [`f${i}`, fn(p)])),
        lastRollout: [],
        unavailable: [],
    });

    it("the rollout has ended when no function is still moving (in progress or rolling back)", () => {
        expect(rolloutEnded(at("promoted"))).to.equal(true);
        expect(rolloutEnded(at("rolled-back"))).to.equal(true);
        expect(rolloutEnded(at("aborted", "promoted"))).to.equal(true);
        expect(rolloutEnded(at("candidate-waiting"))).to.equal(true);
        expect(rolloutEnded(at("held"))).to.equal(true);
        expect(rolloutEnded(at("in-progress"))).to.equal(false);
        expect(rolloutEnded(at("promoted", "rollback-pending"))).to.equal(false);
        expect(watchExitCode(at("promoted"))).to.equal(0);
        expect(watchExitCode(at("promoted", "rolled-back"))).to.equal(1);
    });

    it("the watch refreshes every interval until the phase ends, on an injected clock", async () => {
        const phases: FunctionStatus["phase"][] = ["in-progress", "in-progress", "rollback-pending", "rolled-back", "promoted"];
        let now = 0;
        const clock: Clock = { now: () => now, sleep: async (ms) => void (now += ms) };
        const shown: string[] = [];
        const last = await watchStatus(
            { read: async () => at(phases.shift()!), clock, show: (s) => shown.push(s.functions.f0.phase) },
            10_000,
        );
        expect(shown).to.deep.equal(["in-progress", "in-progress", "rollback-pending", "rolled-back"]);
        expect(now).to.equal(30_000);
        expect(watchExitCode(last)).to.equal(1);
    });

    it("Ctrl-C ends the watch after the status being shown", async () => {
        const stop = new AbortController();
        const clock: Clock = { now: () => 0, sleep: async () => stop.abort() };
        let reads = 0;
        await watchStatus({ read: async () => (reads++, at("in-progress")), clock, show: () => {}, signal: stop.signal }, 1000);
        expect(reads).to.equal(1);
    });
});
