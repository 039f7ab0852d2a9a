/**
 * CloudWatch metric math, the subset the rollout gates use: arithmetic, comparisons, logic, FILL, IF and
 * the array aggregates. Parsing and evaluation are pure functions of the expression text and the input
 * series, so they are tested by tables without a simulator.
 */

/** A time series: period start (ms since the epoch) -> value. */
export type Series = ReadonlyMap<number, number>;

/** A parsed expression. */
export type MathExpr =
    | { readonly type: "number"; readonly value: number }
    | { readonly type: "ref"; readonly id: string }
    | { readonly type: "unary"; readonly op: "-" | "NOT"; readonly operand: MathExpr }
    | { readonly type: "binary"; readonly op: BinaryOp; readonly left: MathExpr; readonly right: MathExpr }
    | { readonly type: "call"; readonly name: string; readonly args: readonly MathExpr[] }
    | { readonly type: "array"; readonly items: readonly MathExpr[] };

/** Binary operators, by the symbol CloudWatch uses (AND/OR also accept && and ||). */
export type BinaryOp = "+" | "-" | "*" | "/" | "^" | ">" | "<" | ">=" | "<=" | "==" | "!=" | "AND" | "OR";

/**
 * Raised for an expression CloudWatch would reject; GetMetricData turns it into a ValidationError
 * that names the query.
 */
export class MetricMathError extends Error {
    constructor(message: string) {
        super(message);
        this.name = "MetricMathError";
    }
}

/** The functions this simulator evaluates; anything else is rejected by name rather than mis-evaluated. */
export const SUPPORTED_FUNCTIONS: readonly string[] = ["FILL", "IF", "SUM", "MAX", "MIN", "AVG"];

type Token = { kind: "number"; value: number } | { kind: "name"; value: string } | { kind: "op"; value: string };

const OPERATORS = [">=", "<=", "==", "!=", "&&", "||", ">", "<", "+", "-", "*", "/", "^", "(", ")", "[", "]", ","];

function tokenize(text: string): Token[] {
    const tokens: Token[] = [];
    let at = 0;
    while (at < text.length) {
        const rest = text.slice(at);
        const space = /^\s+/.exec(rest);
        if (space) {
            at += space[0].length;
            continue;
        }
        const number = /^(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?/.exec(rest);
        if (number) {
            tokens.push({ kind: "number", value: Number(number[0]) });
            at += number[0].length;
            continue;
        }
        const name = /^[A-Za-z_][A-Za-z0-9_]*/.exec(rest);
        if (name) {
            tokens.push({ kind: "name", value: name[0] });
            at += name[0].length;
            continue;
        }
        const op = OPERATORS.find((candidate) => rest.startsWith(candidate));
        if (!op) throw new MetricMathError(`unexpected character '${rest[0]}' at position ${at}`);
        tokens.push({ kind: "op", value: op });
        at += op.length;
    }
    return tokens;
}

/** Parses an expression; throws MetricMathError on a syntax error or an unsupported function (named). */
export function parseExpression(text: string): MathExpr {
    const tokens = tokenize(text);
    let at = 0;
    const peek = (): Token | undefined => tokens[at];
    const isOp = (value: string): boolean => peek()?.kind === "op" && peek()?.value === value;
    const isWord = (word: string): boolean => {
        const token = peek();
        return token?.kind === "name" && token.value.toUpperCase() === word;
    };
    const expect = (value: string): void => {
        if (!isOp(value)) throw new MetricMathError(`expected '${value}' at token ${at + 1} of "${text}"`);
        at++;
    };

    const binaryLevel =
        (ops: readonly string[], next: () => MathExpr): (() => MathExpr) =>
        () => {
            let left = next();
            for (;;) {
                const token = peek();
                if (!token) return left;
                const symbol = token.kind === "op" ? token.value : token.kind === "name" ? token.value.toUpperCase() : "";
                if (!ops.includes(symbol)) return left;
                at++;
                const op = (symbol === "&&" ? "AND" : symbol === "||" ? "OR" : symbol) as BinaryOp;
                left = { type: "binary", op, left, right: next() };
            }
        };

    const primary = (): MathExpr => {
        const token = peek();
        if (!token) throw new MetricMathError(`unexpected end of expression "${text}"`);
        if (token.kind === "number") {
            at++;
            return { type: "number", value: token.value };
        }
        if (isOp("(")) {
            at++;
            const inner = orLevel();
            expect(")");
            return inner;
        }
        if (isOp("[")) {
            at++;
            const items: MathExpr[] = [];
            if (!isOp("]")) {
                items.push(orLevel());
                while (isOp(",")) {
                    at++;
                    items.push(orLevel());
                }
            }
            expect("]");
            return { type: "array", items };
        }
        if (token.kind === "name") {
            at++;
            if (isOp("(")) {
                const name = token.value.toUpperCase();
                if (!SUPPORTED_FUNCTIONS.includes(name)) {
                    throw new MetricMathError(
                        `unsupported expression function ${token.value}; supported: ${SUPPORTED_FUNCTIONS.join(", ")}`,
                    );
                }
                at++;
                const args: MathExpr[] = [];
                if (!isOp(")")) {
                    args.push(orLevel());
                    while (isOp(",")) {
                        at++;
                        args.push(orLevel());
                    }
                }
                expect(")");
                checkArity(name, args.length);
                return { type: "call", name, args };
            }
            return { type: "ref", id: token.value };
        }
        throw new MetricMathError(`unexpected '${token.value}' in "${text}"`);
    };

    const power = (): MathExpr => {
        const base = unary();
        if (!isOp("^")) return base;
        at++;
        return { type: "binary", op: "^", left: base, right: power() };
    };
    const unary = (): MathExpr => {
        if (isOp("-")) {
            at++;
            return { type: "unary", op: "-", operand: unary() };
        }
        if (isOp("+")) {
            at++;
            return unary();
        }
        if (isWord("NOT")) {
            at++;
            return { type: "unary", op: "NOT", operand: unary() };
        }
        return primary();
    };
    const multiplicative = binaryLevel(["*", "/"], power);
    const additive = binaryLevel(["+", "-"], multiplicative);
    const comparison = binaryLevel([">", "<", ">=", "<=", "==", "!="], additive);
    const andLevel = binaryLevel(["AND", "&&"], comparison);
    const orLevel: () => MathExpr = binaryLevel(["OR", "||"], andLevel);

    if (tokens.length === 0) throw new MetricMathError("empty expression");
    const expr = orLevel();
    if (at < tokens.length) {
        const token = tokens[at];
        throw new MetricMathError(`unexpected '${token.value}' after the end of the expression "${text}"`);
    }
    return expr;
}

function checkArity(name: string, count: number): void {
    const [min, max] = name === "FILL" ? [2, 2] : name === "IF" ? [2, 3] : [1, 1];
    if (count < min || count > max) {
        throw new MetricMathError(`${name} takes ${min === max ? min : `${min} or ${max}`} arguments, got ${count}`);
    }
}

/** The query ids an expression reads, for validation and evaluation order. */
export function referencedIds(expr: MathExpr): string[] {
    switch (expr.type) {
        case "number":
            return [];
        case "ref":
            return [expr.id];
        case "unary":
            return referencedIds(expr.operand);
        case "binary":
            return [...referencedIds(expr.left), ...referencedIds(expr.right)];
        case "call":
            return expr.args.flatMap(referencedIds);
        case "array":
            return expr.items.flatMap(referencedIds);
    }
}

/** What an expression can evaluate to: a scalar, a series, or an array of series (inside SUM([...]) etc.). */
export type MathValue = number | Series | readonly Series[];

/** The inputs of an evaluation. */
export interface MathContext {
    /** Values of the other queries, by id. */
    readonly values: ReadonlyMap<string, MathValue>;
    /** Every timestamp any series of the request has (what a scalar result spreads over). */
    readonly allTimestamps: readonly number[];
    /**
     * Every period of the requested range (what FILL fills: CloudWatch fills the range asked for, the newest
     * minutes without data included). Defaults to `allTimestamps`.
     */
    readonly rangeTimestamps?: readonly number[];
}

const isSeries = (value: MathValue): value is Series => value instanceof Map;
const isArray = (value: MathValue): value is readonly Series[] => Array.isArray(value);

/**
 * Evaluates an expression as CloudWatch does ("Using metric math",
 * https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/using-metric-math.html): series are aligned on
 * timestamps, and where one operand has a point and the other none, the missing value counts as 0 in arithmetic
 * and comparisons; IF gives 0 where the branch it picks has no value; FILL fills every period of the requested
 * range. Non-finite results (x/0) give no point.
 */
export function evaluateExpression(expr: MathExpr, context: MathContext): MathValue {
    switch (expr.type) {
        case "number":
            return expr.value;
        case "ref": {
            const value = context.values.get(expr.id);
            if (value === undefined) throw new MetricMathError(`unknown id ${expr.id}`);
            return value;
        }
        case "array":
            return expr.items.map((item) => {
                const value = evaluateExpression(item, context);
                if (isArray(value)) throw new MetricMathError("arrays cannot be nested");
                return isSeries(value) ? value : constantSeries(value, context.allTimestamps);
            });
        case "unary": {
            const operand = evaluateExpression(expr.operand, context);
            return mapValue(operand, expr.op === "-" ? (v) => -v : (v) => (v === 0 ? 1 : 0));
        }
        case "binary":
            return combine(evaluateExpression(expr.left, context), evaluateExpression(expr.right, context), BINARY[expr.op]);
        case "call":
            return evaluateCall(expr.name, expr.args, context);
    }
}

const truth = (b: boolean): number => (b ? 1 : 0);
const BINARY: Record<BinaryOp, (a: number, b: number) => number> = {
    "+": (a, b) => a + b,
    "-": (a, b) => a - b,
    "*": (a, b) => a * b,
    "/": (a, b) => a / b,
    "^": (a, b) => a ** b,
    ">": (a, b) => truth(a > b),
    "<": (a, b) => truth(a < b),
    ">=": (a, b) => truth(a >= b),
    "<=": (a, b) => truth(a <= b),
    "==": (a, b) => truth(a === b),
    "!=": (a, b) => truth(a !== b),
    AND: (a, b) => truth(a !== 0 && b !== 0),
    OR: (a, b) => truth(a !== 0 || b !== 0),
};

function mapValue(value: MathValue, f: (v: number) => number): MathValue {
    if (isArray(value)) return value.map((series) => mapSeries(series, f));
    if (isSeries(value)) return mapSeries(value, f);
    return f(value);
}

function mapSeries(series: Series, f: (v: number) => number): Series {
    const result = new Map<number, number>();
    for (const [ts, v] of series) setFinite(result, ts, f(v));
    return result;
}

function setFinite(series: Map<number, number>, ts: number, value: number): void {
    if (Number.isFinite(value)) series.set(ts, value);
}

function combine(left: MathValue, right: MathValue, f: (a: number, b: number) => number): MathValue {
    if (isArray(left) || isArray(right)) {
        if (isArray(left) && isArray(right)) throw new MetricMathError("cannot combine two arrays of series");
        return isArray(left)
            ? left.map((s) => combine(s, right, f) as Series)
            : (right as readonly Series[]).map((s) => combine(left, s, f) as Series);
    }
    if (!isSeries(left) && !isSeries(right)) return f(left, right);
    if (!isSeries(left)) return mapSeries(right as Series, (v) => f(left, v));
    if (!isSeries(right)) return mapSeries(left, (v) => f(v, right));
    const result = new Map<number, number>();
    for (const ts of new Set([...left.keys(), ...right.keys()])) setFinite(result, ts, f(left.get(ts) ?? 0, right.get(ts) ?? 0));
    return new Map([...result].sort((a, b) => a[0] - b[0]));
}

function constantSeries(value: number, timestamps: readonly number[]): Series {
    const result = new Map<number, number>();
    for (const ts of timestamps) setFinite(result, ts, value);
    return result;
}

function evaluateCall(name: string, args: readonly MathExpr[], context: MathContext): MathValue {
    const values = args.map((arg) => evaluateExpression(arg, context));
    switch (name) {
        case "FILL": {
            const fillWith = values[1];
            if (typeof fillWith !== "number") throw new MetricMathError("FILL takes a number as its second argument");
            return mapFilled(values[0], fillWith, context.rangeTimestamps ?? context.allTimestamps);
        }
        case "IF":
            return evaluateIf(values[0], values[1], values[2]);
        default:
            return aggregate(name, values[0]);
    }
}

function mapFilled(value: MathValue, fillWith: number, timestamps: readonly number[]): MathValue {
    if (isArray(value)) return value.map((series) => mapFilled(series, fillWith, timestamps) as Series);
    if (!isSeries(value)) return value;
    const result = new Map<number, number>(value);
    for (const ts of timestamps) if (!result.has(ts)) result.set(ts, fillWith);
    return result;
}

function evaluateIf(condition: MathValue, whenTrue: MathValue, whenFalse: MathValue | undefined): MathValue {
    if (isArray(condition) || isArray(whenTrue) || (whenFalse !== undefined && isArray(whenFalse))) {
        throw new MetricMathError("IF takes series or numbers, not arrays");
    }
    const at = (value: MathValue | undefined, ts: number): number | undefined =>
        value === undefined ? undefined : isSeries(value) ? value.get(ts) : (value as number);
    if (!isSeries(condition)) {
        if (condition !== 0) return whenTrue;
        return whenFalse ?? 0;
    }
    const result = new Map<number, number>();
    for (const [ts, c] of condition) setFinite(result, ts, at(c !== 0 ? whenTrue : whenFalse, ts) ?? 0);
    return result;
}

const AGGREGATES: Record<string, (values: number[]) => number> = {
    SUM: (values) => values.reduce((a, b) => a + b, 0),
    MAX: (values) => Math.max(...values),
    MIN: (values) => Math.min(...values),
    AVG: (values) => values.reduce((a, b) => a + b, 0) / values.length,
};

/**
 * SUM/MAX/MIN/AVG as CloudWatch defines them: over an array, one series whose point at each timestamp
 * aggregates the series that have a point there; over one series, a scalar over its points.
 */
function aggregate(name: string, value: MathValue): MathValue {
    const f = AGGREGATES[name];
    if (typeof value === "number") return value;
    if (isSeries(value)) return value.size === 0 ? NaN : f([...value.values()]);
    const byTimestamp = new Map<number, number[]>();
    for (const series of value) {
        for (const [ts, v] of series) {
            const bucket = byTimestamp.get(ts);
            if (bucket) bucket.push(v);
            else byTimestamp.set(ts, [v]);
        }
    }
    const result = new Map<number, number>();
    for (const [ts, points] of byTimestamp) setFinite(result, ts, f(points));
    return result;
}
