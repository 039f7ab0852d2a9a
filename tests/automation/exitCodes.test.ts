import { expect } from "chai";
import * as fs from "fs";
import * as path from "path";
import { EXIT_CODE_MEANINGS, ExitCode } from "../../automation/exitCodes";
import { PROJECT_ROOT } from "../../automation/engine/evaluate";

const read = (file: string) => fs.readFileSync(path.join(PROJECT_ROOT, file), "utf8");

/** The paragraph of `text` that starts with `heading` (up to the next blank line after it). */
function paragraphAfter(text: string, heading: string): string {
    const start = text.indexOf(heading);
    expect(start, `"${heading}" not found`).to.be.at.least(0);
    const rest = text.slice(start + heading.length).replace(/^\s*\n/, "");
    return rest.split(/\n\s*\n/)[0];
}

describe("exit codes: one table (automation/exitCodes.ts) that the docs and the workflow follow", () => {
    const codes = Object.values(ExitCode);

    it("every code has its meaning in the table", () => {
        for (const code of codes) expect(EXIT_CODE_MEANINGS[code], `code ${code}`).to.be.a("string").with.length.above(10);
    });

    it("the README lists every code of the table, and no other", () => {
        const paragraph = paragraphAfter(read("README.md"), "Exit codes of promote, rollback and rehearse:");
        const listed = [...paragraph.matchAll(/\*\*(\d+)\*\*/g)].map((m) => Number(m[1]));
        expect([...listed].sort((a, b) => a - b)).to.deep.equal([...codes].sort((a, b) => a - b));
    });

    it("docs/design.md lists every code of the table", () => {
        const paragraph = paragraphAfter(read("docs/design.md"), "### Exit codes of promote, rollback and rehearse");
        for (const code of codes) expect(paragraph, `code ${code}`).to.match(new RegExp(`(^|[^\\d])${code}([^\\d]|$)`));
    });

    it("the workflows restate no code: their log line comes from the table (reportSummary.ts --exit-line)", () => {
        for (const file of [".github/workflows/promote.yml", ".github/workflows/rollback.yml"]) {
            const workflow = read(file);
            expect(workflow, file).to.contain('reportSummary.ts --exit-line "$code"');
            expect(workflow, file).not.to.match(/^\s+case "\$code"/m);
        }
    });
});
