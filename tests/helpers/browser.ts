/**
 * Headless Chromium for the tests that look at a page as a person would: Debian's `chromium` (`.ci/run` installs
 * it when missing), driven by playwright-core (which downloads no browser of its own). The flags keep Chromium
 * off the network it would otherwise reach for at every start (updates, sync, QUIC), which this closed machine
 * refuses.
 */
import * as fs from "fs";
import { chromium, type Browser, type Page } from "playwright-core";

/** Where Chromium is: `CHROMIUM_PATH`, else Debian's. */
export function chromiumPath(env: NodeJS.ProcessEnv = process.env): string {
    const file = env.CHROMIUM_PATH ?? "/usr/bin/chromium";
    if (!fs.existsSync(file)) {
        throw new Error(
            `no Chromium at ${file}: install Debian's (\`apt-get install -y --no-install-recommends chromium\`; bash .ci/run does it when missing) or set CHROMIUM_PATH`,
        );
    }
    return file;
}

export const CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
];

export function launchChromium(): Promise<Browser> {
    return chromium.launch({ executablePath: chromiumPath(), headless: true, args: CHROMIUM_FLAGS });
}

/** What a page did while it loaded: console errors, uncaught exceptions, and every request but its own file. */
export interface PageWatch {
    readonly consoleErrors: string[];
    readonly requests: string[];
}

/**
 * Opens a local file in a new page and watches it: any request other than the file itself is recorded and
 * refused (so a page that would fetch something fails its test instead of waiting on the network).
 */
export async function openFile(
    browser: Browser,
    file: string,
    viewport = { width: 1200, height: 900 },
): Promise<{ page: Page; watch: PageWatch }> {
    const page = await browser.newPage({ viewport });
    const url = `file://${file}`;
    const watch: PageWatch = { consoleErrors: [], requests: [] };
    page.on("console", (m) => {
        if (m.type() === "error") watch.consoleErrors.push(m.text());
    });
    page.on("pageerror", (e) => watch.consoleErrors.push(e.message));
    await page.route("**/*", (route) => {
        const asked = route.request().url();
        if (asked === url) return route.continue();
        watch.requests.push(asked);
        return route.abort();
    });
    await page.goto(url, { waitUntil: "load" });
    return { page, watch };
}
