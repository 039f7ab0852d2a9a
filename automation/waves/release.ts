/**
 * One release through many stacks, wave by wave (`lambda-rollout promote --waves <plan>`): a reconcile loop. Each
 * pass reads every stack's standing from its own records (standing.ts), decides the next move (decide.ts, pure) and
 * makes it: run the stacks of the current wave (each its own promote, with its own gates), watch the released
 * stacks' gates between waves, put the stacks that carry the candidate back on stable when the release fails, and
 * end with one report and one exit code. Nothing of the release is kept but in the stacks' records, so a run
 * killed anywhere and started again goes on from where the records say, and never releases a stack twice.
 */
import { ExitCode, exitCodeForSignal } from "../exitCodes";
import { UsageError } from "../errors";
import type { Clock, RolloutLog } from "../rollout/ports";
import type { RolloutResult } from "../rollout/promote";
import type { Outcome } from "../rollout/report";
import { describeError } from "../rollout/retry";
import { causeOf, describeMove, nextMove, type ReleaseMove } from "./decide";
import { describePlan, planStacks, waveOf, type WavePlan } from "./plan";
import { ReleaseRecorder } from "./recorder";
import type { ReleaseReport, WaveStackRecord } from "./report";
import { lookAt, operateStack, promoteStack, putBack, readStack, type PutBack, type StackWorld } from "./stack";
import { standingOf, type StackStanding } from "./standing";

/** The side effects of a release. */
export interface ReleaseDeps {
    readonly clock: Clock;
    readonly log: RolloutLog;
    /** Each stack's world: its own account, region and credentials (real, or a simulated account of its own). */
    readonly worldOf: (stack: string) => StackWorld;
    /** Runs tasks at once (the rehearsal's timeline runs them on its virtual clock); default Promise.all. */
    readonly parallel?: <T>(tasks: (() => Promise<T>)[]) => Promise<T[]>;
    /** SIGINT/SIGTERM: the stacks under way abort (or hold), and nothing more starts. */
    readonly signal?: AbortSignal;
    /** Sees the report after every change. */
    readonly observe?: (report: ReleaseReport) => void;
    /** Asks a person once, before anything moves; absent with --yes. */
    readonly confirm?: (question: string) => Promise<boolean>;
    /** Who runs the release: recorded on the stacks it aborts. */
    readonly actor: { readonly by: string; readonly principal?: string };
}

/** How a release runs. */
export interface ReleaseOptions {
    readonly plan: WavePlan;
    /** Print the plan, where each stack stands and the next move; touch nothing. */
    readonly dryRun?: boolean;
    /** Go on through this wave (1-based) and stop there (one CI job per wave). */
    readonly throughWave?: number;
    /** On SIGINT/SIGTERM: every stack that received the candidate back on stable (default), or hold where it is. */
    readonly onInterrupt?: "abort" | "hold";
}

/** The release's report and its one exit code. */
export interface ReleaseResult {
    readonly report: ReleaseReport;
    readonly exitCode: number;
    /** For --dry-run: what it printed. */
    readonly plan?: string[];
}

/** How long between two looks of the watched stacks' gates when none of them says (their policies do). */
const DEFAULT_POLL_MS = 60_000;

/** Runs a release to its end. */
export function release(deps: ReleaseDeps, options: ReleaseOptions): Promise<ReleaseResult> {
    return new ReleaseRun(deps, options).run();
}

/** One run of a release: its phases, each a method, over one record. */
class ReleaseRun {
    private readonly plan: WavePlan;
    private readonly startedAtMs: number;
    /** The report: every change to it goes through here. */
    private readonly record: ReleaseRecorder;
    /** The worst exit code a stack's promote ended with in this run (an infrastructure error, a lock). */
    private stackExit: number = ExitCode.ok;
    private lastMove = "";
    /** A stack's promote ended in a way the records cannot tell the release about (a lock, a usage error, an infrastructure error with nothing rolled back): the release stops with its exit code. */
    private halt?: { readonly exitCode: number; readonly reason: string };

    constructor(
        private readonly deps: ReleaseDeps,
        private readonly options: ReleaseOptions,
    ) {
        this.plan = options.plan;
        this.startedAtMs = deps.clock.now();
        this.record = new ReleaseRecorder(this.plan, this.startedAtMs, deps.clock, deps.observe, options.throughWave);
    }

    private get log(): RolloutLog {
        return this.deps.log;
    }

    private minute(): number {
        return this.record.minute();
    }

    async run(): Promise<ReleaseResult> {
        const standings = await this.readAll();
        this.checkSameRelease(standings);
        this.record.seed(standings);
        const lines = [
            ...describePlan(this.plan),
            ...planStacks(this.plan).map(
                (s) => `  ${s}: ${standings[s].kind}${standings[s].release ? `, release ${standings[s].release}` : ""}`,
            ),
        ];
        lines.push(`next: ${describeMove(this.plan, nextMove(this.plan, standings, this.deps.clock.now()))}`);
        lines.forEach((l) => this.log.line(l));
        if (this.options.dryRun) {
            this.log.line("dry run: nothing was called that changes anything");
            return { report: this.record.report(), exitCode: ExitCode.ok, plan: lines };
        }
        if (
            this.deps.confirm &&
            !(await this.deps.confirm(`Release ${this.record.facts.version ?? "the candidate"} through wave plan ${this.plan.name}?`))
        ) {
            throw new UsageError("not confirmed: nothing was invoked and no traffic was moved");
        }
        return this.reconcile(standings);
    }

    /** The loop: read, decide, act, until the release ends. */
    private async reconcile(first: Record<string, StackStanding>): Promise<ReleaseResult> {
        let standings = first;
        for (;;) {
            if (this.deps.signal?.aborted) return this.interrupted();
            const move = nextMove(this.plan, standings, this.deps.clock.now());
            this.say(move);
            const ended = await this.act(move, standings);
            if (ended) return ended;
            standings = await this.readAll();
            this.checkSameRelease(standings);
            // A stack that stopped without a record of why (a lock, a refused preflight) would be started again for ever.
            if (this.halt && !causeOf(this.plan, Object.values(standings))) {
                this.record.error = this.halt.reason;
                return this.finish("failed", this.halt.exitCode);
            }
        }
    }

    /** Makes one move; returns the result when the release ends with it. */
    private async act(move: ReleaseMove, standings: Record<string, StackStanding>): Promise<ReleaseResult | undefined> {
        const through = this.options.throughWave;
        switch (move.kind) {
            case "unreadable":
                this.record.error = `the rollout record of ${move.stacks.join(", ")} cannot be read: nothing was moved (\`lambda-rollout status -s <stack>\` shows it and what fixes it)`;
                return this.finish("failed", ExitCode.infrastructure);
            case "complete":
                await this.runStacks(move.stacks, false);
                return undefined;
            case "put-back":
                await this.putBackAll(
                    move.stacks,
                    move.cause.kind,
                    `the release stopped: ${move.cause.stack} (wave ${move.cause.wave + 1}) ${move.cause.kind}: ${move.cause.reason}`,
                );
                return undefined;
            case "ended":
                this.record.facts.cause = { ...move.cause, reason: this.record.fullReason(move.cause.stack) ?? move.cause.reason };
                if (move.held.length > 0) this.record.facts.held = move.held;
                return this.finish(move.cause.kind === "rolled-back" ? "rolled-back" : "aborted");
            case "hold":
                // Paused: one poll of the released stacks' gates (they only look for a failure), then read again.
                await this.watch(move.watched, standings, this.deps.clock.now() + this.pollMs(move.watched), undefined, Infinity);
                return undefined;
            case "watch":
                if (through !== undefined && move.wave >= through) return this.stopAfter(through);
                await this.watch(move.watched, standings, move.untilMs, move.wave - 1);
                return undefined;
            case "release":
                if (through !== undefined && move.wave >= through) return this.stopAfter(through);
                await this.runStacks(move.stacks, true);
                return undefined;
            case "promoted":
                return this.finish("promoted");
        }
    }

    /** Every stack's standing, read now. */
    private async readAll(): Promise<Record<string, StackStanding>> {
        const out: Record<string, StackStanding> = {};
        for (const stack of planStacks(this.plan)) out[stack] = standingOf(stack, await readStack(this.deps.worldOf(stack)));
        return out;
    }

    /** The stacks must carry one release: a stack that published another commit is refused before anything moves. */
    private checkSameRelease(standings: Record<string, StackStanding>): void {
        const named = Object.values(standings).filter((s) => s.release !== undefined);
        const releases = [...new Set(named.map((s) => s.release))];
        if (releases.length > 1) {
            throw new UsageError(
                `the stacks of wave plan ${this.plan.name} carry different releases (${named.map((s) => `${s.stack}: ${s.release}`).join("; ")}): ` +
                    `deploy the same commit to every stack (\`pulumi up\`), then run the release again; nothing was moved by this run`,
            );
        }
        this.record.facts.version = releases[0];
    }

    /** Says the move once, when it changes. */
    private say(move: ReleaseMove): void {
        const text = describeMove(this.plan, move);
        if (text === this.lastMove) return;
        this.lastMove = text;
        this.log.line(`[release min ${this.minute()}] ${text}`);
    }

    /**
     * Runs the stacks' own promotes at once (at most the plan's concurrency were asked). The first that ends
     * without promoting stops the others: each is aborted through its record, as `abort -s` would, and its own
     * promote puts its traffic back.
     */
    private async runStacks(stacks: readonly string[], stopPeers: boolean): Promise<void> {
        const running = new Set(stacks);
        this.record.facts.moving = [...running];
        await this.parallel(
            stacks.map((stack) => async () => {
                const result = await this.promoteOne(stack);
                running.delete(stack);
                this.record.facts.moving = [...running];
                this.record.changed();
                const failed = result !== undefined && result.report.outcome !== "promoted" && result.report.outcome !== "nothing-to-do";
                if (stopPeers && (failed || this.halt) && running.size > 0 && !this.deps.signal?.aborted) {
                    const last = result?.report.steps.at(-1);
                    const reason = `the release stopped: ${stack} ${result?.report.outcome ?? "failed"}${last ? `: ${last.reason}` : this.halt ? `: ${this.halt.reason}` : ""}`;
                    await Promise.all([...running].map((peer) => this.abortStack(peer, reason)));
                }
            }),
        );
    }

    /** One stack's promote, its report kept as one part of its entry. */
    private async promoteOne(stack: string): Promise<RolloutResult | undefined> {
        const part = this.record.startPart(stack);
        const world = this.deps.worldOf(stack);
        try {
            const result = await promoteStack(
                world,
                (report) => {
                    part.report = structuredClone(report);
                    this.record.changed();
                },
                this.deps.signal,
                { onInterrupt: this.options.onInterrupt ?? "abort" },
            );
            part.report = { ...result.report };
            if (result.exitCode !== ExitCode.ok && result.exitCode !== ExitCode.rolledBack && !this.deps.signal?.aborted) {
                this.stackExit = Math.max(this.stackExit, result.exitCode);
                this.halt ??= { exitCode: result.exitCode, reason: `${stack}: ${result.report.error ?? result.report.outcome}` };
            }
            this.record.changed();
            return result;
        } catch (err) {
            const exitCode = err instanceof UsageError ? ExitCode.usage : ExitCode.infrastructure;
            this.log.line(`${stack}: its promote stopped: ${describeError(err)}`);
            this.halt ??= { exitCode, reason: `${stack}: ${describeError(err)}` };
            this.stackExit = Math.max(this.stackExit, exitCode);
            part.report = { ...part.report, outcome: "failed", error: describeError(err) };
            this.record.changed();
            return undefined;
        }
    }

    /** An operator's abort of one stack under way, by the release: the stack's own promote (or the verb) puts it back. */
    private async abortStack(stack: string, reason: string): Promise<void> {
        this.log.line(`${stack}: aborting its rollout: ${reason}`);
        try {
            await operateStack(this.deps.worldOf(stack), { action: "abort", ...this.deps.actor, reason });
        } catch (err) {
            this.log.line(`${stack}: the abort was not recorded: ${describeError(err)}`);
        }
    }

    /**
     * The release failed (or was aborted): each stack in the rollback's scope that carries the candidate goes back
     * to stable. One under way is aborted through its record (its promote, or the verb, puts it back); one
     * promoted is put back here, through the one rollback mechanism, with the release's reason recorded.
     */
    private async putBackAll(stacks: readonly string[], kind: "rolled-back" | "aborted", reason: string): Promise<void> {
        const standings = await this.readAll();
        await this.parallel(
            stacks.map((stack) => async () => {
                if (standings[stack].kind === "promoted") await this.putBackOne(stack, kind, reason);
                else if (standings[stack].kind === "under-way") await this.abortStack(stack, reason);
            }),
        );
    }

    /** One promoted stack back on stable, recorded as a step of its entry. */
    private async putBackOne(
        stack: string,
        kind: "rolled-back" | "aborted",
        reason: string,
        step?: Partial<WaveStackRecord["steps"][number]>,
        quick = false,
    ): Promise<void> {
        const started = new Date(this.deps.clock.now()).toISOString();
        let done: PutBack;
        try {
            done = await putBack(this.deps.worldOf(stack), kind, reason, { quick, ...this.deps.actor });
        } catch (err) {
            this.log.line(`${stack}: could not be put back on stable: ${describeError(err)}`);
            this.record.error = `${stack}: not put back on stable: ${describeError(err)}`;
            this.stackExit = Math.max(this.stackExit, ExitCode.infrastructure);
            return;
        }
        if (!(done.restored?.landed ?? true)) this.stackExit = Math.max(this.stackExit, ExitCode.infrastructure);
        this.record.putBack(stack, done, kind, reason, started, step);
    }

    /**
     * Between waves: the released stacks' gates keep watching (one look of each, every poll interval) until
     * `untilMs`, and on while a look is short of evidence (extended, as a bake is). A look that fails puts that
     * stack back on stable (a late regression: the next pass ends the release); a watched stack that no longer
     * serves its candidate (an operator's abort, a rollback by hand) ends the watch early. `windowSeconds` overrides
     * the looks' window (a paused release's looks only look for a failure).
     */
    private async watch(
        watched: readonly string[],
        before: Record<string, StackStanding>,
        untilMs: number,
        wave: number | undefined,
        windowSeconds?: number,
    ): Promise<void> {
        // Recorded as it goes: a run that dies while watching leaves the watch so far in the report.
        const record = this.record.watch(wave, watched);
        const poll = this.pollMs(watched);
        for (;;) {
            const now = this.deps.clock.now();
            const wake = now < untilMs ? Math.min(untilMs, now + poll) : now + poll;
            await this.deps.clock.sleep(Math.max(0, wake - now), this.deps.signal);
            if (this.deps.signal?.aborted) return record("stopped", `interrupted by ${String(this.deps.signal.reason ?? "SIGINT")}`);
            // Only the watched stacks are read each poll (the cost stays with what is watched); the others are read
            // again at the next pass, before anything starts.
            const looked = await this.lookAll(watched, before, untilMs, windowSeconds);
            if (looked.failed) return record("failed", looked.failed);
            if (looked.moved.length > 0) return record("stopped", `${looked.moved.join(", ")} no longer serves the candidate as promoted`);
            if (this.deps.clock.now() >= untilMs && looked.extended.length === 0)
                return record("passed", `${watched.join(", ")}: every look of the gates passed`);
            record(
                "watching",
                looked.extended.length > 0
                    ? `extended: too little evidence yet for ${looked.extended.join(", ")}`
                    : `watching ${watched.join(", ")}`,
            );
        }
    }

    /** One look of each watched stack's gates: the first that failed (that stack put back), and those short of evidence. */
    private async lookAll(
        watched: readonly string[],
        standings: Record<string, StackStanding>,
        untilMs: number,
        windowSeconds?: number,
    ): Promise<{ failed?: string; extended: string[]; moved: string[] }> {
        const extended: string[] = [];
        const moved: string[] = [];
        for (const stack of watched) {
            const since = standings[stack].promotedAtMs ?? this.startedAtMs;
            let result;
            try {
                result = await lookAt(this.deps.worldOf(stack), since, windowSeconds ?? Math.max(0, (untilMs - since) / 1000));
            } catch (err) {
                this.log.line(`${stack}: its gates could not be read this look: ${describeError(err)}`);
                continue;
            }
            if (!result) moved.push(stack);
            if (result?.verdict === "extended") extended.push(stack);
            if (!result || (result.verdict !== "failed" && result.verdict !== "inconclusive")) continue;
            const reason = `late regression while the release watched wave ${waveOf(this.plan, stack) + 1}: ${result.reason}`;
            this.log.line(`[release min ${this.minute()}] ${stack}: ${reason}`);
            await this.putBackOne(stack, "rolled-back", reason, {
                verdict: "failed",
                cause: result.cause,
                ...(result.function ? { function: result.function } : {}),
                numbers: result.numbers,
            });
            return { failed: `${stack}: ${reason}`, extended, moved };
        }
        return { extended, moved };
    }

    /** The watched stacks' poll interval: the shortest their policies give. */
    private pollMs(watched: readonly string[]): number {
        const polls = watched.map((s) => this.deps.worldOf(s).policy.gates.pollInterval * 1000);
        return polls.length > 0 ? Math.min(...polls) : DEFAULT_POLL_MS;
    }

    /**
     * SIGINT/SIGTERM: the stacks under way have aborted (or held) through their own promotes. With abort (the
     * default), every stack promoted by this release goes back too, through the Lambda API only (no time for an
     * `up`): an interrupted release is an aborted one. With hold, everything stays where it is, to be run again.
     */
    private async interrupted(): Promise<ReleaseResult> {
        const signal = String(this.deps.signal?.reason ?? "SIGINT");
        if (this.options.onInterrupt !== "hold") {
            const standings = await this.readAll();
            const promoted = planStacks(this.plan).filter((s) => standings[s].kind === "promoted");
            for (const stack of promoted)
                await this.putBackOne(stack, "aborted", `the release was interrupted by ${signal}`, undefined, true);
        }
        this.record.error = `interrupted by ${signal}`;
        return this.finish(this.options.onInterrupt === "hold" ? "held" : "aborted", exitCodeForSignal(signal));
    }

    /** `--through-wave N`: the waves up to N are released; the next job goes on from the records. */
    private stopAfter(wave: number): Promise<ReleaseResult> {
        this.log.line(
            `[release min ${this.minute()}] wave ${wave} is released (--through-wave ${wave}): stopping; \`promote --waves ${this.plan.name}\` run again goes on from here`,
        );
        return this.finish("held", ExitCode.ok);
    }

    private async finish(outcome: Outcome, exitCode?: number): Promise<ReleaseResult> {
        // Each stack as AWS says at the end (an operator may have moved one meanwhile).
        for (const stack of planStacks(this.plan)) {
            try {
                this.record.close(stack, await readStack(this.deps.worldOf(stack)));
            } catch (err) {
                this.log.line(`${stack}: where its traffic ended could not be read: ${describeError(err)}`);
            }
        }
        this.record.outcome = outcome;
        this.record.decisionAtMinute = this.minute();
        const report = this.record.report();
        this.deps.observe?.(report);
        const code =
            exitCode ??
            (this.stackExit !== ExitCode.ok
                ? this.stackExit
                : outcome === "promoted"
                  ? ExitCode.ok
                  : outcome === "failed"
                    ? ExitCode.infrastructure
                    : ExitCode.rolledBack);
        return { report, exitCode: code };
    }

    /** Runs tasks at once, through the world's `parallel` (each task catches its own errors). */
    private parallel<T>(tasks: (() => Promise<T>)[]): Promise<T[]> {
        return this.deps.parallel ? this.deps.parallel(tasks) : Promise.all(tasks.map((t) => t()));
    }
}
