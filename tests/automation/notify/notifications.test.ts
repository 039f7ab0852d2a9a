import { expect } from "chai";
import * as fs from "fs";
import * as http from "node:http";
import * as os from "os";
import type { AddressInfo } from "node:net";
import * as path from "path";
import { PROJECT_ROOT } from "../../../automation/engine/evaluate";
import { slackChannel, teamsChannel, type NotificationChannel } from "../../../automation/notify/channels";
import { webhookUrl } from "../../../automation/notify/delivery";
import { Notifier } from "../../../automation/notify/notifier";
import { postNotification } from "../../../automation/wiring";
import { rehearse } from "../../../automation/rehearsal/rehearse";
import { readScenario } from "../../../automation/rehearsal/scenario";
import type { RolloutReport } from "../../../automation/rollout/report";
import { runCli } from "../../helpers/cli";
import { memoryLog } from "../../helpers/fakes";

/** The secret part of a webhook's URL, as Slack and Teams put it in the path. */
const TOKEN = "T0SECRET/B0SECRET/xoxsecrettoken";

interface Received {
    path: string;
    body: any;
}

/** A webhook server on 127.0.0.1: answers each POST as `answer` says (a status, or never). */
async function webhookServer(answer: (path: string) => number | "never" = () => 200) {
    const received: Received[] = [];
    const open = new Set<http.ServerResponse>();
    const server = http.createServer((req, res) => {
        let body = "";
        req.on("data", (c) => (body += c));
        req.on("end", () => {
            received.push({ path: req.url ?? "", body: JSON.parse(body) });
            const a = answer(req.url ?? "");
            if (a === "never") {
                open.add(res);
                return;
            }
            res.writeHead(a, { "content-type": "text/plain" });
            // An error page that echoes the request, as some proxies do: it must not reach the output.
            res.end(a >= 300 ? `bad request to ${req.url}` : "ok");
        });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    return {
        received,
        slackUrl: `${base}/slack/${TOKEN}`,
        teamsUrl: `${base}/teams/${TOKEN}`,
        close: async () => {
            open.forEach((r) => r.destroy());
            server.closeAllConnections();
            await new Promise<void>((resolve) => server.close(() => resolve()));
        },
    };
}

const scenario = () => readScenario(path.join(PROJECT_ROOT, "scenarios", "bad-canary.json"));
const NOTIFY_CONFIG = path.join(PROJECT_ROOT, "tests", "fixtures", "notify-prod.yaml");

describe("notifications: Slack and Teams webhooks, the stack's SNS topic", function () {
    this.timeout(60_000);

    it("bad-canary posts one Slack and one Teams payload per event to a local server, and the URL is in no output", async () => {
        const server = await webhookServer();
        const log = memoryLog();
        const reports: RolloutReport[] = [];
        try {
            const result = await rehearse({
                stack: "prod",
                scenario: scenario(),
                configFile: NOTIFY_CONFIG,
                log,
                observe: (r) => reports.push(structuredClone(r)),
                webhooks: { slack: server.slackUrl, teams: server.teamsUrl },
            });
            expect(result.report.outcome).to.equal("rolled-back");
            const slack = server.received.filter((r) => r.path.startsWith("/slack/"));
            const teams = server.received.filter((r) => r.path.startsWith("/teams/"));
            // One message per event, never one per poll of a bake.
            expect(slack.map((r) => r.body.text.split(":")[1].trim())).to.deep.equal(["rollout started", "rolled back"]);
            expect(slack[1].body.text).to.match(/^lambda-rollout prod: rolled back: all traffic back on stable at minute [\d.]+: /);
            expect(slack[1].body.blocks[0]).to.deep.include({ type: "section" });
            expect(teams).to.have.length(2);
            const card = teams[1].body.attachments[0];
            expect(card.contentType).to.equal("application/vnd.microsoft.card.adaptive");
            expect(card.content).to.deep.include({ type: "AdaptiveCard", version: "1.4" });
            expect(card.content.body[0].text).to.equal("lambda-rollout prod: rolled back");
            expect(result.report.notifications).to.deep.equal([
                { kind: "started", channel: "slack" },
                { kind: "started", channel: "teams" },
                { kind: "started", channel: "sns" },
                { kind: "rolled-back", channel: "slack" },
                { kind: "rolled-back", channel: "teams" },
                { kind: "rolled-back", channel: "sns" },
            ]);
            const everything = [...log.lines, JSON.stringify(result.report), ...reports.map((r) => JSON.stringify(r))].join("\n");
            expect(everything).not.to.contain(TOKEN);
            expect(everything).not.to.contain("127.0.0.1");
        } finally {
            await server.close();
        }
    });

    it("bad-canary's metrics and SNS publishes are in the simulated account", async () => {
        const { report, account } = await rehearse({ stack: "prod", scenario: scenario(), log: memoryLog() });
        expect(report.metricsPut).to.deep.equal(["RolloutSucceeded", "RolloutRolledBack", "RolloutDuration", "RolloutTimeToDecision"]);
        const data = account.customMetrics("LambdaRollout");
        expect(data.map((d) => [d.metricName, d.value, d.unit])).to.deep.equal([
            ["RolloutSucceeded", 0, "Count"],
            ["RolloutRolledBack", 1, "Count"],
            ["RolloutDuration", Math.round(report.durationMinutes * 60), "Seconds"],
            ["RolloutTimeToDecision", Math.round(report.decisionAtMinute! * 60), "Seconds"],
        ]);
        expect(data.every((d) => d.dimensions.Stack === "prod" && d.dimensions.Function === "api")).to.equal(true);
        const published = account.snsPublishes();
        expect(published.map((p) => [p.subject, p.attributes.event])).to.deep.equal([
            ["lambda-rollout prod: rollout started", "started"],
            ["lambda-rollout prod: rolled back", "rolled-back"],
        ]);
        expect(published[0].topicArn).to.match(/^arn:aws:sns:[\w-]+:\d{12}:lambda-rollout-prod-rollback-alarms$/);
        expect(published[1].message).to.contain(report.steps.at(-1)!.reason);
    });

    it("webhooks that fail (HTTP 500) or never answer do not change the outcome, and each failure is a warning without the URL", async () => {
        const baseline = await rehearse({ stack: "prod", scenario: scenario(), configFile: NOTIFY_CONFIG, log: memoryLog() });
        const server = await webhookServer((p) => (p.startsWith("/slack/") ? 500 : "never"));
        const log = memoryLog();
        try {
            const config = path.join(PROJECT_ROOT, "tests", "fixtures", "notify-prod-1s.yaml");
            const result = await rehearse({
                stack: "prod",
                scenario: scenario(),
                configFile: config,
                log,
                webhooks: { slack: server.slackUrl, teams: server.teamsUrl },
            });
            expect(result.report.outcome).to.equal(baseline.report.outcome);
            expect(result.exitCode).to.equal(baseline.exitCode);
            expect(result.report.steps).to.deep.equal(baseline.report.steps);
            // The rehearsal shares its event loop with the test's webhook server: on a busy machine the 500 may come
            // after the 1s timeout. Either way it is a failure said in a warning, and nothing else changes.
            const warnings = result.report.warnings ?? [];
            for (const event of ["started", "rolled-back"]) {
                expect(warnings.some((w) => w.startsWith(`notification "${event}" to slack failed, the rollout goes on: `))).to.equal(true);
                expect(warnings, event).to.include(`notification "${event}" to teams failed, the rollout goes on: no answer within 1s`);
            }
            expect(
                warnings
                    .filter((w) => w.includes(" to slack failed"))
                    .every((w) => /: (Slack webhook answered HTTP 500|no answer within 1s)$/.test(w)),
            ).to.equal(true);
            expect(result.report.notifications).to.deep.equal([
                { kind: "started", channel: "sns" },
                { kind: "rolled-back", channel: "sns" },
            ]);
            expect([...log.lines, JSON.stringify(result.report)].join("\n")).not.to.contain(TOKEN);
        } finally {
            await server.close();
        }
    });

    it("a webhook that cannot be reached is a warning naming the error's code, not the URL", async () => {
        const server = await webhookServer();
        const url = server.slackUrl;
        await server.close();
        const lines: string[] = [];
        const notifier = new Notifier([slackChannel(url, postNotification)], { timeoutMs: 2000, warn: (l) => lines.push(l) });
        notifier.observe(report());
        const outcome = await notifier.flush();
        expect(outcome.sent).to.deep.equal([]);
        expect(outcome.warnings).to.deep.equal([
            'notification "started" to slack failed, the rollout goes on: Slack webhook could not be reached (ECONNREFUSED)',
        ]);
        expect(lines.join("\n")).not.to.contain(TOKEN);
    });

    it("observe returns at once while a send hangs; the hung send and a bad URL each end as a warning", async () => {
        let release!: () => void;
        const hanging: NotificationChannel = { name: "teams", send: () => new Promise<void>((resolve) => (release = resolve)) };
        const notifier = new Notifier([hanging, teamsChannel("not a url", postNotification)], { timeoutMs: 50 });
        const started = Date.now();
        notifier.observe(report());
        notifier.observe(report({ outcome: "promoted" }));
        expect(Date.now() - started).to.be.below(50);
        const outcome = await notifier.flush();
        release();
        expect(outcome.sent).to.deep.equal([]);
        expect(outcome.warnings).to.have.length(4);
        expect(outcome.warnings[0]).to.equal('notification "started" to teams failed, the rollout goes on: no answer within 0.05s');
    });
});

function report(change: Partial<RolloutReport> = {}): RolloutReport {
    return {
        outcome: "nothing-to-do",
        stack: "prod",
        strategy: "canary",
        functions: { api: { stable: "1", candidate: "2", finalRouting: "unknown" } },
        steps: [],
        decisionAtMinute: null,
        durationMinutes: 0,
        ...change,
    };
}

describe("notifications from the command line: `rehearse --send-webhooks`", function () {
    this.timeout(120_000);

    it("posts to the URLs in the environment, and the URL is in neither stdout, stderr nor the report file", async () => {
        const server = await webhookServer();
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "lambda-rollout-notify-"));
        const reportFile = path.join(dir, "report.json");
        try {
            const run = await runCli(
                [
                    "rehearse",
                    "-s",
                    "prod",
                    "--scenario",
                    "scenarios/bad-canary.json",
                    "--config-file",
                    NOTIFY_CONFIG,
                    "--send-webhooks",
                    "--json",
                    "--report",
                    reportFile,
                ],
                { env: { TEST_SLACK_WEBHOOK_URL: server.slackUrl, TEST_TEAMS_WEBHOOK_URL: server.teamsUrl } },
            );
            expect(run.code, run.stderr).to.equal(1);
            expect(server.received.map((r) => r.path.split("/")[1])).to.deep.equal(["slack", "teams", "slack", "teams"]);
            const report = JSON.parse(run.stdout);
            expect(report.notifications.map((n: { kind: string; channel: string }) => `${n.kind} ${n.channel}`)).to.deep.equal([
                "started slack",
                "started teams",
                "started sns",
                "rolled-back slack",
                "rolled-back teams",
                "rolled-back sns",
            ]);
            expect(report.metricsPut).to.include("RolloutRolledBack");
            for (const output of [run.stdout, run.stderr, fs.readFileSync(reportFile, "utf8")]) expect(output).not.to.contain(TOKEN);
        } finally {
            await server.close();
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });
});

describe("a webhook's URL", () => {
    it("comes from the named environment variable; unset, it is a config error naming the key and the variable", () => {
        expect(webhookUrl("slack", { urlEnv: "HOOK" }, { HOOK: "https://hooks.example/x" })).to.equal("https://hooks.example/x");
        expect(() => webhookUrl("slack", { urlEnv: "HOOK" }, {})).to.throw(
            "`lambda-rollout:notifications.slack.urlEnv` names HOOK, which is not set: export the webhook's URL in it",
        );
    });

    it("a secret read offline ([secret]) cannot be posted to: a config error, never a post to `[secret]`", () => {
        expect(() => webhookUrl("teams", { url: "[secret]" }, {})).to.throw(
            "`lambda-rollout:notifications.teams.url` is a secret this run could not decrypt",
        );
        expect(webhookUrl("teams", { url: "https://example.webhook.office.com/abc" }, {})).to.equal(
            "https://example.webhook.office.com/abc",
        );
    });
});
