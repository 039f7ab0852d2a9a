/**
 * Describes what the program declares, for the offline plan: the resources with their key inputs (alias
 * routing, alarm queries and thresholds), grouped by component. Pure: it formats an Evaluation.
 */
import { readRolloutOutputs } from "../../components/rolloutOutputs";
import { DeclaredResource, Evaluation } from "./evaluate";

const SHORT_TYPES: Record<string, string> = {
    "aws:lambda/function:Function": "function",
    "aws:lambda/alias:Alias": "alias",
    "aws:cloudwatch/metricAlarm:MetricAlarm": "alarm",
    "aws:cloudwatch/compositeAlarm:CompositeAlarm": "composite alarm",
    "aws:cloudwatch/dashboard:Dashboard": "dashboard",
    "aws:cloudwatch/logGroup:LogGroup": "log group",
    "aws:iam/role:Role": "role",
    "aws:iam/rolePolicy:RolePolicy": "role policy",
    "aws:iam/rolePolicyAttachment:RolePolicyAttachment": "managed policy",
    "aws:sqs/queue:Queue": "queue",
    "aws:sns/topic:Topic": "topic",
    "aws:sns/topicSubscription:TopicSubscription": "subscription",
};

/** One line of key inputs for a declared resource. */
export function describeResource(r: DeclaredResource): string {
    const i = r.inputs;
    switch (r.type) {
        case "aws:lambda/function:Function":
            return (
                `${i.name} ${i.runtime} ${i.handler} ${i.memorySize}MB timeout ${i.timeout}s publish=${i.publish} "${i.description}"` +
                (i.reservedConcurrentExecutions !== undefined ? ` reserved=${i.reservedConcurrentExecutions}` : "") +
                (i.deadLetterConfig ? ` dlq=${i.deadLetterConfig.targetArn}` : "")
            );
        case "aws:lambda/alias:Alias": {
            const weights = i.routingConfig?.additionalVersionWeights;
            const split =
                weights && Object.keys(weights).length > 0
                    ? ` + ${Object.entries(weights)
                          .map(([v, w]) => `v${v} ${Math.round(Number(w) * 1000) / 10}%`)
                          .join(", ")}`
                    : " (no split)";
            return `${i.functionName}:${i.name} -> v${i.functionVersion}${split}`;
        }
        case "aws:cloudwatch/metricAlarm:MetricAlarm": {
            const rule = `${i.comparisonOperator} ${i.threshold}, ${i.datapointsToAlarm ?? i.evaluationPeriods} of ${i.evaluationPeriods}, missing=${i.treatMissingData ?? "missing"}`;
            if (i.metricQueries) {
                const expr = i.metricQueries.find((q: any) => q.expression)?.expression;
                const dims = i.metricQueries.find((q: any) => q.metricStat)?.metricStat.metric.dimensions;
                return `${i.name}: ${expr} over ${JSON.stringify(dims)} ${rule}`;
            }
            return `${i.name}: ${i.metricName} ${i.extendedStatistic ?? i.statistic}/${i.period}s over ${JSON.stringify(i.dimensions)} ${rule}`;
        }
        case "aws:cloudwatch/compositeAlarm:CompositeAlarm":
            return `${i.alarmName}: ${i.alarmRule} -> ${(i.alarmActions ?? []).join(", ")}`;
        case "aws:cloudwatch/dashboard:Dashboard": {
            const widgets = (JSON.parse(i.dashboardBody) as { widgets: { properties: { title: string } }[] }).widgets;
            return `${i.dashboardName}: ${widgets.length} widgets (${widgets.map((w) => w.properties.title).join("; ")})`;
        }
        case "aws:iam/role:Role": {
            const principals = (JSON.parse(i.assumeRolePolicy) as { Statement: { Principal: { Service: string } }[] }).Statement.map(
                (st) => st.Principal.Service,
            );
            return `assumed by ${principals.join(", ")}`;
        }
        case "aws:cloudwatch/logGroup:LogGroup":
            return `${i.name} retention ${i.retentionInDays} days`;
        case "aws:iam/rolePolicy:RolePolicy":
            return (JSON.parse(i.policy) as { Statement: { Action: string | string[]; Resource: string }[] }).Statement.map(
                (s) => `${[s.Action].flat().join(",")} on ${s.Resource}`,
            ).join("; ");
        case "aws:iam/rolePolicyAttachment:RolePolicyAttachment":
            return String(i.policyArn);
        case "aws:sns/topic:Topic":
        case "aws:sqs/queue:Queue":
            return String(i.name);
        case "aws:sns/topicSubscription:TopicSubscription":
            return `${i.protocol} ${i.endpoint}`;
        default:
            return "";
    }
}

/** The plan as lines a person reads at a glance. */
export function describePlan(stack: string, evaluation: Evaluation): string[] {
    const lines: string[] = [];
    const out = readRolloutOutputs(evaluation.outputs);
    if (out === undefined) return [`stack ${stack}: the program exported nothing`];
    lines.push(
        `stack ${stack}: strategy ${out.strategy}, release ${out.release?.version}${out.release?.commit ? ` (${out.release.commit})` : ""}`,
    );
    const custom = evaluation.resources.filter((r) => SHORT_TYPES[r.type]);
    lines.push(`${custom.length} resources would be declared:`);
    for (const r of custom) {
        lines.push(`  ${SHORT_TYPES[r.type].padEnd(16)} ${r.name.padEnd(30)} ${describeResource(r)}`);
    }
    for (const [name, fn] of Object.entries(out.functions)) {
        lines.push(
            `function ${name}: stable v${fn.stableVersion}, candidate v${fn.candidateVersion}, weights ${JSON.stringify(fn.liveWeights)} (${fn.routingSource})`,
        );
    }
    return lines;
}
