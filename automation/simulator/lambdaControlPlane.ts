import { clientError, SIMULATED_ACCOUNT, SIMULATED_REGION } from "./errors";

/**
 * The rest of a function's configuration as GetFunctionConfiguration shows it: what a console or SAM user set.
 * Optional: a function `pulumi up` made in a rehearsal carries only what the rollout reads.
 */
export interface FunctionDetails {
    readonly runtime?: string;
    readonly handler?: string;
    readonly memorySize?: number;
    readonly environment?: Record<string, string>;
    /** LoggingConfig.LogGroup: `/aws/lambda/<name>` unless the function names another. */
    readonly logGroup?: string;
    readonly architectures?: readonly string[];
    /** `Zip` (default) or `Image`. */
    readonly packageType?: string;
}

/** What Lambda snapshots when it publishes a version (and what $LATEST holds now). */
export interface VersionConfig {
    readonly details?: FunctionDetails;
    readonly version: string;
    readonly role: string;
    readonly deadLetterTargetArn?: string;
    readonly vpc?: { readonly subnetIds: string[]; readonly securityGroupIds: string[] };
    readonly description: string;
    readonly timeoutSeconds: number;
    readonly revisionId: string;
}

/** The function as `pulumi up` leaves it; `putFunction` creates or updates $LATEST. */
export interface FunctionSpec {
    name: string;
    role: string;
    deadLetterTargetArn?: string;
    /** The function's VpcConfig: a published version keeps the one of its moment, as Lambda does. */
    vpc?: { subnetIds: string[]; securityGroupIds: string[] };
    timeoutSeconds: number;
    description?: string;
    details?: FunctionDetails;
}

/** An alias as stored; see {@link LambdaControlPlane.aliasView} for what GetAlias shows. */
export interface AliasState {
    readonly name: string;
    readonly functionVersion: string;
    /** Additional version -> weight; empty when the alias does not split traffic. */
    readonly weights: Readonly<Record<string, number>>;
    readonly description: string;
    readonly revisionId: string;
    /** Set after a version change without routing: the old version AWS briefly reports with weight 1. */
    readonly transient?: { readonly fromVersion: string; readonly untilMs: number };
}

/** Where an alias sends traffic right now. */
export interface AliasTraffic {
    readonly primaryVersion: string;
    readonly additional?: { readonly version: string; readonly weight: number };
}

interface FunctionState {
    latest: VersionConfig;
    readonly versions: Map<string, VersionConfig>;
    readonly aliases: Map<string, AliasState>;
    /** qualifier (alias or version) -> provisioned concurrency */
    readonly provisioned: Map<string, { requested: number; lastModifiedMs: number }>;
    nextVersion: number;
}

/** The ARN of a function, optionally qualified, in the simulated account. */
export function functionArn(functionName: string, qualifier?: string): string {
    const base = `arn:aws:lambda:${SIMULATED_REGION}:${SIMULATED_ACCOUNT}:function:${functionName}`;
    return qualifier === undefined ? base : `${base}:${qualifier}`;
}

/**
 * Splits what Lambda accepts as FunctionName (a name, `name:qualifier`, a full or partial ARN) into the
 * function's name and the qualifier it carries, if any.
 */
export function parseFunctionName(functionName: string): { name: string; qualifier?: string } {
    const arn = /^arn:aws[a-zA-Z-]*:lambda:[a-z0-9-]+:\d{12}:function:([^:]+)(?::(.+))?$/.exec(functionName);
    if (arn) return { name: arn[1], qualifier: arn[2] };
    const partial = /^(?:\d{12}:function:)?([^:]+)(?::(.+))?$/.exec(functionName);
    if (partial) return { name: partial[1], qualifier: partial[2] };
    throw clientError("InvalidParameterValueException", `FunctionName '${functionName}' is not a function name or ARN.`);
}

const notFound = (message: string) => clientError("ResourceNotFoundException", message, 404);
const invalidValue = (message: string) => clientError("InvalidParameterValueException", message);
/**
 * A request outside the API's own constraints is ValidationException in AWS, not InvalidParameterValueException:
 * AliasRoutingConfiguration's AdditionalVersionWeights has "Key Pattern: [0-9]+" (so no `$LATEST`) and "Valid
 * Range: Minimum value of 0.0. Maximum value of 1.0." (https://docs.aws.amazon.com/lambda/latest/api/API_AliasRoutingConfiguration.html).
 */
const constraintViolation = (message: string) => clientError("ValidationException", message);

/**
 * Lambda's functions, versions, aliases and provisioned concurrency, with the alias routing rules AWS
 * enforces. Every write goes through the same validation, whether it comes from the Pulumi mock engine
 * (`putAlias`) or from the rollout tool (UpdateAlias), so a rehearsal fails where AWS would.
 */
export class LambdaControlPlane {
    private readonly functions = new Map<string, FunctionState>();
    private revisions = 0;

    /**
     * @param nowMs the virtual clock
     * @param transientRoutingMs how long GetAlias shows the old version with weight 1 after a version change
     */
    constructor(
        private readonly nowMs: () => number,
        private readonly transientRoutingMs: number,
    ) {}

    /** Creates a function, or updates its $LATEST configuration. */
    putFunction(spec: FunctionSpec): void {
        if (!spec.name) throw invalidValue("putFunction: `name` is required.");
        if (!(spec.timeoutSeconds > 0)) throw invalidValue(`putFunction: \`timeoutSeconds\` must be positive, got ${spec.timeoutSeconds}.`);
        const latest: VersionConfig = {
            version: "$LATEST",
            role: spec.role,
            deadLetterTargetArn: spec.deadLetterTargetArn,
            ...(spec.vpc ? { vpc: spec.vpc } : {}),
            description: spec.description ?? "",
            ...(spec.details ? { details: spec.details } : {}),
            timeoutSeconds: spec.timeoutSeconds,
            revisionId: this.nextRevision(),
        };
        const existing = this.functions.get(spec.name);
        if (existing) existing.latest = latest;
        else this.functions.set(spec.name, { latest, versions: new Map(), aliases: new Map(), provisioned: new Map(), nextVersion: 1 });
    }

    /** Publishes $LATEST as the next version number; the version keeps the role, DLQ and description of the moment. */
    publishVersion(functionName: string): string {
        const fn = this.function(functionName);
        const version = String(fn.nextVersion++);
        fn.versions.set(version, { ...fn.latest, version, revisionId: this.nextRevision() });
        return version;
    }

    /**
     * DeleteFunction with a version as its Qualifier. As the API reference says ("You can't delete a version that an
     * alias references", https://docs.aws.amazon.com/lambda/latest/api/API_DeleteFunction.html), a version any alias
     * routes to (primary or weighted) is refused, with ResourceConflictException (409), the conflict error the
     * reference lists for the call; `$LATEST` or an alias name as the qualifier is an InvalidParameterValueException.
     */
    deleteVersion(functionName: string, version: string): void {
        const fn = this.function(functionName);
        if (!/^\d+$/.test(version)) {
            throw invalidValue(
                `Qualifier ${version} of DeleteFunction must be a published version number: $LATEST is deleted only with the whole function, and an alias with DeleteAlias.`,
            );
        }
        if (!fn.versions.has(version)) throw notFound(`Function not found: ${functionArn(functionName, version)}`);
        const referencing = [...fn.aliases.values()]
            .filter((a) => a.functionVersion === version || Object.hasOwn(a.weights, version))
            .map((a) => a.name);
        if (referencing.length > 0) {
            throw clientError(
                "ResourceConflictException",
                `Unable to delete version ${version} of ${functionName} because the following aliases reference it: [${referencing.join(", ")}]`,
                409,
            );
        }
        fn.versions.delete(version);
        fn.provisioned.delete(version);
    }

    /** Whether the function exists. */
    hasFunction(functionName: string): boolean {
        return this.functions.has(functionName);
    }

    /** The names of all functions. */
    functionNames(): string[] {
        return [...this.functions.keys()];
    }

    /** A version's configuration ("$LATEST" included); ResourceNotFoundException when there is none. */
    version(functionName: string, version: string): VersionConfig {
        const fn = this.function(functionName);
        if (version === "$LATEST") return fn.latest;
        const config = fn.versions.get(version);
        if (!config) throw notFound(`Function not found: ${functionArn(functionName, version)}`);
        return config;
    }

    /** Published versions in ascending order. */
    publishedVersions(functionName: string): VersionConfig[] {
        return [...this.function(functionName).versions.values()].sort((a, b) => Number(a.version) - Number(b.version));
    }

    /** The stored alias; ResourceNotFoundException when the function or alias does not exist. */
    alias(functionName: string, aliasName: string): AliasState {
        const alias = this.function(functionName).aliases.get(aliasName);
        if (!alias) throw notFound(`Alias not found: ${functionArn(functionName, aliasName)}`);
        return alias;
    }

    /** Whether `qualifier` names an alias of the function. */
    isAlias(functionName: string, qualifier: string): boolean {
        return this.function(functionName).aliases.has(qualifier);
    }

    /** The aliases of a function. */
    aliases(functionName: string): AliasState[] {
        return [...this.function(functionName).aliases.values()];
    }

    /**
     * The weights GetAlias reports: the stored ones, or, for `transientRoutingMs` after a version change
     * without routing, the `{"<old version>": 1}` AWS shows mid-transition (terraform-provider-aws PR #48116).
     */
    aliasView(functionName: string, aliasName: string): { alias: AliasState; weights: Readonly<Record<string, number>> } {
        const alias = this.alias(functionName, aliasName);
        if (alias.transient && this.nowMs() < alias.transient.untilMs) return { alias, weights: { [alias.transient.fromVersion]: 1 } };
        return { alias, weights: alias.weights };
    }

    /** Where the alias sends traffic now, or undefined when the function or alias does not exist yet. */
    routing(functionName: string, aliasName: string): AliasTraffic | undefined {
        const fn = this.functions.get(functionName);
        const alias = fn?.aliases.get(aliasName);
        if (!alias) return undefined;
        // On an alias with provisioned concurrency the old version keeps the traffic while the new one's
        // concurrency is provisioned: the `{old: 1}` GetAlias shows then is real routing, not a reading artefact.
        if (alias.transient && this.nowMs() < alias.transient.untilMs && fn!.provisioned.has(aliasName))
            return { primaryVersion: alias.transient.fromVersion };
        const [entry] = Object.entries(alias.weights);
        return entry
            ? { primaryVersion: alias.functionVersion, additional: { version: entry[0], weight: entry[1] } }
            : { primaryVersion: alias.functionVersion };
    }

    /** CreateAlias: ResourceConflictException if the alias exists. */
    createAlias(
        functionName: string,
        aliasName: string,
        functionVersion: string,
        weights: Record<string, number> = {},
        description = "",
    ): AliasState {
        const fn = this.function(functionName);
        if (fn.aliases.has(aliasName))
            throw clientError("ResourceConflictException", `Alias already exists: ${functionArn(functionName, aliasName)}`, 409);
        return this.writeAlias(functionName, aliasName, functionVersion, weights, description, undefined);
    }

    /**
     * UpdateAlias: omitted fields keep their value (an empty AdditionalVersionWeights clears the routing);
     * a RevisionId that is not the alias's current one is a PreconditionFailedException.
     */
    updateAlias(
        functionName: string,
        aliasName: string,
        changes: { functionVersion?: string; weights?: Record<string, number>; description?: string; revisionId?: string },
    ): AliasState {
        const current = this.alias(functionName, aliasName);
        if (changes.revisionId !== undefined && changes.revisionId !== current.revisionId) {
            throw clientError(
                "PreconditionFailedException",
                `The RevisionId provided does not match the latest RevisionId for the alias ${functionArn(functionName, aliasName)}. Call GetAlias to retrieve the latest RevisionId.`,
                412,
            );
        }
        return this.writeAlias(
            functionName,
            aliasName,
            changes.functionVersion ?? current.functionVersion,
            changes.weights ?? current.weights,
            changes.description ?? current.description,
            current,
        );
    }

    /** Creates or updates an alias as `pulumi up` would (UpdateAlias validation, full replacement of routing). */
    putAlias(
        functionName: string,
        aliasName: string,
        functionVersion: string,
        weights: Record<string, number> = {},
        description?: string,
    ): AliasState {
        const current = this.function(functionName).aliases.get(aliasName);
        return this.writeAlias(functionName, aliasName, functionVersion, weights, description ?? current?.description ?? "", current);
    }

    /** PutProvisionedConcurrencyConfig; refused on an alias with routing weights, as AWS does. */
    setProvisionedConcurrency(functionName: string, qualifier: string, requested: number): void {
        const fn = this.function(functionName);
        if (!Number.isInteger(requested) || requested < 1) {
            throw invalidValue(`ProvisionedConcurrentExecutions must be a positive integer, got ${requested}.`);
        }
        const alias = fn.aliases.get(qualifier);
        if (alias) {
            if (Object.keys(alias.weights).length > 0) {
                throw invalidValue(
                    `Provisioned concurrency cannot be configured on alias ${functionArn(functionName, qualifier)}: it has routing weights (an alias with weights cannot use provisioned concurrency).`,
                );
            }
        } else if (qualifier === "$LATEST") {
            throw invalidValue("Provisioned concurrency cannot be configured on $LATEST: use a published version or an alias.");
        } else {
            this.version(functionName, qualifier);
        }
        fn.provisioned.set(qualifier, { requested, lastModifiedMs: this.nowMs() });
    }

    /** The provisioned concurrency of a qualifier; ProvisionedConcurrencyConfigNotFoundException when none. */
    provisionedConcurrency(functionName: string, qualifier: string): { requested: number; lastModifiedMs: number } {
        const config = this.function(functionName).provisioned.get(qualifier);
        if (!config)
            throw clientError(
                "ProvisionedConcurrencyConfigNotFoundException",
                `No Provisioned Concurrency Config found for this function: ${functionArn(functionName, qualifier)}`,
                404,
            );
        return config;
    }

    private function(functionName: string): FunctionState {
        const fn = this.functions.get(functionName);
        if (!fn) throw notFound(`Function not found: ${functionArn(functionName)}`);
        return fn;
    }

    private writeAlias(
        functionName: string,
        aliasName: string,
        functionVersion: string,
        weights: Readonly<Record<string, number>>,
        description: string,
        previous: AliasState | undefined,
    ): AliasState {
        this.validateRouting(functionName, aliasName, functionVersion, weights);
        const fn = this.function(functionName);
        const versionChanged = previous !== undefined && previous.functionVersion !== functionVersion;
        const transient =
            versionChanged && Object.keys(weights).length === 0 && this.transientRoutingMs > 0
                ? { fromVersion: previous.functionVersion, untilMs: this.nowMs() + this.transientRoutingMs }
                : undefined;
        const alias: AliasState = {
            name: aliasName,
            functionVersion,
            weights: { ...weights },
            description,
            revisionId: this.nextRevision(),
            transient,
        };
        fn.aliases.set(aliasName, alias);
        return alias;
    }

    /** The alias routing rules of AWS, each failure saying what is wrong and what would be valid. */
    private validateRouting(
        functionName: string,
        aliasName: string,
        primaryVersion: string,
        weights: Readonly<Record<string, number>>,
    ): void {
        this.function(functionName);
        const entries = Object.entries(weights);
        if (primaryVersion !== "$LATEST") this.version(functionName, primaryVersion);
        if (entries.length === 0) return;
        if (primaryVersion === "$LATEST") {
            throw invalidValue(
                `Alias ${aliasName} of ${functionName}: an alias with routing weights must point to a published version, not $LATEST.`,
            );
        }
        if (entries.length > 1) {
            throw invalidValue(
                `Alias ${aliasName} of ${functionName}: AdditionalVersionWeights may name at most one version, got ${entries.length} (${entries.map(([v]) => v).join(", ")}).`,
            );
        }
        const [additionalVersion, weight] = entries[0];
        if (additionalVersion === "$LATEST") {
            throw constraintViolation(
                `Alias ${aliasName} of ${functionName}: $LATEST cannot be an additional version; publish it and route to the version number.`,
            );
        }
        if (typeof weight !== "number" || !(weight >= 0 && weight <= 1)) {
            throw constraintViolation(
                `1 validation error detected: Value at 'routingConfig.additionalVersionWeights' failed to satisfy constraint: the weight of version ${additionalVersion} must be between 0.0 and 1.0, got ${weight}.`,
            );
        }
        const primary = this.version(functionName, primaryVersion);
        const additional = this.version(functionName, additionalVersion);
        if (additionalVersion === primaryVersion) {
            throw invalidValue(
                `Alias ${aliasName} of ${functionName}: the additional version ${additionalVersion} must differ from the primary version ${primaryVersion}.`,
            );
        }
        if (additional.role !== primary.role) {
            throw invalidValue(
                `Alias ${aliasName} of ${functionName}: versions ${primaryVersion} and ${additionalVersion} have different execution roles (${primary.role} vs ${additional.role}); weighted routing needs the same role (use blue-green for a role change).`,
            );
        }
        if ((additional.deadLetterTargetArn ?? "") !== (primary.deadLetterTargetArn ?? "")) {
            throw invalidValue(
                `Alias ${aliasName} of ${functionName}: versions ${primaryVersion} and ${additionalVersion} have different dead-letter configs (${primary.deadLetterTargetArn ?? "none"} vs ${additional.deadLetterTargetArn ?? "none"}); weighted routing needs the same dead-letter config.`,
            );
        }
        // An alias with provisioned concurrency may take a routing configuration: Lambda then divides the alias's
        // provisioned concurrency between the versions ("When a weighted alias is used during linear and canary
        // deployments, this value fluctuates depending on the amount of concurrency that is provisioned for the
        // function versions", https://docs.aws.amazon.com/lambda/latest/api/API_PutProvisionedConcurrencyConfig.html).
        // What AWS refuses is the other order, PutProvisionedConcurrencyConfig on a weighted alias (setProvisionedConcurrency).
    }

    private nextRevision(): string {
        // Deterministic (same seed, same run) but shaped like the UUIDs Lambda returns.
        const n = (++this.revisions).toString(16).padStart(12, "0");
        return `00000000-0000-4000-8000-${n}`;
    }
}
