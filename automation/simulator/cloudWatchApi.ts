import { DescribeAlarmsCommand, GetMetricDataCommand } from "@aws-sdk/client-cloudwatch";
import type { AlarmRegistry } from "./alarmRegistry";
import { getMetricData, type MetricSource, type MetricStatusOf } from "./getMetricData";
import { dispatch, type CommandHandlers, type SimulatedClient } from "./sdkDispatch";

/** What the CloudWatch stand-in needs from the simulator. */
export interface CloudWatchBackend {
    readonly metrics: MetricSource;
    readonly alarms: AlarmRegistry;
    nowMs(): number;
    /** Throws what every call meets at the current virtual time (expired credentials, an outage). */
    checkAvailable(): void;
    /** Throws when DescribeAlarms cannot be read at the current virtual time (throttled). */
    checkAlarmsReadable(): void;
    /** The status of a metric's GetMetricData results at the current virtual time. */
    metricStatus: MetricStatusOf;
}

/** The CloudWatch API of a simulated account: GetMetricData and DescribeAlarms. */
export function createCloudWatchClient(backend: CloudWatchBackend): SimulatedClient {
    const handlers: CommandHandlers = [
        [GetMetricDataCommand, (input) => getMetricData(backend.metrics, input, backend.nowMs(), backend.metricStatus)],
        [
            DescribeAlarmsCommand,
            (input) => {
                backend.checkAlarmsReadable();
                return backend.alarms.describeAlarms(input, backend.nowMs());
            },
        ],
    ];
    return {
        send: async (command: unknown) => {
            backend.checkAvailable();
            return dispatch(command, handlers, "CloudWatch");
        },
    };
}
