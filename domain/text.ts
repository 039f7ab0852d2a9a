/**
 * Text from outside the tool (a hook's output, an answer from AWS, a reason or a name recorded on an alias by
 * anyone with UpdateAlias) made safe for where it is shown. Pure, and the one place these rules live:
 *
 * - a terminal or a log: no control character and no escape sequence, so nothing can move the cursor, rewrite a
 *   line already printed, recolour, retitle the window or hide text (`plainText`, `oneLine`);
 * - Slack's mrkdwn: `&`, `<` and `>` escaped as Slack asks, so no link, mention or entity can be formed
 *   (`slackText`);
 * - GitHub's Markdown (the job summary): every ASCII punctuation character backslash-escaped, so a reason cannot
 *   make a link, an image, an autolink, a table cell or row, HTML or emphasis (`markdownText`).
 *
 * Teams needs no escaping of its own: its card shows outside text in a TextRun, which Adaptive Cards never read
 * as Markdown (notify/channels.ts).
 */

/**
 * ANSI escape sequences, whole: CSI (`ESC [` or 8-bit 0x9B, parameters, intermediates, a final byte); OSC, DCS,
 * SOS, PM and APC strings up to their terminator (BEL, `ESC \` or 0x9C); and the other `ESC` sequences. An
 * unterminated string loses only its introducer; the control characters pass below then removes what is left.
 */
const ESCAPE_SEQUENCE =
    // eslint-disable-next-line no-control-regex
    /(?:\x1b\[|\x9b)[0-?]*[ -/]*[@-~]|(?:\x1b[\]PX^_]|[\x90\x98\x9d\x9e\x9f])[^\x07\x1b\x9c]*(?:\x07|\x1b\\|\x9c)|\x1b[ -/]*[0-~]/g;

/** C0 controls but tab and line feed, DEL, and C1 controls. */
// eslint-disable-next-line no-control-regex
const CONTROL = /[\x00-\x08\x0b-\x1f\x7f-\x9f]/g;

/**
 * Characters that change how the text around them reads without showing themselves: bidirectional overrides,
 * embeddings, isolates and marks (the "Trojan Source" characters), zero-width spaces and joiners, the word
 * joiner and invisible operators, and the byte-order mark.
 */
const INVISIBLE = /[\u061c\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]/g;

/**
 * The text with every escape sequence and control character removed; line feeds and tabs are kept (a multi-line
 * output stays readable), a carriage return becomes a line feed (so it cannot overwrite what came before), and
 * Unicode's line and paragraph separators become line feeds too.
 */
export function plainText(text: string): string {
    return text
        .replace(ESCAPE_SEQUENCE, "")
        .replace(/\r\n?|[\u2028\u2029]/g, "\n")
        .replace(CONTROL, "")
        .replace(INVISIBLE, "");
}

/** {@link plainText} on one line: every run of white space (line feeds and tabs included) becomes one space. */
export function oneLine(text: string): string {
    return plainText(text).replace(/\s+/g, " ").trim();
}

/** {@link plainText} for Slack's mrkdwn: `&`, `<`, `>` escaped (Slack's own rule), so no link, mention or entity forms. */
export function slackText(text: string): string {
    return plainText(text).replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

/**
 * {@link oneLine} for GitHub-flavoured Markdown: every ASCII punctuation character backslash-escaped (CommonMark
 * shows each as itself), so the text stays one paragraph or one table cell and forms no link, image, autolink,
 * HTML, emphasis, code span or cell border, whatever it holds.
 */
export function markdownText(text: string): string {
    return oneLine(text).replace(/[!-/:-@[-`{-~]/g, (c) => `\\${c}`);
}
