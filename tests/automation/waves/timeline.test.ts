import { expect } from "chai";
import { Timeline } from "../../../automation/waves/timeline";

/** An account that only keeps time. */
function account(startMs: number) {
    let now = startMs;
    return { now: () => new Date(now), advance: (ms: number) => (now += ms) };
}

describe("the virtual timeline of a release rehearsal", () => {
    it("tasks of a process sleep and wake in the order of their instants; every account keeps the timeline's time", async () => {
        const timeline = new Timeline(0);
        const a = account(0);
        const b = account(0);
        timeline.addAccount(a);
        timeline.addAccount(b);
        const process = timeline.process("release");
        const seen: string[] = [];
        const result = await process.run(() =>
            process.parallel([
                async () => {
                    await process.sleep(30_000);
                    seen.push(`slow at ${process.now()}`);
                    return "slow";
                },
                async () => {
                    for (let i = 0; i < 3; i++) {
                        await process.sleep(10_000);
                        seen.push(`fast at ${process.now()}`);
                    }
                    return "fast";
                },
            ]),
        );
        expect(result).to.deep.equal(["slow", "fast"]);
        // At 30 s both are due: the one that went to sleep first wakes first.
        expect(seen).to.deep.equal(["fast at 10000", "fast at 20000", "slow at 30000", "fast at 30000"]);
        expect([a.now().getTime(), b.now().getTime(), timeline.now()]).to.deep.equal([30_000, 30_000, 30_000]);
    });

    it("a process killed at an instant returns nothing, and nothing it started runs again; another process goes on", async () => {
        const timeline = new Timeline(0);
        const killed = timeline.process("first", { killAtMs: 25_000 });
        let woke = 0;
        const first = await killed.run(async () => {
            for (;;) {
                await killed.sleep(10_000);
                woke += 1;
            }
        });
        expect(first).to.equal(undefined);
        expect([woke, timeline.now()]).to.deep.equal([2, 25_000]);
        const next = timeline.process("second");
        expect(await next.run(async () => (await next.sleep(5_000), next.now()))).to.equal(30_000);
        expect(woke).to.equal(2);
        // A dead process's calls never return.
        const bound = killed.bind({ read: async () => "value" });
        const answer = await Promise.race([bound.read(), new Promise((resolve) => setTimeout(() => resolve("no answer"), 20))]);
        expect(answer).to.equal("no answer");
    });

    it("a signal wakes a sleep that listens for it at its instant; a second one kills the process", async () => {
        const timeline = new Timeline(0);
        const process = timeline.process("release", {
            signals: [
                { atMs: 5_000, signal: "SIGINT" },
                { atMs: 8_000, signal: "SIGTERM" },
            ],
        });
        const woken: number[] = [];
        const result = await process.run(async () => {
            await process.sleep(60_000, process.controller.signal);
            woken.push(process.now());
            await process.sleep(60_000);
            return "never";
        });
        expect(woken).to.deep.equal([5_000]);
        expect(result).to.equal(undefined);
        expect(process.death).to.equal("exited at once on a second SIGTERM");
    });

    it("drain runs what is still scheduled once the release has ended (an operator finishing), to its end", async () => {
        const timeline = new Timeline(0);
        const main = timeline.process("release");
        await main.run(async () => main.sleep(1_000));
        const operator = timeline.process("operator");
        const done: number[] = [];
        timeline.at(2_000, () =>
            operator.start(
                async () => (await operator.sleep(3_000), operator.now()),
                ({ value }) => done.push(value!),
            ),
        );
        await timeline.drain();
        expect(done).to.deep.equal([5_000]);
    });
});
