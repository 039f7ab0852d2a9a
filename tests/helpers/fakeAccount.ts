/**
 * A fake AWS account for mock-engine tests: live aliases and published versions the test chooses, and every
 * Lambda request the program sends recorded.
 */
import { GetAliasCommand } from "@aws-sdk/client-lambda";
import type { ProgramWorld } from "../../automation/engine/evaluate";
import { defaultAnswer, type DeclaredResource } from "../../automation/engine/resourceTypes";

/** A live alias as the test sets it. */
export interface FakeAlias {
    functionVersion: string;
    weights?: Record<string, number>;
}

/** Options of {@link fakeAccount}. */
export interface FakeAccountOptions {
    /** Live aliases by AWS function name. */
    aliases?: Record<string, FakeAlias>;
    /** The version each function's publish yields, by AWS function name (default "1"). */
    published?: Record<string, string>;
    /** An error GetAlias throws instead of answering (e.g. AccessDeniedException). */
    getAliasError?: { name: string; message: string };
}

/** A {@link ProgramWorld} over fixed answers, with the GetAlias requests it received. */
export function fakeAccount(options: FakeAccountOptions = {}): ProgramWorld & { getAliasRequests: unknown[] } {
    const getAliasRequests: unknown[] = [];
    return {
        getAliasRequests,
        lambda: () => ({
            send: async (command: GetAliasCommand) => {
                getAliasRequests.push(command.input);
                if (options.getAliasError) {
                    throw Object.assign(new Error(options.getAliasError.message), { name: options.getAliasError.name });
                }
                const alias = options.aliases?.[command.input.FunctionName ?? ""];
                if (!alias) {
                    throw Object.assign(new Error(`Function not found: ${command.input.FunctionName}`), {
                        name: "ResourceNotFoundException",
                    });
                }
                return {
                    FunctionVersion: alias.functionVersion,
                    RoutingConfig: alias.weights ? { AdditionalVersionWeights: alias.weights } : undefined,
                };
            },
        }),
        register: (resource: DeclaredResource) => defaultAnswer(resource, options.published?.[resource.inputs.name] ?? "1"),
    };
}

/** The one declared resource of a type and name; fails loudly when absent. */
export function declared(resources: DeclaredResource[], type: string, name: string): DeclaredResource {
    const found = resources.find((r) => r.type === type && r.name === name);
    if (!found) {
        throw new Error(`no ${type} named ${name} among: ${resources.map((r) => `${r.type} ${r.name}`).join(", ")}`);
    }
    return found;
}

/** Names of the declared resources of a type. */
export function namesOf(resources: DeclaredResource[], type: string): string[] {
    return resources
        .filter((r) => r.type === type)
        .map((r) => r.name)
        .sort();
}

/** Type tokens by short key, from the mock engine's registry. */
export { T } from "../../automation/engine/resourceTypes";
