import { expect } from "chai";
import { DeploymentAlarms, deploymentAlarmsProblem, slowRolloutThresholdSeconds } from "../../components/deploymentAlarms";
import { dashboardBody } from "../../components/rolloutDashboard";
import { T } from "../../automation/engine/resourceTypes";
import { allRegistered, recordingMocks } from "../helpers/pulumiMocks";

describe("DeploymentAlarms constructed under Pulumi's mocks", () => {
    const args = {
        stack: "prod",
        functionKeys: ["api", "worker"],
        bakeSeconds: 1800,
        alarmTopicArn: "arn:aws:sns:us-east-1:123456789012:lambda-rollout-prod-rollback-alarms",
        namePrefix: "lambda-rollout-prod",
    };

    it("declares, per function, a rollbacks alarm that pages the topic above 2 an hour and a slow-rollout alarm that only warns", async () => {
        const recorder = await recordingMocks();
        const component = new DeploymentAlarms("deployments", args, recorder.opts);
        await allRegistered();
        const children = recorder.resources.filter((r) => r.parent === component);
        expect(children.map((r) => `${r.type} ${r.name}`)).to.deep.equal([
            `${T.alarm} deployments-api-rollbacks`,
            `${T.alarm} deployments-api-slow`,
            `${T.alarm} deployments-worker-rollbacks`,
            `${T.alarm} deployments-worker-slow`,
        ]);
        const rollbacks = children[2].inputs;
        expect(rollbacks).to.include({
            name: "lambda-rollout-prod-worker-rollbacks",
            namespace: "LambdaRollout",
            metricName: "RolloutRolledBack",
            statistic: "Sum",
            period: 3600,
            evaluationPeriods: 1,
            comparisonOperator: "GreaterThanThreshold",
            threshold: 2,
            treatMissingData: "notBreaching",
        });
        expect(rollbacks.dimensions).to.deep.equal({ Stack: "prod", Function: "worker" });
        expect(rollbacks.alarmActions).to.deep.equal([args.alarmTopicArn]);
        const slow = children[3].inputs;
        expect(slow).to.include({ metricName: "RolloutDuration", statistic: "Maximum", threshold: 2700 });
        expect(slow.alarmActions).to.equal(undefined);
        expect(component.alarmNames.api).to.deep.equal({
            rollbacks: "lambda-rollout-prod-api-rollbacks",
            slow: "lambda-rollout-prod-api-slow-rollout",
        });
    });

    it("a rollout warns 15 minutes beyond its bakes, whatever they add up to", () => {
        expect(slowRolloutThresholdSeconds(0)).to.equal(900);
        expect(slowRolloutThresholdSeconds(1800)).to.equal(2700);
    });

    it("refuses no function or a negative bake, naming the field", () => {
        expect(deploymentAlarmsProblem({ functionKeys: [], bakeSeconds: 0 })).to.equal("`functionKeys` must name at least one function");
        expect(deploymentAlarmsProblem({ functionKeys: ["api"], bakeSeconds: -1 })).to.equal("`bakeSeconds` must be 0 or more (got -1)");
        expect(deploymentAlarmsProblem({ functionKeys: ["api"], bakeSeconds: 0 })).to.equal(undefined);
    });

    it("the dashboard's deployment row reads the same metrics and dimensions", () => {
        const body = dashboardBody({
            dashboardName: "d",
            region: "us-east-1",
            functionNames: ["lambda-rollout-prod-api"],
            aliasName: "live",
            deployments: { stack: "prod", functionKeys: ["api"] },
        }) as { widgets: { y: number; properties: { title: string; metrics: unknown[] } }[] };
        const row = body.widgets.slice(3);
        expect(row.map((w) => w.properties.title)).to.deep.equal([
            "stack prod: rollouts promoted and rolled back per hour",
            "stack prod: rollout duration and time to decision (s)",
        ]);
        expect(row[0].properties.metrics).to.deep.equal([
            ["LambdaRollout", "RolloutSucceeded", "Stack", "prod", "Function", "api"],
            ["LambdaRollout", "RolloutRolledBack", "Stack", "prod", "Function", "api"],
        ]);
        expect(row.every((w) => w.y === 6)).to.equal(true);
    });
});
