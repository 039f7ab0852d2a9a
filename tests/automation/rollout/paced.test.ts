import { expect } from "chai";
import { ALIAS_READS, callPaced, type Pace } from "../../../automation/rollout/paced";
import type { Clock } from "../../../automation/rollout/ports";

/** A clock whose sleeps only move its time: what the calls see of it is the pacing alone. */
function steppedClock(start = 1_000_000): Clock & { slept: number[] } {
    let now = start;
    const slept: number[] = [];
    return {
        slept,
        now: () => now,
        sleep: async (ms) => {
            slept.push(ms);
            now += ms;
        },
    };
}

/** Calls that take `ms` of real time each, recording when each started (on `clock`) and how many ran at once. */
function recorder(clock: Clock, failAt: Set<number> = new Set()) {
    const started: number[] = [];
    let running = 0;
    let most = 0;
    const call = async (i: number) => {
        started[i] = clock.now() - 1_000_000;
        running += 1;
        most = Math.max(most, running);
        await new Promise((resolve) => setTimeout(resolve, 1 + (i % 3)));
        running -= 1;
        if (failAt.has(i)) throw Object.assign(new Error(`read ${i} failed`), { name: "ExpiredTokenException" });
        return `alias ${i}`;
    };
    return { call, started, most: () => most };
}

const range = (n: number) => Array.from({ length: n }, (_, i) => i);

describe("paced calls (GetAlias reads under Lambda's control-plane quota)", () => {
    it("up to the burst, every read starts at once: a poll of 10 functions or fewer takes no time", async () => {
        const clock = steppedClock();
        const r = recorder(clock);
        const calls = await callPaced(range(10), ALIAS_READS, clock, r.call);
        expect(await Promise.all(calls)).to.deep.equal(range(10).map((i) => `alias ${i}`));
        expect(clock.slept).to.deep.equal([]);
        expect(r.most()).to.equal(4);
    });

    it("200 functions: at most 4 in flight, the 11th and later 10 a second, a second apart, each answer at its function's place", async () => {
        const clock = steppedClock();
        const r = recorder(clock);
        const calls = await callPaced(range(200), ALIAS_READS, clock, r.call);
        expect(await Promise.all(calls)).to.deep.equal(range(200).map((i) => `alias ${i}`));
        expect(r.most()).to.be.at.most(4);
        expect(r.started.slice(0, 10).every((ms) => ms === 0)).to.equal(true);
        for (const i of range(200).slice(10)) expect(r.started[i], `read ${i}`).to.be.at.least(Math.ceil((i - 9) / 10) * 1000);
        // 15 requests a second is the account's whole quota: the reads take two thirds of it, no more; one sleep a second.
        expect(r.started[199]).to.equal(19_000);
        expect(clock.slept).to.deep.equal(Array.from({ length: 19 }, () => 1000));
    });

    it("a failed read is the caller's to read, at its place; the others are made and answered all the same", async () => {
        const clock = steppedClock();
        const r = recorder(clock, new Set([3]));
        const calls = await callPaced(range(6), ALIAS_READS, clock, r.call);
        const settled = await Promise.allSettled(calls);
        expect(settled.map((s) => s.status)).to.deep.equal(["fulfilled", "fulfilled", "fulfilled", "rejected", "fulfilled", "fulfilled"]);
        expect((settled[3] as PromiseRejectedResult).reason.message).to.equal("read 3 failed");
    });

    it("a call that throws before returning a promise is a rejection at its place, not an escape", async () => {
        const clock = steppedClock();
        const pace: Pace = { inFlight: 2, burst: 2, perSecond: 5 };
        const calls = await callPaced(range(3), pace, clock, (i) => {
            if (i === 1) throw new TypeError("no alias name");
            return Promise.resolve(i);
        });
        const settled = await Promise.allSettled(calls);
        expect(settled.map((s) => s.status)).to.deep.equal(["fulfilled", "rejected", "fulfilled"]);
        expect(clock.slept).to.deep.equal([1000]);
    });
});
