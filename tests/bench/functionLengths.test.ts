import { expect } from "chai";
import { functionLengths, longestFunctions } from "../../bench/functionLengths";

const SOURCE = `/** A doc comment: not code. */
export function plan(a: number): number {
    // a comment line: not code

    const double = (x: number) => {
        return x * 2;
    };
    return double(a);
}

class Loop {
    /** Walks the steps. */
    walk(): string {
        return \`first line
// inside a template: code\`;
    }
}
`;

describe("bench/functionLengths.ts: the lines max-lines-per-function counts", () => {
    it("counts code lines (blank and comment-only lines skipped) and the whole span, nested functions on their own", () => {
        const rows = functionLengths("example.ts", SOURCE).map((r) => [r.name, r.line, r.codeLines, r.spanLines]);
        expect(rows).to.deep.equal([
            ["plan", 2, 6, 8],
            ["double", 5, 3, 3],
            ["Loop.walk", 13, 4, 4],
        ]);
    });

    it("automation/rollout: the longest function stays within the lint rule's 60 lines", () => {
        const [longest] = longestFunctions("automation/rollout", 1);
        expect(longest.codeLines).to.be.at.most(60);
        expect(longest.file).to.match(/^automation\/rollout\//);
    });
});
