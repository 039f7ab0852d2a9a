import { expect } from "chai";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { PROJECT_ROOT } from "../../automation/engine/evaluate";
import { COMPILED_CLI } from "../helpers/cli";
import { ensureCompiled } from "../helpers/compiled";

/** The README's transcripts: each `$ npx lambda-rollout ...` line of a sh block and the lines it printed. */
function transcripts(readme: string): { command: string; expected: string[] }[] {
    const out: { command: string; expected: string[] }[] = [];
    for (const block of readme.matchAll(/```sh\n([\s\S]*?)```/g)) {
        for (const line of block[1].split("\n")) {
            if (line.startsWith("$ ")) out.push({ command: line.slice(2), expected: [] });
            else if (out.length > 0 && line !== "" && block[1].includes(`$ ${out[out.length - 1].command}`))
                out[out.length - 1].expected.push(line);
        }
    }
    return out.filter((t) => t.command.includes("npx lambda-rollout"));
}

/** A printed line as the README writes it: `...` stands for what varies (a commit, a folder, the rest of a line). */
const pattern = (line: string) =>
    new RegExp(
        `^${line
            .split("...")
            .map((p) => p.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"))
            .join(".*")}$`,
    );

/**
 * The README's offline transcripts stay true: each command is run (the compiled bin, as `npx lambda-rollout` runs it
 * in this repository) and must print the lines shown, with their figures (plan's resource count, the exit code).
 */
describe("the README's offline commands print what it shows", function () {
    this.timeout(240_000);
    const readme = fs.readFileSync(path.join(PROJECT_ROOT, "README.md"), "utf8");
    const runs = transcripts(readme);
    let home: string;

    before(() => {
        ensureCompiled();
        home = fs.mkdtempSync(path.join(os.tmpdir(), "readme-pulumi-home-"));
    });

    it("has transcripts to check", () => {
        expect(runs.map((r) => r.command)).to.include.members([
            "npx lambda-rollout --version",
            "PULUMI_STACK=prod npx lambda-rollout plan | head -2",
        ]);
    });

    for (const { command, expected } of runs) {
        it(command, () => {
            const r = spawnSync("bash", ["-c", command.replaceAll("npx lambda-rollout", `node ${COMPILED_CLI}`)], {
                cwd: PROJECT_ROOT,
                encoding: "utf8",
                env: { PATH: process.env.PATH, HOME: os.tmpdir(), PULUMI_HOME: home, AWS_REGION: "us-east-1" },
            });
            const printed = `${r.stdout}${r.stderr}`.split("\n").filter((l) => l !== "");
            for (const line of expected)
                expect(
                    printed.some((p) => pattern(line).test(p)),
                    `${line}\nnot in:\n${printed.join("\n")}`,
                ).to.equal(true);
        });
    }

    it("the command table names every option `--help` lists for rollback, and no other", () => {
        const row = readme.split("\n").find((l) => l.startsWith("| `npx lambda-rollout rollback "))!;
        const inReadme = [...row.split("|")[1].matchAll(/--[a-z-]+/g)].map((m) => m[0]).sort();
        const help = spawnSync(process.execPath, [COMPILED_CLI, "rollback", "--help"], { encoding: "utf8" }).stdout;
        const inHelp = [...new Set([...help.matchAll(/^\s+(?:-\w, )?(--[a-z-]+)/gm)].map((m) => m[1]))]
            .filter((o) => !["--help", "--stack", "--cwd", "--yes"].includes(o))
            .sort();
        expect(inReadme).to.deep.equal(inHelp);
    });
});
