/** A stand-in for the SDK clients: `send` takes the real command objects. */
export interface SimulatedClient {
    send(command: unknown): Promise<any>;
}

/** Command class -> what answers it (given the command's input). */
export type CommandHandlers = ReadonlyArray<readonly [abstract new (...args: any[]) => unknown, (input: any) => unknown]>;

/**
 * Finds the handler for a command: by class identity, or by class name when the caller loaded another copy
 * of the SDK (instanceof fails across copies).
 */
export function dispatch(command: unknown, handlers: CommandHandlers, service: string): unknown {
    for (const [commandClass, handler] of handlers) {
        if (command instanceof commandClass || (command as object | null)?.constructor?.name === commandClass.name) {
            return handler((command as { input?: unknown }).input ?? {});
        }
    }
    const name = (command as object | null)?.constructor?.name ?? typeof command;
    throw new Error(`The simulated ${service} does not implement ${name}; it answers ${handlers.map(([c]) => c.name).join(", ")}.`);
}
