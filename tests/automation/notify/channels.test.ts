import { expect } from "chai";
import { postWebhook, WebhookError } from "../../../automation/adapters/webhook";
import { slackPayload, snsMessage, teamsPayload } from "../../../automation/notify/channels";
import { webhookUrl } from "../../../automation/notify/delivery";
import type { RolloutEvent } from "../../../automation/notify/events";
import { decodeState, STATE_PREFIX } from "../../../domain/state";
import { ConfigError } from "../../../config/issues";

/** A reason as anyone with UpdateAlias, or a hook's author, could make it. */
const HOSTILE =
    "gate failed <!channel> <https://evil.example|details> [click](https://evil.example) **now**\x1b[2J\x1b]0;pwned\x07 & more\r\nfake line";

const rolledBack: RolloutEvent = { kind: "rolled-back", stack: "prod", reason: HOSTILE, atMinute: 4.1 };

describe("notifications show outside text as text (Slack escaped, Teams as a TextRun)", () => {
    it("Slack: &, < and > escaped, so no @channel, link or entity forms; no control characters", () => {
        const payload = slackPayload(rolledBack);
        const section = (payload.blocks[0] as { text: { type: string; text: string } }).text;
        expect(section.type).to.equal("mrkdwn");
        expect(section.text).to.equal(payload.text);
        expect(payload.text).to.contain(
            "gate failed &lt;!channel&gt; &lt;https://evil.example|details&gt; [click](https://evil.example) **now** &amp; more\nfake line",
        );
        expect(payload.text).not.to.match(/<|>|\x1b|\x07|\r/); // eslint-disable-line no-control-regex
    });

    it("Teams: the reason goes in a TextRun (never read as Markdown), without control characters", () => {
        const card = (teamsPayload(rolledBack) as { attachments: { content: { body: Record<string, unknown>[] } }[] }).attachments[0]
            .content;
        expect(card.body[0]).to.deep.equal({
            type: "TextBlock",
            text: "lambda-rollout prod: rolled back",
            weight: "Bolder",
            size: "Medium",
            wrap: true,
        });
        expect(card.body[1].type).to.equal("RichTextBlock");
        const runs = card.body[1].inlines as { type: string; text: string }[];
        expect(runs).to.have.length(1);
        expect(runs[0].type).to.equal("TextRun");
        expect(runs[0].text).to.equal(
            "all traffic back on stable at minute 4.1: gate failed <!channel> <https://evil.example|details> [click](https://evil.example) **now** & more\nfake line",
        );
        expect(card.body.filter((b) => b.type === "TextBlock")).to.have.length(1);
    });
});

describe("SNS carries the same text without control characters", () => {
    it("the subject is one line (SNS refuses line breaks and control characters), the message plain text", () => {
        const { Subject, Message } = snsMessage(rolledBack);
        expect(Subject).to.equal("lambda-rollout prod: rolled back");
        expect(Message).to.contain("**now** & more\nfake line");
        expect(Message).not.to.match(/\x1b|\x07|\r/); // eslint-disable-line no-control-regex
    });
});

describe("webhook URLs known only at run time (urlEnv) are checked before anything is sent", () => {
    const SECRET = "http://hooks.slack.com/services/T0/B0/s3cr3t";

    it("a notification's urlEnv holding plain http to another host is a config error naming the key and the variable, not the URL", () => {
        let error: unknown;
        try {
            webhookUrl("slack", { urlEnv: "SLACK_WEBHOOK_URL" }, { SLACK_WEBHOOK_URL: SECRET });
        } catch (err) {
            error = err;
        }
        expect(error).to.be.instanceOf(ConfigError);
        expect((error as ConfigError).problems).to.deep.equal([
            "`lambda-rollout:notifications.slack.urlEnv`: the URL in SLACK_WEBHOOK_URL is plain http to a host that is not loopback: it must be an https URL (plain http only to a loopback host: 127.0.0.0/8, [::1] or localhost)",
        ]);
        expect(String((error as Error).message)).not.to.contain("s3cr3t");
        expect(webhookUrl("slack", { urlEnv: "U" }, { U: "http://127.0.0.1:9/x" })).to.equal("http://127.0.0.1:9/x");
    });

    it("the one place that POSTs refuses such a URL without connecting, whatever passed it on (a hook, a rehearsal)", async () => {
        let error: unknown;
        try {
            await postWebhook(SECRET, {}, AbortSignal.timeout(5000), false);
        } catch (err) {
            error = err;
        }
        expect(error).to.be.instanceOf(WebhookError);
        expect(error).to.include({ reason: "refused", code: "is plain http to a host that is not loopback" });
        expect((error as Error).message).not.to.contain("s3cr3t");
    });
});

describe("a record on the alias is read as plain text", () => {
    it("decodeState drops control characters and escapes from the reason and the name someone wrote there", () => {
        const body = { p: "aborted", s: "1", c: "2", i: 1, n: 3, w: 0, t: 1, r: "paged\x1b[2J\x1b]0;x\x07\nby\u202eevil", b: "eve\x1b[8m" };
        expect(decodeState(STATE_PREFIX + JSON.stringify(body))).to.include({ reason: "paged byevil", by: "eve" });
    });
});
