import { expect } from "chai";
import { DEPRECATED_LAMBDA_RUNTIMES, LAMBDA_RUNTIMES, parseDuration, parseStackConfig, StackConfigError } from "../../config/stackConfig";

/** A valid prod-like config; each case changes one field. */
function base(): Record<string, any> {
    return {
        region: "us-east-1",
        functions: [{ name: "api", codeDir: "app/api", handler: "index.handler" }],
        rollout: {
            strategy: "canary",
            canary: {
                steps: [
                    { weight: 10, bake: "10m" },
                    { weight: 50, bake: "10m" },
                    { weight: 100, bake: "10m" },
                ],
            },
        },
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
    throw new Error("expected the config to be refused");
}

describe("stack config validation", () => {
    it("accepts the base config with defaults filled in", () => {
        const cfg = parseStackConfig(base(), "Pulumi.test.yaml");
        expect(cfg.functions[0]).to.include({ runtime: "nodejs24.x", memoryMb: 256, timeout: 10, logRetentionDays: 14 });
        expect(cfg.rollout.canary?.steps).to.deep.equal([
            { weight: 10, bake: 600 },
            { weight: 50, bake: 600 },
            { weight: 100, bake: 600 },
        ]);
        expect(cfg.rollout.gates).to.include({ minInvocations: 50, onNoData: "rollback", pollInterval: 60 });
        expect(cfg.rollout.canary?.advance).to.equal("time");
        expect(cfg.region).to.equal("us-east-1");
    });

    it("canary and linear take `advance: time | evidence`; onNoData takes hold", () => {
        const c = base() as { rollout: Record<string, unknown> };
        c.rollout = { ...c.rollout, canary: { ...(c.rollout.canary as object), advance: "evidence" }, gates: { onNoData: "hold" } };
        const cfg = parseStackConfig(c, "Pulumi.test.yaml");
        expect(cfg.rollout.canary?.advance).to.equal("evidence");
        expect(cfg.rollout.gates.onNoData).to.equal("hold");
        const linear = parseStackConfig(
            { ...base(), rollout: { strategy: "linear", linear: { stepPercent: 25, every: "5m", advance: "evidence" } } },
            "Pulumi.test.yaml",
        );
        expect(linear.rollout.linear?.advance).to.equal("evidence");
    });

    it("a stack that names no region is refused, naming `aws:region`: there is no silent default", () => {
        const { region: _, ...noRegion } = base();
        expect(() => parseStackConfig(noRegion, "Pulumi.test.yaml")).to.throw(
            StackConfigError,
            "`lambda-rollout:region`: is not set: set `aws:region`, the region the stack deploys to (e.g. `pulumi config set aws:region us-east-1`)",
        );
    });

    const cases: [string, (c: Record<string, any>) => void, string][] = [
        [
            "falling weights",
            (c) => (c.rollout.canary.steps[1].weight = 5),
            "`lambda-rollout:rollout.canary.steps[1].weight` (got 5): is 5 after 10: weights must rise strictly and end at 100",
        ],
        [
            "a weight of 120",
            (c) => (c.rollout.canary.steps[1].weight = 120),
            "`lambda-rollout:rollout.canary.steps[1].weight` (got 120): must be at most 100 (percent of traffic to the candidate)",
        ],
        [
            "a zero weight",
            (c) => (c.rollout.canary.steps[0].weight = 0),
            "`lambda-rollout:rollout.canary.steps[0].weight` (got 0): must be above 0 (percent of traffic to the candidate)",
        ],
        [
            "steps that stop short of 100",
            (c) => c.rollout.canary.steps.pop(),
            "`lambda-rollout:rollout.canary.steps[1].weight` (got 50): is 50: weights must rise strictly and end at 100",
        ],
        [
            "a bake that is not a duration",
            (c) => (c.rollout.canary.steps[0].bake = "10 minutes"),
            '`lambda-rollout:rollout.canary.steps[0].bake` (got "10 minutes"): must be a duration such as "30s", "10m" or "1h"',
        ],
        ["canary without steps", (c) => delete c.rollout.canary, '`lambda-rollout:rollout.canary`: is required when strategy is "canary"'],
        [
            "linear without its settings",
            (c) => (c.rollout.strategy = "linear"),
            '`lambda-rollout:rollout.linear`: is required when strategy is "linear"',
        ],
        [
            "an unknown strategy",
            (c) => (c.rollout.strategy = "yolo"),
            '`lambda-rollout:rollout.strategy` (got "yolo"): must be one of "all-at-once", "blue-green", "canary", "linear"',
        ],
        [
            "an unknown key",
            (c) => (c.rollout.gates = { maxErrorRate: 1 }),
            "`lambda-rollout:rollout.gates`: has unknown key(s) `maxErrorRate`",
        ],
        [
            "64 MB of memory",
            (c) => (c.functions[0].memoryMb = 64),
            "`lambda-rollout:functions[0].memoryMb` (got 64): must be at least 128 (MB)",
        ],
        [
            "a 20-minute timeout",
            (c) => (c.functions[0].timeout = "20m"),
            '`lambda-rollout:functions[0].timeout` (got "20m"): must be between 1s and 15m (Lambda\'s limit)',
        ],
        [
            "two functions with one name",
            (c) => c.functions.push({ ...c.functions[0] }),
            '`lambda-rollout:functions[1].name` (got "api"): "api" is used twice: function names must be unique',
        ],
        ["no functions", (c) => (c.functions = []), "`lambda-rollout:functions` (got []): must list at least one function"],
        [
            "routing for a function the stack lacks",
            (c) => (c.routing = { web: { stable: "1", candidate: "2", weight: 0.1 } }),
            '`lambda-rollout:routing.web` (got {"stable":"1","candidate":"2","weight":0.1}): names no function of this stack (functions: api)',
        ],
        [
            "a routing weight of 1.5",
            (c) => (c.routing = { api: { stable: "1", candidate: "2", weight: 1.5 } }),
            "`lambda-rollout:routing.api.weight` (got 1.5): must be between 0.0 and 1.0",
        ],
        [
            "routing to $LATEST",
            (c) => (c.routing = { api: { stable: "1", candidate: "$LATEST", weight: 0.5 } }),
            '`lambda-rollout:routing.api.candidate` (got "$LATEST"): must be a published version number (never $LATEST)',
        ],
        [
            "a poll interval under a minute",
            (c) => (c.rollout.gates = { pollInterval: "30s" }),
            '`lambda-rollout:rollout.gates.pollInterval` (got "30s"): must be between 1m and 1h (Lambda metrics are per minute)',
        ],
        [
            "an advance that is neither time nor evidence",
            (c) => (c.rollout.canary.advance = "fast"),
            '`lambda-rollout:rollout.canary.advance` (got "fast"): must be "time" or "evidence"',
        ],
        [
            "onNoData that is none of rollback, fail, hold",
            (c) => (c.rollout.gates = { onNoData: "wait" }),
            '`lambda-rollout:rollout.gates.onNoData` (got "wait"): must be "rollback", "fail" or "hold"',
        ],
        [
            "min invocations of 0",
            (c) => (c.rollout.gates = { minInvocations: 0 }),
            "`lambda-rollout:rollout.gates.minInvocations` (got 0): must be at least 1: no data is never a pass",
        ],
        [
            "the deprecated nodejs20.x runtime",
            (c) => (c.functions[0].runtime = "nodejs20.x"),
            '`lambda-rollout:functions[0].runtime` (got "nodejs20.x"): nodejs20.x is deprecated by AWS Lambda (since 2026-04-30: no security patches, then no creating or updating functions on it); use nodejs24.x',
        ],
        [
            "the deprecated nodejs18.x runtime",
            (c) => (c.functions[0].runtime = "nodejs18.x"),
            '`lambda-rollout:functions[0].runtime` (got "nodejs18.x"): nodejs18.x is deprecated by AWS Lambda (since 2025-09-01: no security patches, then no creating or updating functions on it); use nodejs24.x',
        ],
        [
            "the deprecated python3.9 runtime",
            (c) => (c.functions[0].runtime = "python3.9"),
            '`lambda-rollout:functions[0].runtime` (got "python3.9"): python3.9 is deprecated by AWS Lambda (since 2025-12-15: no security patches, then no creating or updating functions on it); use python3.14',
        ],
        [
            "a runtime Lambda does not have",
            (c) => (c.functions[0].runtime = "node24"),
            '`lambda-rollout:functions[0].runtime` (got "node24"): must be one of nodejs24.x, nodejs22.x, python3.14, python3.13, python3.12, java25, java21, dotnet10, ruby3.4, ruby3.3, provided.al2023',
        ],
        [
            "a hook with two kinds",
            (c) => (c.rollout.hooks = { afterStep: [{ command: "npm test", lambda: "checks" }] }),
            '`lambda-rollout:rollout.hooks.afterStep[0]` (got {"command":"npm test","lambda":"checks"}): must have exactly one of `webhook`, `lambda` and `command` (has lambda and command)',
        ],
        [
            "a webhook with neither url nor urlEnv",
            (c) => (c.rollout.hooks = { preTraffic: [{ webhook: {} }] }),
            "`lambda-rollout:rollout.hooks.preTraffic[0].webhook` (got {}): must have exactly one of `url` and `urlEnv`",
        ],
        [
            "a webhook whose URL is not http(s)",
            (c) => (c.rollout.hooks = { preTraffic: [{ webhook: { url: "ftp://example.com/x" } }] }),
            "`lambda-rollout:rollout.hooks.preTraffic[0].webhook.url`: has the scheme ftp: must be an https URL (plain http only to a loopback host: 127.0.0.0/8, [::1] or localhost)",
        ],
        [
            "a hook at an unknown point",
            (c) => (c.rollout.hooks = { beforeDeploy: [] }),
            "`lambda-rollout:rollout.hooks`: has unknown key(s) `beforeDeploy`",
        ],
        [
            "an approval that is not a boolean",
            (c) => (c.rollout.canary.steps[1].approval = "yes"),
            '`lambda-rollout:rollout.canary.steps[1].approval` (got "yes"): must be true or false',
        ],
        [
            "an approval timeout that does nothing known",
            (c) => (c.rollout.approval = { timeout: "1h", onTimeout: "promote" }),
            '`lambda-rollout:rollout.approval.onTimeout` (got "promote"): must be "rollback" or "hold"',
        ],
        [
            "severity bands upside down",
            (c) => (c.rollout.gates = { ...c.rollout.gates, severity: { rollbackAtPercent: 5, incidentAtPercent: 1 } }),
            "`lambda-rollout:rollout.gates.severity.incidentAtPercent` (got 1): must be above `rollbackAtPercent` (5), got 1",
        ],
    ];
    for (const [what, mutate, message] of cases) {
        it(`refuses ${what} with a message naming the key, the value and the rule`, () => {
            expect(problemsOf(mutate)).to.deep.equal([message]);
        });
    }

    it("accepts every runtime Lambda supports, and points each deprecated one at a supported runtime", () => {
        for (const runtime of LAMBDA_RUNTIMES) {
            const cfg = base();
            cfg.functions[0].runtime = runtime;
            expect(parseStackConfig(cfg, "Pulumi.test.yaml").functions[0].runtime, runtime).to.equal(runtime);
        }
        for (const [runtime, { use }] of Object.entries(DEPRECATED_LAMBDA_RUNTIMES)) {
            expect(LAMBDA_RUNTIMES, `${runtime} -> ${use}`).to.include(use);
            expect(problemsOf((c) => (c.functions[0].runtime = runtime))[0]).to.contain(`${runtime} is deprecated by AWS Lambda`);
        }
    });

    it("lists every problem at once", () => {
        const problems = problemsOf((c) => {
            c.functions[0].memoryMb = 64;
            c.rollout.canary.steps[1].weight = 5;
        });
        expect(problems).to.have.length(2);
    });

    it("parses durations in seconds, minutes and hours", () => {
        expect([parseDuration("30s"), parseDuration("10m"), parseDuration("1h")]).to.deep.equal([30, 600, 3600]);
        expect(() => parseDuration("10")).to.throw('"10" is not a duration such as "30s", "10m" or "1h"');
    });
});

describe("stack config: notifications", () => {
    it("takes a webhook as a secret (`[secret]` offline) or an environment variable, SNS on, the events and a timeout", () => {
        const cfg = base();
        cfg.notifications = {
            slack: { url: "[secret]" },
            teams: { urlEnv: "TEAMS_WEBHOOK_URL" },
            sns: true,
            events: ["rolled-back"],
            timeout: "5s",
        };
        expect(parseStackConfig(cfg, "Pulumi.test.yaml").notifications).to.deep.equal({
            slack: { url: "[secret]" },
            teams: { urlEnv: "TEAMS_WEBHOOK_URL" },
            sns: true,
            events: ["rolled-back"],
            timeout: 5,
        });
        expect(parseStackConfig(base(), "Pulumi.test.yaml").notifications).to.equal(undefined);
    });

    const table: [string, (cfg: Record<string, any>) => void, string][] = [
        [
            "a webhook with both `url` and `urlEnv`",
            (c) => (c.notifications = { slack: { url: "https://hooks.slack.com/x", urlEnv: "X" } }),
            "`lambda-rollout:notifications.slack`",
        ],
        ["a webhook with neither", (c) => (c.notifications = { teams: {} }), "needs exactly one of `url` (a secret) or `urlEnv`"],
        [
            "a URL that is not https",
            (c) => (c.notifications = { slack: { url: "ftp://x" } }),
            "`lambda-rollout:notifications.slack.url`: has the scheme ftp: must be an https URL (plain http only to a loopback host: 127.0.0.0/8, [::1] or localhost), set as a secret",
        ],
        ["an unknown event", (c) => (c.notifications = { events: ["deployed"] }), 'must be one of "started", "step-passed"'],
        ["an unknown channel", (c) => (c.notifications = { pagerduty: {} }), "`lambda-rollout:notifications`"],
    ];
    for (const [what, mutate, message] of table) {
        it(`refuses ${what}, naming the key`, () => {
            expect(problemsOf(mutate).join("\n")).to.contain(message);
        });
    }
});
