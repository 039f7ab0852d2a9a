import { PutMetricDataCommand } from "@aws-sdk/client-cloudwatch";
import { PublishCommand } from "@aws-sdk/client-sns";
import { expect } from "chai";
import { SimulatedAws } from "../../../automation/simulator/simulatedAws";

const START = new Date("2026-01-05T09:00:00Z");

describe("the simulated account's custom metrics and SNS topic", () => {
    it("keeps PutMetricData's data with its dimensions and the virtual time, readable back by namespace", async () => {
        const aws = new SimulatedAws({ seed: 1, startTime: START, metricDelayMinutes: 0 });
        aws.advance(90_000);
        await aws.cloudWatch.send(
            new PutMetricDataCommand({
                Namespace: "LambdaRollout",
                MetricData: [{ MetricName: "RolloutRolledBack", Value: 1, Unit: "Count", Dimensions: [{ Name: "Stack", Value: "prod" }] }],
            }),
        );
        expect(aws.customMetrics("LambdaRollout")).to.deep.equal([
            {
                namespace: "LambdaRollout",
                metricName: "RolloutRolledBack",
                dimensions: { Stack: "prod" },
                value: 1,
                unit: "Count",
                atMs: START.getTime() + 90_000,
            },
        ]);
        expect(aws.customMetrics("Other")).to.deep.equal([]);
    });

    it("refuses a namespace of AWS's own (AWS/...), as CloudWatch does", async () => {
        const aws = new SimulatedAws({ seed: 1, startTime: START, metricDelayMinutes: 0 });
        const put = aws.cloudWatch.send(
            new PutMetricDataCommand({ Namespace: "AWS/Lambda", MetricData: [{ MetricName: "Errors", Value: 1 }] }),
        );
        await put.then(
            () => expect.fail("expected a refusal"),
            (err: Error) => expect(err.name).to.equal("InvalidParameterValue"),
        );
        expect(aws.customMetrics()).to.deep.equal([]);
    });

    it("records each SNS Publish (topic, subject, message, string attributes); nothing is delivered", async () => {
        const aws = new SimulatedAws({ seed: 1, startTime: START, metricDelayMinutes: 0 });
        const out = await aws.sns.send(
            new PublishCommand({
                TopicArn: "arn:aws:sns:us-east-1:123456789012:t",
                Subject: "s",
                Message: "m",
                MessageAttributes: { event: { DataType: "String", StringValue: "promoted" } },
            }),
        );
        expect(out.MessageId).to.equal("sim-1");
        expect(aws.snsPublishes()).to.deep.equal([
            {
                topicArn: "arn:aws:sns:us-east-1:123456789012:t",
                subject: "s",
                message: "m",
                attributes: { event: "promoted" },
                atMs: START.getTime(),
            },
        ]);
    });
});
