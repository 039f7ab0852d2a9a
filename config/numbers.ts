import { z } from "zod";

/** A whole number from `min` to `max`, refused otherwise with the one rule every such key states. */
export function integerBetween(min: number, max: number) {
    const message = `must be between ${min} and ${max}`;
    return z.number().int().min(min, { message }).max(max, { message });
}
