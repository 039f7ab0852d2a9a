/**
 * The scenario's faults that live in AWS, handed to the simulated account: CloudWatch outages and degraded
 * results, unreadable alarms, alias update conflicts, expired credentials, hand edits of an alias's description. Faults of the stack or of the
 * process (`up-fails`, `lock-conflict`, `killed`, `interrupt`) are the rehearsal's own and are not touched
 * here. Every fault given applies, two of one kind included.
 */
import { UsageError } from "../errors";
import type { SimulatedAws } from "../simulator";
import type { Fault } from "./scenario";

/** The stack's functions by their key in the stack config (as in the stack's outputs): what `function` names. */
export type FunctionsByKey = Readonly<Record<string, { readonly functionName: string; readonly aliasName: string }>>;

/**
 * Applies the scenario's AWS faults to `sim`, resolving each fault's `function` (a key in the stack config,
 * such as "api") to the function's physical name. An unknown key is a UsageError naming `faults[i].function`
 * and the stack's functions; it is checked for every fault before any is applied.
 */
export function applySimulatorFaults(sim: SimulatedAws, faults: readonly Fault[], functions: FunctionsByKey): void {
    const functionName = (key: string, index: number): string => {
        if (!Object.hasOwn(functions, key)) {
            throw new UsageError(
                `\`faults[${index}].function\`: the stack has no function "${key}" (functions: ${Object.keys(functions).join(", ")})`,
            );
        }
        return functions[key].functionName;
    };
    const apply: Array<() => void> = faults.map((f, i) => {
        switch (f.kind) {
            case "cloudwatch-unavailable":
                return () => sim.addCloudWatchOutage(f.fromMinute, f.toMinute);
            case "cloudwatch-partial": {
                const name = f.function === undefined ? undefined : functionName(f.function, i);
                return () =>
                    sim.addMetricStatusFault({
                        metric: f.metric,
                        statusCode: f.statusCode,
                        fromMinute: f.fromMinute,
                        toMinute: f.toMinute,
                        functionName: name,
                    });
            }
            case "alarms-unreadable":
                return () => sim.addAlarmsUnreadable(f.fromMinute, f.toMinute);
            case "alias-conflict": {
                const name = functionName(f.function, i);
                return () => sim.addAliasConflict(name, f.times);
            }
            case "credentials-expire":
                return () => sim.expireCredentialsAt(f.atMinute);
            case "record-corrupt": {
                const keys = f.function === undefined ? Object.keys(functions) : [f.function];
                const names = keys.map((key) => ({ name: functionName(key, i), alias: functions[key].aliasName }));
                return () => names.forEach((n) => sim.replaceAliasDescriptionAt(f.atMinute, n.name, n.alias, f.text));
            }
            case "up-fails":
            case "lock-conflict":
            case "killed":
            case "interrupt":
            case "approve":
            case "abort":
            case "pause":
            case "promote-full":
                return () => undefined;
            default: {
                const unknown: never = f;
                throw new Error(`applySimulatorFaults: unhandled fault ${JSON.stringify(unknown)}`);
            }
        }
    });
    for (const a of apply) a();
}
