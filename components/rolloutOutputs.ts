/**
 * The outputs contract: the one stack output, {@link ROLLOUT_OUTPUT} (`lambdaRollout`), through which the
 * rollout tool reads any program that uses these components. A program builds it with {@link rolloutOutputs}
 * and exports it under that key; `satisfies RolloutStackOutputs` lets the compiler check the export. The tool
 * reads it with {@link readRolloutOutputs}, which also still reads the flat outputs this repository's program
 * exported before the contract (the same fields at the top level), so stacks deployed before it keep working.
 *
 * Versioned: a field is only ever added within a version; renaming or removing one is a new version, and the
 * tool refuses a version it does not know rather than guess.
 */
import * as pulumi from "@pulumi/pulumi";
import type { ProgressiveFunction } from "./progressiveFunction";

/** The stack output the tool reads. */
export const ROLLOUT_OUTPUT = "lambdaRollout";

/** The contract's version this package writes and the tool reads. */
export const ROLLOUT_OUTPUTS_VERSION = 1;

/** One function's entry in the contract: what promote, rollback and status act on. */
export interface RolloutFunctionOutputs {
    /** The AWS function name. */
    readonly functionName: string;
    /** The function's ARN (unqualified). */
    readonly functionArn: string;
    /** The alias callers invoke (`live`); the tool moves its weights. */
    readonly aliasName: string;
    readonly aliasArn: string;
    /** The alias's primary version after the last `up`. */
    readonly stableVersion: string;
    /** The version the last `up` published: the one to roll out. */
    readonly candidateVersion: string;
    /** Each version's share of the alias's traffic, e.g. `{ "7": 0.9, "8": 0.1 }`. */
    readonly liveWeights: Record<string, number>;
    /** Which rule of routing decided the alias on the last `up`. */
    readonly routingSource: string;
    /** Alarm names by role; `rollback` is the composite one the gates read. */
    readonly alarmNames: Record<string, string>;
    /** The HTTP endpoint in front of the alias (API stage or function URL); added within version 1, optional. */
    readonly endpointUrl?: string;
}

/** Version 1 of the contract, as the stack exports it (all values resolved). */
export interface RolloutOutputs {
    readonly version: typeof ROLLOUT_OUTPUTS_VERSION;
    /** The stack's strategy: all-at-once, blue-green, canary or linear. */
    readonly strategy: string;
    /** The validated rollout policy (`<project>:rollout`); the tool validates it again before using it. */
    readonly rolloutPolicy: unknown;
    /** The AWS region of every function, and of the tool's clients. */
    readonly region: string;
    /** The release the last `up` shipped. */
    readonly release?: { readonly version: string; readonly commit?: string };
    /** By the function's key in the stack (the name promote's routing and the scenarios use). */
    readonly functions: Record<string, RolloutFunctionOutputs>;
    /** The stack's SNS topic (its alarms' and the tool's notifications); added within version 1, optional. */
    readonly alarmTopicArn?: string;
}

/** What a program's export must include for the tool: `export = async () => ({ ... }) satisfies RolloutStackOutputs`. */
export interface RolloutStackOutputs {
    readonly [ROLLOUT_OUTPUT]: pulumi.Input<RolloutOutputs>;
    /** The program's other outputs, untouched by the tool. */
    readonly [output: string]: unknown;
}

/** Arguments of {@link rolloutOutputs}. */
export interface RolloutOutputsArgs {
    readonly strategy: string;
    readonly rolloutPolicy: unknown;
    readonly region: string;
    readonly release?: { readonly version: string; readonly commit?: string };
    /** The stack's functions by key. */
    readonly functions: Record<string, ProgressiveFunction>;
    /** The stack's SNS topic, which `notifications.sns` publishes to. */
    readonly alarmTopicArn?: pulumi.Input<string>;
}

/** Builds the contract from the stack's components: export it as `lambdaRollout`. */
export function rolloutOutputs(args: RolloutOutputsArgs): pulumi.Output<RolloutOutputs> {
    const functions: Record<string, pulumi.Input<RolloutFunctionOutputs>> = Object.fromEntries(
        Object.entries(args.functions).map(([key, f]) => [
            key,
            pulumi.output({
                functionName: f.functionName,
                functionArn: f.functionArn,
                aliasName: f.aliasName,
                aliasArn: f.aliasArn,
                stableVersion: f.stableVersion,
                candidateVersion: f.candidateVersion,
                liveWeights: f.liveWeights,
                routingSource: f.routingSource as pulumi.Output<string>,
                alarmNames: f.alarmNames,
                endpointUrl: f.endpointUrl,
            }),
        ]),
    );
    return pulumi.all([pulumi.output(functions), pulumi.output(args.alarmTopicArn)]).apply(([resolved, alarmTopicArn]): RolloutOutputs => ({
        version: ROLLOUT_OUTPUTS_VERSION,
        strategy: args.strategy,
        rolloutPolicy: args.rolloutPolicy,
        region: args.region,
        ...(args.release ? { release: args.release } : {}),
        ...(alarmTopicArn ? { alarmTopicArn } : {}),
        // An absent endpoint is left out, not written as null: the contract's readers see only what exists.
        functions: Object.fromEntries(
            Object.entries(resolved).map(([key, f]) => {
                const { endpointUrl, ...rest } = f as RolloutFunctionOutputs;
                return [key, endpointUrl === undefined ? rest : { ...rest, endpointUrl }];
            }),
        ) as Record<string, RolloutFunctionOutputs>,
    }));
}

/** A stack's outputs that do not hold a contract the tool can read. */
export class RolloutOutputsError extends Error {
    constructor(message: string) {
        super(message);
        this.name = "RolloutOutputsError";
    }
}

const isRecord = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === "object" && !Array.isArray(v);

/**
 * The contract out of a stack's plain outputs: `lambdaRollout`, or else the flat outputs of this repository's
 * program before the contract. Undefined for a stack with no outputs at all; a RolloutOutputsError naming the
 * field for anything else the tool cannot read.
 */
export function readRolloutOutputs(outputs: Record<string, unknown>): RolloutOutputs | undefined {
    if (Object.keys(outputs).length === 0) return undefined;
    const contract = outputs[ROLLOUT_OUTPUT];
    const source = contract === undefined && isRecord(outputs.functions) ? "the stack's flat outputs" : `\`${ROLLOUT_OUTPUT}\``;
    const body = contract === undefined && isRecord(outputs.functions) ? { ...outputs, version: ROLLOUT_OUTPUTS_VERSION } : contract;
    if (!isRecord(body)) {
        throw new RolloutOutputsError(
            `the stack has no \`${ROLLOUT_OUTPUT}\` output (outputs: ${Object.keys(outputs).join(", ")}): export \`${ROLLOUT_OUTPUT}: rolloutOutputs({...})\` from the program (docs/adopting.md)`,
        );
    }
    if (body.version !== ROLLOUT_OUTPUTS_VERSION) {
        throw new RolloutOutputsError(
            `\`${ROLLOUT_OUTPUT}.version\` (got ${JSON.stringify(body.version)}): this tool reads version ${ROLLOUT_OUTPUTS_VERSION}; use the lambda-rollout release that wrote it`,
        );
    }
    if (!isRecord(body.functions)) throw new RolloutOutputsError(`${source} has no \`functions\` map`);
    if (typeof body.region !== "string") throw new RolloutOutputsError(`${source} has no \`region\``);
    if (typeof body.strategy !== "string") throw new RolloutOutputsError(`${source} has no \`strategy\``);
    return body as unknown as RolloutOutputs;
}
