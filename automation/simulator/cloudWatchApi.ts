import { DescribeAlarmsCommand, GetMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import type { AlarmRegistry } from './alarmRegistry.js';
import { getMetricData, type MetricSource } from './getMetricData.js';
import { dispatch, type CommandHandlers, type SimulatedClient } from './sdkDispatch.js';

/** What the CloudWatch stand-in needs from the simulator. */
export interface CloudWatchBackend {
  readonly metrics: MetricSource;
  readonly alarms: AlarmRegistry;
  nowMs(): number;
  /** Throws the outage's error when CloudWatch is down at the current virtual time. */
  checkAvailable(): void;
}

/** The CloudWatch API of a simulated account: GetMetricData and DescribeAlarms. */
export function createCloudWatchClient(backend: CloudWatchBackend): SimulatedClient {
  const handlers: CommandHandlers = [
    [GetMetricDataCommand, (input) => getMetricData(backend.metrics, input, backend.nowMs())],
    [DescribeAlarmsCommand, (input) => backend.alarms.describeAlarms(input, backend.nowMs())],
  ];
  return {
    send: async (command: unknown) => {
      backend.checkAvailable();
      return dispatch(command, handlers, 'CloudWatch');
    },
  };
}
