/**
 * Secrets in a stack file, as offline commands see them. Pulumi stores a secret config value encrypted, as
 * `{secure: "v1:..."}` (at the top of a key, or nested inside an object value), and only the Pulumi CLI with the
 * stack's secrets provider can decrypt it. Offline `plan` and `rehearse` read the file without the CLI, so each
 * such value becomes {@link OFFLINE_SECRET}: validated as "a secret" rather than as its content, printed as
 * `[secret]`, and the ciphertext is never shown. Real stacks get the decrypted value from the Pulumi engine
 * (the program) or from the Automation API (the tool), and the program keeps it a secret Output.
 */

/** What an encrypted value is, offline: it stands in for the value and is what gets printed. */
export const OFFLINE_SECRET = "[secret]";

/** Whether a config value is Pulumi's encrypted form, `{secure: "<ciphertext>"}`. */
export function isSecureValue(value: unknown): value is { secure: string } {
    return (
        typeof value === "object" &&
        value !== null &&
        !Array.isArray(value) &&
        Object.keys(value).length === 1 &&
        typeof (value as { secure?: unknown }).secure === "string"
    );
}

/** A stack file's config with every `{secure: ...}` value, at any depth, replaced by {@link OFFLINE_SECRET}. */
export interface MaskedConfig {
    readonly config: Record<string, unknown>;
    /** The top-level keys that hold a secret (the whole value or a part of it), for the engine's secret keys. */
    readonly secretKeys: string[];
}

/** Replaces every encrypted value in a stack file's `config:` map with {@link OFFLINE_SECRET}. */
export function maskSecureValues(config: Record<string, unknown>): MaskedConfig {
    const secretKeys: string[] = [];
    const masked = Object.fromEntries(
        Object.entries(config).map(([key, value]) => {
            let found = false;
            const mask = (v: unknown): unknown => {
                if (isSecureValue(v)) {
                    found = true;
                    return OFFLINE_SECRET;
                }
                if (Array.isArray(v)) return v.map(mask);
                if (typeof v === "object" && v !== null) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, mask(x)]));
                return v;
            };
            const out = mask(value);
            if (found) secretKeys.push(key);
            return [key, out];
        }),
    );
    return { config: masked, secretKeys };
}

/**
 * The ESC environments a stack file imports (`environment: [a, b]`, or `environment: {imports: [...]}`): values
 * that come from them exist only where the Pulumi CLI resolves them, never in an offline read of the file.
 */
export function importedEnvironments(stackFile: unknown): string[] {
    const environment = (stackFile as { environment?: unknown } | null)?.environment;
    const imports = Array.isArray(environment) ? environment : (environment as { imports?: unknown } | undefined)?.imports;
    if (!Array.isArray(imports)) return [];
    // An import is a name, or a one-key map `{name: {merge: false}}`.
    return imports.flatMap((i) => (typeof i === "string" ? [i] : typeof i === "object" && i !== null ? Object.keys(i) : []));
}

/** What offline commands say of a stack file's ESC imports (`shownFile`: the file as messages name it): named, and why their values are missing here. */
export function unresolvedEnvironments(environments: string[], shownFile: string, stack: string): string {
    return (
        `the stack imports the ESC environment${environments.length > 1 ? "s" : ""} ${environments.join(", ")}: values that come from ` +
        `there cannot be resolved offline (plan and rehearse read only ${shownFile}); ` +
        `\`pulumi config --stack ${stack}\` shows them resolved, and promote, rollback and status read them through the Pulumi CLI`
    );
}
