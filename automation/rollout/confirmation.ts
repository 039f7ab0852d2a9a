/**
 * A verb's confirmation: it records its request (compare-and-set), then reads until a read confirms it or its
 * wait runs out. approve, pause, resume and `--full`: the request (or what the owner made of it) read back with no
 * `up` of the owner's still to write the alias; recorded again if an `up` overwrote it. abort: all traffic read on
 * stable, with the abort (or a gate's rollback) recorded, after every `up` in flight ended: the owner's if it is
 * alive, else this verb's own converging `up`, which holds the stack's lock.
 */
import {
    DEFAULT_WAIT_MS,
    transition,
    verb,
    type OperatorAction,
    type OperatorCommand,
    type OperatorDeps,
    type OperatorOptions,
} from "./verbs";
import { readRecord, stateOf, updateRecord, type AliasRead } from "./record";
import { describeError, ROLLBACK_RETRY } from "./retry";
import { describeState, encodeState, isAbortOf, isUnderWay, ownerAlive, type RolloutState } from "../../domain/state";
import { updateAliasCommand } from "./traffic";

/** One function a verb acts on. */
export interface Planned {
    readonly key: string;
    readonly functionName: string;
    readonly aliasName: string;
    readonly before: RolloutState;
    after: RolloutState;
}

/** One verb's writes and its wait for the confirmation. */
export class VerbSession {
    landed = false;
    private readonly started: number;
    private converged = false;
    private lastSaid = "";

    constructor(
        private readonly deps: OperatorDeps,
        private readonly stackName: string,
        private readonly command: OperatorCommand,
        private readonly planned: Planned[],
        private readonly region: string | undefined,
        private readonly options: OperatorOptions,
    ) {
        this.started = deps.clock.now();
    }

    private get abort(): boolean {
        return this.command.action === "abort";
    }

    /** Records the request (abort: and puts traffic back) on every function, then waits for the confirmation. */
    async run(): Promise<boolean> {
        for (const p of this.planned) {
            await this.record(p);
            this.deps.log.line(`${p.key}: ${describeState(p.after)}`);
        }
        return this.confirm();
    }

    /** Compare-and-set of the request on one alias (abort: with all traffic on stable); a refusal on the fresh read is said. */
    private async record(p: Planned): Promise<boolean> {
        const { result } = await updateRecord(
            this.deps,
            p,
            (read) => {
                const now = stateOf(read);
                const after = transition(now, this.command, this.deps.clock.now());
                if (typeof after === "string") return { result: after };
                p.after = after;
                return {
                    write: { state: after, ...(this.abort ? { routing: { stableVersion: p.before.stable } } : {}) },
                    result: undefined,
                };
            },
            { retry: ROLLBACK_RETRY, onRetry: (err) => this.deps.log.line(`${p.key}: UpdateAlias: ${describeError(err)}; trying again`) },
        );
        if (result !== undefined) this.deps.log.line(`${p.key}: not recorded: ${result}`);
        return result === undefined;
    }

    /** Reads until confirmed, or the wait runs out (then says what is known and how to finish). */
    private async confirm(): Promise<boolean> {
        const waitMs = this.options.waitMs ?? DEFAULT_WAIT_MS;
        const pollMs = this.options.pollMs ?? 5_000;
        for (;;) {
            const reads = await this.readAll();
            const verdict = reads ? await this.assess(reads) : "wait";
            if (verdict === "confirmed") return this.confirmed(reads!);
            if (verdict === "overtaken") return false;
            if (this.deps.clock.now() - this.started >= waitMs) return this.gaveUp(reads);
            await this.deps.clock.sleep(pollMs);
        }
    }

    /** Every planned alias, read now; undefined when one could not be read (read again next time). */
    private async readAll(): Promise<Map<string, AliasRead> | undefined> {
        const reads = new Map<string, AliasRead>();
        for (const p of this.planned) {
            try {
                reads.set(p.key, await readRecord(this.deps.lambda, this.deps.clock, p));
            } catch (err) {
                this.say(`could not read ${p.functionName}:${p.aliasName} (${describeError(err)}); reading again`);
                return undefined;
            }
        }
        return reads;
    }

    /** What the reads say: confirmed, lost (recorded again here), waiting on someone, or overtaken by the rollout's end. */
    private async assess(reads: Map<string, AliasRead>): Promise<"confirmed" | "wait" | "overtaken"> {
        const now = this.deps.clock.now();
        const states = this.planned.map((p) => stateOf(reads.get(p.key)!));
        const owner = states.find((s) => s && ownerAlive(s, now) && s.phase !== "aborted" && s.phase !== "rolled-back");
        const upComing = states.some((s) => s?.upInFlight) && owner !== undefined;
        if (this.abort) return this.assessAbort(reads, states, owner, upComing);
        const ended = states.find((s) => s && !isUnderWay(s) && !satisfied(this.command.action, s, this.planned[0].before));
        if (ended) {
            this.deps.log.line(
                `not confirmed: the rollout moved on before the ${verb(this.command.action)} took effect (${describeState(ended)})`,
            );
            return "overtaken";
        }
        const lost = this.planned.filter((p, i) => !satisfied(this.command.action, states[i], p.before));
        if (lost.length === 0) {
            if (!upComing) return "confirmed";
            this.say(
                `recorded; an \`up\` of the promote that owns the rollout (${owner!.owner}) is still to write the alias: reading again once it has`,
            );
            return "wait";
        }
        if (upComing) {
            this.say(
                `an \`up\` of the promote that owns the rollout (${owner!.owner}) overwrote the request or is about to: waiting for it, then recording it again`,
            );
            return "wait";
        }
        for (const p of lost) if (!(await this.record(p))) return "overtaken";
        this.say(`the request was overwritten (${lost.map((p) => p.key).join(", ")}): recorded it again`);
        return "wait";
    }

    /**
     * An abort: every alias back on stable with the abort (or a gate's rollback) recorded, read after every `up` in
     * flight ended: confirmed by a live owner's `aborted`, or by this verb's own converging `up` (the stack's lock
     * held: no other `up` is in flight) when no owner is alive. A lost abort is recorded again.
     */
    private async assessAbort(
        reads: Map<string, AliasRead>,
        states: (RolloutState | undefined)[],
        owner: RolloutState | undefined,
        upComing: boolean,
    ): Promise<"confirmed" | "wait" | "overtaken"> {
        const onStable = this.planned.every((p) => {
            const r = reads.get(p.key)!;
            return r.stableVersion === p.before.stable && !r.candidate;
        });
        const kept = this.planned.every((p, i) => {
            const s = states[i];
            return (
                s !== undefined &&
                s.candidate === p.before.candidate &&
                (isAbortOf(s, s.candidate) || s.phase === "rolling-back" || s.phase === "rolled-back")
            );
        });
        this.landed = onStable;
        if (upComing) {
            this.say(
                `an \`up\` of the promote that owns the rollout (${owner!.owner}) is still to write the alias: waiting for it, then making sure`,
            );
            return "wait";
        }
        if (!kept || !onStable) {
            for (const p of this.planned) await this.record(p);
            this.say(
                kept
                    ? "traffic was not on stable: put it back again"
                    : "the abort was overwritten by an `up` in flight: recorded it again, with all traffic on stable",
            );
            return "wait";
        }
        if (owner) {
            this.say(
                `traffic is on stable; waiting for the promote that owns the rollout (${owner.owner}, lease to ${iso(owner.lease!)}) to confirm`,
            );
            return "wait";
        }
        // No owner alive: this verb finishes the abort itself. Its `up` runs only once no other `up` holds the stack.
        if (!this.converged) return this.converge();
        for (const p of this.planned) {
            const s = states[this.planned.indexOf(p)];
            if (s?.phase === "aborting") await this.finish(p);
        }
        return "confirmed";
    }

    /**
     * The abort's own `up`, with all traffic on stable and `aborted` recorded: it holds the stack's lock, so once it
     * ran no other `up` is in flight; the next read confirms. Locked: wait for the update holding it. Failed
     * otherwise: traffic stays on stable in AWS (the rule of routing keeps it), said.
     */
    private async converge(): Promise<"wait"> {
        try {
            await this.deps.stack.up(
                Object.fromEntries(
                    this.planned.map((p) => [
                        p.key,
                        { stable: p.before.stable, candidate: p.before.candidate, weight: 0, state: encodeState(this.finalState(p)) },
                    ]),
                ),
                `lambda-rollout abort: ${this.planned[0].after.reason ?? "aborted"}`.slice(0, 1000),
            );
            this.converged = true;
        } catch (err) {
            if ((err as Error).name === "StackLockedError") {
                this.say(
                    `another update holds stack ${this.stackName}: waiting for it to end before confirming (it could still write the aliases)`,
                );
                return "wait";
            }
            this.converged = true;
            this.deps.log.line(
                `the stack's state was not brought in line (${describeError(err)}); traffic is on stable in AWS, and the next plain \`pulumi up\` keeps it (rule of routing)`,
            );
        }
        return "wait";
    }

    /** The record an abort finished by this verb leaves: `aborted`, without the owner's `up` mark. */
    private finalState(p: Planned): RolloutState {
        const { upInFlight: _u, ...rest } = p.after;
        return { ...rest, phase: "aborted", since: this.deps.clock.now() };
    }

    /** Records `aborted` where the abort is still only decided (compare-and-set: an `up` may not have left it so). */
    private async finish(p: Planned): Promise<void> {
        await updateRecord(
            this.deps,
            p,
            (read) => {
                const s = stateOf(read);
                return s?.phase === "aborting" && s.candidate === p.before.candidate
                    ? { write: { state: this.finalState(p) }, result: undefined }
                    : { result: undefined };
            },
            { retry: ROLLBACK_RETRY },
        );
    }

    private confirmed(reads: Map<string, AliasRead>): boolean {
        if (this.abort) {
            this.deps.log.line(
                `all traffic is on stable: ${this.planned.map((p) => `${p.key} v${reads.get(p.key)!.stableVersion} 100%`).join(", ")} (read after every \`up\` in flight ended)`,
            );
        } else {
            this.deps.log.line(
                `recorded and read back: the promote that owns the rollout acts on it at its next poll; if none is running, \`lambda-rollout promote -s ${this.stackName}\` carries it on`,
            );
        }
        return true;
    }

    /** The wait ran out: what is known, and the exact command to finish. */
    private gaveUp(reads: Map<string, AliasRead> | undefined): boolean {
        const where = reads
            ? this.planned
                  .map((p) => {
                      const r = reads.get(p.key)!;
                      return `${p.key} ${r.candidate ? `v${r.stableVersion} + v${r.candidate.version} ${Math.round(r.candidate.weight * 1000) / 10}%` : `v${r.stableVersion} 100%`} (${stateOf(r) ? describeState(stateOf(r)!) : "no record"})`;
                  })
                  .join("; ")
            : "the aliases could not be read";
        this.deps.log.line(`NOT CONFIRMED after ${Math.round((this.deps.clock.now() - this.started) / 1000)} s: ${where}`);
        if (this.abort) {
            this.deps.log.line(
                `to finish: \`lambda-rollout abort -s ${this.stackName}\` again once the update holding the stack has ended, or by hand: ${this.planned
                    .map((p) =>
                        updateAliasCommand({ functionName: p.functionName, aliasName: p.aliasName, to: p.before.stable }, this.region),
                    )
                    .join(" && ")}`,
            );
        } else {
            this.deps.log.line(
                `to finish: \`lambda-rollout ${verb(this.command.action)} -s ${this.stackName}\` again, and \`lambda-rollout status -s ${this.stackName}\` to see where the rollout stands`,
            );
        }
        return false;
    }

    /** A progress line, said once per change. */
    private say(text: string): void {
        if (text === this.lastSaid) return;
        this.lastSaid = text;
        this.deps.log.line(`[${Math.round((this.deps.clock.now() - this.started) / 1000)} s] ${text}`);
    }
}

/** Does the record show the request (or its effect: the owner acted on it)? */
function satisfied(action: OperatorAction, s: RolloutState | undefined, before: RolloutState): boolean {
    if (!s || s.candidate !== before.candidate) return false;
    switch (action) {
        case "approve":
            return s.request === "approve" || s.step > before.step || s.phase === "promoted";
        case "pause":
            return s.phase === "paused";
        case "resume":
            return s.phase !== "paused" && (isUnderWay(s) || s.phase === "promoted");
        case "promote-full":
            return s.request === "full" || s.phase === "promoted" || s.weight >= 1;
        case "abort":
            return isAbortOf(s, s.candidate);
    }
}

function iso(ms: number): string {
    return new Date(ms).toISOString();
}
