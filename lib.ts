/**
 * The lambda-rollout library: what a team's own Pulumi program imports (`import { ProgressiveFunction,
 * rolloutOutputs } from "lambda-rollout"`). The components, the routing rule they follow, the outputs contract
 * the rollout tool reads, and the stack-config schema for programs that keep their functions in config.
 * See docs/adopting.md.
 */
export * from "./components";
export * from "./config";
