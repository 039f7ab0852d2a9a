/** A stand-in for the SDK clients: `send` takes the real command objects. */
export interface SimulatedClient {
    send(command: unknown): Promise<any>;
}

/** Command class -> what answers it (given the command's input). */
export type CommandHandlers = ReadonlyArray<readonly [abstract new (...args: any[]) => unknown, (input: any) => unknown]>;

/** Sees every command a simulated client is sent: the service, the operation (`GetMetricData`) and the input. */
export type CommandObserver = (service: string, operation: string, input: unknown) => void;

const observers = new Set<CommandObserver>();

/**
 * Shows `observer` every command the simulated clients are sent, until the returned function is called: the
 * tests check each one against AWS's own API models (tests/helpers/awsModels.ts), which the simulator does not.
 */
export function observeCommands(observer: CommandObserver): () => void {
    observers.add(observer);
    return () => observers.delete(observer);
}

/**
 * Finds the handler for a command: by class identity, or by class name when the caller loaded another copy
 * of the SDK (instanceof fails across copies).
 */
export function dispatch(command: unknown, handlers: CommandHandlers, service: string): unknown {
    for (const [commandClass, handler] of handlers) {
        if (command instanceof commandClass || (command as object | null)?.constructor?.name === commandClass.name) {
            const input = (command as { input?: unknown }).input ?? {};
            for (const observe of observers) observe(service, commandClass.name.replace(/Command$/, ""), input);
            return handler(input);
        }
    }
    const name = (command as object | null)?.constructor?.name ?? typeof command;
    throw new Error(`The simulated ${service} does not implement ${name}; it answers ${handlers.map(([c]) => c.name).join(", ")}.`);
}
