/**
 * A compact live summary of each `pulumi up` the tool runs, from the Automation API's engine events: one line
 * per resource that changed (`~ aws:lambda/alias:Alias api-live update`), warnings and errors, and a closing
 * count (`up: 1 updated, 12 unchanged (45s)`). Pure: the stack driver passes the events, the CLI prints the
 * lines.
 */
import type { EngineEvent, OpType } from "@pulumi/pulumi/automation";
import { formatDuration } from "./output";

/** The Pulumi CLI's symbol of each step, as its own progress view shows it. */
const SYMBOLS: Record<OpType, string> = {
    same: " ",
    create: "+",
    update: "~",
    delete: "-",
    replace: "+-",
    "create-replacement": "++",
    "delete-replaced": "--",
    read: ">",
    "read-replacement": ">>",
    refresh: "~",
    discard: "-",
    "discard-replaced": "--",
    "remove-pending-replace": "-",
    import: "=",
    "import-replacement": "=>",
};

/** How the closing count names each kind of step, in the order it lists them. */
const COUNTED: [OpType, string][] = [
    ["create", "created"],
    ["update", "updated"],
    ["replace", "replaced"],
    ["delete", "deleted"],
    ["import", "imported"],
    ["same", "unchanged"],
];

/** The resource's name in a URN (`urn:pulumi:prod::proj::type$type::name` → `name`). */
export function urnName(urn: string): string {
    const i = urn.lastIndexOf("::");
    return i < 0 ? urn : urn.slice(i + 2);
}

/** A diagnostic's text without the engine's colour directives (`<{%reset%}>`) and trailing newlines. */
function plain(message: string): string {
    return message.replace(/<\{%[^%]*%\}>/g, "").trim();
}

/**
 * The line a person sees for one engine event, or undefined for events the summary leaves out (unchanged
 * resources, the stack itself, previews, info diagnostics, the prelude). Each change is shown when it is
 * done (`resOutputsEvent`), so a line means the step happened.
 */
export function describeEngineEvent(event: EngineEvent): string | undefined {
    const done = event.resOutputsEvent;
    if (done && !done.planning) {
        const { op, type, urn } = done.metadata;
        if (op === "same" || op === "read" || op === "refresh" || type === "pulumi:pulumi:Stack") return undefined;
        return `${SYMBOLS[op] ?? "?"} ${type} ${urnName(urn)} ${op}`;
    }
    const failed = event.resOpFailedEvent;
    if (failed) return `! ${failed.metadata.type} ${urnName(failed.metadata.urn)} ${failed.metadata.op} failed`;
    const diag = event.diagnosticEvent;
    if (diag && !diag.ephemeral && (diag.severity === "warning" || diag.severity === "error")) {
        const where = diag.urn ? `${urnName(diag.urn)}: ` : "";
        return `${diag.severity}: ${where}${plain(diag.message)}`;
    }
    const summary = event.summaryEvent;
    if (summary) {
        const changes = summary.resourceChanges ?? {};
        const counts = COUNTED.filter(([op]) => (changes[op] ?? 0) > 0).map(([op, label]) => `${changes[op]} ${label}`);
        return `up: ${counts.length ? counts.join(", ") : "no changes"} (${formatDuration(summary.durationSeconds * 1000)})`;
    }
    return undefined;
}
