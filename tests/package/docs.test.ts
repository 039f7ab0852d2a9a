import { expect } from "chai";
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { PROJECT_ROOT } from "../../automation/engine/evaluate";
import { ensureCompiled } from "../helpers/compiled";

/** npm, as on the PATH of whoever runs the tests. */
const npm = (args: string[], cwd: string) => execFileSync("npm", args, { cwd, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });

/** The relative links of a Markdown text (`[text](target)`), anchors and web addresses left out. */
export function relativeLinks(markdown: string): string[] {
    return [...markdown.matchAll(/\]\(([^)\s]+)\)/g)].map((m) => m[1].split("#")[0]).filter((t) => t !== "" && !/^[a-z]+:/i.test(t));
}

/**
 * The package as `npm pack` makes it (what `npm i -g <tarball>` installs): every link in its README and docs
 * resolves to a file inside it, and every TypeScript block in its docs compiles against it.
 */
describe("the packed package (npm pack)", function () {
    this.timeout(240_000);
    let scratch: string;
    let packed: string;
    let files: string[];

    before(() => {
        // What `npm ci` runs as `prepare`, so the tarball holds this checkout's dist/ (built once per test run).
        ensureCompiled();
        scratch = fs.mkdtempSync(path.join(os.tmpdir(), "lambda-rollout-pack-"));
        const [info] = JSON.parse(npm(["pack", "--json", "--ignore-scripts", "--pack-destination", scratch], PROJECT_ROOT)) as {
            filename: string;
            files: { path: string }[];
        }[];
        files = info.files.map((f) => f.path);
        packed = path.join(scratch, "node_modules", "lambda-rollout");
        fs.mkdirSync(packed, { recursive: true });
        execFileSync("tar", ["-xzf", path.join(scratch, info.filename), "-C", packed, "--strip-components=1"]);
    });

    after(() => fs.rmSync(scratch, { recursive: true, force: true }));

    it("is publishable: no `private`, and a name, license, repository and keywords", () => {
        const pkg = JSON.parse(fs.readFileSync(path.join(packed, "package.json"), "utf8"));
        expect(pkg.private).to.equal(undefined);
        expect(pkg.name).to.equal("lambda-rollout");
        expect(pkg.license).to.be.a("string").and.not.equal("");
        expect(pkg.repository.url).to.be.a("string");
        expect(pkg.keywords).to.include.members(["pulumi", "lambda", "canary"]);
    });

    it("every link in the packed README and docs resolves to a file inside the tarball", () => {
        const docs = files.filter((f) => f === "README.md" || /^docs\/.*\.md$/.test(f));
        expect(docs).to.include.members(["README.md", "docs/adopting.md", "docs/runbook.md", "docs/design.md"]);
        const broken: string[] = [];
        let checked = 0;
        for (const doc of docs) {
            for (const link of relativeLinks(fs.readFileSync(path.join(packed, doc), "utf8"))) {
                const target = path.posix.normalize(path.posix.join(path.posix.dirname(doc), link));
                checked++;
                if (!files.includes(target) && !files.some((f) => f.startsWith(`${target.replace(/\/$/, "")}/`)))
                    broken.push(`${doc}: ${link}`);
            }
        }
        expect(broken).to.deep.equal([]);
        expect(checked).to.be.greaterThan(5);
    });

    it("holds the scenarios the README names, the worked example and the config schema", () => {
        const readme = fs.readFileSync(path.join(packed, "README.md"), "utf8");
        const named = [...new Set([...readme.matchAll(/scenarios\/[\w/-]+\.json/g)].map((m) => m[0]))];
        expect(named.length).to.be.greaterThan(1);
        expect(named.filter((f) => !files.includes(f))).to.deep.equal([]);
        expect(files).to.include.members(["examples/existing-project/index.ts", "config/stackConfig.ts", "dist/automation/cli.js"]);
    });

    it("every TypeScript block in docs/ compiles against the packed package", () => {
        // The package's own dependencies, as an install would have them beside it.
        for (const dep of fs.readdirSync(path.join(PROJECT_ROOT, "node_modules"))) {
            const link = path.join(scratch, "node_modules", dep);
            if (!fs.existsSync(link)) fs.symlinkSync(path.join(PROJECT_ROOT, "node_modules", dep), link);
        }
        const blocks = files
            .filter((f) => /^docs\/.*\.md$/.test(f))
            .flatMap((doc) =>
                [...fs.readFileSync(path.join(packed, doc), "utf8").matchAll(/```(?:ts|typescript)\n([\s\S]*?)```/g)].map((m, i) => ({
                    file: `${path.basename(doc, ".md")}-${i + 1}.ts`,
                    code: m[1],
                })),
            );
        expect(blocks.length).to.be.greaterThan(0);
        for (const b of blocks) fs.writeFileSync(path.join(scratch, b.file), b.code);
        fs.writeFileSync(
            path.join(scratch, "tsconfig.json"),
            JSON.stringify({
                compilerOptions: {
                    strict: true,
                    module: "nodenext",
                    moduleResolution: "nodenext",
                    target: "es2022",
                    noEmit: true,
                    types: ["node"],
                    skipLibCheck: true,
                },
                files: blocks.map((b) => b.file),
            }),
        );
        let output = "";
        try {
            execFileSync(process.execPath, [path.join(PROJECT_ROOT, "node_modules", "typescript", "bin", "tsc"), "-p", scratch], {
                encoding: "utf8",
            });
        } catch (err) {
            output = (err as { stdout?: string }).stdout ?? String(err);
        }
        expect(output).to.equal("");
    });
});
