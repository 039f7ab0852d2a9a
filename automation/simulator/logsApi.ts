/**
 * CloudWatch Logs of a simulated account: the log groups (as Lambda makes `/aws/lambda/<name>` on a function's
 * first invocation, or as a template declares one) and DescribeLogGroups, what `adopt` reads them with.
 */
import { DescribeLogGroupsCommand, type LogGroup } from "@aws-sdk/client-cloudwatch-logs";
import { clientError, SIMULATED_ACCOUNT, SIMULATED_REGION } from "./errors";
import { dispatch, type CommandHandlers, type SimulatedClient } from "./sdkDispatch";

/** A log group as stored. */
export interface LogGroupSpec {
    readonly name: string;
    /** Days; undefined: events never expire (the default of a group Lambda creates). */
    readonly retentionInDays?: number;
    /** `STANDARD` (default) or `INFREQUENT_ACCESS`. */
    readonly logGroupClass?: string;
}

/** The logs API over `groups` (name -> spec), read at call time. */
export function createLogsClient(backend: { groups: Map<string, LogGroupSpec>; nowMs(): number; checkAvailable(): void }): SimulatedClient {
    const handlers: CommandHandlers = [
        [
            DescribeLogGroupsCommand,
            (input: { logGroupNamePrefix?: string; logGroupNamePattern?: string; limit?: number; nextToken?: string }) => {
                if (input.logGroupNamePrefix !== undefined && input.logGroupNamePattern !== undefined) {
                    throw clientError("InvalidParameterException", "logGroupNamePrefix and logGroupNamePattern are mutually exclusive.");
                }
                // ASCII-sorted by name, as the API reference says.
                const names = [...backend.groups.keys()]
                    .filter((n) => input.logGroupNamePrefix === undefined || n.startsWith(input.logGroupNamePrefix))
                    .filter((n) => input.logGroupNamePattern === undefined || n.includes(input.logGroupNamePattern))
                    .sort();
                const from = input.nextToken ? Number(input.nextToken) : 0;
                const limit = input.limit ?? 50;
                const page = names.slice(from, from + limit);
                const logGroups: LogGroup[] = page.map((name) => {
                    const g = backend.groups.get(name)!;
                    return {
                        logGroupName: name,
                        arn: `arn:aws:logs:${SIMULATED_REGION}:${SIMULATED_ACCOUNT}:log-group:${name}:*`,
                        creationTime: backend.nowMs(),
                        ...(g.retentionInDays !== undefined ? { retentionInDays: g.retentionInDays } : {}),
                        logGroupClass: (g.logGroupClass ?? "STANDARD") as LogGroup["logGroupClass"],
                        storedBytes: 0,
                        metricFilterCount: 0,
                    };
                });
                return { logGroups, ...(from + limit < names.length ? { nextToken: String(from + limit) } : {}) };
            },
        ],
    ];
    return {
        send: async (command: unknown) => {
            backend.checkAvailable();
            return dispatch(command, handlers, "CloudWatch Logs");
        },
    };
}
