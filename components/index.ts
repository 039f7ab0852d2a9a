/** The component resources of lambda-rollout and the pure decisions they rest on. */
export * from "./alarmTopic";
export * from "./deploymentAlarms";
export * from "./deploymentMetrics";
export * from "./liveAlias";
export * from "./metricDimensions";
export * from "./progressiveFunction";
export * from "./rollbackAlarms";
export * from "./rolloutDashboard";
export * from "../domain/routing";
export * from "./rolloutOutputs";
export * from "./awsClientSettings";
