/**
 * The CloudWatch dimension sets Lambda publishes for an alias's traffic, in one pure module: the alarms
 * (components/rollbackAlarms.ts), the dashboard and the tool's metric reads (automation/adapters/cloudwatch.ts)
 * must ask for exactly the same series, and the adapter must not load a Pulumi component to know them.
 */

/** CloudWatch dimensions of the traffic through an alias: `{FunctionName, Resource=<fn>:<alias>}`. */
export function aliasDimensions(functionName: string, aliasName: string): Record<string, string> {
    return { FunctionName: functionName, Resource: `${functionName}:${aliasName}` };
}

/**
 * Dimensions of one version's share of an alias's traffic. Alias traffic is split by `ExecutedVersion` only
 * under this exact set: whole-function metrics would dilute a bad canary with the stable traffic.
 */
export function versionDimensions(functionName: string, aliasName: string, version: string): Record<string, string> {
    return { ...aliasDimensions(functionName, aliasName), ExecutedVersion: version };
}
