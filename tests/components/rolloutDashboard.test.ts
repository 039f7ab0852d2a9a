import { expect } from "chai";
import { RolloutDashboard } from "../../components/rolloutDashboard";
import { T } from "../../automation/engine/resourceTypes";
import { recordingMocks, unwrap } from "../helpers/pulumiMocks";

describe("RolloutDashboard constructed under Pulumi's mocks", () => {
    it("declares one dashboard, parented to the component, with invocations, errors and p99 per version for each function", async () => {
        const recorder = await recordingMocks();
        const component = new RolloutDashboard(
            "rollout",
            {
                dashboardName: "lambda-rollout-prod",
                region: "eu-west-1",
                functionNames: ["orders-prod", "billing-prod"],
                aliasName: "live",
            },
            recorder.opts,
        );
        expect(await unwrap(component.dashboardName)).to.equal("lambda-rollout-prod");
        const children = recorder.resources.filter((r) => r.parent === component);
        expect(children.map((r) => `${r.type} ${r.name}`)).to.deep.equal([`${T.dashboard} rollout-dashboard`]);
        const body = JSON.parse(children[0].inputs.dashboardBody) as {
            widgets: { properties: { title: string; region: string; metrics: { expression: string }[][] } }[];
        };
        expect(body.widgets.map((w) => w.properties.title)).to.deep.equal([
            "orders-prod:live invocations per version",
            "orders-prod:live errors per version",
            "orders-prod:live p99 duration (ms) per version",
            "billing-prod:live invocations per version",
            "billing-prod:live errors per version",
            "billing-prod:live p99 duration (ms) per version",
        ]);
        expect(body.widgets[0].properties.region).to.equal("eu-west-1");
        expect(body.widgets[1].properties.metrics[0][0].expression).to.contain('FunctionName="orders-prod" Resource="orders-prod:live"');
    });

    it("no function is refused, naming the field", async () => {
        const recorder = await recordingMocks();
        expect(
            () =>
                new RolloutDashboard(
                    "rollout",
                    { dashboardName: "d", region: "us-east-1", functionNames: [], aliasName: "live" },
                    recorder.opts,
                ),
        ).to.throw("`functionNames` must name at least one function");
    });

    it("two instances in one stack declare dashboards with distinct names", async () => {
        const recorder = await recordingMocks();
        const args = { region: "us-east-1", functionNames: ["orders-prod"], aliasName: "live" };
        const a = new RolloutDashboard("orders", { ...args, dashboardName: "orders" }, recorder.opts);
        const b = new RolloutDashboard("billing", { ...args, dashboardName: "billing" }, recorder.opts);
        await Promise.all([unwrap(a.dashboardName), unwrap(b.dashboardName)]);
        const names = recorder.resources.filter((r) => r.parent === a || r.parent === b).map((r) => r.name);
        expect(names).to.have.members(["orders-dashboard", "billing-dashboard"]);
    });
});
