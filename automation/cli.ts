#!/usr/bin/env node
/**
 * The entry point of the rollout tool: parses arguments, builds the real or rehearsed side effects, calls the
 * command, prints lines for a person (on stderr with --json, so stdout holds only the report), and sets the exit code:
 * 0 promoted or nothing to do · 1 rolled back by a gate · 2 usage or config error, nothing touched ·
 * 3 infrastructure error (where traffic was left is printed) · 4 another update holds the stack.
 */
import { CloudWatchClient } from "@aws-sdk/client-cloudwatch";
import { LambdaClient } from "@aws-sdk/client-lambda";
import { SNSClient } from "@aws-sdk/client-sns";
import type { EngineEvent } from "@pulumi/pulumi/automation";
import { Command, CommanderError, Option } from "commander";
import { STRATEGIES, type Strategy } from "../components/routing";
import { CloudWatchAdapter } from "./adapters/cloudwatch";
import * as os from "os";
import { RealHookRunner } from "./adapters/hooks";
import { LambdaAdapter } from "./adapters/lambda";
import { AutomationStackDriver } from "./adapters/pulumiStack";
import { describePlan } from "./engine/describePlan";
import {
    evaluateProgram,
    loadStackConfig,
    UnresolvedStackConfigError,
    stackConfigPath,
    unresolvedEnvironments,
    type LoadedStackConfig,
} from "./engine/evaluate";
import { awsClientSettings, sdkClientConfig } from "../components/awsClientSettings";
import { readStackConfig } from "../config/projectConfig";
import { delivery, type Delivery } from "./notify/delivery";
import { describeBug, ExitCode, exitCodeFor, InfrastructureError, isBug, UsageError } from "./errors";
import { describeMatrix, rehearseFolder } from "./rehearsal/matrix";
import { rehearse } from "./rehearsal/rehearse";
import { TRANSPORTS, type Transport } from "./rehearsal/transport";
import { readScenario, scenarioTraffic } from "./rehearsal/scenario";
import type { Clock } from "./rollout/ports";
import type { RecentTraffic, TrafficTarget } from "./rollout/power";
import { planPower } from "./cli/planPower";
import { promote, withStrategy, type RolloutLog } from "./rollout/promote";
import type { RolloutReport } from "./rollout/report";
import { exitCodeForSignal } from "./exitCodes";
import { handleInterrupts } from "./interrupts";
import { reportKeeper, reportWarning, writeReportFile } from "./reportWriter";
import { actor, operate, type OperatorAction } from "./rollout/operator";
import { rollback } from "./rollout/rollback";
import { prune, pruneAfterPromotion, summarizePrune } from "./rollout/prune";
import { describeStatus, status, watchExitCode, watchStatus } from "./rollout/status";
import { resolveProject } from "./project";
import { packageVersion } from "./packageRoot";
import { cannotConfirm, confirmMode, resolveStack } from "./cli/conventions";
import { askOnTerminal, consoleLog, formatDuration, printLines, statusView, summary } from "./cli/output";
import { describeEngineEvent } from "./cli/upSummary";
import { readSelectedStack } from "./cli/workspace";
import { printPolicy, stackPolicyArgs } from "./iam/promoterPolicy";
import { parseStackName } from "./stackName";

interface CommonOptions {
    /** Set by the preAction hook: `-s/--stack`, `PULUMI_STACK` or the selected stack (cli/conventions.ts). */
    stack: string;
    cwd?: string;
    nonInteractive?: boolean;
    configFile?: string;
    json?: boolean;
    report?: string;
    yes?: boolean;
    dryRun?: boolean;
}

const realClock: Clock = {
    now: () => Date.now(),
    sleep: (ms, signal) =>
        new Promise((resolve) => {
            if (signal?.aborted) return resolve();
            const done = () => {
                clearTimeout(timer);
                signal?.removeEventListener("abort", done);
                resolve();
            };
            const timer = setTimeout(done, ms);
            signal?.addEventListener("abort", done, { once: true });
        }),
};

/** The prompt before traffic moves: asked on a terminal; refused without one unless --yes. */
function confirmation(opts: CommonOptions): ((q: string) => Promise<boolean>) | undefined {
    if (opts.yes || opts.dryRun) return undefined;
    if (!process.stdin.isTTY) {
        return async () => {
            throw new UsageError("not a terminal, so nobody can confirm: pass --yes to move traffic without a prompt");
        };
    }
    return askOnTerminal;
}

/**
 * The real side effects: the Automation API on this project, and AWS in the stack's region with the provider's
 * credentials. The stack file is validated first, offline, so bad input exits 2 before the Pulumi CLI or AWS is
 * called. When the file cannot tell the whole config (it imports ESC environments, or holds secrets), the config
 * is read again as the Pulumi CLI resolves it and validated the same way.
 */
async function realDeps(opts: CommonOptions, log?: RolloutLog) {
    const project = resolveProject(opts.cwd);
    const file = stackConfigPath(opts.stack, opts.configFile, project);
    const stack = new AutomationStackDriver({
        stack: opts.stack,
        configFile: file,
        workDir: project.root,
        project: project.name,
        // With a log, each `up` prints a compact summary of its changes as they happen.
        onEvent: log ? upSummary(log) : undefined,
    });
    let offline: LoadedStackConfig | undefined;
    try {
        offline = loadStackConfig(opts.stack, opts.configFile, undefined, project);
    } catch (err) {
        // Only what an ESC environment may supply is left to the Pulumi CLI; any other bad value stops here.
        if (!(err instanceof UnresolvedStackConfigError)) throw err;
    }
    // The file says all when it has no secrets and imports nothing; else the config as the Pulumi CLI resolves it.
    const fileSaysAll = offline !== undefined && offline.environments.length === 0 && offline.secretKeys.length === 0;
    const resolved = fileSaysAll ? offline!.config : await stack.config();
    const config = fileSaysAll
        ? offline!.stackConfig
        : readStackConfig(resolved, `the config of stack ${opts.stack} (as \`pulumi config\` resolves it)`, project.root, project.name);
    const aws = awsClientSettings(resolved, config.region);
    const cloudWatch = new CloudWatchClient(sdkClientConfig(aws));
    return {
        config,
        stack,
        lambda: new LambdaAdapter(new LambdaClient(sdkClientConfig(aws))),
        metrics: new CloudWatchAdapter(cloudWatch),
        /** The last day of each function's traffic, for the power statement before traffic moves. */
        recentTraffic: (targets: readonly TrafficTarget[]) => new CloudWatchAdapter(cloudWatch).recentTraffic(targets, new Date()),
        clock: realClock,
        /** The raw clients of notifications and deployment metrics (automation/notify). */
        clients: { cloudWatch, sns: new SNSClient(sdkClientConfig(aws)) },
    };
}

/**
 * Offline commands read only the stack file: an ESC environment it imports cannot be resolved here, so say so
 * (on stderr) before planning or rehearsing without it. A value missing because of it is a config error that
 * says the same.
 */
function warnUnresolvable(opts: CommonOptions): void {
    const loaded = loadStackConfig(opts.stack, opts.configFile, undefined, resolveProject(opts.cwd));
    if (loaded.environments.length > 0)
        printLines([`warning: ${unresolvedEnvironments(loaded.environments, loaded.file, opts.stack)}`], process.stderr);
}

/** Passes each engine event of an `up` that a person should see to the rollout's log, as one line. */
function upSummary(log: RolloutLog): (event: EngineEvent) => void {
    return (event) => {
        const line = describeEngineEvent(event);
        if (line !== undefined) log.line(`  ${line}`);
    };
}

function emit(opts: CommonOptions, report: unknown): void {
    if (opts.report) {
        const error = writeReportFile(opts.report, report);
        if (error) console.error(reportWarning(opts.report, error));
    }
    if (opts.json) console.log(JSON.stringify(report));
}

const program = new Command()
    .name("lambda-rollout")
    .description("Progressive delivery of AWS Lambda functions on Pulumi")
    .version(packageVersion(), "-V, --version", "print the version of lambda-rollout")
    .exitOverride()
    .showHelpAfterError()
    // The Pulumi CLI's conventions, before any file is read (the scenario's included): which stack, checked
    // against the project; whether to go ahead without asking, or to refuse because nobody can answer.
    .hook("preAction", (_program, command) => {
        const opts = command.opts() as Partial<CommonOptions>;
        const project = resolveProject(opts.cwd);
        const stack = resolveStack({ flag: opts.stack, env: process.env, selected: () => readSelectedStack(project) }, project.name);
        command.setOptionValue("stack", stack.qualified);
        // `promote --full` only records an operator's request (as approve does): nothing to confirm.
        const verb = command.name() === "promote" && (opts as { full?: boolean }).full ? "promote --full" : command.name();
        const mode = confirmMode(verb, opts, process.env, Boolean(process.stdin.isTTY));
        if (mode === "refuse") throw new UsageError(cannotConfirm(command.name(), opts));
        // Nothing to ask (-y, PULUMI_SKIP_CONFIRMATIONS, a dry run, a verb that never asks): no prompt is made.
        if (mode === "skip") command.setOptionValue("yes", true);
    });

const stackOption = () =>
    new Option("-s, --stack <name>", "the stack (e.g. prod, or <org>/<project>/prod); default: $PULUMI_STACK, else the selected stack");
const yesOption = () => new Option("-y, --yes", "do not ask before acting (also: PULUMI_SKIP_CONFIRMATIONS=true)");
const nonInteractiveOption = () => new Option("--non-interactive", "never prompt: a command that would ask refuses unless -y/--yes");
const configFileOption = () =>
    new Option("--config-file <file>", "use this config file instead of Pulumi.<stack>.yaml (as the Pulumi CLI's --config-file)");
const cwdOption = () =>
    new Option(
        "-C, --cwd <dir>",
        "the Pulumi project to drive: the nearest Pulumi.yaml at or above <dir> (default: the current directory's)",
    );
const jsonOption = () => new Option("--json", "print only the report, as JSON, on stdout (lines for people go to stderr)");
const reportOption = () => new Option("--report <file>", "write the report as JSON to this file");

program
    .command("plan")
    .description("evaluate the program for a stack under Pulumi's mock engine and print what it would declare (no AWS, no Pulumi CLI)")
    .addOption(stackOption())
    .addOption(cwdOption())
    .addOption(yesOption())
    .addOption(nonInteractiveOption())
    .addOption(configFileOption())
    .option("--json", "print the declared resources and outputs as JSON")
    .option("--scenario <file>", "also state what the rollout can catch at the scenario's traffic (requests a minute, stable's error rate)")
    .addOption(
        new Option(
            "--traffic <source>",
            "also state what the rollout can catch at each function's last day of traffic, read from CloudWatch with the stack's AWS settings (plan is otherwise offline)",
        ).choices(["cloudwatch"]),
    )
    .action(async (opts: CommonOptions & { scenario?: string; traffic?: "cloudwatch" }) => {
        const scenario = opts.scenario !== undefined ? readScenario(opts.scenario) : undefined;
        warnUnresolvable(opts);
        const project = resolveProject(opts.cwd);
        const evaluation = await evaluateProgram({ stack: opts.stack, configFile: opts.configFile, project });
        const lines: string[] = [];
        const power = await planPower(
            evaluation.outputs,
            scenario ? scenarioTraffic(scenario) : opts.traffic ? cloudWatchTraffic(opts) : undefined,
            (l) => lines.push(l),
        );
        if (opts.json) console.log(JSON.stringify(power ? { ...evaluation, power } : evaluation));
        else printLines([...describePlan(opts.stack, evaluation), ...lines]);
    });

/** `plan --traffic cloudwatch`: the last day of each function's traffic, with the stack's region and AWS settings. */
function cloudWatchTraffic(opts: CommonOptions): RecentTraffic {
    const loaded = loadStackConfig(opts.stack, opts.configFile, undefined, resolveProject(opts.cwd));
    const cloudWatch = new CloudWatchClient(sdkClientConfig(awsClientSettings(loaded.config, loaded.stackConfig.region)));
    return (targets) => new CloudWatchAdapter(cloudWatch).recentTraffic(targets, new Date());
}

type PromoteFlags = CommonOptions & {
    strategy?: Strategy;
    onInterrupt: "abort" | "hold";
    retry?: boolean;
    full?: boolean;
    by?: string;
    reason?: string;
};

/** promote and retry: one rollout, its report kept after every change, interrupts handled. */
async function runPromote(opts: PromoteFlags): Promise<void> {
    const log = consoleLog(realClock, opts.json);
    const deps = await realDeps(opts, log);
    // A --strategy the stack has no config for: exit 2 here, before the Pulumi CLI or AWS is asked anything.
    withStrategy(deps.config.rollout, opts.strategy, `stack ${opts.stack}`);
    // Notifications and deployment metrics (none on a dry run); a webhook URL that cannot be had is exit 2 here.
    const notify = opts.dryRun ? undefined : await realDelivery(deps, opts, log);
    const keeper = reportKeeper(opts.dryRun ? undefined : opts.report);
    const interrupts = handleInterrupts(
        (signal) =>
            log.line(
                `${signal} received: no traffic moves forward; ${opts.onInterrupt === "hold" ? "holding the current weight" : "aborting: all traffic back to stable"} (a second signal exits at once)`,
            ),
        (signal) => {
            // A second signal: the person or the CI runner will not wait. What the report holds is kept.
            const latest = keeper.latest() as RolloutReport | undefined;
            if (latest && opts.report)
                writeReportFile(opts.report, {
                    ...latest,
                    interrupt: signal,
                    error: `${latest.error ? `${latest.error}; ` : ""}exited at once on a second ${signal}`,
                });
            console.error(
                `${signal} again: exiting now. Where traffic is: \`lambda-rollout status --stack ${opts.stack}\`; a promote run again completes or resumes the rollout.`,
            );
            process.exit(exitCodeForSignal(signal));
        },
    );
    const project = resolveProject(opts.cwd);
    try {
        const result = await promote(
            {
                ...deps,
                log,
                confirm: confirmation(opts),
                observe: (report) => {
                    keeper.observe(report);
                    notify?.observe(report);
                },
                signal: interrupts.signal,
                hooks: new RealHookRunner(deps.lambda, { cwd: project.root, env: process.env }),
                ...(deps.config.retention.afterPromotion && !opts.dryRun
                    ? {
                          afterPromotion: () =>
                              pruneAfterPromotion({ ...deps, log }, { stackName: opts.stack, retention: deps.config.retention }),
                      }
                    : {}),
                // A step that needs approval asks whoever is at the terminal (while `approve` from elsewhere also works).
                ...(process.stdin.isTTY && !opts.nonInteractive
                    ? { ask: (q: string, signal: AbortSignal) => askOnTerminal(q, signal), user: actor(undefined, process.env, userName) }
                    : {}),
            },
            { stackName: opts.stack, dryRun: opts.dryRun, strategy: opts.strategy, onInterrupt: opts.onInterrupt, retry: opts.retry },
        );
        if (opts.dryRun) {
            if (opts.json) console.log(JSON.stringify({ dryRun: true, plan: result.plan ?? [], report: result.report }));
        } else {
            // The notifications still in flight (each bounded by its timeout) and the metrics, then the report's last write.
            const report = notify ? await notify.finish(result.report) : result.report;
            keeper.observe(report);
            log.line(summary(report));
            if (opts.json) console.log(JSON.stringify(report));
        }
        process.exitCode = result.exitCode;
    } finally {
        interrupts.dispose();
    }
}

/**
 * A promote's notifications and metrics against real AWS: SNS publishes to the topic the stack exports (read
 * once, only when `notifications.sns` is on), webhooks get their URL from the secret or the environment.
 */
async function realDelivery(deps: Awaited<ReturnType<typeof realDeps>>, opts: CommonOptions, log: RolloutLog): Promise<Delivery> {
    const notifications = deps.config.notifications;
    let topicArn: string | undefined;
    if (notifications?.sns) {
        try {
            topicArn = (await deps.stack.outputs())?.alarmTopicArn;
        } catch {
            // promote reads the outputs again and reports what is wrong with them; here SNS is only left out.
            topicArn = undefined;
        }
    }
    return delivery({
        notifications,
        stack: parseStackName(opts.stack, resolveProject(opts.cwd).name).name,
        env: process.env,
        cloudWatch: deps.clients.cloudWatch,
        sns: { client: deps.clients.sns, topicArn },
        now: () => new Date(),
        warn: (line) => log.line(line),
    });
}

/** The user's login name, for the record of who acted. */
const userName = () => {
    try {
        return os.userInfo().username;
    } catch {
        return "unknown";
    }
};

/** An operator verb: recorded on the aliases for the promote that owns the rollout (abort also moves traffic itself). */
async function runOperator(action: OperatorAction, opts: CommonOptions & { by?: string; reason?: string }): Promise<void> {
    const by = actor(opts.by, process.env, userName);
    if (action === "promote-full" && !opts.reason) {
        throw new UsageError(
            '`--reason`: is required with --full (why the remaining bakes are skipped goes into the report), e.g. --reason "hotfix for INC-123"',
        );
    }
    const log = consoleLog(realClock, opts.json);
    const deps = await realDeps(opts, log);
    if (action === "abort") {
        const confirm = confirmation(opts);
        if (confirm && !(await confirm(`Abort the rollout on ${opts.stack}: all traffic back to stable?`))) {
            throw new UsageError("not confirmed: nothing was changed");
        }
    }
    const result = await operate({ ...deps, log }, opts.stack, { action, by, ...(opts.reason ? { reason: opts.reason } : {}) });
    if (opts.json) console.log(JSON.stringify(result));
    process.exitCode = result.exitCode;
}

const promoteOptions = (command: Command, withRetry: boolean) => {
    command
        .addOption(stackOption())
        .addOption(cwdOption())
        .addOption(yesOption())
        .addOption(nonInteractiveOption())
        .addOption(configFileOption())
        .option("--dry-run", "print the plan (steps, weights, bakes, gates, calls) and touch nothing")
        .addOption(
            new Option("--strategy <strategy>", "use this strategy instead of the stack's (e.g. blue-green for a role change)").choices(
                STRATEGIES,
            ),
        )
        .addOption(
            new Option(
                "--on-interrupt <action>",
                "on SIGINT/SIGTERM: abort (all traffic back to stable) or hold (keep the weight, to resume)",
            )
                .choices(["abort", "hold"])
                .default("abort"),
        );
    if (withRetry) {
        command
            .option("--retry", "roll out again a candidate whose last rollout was rolled back or aborted, from the first step")
            .option("--full", "skip the remaining bakes of the rollout under way (recorded for the promote that owns it); needs --reason")
            .addOption(byOption())
            .addOption(reasonOption());
    }
    return command.addOption(jsonOption()).addOption(reportOption());
};
const byOption = () =>
    new Option("--by <name>", "who is acting, for the record (default: $LAMBDA_ROLLOUT_ACTOR, $GITHUB_ACTOR, else the user)");
const reasonOption = () => new Option("--reason <text>", "why, for the record (shown by status, kept in the report)");

promoteOptions(
    program
        .command("promote")
        .description(
            "step the stack's live aliases to the candidate versions, with health gates between the steps; roll back on a failed gate",
        ),
    true,
).action(async (opts: PromoteFlags) => {
    if (opts.full) {
        if (opts.dryRun || opts.retry || opts.strategy)
            throw new UsageError("`--full`: acts on the rollout under way; it takes no --dry-run, --retry or --strategy");
        return runOperator("promote-full", opts);
    }
    return runPromote(opts);
});

promoteOptions(
    program
        .command("retry")
        .description("after an abort or a failed gate: roll the same candidate out again from the first step (promote --retry)"),
    false,
).action((opts: PromoteFlags) => runPromote({ ...opts, retry: true }));

const operatorVerbs: [OperatorAction, string, string][] = [
    ["approve", "approve", "approve the step a rollout is waiting on (the promote that owns it goes on at its next poll)"],
    ["pause", "pause", "hold the current weight (gates keep watching and still roll back on a failure) until resume"],
    ["resume", "resume", "go on with a paused rollout"],
    ["abort", "abort", "all traffic back to stable now; the promote that owns the rollout stops and records it (outcome aborted)"],
];
for (const [action, name, description] of operatorVerbs) {
    const command = program
        .command(name)
        .description(description)
        .addOption(stackOption())
        .addOption(cwdOption())
        .addOption(yesOption())
        .addOption(nonInteractiveOption())
        .addOption(configFileOption())
        .addOption(byOption());
    if (action === "pause" || action === "abort") command.addOption(reasonOption());
    command.addOption(jsonOption()).action((opts: CommonOptions & { by?: string; reason?: string }) => runOperator(action, opts));
}

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
    .action(async (opts: CommonOptions & { to?: string }) => {
        const log = consoleLog(realClock, opts.json);
        const report = await rollback(
            { ...(await realDeps(opts, log)), log, confirm: confirmation(opts) },
            { stackName: opts.stack, to: opts.to, dryRun: opts.dryRun },
        );
        log.line(summary(report));
        emit(opts, report);
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
        const log = consoleLog(realClock, opts.json);
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
    .addOption(yesOption())
    .addOption(nonInteractiveOption())
    .addOption(configFileOption())
    .addOption(jsonOption())
    .option(
        "--watch",
        "refresh until the rollout ends (promoted, rolled back, aborted, held), then exit 1 if it was rolled back or aborted",
    )
    .option("--interval <seconds>", "seconds between refreshes with --watch", "10")
    .action(async (opts: CommonOptions & { watch?: boolean; interval: string }) => {
        const seconds = Number(opts.interval);
        if (!Number.isFinite(seconds) || seconds < 1)
            throw new UsageError(`\`--interval\` must be a number of seconds, 1 or more: got ${JSON.stringify(opts.interval)}`);
        const deps = await realDeps(opts);
        if (!opts.watch) {
            const s = await status(deps, opts.stack);
            if (opts.json) console.log(JSON.stringify(s));
            else printLines(describeStatus(s));
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
    .addOption(yesOption())
    .addOption(nonInteractiveOption())
    .requiredOption("--scenario <file>", "the scenario (JSON): traffic, version profiles, faults")
    .addOption(configFileOption())
    .addOption(jsonOption())
    .addOption(reportOption())
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
    .action(async (opts: CommonOptions & { scenario: string; transport: Transport; sendWebhooks?: boolean }) => {
        const scenario = readScenario(opts.scenario);
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
        process.exitCode = result.exitCode;
    });

program
    .command("rehearse-all")
    .description(
        "rehearse every scenario in a folder (each on its own `stack`, else --stack) and print one row each: outcome, exit code, where traffic ended (read from the simulated AWS), whether that is safe, whether the report was kept; exits 1 when a row breaks a promise or its `expect`",
    )
    .addOption(stackOption())
    .addOption(cwdOption())
    .addOption(yesOption())
    .addOption(nonInteractiveOption())
    .option("--dir <dir>", "the scenarios folder", "scenarios")
    .addOption(configFileOption())
    .addOption(jsonOption())
    .action(async (opts: CommonOptions & { dir: string }) => {
        const started = Date.now();
        const rows = await rehearseFolder(opts.dir, opts.stack, opts.configFile, resolveProject(opts.cwd));
        const wallSeconds = (Date.now() - started) / 1000;
        const out = opts.json ? process.stderr : process.stdout;
        const broken = rows.filter((r) => r.problems.length > 0);
        // The matrix is a Markdown table (it is pasted into docs/reliability.md): its rows are never wrapped.
        for (const row of describeMatrix(rows)) out.write(`${row}\n`);
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
    .command("iam-policy")
    .description("print the least-privilege IAM policy of the promoter role (the one promote and rollback run as) for a stack, as JSON")
    .addOption(stackOption())
    .addOption(cwdOption())
    .addOption(configFileOption())
    .requiredOption("--account <id>", "the 12-digit AWS account id the stack deploys to")
    .option("--region <region>", "the functions' region (default: the stack's aws:region, else its lambda-rollout:region)")
    .option("--functions <names>", "comma-separated short names of the functions (default: those in the stack's config)")
    .action((opts: { stack: string; cwd?: string; configFile?: string; account: string; region?: string; functions?: string }) => {
        const project = resolveProject(opts.cwd);
        const { config, stackConfig } = loadStackConfig(opts.stack, opts.configFile, undefined, project);
        const awsRegion = typeof config["aws:region"] === "string" ? config["aws:region"] : undefined;
        const functionNames = stackConfig.functions.map((f) => f.name);
        const hookFunctions = [
            ...new Set(Object.values(stackConfig.rollout.hooks).flatMap((hooks) => hooks.flatMap((h) => (h.lambda ? [h.lambda] : [])))),
        ];
        const stack = parseStackName(opts.stack, project.name).name;
        process.stdout.write(
            printPolicy(
                stackPolicyArgs(stack, opts.account, { awsRegion, region: stackConfig.region, functionNames, hookFunctions }, opts),
            ),
        );
    });

async function main(argv: string[]): Promise<number> {
    try {
        await program.parseAsync(argv);
        return Number(process.exitCode ?? ExitCode.ok);
    } catch (err) {
        if (err instanceof CommanderError) {
            return err.exitCode === 0 ? ExitCode.ok : ExitCode.usage;
        }
        if (isBug(err)) {
            describeBug(err as Error).forEach((l) => console.error(l));
            return exitCodeFor(err);
        }
        console.error(`error: ${(err as Error).message}`);
        if (err instanceof InfrastructureError && err.trafficState) {
            console.error(`traffic was left: ${err.trafficState}`);
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

main(process.argv).then((code) => {
    process.exitCode = code;
});
