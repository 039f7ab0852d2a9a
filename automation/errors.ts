/**
 * Typed errors of the rollout tool and the exit codes they map to (docs/design.md):
 * 0 promoted or nothing to do · 1 rolled back by a gate · 2 usage or config error, nothing touched ·
 * 3 infrastructure error (what state traffic was left in is printed) · 4 another update holds the stack.
 */
import { ConfigError } from "../config/issues";
import { ExitCode } from "./exitCodes";
import { StackNameError } from "./stackName";

export { ExitCode } from "./exitCodes";

/** Bad arguments, a bad config or a preflight violation: nothing was touched. */
export class UsageError extends Error {
    constructor(message: string) {
        super(message);
        this.name = "UsageError";
    }
}

/** The world failed us (AWS, the Pulumi CLI, the network). `trafficState` says where traffic was left. */
export class InfrastructureError extends Error {
    constructor(
        message: string,
        readonly trafficState?: string,
    ) {
        super(message);
        this.name = "InfrastructureError";
    }
}

/** Another update holds the stack's lock. */
export class StackLockedError extends Error {
    constructor(message: string) {
        super(message);
        this.name = "StackLockedError";
    }
}

/**
 * Whether `err` is bad input (arguments, a stack name, a config file or its values): exit 2, nothing touched.
 * Whatever runs the program (the mock engine's `up` included) passes these on as they are, with their key paths.
 */
export function isUsageError(err: unknown): boolean {
    // A config file that cannot be read (engine/evaluate.ts's ConfigFileError) is a UsageError too; this module
    // imports nothing impure, so the pure rollout logic that throws these loads no SDK through it.
    return err instanceof UsageError || err instanceof ConfigError || err instanceof StackNameError;
}

/**
 * Whether `err` is a bug in this tool rather than a failure of what it drives: the JavaScript engine's own
 * programming errors (a TypeError on an undefined value, a ReferenceError, ...). AWS and Pulumi failures reach
 * here as InfrastructureError, AwsCallError or the SDKs' own errors, never as these.
 */
export function isBug(err: unknown): boolean {
    return (
        err instanceof TypeError ||
        err instanceof ReferenceError ||
        err instanceof RangeError ||
        err instanceof SyntaxError ||
        err instanceof EvalError ||
        err instanceof URIError
    );
}

/** What a person is told about a bug: that it is one, where it happened, and what to do with it. */
export function describeBug(err: Error): string[] {
    const where = (err.stack ?? "")
        .split("\n")
        .slice(1, 6)
        .map((l) => `  ${l.trim()}`);
    return [
        `error: a bug in lambda-rollout (not an AWS or Pulumi failure): ${err.name}: ${err.message}`,
        ...where,
        "please report it to the lambda-rollout maintainers with this output, the command line and the --report file",
    ];
}

/** The exit code for an error that reached the entry point. */
export function exitCodeFor(err: unknown): number {
    if (isUsageError(err)) return ExitCode.usage;
    if (err instanceof StackLockedError) return ExitCode.locked;
    if (isBug(err)) return ExitCode.bug;
    return ExitCode.infrastructure;
}
