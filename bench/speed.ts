/**
 * The speed benchmark: `plan` and `rehearse` of a prod-like stack with 1 to 200 functions, and `--version`, run
 * as a user runs them (the compiled command, one process each, timed from outside by GNU time), in this checkout
 * and in a checkout of an earlier commit, in turn (A B A B ...) so that both sides see the same machine.
 *
 *   npm run bench:speed -- --base ../lambda-rollout-before [--sizes 1,10,50,100,200] [--runs 3]
 *
 * Each side is built first (`tsc -p tsconfig.build.json`), and needs its own `npm ci`. The table goes to stdout and
 * to bench/results/speed.md with the method, the machine and its load average (docs/design.md, "Speed").
 */
import { spawnSync } from "child_process";
import { Command, InvalidArgumentError } from "commander";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { parse as parseYaml, stringify as toYaml } from "yaml";

/** One side of the comparison: a checkout with its node_modules. */
export interface Side {
    readonly label: "before" | "after";
    readonly root: string;
}

/** One timed run: CPU (user + system) and wall seconds, peak resident memory (MB), and the exit code. */
export interface Run {
    readonly cpu: number;
    readonly wall: number;
    readonly rssMb: number;
    readonly exitCode: number;
}

/** A row of the table: a command at a size, both sides' runs. */
export interface Row {
    readonly command: string;
    readonly functions?: number;
    readonly before: Run[];
    readonly after: Run[];
}

/**
 * The prod stack file with `functions` generated functions in place of its own: the same rollout, gates, VPC and
 * alarms; each function the api's code and settings, without reserved concurrency (200 functions reserving 200
 * each would ask for more than an account's 1,000).
 */
export function stackWithFunctions(prodYaml: string, functions: number): string {
    const doc = parseYaml(prodYaml) as { config: Record<string, unknown> };
    const [api] = doc.config["lambda-rollout:functions"] as Record<string, unknown>[];
    const { reservedConcurrency: _reserved, http: _http, ...shape } = api;
    doc.config["lambda-rollout:functions"] = Array.from({ length: functions }, (_, i) => ({
        ...shape,
        name: `fn${String(i + 1).padStart(3, "0")}`,
    }));
    // Each function its own objects: the YAML has no aliases (a reader refuses more than 100 of them).
    return toYaml(doc, { aliasDuplicateObjects: false });
}

/** The median of some numbers (the mean of the middle two for an even count). */
export function median(values: readonly number[]): number {
    const sorted = [...values].sort((a, b) => a - b);
    const mid = Math.floor(sorted.length / 2);
    return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** GNU time's `%e %U %S %M` line (the last line of stderr) as a run. */
export function parseTimeLine(stderr: string, exitCode: number): Run {
    const line = stderr.trim().split("\n").at(-1) ?? "";
    const m = /^([\d.]+) ([\d.]+) ([\d.]+) (\d+)$/.exec(line);
    if (!m) throw new Error(`no timing in the output of GNU time (last line: ${JSON.stringify(line)})`);
    return { wall: Number(m[1]), cpu: Number(m[2]) + Number(m[3]), rssMb: Number(m[4]) / 1024, exitCode };
}

const fixed = (n: number, digits = 2) => n.toFixed(digits);

/** The table: per command and size, each side's medians, and after/before of the CPU and wall medians. */
export function markdown(rows: readonly Row[]): string[] {
    const lines = [
        "| command | functions | CPU s before | CPU s after | CPU after/before | wall s before | wall s after | wall after/before | peak RSS MB before | peak RSS MB after | exit codes before / after |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |",
    ];
    for (const r of rows) {
        const m = (runs: Run[], key: keyof Omit<Run, "exitCode">) => median(runs.map((x) => x[key]));
        const codes = (runs: Run[]) => [...new Set(runs.map((x) => x.exitCode))].join(",");
        lines.push(
            `| ${r.command} | ${r.functions ?? "-"} | ${fixed(m(r.before, "cpu"))} | ${fixed(m(r.after, "cpu"))} | ${fixed(m(r.after, "cpu") / m(r.before, "cpu"))} | ${fixed(m(r.before, "wall"))} | ${fixed(m(r.after, "wall"))} | ${fixed(m(r.after, "wall") / m(r.before, "wall"))} | ${fixed(m(r.before, "rssMb"), 0)} | ${fixed(m(r.after, "rssMb"), 0)} | ${codes(r.before)} / ${codes(r.after)} |`,
        );
    }
    return lines;
}

/** Runs `node <args>` in `cwd` under GNU time. */
function timed(cwd: string, args: string[]): Run {
    const r = spawnSync("/usr/bin/time", ["-f", "%e %U %S %M", process.execPath, ...args], {
        cwd,
        encoding: "utf8",
        maxBuffer: 256 * 1024 * 1024,
        env: { ...process.env, FORCE_COLOR: "0" },
    });
    if (r.error) throw r.error;
    return parseTimeLine(r.stderr, r.status ?? -1);
}

function loadAverage(): string {
    return os
        .loadavg()
        .map((l) => l.toFixed(2))
        .join(", ");
}

function commit(root: string): string {
    const r = spawnSync("git", ["-C", root, "log", "-1", "--format=%h %s"], { encoding: "utf8" });
    return r.stdout.trim() || "(not a git checkout)";
}

interface Args {
    readonly base: string;
    readonly sizes: number[];
    readonly runs: number;
    readonly build: boolean;
    readonly out: string;
}

function parseArgs(argv: string[]): Args {
    const program = new Command()
        .name("npm run bench:speed --")
        .requiredOption("--base <dir>", "a checkout of the commit to compare with (with its own npm ci)")
        .option("--sizes <list>", "how many functions, comma-separated", sizes, [1, 10, 50, 100, 200])
        .option("--runs <n>", "timed runs of each command on each side (after one untimed run of each)", whole, 3)
        .option("--no-build", "use each side's dist/ as it is")
        .option("--out <file>", "where the table and the method go", path.join("bench", "results", "speed.md"))
        .exitOverride((err) => process.exit(err.exitCode === 0 ? 0 : 2))
        .parse(argv, { from: "user" });
    const o = program.opts<Args>();
    if (!fs.existsSync(path.join(o.base, "package.json"))) throw new InvalidArgumentError(`--base ${o.base}: no package.json there`);
    return { ...o, base: path.resolve(o.base), out: path.resolve(o.out) };
}

function sizes(value: string): number[] {
    const list = value.split(",").map(Number);
    if (!list.every((n) => Number.isInteger(n) && n >= 1 && n <= 500))
        throw new InvalidArgumentError(`--sizes ${value}: whole numbers from 1 to 500, comma-separated`);
    return list;
}

function whole(value: string): number {
    const n = Number(value);
    if (!Number.isInteger(n) || n < 1 || n > 20) throw new InvalidArgumentError(`--runs ${value}: a whole number from 1 to 20`);
    return n;
}

/** Both sides in turn, `runs` times each, after one untimed run each when `warmUp` (the first time a side loads its modules). */
function pair(sides: Side[], runs: number, args: (side: Side) => string[], warmUp = false): Record<Side["label"], Run[]> {
    const out: Record<Side["label"], Run[]> = { before: [], after: [] };
    if (warmUp) for (const side of sides) timed(side.root, args(side));
    for (let i = 0; i < runs; i++) for (const side of sides) out[side.label].push(timed(side.root, args(side)));
    return out;
}

function main(): void {
    const args = parseArgs(process.argv.slice(2));
    const here = path.resolve(__dirname, "..");
    const sides: Side[] = [
        { label: "before", root: args.base },
        { label: "after", root: here },
    ];
    if (!fs.existsSync("/usr/bin/time")) throw new Error("needs GNU time at /usr/bin/time (Debian: apt-get install time)");
    if (args.build)
        for (const side of sides) {
            const tsc = path.join(side.root, "node_modules", "typescript", "bin", "tsc");
            const r = spawnSync(process.execPath, [tsc, "-p", "tsconfig.build.json"], { cwd: side.root, stdio: "inherit" });
            if (r.status !== 0) throw new Error(`the build of ${side.root} failed`);
        }
    const scratch = fs.mkdtempSync(path.join(os.tmpdir(), "lambda-rollout-speed-"));
    const loadBefore = loadAverage();
    const started = Date.now();
    const cli = path.join("dist", "automation", "cli.js");
    const rows: Row[] = [];
    const say = (row: Row) => {
        const expected = row.command.includes("usage error") ? 2 : 0;
        const wrong = [...row.before, ...row.after].find((r) => r.exitCode !== expected);
        if (wrong)
            throw new Error(
                `${row.command}${row.functions ? ` at ${row.functions} functions` : ""} exited ${wrong.exitCode}, not ${expected}: run it by hand to see why`,
            );
        rows.push(row);
        console.error(markdown([row])[2]);
    };
    say({ command: "node -e 0", ...pair(sides, args.runs * 3, () => ["-e", "0"], true) });
    say({ command: "lambda-rollout --version", ...pair(sides, args.runs * 3, () => [cli, "--version"], true) });
    say({
        command: "lambda-rollout plan --bad-flag (usage error)",
        ...pair(sides, args.runs * 3, () => [cli, "plan", "--bad-flag"], true),
    });
    for (const [i, n] of args.sizes.entries()) {
        const file = path.join(scratch, `Pulumi.prod-${n}.yaml`);
        fs.writeFileSync(file, stackWithFunctions(fs.readFileSync(path.join(here, "Pulumi.prod.yaml"), "utf8"), n));
        say({
            command: "plan",
            functions: n,
            ...pair(sides, args.runs, () => [cli, "plan", "-s", "prod", "--config-file", file], i === 0),
        });
        say({
            command: "rehearse (healthy)",
            functions: n,
            ...pair(
                sides,
                args.runs,
                () => [cli, "rehearse", "-s", "prod", "--config-file", file, "--scenario", "scenarios/healthy.json"],
                i === 0,
            ),
        });
    }
    fs.rmSync(scratch, { recursive: true, force: true });
    const cpu = os.cpus();
    const text = [
        "# Speed: plan, rehearse and start-up, before and after",
        "",
        `Made by \`npm run bench:speed -- --base <checkout> --sizes ${args.sizes.join(",")} --runs ${args.runs}\` on ${new Date().toISOString().slice(0, 16)}Z ` +
            `in ${Math.round((Date.now() - started) / 60_000)} min: ${cpu.length} × ${cpu[0]?.model ?? "unknown CPU"}, Node ${process.version}; ` +
            `load average (1, 5, 15 min) ${loadBefore} at the start and ${loadAverage()} at the end (the machine is shared: compare the two sides, not the absolute times).`,
        "",
        `- before: ${commit(args.base)}`,
        `- after: ${commit(here)}`,
        "",
        `Each cell is the median of ${args.runs} runs (${args.runs * 3} for the start-up rows); the two sides ran in turn (before, after, before, ...), each after one untimed run of each side for the start-up rows and the first size (the files read once are then in the page cache for both). ` +
            "A run is one process of the compiled command (`node dist/automation/cli.js`), timed by GNU time: CPU is user + system seconds, peak RSS the largest resident set. " +
            "`plan` and `rehearse` run on `Pulumi.prod.yaml` with its function replaced by N copies (bench/speed.ts, `stackWithFunctions`); `rehearse` runs scenarios/healthy.json.",
        "",
        ...markdown(rows),
        "",
    ].join("\n");
    fs.mkdirSync(path.dirname(args.out), { recursive: true });
    fs.writeFileSync(args.out, text);
    console.log(text);
}

if (require.main === module) main();
