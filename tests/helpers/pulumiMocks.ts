/**
 * Pulumi's mocks for constructing a component directly (as pulumi/examples `testing-unit-ts/mocha` does): every
 * registration is recorded with its inputs and its parent, custom resources are answered from the mock engine's
 * registry (automation/engine/resourceTypes.ts), and {@link unwrap} turns an Output into a Promise.
 */
import * as pulumi from "@pulumi/pulumi";
import { setLambdaClientFactory } from "../../components/liveAlias";
import { defaultAnswer, findResourceType } from "../../automation/engine/resourceTypes";

/** A registration the component made. */
export interface RecordedResource {
    readonly type: string;
    readonly name: string;
    readonly inputs: Record<string, any>;
    /** The resource given as `parent` (undefined for a top-level one). */
    readonly parent?: pulumi.Resource;
}

/** What a test reads back after constructing a component. */
export interface Recorder {
    readonly resources: RecordedResource[];
    /** The component options that record each child's parent: pass them to the component under test. */
    readonly opts: pulumi.ComponentResourceOptions;
    /** The one recorded resource of a name; fails loudly when absent. */
    named(name: string): RecordedResource;
}

/**
 * Sets Pulumi's mocks for one test: functions publish `publishedVersion`, no live alias exists unless
 * `liveAlias` is given. Call it in a `beforeEach`: the runtime's mocks are process-global.
 */
export async function recordingMocks(
    options: { publishedVersion?: string; liveAlias?: { FunctionVersion: string; RoutingConfig?: object } } = {},
): Promise<Recorder> {
    const inputsByName = new Map<string, Record<string, any>>();
    const parents = new Map<string, pulumi.Resource | undefined>();
    const order: string[] = [];
    await pulumi.runtime.setMocks(
        {
            newResource(args) {
                inputsByName.set(args.name, args.inputs);
                if (!args.custom && findResourceType(args.type) === undefined) return { id: `${args.name}-id`, state: args.inputs };
                return defaultAnswer({ type: args.type, name: args.name, inputs: args.inputs }, options.publishedVersion ?? "1");
            },
            call(args) {
                throw new Error(`the component called ${args.token}, which these mocks do not answer`);
            },
        },
        "lambda-rollout",
        "test",
        false,
    );
    setLambdaClientFactory(
        () => ({
            send: async () => {
                if (options.liveAlias) return options.liveAlias;
                throw Object.assign(new Error("Function not found"), { name: "ResourceNotFoundException" });
            },
        }),
        async () => undefined,
    );
    const types = new Map<string, string>();
    const opts: pulumi.ComponentResourceOptions = {
        // Legacy transformations run in the SDK (the mock monitor runs no `transforms`) and reach every child.
        transformations: [
            (args) => {
                order.push(args.name);
                types.set(args.name, args.type);
                parents.set(args.name, args.opts.parent);
                return undefined;
            },
        ],
    };
    const recorded = (): RecordedResource[] =>
        order.map((name) => ({ type: types.get(name)!, name, inputs: inputsByName.get(name) ?? {}, parent: parents.get(name) }));
    const recorder: Recorder = {
        get resources() {
            return recorded();
        },
        opts,
        named(name) {
            const found = recorded().find((r) => r.name === name);
            if (!found) throw new Error(`no resource named ${name} among: ${order.join(", ")}`);
            return found;
        },
    };
    return recorder;
}

/** An Output's value, once the mocks have answered everything it depends on. */
export function unwrap<T>(output: pulumi.Output<T>): Promise<T> {
    return new Promise((resolve) => output.apply(resolve));
}

/** Resolves once every registration sent so far has been answered (children whose inputs wait on other outputs). */
export async function allRegistered(): Promise<void> {
    await (pulumi.runtime as unknown as { waitForRPCs?: () => Promise<void> }).waitForRPCs?.();
}
