import { expect } from "chai";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { markdown, median, parseTimeLine, stackWithFunctions, type Run } from "../../bench/speed";
import { loadStackConfig, PROJECT_ROOT } from "../../automation/engine/evaluate";

describe("the speed benchmark (bench/speed.ts)", () => {
    it("makes a prod stack with N functions that the tool reads as valid: prod's rollout, N copies of the api without reserved concurrency", () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "speed-bench-"));
        try {
            const file = path.join(dir, "Pulumi.prod-200.yaml");
            fs.writeFileSync(file, stackWithFunctions(fs.readFileSync(path.join(PROJECT_ROOT, "Pulumi.prod.yaml"), "utf8"), 200));
            const { stackConfig } = loadStackConfig("prod", file);
            const prod = loadStackConfig("prod").stackConfig;
            expect(stackConfig.functions.map((f) => f.name)).to.deep.equal(
                Array.from({ length: 200 }, (_, i) => `fn${String(i + 1).padStart(3, "0")}`),
            );
            expect(stackConfig.functions.every((f) => f.reservedConcurrency === undefined && f.memoryMb === 1024)).to.equal(true);
            expect(stackConfig.rollout).to.deep.equal(prod.rollout);
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });

    it("reads GNU time's line, and refuses output without one", () => {
        expect(parseTimeLine("some output\n12.34 10.50 1.25 524288\n", 0)).to.deep.equal({
            wall: 12.34,
            cpu: 11.75,
            rssMb: 512,
            exitCode: 0,
        });
        expect(() => parseTimeLine("Command terminated by signal 9\n", 137)).to.throw(/no timing in the output of GNU time/);
    });

    it("prints medians and after/before ratios, one row per command and size, with both sides' exit codes", () => {
        const run = (cpu: number, wall: number, exitCode = 0): Run => ({ cpu, wall, rssMb: 400, exitCode });
        expect(median([3, 1, 2])).to.equal(2);
        expect(median([4, 1, 2, 3])).to.equal(2.5);
        const [, , row] = markdown([
            {
                command: "rehearse (healthy)",
                functions: 50,
                before: [run(20, 30), run(22, 31), run(21, 29)],
                after: [run(8, 12), run(9, 13), run(10, 11)],
            },
        ]);
        expect(row).to.equal("| rehearse (healthy) | 50 | 21.00 | 9.00 | 0.43 | 30.00 | 12.00 | 0.40 | 400 | 400 | 0 / 0 |");
    });
});
