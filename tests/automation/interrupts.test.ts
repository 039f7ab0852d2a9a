import { expect } from "chai";
import { handleInterrupts } from "../../automation/interrupts";

describe("interrupt handling (SIGINT, SIGTERM)", () => {
    it("the first signal aborts the run's signal with its name; a second one asks to exit at once; dispose removes the handlers", () => {
        const seen: string[] = [];
        const before = process.listenerCount("SIGINT");
        const beforeTerm = process.listenerCount("SIGTERM");
        const handling = handleInterrupts(
            (s) => seen.push(`first ${s}`),
            (s) => seen.push(`second ${s}`),
        );
        expect(process.listenerCount("SIGINT")).to.equal(before + 1);
        process.emit("SIGTERM");
        expect(handling.signal.aborted).to.equal(true);
        expect(handling.signal.reason).to.equal("SIGTERM");
        process.emit("SIGINT");
        expect(seen).to.deep.equal(["first SIGTERM", "second SIGINT"]);
        handling.dispose();
        expect(process.listenerCount("SIGINT")).to.equal(before);
        expect(process.listenerCount("SIGTERM")).to.equal(beforeTerm);
    });
});
