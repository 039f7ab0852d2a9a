/**
 * The rehearsal's simulated AWS: see simulatedAws.ts for the entry point (its users and their traffic in
 * userTraffic.ts, direct Invokes in directInvoke.ts).
 */
export {
    SimulatedAws,
    type CustomDatum,
    type SimulatedAwsOptions,
    type RequestCounts,
    type VersionRequestCounts,
    type InvokeHandler,
} from "./simulatedAws";
export type { MetricStatusCode, MetricStatusFault } from "./injectedFaults";
export { profileAt, DEFAULT_PROFILE, type VersionProfile, type TimedProfile, type ProfileSchedule } from "./profiles";
export type { MetricAlarmDef, AlarmState } from "./alarms";
export { SIMULATED_ACCOUNT, SIMULATED_REGION, type SimulatedAwsError } from "./errors";
export { functionArn } from "./lambdaControlPlane";
export type { SimulatedClient } from "./sdkDispatch";
export { createRandom, type Random } from "./random";
export type { SnsPublish } from "./snsApi";
