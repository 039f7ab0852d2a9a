/**
 * The scale of a release rehearsal: `npm run bench:waves` rehearses a healthy release through 1, 2, ... N stacks
 * (one per wave, each its own simulated account with `--functions` functions at 300 requests a minute, prod's
 * canary policy and a 30-minute watch between waves) and prints, per size, the virtual time, the wall time, and
 * what the tool did (each stack's `up`s and its Lambda and CloudWatch calls): the cost per stack should stay flat
 * as stacks are added.
 *
 *     npm run bench:waves -- [--stacks 3] [--functions 10]
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { parse as parseYaml, stringify } from "yaml";
import { PROJECT_ROOT } from "../automation/engine/evaluate";
import { parseScenario } from "../automation/rehearsal/scenario";
import { parseWaveFile } from "../automation/waves/plan";
import { rehearseWaves } from "../automation/waves/rehearsal";

/** One size of the release and what rehearsing it cost. */
export interface ScaleRow {
    readonly stacks: number;
    readonly functions: number;
    readonly outcome: string;
    readonly virtualMinutes: number;
    readonly wallSeconds: number;
    /** Each stack's `up`s (deploys included), summed. */
    readonly ups: number;
    /** The tool's Lambda and CloudWatch calls over every stack (what a real release would send AWS). */
    readonly awsCalls: number;
}

const PROFILE = { errorRate: 0.002, p50Ms: 80, p99Ms: 400 };

/** A stack file of `functions` functions with prod's shared config (shared/prod.yaml), in `dir`. */
function writeStack(dir: string, name: string, region: string, functions: number): string {
    const shared = (
        parseYaml(fs.readFileSync(path.join(PROJECT_ROOT, "shared", "prod.yaml"), "utf8")) as { config: Record<string, unknown> }
    ).config;
    const [api] = shared["lambda-rollout:functions"] as Record<string, unknown>[];
    const config = {
        ...shared,
        "aws:region": region,
        // Each function as prod's api: its own HTTP API, in the shared VPC.
        "lambda-rollout:functions": Array.from({ length: functions }, (_, i) => ({ ...api, name: `fn${i}` })),
    };
    const file = path.join(dir, `Pulumi.${name}.yaml`);
    fs.writeFileSync(file, stringify({ config: JSON.parse(JSON.stringify(config)) }));
    return file;
}

/** Rehearses a healthy release through `stacks` stacks of `functions` functions each. */
export async function measure(stacks: number, functions: number): Promise<ScaleRow> {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "bench-waves-"));
    const regions = ["us-east-1", "eu-west-1", "ap-southeast-1", "us-west-2", "eu-central-1", "ap-northeast-1"];
    try {
        const names = Array.from({ length: stacks }, (_, i) => `bench-${regions[i % regions.length]}${i >= regions.length ? `-${i}` : ""}`);
        const files = Object.fromEntries(names.map((n, i) => [n, writeStack(dir, n, regions[i % regions.length], functions)]));
        const plan = parseWaveFile({ bench: { waves: names.map((n) => ({ stacks: [n] })), watch: "30m" } }, "bench").bench;
        const scenario = parseScenario(
            { name: "bench-healthy", seed: 7, requestsPerMinute: 300, functions: { "*": { stable: PROFILE, candidate: PROFILE } } },
            "bench",
        );
        const started = Date.now();
        const result = await rehearseWaves({ plan, scenario, log: { line: () => undefined }, configFile: (s) => files[s] });
        const wallSeconds = (Date.now() - started) / 1000;
        const calls = Object.values(result.awsCalls).reduce((n, c) => n + c, 0);
        return {
            stacks,
            functions,
            outcome: result.report.outcome,
            virtualMinutes: result.report.durationMinutes,
            wallSeconds: Math.round(wallSeconds * 10) / 10,
            ups: Object.values(result.histories).reduce((n, h) => n + h.length, 0),
            awsCalls: calls,
        };
    } finally {
        fs.rmSync(dir, { recursive: true, force: true });
    }
}

/** The rows as a Markdown table, with the cost per stack. */
export function scaleTable(rows: readonly ScaleRow[]): string[] {
    return [
        "| stacks | functions each | outcome | virtual min | wall s | wall s per stack | ups | AWS calls | AWS calls per stack |",
        "| ---: | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: |",
        ...rows.map(
            (r) =>
                `| ${r.stacks} | ${r.functions} | ${r.outcome} | ${r.virtualMinutes} | ${r.wallSeconds} | ${Math.round((r.wallSeconds / r.stacks) * 10) / 10} | ${r.ups} | ${r.awsCalls} | ${Math.round(r.awsCalls / r.stacks)} |`,
        ),
    ];
}

async function main(argv: string[]): Promise<void> {
    const flag = (name: string, fallback: number) => {
        const i = argv.indexOf(name);
        return i >= 0 ? Number(argv[i + 1]) : fallback;
    };
    const stacks = flag("--stacks", 3);
    const functions = flag("--functions", 10);
    const rows: ScaleRow[] = [];
    for (let n = 1; n <= stacks; n++) {
        rows.push(await measure(n, functions));
        console.error(`measured ${n} stack${n === 1 ? "" : "s"} of ${functions} functions`);
    }
    console.log(scaleTable(rows).join("\n"));
}

if (require.main === module) {
    main(process.argv.slice(2)).catch((err) => {
        console.error(err);
        process.exitCode = 1;
    });
}
