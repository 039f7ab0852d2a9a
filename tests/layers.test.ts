import { expect } from "chai";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { PROJECT_ROOT } from "../automation/engine/evaluate";

/** The node_modules packages a fresh process loads when it requires `file` (through tsx). */
function packagesLoadedBy(file: string): string[] {
    const probe = `require(${JSON.stringify(file)}); console.log(JSON.stringify([...new Set(Object.keys(require.cache).flatMap((f) => { const m = /node_modules\\/((?:@[^/]+\\/)?[^/]+)\\//.exec(f); return m ? [m[1]] : []; }))]))`;
    const out = spawnSync(process.execPath, ["--import", "tsx", "-e", probe], { cwd: PROJECT_ROOT, encoding: "utf8", timeout: 60_000 });
    expect(out.status, out.stderr).to.equal(0);
    return JSON.parse(out.stdout.trim().split("\n").at(-1)!);
}

describe("layers: the pure rollout logic loads nothing impure", function () {
    this.timeout(60_000);

    it("loading the promote loop (and everything it imports) loads no AWS SDK, no Pulumi runtime, no YAML reader", () => {
        const loaded = packagesLoadedBy(path.join(PROJECT_ROOT, "automation", "rollout", "promote.ts"));
        expect(loaded.filter((p) => /^@aws-sdk\/|^@pulumi\/|^yaml$/.test(p))).to.deep.equal([]);
    });

    for (const pure of ["domain/routing.ts", "domain/text.ts", "components/metricDimensions.ts", "components/deploymentMetrics.ts"]) {
        it(`${pure} (the rule of routing, text made safe, the metric dimension sets, the deployment metrics' names) loads no package at all`, () => {
            // tsx and its esbuild compile the TypeScript.
            expect(packagesLoadedBy(path.join(PROJECT_ROOT, pure)).filter((p) => p !== "tsx" && p !== "esbuild")).to.deep.equal([]);
        });
    }

    it("domain/state.ts (the record's format, read by the program and the tool) loads no package but zod", () => {
        expect(packagesLoadedBy(path.join(PROJECT_ROOT, "domain", "state.ts")).filter((p) => p !== "tsx" && p !== "esbuild")).to.deep.equal(
            ["zod"],
        );
    });

    it("the CloudWatch adapter does not load the Pulumi runtime for its metric dimensions", () => {
        const loaded = packagesLoadedBy(path.join(PROJECT_ROOT, "automation", "adapters", "cloudwatch.ts"));
        expect(loaded.filter((p) => p.startsWith("@pulumi/"))).to.deep.equal([]);
    });
});

describe("layers: the import rules are written once and named in the design", () => {
    it('docs/design.md\'s table under "Layers" names every rule of .dependency-cruiser.cjs, and no other', () => {
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        const rules = (require(path.join(PROJECT_ROOT, ".dependency-cruiser.cjs")) as { forbidden: { name: string }[] }).forbidden.map(
            (r) => r.name,
        );
        const design = fs.readFileSync(path.join(PROJECT_ROOT, "docs", "design.md"), "utf8");
        const section = design.slice(design.indexOf("## Layers"), design.indexOf("\n## ", design.indexOf("## Layers") + 1));
        const named = [...section.matchAll(/^\| `([a-z-]+)` \|/gm)].map((m) => m[1]);
        expect(named.sort()).to.deep.equal([...rules].sort());
    });
});
