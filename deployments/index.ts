/**
 * The delivery program: Pulumi Deployments settings for the dev, staging and prod stacks of lambda-rollout,
 * and the webhooks that move a change from one stack to the next. Run from this directory:
 * `pulumi up --stack delivery` (it uses the repository root's node_modules). Bad config throws before any
 * resource is registered.
 */
import * as pulumi from "@pulumi/pulumi";
import { deliveryKeys, parseDeliveryConfig } from "./delivery";
import { declareDelivery, deliverySummary } from "./settings";

export = async () => {
    const config = parseDeliveryConfig(deliveryKeys(decodeConfig(pulumi.runtime.allConfig())), `the config of stack "${pulumi.getStack()}"`);
    const delivery = declareDelivery(config);
    return {
        stacks: deliverySummary(config),
        settings: Object.fromEntries(Object.entries(delivery.settings).map(([stack, s]) => [stack, s.id])),
        webhooks: delivery.webhooks.map((w) => w.displayName),
    };
};

/** Pulumi hands structured config values over as JSON text; plain strings stay strings. */
function decodeConfig(all: Record<string, string>): Record<string, unknown> {
    return Object.fromEntries(
        Object.entries(all).map(([key, value]) => {
            if (/^\s*[[{]/.test(value)) {
                try {
                    return [key, JSON.parse(value)];
                } catch {
                    return [key, value];
                }
            }
            return [key, value];
        }),
    );
}
