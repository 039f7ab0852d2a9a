/** How a rehearsal's adapters can reach the simulated account (transport.ts): what `--transport` accepts. */

/** The transports a rehearsal can use; the first is the default. */
export const TRANSPORTS = ["in-process", "http"] as const;
/** See {@link TRANSPORTS}. */
export type Transport = (typeof TRANSPORTS)[number];
