/**
 * The simulated account on the wire: an HTTP server on 127.0.0.1 that speaks the protocols AWS's own clients
 * speak, so a real LambdaClient or CloudWatchClient (given `endpoint`), or the AWS CLI (given `--endpoint-url`),
 * runs its own serialization, signing, retries and error parsing against the simulator. It translates each
 * request into the SDK command the in-process stand-ins answer (lambdaApi.ts, cloudWatchApi.ts), and their
 * answer or error back into the protocol's shape: the simulator's semantics stay in one place.
 *
 * The wire shapes follow AWS's API models as botocore ships them (Debian's `awscli` package,
 * `botocore/data/lambda/2015-03-31/service-2.json` and `botocore/data/cloudwatch/2010-08-01/service-2.json`):
 * each operation's `http.method`, `http.requestUri` and `responseCode`, and each member's `location`
 * (`uri`, `querystring`, `header`, `statusCode`, the payload). CloudWatch's model there says `query`, the
 * protocol of older clients; @aws-sdk/client-cloudwatch 3.1164 speaks `awsJson1_0` with `awsQueryCompatible`
 * (its `protocol: AwsJson1_0Protocol`, `serviceTarget: "GraniteServiceVersion20100801"`), and that is the
 * protocol served here. Signatures are not checked: any credentials do.
 */
import * as http from "http";
import type { AddressInfo } from "net";
import { gunzipSync } from "zlib";
import { DescribeAlarmsCommand, GetMetricDataCommand, PutMetricDataCommand } from "@aws-sdk/client-cloudwatch";
import { DescribeLogGroupsCommand } from "@aws-sdk/client-cloudwatch-logs";
import {
    CreateAliasCommand,
    GetAliasCommand,
    GetFunctionConfigurationCommand,
    GetProvisionedConcurrencyConfigCommand,
    InvokeCommand,
    ListAliasesCommand,
    DeleteFunctionCommand,
    ListVersionsByFunctionCommand,
    UpdateAliasCommand,
} from "@aws-sdk/client-lambda";
import { clientError, serverError } from "./errors";
import type { SimulatedClient } from "./sdkDispatch";
import { escapeXml, snsPublish, xmlError } from "./snsWire";
import { principalFor } from "./stsApi";

/** The in-process APIs the server puts on the wire (a SimulatedAws has both). */
export interface SimulatedApis {
    readonly lambda: SimulatedClient;
    readonly cloudWatch: SimulatedClient;
    /** CloudWatch Logs (a SimulatedAws has it; `adopt` reads log groups with it). */
    readonly logs?: SimulatedClient;
    /** SNS (a SimulatedAws has it; the command line's notifications publish with it). */
    readonly sns?: SimulatedClient;
}

/** One request as the server understood it. */
export interface WireCall {
    readonly service: "lambda" | "cloudwatch" | "logs" | "sts" | "sns";
    /** The API operation, e.g. `UpdateAlias`, `GetMetricData`. */
    readonly operation: string;
}

/** A request and the HTTP status it was answered with. */
export interface AnsweredCall extends WireCall {
    readonly status: number;
    /** AWS's error code, for an error answer. */
    readonly errorCode?: string;
}

/** Options of {@link serveHttp}. */
export interface WireServerOptions {
    /**
     * Sees each recognised call before the simulator does; an error it returns (e.g. `clientError(
     * "TooManyRequestsException", "Rate exceeded", 429)`) is the answer instead, as AWS answers a throttled call
     * that never reached the service.
     */
    readonly intercept?: (call: WireCall) => Error | undefined;
    /** The port to listen on (127.0.0.1 always); default one the system picks. */
    readonly port?: number;
}

/** A running server. */
export interface WireServer {
    /** `http://127.0.0.1:<port>`: the SDK's `endpoint`, the CLI's `--endpoint-url`. */
    readonly endpoint: string;
    /** Every request so far, in order, with its answer's status. */
    readonly calls: readonly AnsweredCall[];
    /** Stops listening and drops open connections. */
    close(): Promise<void>;
}

type CommandClass = new (input: any) => unknown;

/**
 * A Lambda REST-JSON operation as the model defines it: `method` and `requestUri` (its `{Label}`s are `uri`
 * members), the `querystring` members, and the success status (`responseCode`, else 200).
 */
interface LambdaRoute {
    readonly operation: string;
    readonly method: "GET" | "PUT" | "POST" | "DELETE";
    readonly requestUri: string;
    readonly command: CommandClass;
    readonly query?: readonly string[];
    /** Query members whose shape is an integer (`MaxItems`). */
    readonly integerQuery?: readonly string[];
    readonly responseCode?: number;
}

/** lambda/2015-03-31/service-2.json, `operations.<name>.http` and the members' locations. */
const LAMBDA_ROUTES: readonly LambdaRoute[] = [
    { operation: "GetAlias", method: "GET", requestUri: "/2015-03-31/functions/{FunctionName}/aliases/{Name}", command: GetAliasCommand },
    {
        operation: "UpdateAlias",
        method: "PUT",
        requestUri: "/2015-03-31/functions/{FunctionName}/aliases/{Name}",
        command: UpdateAliasCommand,
    },
    {
        operation: "ListAliases",
        method: "GET",
        requestUri: "/2015-03-31/functions/{FunctionName}/aliases",
        command: ListAliasesCommand,
        query: ["FunctionVersion", "Marker", "MaxItems"],
        integerQuery: ["MaxItems"],
    },
    {
        operation: "CreateAlias",
        method: "POST",
        requestUri: "/2015-03-31/functions/{FunctionName}/aliases",
        command: CreateAliasCommand,
        responseCode: 201,
    },
    {
        // `prune`: one published version (`Qualifier`) at a time; 204 with no body.
        operation: "DeleteFunction",
        method: "DELETE",
        requestUri: "/2015-03-31/functions/{FunctionName}",
        command: DeleteFunctionCommand,
        query: ["Qualifier"],
        responseCode: 204,
    },
    {
        operation: "GetFunctionConfiguration",
        method: "GET",
        requestUri: "/2015-03-31/functions/{FunctionName}/configuration",
        command: GetFunctionConfigurationCommand,
        query: ["Qualifier"],
    },
    {
        operation: "ListVersionsByFunction",
        method: "GET",
        requestUri: "/2015-03-31/functions/{FunctionName}/versions",
        command: ListVersionsByFunctionCommand,
        query: ["Marker", "MaxItems"],
        integerQuery: ["MaxItems"],
    },
    {
        operation: "GetProvisionedConcurrencyConfig",
        method: "GET",
        requestUri: "/2019-09-30/functions/{FunctionName}/provisioned-concurrency",
        command: GetProvisionedConcurrencyConfigCommand,
        query: ["Qualifier"],
    },
    // Invoke's payload is the raw body, and its answer is in headers and the status: see invoke().
    {
        operation: "Invoke",
        method: "POST",
        requestUri: "/2015-03-31/functions/{FunctionName}/invocations",
        command: InvokeCommand,
        query: ["Qualifier"],
    },
];

/**
 * CloudWatch's operations under awsJson1_0: `POST /` with `X-Amz-Target: GraniteServiceVersion20100801.<op>`.
 * `timestamps`: the input members of shape `Timestamp`, sent as epoch seconds (awsJson's default format).
 */
const CLOUDWATCH_OPERATIONS: Readonly<Record<string, { command: CommandClass; timestamps: readonly string[] }>> = {
    GetMetricData: { command: GetMetricDataCommand, timestamps: ["StartTime", "EndTime"] },
    DescribeAlarms: { command: DescribeAlarmsCommand, timestamps: [] },
    // The deployment metrics (automation/notify/metrics.ts); a datum's own Timestamp is not read: the account stamps it.
    PutMetricData: { command: PutMetricDataCommand, timestamps: [] },
};

/** The awsJson1_0 service target of CloudWatch (the Smithy model's, as the SDK sends it). */
export const CLOUDWATCH_TARGET_PREFIX = "GraniteServiceVersion20100801.";

/**
 * CloudWatch Logs under awsJson1_1 (logs/2014-03-28/service-2.json: `protocol: json`, `jsonVersion: 1.1`,
 * `targetPrefix: Logs_20140328`): `POST /` with `X-Amz-Target: Logs_20140328.<op>`. Its timestamps are `Long`
 * epoch milliseconds, plain numbers both ways.
 */
export const LOGS_TARGET_PREFIX = "Logs_20140328.";
const LOGS_OPERATIONS: Readonly<Record<string, CommandClass>> = { DescribeLogGroups: DescribeLogGroupsCommand };

/** Serves `apis` on 127.0.0.1 at `options.port`, else a port the system picks; resolves once it listens. */
export async function serveHttp(apis: SimulatedApis, options: WireServerOptions = {}): Promise<WireServer> {
    const calls: AnsweredCall[] = [];
    const server = http.createServer((req, res) => {
        void readBody(req)
            .then((body) => answer(apis, options, req, body))
            .catch((err: unknown) => lambdaError(unexpected(err)))
            .then((reply) => {
                if (reply.call)
                    calls.push({ ...reply.call, status: reply.status, ...(reply.errorCode ? { errorCode: reply.errorCode } : {}) });
                res.writeHead(reply.status, { ...reply.headers, "content-length": String(reply.body.length) });
                res.end(reply.body);
            });
    });
    await new Promise<void>((resolve, reject) => {
        server.once("error", reject);
        server.listen(options.port ?? 0, "127.0.0.1", () => resolve());
    });
    const { port } = server.address() as AddressInfo;
    return {
        endpoint: `http://127.0.0.1:${port}`,
        calls,
        close: () =>
            new Promise<void>((resolve) => {
                server.close(() => resolve());
                server.closeAllConnections();
            }),
    };
}

/** An HTTP answer, and the call it answered when the request was recognised. */
interface Reply {
    readonly status: number;
    readonly headers: Record<string, string>;
    readonly body: Buffer;
    readonly call?: WireCall;
    readonly errorCode?: string;
}

async function answer(apis: SimulatedApis, options: WireServerOptions, req: http.IncomingMessage, raw: Buffer): Promise<Reply> {
    const url = new URL(req.url ?? "/", "http://127.0.0.1");
    const target = req.headers["x-amz-target"];
    // The SDK gzips a large PutMetricData body (its request compression, over 10 KiB by default).
    const body = req.headers["content-encoding"] === "gzip" ? gunzipSync(raw) : raw;
    if (req.method === "POST" && url.pathname === "/") {
        const action = target === undefined ? new URLSearchParams(body.toString("utf8")).get("Action") : undefined;
        if (action === "GetCallerIdentity") return stsCallerIdentity(options, req.headers);
        if (action === "Publish" && apis.sns) {
            const call: WireCall = { service: "sns", operation: "Publish" };
            const refused = options.intercept?.(call);
            return { ...(refused ? xmlError(refused) : await snsPublish(apis.sns, new URLSearchParams(body.toString("utf8")))), call };
        }
        if (typeof target === "string" && target.startsWith(CLOUDWATCH_TARGET_PREFIX))
            return cloudWatchCall(apis.cloudWatch, options, target.slice(CLOUDWATCH_TARGET_PREFIX.length), body);
        if (typeof target === "string" && target.startsWith(LOGS_TARGET_PREFIX) && apis.logs)
            return logsCall(apis.logs, options, target.slice(LOGS_TARGET_PREFIX.length), body);
        return jsonError(
            clientError(
                "UnknownOperationException",
                `The simulator serves CloudWatch's JSON protocol (awsJson1_0, X-Amz-Target: ${CLOUDWATCH_TARGET_PREFIX}<operation>), ` +
                    `not ${typeof target === "string" ? `the target ${target}` : "the query protocol (form-encoded Action=...)"}.`,
            ),
        );
    }
    for (const route of LAMBDA_ROUTES) {
        const labels = route.method === req.method ? matchUri(route.requestUri, url.pathname) : undefined;
        if (labels) return lambdaCall(apis.lambda, options, route, labels, url.searchParams, req.headers, body);
    }
    return lambdaError(
        clientError(
            "UnknownOperationException",
            `The simulator does not serve ${req.method} ${url.pathname}; it serves ${LAMBDA_ROUTES.map((r) => `${r.operation} (${r.method} ${r.requestUri})`).join(", ")} and CloudWatch's ${Object.keys(CLOUDWATCH_OPERATIONS).join(", ")}.`,
            404,
        ),
    );
}

/**
 * STS GetCallerIdentity under the query protocol (`POST /`, form-encoded `Action=GetCallerIdentity&Version=
 * 2011-06-15`; the answer in XML), as botocore's `sts/2011-06-15` model defines it. Who the caller is comes from
 * the access key id in the request's signature (stsApi.ts's principalFor): signatures are not checked.
 */
function stsCallerIdentity(options: WireServerOptions, headers: http.IncomingHttpHeaders): Reply {
    const call: WireCall = { service: "sts", operation: "GetCallerIdentity" };
    const refused = options.intercept?.(call);
    if (refused) return { ...xmlError(refused), call };
    const xml = (text: string, status: number): Reply => ({
        status,
        headers: { "content-type": "text/xml" },
        body: Buffer.from(text),
        call,
    });
    const key = /Credential=([^/,\s]+)\//.exec(String(headers.authorization ?? ""))?.[1] ?? "anonymous";
    const who = principalFor(key);
    return xml(
        `<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><GetCallerIdentityResult>` +
            `<Arn>${escapeXml(who.Arn)}</Arn><UserId>${escapeXml(who.UserId)}</UserId><Account>${who.Account}</Account>` +
            `</GetCallerIdentityResult><ResponseMetadata><RequestId>sim</RequestId></ResponseMetadata></GetCallerIdentityResponse>`,
        200,
    );
}

/** The `{Label}`s of `template` in `pathname` (URI-decoded), or undefined when it does not match. */
export function matchUri(template: string, pathname: string): Record<string, string> | undefined {
    const names: string[] = [];
    const pattern = template.replace(/[.*+?^$()|[\]\\]/g, "\\$&").replace(/\{(\w+)\}/g, (_, name: string) => {
        names.push(name);
        return "([^/]+)";
    });
    const match = new RegExp(`^${pattern}/?$`).exec(pathname);
    if (!match) return undefined;
    return Object.fromEntries(names.map((name, i) => [name, decodeURIComponent(match[i + 1])]));
}

async function lambdaCall(
    lambda: SimulatedClient,
    options: WireServerOptions,
    route: LambdaRoute,
    labels: Record<string, string>,
    query: URLSearchParams,
    headers: http.IncomingHttpHeaders,
    body: Buffer,
): Promise<Reply> {
    const call: WireCall = { service: "lambda", operation: route.operation };
    try {
        const refused = options.intercept?.(call);
        if (refused) throw refused;
        const input: Record<string, unknown> = { ...labels };
        for (const name of route.query ?? []) {
            const value = query.get(name);
            if (value !== null) input[name] = route.integerQuery?.includes(name) ? Number(value) : value;
        }
        if (route.operation === "Invoke") return { ...(await invoke(lambda, input, headers, body)), call };
        if (route.method !== "GET" && body.length > 0) Object.assign(input, parseJson(body, "InvalidRequestContentException"), labels);
        const { $metadata: _metadata, ...output } = (await lambda.send(new route.command(input))) as Record<string, unknown>;
        return {
            status: route.responseCode ?? 200,
            headers: { "content-type": "application/json" },
            body: route.responseCode === 204 ? Buffer.alloc(0) : Buffer.from(JSON.stringify(output)),
            call,
        };
    } catch (err) {
        return { ...lambdaError(err), call };
    }
}

/**
 * Invoke (InvocationRequest / InvocationResponse in the model): the payload is the raw body both ways;
 * `InvocationType`, `LogType`, `ClientContext` are the `X-Amz-*` request headers; the answer's `StatusCode` is
 * the HTTP status, `FunctionError`, `ExecutedVersion` and `LogResult` are headers.
 */
async function invoke(
    lambda: SimulatedClient,
    input: Record<string, unknown>,
    headers: http.IncomingHttpHeaders,
    body: Buffer,
): Promise<Reply> {
    const header = (name: string) => (typeof headers[name] === "string" ? (headers[name] as string) : undefined);
    const out = (await lambda.send(
        new InvokeCommand({
            ...(input as { FunctionName: string; Qualifier?: string }),
            InvocationType: header("x-amz-invocation-type") as "RequestResponse" | "Event" | "DryRun" | undefined,
            LogType: header("x-amz-log-type") as "None" | "Tail" | undefined,
            ClientContext: header("x-amz-client-context"),
            Payload: body.length > 0 ? new Uint8Array(body) : undefined,
        }),
    )) as { StatusCode?: number; FunctionError?: string; ExecutedVersion?: string; LogResult?: string; Payload?: Uint8Array };
    const replyHeaders: Record<string, string> = { "content-type": "application/json" };
    if (out.FunctionError !== undefined) replyHeaders["x-amz-function-error"] = out.FunctionError;
    if (out.ExecutedVersion !== undefined) replyHeaders["x-amz-executed-version"] = out.ExecutedVersion;
    if (out.LogResult !== undefined) replyHeaders["x-amz-log-result"] = out.LogResult;
    return { status: out.StatusCode ?? 200, headers: replyHeaders, body: Buffer.from(out.Payload ?? new Uint8Array()) };
}

async function cloudWatchCall(cloudWatch: SimulatedClient, options: WireServerOptions, operation: string, body: Buffer): Promise<Reply> {
    const known = CLOUDWATCH_OPERATIONS[operation];
    if (!known) {
        return jsonError(
            clientError(
                "UnknownOperationException",
                `The simulator's CloudWatch does not serve ${operation}; it serves ${Object.keys(CLOUDWATCH_OPERATIONS).join(", ")}.`,
            ),
        );
    }
    const call: WireCall = { service: "cloudwatch", operation };
    try {
        const refused = options.intercept?.(call);
        if (refused) throw refused;
        const input = (body.length > 0 ? parseJson(body, "SerializationException") : {}) as Record<string, unknown>;
        for (const member of known.timestamps) {
            if (typeof input[member] === "number") input[member] = new Date((input[member] as number) * 1000);
        }
        const { $metadata: _metadata, ...output } = (await cloudWatch.send(new known.command(input))) as Record<string, unknown>;
        return {
            status: 200,
            headers: { "content-type": "application/x-amz-json-1.0" },
            body: Buffer.from(JSON.stringify(output, epochSeconds)),
            call,
        };
    } catch (err) {
        return { ...jsonError(err), call };
    }
}

async function logsCall(logs: SimulatedClient, options: WireServerOptions, operation: string, body: Buffer): Promise<Reply> {
    const command = LOGS_OPERATIONS[operation];
    if (!command) {
        return jsonError(
            clientError(
                "UnknownOperationException",
                `The simulator's CloudWatch Logs does not serve ${operation}; it serves ${Object.keys(LOGS_OPERATIONS).join(", ")}.`,
            ),
        );
    }
    const call: WireCall = { service: "logs", operation };
    try {
        const refused = options.intercept?.(call);
        if (refused) throw refused;
        const input = body.length > 0 ? parseJson(body, "SerializationException") : {};
        const { $metadata: _metadata, ...output } = (await logs.send(new command(input))) as Record<string, unknown>;
        return { status: 200, headers: { "content-type": "application/x-amz-json-1.1" }, body: Buffer.from(JSON.stringify(output)), call };
    } catch (err) {
        return { ...jsonError(err), call };
    }
}

/** awsJson's timestamps: epoch seconds (JSON.stringify has already made a Date an ISO string; `this` still holds it). */
function epochSeconds(this: Record<string, unknown>, key: string, value: unknown): unknown {
    const original = this[key];
    return original instanceof Date ? original.getTime() / 1000 : value;
}

function parseJson(body: Buffer, code: string): Record<string, unknown> {
    try {
        const parsed: unknown = JSON.parse(body.toString("utf8"));
        if (parsed && typeof parsed === "object" && !Array.isArray(parsed)) return parsed as Record<string, unknown>;
    } catch {
        // answered below
    }
    throw clientError(code, "Could not parse request body into json: the body is not a JSON object.");
}

/** The code, fault side and status of what the simulator threw; anything not shaped like an AWS error is a 500. */
function awsFault(err: unknown): { code: string; message: string; status: number; fault: "client" | "server" } {
    const e = err as { name?: string; message?: string; $fault?: string; $metadata?: { httpStatusCode?: number } };
    if (e?.$fault === "client" || e?.$fault === "server") {
        const fault = e.$fault;
        return {
            code: e.name ?? "UnknownError",
            message: e.message ?? "",
            status: e.$metadata?.httpStatusCode ?? (fault === "client" ? 400 : 500),
            fault,
        };
    }
    return {
        code: "ServiceException",
        message: `The simulator failed: ${(err as Error)?.message ?? String(err)}`,
        status: 500,
        fault: "server",
    };
}

/**
 * A Lambda error under REST-JSON: the HTTP status the model gives the error (`error.httpStatusCode`: 404
 * ResourceNotFoundException, 409 ResourceConflictException, 429 TooManyRequestsException, ...), the code in
 * `x-amzn-ErrorType`, and a body with `Type` (`User` or `Service`) and `message`. A throttle also says when to
 * retry (`Retry-After`, the model's `retryAfterSeconds`).
 */
function lambdaError(err: unknown): Reply {
    const { code, message, status, fault } = awsFault(err);
    const headers: Record<string, string> = { "content-type": "application/json", "x-amzn-errortype": code };
    if (status === 429) headers["retry-after"] = "1";
    return {
        status,
        headers,
        body: Buffer.from(JSON.stringify({ Type: fault === "client" ? "User" : "Service", message })),
        errorCode: code,
    };
}

/**
 * A CloudWatch error under awsJson1_0: the status, `__type` and `message` in the body and, as CloudWatch is
 * `awsQueryCompatible`, the query protocol's code and fault in `x-amzn-query-error` (`<code>;Sender|Receiver`).
 */
function jsonError(err: unknown): Reply {
    const { code, message, status, fault } = awsFault(err);
    return {
        status,
        headers: {
            "content-type": "application/x-amz-json-1.0",
            "x-amzn-query-error": `${code};${fault === "client" ? "Sender" : "Receiver"}`,
        },
        body: Buffer.from(JSON.stringify({ __type: code, message })),
        errorCode: code,
    };
}

function unexpected(err: unknown): Error {
    return serverError("ServiceException", `The simulator's HTTP server failed: ${(err as Error)?.message ?? String(err)}`, 500);
}

function readBody(req: http.IncomingMessage): Promise<Buffer> {
    return new Promise((resolve, reject) => {
        const chunks: Buffer[] = [];
        req.on("data", (chunk: Buffer) => chunks.push(chunk));
        req.on("end", () => resolve(Buffer.concat(chunks)));
        req.on("error", reject);
    });
}
