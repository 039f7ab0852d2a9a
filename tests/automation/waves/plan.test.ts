import { expect } from "chai";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { PROJECT_ROOT } from "../../../automation/engine/evaluate";
import { defaultProject, readProject } from "../../../automation/project";
import { parseScenario, scenarioForStack } from "../../../automation/rehearsal/scenario";
import { describePlan, parseWaveFile } from "../../../automation/waves/plan";
import { readWavePlan } from "../../../automation/waves/planFile";
import { checkWaveScenario } from "../../../automation/waves/rehearsal";

/** The UsageError's message of a function that must refuse. */
function refusal(f: () => unknown): string {
    try {
        f();
    } catch (err) {
        expect((err as Error).name).to.equal("UsageError");
        return (err as Error).message;
    }
    throw new Error("expected a UsageError");
}

const PROFILE = { errorRate: 0.002, p50Ms: 80, p99Ms: 400 };
const BAD = { errorRate: 0.05, p50Ms: 80, p99Ms: 400 };

describe("wave plans and the release scenario contract", () => {
    describe("waves.yaml", () => {
        it("the repository's prod plan: three waves of one region each, 30 min watched between them, one at a time, rollback: all", () => {
            const plan = readWavePlan(defaultProject(), "prod");
            expect(plan).to.deep.equal({
                name: "prod",
                waves: [{ stacks: ["prod-us-east-1"] }, { stacks: ["prod-eu-west-1"] }, { stacks: ["prod-ap-southeast-1"] }],
                watch: 1800,
                concurrency: 1,
                rollback: "all",
            });
            expect(describePlan(plan)[0]).to.equal(
                "wave plan prod: 3 waves, 1 stack of a wave at once, 30 min watched between waves, on a failure every stack that received the candidate goes back to stable (rollback: all)",
            );
        });

        const rows: [string, unknown, string][] = [
            ["no waves", { prod: { waves: [] } }, "`prod.waves` (got []): must hold at least one wave"],
            ["an empty wave", { prod: { waves: [{ stacks: [] }] } }, "`prod.waves[0].stacks` (got []): must name at least one stack"],
            [
                "a stack twice",
                { prod: { waves: [{ stacks: ["a"] }, { stacks: ["b", "a"] }] } },
                '`prod.waves[1].stacks[1]` (got "a"): is already in wave 1: a stack is released once per release',
            ],
            [
                "an unknown rollback",
                { prod: { waves: [{ stacks: ["a"] }], rollback: "none" } },
                '`prod.rollback` (got "none"): must be "all"',
            ],
            ["a watch over a day", { prod: { waves: [{ stacks: ["a"] }], watch: "25h" } }, '`prod.watch` (got "25h"): must be at most 24h'],
            [
                "a concurrency of 0",
                { prod: { waves: [{ stacks: ["a"] }], concurrency: 0 } },
                "`prod.concurrency` (got 0): must be a whole number from 1 to 20",
            ],
            ["a misspelt field", { prod: { waves: [{ stacks: ["a"] }], rolback: "wave" } }, "`prod`: unknown field(s) `rolback`"],
            [
                "a stack name that is a path",
                { prod: { waves: [{ stacks: ["../x"] }] } },
                '`prod.waves[0].stacks[0]` (got "../x"): must be a stack name',
            ],
        ];
        for (const [what, raw, message] of rows) {
            it(`refuses ${what}, naming the field (exit 2, nothing touched)`, () => {
                expect(refusal(() => parseWaveFile(raw, "waves.yaml"))).to.contain(message);
            });
        }

        it("a plan naming a stack the project has no file for is refused, listing the project's stacks", () => {
            const dir = fs.mkdtempSync(path.join(os.tmpdir(), "waves-plan-"));
            try {
                fs.writeFileSync(
                    path.join(dir, "Pulumi.yaml"),
                    `name: lambda-rollout\nruntime: nodejs\nmain: ${path.join(PROJECT_ROOT, "index.ts")}\n`,
                );
                fs.writeFileSync(path.join(dir, "Pulumi.a.yaml"), "config: {}\n");
                fs.writeFileSync(path.join(dir, "waves.yaml"), "rel:\n  waves:\n    - stacks: [a]\n    - stacks: [b]\n");
                expect(refusal(() => readWavePlan(readProject(dir), "rel"))).to.equal(
                    'waves.yaml: plan rel names "b", which the project has no Pulumi.<stack>.yaml for (its stacks: a)',
                );
                expect(refusal(() => readWavePlan(readProject(dir), "prod"))).to.equal(
                    '`--waves` (got "prod"): waves.yaml has no plan of that name (its plans: rel)',
                );
            } finally {
                fs.rmSync(dir, { recursive: true, force: true });
            }
        });
    });

    describe("the scenario's `stacks` and a fault's `stack`", () => {
        const scenario = parseScenario(
            {
                name: "s",
                seed: 1,
                requestsPerMinute: 100,
                functions: { "*": { stable: PROFILE, candidate: PROFILE }, worker: { stable: PROFILE, candidate: PROFILE } },
                stacks: {
                    "prod-eu-west-1": { functions: { "*": { stable: PROFILE, candidate: BAD } } },
                    "prod-us-east-1": { functions: { api: { stable: PROFILE, candidate: BAD } } },
                },
                faults: [
                    { kind: "cloudwatch-unavailable", fromMinute: 1, toMinute: 2, stack: "prod-eu-west-1" },
                    { kind: "up-fails", atStep: 2 },
                ],
            },
            "s.json",
        );

        it("a stack's `*` replaces every profile for it; a stack naming one function overrides only that one", () => {
            expect(scenarioForStack(scenario, "prod-eu-west-1").functions).to.deep.equal({
                "*": { stable: PROFILE, candidate: BAD, smokeTest: "pass" },
            });
            expect(Object.keys(scenarioForStack(scenario, "prod-us-east-1").functions)).to.deep.equal(["*", "worker", "api"]);
            expect(scenarioForStack(scenario, "prod-ap-southeast-1").functions).to.equal(scenario.functions);
        });

        it("a fault with `stack` applies to that stack only; one without, to every stack", () => {
            expect(scenarioForStack(scenario, "prod-eu-west-1").faults.map((f) => f.kind)).to.deep.equal([
                "cloudwatch-unavailable",
                "up-fails",
            ]);
            expect(scenarioForStack(scenario, "prod-us-east-1").faults.map((f) => f.kind)).to.deep.equal(["up-fails"]);
            expect(scenarioForStack(scenario, "prod-us-east-1")).not.to.have.property("stacks");
        });

        it("a release rehearsal refuses stacks and faults its plan cannot have, naming each field", () => {
            const plan = readWavePlan(defaultProject(), "prod");
            const wrong = parseScenario(
                {
                    name: "w",
                    seed: 1,
                    requestsPerMinute: 100,
                    functions: { "*": { stable: PROFILE, candidate: PROFILE } },
                    stacks: { "prod-eu-central-1": { functions: { "*": { stable: PROFILE, candidate: BAD } } } },
                    faults: [
                        { kind: "killed", atMinute: 5, stack: "prod-us-east-1" },
                        { kind: "abort", duringUp: 2 },
                        { kind: "pause", atMinute: 3, stack: "prod" },
                    ],
                },
                "w.json",
            );
            const message = refusal(() => checkWaveScenario(wrong, plan));
            expect(message).to.contain(
                "`stacks.prod-eu-central-1`: is not a stack of wave plan prod (its stacks: prod-us-east-1, prod-eu-west-1, prod-ap-southeast-1)",
            );
            expect(message).to.contain(
                "`faults[0].stack`: a killed fault stops the release's process, whatever stack it is moving: leave `stack` out",
            );
            expect(message).to.contain("`faults[1].duringUp`: not with --waves");
            expect(message).to.contain('`faults[2].stack` (got "prod"): is not a stack of wave plan prod');
        });

        it("a misspelt stack key in the scenario is refused as any field is", () => {
            expect(
                refusal(() =>
                    parseScenario(
                        { name: "x", seed: 1, requestsPerMinute: 1, functions: {}, stacks: { "prod-eu-west-1": { function: {} } } },
                        "x.json",
                    ),
                ),
            ).to.contain("`stacks.prod-eu-west-1`: unknown field(s) `function`");
        });
    });
});
