/**
 * Steps are data: the weights and bakes a strategy walks through, and where a rollout stands, derived from the
 * weight that is live in AWS (so a promote that was killed resumes instead of starting over).
 */
import type { Advance, RolloutPolicy } from "../../config/stackConfig";

/** One step of a rollout: the candidate's share of traffic (0-1) and how long to hold it under the gates. */
export interface Step {
    readonly weight: number;
    readonly bakeSeconds: number;
    /** The step's place in the strategy's steps, 1-based (a held weight between two steps takes the earlier's). */
    readonly number: number;
    /** A person must approve this step before its weight goes live. */
    readonly approval?: boolean;
}

/** The steps of a policy's strategy. */
export function stepsFor(policy: RolloutPolicy): Step[] {
    switch (policy.strategy) {
        case "all-at-once":
            return [{ weight: 1, bakeSeconds: 0, number: 1 }];
        case "blue-green":
            return [{ weight: 1, bakeSeconds: policy.blueGreen?.bake ?? 0, number: 1 }];
        case "canary":
            return (policy.canary?.steps ?? []).map((s, i) => ({
                weight: s.weight / 100,
                bakeSeconds: s.bake,
                number: i + 1,
                ...(s.approval ? { approval: true } : {}),
            }));
        case "linear": {
            const { stepPercent, every, finalBake } = policy.linear!;
            const steps: Step[] = [];
            for (let percent = stepPercent; ; percent += stepPercent) {
                const weight = Math.min(percent, 100) / 100;
                // The last step is baked like the others (a late regression at 100% is still rolled back).
                steps.push({ weight: round(weight), bakeSeconds: weight >= 1 ? (finalBake ?? every) : every, number: steps.length + 1 });
                if (weight >= 1) break;
            }
            return steps;
        }
    }
}

/**
 * How the policy's steps move on (`advance`): canary and linear say; a blue-green switch or an all-at-once
 * rollout has one step, which its bake passes on time.
 */
export function advanceOf(policy: RolloutPolicy): Advance {
    if (policy.strategy === "canary") return policy.canary?.advance ?? "time";
    if (policy.strategy === "linear") return policy.linear?.advance ?? "time";
    return "time";
}

/** Where a rollout resumes, given the candidate's live weight. */
export interface ResumePoint {
    /** The steps still to walk, the first of them re-baked when `resumed`. */
    readonly remaining: Step[];
    /** Whether traffic was already on the candidate (a resumed rollout). */
    readonly resumed: boolean;
}

const same = (a: number, b: number) => Math.abs(a - b) < 1e-6;

/**
 * The steps left from a live weight. Weight 0 starts at the first step. A weight that is one of the steps
 * re-bakes that step (its evidence window restarts: the time before a restart is not counted). A weight
 * between steps is held and baked as it is (never lowered, never raised without a gate) before the next step.
 */
export function resumeFrom(steps: Step[], liveWeight: number): ResumePoint {
    if (liveWeight <= 0) {
        return { remaining: steps, resumed: false };
    }
    const exact = steps.findIndex((s) => same(s.weight, liveWeight));
    if (exact >= 0) {
        return { remaining: steps.slice(exact), resumed: true };
    }
    const next = steps.findIndex((s) => s.weight > liveWeight);
    if (next < 0) {
        return { remaining: [steps[steps.length - 1]], resumed: true };
    }
    const before = steps[Math.max(0, next - 1)];
    const hold: Step = { weight: liveWeight, bakeSeconds: before.bakeSeconds, number: before.number };
    return { remaining: [hold, ...steps.slice(next)], resumed: true };
}

function round(n: number): number {
    return Math.round(n * 1e6) / 1e6;
}

/** "10%" style. */
export function percent(weight: number): string {
    return `${Math.round(weight * 1000) / 10}%`;
}
