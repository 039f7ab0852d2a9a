#!/usr/bin/env node
/**
 * The entry point of the rollout tool: parses arguments, builds the real or rehearsed side effects, calls the
 * command, prints lines for a person (on stderr with --json, so stdout holds only the report), and sets the exit code
 * from the one table of codes and meanings (exitCodes.ts).
 */
import { Command, CommanderError, Option } from "commander";
import { describeBug, ExitCode, exitCodeFor, InfrastructureError, isBug, UsageError } from "./errors";
import { TRANSPORTS, type Transport } from "./rehearsal/transportNames";
import { plainText } from "../domain/text";
import { checkReportPath } from "./reportWriter";
import { resolveProject } from "./project";
import { packageVersion } from "./packageRoot";
import { cannotConfirm, confirmMode, resolveStack } from "./cli/conventions";
import { htmlOption } from "./cli/htmlOption";
import { readSelectedStack } from "./cli/workspace";
import { scenarioPath, shareToolModules } from "./cli/shipped";
import { addVerbHelp, unknownVerb } from "./cli/help";
import type { AdoptFlags } from "./adopt/command";
import type { IamPolicyFlags } from "./iam/command";
import { ROLES } from "./iam/promoterPolicy";
import { realClock } from "./wiring/clock";
import type { WavesFlags } from "./cli/waves";
// Pulumi, the AWS SDK, the simulator, the rollout and the waves load when a verb's action runs, not at start-up.
import { verbModules as load } from "./cli/verbModules";
import {
    type CommonOptions,
    configFileOption,
    cwdOption,
    jsonOption,
    MAX_WATCH_INTERVAL,
    nonInteractiveOption,
    reportOption,
    stackOption,
    yesOption,
} from "./cli/options";
import { confirmation, emit, realDeps } from "./cli/verbDeps";
import { registerOperatorVerbs } from "./cli/operatorVerbs";
import { registerPromoteVerbs } from "./cli/promoteVerb";
import { checkWavesFlags, runWaves, wavesOption } from "./cli/wavesVerb";

/**
 * Offline commands read only the stack file: an ESC environment it imports cannot be resolved here, so say so
 * (on stderr) before planning or rehearsing without it. A value missing because of it is a config error that
 * says the same.
 */
function warnUnresolvable(opts: CommonOptions): void {
    const { loadStackConfig, unresolvedEnvironments } = load.evaluate();
    const { printLines } = load.output();
    const loaded = loadStackConfig(opts.stack, opts.configFile, undefined, resolveProject(opts.cwd));
    if (loaded.environments.length > 0)
        printLines([`warning: ${unresolvedEnvironments(loaded.environments, loaded.file, opts.stack)}`], process.stderr);
}

const program = new Command()
    .name("lambda-rollout")
    .description("Progressive delivery of AWS Lambda functions on Pulumi")
    .version(packageVersion(), "-V, --version", "print the version of lambda-rollout")
    .exitOverride()
    .showHelpAfterError("(lambda-rollout <verb> --help shows its options, examples and exit codes)")
    // The Pulumi CLI's conventions, before any file is read (the scenario's included): which stack, checked
    // against the project; whether to go ahead without asking, or to refuse because nobody can answer.
    .hook("preAction", (_program, command) => {
        // `report` reads a report file: no project, no stack, nothing to confirm.
        if (command.name() === "report") return;
        const opts = command.opts() as Partial<CommonOptions> & { waves?: string };
        const project = resolveProject(opts.cwd);
        // A release names its stacks in waves.yaml: no stack of its own (automation/cli/waves.ts).
        if (opts.waves !== undefined) checkWavesFlags(opts);
        else {
            const stack = resolveStack({ flag: opts.stack, env: process.env, selected: () => readSelectedStack(project) }, project.name);
            command.setOptionValue("stack", stack.qualified);
        }
        // `promote --full` only records an operator's request (as approve does): nothing to confirm.
        const verb = command.name() === "promote" && (opts as { full?: boolean }).full ? "promote --full" : command.name();
        const mode = confirmMode(verb, opts, process.env, Boolean(process.stdin.isTTY));
        if (mode === "refuse") throw new UsageError(cannotConfirm(command.name(), opts));
        // Nothing to ask (-y, PULUMI_SKIP_CONFIRMATIONS, a dry run, a verb that never asks): no prompt is made.
        if (mode === "skip") command.setOptionValue("yes", true);
        // A report that could not be written would be lost after the traffic moved: refused now (exit 2), in every verb that takes it.
        if (opts.report !== undefined) checkReportPath(opts.report);
    });

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

registerPromoteVerbs(program);
registerOperatorVerbs(program);

program
    .command("rollback")
    .description("emergency: all traffic back to the stable version (a `pulumi up`, or the Lambda API when the up cannot run)")
    .addOption(stackOption())
    .addOption(cwdOption())
    .addOption(yesOption())
    .addOption(nonInteractiveOption())
    .addOption(configFileOption())
    .option("--to <version>", "roll back to this published version")
    .option("--dry-run", "print what would change and touch nothing")
    .addOption(jsonOption())
    .addOption(reportOption())
    .addOption(htmlOption())
    .action(async (opts: CommonOptions & { to?: string }) => {
        if (opts.to !== undefined && !/^[1-9]\d{0,9}$/.test(opts.to))
            throw new UsageError(`\`--to\` (got ${JSON.stringify(opts.to)}): must be a published version's number, e.g. 7`);
        const { rollback } = load.rollback();
        const { consoleLog, summary } = load.output();
        const { writeHtmlAfterRun } = load.reportCommand();
        const log = consoleLog(realClock, opts.json);
        const report = await rollback(
            { ...(await realDeps(opts, log)), log, confirm: confirmation(opts) },
            { stackName: opts.stack, to: opts.to, dryRun: opts.dryRun },
        );
        log.line(summary(report));
        emit(opts, report);
        if (!opts.dryRun) await writeHtmlAfterRun(opts.html, report);
        process.exitCode = report.outcome === "failed" ? ExitCode.infrastructure : ExitCode.ok;
    });

program
    .command("prune")
    .description(
        "delete old published versions: keep the newest (lambda-rollout:retention.keep, default 10), every version an alias routes to, and the stable and candidate of a rollout in progress",
    )
    .addOption(stackOption())
    .addOption(cwdOption())
    .addOption(yesOption())
    .addOption(nonInteractiveOption())
    .addOption(configFileOption())
    .option("--dry-run", "list the versions it would delete per function, and why the others are kept; delete nothing")
    .addOption(jsonOption())
    .addOption(reportOption())
    .action(async (opts: CommonOptions) => {
        const { prune, summarizePrune } = load.prune();
        const log = load.output().consoleLog(realClock, opts.json);
        const deps = await realDeps(opts, log);
        const confirm = confirmation(opts);
        if (confirm && !(await confirm(`Delete the published versions of ${opts.stack} that retention allows (listed with --dry-run)?`))) {
            throw new UsageError("not confirmed: nothing was deleted");
        }
        const report = await prune({ ...deps, log }, { stackName: opts.stack, retention: deps.config.retention, dryRun: opts.dryRun });
        log.line(summarizePrune(report));
        emit(opts, report);
        process.exitCode = report.exitCode;
    });

program
    .command("status")
    .description("per function: stable and candidate versions, live weights, alarm states, and the last rollout's steps")
    .addOption(stackOption())
    .addOption(cwdOption())
    .addOption(nonInteractiveOption())
    .addOption(configFileOption())
    .addOption(jsonOption())
    .option(
        "--watch",
        "refresh until the rollout ends (promoted, rolled back, aborted, held), then exit 1 if it was rolled back or aborted",
    )
    .option("--interval <seconds>", `seconds between refreshes with --watch, 1-${MAX_WATCH_INTERVAL}`, "10")
    .addOption(wavesOption())
    .action(async (opts: CommonOptions & Partial<WavesFlags> & { watch?: boolean; interval: string }) => {
        if (opts.waves !== undefined) {
            if (opts.watch)
                throw new UsageError("`--watch`: not with `--waves` yet; run `status --waves` again, or `status -s <stack> --watch`");
            return runWaves("status", opts as typeof opts & WavesFlags);
        }
        const seconds = Number(opts.interval);
        if (!Number.isFinite(seconds) || seconds < 1 || seconds > MAX_WATCH_INTERVAL)
            throw new UsageError(
                `\`--interval\` must be a number of seconds from 1 to ${MAX_WATCH_INTERVAL} (an hour): got ${JSON.stringify(opts.interval)}`,
            );
        const { status, describeStatus, watchExitCode, watchStatus } = load.status();
        const { printLines, statusView } = load.output();
        const deps = await realDeps(opts);
        if (!opts.watch) {
            const s = await status(deps, opts.stack);
            if (opts.json) console.log(JSON.stringify(s));
            else printLines(describeStatus(s));
            // A record that cannot be read is never "no rollout": said above, and exit 3.
            if (watchExitCode(s) === ExitCode.infrastructure) process.exitCode = ExitCode.infrastructure;
            return;
        }
        // With --json, one JSON status per line on stdout each time it is read; else a view for a person.
        const view = opts.json ? undefined : statusView(process.stdout, describeStatus);
        const stop = new AbortController();
        const onSigint = () => stop.abort();
        process.once("SIGINT", onSigint);
        try {
            const last = await watchStatus(
                {
                    read: () => status(deps, opts.stack),
                    clock: deps.clock,
                    show: (s) => (view ? view.show(s) : console.log(JSON.stringify(s))),
                    signal: stop.signal,
                },
                seconds * 1000,
            );
            process.exitCode = stop.signal.aborted ? ExitCode.ok : watchExitCode(last);
        } finally {
            view?.done();
            process.off("SIGINT", onSigint);
        }
    });

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
                throw new UsageError("`--send-webhooks`: not with `--waves` (a release rehearsal sends no notifications)");
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

program
    .command("report")
    .description(
        "write a rollout report (the JSON of --report) as one self-contained HTML page: charts of the weight, error rates and evidence, steps, events",
    )
    .argument("<report>", "the report file (what --report wrote)")
    .requiredOption("--html <file>", "where to write the page")
    .action(async (file: string, opts: { html: string }) => {
        console.error(await load.reportCommand().runReport(file, opts));
    });

program
    .command("iam-policy")
    .description(
        "print the least-privilege IAM policy of the promoter role (promote, status, prune, the operator verbs) or of the emergency rollback role for a stack, as JSON: every function, alarm and topic as the stack's outputs contract names them",
    )
    .addOption(stackOption())
    .addOption(cwdOption())
    .addOption(configFileOption())
    .requiredOption("--account <id>", "the 12-digit AWS account id the stack deploys to")
    .addOption(
        new Option(
            "--role <role>",
            "whose policy: promoter, or rollback (GetAlias, UpdateAlias, GetFunctionConfiguration, ListVersionsByFunction)",
        )
            .choices(ROLES)
            .default("promoter"),
    )
    .option("--functions <keys>", "comma-separated keys of the functions to cover (default: every function the stack's outputs name)")
    .action(async (opts: IamPolicyFlags & { cwd?: string }) => {
        process.stdout.write(await load.iam().iamPolicyText(resolveProject(opts.cwd), opts));
    });

program
    .command("adopt")
    .description(
        "bring existing Lambda functions under this project without replacing them: read each live (configuration, role, log group, aliases, versions, alarms), write its entry into Pulumi.<stack>.yaml and a `pulumi import --file` file, after checking under the mock engine that nothing imported would be replaced",
    )
    .argument("<function...>", "each existing function's name or ARN, optionally =<key> (its name in the stack, e.g. orders-api)")
    .addOption(stackOption())
    .addOption(cwdOption())
    .option("--code-dir <dir>", "the folder each function's code is in, as <dir>/<key> (relative to the project)", "src")
    .option("--import-file <file>", "where the import file goes (default: import-<stack>.json in the project)")
    .option("--region <region>", "the functions' region when the stack file names none (default: $AWS_REGION)")
    .option("--dry-run", "read and check, write nothing")
    .addOption(jsonOption())
    .action(async (functions: string[], opts: AdoptFlags & { cwd?: string; json?: boolean }) => {
        const log = (line: string) => (opts.json ? console.error(line) : console.log(line));
        const result = await load.adopt().adopt(resolveProject(opts.cwd), { ...opts, functions }, log);
        if (opts.json) console.log(JSON.stringify(result));
    });

addVerbHelp(program);
// An unknown verb: one line and the verbs, not the whole help (the verbs' own errors keep their hint line).
program.showHelpAfterError(false).configureOutput({
    outputError: (text, write) => write(/^error: unknown command/.test(text) ? unknownVerb(program, text) : text),
});

async function main(argv: string[]): Promise<number> {
    try {
        await program.parseAsync(argv);
        return Number(process.exitCode ?? ExitCode.ok);
    } catch (err) {
        if (err instanceof CommanderError) {
            return err.exitCode === 0 ? ExitCode.ok : ExitCode.usage;
        }
        // Errors can quote AWS, Pulumi or a record on an alias: printed as plain text (domain/text.ts).
        if (isBug(err)) {
            describeBug(err as Error).forEach((l) => console.error(plainText(l)));
            return exitCodeFor(err);
        }
        console.error(`error: ${plainText((err as Error).message)}`);
        if (err instanceof InfrastructureError && err.trafficState) {
            console.error(`traffic was left: ${plainText(err.trafficState)}`);
        }
        return exitCodeFor(err);
    }
}

// A reader that went away (`| head`, a closed terminal) must not end a rollout halfway: what it would have read is
// dropped, the rollout goes on, and the report (--report) still has everything.
for (const stream of [process.stdout, process.stderr]) {
    stream.on("error", (err: NodeJS.ErrnoException) => {
        if (err.code !== "EPIPE" && err.code !== "ERR_STREAM_DESTROYED") throw err;
    });
}

shareToolModules();
main(process.argv).then((code) => {
    process.exitCode = code;
});
