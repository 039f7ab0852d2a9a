/**
 * The verbs that run the program without a real account or the Pulumi CLI: plan (what the program declares, under
 * Pulumi's mock engine; `--traffic cloudwatch` only reads CloudWatch), rehearse and rehearse-all (the same promote
 * against a simulated AWS, in virtual time) and sandbox (a simulated account served to a second shell on a sped-up
 * real clock).
 */
import { type Command, Option } from "commander";
import { plainText } from "../../domain/text";
import { ExitCode, UsageError } from "../errors";
import { resolveProject } from "../project";
import { TRANSPORTS, type Transport } from "../rehearsal/transportNames";
import { realClock } from "../wiring/clock";
import { htmlOption } from "./htmlOption";
import { type CommonOptions, configFileOption, cwdOption, jsonOption, nonInteractiveOption, reportOption, stackOption } from "./options";
import { scenarioPath } from "./shipped";
import { emit } from "./verbDeps";
import { verbModules as load } from "./verbModules";
import type { WavesFlags } from "./waves";
import { wavesOption } from "./wavesVerb";

/**
 * Offline commands read only the stack file: an ESC environment it imports cannot be resolved here, so say so
 * (on stderr) before planning or rehearsing without it. A value missing because of it is a config error that
 * says the same.
 */
function warnUnresolvable(opts: CommonOptions): void {
    const { loadStackConfig, unresolvedEnvironments, displayPath } = load.evaluate();
    const { printLines } = load.output();
    const loaded = loadStackConfig(opts.stack, opts.configFile, undefined, resolveProject(opts.cwd));
    if (loaded.environments.length > 0)
        printLines([`warning: ${unresolvedEnvironments(loaded.environments, displayPath(loaded.file), opts.stack)}`], process.stderr);
}

/** Registers plan (first in the help, before the verbs that move traffic). */
export function registerPlan(program: Command): void {
    program
        .command("plan")
        .description("evaluate the program for a stack under Pulumi's mock engine and print what it would declare (no AWS, no Pulumi CLI)")
        .addOption(stackOption())
        .addOption(cwdOption())
        .addOption(nonInteractiveOption())
        .addOption(configFileOption())
        .option("--json", "print the declared resources and outputs as JSON")
        .addOption(
            new Option(
                "--scenario <file>",
                "also state what the rollout can catch at the scenario's traffic (requests a minute, stable's error rate)",
            ).conflicts("traffic"),
        )
        .addOption(
            new Option(
                "--traffic <source>",
                "also state what the rollout can catch at each function's last day of traffic, read from CloudWatch with the stack's AWS settings (plan is otherwise offline)",
            ).choices(["cloudwatch"]),
        )
        .action(async (opts: CommonOptions & { scenario?: string; traffic?: "cloudwatch" }) => {
            const { readScenario, scenarioTraffic } = load.scenario();
            const { evaluateProgram } = load.evaluate();
            const { planPower } = load.planPower();
            const { describePlan } = load.describePlan();
            const { printLines } = load.output();
            const scenario = opts.scenario !== undefined ? readScenario(opts.scenario) : undefined;
            warnUnresolvable(opts);
            const evaluation = await evaluateProgram({ stack: opts.stack, configFile: opts.configFile, project: resolveProject(opts.cwd) });
            const lines: string[] = [];
            const traffic = scenario ? scenarioTraffic(scenario) : opts.traffic ? load.realWorld().cloudWatchTraffic(opts) : undefined;
            const power = await planPower(evaluation.outputs, traffic, (l) => lines.push(l));
            if (opts.json) console.log(JSON.stringify(power ? { ...evaluation, power } : evaluation));
            else printLines([...describePlan(opts.stack, evaluation), ...lines]);
        });
}

/** Registers rehearse, rehearse-all and sandbox, in that order. */
export function registerRehearsalVerbs(program: Command): void {
    program
        .command("rehearse")
        .description(
            "run the same promote against a simulated AWS with the real program under the mock engine: no account, no CLI, virtual time",
        )
        .addOption(stackOption())
        .addOption(cwdOption())
        .addOption(nonInteractiveOption())
        .requiredOption("--scenario <file>", "the scenario (JSON): traffic, version profiles, faults")
        .addOption(configFileOption())
        .addOption(jsonOption())
        .addOption(reportOption())
        .addOption(htmlOption())
        .addOption(
            new Option(
                "--transport <transport>",
                "how the tool's AWS clients reach the simulated AWS: in-process, or http (the real SDK clients against the simulator served on 127.0.0.1)",
            )
                .choices(TRANSPORTS)
                .default("in-process"),
        )
        .option(
            "--send-webhooks",
            "post the rehearsal's Slack and Teams notifications for real, to the URLs in the variables the config's `urlEnv` names (default: sent nowhere)",
        )
        .addOption(wavesOption())
        .action(async (opts: CommonOptions & Partial<WavesFlags> & { scenario: string; transport: Transport; sendWebhooks?: boolean }) => {
            const { consoleLog, summary, formatDuration } = load.output();
            if (opts.waves !== undefined) {
                if (opts.sendWebhooks)
                    throw new UsageError(
                        "`--send-webhooks`: not with `--waves` (a release rehearsal posts no webhook: each stack's Slack and Teams messages are recorded as sent, its SNS ones go to its simulated account)",
                    );
                process.exitCode = await load
                    .waves()
                    .runWavesRehearsal(resolveProject(opts.cwd), opts as typeof opts & WavesFlags, consoleLog(realClock, opts.json));
                return;
            }
            const { readScenario } = load.scenario();
            const { rehearse } = load.rehearse();
            const { writeHtmlAfterRun } = load.reportCommand();
            const scenario = readScenario(scenarioPath(opts.scenario));
            warnUnresolvable(opts);
            const log = consoleLog(realClock, opts.json);
            log.line(
                `rehearsing scenario "${scenario.name}" on stack ${opts.stack} (simulated AWS${opts.transport === "http" ? " over HTTP, real SDK clients" : ""}, virtual time, seed ${scenario.seed})${scenario.description ? `: ${scenario.description}` : ""}`,
            );
            const started = Date.now();
            const result = await rehearse({
                stack: opts.stack,
                scenario,
                configFile: opts.configFile,
                log,
                project: resolveProject(opts.cwd),
                transport: opts.transport,
                ...(opts.sendWebhooks ? { webhooks: "fromEnv" as const, env: process.env } : {}),
            });
            log.line(summary(result.report));
            log.line(
                `(rehearsed ${formatDuration(result.report.durationMinutes * 60_000)} of virtual time in ${formatDuration(Date.now() - started)})`,
            );
            emit(opts, result.report);
            await writeHtmlAfterRun(opts.html, result.report);
            process.exitCode = result.exitCode;
        });

    program
        .command("rehearse-all")
        .description(
            "rehearse every scenario in a folder (each on its own `stack`, else --stack) and print one row each: outcome, exit code, where traffic ended (read from the simulated AWS), whether that is safe, whether the report was kept; exits 1 when a row breaks a promise or its `expect`",
        )
        .addOption(stackOption())
        .addOption(cwdOption())
        .addOption(nonInteractiveOption())
        .option("--dir <dir>", "the scenarios folder", "scenarios")
        .addOption(configFileOption())
        .addOption(jsonOption())
        .action(async (opts: CommonOptions & { dir: string }) => {
            const { describeMatrix, rehearseFolder } = load.matrix();
            const { printLines, formatDuration } = load.output();
            const started = Date.now();
            const rows = await rehearseFolder(opts.dir, opts.stack, opts.configFile, resolveProject(opts.cwd));
            const wallSeconds = (Date.now() - started) / 1000;
            const out = opts.json ? process.stderr : process.stdout;
            const broken = rows.filter((r) => r.problems.length > 0);
            // The matrix is a Markdown table (it is pasted into docs/reliability.md): its rows are never wrapped.
            for (const row of describeMatrix(rows)) out.write(`${plainText(row)}\n`);
            printLines(
                [
                    ...broken.map((r) => `BROKEN ${r.scenario}: ${r.problems.join("; ")}`),
                    `${rows.length} scenarios rehearsed in ${formatDuration(wallSeconds * 1000)} wall time: ${rows.length - broken.length} kept every promise${broken.length ? `, ${broken.length} did not` : ""}`,
                ],
                out,
            );
            if (opts.json) console.log(JSON.stringify({ stack: opts.stack, wallSeconds, rows }));
            process.exitCode = broken.length > 0 ? ExitCode.rolledBack : ExitCode.ok;
        });

    program
        .command("sandbox")
        .description(
            "run a simulated account on a real clock sped up (a 10-minute bake in 10 s at 60x) with the stack deployed as a rehearsal stages it, and print the environment with which promote, status --watch, approve, pause, resume, abort and rollback in a second shell act on it as on a real stack; Ctrl-C stops it",
        )
        .addOption(stackOption())
        .addOption(cwdOption())
        .requiredOption("--scenario <file>", "the scenario (JSON, or a shipped one's name): traffic, version profiles, faults")
        .addOption(configFileOption())
        .option("--speed <factor>", "sandbox seconds per real second, 1-600 (default 60)")
        .option("--port <port>", "the simulated AWS's port on 127.0.0.1 (default: one the system picks)")
        .option("--json", "print what it runs and the second shell's environment as one JSON object on stdout (lines for people on stderr)")
        .action((opts: CommonOptions & { scenario: string; speed?: string; port?: string }) =>
            load.sandbox().runSandbox(resolveProject(opts.cwd), { ...opts, scenarioFile: scenarioPath(opts.scenario) }),
        );
}
