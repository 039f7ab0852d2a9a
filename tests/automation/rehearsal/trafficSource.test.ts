import { expect } from "chai";
import * as fs from "fs";
import * as path from "path";
import { PROJECT_ROOT } from "../../../automation/engine/evaluate";
import { UsageError } from "../../../automation/errors";
import { rehearse } from "../../../automation/rehearsal/rehearse";
import { parseScenario } from "../../../automation/rehearsal/scenario";
import { memoryLog } from "../../helpers/fakes";

/** The shipped healthy scenario with `source` set on its "*" entry. */
function healthyThrough(source: unknown) {
    const raw = JSON.parse(fs.readFileSync(path.join(PROJECT_ROOT, "scenarios", "healthy.json"), "utf8"));
    raw.functions["*"].source = source;
    return raw;
}

describe("a scenario's traffic source (api, queue, direct)", function () {
    this.timeout(120_000);

    it("is optional: the shipped scenarios name none and keep their fields", () => {
        const raw = JSON.parse(fs.readFileSync(path.join(PROJECT_ROOT, "scenarios", "healthy.json"), "utf8"));
        expect(parseScenario(raw, "healthy.json").functions["*"].source).to.equal(undefined);
    });

    it('a source other than "api", "queue", "direct" or "async" is refused, naming the field', () => {
        expect(() => parseScenario(healthyThrough("email"), "s.json")).to.throw(UsageError, 'must be "api", "queue", "direct" or "async"');
    });

    it("traffic through prod's HTTP API rehearses the same rollout as direct traffic: promoted", async () => {
        const result = await rehearse({ stack: "prod", scenario: parseScenario(healthyThrough("api"), "s.json"), log: memoryLog() });
        expect([result.report.outcome, result.exitCode]).to.deep.equal(["promoted", 0]);
    });

    it("traffic through a queue prod's api does not have is refused, naming the key", async () => {
        let error: Error | undefined;
        try {
            await rehearse({ stack: "prod", scenario: parseScenario(healthyThrough("queue"), "s.json"), log: memoryLog() });
        } catch (err) {
            error = err as Error;
        }
        expect(error).to.be.instanceOf(UsageError);
        expect(error?.message).to.equal(
            "scenario healthy sends api's traffic through `source: queue`, but function \"api\" has no `queue` in this stack's config",
        );
    });
});
