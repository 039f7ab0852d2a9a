/**
 * Vega-Lite specs to SVG, on the server, without a browser: vega-lite compiles a spec to Vega, and Vega's
 * headless View renders its scenegraph as an SVG string (`View.toSVG()`). Vega and vega-lite are ES modules
 * with a top-level await (vega-canvas probes for the optional `canvas` package), so they are imported
 * dynamically, once.
 */
import type { TopLevelSpec } from "vega-lite";

type Vega = typeof import("vega");
type VegaLite = typeof import("vega-lite");

let libraries: Promise<[Vega, VegaLite]> | undefined;

const load = () => (libraries ??= Promise.all([import("vega"), import("vega-lite")]));

/** One chart as a standalone SVG document; a mark with a description shows it on hover. */
export async function renderSvg(spec: TopLevelSpec): Promise<string> {
    const [vega, vl] = await load();
    // A warning means a spec of ours is wrong (a scale conflict, an unknown field): a bug, never a quiet picture.
    const warnings: string[] = [];
    const logger = vega.logger(vega.Warn, undefined, (_method, _level, input) => warnings.push(input.map(String).join(" ")));
    const compiled = vl.compile(spec, { logger }).spec;
    // No loader: every datum is inline, so rendering never reads a file or the network.
    const view = new vega.View(vega.parse(compiled), { renderer: "none", loader: noLoader(vega), logger });
    try {
        const svg = await view.toSVG();
        if (warnings.length > 0) throw new Error(`a chart's spec is wrong: ${warnings.join("; ")}`);
        return withHoverTitles(shortNumbers(svg));
    } finally {
        view.finalize();
    }
}

/** A Vega loader that refuses every load: a spec asking for a URL is a bug here, not a request to make. */
function noLoader(vega: Vega) {
    const loader = vega.loader();
    loader.load = async (uri: string) => {
        throw new Error(`a chart asked to load ${uri}: charts carry their data inline`);
    };
    return loader;
}

/**
 * The SVG with its coordinates to two decimals (pure): Vega writes up to 16 digits, a twentieth of a pixel is
 * invisible, and the numbers are most of a chart's bytes. Only geometry attributes change, never text.
 */
export function shortNumbers(svg: string): string {
    return svg.replace(
        / (d|transform|points|x|y|x1|x2|y1|y2|width|height)="([^"]*)"/g,
        (_all, name: string, value: string) => ` ${name}="${value.replace(/(\d+\.\d\d)\d+/g, "$1")}"`,
    );
}

const escapeText = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
const unescapeAttr = (s: string) =>
    s
        .replace(/&quot;/g, '"')
        .replace(/&lt;/g, "<")
        .replace(/&gt;/g, ">")
        .replace(/&amp;/g, "&");

/**
 * The SVG with a `<title>` in every mark that has an accessible description (pure). Vega writes a mark's
 * `description` as `aria-label`, which screen readers read and browsers do not show; a browser shows an
 * element's `<title>` child on hover. Only the marks the charts give a description (the markers and step bands)
 * carry one: the specs turn `aria` off for the rest.
 */
export function withHoverTitles(svg: string): string {
    return svg.replace(
        /<(path|line|rect|circle)\b([^>]*?)\baria-label="([^"]*)"([^>]*?)\/>/g,
        (_all, tag: string, before: string, label: string, after: string) =>
            `<${tag}${before}aria-label="${label}"${after}><title>${escapeText(unescapeAttr(label))}</title></${tag}>`,
    );
}
