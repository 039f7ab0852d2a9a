/**
 * What adopting an existing function means, decided from what was read live (pure): the stack config entry the
 * components need, the Pulumi import file's entries, what the first `up` will change, and whether the program's
 * declared resources keep every replace-forcing property of the live ones.
 *
 * The import file is `pulumi import --file`'s format: `{ nameTable?, resources: [{ type, name, id?, parent?,
 * component?, ... }] }` (pulumi/pulumi pkg/cmd/pulumi/operations/import.go, `importFile` and `importSpec`; the
 * Automation API's `ImportResource` in @pulumi/pulumi/automation/stack.d.ts). A `component: true` entry makes the
 * empty component the children are imported under, and a `parent` naming another entry in the same file needs no
 * `nameTable` (Pulumi 3.94.0: "import can now create empty component resource to use as the parent of other
 * imported resources"; "Import files no longer need parent URNs in the name table for resource being imported in
 * the same file").
 */
import type { ImportResource } from "@pulumi/pulumi/automation";
import { PROGRESSIVE_FUNCTION_TYPE, progressiveFunctionChildren, LIVE_ALIAS } from "../../components/progressiveFunction";
import { DEPRECATED_LAMBDA_RUNTIMES, LAMBDA_RUNTIMES } from "../../config/stackConfig";
import type { DeclaredResource } from "../engine/resourceTypes";
import { UsageError } from "../errors";
import type { LiveFunction } from "./readLive";

/** The resource types `adopt` imports, by role. */
export const IMPORTED_TYPES = {
    function: "aws:lambda/function:Function",
    role: "aws:iam/role:Role",
    logGroup: "aws:cloudwatch/logGroup:LogGroup",
    alias: "aws:lambda/alias:Alias",
} as const;

/**
 * The properties whose change replaces a resource (ForceNew in terraform-provider-aws, which @pulumi/aws bridges:
 * internal/service/lambda/function.go `function_name`, `package_type`; iam/role.go `name`, `path`; logs/group.go
 * `name`, `log_group_class`; lambda/alias.go `function_name`, `name`), with the live value and the value AWS
 * takes when the program leaves it out.
 */
export const REPLACE_FORCING: Readonly<
    Record<
        keyof typeof IMPORTED_TYPES,
        readonly { readonly property: string; readonly live: (f: LiveFunction) => string; readonly unset?: string }[]
    >
> = {
    function: [
        { property: "name", live: (f) => f.name },
        { property: "packageType", live: (f) => f.packageType, unset: "Zip" },
    ],
    role: [
        { property: "name", live: (f) => f.role.name },
        { property: "path", live: (f) => f.role.path, unset: "/" },
    ],
    logGroup: [
        { property: "name", live: (f) => f.logGroup.name },
        { property: "logGroupClass", live: (f) => f.logGroup.logGroupClass ?? "STANDARD", unset: "STANDARD" },
    ],
    alias: [
        { property: "functionName", live: (f) => f.name },
        { property: "name", live: () => LIVE_ALIAS },
    ],
};

/** The retention periods the config accepts (CloudWatch Logs' own, but "never"). */
const RETENTIONS = [1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365];

/** One function to adopt: where it is live, and its key in the stack. */
export interface Adoption {
    readonly key: string;
    readonly live: LiveFunction;
    /** The `<project>:functions[]` entry. */
    readonly entry: Record<string, unknown>;
    /** What `pulumi import --file` imports, under the component named `key`. */
    readonly imports: ImportResource[];
    /** What the first `up` changes or leaves alone, for a person. */
    readonly notes: string[];
}

/**
 * A stack key for a function name: lower-case letters, digits and `-`, starting with a letter, at most 30
 * (`functions[].name`). A SAM name such as `shop-OrdersApiFunction-AbC123` becomes `shop-ordersapifunction-abc123`;
 * `NAME=key` on the command line chooses another.
 */
export function keyFor(functionName: string): string {
    const key = functionName
        .toLowerCase()
        .replace(/[^a-z0-9-]+/g, "-")
        .replace(/^[^a-z]+/, "")
        .slice(0, 30)
        .replace(/-+$/, "");
    if (!/^[a-z][a-z0-9-]{0,29}$/.test(key)) {
        throw new UsageError(`\`FUNCTION\` ${functionName}: no stack key can be made of its name; write it as ${functionName}=<key>`);
    }
    return key;
}

/** Decides the adoption of one live function under `key`, its code in `codeDir` (relative to the project). */
export function adoptionOf(live: LiveFunction, key: string, codeDir: string): Adoption {
    if (live.packageType !== "Zip") {
        throw new UsageError(
            `\`FUNCTION\` ${live.name}: its package type is ${live.packageType}; ProgressiveFunction deploys a .zip, so adopting it would replace the function`,
        );
    }
    const notes: string[] = [];
    let runtime = live.runtime;
    if (runtime && !(LAMBDA_RUNTIMES as readonly string[]).includes(runtime)) {
        const use = DEPRECATED_LAMBDA_RUNTIMES[runtime]?.use;
        if (!use) throw new UsageError(`\`FUNCTION\` ${live.name}: runtime ${runtime} is not one the stack config accepts`);
        notes.push(
            `runtime ${runtime} is deprecated: written as ${use}, which the first \`up\` moves the function to (an update, not a replacement)`,
        );
        runtime = use;
    }
    const retention = live.logGroup.retentionInDays;
    const logRetentionDays = retention !== undefined && RETENTIONS.includes(retention) ? retention : 14;
    if (live.logGroup.exists && retention !== logRetentionDays)
        notes.push(
            `log group ${live.logGroup.name} keeps events ${retention === undefined ? "forever" : `${retention} days`}: written as 14 days (change logRetentionDays to keep another period)`,
        );
    const defaultLogGroup = `/aws/lambda/${live.name}`;
    const entry: Record<string, unknown> = {
        name: key,
        functionName: live.name,
        codeDir,
        ...(live.handler ? { handler: live.handler } : {}),
        ...(runtime ? { runtime } : {}),
        ...(live.memorySize ? { memoryMb: live.memorySize } : {}),
        ...(live.timeout ? { timeout: `${live.timeout}s` } : {}),
        ...(Object.keys(live.environment).length > 0 ? { environment: live.environment } : {}),
        ...(live.deadLetterTargetArn ? { deadLetterQueue: live.deadLetterTargetArn } : {}),
        logRetentionDays,
        roleName: live.role.name,
        ...(live.role.path !== "/" ? { rolePath: live.role.path } : {}),
        ...(live.logGroup.name !== defaultLogGroup ? { logGroupName: live.logGroup.name } : {}),
    };
    const children = progressiveFunctionChildren(key);
    const imports: ImportResource[] = [
        { type: PROGRESSIVE_FUNCTION_TYPE, name: key, component: true },
        { type: IMPORTED_TYPES.function, name: children.function, id: live.name, parent: key },
        { type: IMPORTED_TYPES.role, name: children.role, id: live.role.name, parent: key },
    ];
    if (live.logGroup.exists) imports.push({ type: IMPORTED_TYPES.logGroup, name: children.logGroup, id: live.logGroup.name, parent: key });
    else notes.push(`log group ${live.logGroup.name} does not exist yet (no invocation so far): the first \`up\` creates it`);
    const alias = live.aliases.find((a) => a.name === LIVE_ALIAS);
    // terraform-provider-aws's alias import id: FUNCTION_NAME/ALIAS (lambda/alias.go, aliasImportID).
    if (alias) imports.push({ type: IMPORTED_TYPES.alias, name: children.alias, id: `${live.name}/${LIVE_ALIAS}`, parent: key });
    else
        notes.push(
            `no \`${LIVE_ALIAS}\` alias: the first \`up\` creates it on the version it publishes; callers of the function itself (\`$LATEST\`) must move to the alias ARN before rollouts move their traffic`,
        );
    const others = live.aliases.filter((a) => a.name !== LIVE_ALIAS).map((a) => `${a.name} (v${a.version})`);
    if (others.length > 0) notes.push(`other aliases are left as they are, not managed: ${others.join(", ")}`);
    if (live.alarms.length > 0)
        notes.push(
            `alarms named after the function exist (${live.alarms.join(", ")}): one the component also declares is overwritten by the first \`up\` (PutMetricAlarm replaces an alarm of the same name); the others are left as they are`,
        );
    if (live.inVpc) notes.push("the function runs in a VPC: set the stack's `vpc` to keep it there, or the first `up` takes it out");
    notes.push(
        `the first \`up\` publishes a new version (publish: true), adds the component's tags and RELEASE variable, sets the log group in LoggingConfig, and gives the role the component's own policy (role ${live.role.name}'s other policies stay attached)`,
    );
    return { key, live, entry, imports, notes };
}

/** The import file for some adoptions: `pulumi import --file <it>`. */
export function importFile(adoptions: readonly Adoption[]): { resources: ImportResource[] } {
    return { resources: adoptions.flatMap((a) => a.imports) };
}

/** One property of an imported resource compared with what the program declares. */
export interface PropertyCheck {
    readonly resource: string;
    readonly type: string;
    readonly property: string;
    readonly live: string;
    /** What the program declares; undefined when it declares no such resource. */
    readonly program: string | undefined;
    readonly same: boolean;
}

/**
 * Compares the replace-forcing properties of every imported resource with what the program declares under the
 * same type and name (`declared`: the mock engine's record of the program): a difference is a replacement on the
 * first `up`, and so is an imported resource the program does not declare at all (it would be deleted).
 */
export function replaceChecks(adoption: Adoption, declared: readonly DeclaredResource[]): PropertyCheck[] {
    const checks: PropertyCheck[] = [];
    for (const imp of adoption.imports) {
        if (imp.component) continue;
        const role = (Object.keys(IMPORTED_TYPES) as (keyof typeof IMPORTED_TYPES)[]).find((r) => IMPORTED_TYPES[r] === imp.type)!;
        const resource = declared.find((r) => r.type === imp.type && r.name === imp.name);
        for (const rule of REPLACE_FORCING[role]) {
            const live = rule.live(adoption.live);
            const value = resource?.inputs[rule.property] ?? rule.unset;
            const program = resource === undefined ? undefined : value === undefined ? undefined : String(value);
            checks.push({ resource: imp.name, type: imp.type, property: rule.property, live, program, same: program === live });
        }
    }
    return checks;
}

/** A check as one line for a person. */
export function describeCheck(c: PropertyCheck): string {
    if (c.program === undefined)
        return `REPLACE ${c.resource} (${c.type}): the program declares no such resource or no ${c.property}; live ${JSON.stringify(c.live)}`;
    return c.same
        ? `  ${c.resource}.${c.property} = ${JSON.stringify(c.live)} (as live)`
        : `REPLACE ${c.resource} (${c.type}): ${c.property} is ${JSON.stringify(c.program)} in the program, ${JSON.stringify(c.live)} live`;
}
