import { expect } from "chai";
import { MAX_HOOK_ENV, parseStackConfig, StackConfigError } from "../../config/stackConfig";
import { isLoopbackHost, webhookUrlProblem } from "../../config/webhookUrls";

function configWith(rollout: Record<string, unknown>, notifications?: Record<string, unknown>): Record<string, unknown> {
    return {
        region: "us-east-1",
        functions: [{ name: "api", codeDir: "app/api", handler: "index.handler" }],
        rollout: { strategy: "canary", canary: { steps: [{ weight: 100, bake: "10m" }] }, ...rollout },
        ...(notifications ? { notifications } : {}),
    };
}

function problemsOf(raw: Record<string, unknown>): string[] {
    try {
        parseStackConfig(raw, "Pulumi.test.yaml");
        return [];
    } catch (err) {
        expect(err).to.be.instanceOf(StackConfigError);
        return (err as StackConfigError).problems;
    }
}

const URL_RULE = "must be an https URL (plain http only to a loopback host: 127.0.0.0/8, [::1] or localhost)";

describe("config: a command hook's environment is declared (`env`)", () => {
    it("takes the names of variables a command hook may see", () => {
        const cfg = parseStackConfig(
            configWith({ hooks: { preTraffic: [{ command: "npm run test:integration", env: ["NPM_TOKEN", "AWS_REGION"] }] } }),
            "x",
        );
        expect(cfg.rollout.hooks.preTraffic[0].env).to.deep.equal(["NPM_TOKEN", "AWS_REGION"]);
    });

    const cases: [string, unknown, string][] = [
        [
            "a name that is not a variable's",
            { command: "true", env: ["NPM-TOKEN"] },
            '`lambda-rollout:rollout.hooks.preTraffic[0].env[0]` (got "NPM-TOKEN"): must be an environment variable\'s name, e.g. NPM_TOKEN',
        ],
        [
            "more names than the bound",
            { command: "true", env: Array.from({ length: MAX_HOOK_ENV + 1 }, (_, i) => `V${i}`) },
            `\`lambda-rollout:rollout.hooks.preTraffic[0].env\` (got ${JSON.stringify(Array.from({ length: MAX_HOOK_ENV + 1 }, (_, i) => `V${i}`))}): must name at most ${MAX_HOOK_ENV} variables`,
        ],
        [
            "`env` on a hook that runs nothing here",
            { webhook: { url: "https://checks.example.com/hook" }, env: ["TOKEN"] },
            '`lambda-rollout:rollout.hooks.preTraffic[0].env` (got ["TOKEN"]): applies to `command` hooks only: a webhook or a Lambda hook runs nowhere on this machine',
        ],
    ];
    for (const [what, hook, message] of cases) {
        it(`refuses ${what}, naming the field (exit 2)`, () => {
            expect(problemsOf(configWith({ hooks: { preTraffic: [hook] } }))).to.deep.equal([message]);
        });
    }
});

describe("config: webhook URLs are https (plain http only to loopback)", () => {
    it("the rule, on URLs (pure): https anywhere; http to 127.0.0.0/8, [::1], localhost only; never quoting the URL", () => {
        const table: [string, string | undefined][] = [
            ["https://hooks.slack.com/services/T0/B0/s3cr3t", undefined],
            ["http://127.0.0.1:8080/hook", undefined],
            ["http://127.1.2.3/hook", undefined],
            ["http://[::1]:9000/hook", undefined],
            ["http://localhost:3000/hook", undefined],
            ["http://LOCALHOST./hook", undefined],
            // Node's URL parser normalizes other spellings of 127.0.0.1 first.
            ["http://2130706433/hook", undefined],
            ["http://hooks.slack.com/services/T0/B0/s3cr3t", "is plain http to a host that is not loopback"],
            ["http://127.0.0.1.evil.example/hook", "is plain http to a host that is not loopback"],
            ["http://localhost.evil.example/hook", "is plain http to a host that is not loopback"],
            ["http://10.0.0.1/hook", "is plain http to a host that is not loopback"],
            ["http://[::ffff:7f00:1]/hook", "is plain http to a host that is not loopback"],
            ["ftp://127.0.0.1/hook", "has the scheme ftp"],
            ["file:///etc/passwd", "has the scheme file"],
            ["hooks.slack.com/x", "is not a URL"],
        ];
        for (const [url, problem] of table) expect(webhookUrlProblem(url), url).to.equal(problem);
        expect(isLoopbackHost("127.0.0.1")).to.equal(true);
        expect(isLoopbackHost("128.0.0.1")).to.equal(false);
    });

    it("a hook's webhook URL and a notification's are refused when plain http leaves the machine, the key named, the URL not shown", () => {
        const secret = "http://hooks.slack.com/services/T0/B0/s3cr3t";
        const problems = problemsOf(configWith({ hooks: { afterStep: [{ webhook: { url: secret } }] } }, { slack: { url: secret } }));
        expect(problems).to.deep.equal([
            `\`lambda-rollout:rollout.hooks.afterStep[0].webhook.url\`: is plain http to a host that is not loopback: ${URL_RULE}`,
            `\`lambda-rollout:notifications.slack.url\`: is plain http to a host that is not loopback: ${URL_RULE}, set as a secret`,
        ]);
        expect(problems.join("\n")).not.to.contain("s3cr3t");
    });

    it("loopback http (a local receiver) and https are accepted; an offline secret is validated when it is read decrypted", () => {
        expect(
            problemsOf(
                configWith(
                    { hooks: { afterStep: [{ webhook: { url: "http://127.0.0.1:8080/hook" } }] } },
                    { slack: { url: "https://hooks.slack.com/x" }, teams: { url: "[secret]" } },
                ),
            ),
        ).to.deep.equal([]);
    });
});
