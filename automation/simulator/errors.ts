/**
 * The fake account and region every simulated ARN uses, so that adapters which parse ARNs see the
 * shapes they would see in AWS.
 */
export const SIMULATED_ACCOUNT = "123456789012";
/** See {@link SIMULATED_ACCOUNT}. */
export const SIMULATED_REGION = "us-east-1";

/**
 * An error shaped like the ones the AWS SDK v3 throws for a service exception, so adapters that branch
 * on `name`, `$fault` or `$metadata.httpStatusCode` behave in a rehearsal as they would against AWS.
 */
export interface SimulatedAwsError extends Error {
    readonly $fault: "client" | "server";
    readonly $metadata: { httpStatusCode: number };
}

/** Builds a client-side (4xx) AWS error; `code` becomes the error's `name`, as the SDK does. */
export function clientError(code: string, message: string, httpStatusCode = 400): SimulatedAwsError {
    return awsError(code, message, "client", httpStatusCode);
}

/** Builds a server-side (5xx) AWS error, e.g. the ServiceUnavailable of a CloudWatch outage. */
export function serverError(code: string, message: string, httpStatusCode = 503): SimulatedAwsError {
    return awsError(code, message, "server", httpStatusCode);
}

function awsError(code: string, message: string, fault: "client" | "server", httpStatusCode: number): SimulatedAwsError {
    const error = new Error(message) as Error & { $fault: string; $metadata: { httpStatusCode: number } };
    error.name = code;
    error.$fault = fault;
    error.$metadata = { httpStatusCode };
    return error as SimulatedAwsError;
}
