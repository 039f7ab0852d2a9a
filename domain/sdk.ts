/**
 * The one client interface every AWS call of the project goes through, the program's (its read of the live
 * alias) and the tool's (the adapters): anything that sends AWS SDK v3 command objects. A real SDK client is one;
 * so is the simulated account's stand-in, which answers the same commands (automation/simulator).
 */
export interface SdkClient {
    /** `options.abortSignal` stops waiting for the answer (the SDK's HttpHandlerOptions). */
    send(command: any, options?: { abortSignal?: AbortSignal }): Promise<any>;
}
