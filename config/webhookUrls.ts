/**
 * Where a webhook may be posted: https, or plain http only to this machine (a test's or a sidecar's receiver on
 * a loopback address). The rollout's context and its notifications say which versions are live and why; over
 * plain http to another host anyone on the path can read them or answer in a hook's place. One rule, checked when
 * config is validated (a URL written in config) and again before each POST (adapters/webhook.ts: a URL from an
 * environment variable, known only at run time). Nothing here echoes the URL: it may be a credential.
 */

/** The rule, for people: what a webhook's URL must be. */
export const WEBHOOK_URL_RULE = "must be an https URL (plain http only to a loopback host: 127.0.0.0/8, [::1] or localhost)";

/** Is `hostname` (as URL parses it: IPv4 normalized, IPv6 in brackets) this machine's loopback? */
export function isLoopbackHost(hostname: string): boolean {
    const host = hostname.toLowerCase().replace(/\.$/, "");
    return host === "localhost" || host === "[::1]" || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

/** Why `text` may not be a webhook's URL (never quoting it), or undefined when it may. */
export function webhookUrlProblem(text: string): string | undefined {
    let url: URL;
    try {
        url = new URL(text);
    } catch {
        return "is not a URL";
    }
    if (url.protocol === "https:") return undefined;
    if (url.protocol === "http:") return isLoopbackHost(url.hostname) ? undefined : "is plain http to a host that is not loopback";
    return `has the scheme ${url.protocol.replace(/:$/, "")}`;
}
