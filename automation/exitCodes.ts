/**
 * The exit codes of promote, rollback and rehearse (docs/design.md), in one table that the CLI, the report and
 * the docs use. Pure: nothing here loads the SDK or Pulumi.
 */
export const ExitCode = {
    /** Promoted, rolled back on request, or nothing to do. */
    ok: 0,
    /** Rolled back by a gate (or a rollback already recorded): the system is safe. */
    rolledBack: 1,
    /** Usage or config error: nothing was touched. */
    usage: 2,
    /** Infrastructure error: where traffic was left is printed. */
    infrastructure: 3,
    /** Another update holds the stack. */
    locked: 4,
    /**
     * Held: the rollout stopped at its weight for a person to decide (an approval that timed out with
     * `onTimeout: hold`, or evidence still short with `onNoData: hold`); promote again goes on. Not an interrupt.
     */
    held: 5,
    /**
     * A bug in lambda-rollout (a TypeError and the like, not an answer from AWS or Pulumi): 70, sysexits'
     * EX_SOFTWARE. A rollout that hit one was still put back on stable.
     */
    bug: 70,
    /** Interrupted by SIGINT (128 + 2), after the abort (or hold) was carried out. */
    interrupted: 130,
    /** Interrupted by SIGTERM (128 + 15), likewise. */
    terminated: 143,
} as const;

/** The exit code for an interrupt by `signal`. */
export function exitCodeForSignal(signal: string | undefined): number {
    return signal === "SIGTERM" ? ExitCode.terminated : ExitCode.interrupted;
}

/** What each exit code means, for people (the job summary, the docs): one table beside the codes. */
export const EXIT_CODE_MEANINGS: Readonly<Record<number, string>> = {
    [ExitCode.ok]: "promoted, rolled back on request, or nothing to do",
    [ExitCode.rolledBack]: "rolled back by a gate, or a rollback already recorded for this candidate (the system is safe)",
    [ExitCode.usage]: "usage or config error, nothing touched",
    [ExitCode.infrastructure]:
        "infrastructure error (the log and the report say where traffic was left, or that it is unknown, with the command to run)",
    [ExitCode.locked]: "another update holds the stack",
    [ExitCode.held]:
        "held at its weight for a person to decide (an approval timed out, or the evidence stayed short, with hold configured); promote again to go on, or abort",
    [ExitCode.bug]:
        "a bug in lambda-rollout, not an AWS or Pulumi failure (a running rollout was put back on stable; please report it with the log and the report)",
    [ExitCode.interrupted]: "interrupted by SIGINT (a cancelled run: aborted to stable, or held; the report says where traffic is)",
    [ExitCode.terminated]: "interrupted by SIGTERM (a cancelled run: aborted to stable, or held; the report says where traffic is)",
};
