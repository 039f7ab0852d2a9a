import { expect } from "chai";
import { markdownText, oneLine, plainText, slackText } from "../../domain/text";

/** Any C0 control but tab and line feed, DEL, any C1 control. */
// eslint-disable-next-line no-control-regex
const CONTROL = /[\x00-\x08\x0b-\x1f\x7f-\x9f]/;

describe("text from outside the tool, made safe to show (domain/text.ts)", () => {
    it("plainText removes whole escape sequences and control characters, keeps line feeds and tabs", () => {
        const table: [string, string, string][] = [
            ["colours", "\x1b[1;31mFAILED\x1b[0m here", "FAILED here"],
            ["clear screen, cursor moves", "\x1b[2J\x1b[H\x1b[10;20Hover", "over"],
            ["a window title (OSC ended by BEL)", "\x1b]0;pwned\x07ok", "ok"],
            ["a hyperlink (OSC 8 ended by ST)", "\x1b]8;;https://evil.example\x1b\\click\x1b]8;;\x1b\\", "click"],
            ["8-bit CSI", "\x9b31mred", "red"],
            ["a DCS string", "\x1bPq#0;2;0;0;0\x1b\\after", "after"],
            ["an unterminated CSI: the introducer goes, nothing printable is lost", "\x1b[31", "31"],
            ["a carriage return that would overwrite the line", "all good\rFAILED", "all good\nFAILED"],
            ["CRLF", "a\r\nb", "a\nb"],
            ["backspace, bell, NUL, DEL, C1", "a\b\x07\x00\x7f\x85b", "ab"],
            ["Trojan Source bidi overrides, zero-width characters", "admin\u202e\u2066txt.exe\u2069\u200b\ufeff", "admintxt.exe"],
            ["line and paragraph separators", "a\u2028b\u2029c", "a\nb\nc"],
            [
                "what a line legitimately needs",
                "step 1/3\t10%: passed\nnext: 50% — ünïcödé ✓",
                "step 1/3\t10%: passed\nnext: 50% — ünïcödé ✓",
            ],
        ];
        for (const [what, input, output] of table) expect(plainText(input), what).to.equal(output);
    });

    it("whatever the input, the output holds no control character and no escape", () => {
        let input = "";
        for (let c = 0; c < 0xa0; c++) input += String.fromCharCode(c) + "x";
        const out = plainText(input);
        expect(out).not.to.match(CONTROL);
        expect(oneLine(input)).not.to.match(/[\n\t]/);
    });

    it("oneLine collapses every run of white space (line feeds and tabs too) into one space", () => {
        expect(oneLine("  exit 1:\n\n  tests\tfailed \r\n ")).to.equal("exit 1: tests failed");
    });

    it("slackText escapes &, < and > as Slack asks, so no link, @channel mention or entity forms", () => {
        expect(slackText("<!channel> <https://evil.example|click> &amp; a > b\x1b[31m")).to.equal(
            "&lt;!channel&gt; &lt;https://evil.example|click&gt; &amp;amp; a &gt; b",
        );
    });

    it("markdownText escapes every ASCII punctuation character and keeps one line", () => {
        expect(markdownText("[x](https://e) | <b>*a*</b>\nnext")).to.equal(
            "\\[x\\]\\(https\\:\\/\\/e\\) \\| \\<b\\>\\*a\\*\\<\\/b\\> next",
        );
        expect(markdownText("plain words 42")).to.equal("plain words 42");
    });
});
