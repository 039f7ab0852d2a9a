/**
 * The notifier sits on the rollout's `observe` seam: it diffs each report snapshot against the one before
 * (events.ts), and sends each new event to every channel, in order, off the rollout's path. `observe` returns
 * at once; a send that fails or takes longer than the timeout is a warning, never an error of the rollout, and
 * the rollout never waits for one (the caller awaits `flush()` once the rollout has ended, bounded by the timeouts).
 */
import type { RolloutReport } from "../rollout/report";
import { setLongTimeout, type LongTimeout } from "../timers";
import type { ChannelName, NotificationChannel } from "./channels";
import { rolloutEvents, type NotificationEventKind, type RolloutEvent } from "./events";

/** One notification sent, as the report lists it. */
export interface NotificationRecord {
    readonly kind: NotificationEventKind;
    readonly channel: ChannelName;
}

/** What the notifier did, once flushed: what it sent, and a warning for each send that failed. */
export interface NotificationOutcome {
    readonly sent: NotificationRecord[];
    readonly warnings: string[];
}

/** Options of a {@link Notifier}. */
export interface NotifierOptions {
    /** The events to send (default: all). */
    readonly events?: readonly NotificationEventKind[];
    /** How long one send may take before it is given up (ms). */
    readonly timeoutMs: number;
    /** Where a failed send is told at once (the rollout's log). */
    readonly warn?: (line: string) => void;
    /** Strings that must never be shown (the webhook URLs): removed from any warning, as a last guard. */
    readonly secrets?: readonly string[];
}

/** Sends a rollout's events to its channels; see the module's comment. */
export class Notifier {
    private previous?: RolloutReport;
    private queue: Promise<void> = Promise.resolve();
    private readonly sent: NotificationRecord[] = [];
    private readonly warnings: string[] = [];

    constructor(
        private readonly channels: readonly NotificationChannel[],
        private readonly options: NotifierOptions,
    ) {}

    /** `RolloutDeps.observe`: never throws, never waits. */
    readonly observe = (report: RolloutReport): void => {
        let events: RolloutEvent[];
        try {
            events = rolloutEvents(this.previous, report);
            this.previous = structuredClone(report);
        } catch (err) {
            this.warning(`notifications: could not read the report: ${(err as Error).message}`);
            return;
        }
        const wanted = this.options.events;
        for (const event of events) {
            if (wanted && !wanted.includes(event.kind)) continue;
            for (const channel of this.channels) this.queue = this.queue.then(() => this.sendOne(channel, event));
        }
    };

    /** Waits for every send queued so far (each bounded by the timeout) and says what was sent. */
    async flush(): Promise<NotificationOutcome> {
        await this.queue;
        return { sent: [...this.sent], warnings: [...this.warnings] };
    }

    private async sendOne(channel: NotificationChannel, event: RolloutEvent): Promise<void> {
        const controller = new AbortController();
        let timer: LongTimeout | undefined;
        const timeout = new Promise<never>((_, reject) => {
            timer = setLongTimeout(() => {
                controller.abort();
                reject(new Error(`no answer within ${this.options.timeoutMs / 1000}s`));
            }, this.options.timeoutMs);
        });
        try {
            await Promise.race([channel.send(event, controller.signal), timeout]);
            this.sent.push({ kind: event.kind, channel: channel.name });
        } catch (err) {
            this.warning(`notification "${event.kind}" to ${channel.name} failed, the rollout goes on: ${(err as Error).message}`);
        } finally {
            timer?.cancel();
        }
    }

    private warning(text: string): void {
        const line = redact(text, this.options.secrets ?? []);
        this.warnings.push(line);
        this.options.warn?.(`warning: ${line}`);
    }
}

/** `text` with every secret replaced by `[secret]` (pure). */
export function redact(text: string, secrets: readonly string[]): string {
    return secrets.filter((s) => s.length > 0).reduce((t, s) => t.split(s).join("[secret]"), text);
}
