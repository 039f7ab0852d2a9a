import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { DEPLOYMENT_METRICS, DEPLOYMENT_NAMESPACE } from "./deploymentMetrics";

/** Arguments of {@link RolloutDashboard}. */
export interface RolloutDashboardArgs {
    /** The dashboard's name. */
    readonly dashboardName: string;
    /** AWS region of the metrics. */
    readonly region: string;
    /** The AWS names of the stack's functions. */
    readonly functionNames: string[];
    /** The alias the traffic goes through. */
    readonly aliasName: string;
    /** The HTTP APIs in front of the aliases: their requests, 4xx, 5xx and latency get a row each. */
    readonly httpApis?: readonly { readonly apiId: pulumi.Input<string>; readonly stage: string }[];
    /** The deployment metrics' dimensions (the stack's short name and the functions' keys): a row of rollouts. */
    readonly deployments?: { readonly stack: string; readonly functionKeys: readonly string[] };
}

/**
 * The deployment metrics' row (components/deploymentMetrics.ts): rollouts promoted and rolled back per hour,
 * and each rollout's duration and time to decision, one line per function.
 */
export function deploymentWidgets(deployments: { stack: string; functionKeys: readonly string[] }, region: string, row: number): object[] {
    const series = (metric: string) =>
        deployments.functionKeys.map((key) => [DEPLOYMENT_NAMESPACE, metric, "Stack", deployments.stack, "Function", key]);
    return (
        [
            ["rollouts promoted and rolled back per hour", "Sum", 3600, [DEPLOYMENT_METRICS.succeeded, DEPLOYMENT_METRICS.rolledBack]],
            ["rollout duration and time to decision (s)", "Maximum", 300, [DEPLOYMENT_METRICS.duration, DEPLOYMENT_METRICS.timeToDecision]],
        ] as const
    ).map(([title, stat, period, metrics], col) => ({
        type: "metric",
        x: col * 12,
        y: row * 6,
        width: 12,
        height: 6,
        properties: {
            title: `stack ${deployments.stack}: ${title}`,
            region,
            view: "timeSeries",
            stat,
            period,
            metrics: metrics.flatMap(series),
        },
    }));
}

/**
 * The widgets of one HTTP API: AWS/ApiGateway metrics of an HTTP API are `Count`, `4xx`, `5xx` and `Latency`
 * with the dimensions `ApiId` and `Stage` ("Monitor CloudWatch metrics for HTTP APIs in API Gateway",
 * https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-metrics.html).
 */
export function httpApiWidgets(api: { apiId: string; stage: string }, region: string, row: number): object[] {
    return (
        [
            ["Count", "Sum", "requests"],
            ["4xx", "Sum", "4xx"],
            ["5xx", "Sum", "5xx"],
            ["Latency", "p99", "p99 latency (ms)"],
        ] as const
    ).map(([metric, stat, title], col) => ({
        type: "metric",
        x: col * 6,
        y: row * 6,
        width: 6,
        height: 6,
        properties: {
            title: `HTTP API ${api.apiId} ${title}`,
            region,
            view: "timeSeries",
            stat,
            period: 60,
            metrics: [["AWS/ApiGateway", metric, "ApiId", api.apiId, "Stage", api.stage]],
        },
    }));
}

/**
 * A CloudWatch SEARCH expression over every version's series of an alias: one line per `ExecutedVersion`,
 * so a canary and its stable version show side by side without the dashboard changing on each release.
 */
export function perVersionSearch(functionName: string, aliasName: string, metricName: string, stat: string): string {
    return (
        `SEARCH('{AWS/Lambda,ExecutedVersion,FunctionName,Resource} MetricName="${metricName}" ` +
        `FunctionName="${functionName}" Resource="${functionName}:${aliasName}"', '${stat}', 60)`
    );
}

/** The dashboard body: for each function, invocations, errors and p99 duration per version through the alias. */
export function dashboardBody(args: RolloutDashboardArgs, apis: readonly { apiId: string; stage: string }[] = []): object {
    const widgets = args.functionNames.flatMap((fn, row) =>
        (
            [
                ["Invocations", "Sum", "invocations"],
                ["Errors", "Sum", "errors"],
                ["Duration", "p99", "p99 duration (ms)"],
            ] as const
        ).map(([metric, stat, title], col) => ({
            type: "metric",
            x: col * 8,
            y: row * 6,
            width: 8,
            height: 6,
            properties: {
                title: `${fn}:${args.aliasName} ${title} per version`,
                region: args.region,
                view: "timeSeries",
                stat,
                period: 60,
                metrics: [[{ expression: perVersionSearch(fn, args.aliasName, metric, stat), id: `${metric.toLowerCase()}${row}` }]],
            },
        })),
    );
    const apiWidgets = apis.flatMap((api, i) => httpApiWidgets(api, args.region, args.functionNames.length + i));
    const deploymentRow = args.deployments ? deploymentWidgets(args.deployments, args.region, args.functionNames.length + apis.length) : [];
    return { widgets: [...widgets, ...apiWidgets, ...deploymentRow] };
}

/** The stack's dashboard: the rollout's evidence, per function and per version. */
export class RolloutDashboard extends pulumi.ComponentResource {
    /** The dashboard's name. */
    public readonly dashboardName: pulumi.Output<string>;

    constructor(name: string, args: RolloutDashboardArgs, opts: pulumi.ComponentResourceOptions = {}) {
        super("lambda-rollout:index:RolloutDashboard", name, {}, opts);
        if (args.functionNames.length === 0) {
            throw new Error("`functionNames` must name at least one function");
        }
        const dashboard = new aws.cloudwatch.Dashboard(
            `${name}-dashboard`,
            {
                dashboardName: args.dashboardName,
                dashboardBody: pulumi.all((args.httpApis ?? []).map((api) => pulumi.all([api.apiId, api.stage]))).apply((apis) =>
                    JSON.stringify(
                        dashboardBody(
                            args,
                            apis.map(([apiId, stage]) => ({ apiId, stage })),
                        ),
                    ),
                ),
            },
            { parent: this },
        );
        this.dashboardName = dashboard.dashboardName;
        this.registerOutputs({ dashboardName: this.dashboardName });
    }
}
