/**
 * Fakes for the rollout loop: a stack driver that applies routing like the program's rule, a Lambda control
 * plane, CloudWatch evidence scripted from error rates, and a fake clock from @sinonjs/fake-timers.
 */
import FakeTimers from "@sinonjs/fake-timers";
import type { LiveAlias } from "../../domain/routing";
import { routingFromRequest } from "../../domain/routing";
import type { RoutingOverride } from "../../config/stackConfig";
import { InfrastructureError, StackLockedError } from "../../automation/errors";
import type {
    Clock,
    EvidenceRequest,
    FunctionEvidence,
    InvokeResult,
    LambdaControl,
    MetricsSource,
    StackDriver,
    StackOutputs,
    UpdateRecord,
    VersionFacts,
} from "../../automation/rollout/ports";
import type { RolloutLog } from "../../automation/rollout/promote";
import { forwardRefusal } from "../../domain/state";

export const PROD_POLICY = {
    strategy: "canary",
    canary: {
        steps: [
            { weight: 10, bake: 600 },
            { weight: 50, bake: 600 },
            { weight: 100, bake: 600 },
        ],
    },
    gates: {
        maxErrorRatePercent: 1,
        maxErrorRateIncreasePercent: 0.5,
        maxP99Ms: 6000,
        maxThrottles: 0,
        minInvocations: 50,
        onNoData: "rollback",
        maxExtension: 600,
        pollInterval: 60,
    },
    smokeTest: { payload: { test: true }, expect: { ok: true } },
};

/** A fake account: aliases, versions and what happened to them. */
export class FakeLambda implements LambdaControl {
    aliases = new Map<string, LiveAlias>();
    roles = new Map<string, string>();
    invokes: { functionName: string; version: string; payload: unknown }[] = [];
    updates: { functionName: string; stableVersion: string }[] = [];
    smoke: InvokeResult = { payload: { ok: true } };
    /** Answers of direct invocations queued before `smoke` (to script a failed attempt, then a pass). */
    smokeQueue: InvokeResult[] = [];
    /** GetAlias answers queued per function before the real state (to script AWS's transient weights). */
    transientReads = new Map<string, LiveAlias[]>();
    provisioned = false;
    /** Every call fails with ExpiredTokenException. */
    credentialsExpired = false;

    /** Each alias's RevisionId: a counter bumped by every write, as AWS gives a new one on every UpdateAlias. */
    revisions = new Map<string, number>();
    /** Bumps the revision of an alias written outside updateAlias (the fake `up`, a test's hand edit). */
    touched(functionName: string): void {
        this.revisions.set(functionName, (this.revisions.get(functionName) ?? 0) + 1);
    }
    async getAlias(functionName: string): Promise<LiveAlias> {
        if (this.credentialsExpired) throw expiredToken();
        const queued = this.transientReads.get(functionName);
        if (queued && queued.length > 0) return queued.shift()!;
        const alias = this.aliases.get(functionName);
        if (!alias) throw Object.assign(new Error("not found"), { name: "ResourceNotFoundException" });
        return { ...alias, revisionId: String(this.revisions.get(functionName) ?? 0) };
    }
    async getVersion(functionName: string, version: string): Promise<VersionFacts> {
        return { version, role: this.roles.get(`${functionName}:${version}`) ?? "arn:aws:iam::123456789012:role/api" };
    }
    async listVersions(): Promise<string[]> {
        return ["1", "2", "3", "4", "5", "6", "7", "8"];
    }
    async hasProvisionedConcurrency(): Promise<boolean> {
        return this.provisioned;
    }
    /** How many direct invocations are refused with 429 TooManyRequestsException first (the function at its limit). */
    throttledInvokes = 0;
    async invoke(functionName: string, version: string, payload: unknown): Promise<InvokeResult> {
        this.invokes.push({ functionName, version, payload });
        if (this.throttledInvokes > 0) {
            this.throttledInvokes -= 1;
            throw Object.assign(new Error("Rate Exceeded."), {
                name: "TooManyRequestsException",
                Reason: "ReservedFunctionConcurrentInvocationLimitExceeded",
                $fault: "client",
                $metadata: { httpStatusCode: 429 },
            });
        }
        return this.smokeQueue.shift() ?? this.smoke;
    }
    /** UpdateAlias answers queued per function before it works (to script conflicts, expired credentials). */
    updateFailures = new Map<string, Error[]>();
    /** Description-only updates (the rollout state recorded without moving traffic). */
    stateWrites: { functionName: string; description: string }[] = [];
    async updateAlias(
        functionName: string,
        _alias: string,
        routing: { stableVersion: string; candidate?: { version: string; weight: number } } | undefined,
        description?: string,
        revisionId?: string,
    ): Promise<void> {
        if (this.credentialsExpired) throw expiredToken();
        const failure = this.updateFailures.get(functionName)?.shift();
        if (failure) throw failure;
        if (revisionId !== undefined && revisionId !== String(this.revisions.get(functionName) ?? 0)) {
            throw Object.assign(new Error("The RevisionId provided does not match the latest RevisionId for the alias."), {
                name: "PreconditionFailedException",
                $fault: "client",
                $metadata: { httpStatusCode: 412 },
            });
        }
        this.touched(functionName);
        const current = this.aliases.get(functionName);
        if (!routing) {
            if (description !== undefined) this.stateWrites.push({ functionName, description });
            if (current) this.aliases.set(functionName, { ...current, description: description ?? current.description });
            return;
        }
        this.updates.push({ functionName, stableVersion: routing.stableVersion });
        this.aliases.set(functionName, {
            functionVersion: routing.stableVersion,
            additionalVersionWeights: routing.candidate ? { [routing.candidate.version]: routing.candidate.weight } : {},
            description: description ?? current?.description,
        });
    }
}

/** A stack whose `up` applies explicit routing to the fake aliases, as the program's rule of routing does. */
export class FakeStack implements StackDriver {
    ups: { routing?: RoutingOverride; message: string; weight?: number }[] = [];
    failFromUp?: number;
    lockedFromUp?: number;
    history_: UpdateRecord[] = [];
    /**
     * Called inside the n-th `up`, after the program read the aliases and before the provider writes them (a
     * test's operator lands there). While it runs, the stack's lock is held: another `up` fails as locked.
     */
    beforeWrite?: (n: number, routing: RoutingOverride | undefined) => Promise<void>;
    private holder?: string;

    constructor(
        private readonly lambda: FakeLambda,
        private readonly out: StackOutputs,
    ) {}

    async outputs(): Promise<StackOutputs> {
        return this.out;
    }
    async history(limit: number): Promise<UpdateRecord[]> {
        return this.history_.slice(0, limit);
    }
    async up(routing: RoutingOverride | undefined, message: string, _signal?: AbortSignal): Promise<StackOutputs> {
        if (this.holder !== undefined) throw new StackLockedError(`another update holds stack prod: "${this.holder}"`);
        this.holder = message;
        try {
            return await this.locked(routing, message);
        } finally {
            this.holder = undefined;
        }
    }

    private async locked(routing: RoutingOverride | undefined, message: string): Promise<StackOutputs> {
        const n = this.ups.length + 1;
        this.ups.push({ routing, message, weight: routing ? Object.values(routing)[0]?.weight : undefined });
        if (this.lockedFromUp !== undefined && n >= this.lockedFromUp) throw new StackLockedError("another update holds stack prod");
        if (this.lambda.credentialsExpired)
            throw new InfrastructureError("pulumi up failed: ExpiredTokenException: The security token included in the request is expired");
        if (this.failFromUp !== undefined && n >= this.failFromUp) throw new InfrastructureError("pulumi up failed: provider error");
        // The program reads each live alias and refuses to move a candidate forward over an abort or a rollback
        // (components/progressiveFunction.ts): that `up` fails before anything is written.
        for (const [key, r] of Object.entries(routing ?? {})) {
            const refusal = forwardRefusal(r, this.lambda.aliases.get(this.out.functions[key].functionName));
            if (refusal) throw new InfrastructureError(`pulumi up failed: ${refusal}`);
        }
        await this.beforeWrite?.(n, routing);
        for (const [key, r] of Object.entries(routing ?? {})) {
            const fn = this.out.functions[key];
            const applied = routingFromRequest(r);
            this.lambda.touched(fn.functionName);
            this.lambda.aliases.set(fn.functionName, {
                functionVersion: applied.stableVersion,
                additionalVersionWeights: applied.candidate ? { [applied.candidate.version]: applied.candidate.weight } : {},
                description: r.state ?? this.lambda.aliases.get(fn.functionName)?.description,
            });
        }
        this.history_.unshift({ startTime: new Date(), message, result: "succeeded" });
        return this.out;
    }
}

/** Stack outputs for functions `api` (and more), stable v7 -> candidate v8. */
export function outputsFor(keys: string[] = ["api"], policy: unknown = PROD_POLICY, candidate = "8"): StackOutputs {
    return {
        strategy: (policy as { strategy: string }).strategy,
        rolloutPolicy: policy,
        region: "us-east-1",
        functions: Object.fromEntries(
            keys.map((k) => [
                k,
                {
                    functionName: `lambda-rollout-prod-${k}`,
                    functionArn: `arn:aws:lambda:us-east-1:123456789012:function:lambda-rollout-prod-${k}`,
                    aliasName: "live",
                    aliasArn: `arn:aws:lambda:us-east-1:123456789012:function:lambda-rollout-prod-${k}:live`,
                    stableVersion: "7",
                    candidateVersion: candidate,
                    liveWeights: { "7": 1 },
                    routingSource: "kept-live",
                    alarmNames: { rollback: `lambda-rollout-prod-${k}-rollback` },
                },
            ]),
        ),
    };
}

/**
 * CloudWatch scripted from error rates: each function's candidate and stable get `rpm` requests a minute at
 * the live weight, errors at their rate (deterministic expected counts), visible `delayMinutes` late.
 */
export class FakeMetrics implements MetricsSource {
    calls = 0;
    unavailable = false;
    alarmsInAlarm = new Set<string>();
    /** The aliases as they were when the fake was made: the routing of every minute before the rollout. */
    private readonly before: Map<string, { functionVersion: string; additionalVersionWeights?: Record<string, number> }>;
    /** The end of the first window read (the history before the rollout): minutes before it had the routing `before`. */
    private rolloutStart?: number;

    constructor(
        private readonly lambda: FakeLambda,
        public errorRates: Record<string, { stable: number; candidate: number }>,
        private readonly rpm = 300,
        private readonly delayMinutes = 2,
    ) {
        this.before = new Map([...lambda.aliases].map(([name, alias]) => [name, { ...alias }]));
    }

    /** The candidate weight seen at each poll, per function: the minutes before a poll had that weight. */
    private readonly timeline: { at: number; weights: Record<string, number> }[] = [];

    /** Per function key: the series problem the adapter reports (e.g. "candidate Errors: InternalError"). */
    unreadable = new Map<string, string>();
    /** DescribeAlarms fails (throttled). */
    alarmsUnreadable = false;
    /** Every call fails with ExpiredTokenException. */
    credentialsExpired = false;

    async evidence(requests: EvidenceRequest[], start: Date, end: Date): Promise<Record<string, FunctionEvidence>> {
        this.calls += 1;
        if (this.credentialsExpired) throw expiredToken();
        if (this.unavailable) throw Object.assign(new Error("service unavailable"), { name: "ServiceUnavailable" });
        const weightIn = (
            alias: { functionVersion: string; additionalVersionWeights?: Record<string, number> } | undefined,
            r: EvidenceRequest,
        ) => (!alias ? 0 : alias.functionVersion === r.candidateVersion ? 1 : (alias.additionalVersionWeights?.[r.candidateVersion] ?? 0));
        const weightOf = (r: EvidenceRequest) => weightIn(this.lambda.aliases.get(r.functionName), r);
        this.rolloutStart ??= end.getTime();
        this.timeline.push({ at: end.getTime(), weights: Object.fromEntries(requests.map((r) => [r.key, weightOf(r)])) });
        const visibleEnd = end.getTime() - this.delayMinutes * 60000;
        const minutes: number[] = [];
        for (let m = Math.floor(start.getTime() / 60000) * 60000; m + 60000 <= visibleEnd; m += 60000) minutes.push(m);
        return Object.fromEntries(
            requests.map((r) => {
                const rates = this.errorRates[r.key];
                const w = (m: number) =>
                    m < this.rolloutStart!
                        ? weightIn(this.before.get(r.functionName), r)
                        : (this.timeline.find((t) => t.at > m) ?? this.timeline[this.timeline.length - 1]).weights[r.key];
                const version = (share: (m: number) => number, rate: number) => {
                    const inv = minutes.map((m) => Math.round(this.rpm * share(m)));
                    // Errors accrue at the expected rate, carried from minute to minute so that totals stay exact.
                    let carried = 0;
                    const err = inv.map((n) => {
                        const exact = carried + n * rate;
                        const whole = Math.floor(exact + 1e-9);
                        carried = exact - whole;
                        return whole;
                    });
                    const keep = inv.map((n) => n > 0);
                    return {
                        invocations: inv.reduce((a, b) => a + b, 0),
                        errors: err.reduce((a, b) => a + b, 0),
                        p99ByMinute: inv.filter((n) => n > 0).map(() => 300),
                        minutes: minutes.filter((_, i) => keep[i]),
                        invocationsByMinute: inv.filter((_, i) => keep[i]),
                        errorsByMinute: err.filter((_, i) => keep[i]),
                    };
                };
                const unreadable = this.unreadable.get(r.key);
                return [
                    r.key,
                    {
                        candidate: version(w, rates.candidate),
                        stable: version((m) => 1 - w(m), rates.stable),
                        aliasThrottles: 0,
                        deadLetterErrors: 0,
                        ...(unreadable ? { unreadable } : {}),
                    },
                ];
            }),
        );
    }
    async alarmStates(names: string[]): Promise<Record<string, "OK" | "ALARM" | "INSUFFICIENT_DATA">> {
        if (this.credentialsExpired) throw expiredToken();
        if (this.alarmsUnreadable)
            throw Object.assign(new Error("Rate exceeded"), { name: "Throttling", $fault: "client", $metadata: { httpStatusCode: 400 } });
        return Object.fromEntries(names.map((n) => [n, this.alarmsInAlarm.has(n) ? "ALARM" : "OK"]));
    }
}

/** The error AWS answers with expired credentials. */
export function expiredToken(): Error {
    return Object.assign(new Error("The security token included in the request is expired"), {
        name: "ExpiredTokenException",
        $fault: "client",
        $metadata: { httpStatusCode: 403 },
    });
}

/** A fake clock; `drive` runs a promise to completion by firing timers. */
export function fakeClock(start = Date.UTC(2026, 0, 5, 9)): { clock: Clock; drive: <T>(p: Promise<T>) => Promise<T> } {
    const timers = FakeTimers.createClock(start);
    const clock: Clock = {
        now: () => timers.now,
        sleep: (ms, signal) =>
            new Promise<void>((resolve) => {
                if (signal?.aborted) return resolve();
                const wake = () => {
                    timers.clearTimeout(id);
                    resolve();
                };
                const id = timers.setTimeout(() => {
                    signal?.removeEventListener("abort", wake);
                    resolve();
                }, ms);
                signal?.addEventListener("abort", wake, { once: true });
            }),
    };
    const drive = async <T>(p: Promise<T>): Promise<T> => {
        let done = false;
        const settled = p.finally(() => (done = true));
        // Handled below, once the timers have run: not an unhandled rejection meanwhile.
        settled.catch(() => undefined);
        while (!done) {
            await timers.tickAsync(1000);
        }
        return settled;
    };
    return { clock, drive };
}

/** A log that keeps its lines. */
export function memoryLog(): RolloutLog & { lines: string[] } {
    const lines: string[] = [];
    return { lines, line: (t) => lines.push(t) };
}
