/**
 * The Lambda runtimes a function may name in config (`functions[].runtime`), and the deprecated ones refused with
 * the runtime to move to. `lambda-rollout adopt` reads the same tables for a function it brings under management.
 */

/**
 * The Lambda runtimes AWS supports today (2026-11), with the date AWS projects to deprecate each: "Lambda runtimes",
 * https://docs.aws.amazon.com/lambda/latest/dg/lambda-runtimes.html (supported and deprecated runtimes). When a
 * date passes, move the runtime to {@link DEPRECATED_LAMBDA_RUNTIMES}. The SDK's `Runtime` enum also names
 * runtimes that page did not list as supported when this was written (nodejs26.x, python3.15, ruby4.0, ...):
 * add one here once AWS lists it.
 */
export const LAMBDA_RUNTIMES = [
    "nodejs24.x", // 2028-04-30
    "nodejs22.x", // 2027-04-30
    "python3.14", // 2029-06-30
    "python3.13", // 2029-06-30
    "python3.12", // 2028-10-31
    "java25", // 2029-06-30
    "java21", // 2029-06-30
    "dotnet10", // 2028-11-14
    "ruby3.4", // 2028-03-31
    "ruby3.3", // 2027-03-31
    "provided.al2023", // 2029-06-30
] as const;

/** The runtime a function gets when its config names none. */
export const DEFAULT_LAMBDA_RUNTIME = "nodejs24.x";

/**
 * Runtimes AWS Lambda has deprecated (same page): the date, and the runtime to move to. A deprecated runtime gets
 * no more security patches, and AWS then blocks creating, later updating, functions that use it.
 */
export const DEPRECATED_LAMBDA_RUNTIMES: Readonly<
    Record<string, { readonly since: string; readonly use: (typeof LAMBDA_RUNTIMES)[number] }>
> = {
    "nodejs20.x": { since: "2026-04-30", use: "nodejs24.x" },
    "nodejs18.x": { since: "2025-09-01", use: "nodejs24.x" },
    "nodejs16.x": { since: "2024-06-12", use: "nodejs24.x" },
    "nodejs14.x": { since: "2023-12-04", use: "nodejs24.x" },
    "nodejs12.x": { since: "2023-03-31", use: "nodejs24.x" },
    "python3.11": { since: "2026-06-30", use: "python3.14" },
    "python3.10": { since: "2026-06-30", use: "python3.14" },
    "python3.9": { since: "2025-12-15", use: "python3.14" },
    "python3.8": { since: "2024-10-14", use: "python3.14" },
    java17: { since: "2026-06-30", use: "java25" },
    java11: { since: "2026-06-30", use: "java25" },
    "java8.al2": { since: "2026-06-30", use: "java25" },
    java8: { since: "2024-01-08", use: "java25" },
    dotnet8: { since: "2026-11-10", use: "dotnet10" },
    dotnet6: { since: "2024-11-12", use: "dotnet10" },
    "ruby3.2": { since: "2026-03-31", use: "ruby3.4" },
    "provided.al2": { since: "2026-06-30", use: "provided.al2023" },
    provided: { since: "2024-01-08", use: "provided.al2023" },
    "go1.x": { since: "2024-01-08", use: "provided.al2023" },
};

/** Why a runtime is refused: deprecated (since when, what to use instead), or not a Lambda runtime we know. */
export function runtimeProblem(runtime: unknown): string {
    const deprecated =
        typeof runtime === "string" && Object.hasOwn(DEPRECATED_LAMBDA_RUNTIMES, runtime) ? DEPRECATED_LAMBDA_RUNTIMES[runtime] : undefined;
    if (deprecated) {
        return `${runtime as string} is deprecated by AWS Lambda (since ${deprecated.since}: no security patches, then no creating or updating functions on it); use ${deprecated.use}`;
    }
    return `must be one of ${LAMBDA_RUNTIMES.join(", ")}`;
}
