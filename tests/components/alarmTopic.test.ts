import { expect } from "chai";
import { AlarmTopic } from "../../components/alarmTopic";
import { T } from "../../automation/engine/resourceTypes";
import { allRegistered, recordingMocks, unwrap } from "../helpers/pulumiMocks";

describe("AlarmTopic constructed under Pulumi's mocks", () => {
    it("declares the topic and an email subscription to it, named after the component and parented to it", async () => {
        const recorder = await recordingMocks();
        const component = new AlarmTopic("alarms", { topicName: "rollout-alarms-prod", email: "oncall@example.com" }, recorder.opts);
        const arn = await unwrap(component.topicArn);
        expect(arn).to.equal("arn:aws:sns:us-east-1:123456789012:rollout-alarms-prod");
        await allRegistered();
        expect(recorder.resources.filter((r) => r.parent === component).map((r) => `${r.type} ${r.name}`)).to.deep.equal([
            `${T.topic} alarms-topic`,
            `${T.subscription} alarms-email`,
        ]);
        expect(recorder.named("alarms-email").inputs).to.deep.include({ topic: arn, protocol: "email" });
        // The address is kept a secret in the state: the engine receives it in Pulumi's secret envelope.
        expect(recorder.named("alarms-email").inputs.endpoint).to.deep.equal({
            "4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270",
            value: "oncall@example.com",
        });
    });

    it("without an email, only the topic", async () => {
        const recorder = await recordingMocks();
        const component = new AlarmTopic("alarms", { topicName: "rollout-alarms-dev" }, recorder.opts);
        await unwrap(component.topicArn);
        expect(recorder.resources.filter((r) => r.parent === component).map((r) => r.name)).to.deep.equal(["alarms-topic"]);
    });

    it("an address that is not an email is refused, naming the field", async () => {
        const recorder = await recordingMocks();
        expect(() => new AlarmTopic("alarms", { topicName: "t", email: "oncall" }, recorder.opts)).to.throw(
            '`email` "oncall" must be an email address',
        );
    });

    it("two instances in one stack declare children with distinct names", async () => {
        const recorder = await recordingMocks();
        const prod = new AlarmTopic("prod-alarms", { topicName: "rollout-alarms-prod", email: "oncall@example.com" }, recorder.opts);
        const dev = new AlarmTopic("dev-alarms", { topicName: "rollout-alarms-dev", email: "dev@example.com" }, recorder.opts);
        await Promise.all([unwrap(prod.topicArn), unwrap(dev.topicArn)]);
        await allRegistered();
        const names = recorder.resources.filter((r) => r.parent === prod || r.parent === dev).map((r) => r.name);
        expect(names).to.have.members(["prod-alarms-topic", "prod-alarms-email", "dev-alarms-topic", "dev-alarms-email"]);
    });
});
