import { expect } from "chai";
import { InvokeCommand } from "@aws-sdk/client-lambda";
import { SimulatedAws } from "../../../automation/simulator";

const START = new Date("2026-01-05T09:00:00Z");

function account(seed: number): SimulatedAws {
    const sim = new SimulatedAws({ seed, startTime: START, metricDelayMinutes: 0 });
    sim.putFunction({ name: "api", role: "arn:aws:iam::123456789012:role/api", timeoutSeconds: 3 });
    sim.publishVersion("api");
    sim.publishVersion("api");
    sim.putAlias("api", "live", "1", { "2": 0.1 });
    sim.setDefaultProfile("api", { errorRate: 0.01, p50Ms: 80, p99Ms: 400 });
    sim.setTraffic("api", "live", 200);
    sim.setInvokeHandler("api", "2", () => ({ payload: { ok: true } }));
    return sim;
}

describe("the simulator's random streams", () => {
    it("a direct invocation (a smoke test) leaves the traffic of the same seed exactly as it was", async () => {
        const quiet = account(5);
        const smoked = account(5);
        await smoked.lambda.send(new InvokeCommand({ FunctionName: "api", Qualifier: "2", Payload: new TextEncoder().encode("{}") }));
        await smoked.lambda.send(new InvokeCommand({ FunctionName: "api", Qualifier: "live", Payload: new TextEncoder().encode("{}") }));
        quiet.advance(10 * 60_000);
        smoked.advance(10 * 60_000);
        expect(smoked.requestCounts("api")).to.deep.equal(quiet.requestCounts("api"));
    });
});
