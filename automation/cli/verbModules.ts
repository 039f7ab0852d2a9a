/**
 * The modules the verbs run on, each loaded by the action that needs it when that action runs. The entry point
 * (automation/cli.ts) and the verbs' modules (automation/cli/*Verbs.ts, promoteVerb.ts) import at start-up only
 * commander, the conventions, the options and the error table, so `--version`, `--help` and a usage error answer
 * without loading Pulumi, the AWS SDK or the simulator (about 1 s of CPU before any verb ran). Loaded with `require`,
 * as the compiled static imports are: the same resolution and module instances, only later.
 */
/* eslint-disable @typescript-eslint/no-require-imports */
export const verbModules = {
    realWorld: (): typeof import("../wiring/real") => require("../wiring/real"),
    wiring: (): typeof import("../wiring") => require("../wiring"),
    run: (): typeof import("../wiring/run") => require("../wiring/run"),
    evaluate: (): typeof import("../engine/evaluate") => require("../engine/evaluate"),
    describePlan: (): typeof import("../engine/describePlan") => require("../engine/describePlan"),
    planPower: (): typeof import("./planPower") => require("./planPower"),
    matrix: (): typeof import("../rehearsal/matrix") => require("../rehearsal/matrix"),
    rehearse: (): typeof import("../rehearsal/rehearse") => require("../rehearsal/rehearse"),
    scenario: (): typeof import("../rehearsal/scenario") => require("../rehearsal/scenario"),
    promote: (): typeof import("../rollout/promote") => require("../rollout/promote"),
    operator: (): typeof import("../rollout/operator") => require("../rollout/operator"),
    rollback: (): typeof import("../rollout/rollback") => require("../rollout/rollback"),
    prune: (): typeof import("../rollout/prune") => require("../rollout/prune"),
    status: (): typeof import("../rollout/status") => require("../rollout/status"),
    waves: (): typeof import("./waves") => require("./waves"),
    output: (): typeof import("./output") => require("./output"),
    upSummary: (): typeof import("./upSummary") => require("./upSummary"),
    reportCommand: (): typeof import("./reportCommand") => require("./reportCommand"),
    adopt: (): typeof import("../adopt/command") => require("../adopt/command"),
    iam: (): typeof import("../iam/command") => require("../iam/command"),
    sandbox: (): typeof import("../sandbox/command") => require("../sandbox/command"),
} as const;
