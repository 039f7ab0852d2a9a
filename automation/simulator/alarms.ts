import type { MetricDataQuery } from "@aws-sdk/client-cloudwatch";
import { clientError } from "./errors";
import { parseMetricDataQueries, type ParsedQuery } from "./getMetricData";
import { parseStatistic } from "./statistics";

/** CloudWatch alarm states. */
export type AlarmState = "OK" | "ALARM" | "INSUFFICIENT_DATA";

/** The comparison operators of a static-threshold alarm. */
export type ComparisonOperator =
    "GreaterThanThreshold" | "GreaterThanOrEqualToThreshold" | "LessThanThreshold" | "LessThanOrEqualToThreshold";

/** How an alarm treats a period without data. */
export type TreatMissingData = "missing" | "notBreaching" | "breaching" | "ignore";

/**
 * A metric alarm in the input shape of Pulumi's `aws.cloudwatch.MetricAlarm` (camelCase, dimensions as a
 * map), so that the rehearsal's mock engine can hand the program's alarm inputs straight over.
 */
export interface MetricAlarmDef {
    name: string;
    comparisonOperator?: string;
    evaluationPeriods?: number;
    datapointsToAlarm?: number;
    threshold?: number;
    treatMissingData?: string;
    namespace?: string;
    metricName?: string;
    dimensions?: Record<string, string>;
    statistic?: string;
    extendedStatistic?: string;
    /** Seconds. */
    period?: number;
    metricQueries?: Array<{
        id: string;
        expression?: string;
        label?: string;
        returnData?: boolean;
        metricStat?: {
            metric: { namespace: string; metricName: string; dimensions?: Record<string, string> };
            period: number;
            stat: string;
        };
    }>;
}

/** A metric alarm after validation: what evaluation needs. */
export interface CompiledMetricAlarm {
    readonly def: MetricAlarmDef;
    readonly comparisonOperator: ComparisonOperator;
    readonly evaluationPeriods: number;
    readonly datapointsToAlarm: number;
    readonly threshold: number;
    readonly treatMissingData: TreatMissingData;
    readonly periodMs: number;
    readonly queries: readonly ParsedQuery[];
    /** The query whose series the alarm watches. */
    readonly alarmQueryId: string;
}

const COMPARISONS: Record<ComparisonOperator, { test: (value: number, threshold: number) => boolean; words: string }> = {
    GreaterThanThreshold: { test: (v, t) => v > t, words: "greater than" },
    GreaterThanOrEqualToThreshold: { test: (v, t) => v >= t, words: "greater than or equal to" },
    LessThanThreshold: { test: (v, t) => v < t, words: "less than" },
    LessThanOrEqualToThreshold: { test: (v, t) => v <= t, words: "less than or equal to" },
};
const TREATMENTS: readonly TreatMissingData[] = ["missing", "notBreaching", "breaching", "ignore"];

const invalid = (message: string) => clientError("ValidationError", message);

/**
 * Validates an alarm as PutMetricAlarm does (AWS rejects what the Pulumi types no longer catch, such as a
 * missing `comparisonOperator`) and compiles its metric into GetMetricData queries.
 */
export function compileMetricAlarm(def: MetricAlarmDef): CompiledMetricAlarm {
    const name = def.name;
    if (!name) throw invalid("The parameter AlarmName is required.");
    if (!def.comparisonOperator || !(def.comparisonOperator in COMPARISONS)) {
        throw invalid(
            `Alarm '${name}': ComparisonOperator must be one of ${Object.keys(COMPARISONS).join(", ")}, got ${def.comparisonOperator}.`,
        );
    }
    const evaluationPeriods = def.evaluationPeriods;
    if (evaluationPeriods === undefined || !Number.isInteger(evaluationPeriods) || evaluationPeriods < 1) {
        throw invalid(`Alarm '${name}': EvaluationPeriods must be a positive integer, got ${evaluationPeriods}.`);
    }
    const datapointsToAlarm = def.datapointsToAlarm ?? evaluationPeriods;
    if (!Number.isInteger(datapointsToAlarm) || datapointsToAlarm < 1 || datapointsToAlarm > evaluationPeriods) {
        throw invalid(
            `Alarm '${name}': DatapointsToAlarm must be between 1 and EvaluationPeriods (${evaluationPeriods}), got ${datapointsToAlarm}.`,
        );
    }
    if (typeof def.threshold !== "number" || !Number.isFinite(def.threshold))
        throw invalid(`Alarm '${name}': Threshold must be a number, got ${def.threshold}.`);
    const treatMissingData = (def.treatMissingData ?? "missing") as TreatMissingData;
    if (!TREATMENTS.includes(treatMissingData)) {
        throw invalid(`Alarm '${name}': TreatMissingData must be one of ${TREATMENTS.join(", ")}, got ${def.treatMissingData}.`);
    }
    const common = {
        def,
        comparisonOperator: def.comparisonOperator as ComparisonOperator,
        evaluationPeriods,
        datapointsToAlarm,
        threshold: def.threshold,
        treatMissingData,
    };

    if (def.metricQueries && def.metricQueries.length > 0) {
        if (def.metricName || def.namespace || def.statistic || def.extendedStatistic || def.dimensions) {
            throw invalid(
                `Alarm '${name}': MetricName, Namespace, Statistic, ExtendedStatistic and Dimensions cannot be combined with Metrics (metricQueries).`,
            );
        }
        const returning = def.metricQueries.filter((query) => query.returnData !== false);
        if (returning.length !== 1) {
            throw invalid(
                `Alarm '${name}': exactly one element of the metrics list should return data (returnData true, every other one false); ${returning.length} do.`,
            );
        }
        const sdkQueries: MetricDataQuery[] = def.metricQueries.map((query) => ({
            Id: query.id,
            Label: query.label,
            ReturnData: query.returnData,
            Expression: query.expression,
            MetricStat: query.metricStat && {
                Metric: {
                    Namespace: query.metricStat.metric.namespace,
                    MetricName: query.metricStat.metric.metricName,
                    Dimensions: Object.entries(query.metricStat.metric.dimensions ?? {}).map(([Name, Value]) => ({ Name, Value })),
                },
                Period: query.metricStat.period,
                Stat: query.metricStat.stat,
            },
        }));
        const queries = parseMetricDataQueries(sdkQueries);
        const periods = def.metricQueries.flatMap((query) => (query.metricStat ? [query.metricStat.period] : []));
        if (periods.length === 0) throw invalid(`Alarm '${name}': metricQueries need at least one metricStat.`);
        return { ...common, periodMs: Math.max(...periods) * 1000, queries, alarmQueryId: returning[0].id };
    }

    if (!def.metricName || !def.namespace)
        throw invalid(`Alarm '${name}': either MetricName and Namespace, or Metrics (metricQueries), must be given.`);
    if ((def.statistic === undefined) === (def.extendedStatistic === undefined)) {
        throw invalid(`Alarm '${name}': exactly one of Statistic and ExtendedStatistic must be given.`);
    }
    if (def.statistic !== undefined && (!parseStatistic(def.statistic) || def.statistic.startsWith("p"))) {
        throw invalid(`Alarm '${name}': Statistic must be one of SampleCount, Average, Sum, Minimum, Maximum, got ${def.statistic}.`);
    }
    if (def.extendedStatistic !== undefined && parseStatistic(def.extendedStatistic)?.kind !== "percentile") {
        throw invalid(`Alarm '${name}': ExtendedStatistic must be a percentile such as p99, got ${def.extendedStatistic}.`);
    }
    const period = def.period;
    if (period === undefined || !Number.isInteger(period) || period <= 0 || period % 60 !== 0) {
        throw invalid(`Alarm '${name}': Period must be a positive multiple of 60 seconds, got ${period}.`);
    }
    const queries = parseMetricDataQueries([
        {
            Id: "m1",
            MetricStat: {
                Metric: {
                    Namespace: def.namespace,
                    MetricName: def.metricName,
                    Dimensions: Object.entries(def.dimensions ?? {}).map(([Name, Value]) => ({ Name, Value })),
                },
                Period: period,
                Stat: def.statistic ?? def.extendedStatistic,
            },
        },
    ]);
    return { ...common, periodMs: period * 1000, queries, alarmQueryId: "m1" };
}

/** One evaluated alarm state with CloudWatch-style reason text. */
export interface AlarmEvaluation {
    readonly state: AlarmState;
    readonly reason: string;
}

/** The rule an alarm evaluation applies, separated from where the datapoints come from. */
export interface AlarmRule {
    readonly comparisonOperator: ComparisonOperator;
    readonly evaluationPeriods: number;
    readonly datapointsToAlarm: number;
    readonly threshold: number;
    readonly treatMissingData: TreatMissingData;
}

/**
 * CloudWatch's evaluation of one alarm over its evaluation range (most recent period first; undefined
 * where a period has no datapoint, late data included). When at least evaluationPeriods periods have data,
 * the most recent of them decide and missing periods are ignored; when fewer do, the missing ones up to
 * evaluationPeriods are filled per treatMissingData; when none do, `missing` gives INSUFFICIENT_DATA and
 * `ignore` keeps `previousState`. ALARM when at least datapointsToAlarm of the evaluated points breach.
 */
export function evaluateAlarmRange(
    rule: AlarmRule,
    range: ReadonlyArray<{ readonly periodStartMs: number; readonly value: number | undefined }>,
    previousState: AlarmState,
): AlarmEvaluation {
    const { test, words } = COMPARISONS[rule.comparisonOperator];
    const present = range.filter((point): point is { periodStartMs: number; value: number } => point.value !== undefined);
    const evaluated = present.slice(0, rule.evaluationPeriods);
    const filled = rule.evaluationPeriods - evaluated.length;
    if (evaluated.length === 0) {
        switch (rule.treatMissingData) {
            case "missing":
                return { state: "INSUFFICIENT_DATA", reason: `Insufficient Data: ${rule.evaluationPeriods} datapoints were unknown.` };
            case "ignore":
                return {
                    state: previousState,
                    reason: `No datapoints in the evaluation range: state kept as ${previousState} (treatMissingData ignore).`,
                };
            case "breaching":
            case "notBreaching":
                break;
        }
    }
    const fillBreaches = rule.treatMissingData === "breaching" ? filled : 0;
    const breaching = evaluated.filter((point) => test(point.value, rule.threshold)).length + fillBreaches;
    const listed = evaluated.map((point) => `${point.value} (${new Date(point.periodStartMs).toISOString()})`).join(", ");
    const missingNote =
        filled > 0 && (rule.treatMissingData === "breaching" || rule.treatMissingData === "notBreaching")
            ? `, ${filled} missing treated as ${rule.treatMissingData}`
            : "";
    const total =
        rule.treatMissingData === "breaching" || rule.treatMissingData === "notBreaching" ? rule.evaluationPeriods : evaluated.length;
    const summary = `${breaching} out of the last ${total} datapoints [${listed}${missingNote}] were ${words} the threshold (${rule.threshold}) (minimum ${rule.datapointsToAlarm} datapoints for ALARM).`;
    return breaching >= rule.datapointsToAlarm
        ? { state: "ALARM", reason: `Threshold Crossed: ${summary}` }
        : { state: "OK", reason: `Threshold not crossed: ${summary}` };
}

/** A composite alarm rule, parsed. */
export type AlarmRuleExpr =
    | { readonly type: "state"; readonly state: AlarmState; readonly alarmName: string }
    | { readonly type: "constant"; readonly value: boolean }
    | { readonly type: "not"; readonly operand: AlarmRuleExpr }
    | { readonly type: "and" | "or"; readonly left: AlarmRuleExpr; readonly right: AlarmRuleExpr };

/**
 * Parses a composite alarm rule: ALARM("name"), OK("name"), INSUFFICIENT_DATA("name") (quotes optional),
 * AND, OR, NOT, parentheses, TRUE, FALSE. Throws a ValidationError naming what is wrong.
 */
export function parseAlarmRule(rule: string): AlarmRuleExpr {
    const tokens = rule.match(/"(?:[^"\\]|\\.)*"|[()]|[^\s()"]+/g) ?? [];
    let at = 0;
    const fail = (message: string): never => {
        throw invalid(`AlarmRule '${rule}' is invalid: ${message}.`);
    };
    const orLevel = (): AlarmRuleExpr => {
        let left = andLevel();
        while (tokens[at] === "OR") {
            at++;
            left = { type: "or", left, right: andLevel() };
        }
        return left;
    };
    const andLevel = (): AlarmRuleExpr => {
        let left = notLevel();
        while (tokens[at] === "AND") {
            at++;
            left = { type: "and", left, right: notLevel() };
        }
        return left;
    };
    const notLevel = (): AlarmRuleExpr => {
        if (tokens[at] === "NOT") {
            at++;
            return { type: "not", operand: notLevel() };
        }
        return primary();
    };
    const primary = (): AlarmRuleExpr => {
        const token = tokens[at++];
        if (token === undefined) return fail("it ends too early");
        if (token === "TRUE" || token === "FALSE") return { type: "constant", value: token === "TRUE" };
        if (token === "(") {
            const inner = orLevel();
            if (tokens[at++] !== ")") fail("a '(' is not closed");
            return inner;
        }
        if (token === "ALARM" || token === "OK" || token === "INSUFFICIENT_DATA") {
            if (tokens[at++] !== "(") fail(`${token} must be followed by (alarm name)`);
            const nameToken = tokens[at++];
            if (nameToken === undefined || nameToken === ")") return fail(`${token}() needs an alarm name`);
            if (tokens[at++] !== ")") fail(`${token}(${nameToken} is not closed`);
            const alarmName = nameToken.startsWith('"') ? (JSON.parse(nameToken) as string) : nameToken;
            return { type: "state", state: token, alarmName };
        }
        return fail(`unexpected '${token}'`);
    };
    const expr = orLevel();
    if (at < tokens.length) fail(`unexpected '${tokens[at]}'`);
    return expr;
}

/** The alarm names a rule reads. */
export function alarmRuleNames(expr: AlarmRuleExpr): string[] {
    switch (expr.type) {
        case "state":
            return [expr.alarmName];
        case "constant":
            return [];
        case "not":
            return alarmRuleNames(expr.operand);
        case "and":
        case "or":
            return [...alarmRuleNames(expr.left), ...alarmRuleNames(expr.right)];
    }
}

/** Whether a rule holds given the current state of every alarm it names. */
export function evaluateAlarmRule(expr: AlarmRuleExpr, stateOf: (alarmName: string) => AlarmState): boolean {
    switch (expr.type) {
        case "state":
            return stateOf(expr.alarmName) === expr.state;
        case "constant":
            return expr.value;
        case "not":
            return !evaluateAlarmRule(expr.operand, stateOf);
        case "and":
            return evaluateAlarmRule(expr.left, stateOf) && evaluateAlarmRule(expr.right, stateOf);
        case "or":
            return evaluateAlarmRule(expr.left, stateOf) || evaluateAlarmRule(expr.right, stateOf);
    }
}
