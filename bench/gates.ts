/**
 * `npm run bench:gates [-- --quick] [-- --seeds N] [-- --jobs N] [-- --out DIR]`: the gates benchmark (bench.ts).
 * Prints the markdown table and writes bench/results/gates.json and gates.md. Rows are spread over `--jobs`
 * worker processes (default: the number of CPUs, at most 4); the result does not depend on it.
 */
import { fork } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { assemble, cellsOf, FULL_MATRIX, markdown, QUICK_MATRIX, runRow, type MatrixSpec, type RowResult } from "./bench";
import { recordDeploys } from "./world";

interface Args {
    quick: boolean;
    seeds?: number;
    jobs: number;
    out: string;
    worker?: { index: number; of: number };
}

function parseArgs(argv: string[]): Args {
    const args: Args = { quick: false, jobs: Math.max(1, Math.min(4, os.cpus().length)), out: path.join(__dirname, "results") };
    for (let i = 0; i < argv.length; i++) {
        const a = argv[i];
        if (a === "--quick") args.quick = true;
        else if (a === "--seeds") args.seeds = Number(argv[++i]);
        else if (a === "--jobs") args.jobs = Math.max(1, Number(argv[++i]));
        else if (a === "--out") args.out = path.resolve(argv[++i]);
        else if (a === "--worker") {
            const [index, of] = argv[++i].split("/").map(Number);
            args.worker = { index, of };
        } else throw new Error(`unknown argument ${a}; usage: npm run bench:gates -- [--quick] [--seeds N] [--jobs N] [--out DIR]`);
    }
    return args;
}

function matrixOf(args: Args): MatrixSpec {
    const base = args.quick ? QUICK_MATRIX : FULL_MATRIX;
    return args.seeds ? { ...base, seeds: Array.from({ length: args.seeds }, (_, i) => 101 + i) } : base;
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
    const command = `npm run bench:gates${args.quick ? " -- --quick" : ""}${args.seeds ? ` -- --seeds ${args.seeds}` : ""}`;
    const template = await recordDeploys("prod");
    const total = tasks(spec, template.config.rollout.gates.maxP99Ms).length;
    const rows: RowResult[] = new Array(total);
    let done = 0;
    const passOn = process.argv.slice(2).filter((a, i, all) => a !== "--jobs" && all[i - 1] !== "--jobs" && a !== "--out" && all[i - 1] !== "--out");
    await Promise.all(
        Array.from({ length: Math.min(args.jobs, total) }, (_, index) =>
            new Promise<void>((resolve, reject) => {
                const child = fork(__filename, [...passOn, "--worker", `${index}/${Math.min(args.jobs, total)}`], { stdio: ["ignore", "inherit", "inherit", "ipc"] });
                child.on("message", (m: { index: number; row: RowResult }) => {
                    rows[m.index] = m.row;
                    done += 1;
                    process.stderr.write(`\r${done}/${total} rows`);
                });
                child.on("error", reject);
                child.on("exit", (code) => (code === 0 ? resolve() : reject(new Error(`bench worker ${index} exited with ${code}`))));
            }),
        ),
    );
    process.stderr.write("\n");
    const result = assemble(template, spec, command, rows, (Date.now() - started) / 1000);
    const md = markdown(result);
    fs.mkdirSync(args.out, { recursive: true });
    // The summary and the per-cell table are kept in git; every single run (megabytes) only on disk.
    const { rows: runs, ...summary } = result;
    fs.writeFileSync(path.join(args.out, "gates.json"), JSON.stringify(summary, null, 1) + "\n");
    fs.writeFileSync(path.join(args.out, "gates.runs.json"), JSON.stringify(runs) + "\n");
    fs.writeFileSync(path.join(args.out, "gates.md"), md);
    process.stdout.write(md + "\n");
    process.stdout.write(`wrote ${path.relative(process.cwd(), path.join(args.out, "gates.json"))} (summary), gates.runs.json (every run, not committed) and gates.md\n`);
}

main().catch((err) => {
    console.error(err instanceof Error ? err.stack : err);
    process.exitCode = 1;
});
