/**
 * `npm run docs:images`: the screenshots in docs/img that README and docs/gates.md show, taken as a person sees
 * them, in headless Chromium: the HTML report of a rehearsed bad canary and of a healthy rollout (the top of the
 * page: the outcome and why, the weight, the deciding function's charts), and one bench plot (drawn from
 * bench/results by `npm run bench:plots`). Rehearsals are seeded, so the pictures change only when the code does.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { PROJECT_ROOT } from "../../automation/engine/evaluate";
import { rehearse } from "../../automation/rehearsal/rehearse";
import { readScenario } from "../../automation/rehearsal/scenario";
import { reportPage } from "../../automation/cli/reportCommand";
import { launchChromium, openFile } from "./browser";
import { memoryLog } from "./fakes";

const IMG = path.join(PROJECT_ROOT, "docs", "img");

async function main(): Promise<void> {
    const work = fs.mkdtempSync(path.join(os.tmpdir(), "lambda-rollout-docs-images-"));
    const browser = await launchChromium();
    try {
        for (const name of ["bad-canary", "healthy"]) {
            const { report } = await rehearse({
                stack: "prod",
                scenario: readScenario(path.join(PROJECT_ROOT, "scenarios", `${name}.json`)),
                log: memoryLog(),
            });
            const file = path.join(work, `${name}.html`);
            fs.writeFileSync(file, await reportPage(report));
            const { page, watch } = await openFile(browser, file, { width: 1180, height: 900 });
            if (watch.consoleErrors.length || watch.requests.length)
                throw new Error(`${name}: ${[...watch.consoleErrors, ...watch.requests].join("; ")}`);
            // From the top to the end of the first function's chart: what an on-call engineer reads first.
            const bottom = await page.$eval("figure[data-chart^='function-']", (f) => f.getBoundingClientRect().bottom + window.scrollY);
            const shot = path.join(IMG, `report-${name}.png`);
            await page.screenshot({ path: shot, fullPage: true, clip: { x: 0, y: 0, width: 1180, height: Math.ceil(bottom) + 16 } });
            await page.close();
            console.log(`wrote ${path.relative(PROJECT_ROOT, shot)}`);
        }
        const plot = path.join(IMG, "bench-blast-radius.svg");
        const holder = path.join(work, "plot.html");
        fs.writeFileSync(
            holder,
            `<!DOCTYPE html><html><body style="margin:12px;background:#fff">${fs.readFileSync(plot, "utf8")}</body></html>`,
        );
        const { page } = await openFile(browser, holder, { width: 1180, height: 900 });
        const box = (await page.$("svg"))!;
        await box.screenshot({ path: path.join(IMG, "bench-blast-radius.png") });
        console.log(`wrote ${path.relative(PROJECT_ROOT, path.join(IMG, "bench-blast-radius.png"))}`);
    } finally {
        await browser.close();
    }
}

main().catch((err) => {
    console.error(err instanceof Error ? err.message : err);
    process.exitCode = 1;
});
