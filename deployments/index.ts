/**
 * The delivery program: Pulumi Deployments settings for the dev, staging and prod stacks of lambda-rollout,
 * and the webhooks that move a change from one stack to the next. Run from this directory:
 * `pulumi up --stack delivery` (it uses the repository root's node_modules). Bad config throws before any
 * resource is registered.
 */
import * as pulumi from "@pulumi/pulumi";
import { decodePulumiConfig } from "../config/issues";
import { deliveryKeys, parseDeliveryConfig } from "./delivery";
import { declareDelivery, deliverySummary } from "./settings";

export = async () => {
    const config = parseDeliveryConfig(
        deliveryKeys(decodePulumiConfig(pulumi.runtime.allConfig())),
        `the config of stack "${pulumi.getStack()}"`,
    );
    const delivery = declareDelivery(config);
    return {
        stacks: deliverySummary(config),
        settings: Object.fromEntries(Object.entries(delivery.settings).map(([stack, s]) => [stack, s.id])),
        webhooks: delivery.webhooks.map((w) => w.displayName),
    };
};
