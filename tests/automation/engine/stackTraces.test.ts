import { expect } from "chai";
import { evaluateProgram } from "../../../automation/engine/evaluate";
import { withoutStackTraces } from "../../../automation/engine/stackTraces";
import { fakeAccount } from "../../helpers/fakeAccount";

const frames = (err: Error) => (err.stack ?? "").split("\n").filter((l) => /^\s+at /.test(l)).length;

describe("program evaluations without stack traces", () => {
    it("inside, an error keeps its name and message but no frames; afterwards the limit and source maps are as they were", async () => {
        const limit = Error.stackTraceLimit;
        const sourceMaps = process.sourceMapsEnabled;
        let inside: Error | undefined;
        let mapsInside: boolean | undefined;
        await withoutStackTraces(async () => {
            mapsInside = process.sourceMapsEnabled;
            inside = new TypeError("Cannot read properties of undefined (reading 'weight')");
        }, {});
        expect(inside!.message).to.equal("Cannot read properties of undefined (reading 'weight')");
        expect(inside!.stack).to.equal("TypeError: Cannot read properties of undefined (reading 'weight')");
        expect(mapsInside).to.equal(false);
        expect(Error.stackTraceLimit).to.equal(limit);
        expect(process.sourceMapsEnabled).to.equal(sourceMaps);
        expect(frames(new Error("after"))).to.be.above(0);
    });

    it("restores both when the work throws, and the error reaches the caller as it was thrown", async () => {
        const limit = Error.stackTraceLimit;
        const sourceMaps = process.sourceMapsEnabled;
        const failing = withoutStackTraces(async () => {
            throw new Error("`lambda-rollout:functions[0].memoryMb` must be at most 10240 (MB)");
        }, {});
        await failing.then(
            () => expect.fail("should have thrown"),
            (err: Error) => expect(err.message).to.equal("`lambda-rollout:functions[0].memoryMb` must be at most 10240 (MB)"),
        );
        expect(Error.stackTraceLimit).to.equal(limit);
        expect(process.sourceMapsEnabled).to.equal(sourceMaps);
    });

    it("PULUMI_DEBUG_PROMISE_LEAKS keeps the stacks (the Pulumi SDK's switch for debugging its promises)", async () => {
        let inside: Error | undefined;
        await withoutStackTraces(async () => void (inside = new Error("kept")), { PULUMI_DEBUG_PROMISE_LEAKS: "1" });
        expect(frames(inside!)).to.be.above(0);
    });

    it("a real evaluation leaves the process's limit and source maps as it found them", async () => {
        const limit = Error.stackTraceLimit;
        const sourceMaps = process.sourceMapsEnabled;
        const { resources } = await evaluateProgram({ stack: "prod", world: fakeAccount() });
        expect(resources.length).to.be.above(10);
        expect(Error.stackTraceLimit).to.equal(limit);
        expect(process.sourceMapsEnabled).to.equal(sourceMaps);
    });
});
