/**
 * What a person sees: lines wrapped to 100 columns, colour on a terminal (none with NO_COLOR or in a pipe), the
 * outcome line standing out, a countdown redrawn in place while a step bakes, and the prompt before traffic
 * moves. The rules (when to colour, how a line is styled, how it wraps, how a duration reads) are pure functions
 * with tests; the rest writes to the process's streams. With --json the lines for people go to stderr, so
 * stdout holds only the JSON, never coloured or wrapped. Every line is made plain text (domain/text.ts)
 * before it is styled: a hook's output, a reason recorded on an alias or an answer from AWS cannot move the
 * cursor, rewrite a line or recolour the terminal; only the colours added here reach it.
 */
import { createLogUpdate } from "log-update";
import { createColors } from "picocolors";
import prettyMilliseconds from "pretty-ms";
import * as readline from "readline/promises";
import wrapAnsi from "wrap-ansi";
import type { RolloutLog } from "../rollout/promote";
import type { Clock } from "../rollout/ports";
import { describeRouting, type RolloutReport } from "../rollout/report";
import type { StackStatus } from "../rollout/status";
import { plainText } from "../../domain/text";

/** The widest a line for people gets: fits a terminal split in two, and a CI log without scrolling. */
export const LINE_WIDTH = 100;

/** The colour functions of picocolors, on or off. */
export type Colours = ReturnType<typeof createColors>;

/** What decides colour: the environment's NO_COLOR / FORCE_COLOR / TERM, and whether the stream is a terminal. */
export interface ColourSettings {
    readonly env: { readonly NO_COLOR?: string; readonly FORCE_COLOR?: string; readonly TERM?: string };
    readonly isTTY: boolean;
}

/**
 * Colour or not, as https://no-color.org and the FORCE_COLOR convention say: NO_COLOR (any non-empty value)
 * turns it off; FORCE_COLOR (other than `0`/`false`) turns it on, in a pipe too; else a terminal that is not
 * `TERM=dumb` gets colour and a pipe or a file gets none. (picocolors' own default also colours whenever `CI`
 * is set, which would put escapes in a piped log; so the decision is made here, per stream.)
 */
export function colourEnabled({ env, isTTY }: ColourSettings): boolean {
    if (env.NO_COLOR) return false;
    if (env.FORCE_COLOR !== undefined && env.FORCE_COLOR !== "") return !/^(0|false)$/i.test(env.FORCE_COLOR);
    return isTTY && env.TERM !== "dumb";
}

/** The colours for a stream of this process. */
export function coloursFor(stream: NodeJS.WriteStream): Colours {
    return createColors(colourEnabled({ env: process.env, isTTY: Boolean(stream.isTTY) }));
}

const OUTCOME_STYLE: Record<string, (c: Colours, s: string) => string> = {
    PROMOTED: (c, s) => c.bold(c.green(s)),
    "ROLLED-BACK": (c, s) => c.bold(c.red(s)),
    FAILED: (c, s) => c.bold(c.red(s)),
    ABORTED: (c, s) => c.bold(c.yellow(s)),
    HELD: (c, s) => c.bold(c.yellow(s)),
    "NOTHING-TO-DO": (c, s) => c.bold(s),
};

/** The colour a whole line takes (its wrapped continuations too), from its words. */
export type Tone = "red" | "yellow" | undefined;

/** A failed gate, a rollback, a stranded function, an error: red; a warning: yellow. */
export function toneOf(text: string): Tone {
    const rest = text.replace(/^\[min [\d.]+\] /, "");
    if (/^(error|BROKEN)\b|\bFAILED\b|^rolling back|^aborting|\bNOT on\b/.test(rest)) return "red";
    if (/^warning\b/.test(rest)) return "yellow";
    return undefined;
}

/**
 * A line styled for a person: the outcome line (`PROMOTED: ...`) with its word bold in its colour; `[min N]`
 * dimmed; the rest in the line's tone ({@link toneOf} of the whole line, so a wrapped line keeps it). The words
 * stay the same, so the text a test or a log search matches is the text without colour.
 */
export function styleLine(text: string, c: Colours, tone: Tone = toneOf(text)): string {
    const outcome = /^([A-Z-]+):/.exec(text);
    if (outcome && OUTCOME_STYLE[outcome[1]]) return OUTCOME_STYLE[outcome[1]](c, outcome[1]) + text.slice(outcome[1].length);
    const minute = /^\[min [\d.]+\] /.exec(text);
    const prefix = minute ? c.dim(minute[0]) : "";
    const rest = minute ? text.slice(minute[0].length) : text;
    return prefix + (tone ? c[tone](rest) : rest);
}

/** A line for a person, wrapped to `width` columns, then styled: each wrapped piece in the whole line's tone. */
export function formatLine(text: string, c: Colours, width = LINE_WIDTH): string {
    const tone = toneOf(text);
    const [first, ...rest] = wrapLine(text, width).split("\n");
    return [styleLine(first, c, tone), ...rest.map((l) => (tone ? c[tone](l) : l))].join("\n");
}

/**
 * Where a wrapped line's continuations start: under the last column of a table row (a run of two or more spaces
 * before text, within the first 60 columns), so `plan`'s rows keep their columns; else four columns in from the
 * line's own indentation.
 */
function hangingIndent(text: string): number {
    let column = /^ */.exec(text)![0].length + 4;
    for (const gap of text.matchAll(/ {2,}(?=\S)/g)) {
        const start = gap.index + gap[0].length;
        if (start <= 60 && gap.index > 0 && text.slice(0, gap.index).trim() !== "") column = start;
    }
    return column;
}

/**
 * A line wrapped to `width` columns at word boundaries, each continuation at its {@link hangingIndent}; a word
 * longer than the width (an ARN, a command) stays whole. Colour escapes do not
 * count as columns (but lines are wrapped before they are coloured: see {@link formatLine}).
 */
export function wrapLine(text: string, width = LINE_WIDTH): string {
    const indent = " ".repeat(hangingIndent(text));
    const [first, ...rest] = wrapAnsi(text, width, { hard: false, trim: false, wordWrap: true }).split("\n");
    if (rest.length === 0) return first;
    // Continuations re-wrapped to the room left after their indent.
    const tail = wrapAnsi(rest.map((l) => l.trim()).join(" "), width - indent.length, { hard: false, trim: true });
    return [first.trimEnd(), ...tail.split("\n").map((l) => indent + l)].join("\n");
}

/** A duration for a person, in its two largest units without spaces: `1h30m`, `10m`, `9m5s`, `45s`, `1.5s` under ten seconds. */
export function formatDuration(ms: number): string {
    if (ms <= 0) return "0s";
    return prettyMilliseconds(ms, { unitCount: 2, secondsDecimalDigits: ms < 10_000 ? 1 : 0 }).replace(/ /g, "");
}

/** The closing line of a rollout, for a person: the outcome, where traffic is, when it was decided. */
export function summary(report: RolloutReport): string {
    const routing = Object.entries(report.functions)
        .map(([k, f]) => `${k} ${describeRouting(f)}`)
        .join(", ");
    const req = report.requests
        ? `; ${report.requests.total} requests, ${report.requests.candidate} to the candidate, ${report.requests.candidateErrors} of them failed`
        : "";
    const decided = report.decisionAtMinute === null ? "" : `, decided at minute ${report.decisionAtMinute}`;
    const path = report.rollbackPath ? `; rolled back through ${report.rollbackPath}` : "";
    return `${report.outcome.toUpperCase()}: traffic now ${routing || "unchanged"}${decided}, ${report.durationMinutes} min in all${req}${path}`;
}

/** Prints lines for a person on `stream`: styled for it, and wrapped. */
export function printLines(lines: readonly string[], stream: NodeJS.WriteStream = process.stdout): void {
    const c = coloursFor(stream);
    for (const line of lines) stream.write(`${formatLine(plainText(line), c)}\n`);
}

/**
 * Lines for a person on stdout (stderr with --json); on a terminal, a countdown on stderr redrawn in place every
 * second until the next line. The countdown only draws: how long the rollout waits is decided elsewhere, so a
 * rehearsal gives the same report on a terminal and in a pipe.
 */
export function consoleLog(clock: Clock, json = false): RolloutLog {
    const stream = json ? process.stderr : process.stdout;
    const countdownLine = process.stderr.isTTY ? createLogUpdate(process.stderr, { showCursor: true }) : undefined;
    const dim = coloursFor(process.stderr).dim;
    let timer: NodeJS.Timeout | undefined;
    const clear = () => {
        if (timer === undefined) return;
        clearInterval(timer);
        timer = undefined;
        countdownLine?.clear();
    };
    return {
        line(text) {
            clear();
            printLines([text], stream);
        },
        countdown: countdownLine
            ? (label, until) => {
                  clear();
                  const draw = () => countdownLine(dim(`${plainText(label)}, ${formatDuration(Math.max(0, until - clock.now()))} left`));
                  draw();
                  timer = setInterval(draw, 1000);
                  timer.unref();
              }
            : undefined,
    };
}

/** The prompt before anything is invoked or moved, on a terminal: yes or y goes ahead; anything else, or Ctrl-C, does not. */
export async function askOnTerminal(question: string): Promise<boolean>;
export async function askOnTerminal(question: string, signal: AbortSignal): Promise<boolean | undefined>;
/** With a `signal`: the prompt is closed when it aborts (the answer came from elsewhere), and the result is undefined. */
export async function askOnTerminal(question: string, signal?: AbortSignal): Promise<boolean | undefined> {
    const rl = readline.createInterface({ input: process.stdin, output: process.stdout });
    // On a terminal, Ctrl-C at the prompt reaches readline as a key, not as a signal: it answers "no".
    const declined = new Promise<string>((resolve) => rl.once("SIGINT", () => resolve("")));
    const closed = new Promise<undefined>((resolve) => {
        if (signal?.aborted) resolve(undefined);
        signal?.addEventListener("abort", () => resolve(undefined), { once: true });
    });
    try {
        const c = coloursFor(process.stdout);
        const answer = await Promise.race([
            rl.question(`${c.bold(plainText(question))} [y/N] `, { signal }).catch(() => undefined),
            declined,
            closed,
        ]);
        return answer === undefined ? undefined : /^y(es)?$/i.test(answer.trim());
    } finally {
        rl.close();
    }
}

/**
 * Shows successive statuses of a watch: on a terminal, redrawn in place; in a pipe, a new block (after a
 * blank line) only when the text changed, so a log holds each change once.
 */
export function statusView(stream: NodeJS.WriteStream, describe: (s: StackStatus) => string[]) {
    const c = coloursFor(stream);
    const redraw = stream.isTTY ? createLogUpdate(stream, { showCursor: true }) : undefined;
    let last: string | undefined;
    return {
        show(s: StackStatus): void {
            const text = describe(s)
                .map((l) => formatLine(plainText(l), c))
                .join("\n");
            if (redraw) return redraw(text);
            if (text === last) return;
            stream.write(`${last === undefined ? "" : "\n"}${text}\n`);
            last = text;
        },
        /** Leaves the last drawing on screen. */
        done(): void {
            redraw?.done();
        },
    };
}
