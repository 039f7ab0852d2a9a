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
    /** Interrupted by SIGINT (128 + 2), after the abort (or hold) was carried out. */
    interrupted: 130,
    /** Interrupted by SIGTERM (128 + 15), likewise. */
    terminated: 143,
} as const;

/** The exit code for an interrupt by `signal`. */
export function exitCodeForSignal(signal: string | undefined): number {
    return signal === "SIGTERM" ? ExitCode.terminated : ExitCode.interrupted;
}
