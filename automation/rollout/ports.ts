/**
 * The small interfaces the rollout logic talks through. Adapters implement them for real AWS and the Pulumi
 * CLI (automation/adapters), and for the rehearsal's simulated AWS and mock engine (automation/rehearsal).
 */
import type { RolloutFunctionOutputs } from "../../components/rolloutOutputs";
import type { RoutingOverride } from "../../config/stackConfig";
import type { AliasRouting, LiveAlias, NamedAlias } from "../../domain/routing";

/** One function's entry in the stack's outputs: the contract's (components/rolloutOutputs.ts), one definition. */
export type FunctionOutputs = RolloutFunctionOutputs;

/** The stack's outputs the rollout tool reads. `rolloutPolicy` is re-validated by the tool. */
export interface StackOutputs {
    readonly strategy: string;
    readonly rolloutPolicy: unknown;
    readonly region: string;
    readonly functions: Record<string, FunctionOutputs>;
    readonly release?: { version: string; commit?: string };
    /** The stack's SNS topic, when the stack exports it (notifications publish there). */
    readonly alarmTopicArn?: string;
}

/** A past update of the stack, as `pulumi stack history` lists it. */
export interface UpdateRecord {
    readonly startTime: Date;
    readonly message: string;
    readonly result: string;
}

/** Drives the Pulumi stack: the Automation API for real stacks, the mock engine in the rehearsal. */
export interface StackDriver {
    /** The stack's current outputs; undefined when it has never been deployed. */
    outputs(): Promise<StackOutputs | undefined>;
    /**
     * One `pulumi up`, with `routing` passed for this run only (never written to a committed file).
     * Throws StackLockedError when another update holds the stack, InfrastructureError when the up fails.
     * When `signal` aborts, the update is cancelled (the Automation API interrupts the `pulumi` child, which
     * stops gracefully) and the promise rejects.
     */
    up(routing: RoutingOverride | undefined, message: string, signal?: AbortSignal): Promise<StackOutputs>;
    /** The stack's recent updates, newest first. */
    history(limit: number): Promise<UpdateRecord[]>;
}

/** A published version's settings that alias routing requires to match. */
export interface VersionFacts {
    readonly version: string;
    readonly role: string;
    readonly deadLetterTargetArn?: string;
    /** The subnets and security groups the version runs in; undefined outside a VPC. */
    readonly vpc?: { readonly subnetIds: readonly string[]; readonly securityGroupIds: readonly string[] };
}

/** What a direct invocation of a version returned. */
export interface InvokeResult {
    /** "Unhandled"/"Handled" when the function raised an error. */
    readonly functionError?: string;
    /** The decoded JSON payload (or the raw text when it is not JSON). */
    readonly payload: unknown;
}

/** The Lambda control plane, as the rollout tool uses it. */
export interface LambdaControl {
    /** The alias as it is live now (a transient 0/1 weight is re-read by the caller's logic). */
    getAlias(functionName: string, aliasName: string): Promise<LiveAlias>;
    /** A published version's role and dead-letter config. */
    getVersion(functionName: string, version: string): Promise<VersionFacts>;
    /** Published version numbers, ascending. */
    listVersions(functionName: string): Promise<string[]>;
    /** Whether the alias has provisioned concurrency (weights are then not allowed). */
    hasProvisionedConcurrency(functionName: string, aliasName: string): Promise<boolean>;
    /**
     * Invokes one version directly (the smoke test), or a function as its qualifier (or none) says (a Lambda hook);
     * `signal` aborts the call (a hook's timeout, an interrupt).
     */
    invoke(functionName: string, version: string | undefined, payload: unknown, signal?: AbortSignal): Promise<InvokeResult>;
    /**
     * Sets the alias straight through the Lambda API, in one UpdateAlias call: the routing (left as it is when
     * undefined) and the description (the rollout state; left as it is when undefined). With `revisionId`, the
     * write is conditional: it fails with AWS's PreconditionFailedException when the alias changed since that
     * revision was read (see {@link isStaleRevision}), and nothing is written.
     */
    updateAlias(
        functionName: string,
        aliasName: string,
        routing: AliasRouting | undefined,
        description?: string,
        revisionId?: string,
    ): Promise<void>;
}

/** The Lambda calls of version retention (`prune`): list what is published and routed, delete one version. */
export interface VersionControl {
    /** Published version numbers, ascending (`$LATEST` left out). */
    listVersions(functionName: string): Promise<string[]>;
    /** Every alias of the function, whatever its name. */
    listAliases(functionName: string): Promise<NamedAlias[]>;
    /** Deletes one published version (DeleteFunction with the version as Qualifier; never the function). */
    deleteVersion(functionName: string, version: string): Promise<void>;
}

/** One version's traffic through the alias over a window, from CloudWatch. */
export interface VersionEvidence {
    /** Sum of Invocations. */
    readonly invocations: number;
    /** Sum of Errors. */
    readonly errors: number;
    /** Per-minute p99 Duration (ms), one per entry of `minutes` (0 where a minute has none), oldest first. */
    readonly p99ByMinute: number[];
    /** The minutes (epoch ms) that had data, oldest first. */
    readonly minutes: number[];
    /** Invocations in each of `minutes`. */
    readonly invocationsByMinute?: number[];
    /** Errors in each of `minutes`. */
    readonly errorsByMinute?: number[];
}

/** A function's evidence for one gate evaluation. */
export interface FunctionEvidence {
    readonly candidate: VersionEvidence;
    readonly stable: VersionEvidence;
    /** Sum of Throttles through the alias. */
    readonly aliasThrottles: number;
    /** The same throttles per minute (epoch ms of the minutes that had a point), for the report's charts. */
    readonly throttlesByMinute?: { readonly minutes: number[]; readonly counts: number[] };
    /** Sum of DeadLetterErrors of the function. */
    readonly deadLetterErrors: number;
    /**
     * Why this function's evidence cannot be trusted this poll (a series missing, or answered InternalError,
     * Forbidden, or PartialData with nothing more to page): the gate then has no evidence for it, never zero
     * errors. Undefined when every series was read whole.
     */
    readonly unreadable?: string;
}

/** What the gates ask CloudWatch for, for one function. */
export interface EvidenceRequest {
    readonly key: string;
    readonly functionName: string;
    readonly aliasName: string;
    readonly stableVersion: string;
    readonly candidateVersion: string;
    /**
     * From this instant (epoch ms, a minute boundary) the alias routes all its traffic to the candidate, with no
     * split: the alias-level series `{FunctionName, Resource=<fn>:<alias>}` is then the candidate's evidence for
     * the minutes its per-version series lacks. Whether Lambda publishes the ExecutedVersion dimension for an
     * alias without weights is not documented; the 100% bake must not depend on it.
     */
    readonly wholeAliasSinceMs?: number;
}

/** CloudWatch, as the gates use it. */
export interface MetricsSource {
    /** One batched GetMetricData over [start, end) for every function and both versions. */
    evidence(requests: EvidenceRequest[], start: Date, end: Date): Promise<Record<string, FunctionEvidence>>;
    /** States of the named alarms (metric and composite). */
    alarmStates(alarmNames: string[]): Promise<Record<string, "OK" | "ALARM" | "INSUFFICIENT_DATA">>;
}

/** Time, injected so that tests and the rehearsal run an hour in milliseconds. */
export interface Clock {
    /** Epoch milliseconds. */
    now(): number;
    /** Waits `ms`; returns early, without error, when `signal` aborts (an interrupt). */
    sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

/** Who the caller is, as AWS says (STS GetCallerIdentity): what is recorded as the actor, and what `approvers` is checked against. */
export interface CallerIdentity {
    /** The caller's principal ARN, e.g. `arn:aws:sts::123456789012:assumed-role/ReleaseManagers/alice`. */
    principalArn(): Promise<string>;
}

/** Where the rollout's lines go. */
export interface RolloutLog {
    /** One decision or event, with its numbers. */
    line(text: string): void;
    /**
     * A countdown to `until` (epoch ms on the rollout's clock) for a person watching; drawn only, it never
     * changes how long anything waits. May be ignored.
     */
    countdown?(label: string, until: number): void;
}
