/** The rehearsal's simulated AWS: see simulatedAws.ts for the entry point. */
export { SimulatedAws, type SimulatedAwsOptions, type RequestCounts, type VersionRequestCounts, type InvokeHandler } from './simulatedAws.js';
export type { MetricStatusCode, MetricStatusFault } from './injectedFaults.js';
export { profileAt, DEFAULT_PROFILE, type VersionProfile, type TimedProfile, type ProfileSchedule } from './profiles.js';
export type { MetricAlarmDef, AlarmState } from './alarms.js';
export { SIMULATED_ACCOUNT, SIMULATED_REGION, type SimulatedAwsError } from './errors.js';
export { functionArn } from './lambdaControlPlane.js';
export type { SimulatedClient } from './sdkDispatch.js';
export { createRandom, type Random } from './random.js';
