/**
 * Output for people, shaped like the Pulumi CLI's: colour on a terminal (none with NO_COLOR or in a pipe,
 * FORCE_COLOR honoured), lines wrapped at 100 columns with a hanging indent, durations as `1h30m`, and a
 * countdown redrawn in place only on a terminal. `--json` output never passes through here: the report on
 * stdout stays plain, unwrapped JSON.
 */
import { createLogUpdate } from "log-update";
import { createColors } from "picocolors";
import prettyMs from "pretty-ms";
import wrapAnsi from "wrap-ansi";
import type { Clock } from "../rollout/ports";
import type { RolloutLog } from "../rollout/promote";
import { describeRouting, type RolloutReport } from "../rollout/report";
import type { StackStatus } from "../rollout/status";

/** The widest a human line gets, as the Pulumi CLI's own output on a standard terminal. */
export const COLUMNS = 100;

/** The colour functions of one stream (all identity functions when colour is off). */
export type Colours = ReturnType<typeof createColors>;

/**
 * Whether a stream gets colour (pure): `NO_COLOR` with any non-empty value turns it off (https://no-color.org),
 * else `FORCE_COLOR` (non-empty, not `0`) turns it on, else only a terminal gets it.
 */
export function colourEnabled(env: NodeJS.ProcessEnv, isTTY: boolean): boolean {
    if (env.NO_COLOR) return false;
    if (env.FORCE_COLOR !== undefined && env.FORCE_COLOR !== "") return env.FORCE_COLOR !== "0" && env.FORCE_COLOR !== "false";
    return isTTY;
}

/** The colours for a stream of this process. */
export function coloursFor(stream: NodeJS.WriteStream, env: NodeJS.ProcessEnv = process.env): Colours {
    return createColors(colourEnabled(env, Boolean(stream.isTTY)));
}

/**
 * A duration for a person, in its two largest units without spaces: `1h30m`, `10m`, `45s`, `1.5s` under ten
 * seconds.
 */
export function formatDuration(ms: number): string {
    if (ms <= 0) return "0s";
    return prettyMs(ms, { unitCount: 2, secondsDecimalDigits: ms < 10_000 ? 1 : 0 }).replace(/ /g, "");
}

/**
 * Wraps a line to `width` visible columns at word boundaries; continuation lines are indented by the line's
 * own indent plus two spaces, so a wrapped line reads as one. A word longer than the width (a URL, an ARN)
 * is left whole.
 */
export function wrapLine(text: string, width = COLUMNS): string {
    return text
        .split("\n")
        .map((line) => {
            const lead = /^\s*/.exec(line)![0];
            const first = wrapAnsi(line.slice(lead.length), width - lead.length, { hard: false }).split("\n");
            if (first.length === 1) return line;
            const indent = `${lead}  `;
            const rest = wrapAnsi(first.slice(1).join(" "), width - indent.length, { hard: false }).split("\n");
            return [lead + first[0], ...rest.map((l) => indent + l)].join("\n");
        })
        .join("\n");
}

/** How a line for a person is coloured, from what it says (pure): the outcome stands out, failures red, warnings yellow. */
export function colourLine(text: string, c: Colours): string {
    const outcome = /^(PROMOTED|ROLLED-BACK|ABORTED|HELD|FAILED|NOTHING-TO-DO)(:)/.exec(text);
    if (outcome) {
        const word = outcome[1];
        const paint =
            word === "PROMOTED" || word === "NOTHING-TO-DO"
                ? (s: string) => c.bold(c.green(s))
                : word === "ROLLED-BACK"
                  ? (s: string) => c.bold(c.red(s))
                  : word === "FAILED"
                    ? c.red
                    : c.yellow;
        return paint(word) + text.slice(word.length);
    }
    if (/: FAILED\b|^BROKEN |^\s*(error:|! )|^rolling back\b/.test(text)) return c.red(text);
    if (/^\s*warning\b|\bwarning:/i.test(text)) return c.yellow(text);
    return text;
}

/** The closing line of a rollout, for a person. */
export function summary(report: RolloutReport): string {
    const routing = Object.entries(report.functions)
        .map(([k, f]) => `${k} ${describeRouting(f)}`)
        .join(", ");
    const req = report.requests
        ? `; ${report.requests.total} requests, ${report.requests.candidate} to the candidate, ${report.requests.candidateErrors} of them failed`
        : "";
    const decided = report.decisionAtMinute === null ? "" : `, decided at minute ${report.decisionAtMinute}`;
    const took = formatDuration(report.durationMinutes * 60_000);
    return `${report.outcome.toUpperCase()}: traffic now ${routing || "unchanged"}${decided}, ${took} in all${req}${report.rollbackPath ? `; rolled back through ${report.rollbackPath}` : ""}`;
}

/**
 * Lines for a person on stdout (stderr with --json, so stdout holds only the report), coloured and wrapped;
 * on a terminal, a countdown on stderr redrawn every second until the next line. The countdown only draws:
 * how long the rollout waits is decided elsewhere, so a rehearsal gives the same report anywhere.
 */
export function consoleLog(clock: Clock, json = false, env: NodeJS.ProcessEnv = process.env): RolloutLog {
    const stream = json ? process.stderr : process.stdout;
    const c = coloursFor(stream, env);
    const tty = Boolean(process.stderr.isTTY);
    const countdownLine = tty ? createLogUpdate(process.stderr, { showCursor: true }) : undefined;
    let timer: NodeJS.Timeout | undefined;
    const clear = () => {
        if (timer) {
            clearInterval(timer);
            timer = undefined;
            countdownLine?.clear();
        }
    };
    return {
        line(text) {
            clear();
            stream.write(`${wrapLine(colourLine(text, c))}\n`);
        },
        countdown: countdownLine
            ? (label, until) => {
                  clear();
                  const cd = coloursFor(process.stderr, env);
                  const draw = () => countdownLine(cd.dim(`${label}, ${formatDuration(Math.max(0, until - clock.now()))} left`));
                  draw();
                  timer = setInterval(draw, 1000);
                  timer.unref();
              }
            : undefined,
    };
}

/** Prints lines for a person on `stream`, wrapped and coloured as {@link consoleLog} does. */
export function printLines(lines: string[], stream: NodeJS.WriteStream = process.stdout, env: NodeJS.ProcessEnv = process.env): void {
    const c = coloursFor(stream, env);
    for (const l of lines) stream.write(`${wrapLine(colourLine(l, c))}\n`);
}

/**
 * Shows successive statuses of a watch: on a terminal, redrawn in place; in a pipe, a new block (after a
 * blank line) only when the text changed, so a log holds each change once.
 */
export function statusView(stream: NodeJS.WriteStream, describe: (s: StackStatus) => string[], env: NodeJS.ProcessEnv = process.env) {
    const c = coloursFor(stream, env);
    const redraw = stream.isTTY ? createLogUpdate(stream, { showCursor: true }) : undefined;
    let last: string | undefined;
    return {
        show(s: StackStatus): void {
            const text = describe(s)
                .map((l) => wrapLine(colourLine(l, c)))
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
