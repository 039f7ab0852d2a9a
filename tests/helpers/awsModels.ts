/**
 * AWS's own API models, read to check the requests this project sends: botocore's `service-2.json` for Lambda
 * and CloudWatch, as Debian's `awscli` package ships them (the AWS CLI's copy of botocore). The simulator and
 * the adapters are written by the same hands; these models are not, so a request the simulator answers but AWS
 * would refuse (an unknown member, a missing required one, a value outside an enum, a pattern, a length or a
 * range) is caught here, named by operation and field path.
 *
 * Test tooling only: nothing in the shipped tool imports it. Run directly (`npx tsx tests/helpers/awsModels.ts`)
 * it prints where the models are, or exits 1 saying where it looked: `.ci/run` installs awscli on that answer.
 */
import * as fs from "fs";
import * as path from "path";
import { gunzipSync } from "zlib";

/** The services the tool calls, by the SDK's service name, with botocore's directory and the API version the SDK speaks. */
export const MODELLED_SERVICES = {
    Lambda: "lambda/2015-03-31",
    CloudWatch: "cloudwatch/2010-08-01",
    SNS: "sns/2010-03-31",
} as const;

/** A service the tool calls: `Lambda`, `CloudWatch` or `SNS` (the rollout notifications). */
export type ModelledService = keyof typeof MODELLED_SERVICES;

/**
 * botocore `data` directories, in the order they are tried after `AWS_MODELS_DIR`: Debian's `awscli` (AWS CLI v2
 * vendors botocore), then Debian's `python3-botocore`.
 */
export const MODEL_DIRS = ["/usr/lib/python3/dist-packages/awscli/botocore/data", "/usr/lib/python3/dist-packages/botocore/data"];

/** A botocore shape: the subset of the model's fields a request is checked against. */
interface Shape {
    readonly type: string;
    readonly members?: Record<string, { readonly shape: string; readonly documentation?: string }>;
    readonly required?: readonly string[];
    readonly member?: { readonly shape: string };
    readonly key?: { readonly shape: string };
    readonly value?: { readonly shape: string };
    readonly enum?: readonly string[];
    readonly pattern?: string;
    readonly min?: number;
    readonly max?: number;
}

/** A botocore service model (service-2.json). */
export interface ServiceModel {
    readonly metadata: { readonly serviceId: string; readonly apiVersion: string };
    readonly operations: Record<string, { readonly input?: { readonly shape: string } }>;
    readonly shapes: Record<string, Shape>;
}

/** The models of the services the tool calls, and the file each came from. */
export interface AwsModels {
    readonly models: Record<ModelledService, ServiceModel>;
    readonly files: Record<ModelledService, string>;
}

/** The service-2.json (or .json.gz) of `service` under a botocore data directory, if there. */
function modelFile(dataDir: string, service: ModelledService): string | undefined {
    const base = path.join(dataDir, MODELLED_SERVICES[service], "service-2.json");
    return [base, `${base}.gz`].find((f) => fs.existsSync(f));
}

/**
 * Where the models are: `AWS_MODELS_DIR` (a botocore `data` directory) when set, else the first of
 * {@link MODEL_DIRS} holding every modelled service. Throws saying where it looked and how to install them.
 */
export function locateAwsModels(env: NodeJS.ProcessEnv = process.env): Record<ModelledService, string> {
    const dirs = env.AWS_MODELS_DIR ? [env.AWS_MODELS_DIR] : MODEL_DIRS;
    const services = Object.keys(MODELLED_SERVICES) as ModelledService[];
    for (const dir of dirs) {
        const files = services.map((s) => modelFile(dir, s));
        if (files.every((f) => f !== undefined))
            return Object.fromEntries(services.map((s, i) => [s, files[i]!])) as Record<ModelledService, string>;
    }
    const wanted = Object.values(MODELLED_SERVICES)
        .map((d) => `${d}/service-2.json[.gz]`)
        .join(" and ");
    throw new Error(
        `AWS's API models (botocore's ${wanted}) are not in ${dirs.join(" or ")}` +
            (env.AWS_MODELS_DIR ? " (AWS_MODELS_DIR)" : "") +
            ": install Debian's awscli (`apt-get install -y --no-install-recommends awscli`, as .ci/run does), " +
            "or set AWS_MODELS_DIR to a botocore `data` directory.",
    );
}

/**
 * Rules AWS documents for a member in the model's own documentation text but does not encode as a trait (the
 * model's MetricId has only a length). Each is applied as the trait it describes, and only while the model still
 * carries the sentence quoted in `says`: a model that drops or changes it fails loading, so a rule here is never
 * more than what AWS wrote.
 */
export const DOCUMENTED_RULES: ReadonlyArray<{
    readonly service: ModelledService;
    readonly shape: string;
    readonly member: string;
    readonly says: string;
    readonly pattern?: string;
    readonly max?: number;
}> = [
    {
        service: "CloudWatch",
        shape: "MetricDataQuery",
        member: "Id",
        says: "The valid characters are letters, numbers, and underscore. The first character must be a lowercase letter.",
        pattern: "[a-z][a-zA-Z0-9_]*",
    },
    {
        service: "CloudWatch",
        shape: "GetMetricDataInput",
        member: "MetricDataQueries",
        says: "A single GetMetricData call can include as many as 500 MetricDataQuery structures.",
        max: 500,
    },
];

const plainText = (html: string | undefined) => (html ?? "").replace(/<[^>]+>/g, "").replace(/\s+/g, " ");

/**
 * A model with {@link DOCUMENTED_RULES} applied: the member gets a shape of its own (`<Shape>.<member>`) with the
 * documented trait, so the shared shape (MetricId is also a result's Id) is left as the model has it.
 */
function withDocumentedRules(service: ModelledService, model: ServiceModel): ServiceModel {
    const shapes: Record<string, Shape> = { ...model.shapes };
    for (const rule of DOCUMENTED_RULES.filter((r) => r.service === service)) {
        const member = shapes[rule.shape]?.members?.[rule.member];
        if (!member || !plainText(member.documentation).includes(rule.says)) {
            throw new Error(
                `${service}'s model no longer documents ${rule.shape}.${rule.member} as "${rule.says}": review DOCUMENTED_RULES in tests/helpers/awsModels.ts`,
            );
        }
        const own = `${rule.shape}.${rule.member}`;
        shapes[own] = {
            ...shapes[member.shape],
            ...(rule.pattern !== undefined ? { pattern: rule.pattern } : {}),
            ...(rule.max !== undefined ? { max: rule.max } : {}),
        };
        shapes[rule.shape] = {
            ...shapes[rule.shape],
            members: { ...shapes[rule.shape].members, [rule.member]: { ...member, shape: own } },
        };
    }
    return { ...model, shapes };
}

/** Reads one model file (gzipped or not). */
export function readServiceModel(file: string): ServiceModel {
    const bytes = fs.readFileSync(file);
    return JSON.parse((file.endsWith(".gz") ? gunzipSync(bytes) : bytes).toString("utf8")) as ServiceModel;
}

/** Loads the models of every service the tool calls (see {@link locateAwsModels}), documented rules applied. */
export function loadAwsModels(env: NodeJS.ProcessEnv = process.env): AwsModels {
    const files = locateAwsModels(env);
    const models = Object.fromEntries(
        (Object.keys(files) as ModelledService[]).map((s) => [s, withDocumentedRules(s, readServiceModel(files[s]))]),
    ) as Record<ModelledService, ServiceModel>;
    return { models, files };
}

/**
 * Java regex constructs with no faithful JavaScript form: a pattern using one is refused, not guessed at.
 * `where`: inside a character class, outside one, or both.
 */
const UNTRANSLATABLE: ReadonlyArray<{ readonly at: RegExp; readonly what: string; readonly where: "class" | "outside" | "both" }> = [
    { at: /^\\[QEAZzGhHRXv0]/, what: "a Java-only escape (or one JavaScript reads otherwise)", where: "both" },
    {
        at: /^\\p\{(Alpha|Digit|Alnum|Upper|Lower|Punct|Graph|Print|Blank|Cntrl|XDigit|Space|ASCII|java\w*|Is\w+|In\w+)\}/,
        what: "a Java-only class",
        where: "both",
    },
    { at: /^\[\^?\]/, what: "a class opening with `]`", where: "outside" },
    { at: /^(\[|&&)/, what: "a nested class or intersection", where: "class" },
    { at: /^\(\?[a-zA-Z-]+[:)]/, what: "inline flags", where: "outside" },
    { at: /^\(\?>/, what: "an atomic group", where: "outside" },
    { at: /^[*+?}]\+/, what: "a possessive quantifier", where: "outside" },
];

/**
 * A botocore pattern (a Java regular expression) as a JavaScript RegExp matching the whole value, as AWS's
 * service-side validation does (Java's `Matcher.matches()`). With the `u` flag a surrogate pair in a class is one
 * code point, as in Java. Java lets any non-alphanumeric character be escaped (`\_`), JavaScript's `u` mode
 * does not: such an escape becomes its `\u{...}` form. Java's `.` also excludes U+0085, JavaScript's does not.
 */
export function translatePattern(pattern: string): { readonly regex: RegExp; readonly display: string } {
    let out = "";
    let inClass = false;
    let depth = 0;
    let topLevelAlternation = false;
    for (let i = 0; i < pattern.length; i++) {
        const rest = pattern.slice(i);
        const refused = UNTRANSLATABLE.find((u) => u.where !== (inClass ? "outside" : "class") && u.at.test(rest));
        if (refused) throw new Error(`pattern ${pattern}: ${refused.what} at "${rest.slice(0, 8)}" has no JavaScript equivalent`);
        const c = pattern[i];
        if (c === "\\") {
            const next = pattern[i + 1];
            if (next === undefined) throw new Error(`pattern ${pattern}: ends with a lone backslash`);
            out += /[A-Za-z0-9]/.test(next) ? `\\${next}` : `\\u{${next.codePointAt(0)!.toString(16)}}`;
            i++;
            continue;
        }
        if (inClass) {
            if (c === "]") inClass = false;
        } else if (c === "[") inClass = true;
        else if (c === "(") depth++;
        else if (c === ")") depth--;
        else if (c === "|" && depth === 0) topLevelAlternation = true;
        out += c;
    }
    const alreadyAnchored = !topLevelAlternation && out.startsWith("^") && out.endsWith("$") && !out.endsWith("\\$");
    const source = alreadyAnchored ? out : topLevelAlternation ? `^(?:${out})$` : `^${out}$`;
    const display = alreadyAnchored ? pattern : topLevelAlternation ? `^(?:${pattern})$` : `^${pattern}$`;
    return { regex: new RegExp(source, "u"), display };
}

const INT32 = { min: -(2 ** 31), max: 2 ** 31 - 1 };

/** The length a string or blob trait counts: characters (code points) of a string, bytes of a blob. */
function lengthOf(type: string, value: string | Uint8Array): number {
    if (type === "blob") return typeof value === "string" ? Buffer.byteLength(value, "utf8") : value.byteLength;
    return [...(value as string)].length;
}

const show = (v: unknown) => (v instanceof Date ? v.toISOString() : typeof v === "string" ? JSON.stringify(v) : String(v));

/**
 * What AWS would refuse in a request: one line per problem, `<field path>: <what is wrong>`, empty when the
 * input fits the operation's input shape. `undefined` and `null` members count as absent (the SDK leaves them
 * out of the request).
 */
export function requestViolations(model: ServiceModel, operation: string, input: unknown): string[] {
    const op = model.operations[operation];
    if (!op) return [`${model.metadata.serviceId} has no operation ${operation}`];
    const problems: string[] = [];
    const patterns = new Map<string, ReturnType<typeof translatePattern>>();
    const check = (shapeName: string, value: unknown, at: string): void => {
        const shape = model.shapes[shapeName];
        const where = at || "(input)";
        const bounds = (count: number, what: string) => {
            if (shape.min !== undefined && count < shape.min) problems.push(`${where}: ${what} ${count}, below the minimum ${shape.min}`);
            if (shape.max !== undefined && count > shape.max) problems.push(`${where}: ${what} ${count}, above the maximum ${shape.max}`);
        };
        switch (shape.type) {
            case "structure": {
                if (typeof value !== "object" || value === null || Array.isArray(value) || value instanceof Date) {
                    problems.push(`${where}: ${show(value)} is not a structure (${shapeName})`);
                    return;
                }
                const members = shape.members ?? {};
                const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined && v !== null);
                for (const [name, v] of entries) {
                    const member = members[name];
                    if (!member)
                        problems.push(
                            `${at ? `${at}.` : ""}${name}: not a member of ${shapeName} (members: ${Object.keys(members).join(", ")})`,
                        );
                    else check(member.shape, v, at ? `${at}.${name}` : name);
                }
                for (const name of shape.required ?? []) {
                    if (!entries.some(([n]) => n === name))
                        problems.push(`${at ? `${at}.` : ""}${name}: required by ${shapeName}, missing`);
                }
                return;
            }
            case "list":
                if (!Array.isArray(value)) return void problems.push(`${where}: ${show(value)} is not a list`);
                bounds(value.length, "list of");
                value.forEach((v, i) => check(shape.member!.shape, v, `${at}[${i}]`));
                return;
            case "map": {
                if (typeof value !== "object" || value === null || Array.isArray(value))
                    return void problems.push(`${where}: ${show(value)} is not a map`);
                const entries = Object.entries(value as Record<string, unknown>);
                bounds(entries.length, "map of");
                for (const [k, v] of entries) {
                    check(shape.key!.shape, k, `${at} key ${JSON.stringify(k)}`);
                    check(shape.value!.shape, v, `${at}[${JSON.stringify(k)}]`);
                }
                return;
            }
            case "string": {
                if (typeof value !== "string") return void problems.push(`${where}: ${show(value)} is not a string`);
                bounds(lengthOf("string", value), "length");
                if (shape.enum && !shape.enum.includes(value))
                    problems.push(`${where}: ${show(value)} is not one of ${shape.enum.join(", ")}`);
                if (shape.pattern !== undefined) {
                    const p = patterns.get(shape.pattern) ?? translatePattern(shape.pattern);
                    patterns.set(shape.pattern, p);
                    if (!p.regex.test(value)) problems.push(`${where}: ${show(value)} does not match ${p.display}`);
                }
                return;
            }
            case "blob":
                if (typeof value !== "string" && !(value instanceof Uint8Array))
                    return void problems.push(`${where}: ${show(value)} is not bytes`);
                bounds(lengthOf("blob", value), "length");
                return;
            case "boolean":
                if (typeof value !== "boolean") problems.push(`${where}: ${show(value)} is not a boolean`);
                return;
            case "integer":
            case "long": {
                const range = shape.type === "integer" ? INT32 : { min: Number.MIN_SAFE_INTEGER, max: Number.MAX_SAFE_INTEGER };
                if (typeof value !== "number" || !Number.isInteger(value) || value < range.min || value > range.max)
                    return void problems.push(`${where}: ${show(value)} is not an ${shape.type}`);
                bounds(value, "value");
                return;
            }
            case "double":
            case "float":
                if (typeof value !== "number" || !Number.isFinite(value))
                    return void problems.push(`${where}: ${show(value)} is not a number`);
                bounds(value, "value");
                return;
            case "timestamp":
                if (!(value instanceof Date) || Number.isNaN(value.getTime()))
                    problems.push(`${where}: ${show(value)} is not a valid Date`);
                return;
            default:
                problems.push(`${where}: shape ${shapeName} has type ${shape.type}, which this check does not know`);
        }
    };
    if (op.input) check(op.input.shape, input ?? {}, "");
    else if (input !== undefined && Object.values(input as object).some((v) => v !== undefined))
        problems.push(`${operation} takes no input`);
    return problems;
}

/** Throws when AWS's model refuses the request, naming the operation and every field at fault. */
export function assertValidRequest(models: AwsModels, service: ModelledService, operation: string, input: unknown): void {
    const problems = requestViolations(models.models[service], operation, input);
    if (problems.length > 0) throw new Error(problems.map((p) => `${operation} ${p}`).join("\n"));
}

if (require.main === module) {
    try {
        const files = locateAwsModels();
        for (const [service, file] of Object.entries(files)) console.log(`${service}: ${file}`);
    } catch (err) {
        console.error((err as Error).message);
        process.exitCode = 1;
    }
}
