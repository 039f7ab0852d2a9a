import FakeTimers from "@sinonjs/fake-timers";
import { expect } from "chai";
import { runCommand } from "../../automation/adapters/hooks";
import { MAX_TIMER_MS, setLongTimeout, sleep, timeoutSignal } from "../../automation/timers";

const DAY = 24 * 3600 * 1000;

describe("timers that wait as long as they are asked (automation/timers.ts)", () => {
    let clock: ReturnType<typeof FakeTimers.install>;
    beforeEach(() => (clock = FakeTimers.install({ toFake: ["setTimeout", "clearTimeout", "Date"] })));
    afterEach(() => clock.uninstall());

    it("setTimeout itself fires at once above 2^31-1 ms (what made a hook timeout of 1000000h end after 18 ms)", () => {
        let fired = false;
        const original = process.emitWarning;
        process.emitWarning = () => undefined; // the TimeoutOverflowWarning is the point here
        try {
            setTimeout(() => (fired = true), 1_000_000 * 3600 * 1000);
        } finally {
            process.emitWarning = original;
        }
        clock.tick(18);
        expect(fired).to.equal(true);
    });

    it("setLongTimeout waits the whole delay, however long, in slices: not a millisecond early", () => {
        const hours = 1_000_000;
        let firedAt: number | undefined;
        setLongTimeout(() => (firedAt = Date.now()), hours * 3600 * 1000);
        clock.tick(MAX_TIMER_MS + 1);
        clock.tick(365 * DAY);
        expect(firedAt).to.equal(undefined);
        clock.tick(hours * 3600 * 1000 - (MAX_TIMER_MS + 1) - 365 * DAY - 1);
        expect(firedAt).to.equal(undefined);
        clock.tick(1);
        expect(firedAt).to.equal(hours * 3600 * 1000);
    });

    it("a cancelled one never fires; a delay that is not a number never fires at once", () => {
        let fired = 0;
        setLongTimeout(() => fired++, 3 * MAX_TIMER_MS).cancel();
        setLongTimeout(() => fired++, Number.NaN);
        clock.tick(10 * MAX_TIMER_MS);
        expect(fired).to.equal(0);
    });

    it("sleep ends at its delay or when its signal aborts; timeoutSignal aborts only at its delay", async () => {
        const controller = new AbortController();
        let woke = false;
        const slept = sleep(40 * DAY, controller.signal).then(() => (woke = true));
        await clock.tickAsync(30 * DAY);
        expect(woke).to.equal(false);
        controller.abort();
        await slept;
        expect(woke).to.equal(true);
        const signal = timeoutSignal(30 * DAY);
        clock.tick(29 * DAY);
        expect(signal.aborted).to.equal(false);
        clock.tick(DAY);
        expect(signal.aborted).to.equal(true);
        expect((signal.reason as DOMException).name).to.equal("TimeoutError");
    });
});

describe("a hook's timeout is never cut short", () => {
    it("a command hook with a timeout above 2^31-1 ms runs to its end (it was killed after 18 ms)", async () => {
        const out = await runCommand({ command: "sleep 0.3; echo finished" }, HOOK_CONTEXT, MAX_TIMER_MS + 1000, {
            cwd: process.cwd(),
            env: { PATH: process.env.PATH },
        });
        expect(out).to.deep.equal({ passed: true, status: "exit 0", output: "finished" });
    });
});

const HOOK_CONTEXT = { stack: "prod", point: "preTraffic" as const, steps: 1, weight: 0, functions: [] };
