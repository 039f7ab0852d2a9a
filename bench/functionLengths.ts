/**
 * The longest functions and methods in a folder, by the lines ESLint's `max-lines-per-function` counts (blank
 * and comment-only lines skipped), with their whole span beside:
 *
 *     npx tsx bench/functionLengths.ts [folder, default automation/rollout] [--top N, default 5]
 *     npm run lines:functions
 *
 * The lint rule (60 lines in automation/rollout/, eslint.config.mjs) only says when one is too long; this says
 * which are closest, so a phase that is growing is seen before it fails the build.
 */
import * as fs from "fs";
import * as path from "path";
import * as ts from "typescript";

/** One function's size. */
export interface FunctionLength {
    /** `Class.method`, the function's or the variable's name, or `<anonymous>`. */
    readonly name: string;
    /** File, relative to the working directory, and the line the function starts on. */
    readonly file: string;
    readonly line: number;
    /** Lines with code: what `max-lines-per-function` with skipBlankLines and skipComments counts. */
    readonly codeLines: number;
    /** Lines from the first to the last, inclusive. */
    readonly spanLines: number;
}

/** The TypeScript files under a folder (declaration files left out), sorted. */
export function sourceFiles(dir: string): string[] {
    return fs
        .readdirSync(dir, { withFileTypes: true, recursive: true })
        .filter((e) => e.isFile() && e.name.endsWith(".ts") && !e.name.endsWith(".d.ts"))
        .map((e) => path.join(e.parentPath, e.name))
        .sort();
}

/** The name a function is known by: its own, its class's and method's, or the variable or property it is assigned to. */
function functionName(node: ts.FunctionLikeDeclaration): string {
    const named = (n: ts.Node | undefined) =>
        n && (ts.isIdentifier(n) || ts.isStringLiteral(n) || ts.isPrivateIdentifier(n)) ? n.text : undefined;
    const own = named(node.name);
    if (ts.isMethodDeclaration(node) || ts.isConstructorDeclaration(node) || ts.isGetAccessor(node) || ts.isSetAccessor(node)) {
        const owner = ts.isClassLike(node.parent) ? (named(node.parent.name) ?? "<class>") : "<object>";
        return `${owner}.${ts.isConstructorDeclaration(node) ? "constructor" : (own ?? "<computed>")}`;
    }
    if (own) return own;
    const parent = node.parent;
    if ((ts.isVariableDeclaration(parent) || ts.isPropertyAssignment(parent) || ts.isPropertyDeclaration(parent)) && named(parent.name)) {
        return named(parent.name)!;
    }
    return "<anonymous>";
}

/** Every function and method in one file with its length; nested functions are counted on their own too (as ESLint does). */
export function functionLengths(file: string, text: string = fs.readFileSync(file, "utf8")): FunctionLength[] {
    const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
    const lineOf = (pos: number) => source.getLineAndCharacterOfPosition(pos).line;
    // A line has code when a token (not a comment, not whitespace) touches it.
    const codeLines = new Set<number>();
    const markTokens = (node: ts.Node): void => {
        if (node.getChildCount(source) === 0) {
            if (node.kind === ts.SyntaxKind.EndOfFileToken) return;
            for (let l = lineOf(node.getStart(source)); l <= lineOf(node.getEnd()); l++) codeLines.add(l);
            return;
        }
        node.getChildren(source).forEach(markTokens);
    };
    markTokens(source);
    const found: FunctionLength[] = [];
    const visit = (node: ts.Node): void => {
        if (ts.isFunctionLike(node) && "body" in node && node.body) {
            const fn = node as ts.FunctionLikeDeclaration;
            const first = lineOf(fn.getStart(source));
            const last = lineOf(fn.getEnd());
            let code = 0;
            for (let l = first; l <= last; l++) if (codeLines.has(l)) code++;
            found.push({
                name: functionName(fn),
                file: path.relative(process.cwd(), file),
                line: first + 1,
                codeLines: code,
                spanLines: last - first + 1,
            });
        }
        ts.forEachChild(node, visit);
    };
    visit(source);
    return found;
}

/** The `top` longest functions in a folder, longest first (by code lines, then span). */
export function longestFunctions(dir: string, top: number): FunctionLength[] {
    return sourceFiles(dir)
        .flatMap((f) => functionLengths(f))
        .sort((a, b) => b.codeLines - a.codeLines || b.spanLines - a.spanLines || a.file.localeCompare(b.file) || a.line - b.line)
        .slice(0, top);
}

/** The table a person reads. */
export function describeLengths(dir: string, rows: readonly FunctionLength[]): string[] {
    return [
        `longest functions in ${dir} (code lines as max-lines-per-function counts them; span = first to last line)`,
        ...rows.map(
            (r, i) =>
                `${String(i + 1).padStart(2)}. ${String(r.codeLines).padStart(4)} code ${String(r.spanLines).padStart(4)} span  ${r.name}  ${r.file}:${r.line}`,
        ),
    ];
}

function main(argv: readonly string[]): number {
    let dir = "automation/rollout";
    let top = 5;
    for (let i = 0; i < argv.length; i++) {
        if (argv[i] === "--top") {
            top = Number(argv[++i]);
            if (!Number.isInteger(top) || top < 1) {
                console.error(`\`--top\` (got ${JSON.stringify(argv[i])}) must be a whole number of at least 1`);
                return 2;
            }
        } else if (argv[i].startsWith("-")) {
            console.error(`unknown option ${argv[i]}: usage: npx tsx bench/functionLengths.ts [folder] [--top N]`);
            return 2;
        } else dir = argv[i];
    }
    if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) {
        console.error(`\`folder\` (got ${JSON.stringify(dir)}): no such directory`);
        return 2;
    }
    console.log(describeLengths(dir, longestFunctions(dir, top)).join("\n"));
    return 0;
}

if (require.main === module) process.exitCode = main(process.argv.slice(2));
