/**
 * `npm run bench:gates [-- --quick] [--seeds N] [--jobs N] [--out DIR] [--stable 0.5] [--candidates x3] [--rpm 200]`:
 * the gates benchmark (bench.ts); the last three restrict the matrix (one cell with many seeds, for instance).
 * Prints the markdown table and writes bench/results/gates.json and gates.md, and the plots (bench/plots.ts) into
 * docs/img (a study with another --out: into <out>/plots). Rows are spread over `--jobs`
 * worker processes (default: the number of CPUs, at most 4); the result does not depend on it.
 */
import { fork } from "child_process";
import { Command, InvalidArgumentError, Option } from "commander";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { assemble, cellsOf, FULL_MATRIX, QUICK_MATRIX, runRow, type MatrixSpec, type RowResult } from "./bench";
import { DOCS_IMG, writeBenchPlots } from "./plots";
import { markdown } from "./report";
import { recordDeploys } from "./world";

interface Args {
    quick: boolean;
    seeds?: number;
    /** Restrictions of the matrix to some of its values (a study of one cell with many seeds). */
    stable?: number[];
    candidates?: string[];
    rpm?: number[];
    jobs: number;
    out: string;
    worker?: { index: number; of: number };
}

/** The options, parsed by commander (as the tool's CLI); `--worker i/n` is internal (a forked worker). */
function parseArgs(argv: string[]): Args {
    const positive = (name: string) => (value: string) => {
        const n = Number(value);
        if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError(`${name} must be a whole number of at least 1 (got ${value})`);
        return n;
    };
    const program = new Command("bench:gates")
        .description("the gates benchmark: (a) runbook, (b) CodeDeploy and ours on the same seeds")
        .option("--quick", "a small matrix (24 rows)", false)
        .option("--seeds <n>", "seeds per cell (from 101)", positive("--seeds"))
        .option("--jobs <n>", "worker processes", positive("--jobs"), Math.max(1, Math.min(4, os.cpus().length)))
        .option("--out <dir>", "where to write gates.json, gates.md and gates.runs.json", path.join(__dirname, "results"))
        .option(
            "--stable <percents>",
            'only these stable error rates, percent, comma-separated (e.g. "0.5,1")',
            list(
                "--stable",
                FULL_MATRIX.stableErrorRates.map((r) => String(r * 100)),
            ),
        )
        .option(
            "--candidates <labels>",
            `only these candidates, comma-separated (of ${FULL_MATRIX.candidates.join(", ")})`,
            list("--candidates", [...FULL_MATRIX.candidates]),
        )
        .option(
            "--rpm <list>",
            `only these request rates, comma-separated (of ${FULL_MATRIX.requestsPerMinute.join(", ")})`,
            list("--rpm", FULL_MATRIX.requestsPerMinute.map(String)),
        )
        .addOption(new Option("--worker <i/n>").hideHelp())
        .exitOverride((err) => process.exit(err.exitCode === 0 ? 0 : 2))
        .parse(argv, { from: "user" });
    const o = program.opts<{
        quick: boolean;
        seeds?: number;
        jobs: number;
        out: string;
        worker?: string;
        stable?: string[];
        candidates?: string[];
        rpm?: string[];
    }>();
    const worker = o.worker?.split("/").map(Number);
    return {
        quick: o.quick,
        seeds: o.seeds,
        jobs: o.jobs,
        out: path.resolve(o.out),
        worker: worker && { index: worker[0], of: worker[1] },
        stable: o.stable?.map((p) => Number(p) / 100),
        candidates: o.candidates,
        rpm: o.rpm?.map(Number),
    };
}

/** A comma-separated list of some of the matrix's values; anything else is refused, naming what is valid. */
function list(name: string, valid: readonly string[]) {
    return (value: string) => {
        const items = value.split(",").map((v) => v.trim());
        const bad = items.filter((v) => !valid.includes(v));
        if (bad.length) throw new InvalidArgumentError(`${name}: ${bad.join(", ")} not in the matrix (valid: ${valid.join(", ")})`);
        return items;
    };
}

function matrixOf(args: Args): MatrixSpec {
    const base = args.quick ? QUICK_MATRIX : FULL_MATRIX;
    return {
        ...base,
        seeds: args.seeds ? Array.from({ length: args.seeds }, (_, i) => 101 + i) : base.seeds,
        stableErrorRates: args.stable ?? base.stableErrorRates,
        candidates: args.candidates ?? base.candidates,
        requestsPerMinute: args.rpm ?? base.requestsPerMinute,
    };
}

/** The (cell, seed) pairs, in order. */
function tasks(spec: MatrixSpec, maxP99Ms: number) {
    return cellsOf(spec, maxP99Ms).flatMap((cell) => spec.seeds.map((seed) => ({ cell, seed })));
}

async function worker(args: Args): Promise<void> {
    const template = await recordDeploys("prod");
    const all = tasks(matrixOf(args), template.config.rollout.gates.maxP99Ms);
    for (let i = args.worker!.index; i < all.length; i += args.worker!.of) {
        const row = await runRow(template, all[i].cell, all[i].seed);
        process.send!({ index: i, row });
    }
}

async function main(): Promise<void> {
    const args = parseArgs(process.argv.slice(2));
    if (args.worker) return worker(args);
    const started = Date.now();
    const spec = matrixOf(args);
    const shown = process.argv
        .slice(2)
        .filter((a, i, all) => !["--jobs", "--out"].includes(a) && !["--jobs", "--out"].includes(all[i - 1]));
    const command = `npm run bench:gates${shown.length ? ` -- ${shown.join(" ")}` : ""}`;
    const template = await recordDeploys("prod");
    const total = tasks(spec, template.config.rollout.gates.maxP99Ms).length;
    const rows: RowResult[] = new Array(total);
    let done = 0;
    const passOn = process.argv
        .slice(2)
        .filter((a, i, all) => a !== "--jobs" && all[i - 1] !== "--jobs" && a !== "--out" && all[i - 1] !== "--out");
    await Promise.all(
        Array.from(
            { length: Math.min(args.jobs, total) },
            (_, index) =>
                new Promise<void>((resolve, reject) => {
                    const child = fork(__filename, [...passOn, "--worker", `${index}/${Math.min(args.jobs, total)}`], {
                        stdio: ["ignore", "inherit", "inherit", "ipc"],
                    });
                    child.on("message", (m: { index: number; row: RowResult }) => {
                        rows[m.index] = m.row;
                        done += 1;
                        // A counter in place on a terminal; a line per tenth in a log.
                        if (process.stderr.isTTY) process.stderr.write(`\r${done}/${total} rows`);
                        else if (done % Math.ceil(total / 10) === 0 || done === total) process.stderr.write(`${done}/${total} rows\n`);
                    });
                    child.on("error", reject);
                    child.on("exit", (code) => (code === 0 ? resolve() : reject(new Error(`bench worker ${index} exited with ${code}`))));
                }),
        ),
    );
    if (process.stderr.isTTY) process.stderr.write("\n");
    const result = assemble(template, spec, command, rows, (Date.now() - started) / 1000);
    const md = markdown(result);
    fs.mkdirSync(args.out, { recursive: true });
    // The summary and the per-cell table are kept in git; every single run (megabytes) only on disk.
    const { rows: runs, ...summary } = result;
    fs.writeFileSync(path.join(args.out, "gates.json"), JSON.stringify(summary, null, 1) + "\n");
    fs.writeFileSync(path.join(args.out, "gates.runs.json"), JSON.stringify(runs) + "\n");
    fs.writeFileSync(path.join(args.out, "gates.md"), md);
    // The pictures of docs/gates.md come from the main results; a study's (--out elsewhere) go beside its own.
    const plots = await writeBenchPlots(summary, args.out === path.join(__dirname, "results") ? DOCS_IMG : path.join(args.out, "plots"));
    process.stdout.write(md + "\n");
    process.stdout.write(
        `wrote ${path.relative(process.cwd(), path.join(args.out, "gates.json"))} (summary), gates.runs.json (every run, not committed), gates.md and the plots ${plots.map((f) => path.relative(process.cwd(), f)).join(", ")}\n`,
    );
}

main().catch((err) => {
    console.error(err instanceof Error ? err.stack : err);
    process.exitCode = 1;
});
