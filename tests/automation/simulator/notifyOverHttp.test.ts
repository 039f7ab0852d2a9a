import { expect } from "chai";
import { CloudWatchClient } from "@aws-sdk/client-cloudwatch";
import { SNSClient } from "@aws-sdk/client-sns";
import { putMetricData } from "../../../automation/adapters/cloudwatch";
import { publish } from "../../../automation/adapters/sns";
import { SimulatedAws } from "../../../automation/simulator";
import { serveHttp, type WireServer } from "../../../automation/simulator/httpServer";
import { clientError } from "../../../automation/simulator/errors";

/**
 * What the command line's notifications and deployment metrics send (the sandbox's second shell sends them over
 * HTTP): SNS Publish in the query protocol and CloudWatch PutMetricData in awsJson1_0, through the real SDK clients
 * and the tool's own adapters, recorded by the simulated account as the in-process stand-ins record them.
 */
describe("the simulated AWS on the wire: SNS Publish and CloudWatch PutMetricData", () => {
    let aws: SimulatedAws;
    let server: WireServer | undefined;
    const credentials = { accessKeyId: "AKIDSIMULATED", secretAccessKey: "simulated" };

    beforeEach(() => {
        aws = new SimulatedAws({ seed: 1, startTime: new Date("2026-01-05T09:00:00Z"), metricDelayMinutes: 0 });
    });
    afterEach(() => server?.close());

    it("a notification published with its attributes is what SNS records", async () => {
        server = await serveHttp(aws);
        const sns = new SNSClient({ endpoint: server.endpoint, region: "us-east-1", credentials });
        try {
            await publish(
                sns,
                "arn:aws:sns:us-east-1:123456789012:alarms",
                { Subject: "prod: api aborted", Message: "all traffic on v1 & <stable>" },
                { event: "aborted", stack: "prod" },
            );
        } finally {
            sns.destroy();
        }
        expect(aws.snsPublishes()).to.deep.equal([
            {
                topicArn: "arn:aws:sns:us-east-1:123456789012:alarms",
                subject: "prod: api aborted",
                message: "all traffic on v1 & <stable>",
                attributes: { event: "aborted", stack: "prod" },
                atMs: Date.parse("2026-01-05T09:00:00Z"),
            },
        ]);
        expect(server.calls).to.deep.equal([{ service: "sns", operation: "Publish", status: 200 }]);
    });

    it("a Publish SNS refuses is the SDK's error with its code; a throttle answered at the door too", async () => {
        let refuse = true;
        server = await serveHttp(aws, {
            intercept: (call) => (call.service === "sns" && refuse ? clientError("ThrottledException", "Rate exceeded", 400) : undefined),
        });
        const sns = new SNSClient({ endpoint: server.endpoint, region: "us-east-1", credentials, maxAttempts: 1 });
        try {
            const throttled = await publish(sns, "arn:aws:sns:us-east-1:123456789012:alarms", { Subject: "s", Message: "m" }, {}).catch(
                (e: Error) => e,
            );
            expect(throttled).to.be.instanceOf(Error);
            expect((throttled as Error).message).to.contain("ThrottledException");
            refuse = false;
            const missing = await publish(sns, "", { Subject: "s", Message: "m" }, {}).catch((e: Error) => e);
            expect((missing as Error).message).to.contain("InvalidParameterException");
        } finally {
            sns.destroy();
        }
        expect(aws.snsPublishes()).to.deep.equal([]);
    });

    it("deployment metrics put, a body the SDK gzips included, are what CloudWatch records", async () => {
        server = await serveHttp(aws);
        const cloudWatch = new CloudWatchClient({ endpoint: server.endpoint, region: "us-east-1", credentials });
        // 120 data of ~150 bytes: over the SDK's 10 KiB request-compression threshold.
        const data = Array.from({ length: 120 }, (_, i) => ({
            MetricName: "RolloutDuration",
            Dimensions: [
                { Name: "Stack", Value: "prod" },
                { Name: "Function", Value: `function-number-${i}` },
            ],
            Value: i,
            Unit: "Seconds" as const,
            Timestamp: new Date("2026-01-05T09:00:00Z"),
        }));
        try {
            await putMetricData(cloudWatch, "LambdaRollout", data.slice(0, 1));
            await putMetricData(cloudWatch, "LambdaRollout", data);
        } finally {
            cloudWatch.destroy();
        }
        const put = aws.customMetrics("LambdaRollout");
        expect(put).to.have.length(121);
        expect(put[0]).to.deep.include({
            metricName: "RolloutDuration",
            dimensions: { Stack: "prod", Function: "function-number-0" },
            value: 0,
        });
        expect(put.at(-1)).to.deep.include({ dimensions: { Stack: "prod", Function: "function-number-119" }, value: 119, unit: "Seconds" });
        expect(server.calls.map((c) => `${c.operation} ${c.status}`)).to.deep.equal(["PutMetricData 200", "PutMetricData 200"]);
    });
});
