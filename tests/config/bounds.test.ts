import { expect } from "chai";
import * as fs from "fs";
import * as path from "path";
import { DURATION_BOUNDS, formatDurationBound } from "../../config/durations";
import { parseStackConfig, StackConfigError } from "../../config/stackConfig";
import { MAX_TIMER_MS } from "../../automation/timers";

const ROOT = path.resolve(__dirname, "..", "..");

/** A valid config with every duration key present; each case changes one. */
function base(): Record<string, any> {
    return {
        region: "us-east-1",
        functions: [{ name: "api", codeDir: "app/api", handler: "index.handler", timeout: "10s" }],
        rollout: {
            strategy: "canary",
            canary: {
                steps: [
                    { weight: 50, bake: "10m" },
                    { weight: 100, bake: "10m" },
                ],
            },
            linear: { stepPercent: 50, every: "10m", finalBake: "10m" },
            blueGreen: { bake: "10m" },
            gates: { baseline: "1h", maxExtension: "10m", pollInterval: "1m" },
            approval: { timeout: "1h" },
            hooks: { afterStep: [{ command: "true", timeout: "30s" }] },
        },
        notifications: { sns: true, timeout: "10s" },
    };
}

function problemsOf(mutate: (cfg: Record<string, any>) => void): string[] {
    const cfg = base();
    mutate(cfg);
    try {
        parseStackConfig(cfg, "Pulumi.test.yaml");
    } catch (err) {
        expect(err).to.be.instanceOf(StackConfigError);
        return (err as StackConfigError).problems;
    }
    return [];
}

describe("config: every duration has an upper bound (config/durations.ts)", () => {
    it("the base config, every duration present, is valid", () => {
        expect(problemsOf(() => undefined)).to.deep.equal([]);
    });

    // Each duration key, a value just past its bound, and what the error says (the key, the value, the bound).
    const cases: [string, (c: Record<string, any>, v: unknown) => void, string, string][] = [
        ["functions[0].timeout", (c, v) => (c.functions[0].timeout = v), "16m", "must be between 1s and 15m (Lambda's limit)"],
        ["rollout.canary.steps[0].bake", (c, v) => (c.rollout.canary.steps[0].bake = v), "25h", "must be at most 24h"],
        ["rollout.linear.every", (c, v) => (c.rollout.linear.every = v), "1441m", "must be at most 24h"],
        ["rollout.linear.finalBake", (c, v) => (c.rollout.linear.finalBake = v), "86401s", "must be at most 24h"],
        ["rollout.blueGreen.bake", (c, v) => (c.rollout.blueGreen.bake = v), "25h", "must be at most 24h"],
        ["rollout.gates.baseline", (c, v) => (c.rollout.gates.baseline = v), "25h", "must be at most 24h"],
        ["rollout.gates.maxExtension", (c, v) => (c.rollout.gates.maxExtension = v), "25h", "must be at most 24h"],
        [
            "rollout.gates.pollInterval",
            (c, v) => (c.rollout.gates.pollInterval = v),
            "2h",
            "must be between 1m and 1h (Lambda metrics are per minute)",
        ],
        ["rollout.approval.timeout", (c, v) => (c.rollout.approval.timeout = v), "169h", "must be between 1s and 168h"],
        [
            "rollout.hooks.afterStep[0].timeout",
            (c, v) => (c.rollout.hooks.afterStep[0].timeout = v),
            "1000000h",
            "must be between 1s and 1h",
        ],
        ["notifications.timeout", (c, v) => (c.notifications.timeout = v), "3m", "must be between 1s and 2m"],
    ];
    for (const [key, set, value, rule] of cases) {
        it(`\`${key}\` past its bound (${value}) is refused, naming the key, the value and the bound`, () => {
            expect(problemsOf((c) => set(c, value))).to.deep.equal([`\`lambda-rollout:${key}\` (got ${JSON.stringify(value)}): ${rule}`]);
        });
    }

    it("a bound holds for a duration written as a number of seconds too, and for digits no timer could hold", () => {
        expect(problemsOf((c) => (c.rollout.hooks.afterStep[0].timeout = 3601))).to.deep.equal([
            "`lambda-rollout:rollout.hooks.afterStep[0].timeout` (got 3601): must be between 1s and 1h",
        ]);
        expect(problemsOf((c) => (c.rollout.gates.maxExtension = "99999999999999999999999h"))).to.have.length(1);
        // At the bound itself: accepted.
        expect(problemsOf((c) => (c.rollout.hooks.afterStep[0].timeout = "1h"))).to.deep.equal([]);
        expect(problemsOf((c) => (c.rollout.approval.timeout = "168h"))).to.deep.equal([]);
    });

    it("every bound fits a timer (under 2^31-1 ms), and the README's configuration reference states each one", () => {
        const readme = fs.readFileSync(path.join(ROOT, "README.md"), "utf8");
        for (const [name, { max }] of Object.entries(DURATION_BOUNDS)) {
            expect(max * 1000, name).to.be.below(MAX_TIMER_MS);
            expect(readme, `${name}: at most ${formatDurationBound(max)}`).to.contain(`at most ${formatDurationBound(max)}`);
        }
    });
});
