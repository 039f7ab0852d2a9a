import { DescribeAlarmsCommand, GetMetricDataCommand, PutMetricDataCommand, type PutMetricDataInput } from "@aws-sdk/client-cloudwatch";
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
    /** Records custom metric data (PutMetricData): the simulated account keeps it for tests to read back. */
    putMetricData(input: PutMetricDataInput): void;
}

/** The CloudWatch API of a simulated account: GetMetricData, DescribeAlarms and PutMetricData (custom metrics). */
export function createCloudWatchClient(backend: CloudWatchBackend): SimulatedClient {
    const handlers: CommandHandlers = [
        [
            PutMetricDataCommand,
            (input: PutMetricDataInput) => {
                if (!input.Namespace || input.Namespace.startsWith("AWS/")) {
                    throw Object.assign(new Error("The value for parameter Namespace is invalid"), { name: "InvalidParameterValue" });
                }
                backend.putMetricData(input);
                return {};
            },
        ],
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
