import { expect } from "chai";
import { awsClientSettings, DEFAULT_SESSION_NAME, sdkClientConfig } from "../../components/awsClientSettings";

describe("the AWS provider's region, profile and roles, for the SDK clients beside it", () => {
    const rows: [string, Record<string, unknown>, ReturnType<typeof awsClientSettings>][] = [
        ["nothing set: the default chain", {}, { region: "eu-west-1", assumeRoles: [] }],
        ["aws:profile", { "aws:profile": "prod-admin" }, { region: "eu-west-1", profile: "prod-admin", assumeRoles: [] }],
        [
            "aws:assumeRoles, in order, with session name and external id",
            {
                "aws:assumeRoles": [
                    { roleArn: "arn:aws:iam::111111111111:role/hub", sessionName: "ci" },
                    { roleArn: "arn:aws:iam::222222222222:role/deployer", externalId: "x-1" },
                ],
            },
            {
                region: "eu-west-1",
                assumeRoles: [
                    { roleArn: "arn:aws:iam::111111111111:role/hub", sessionName: "ci" },
                    { roleArn: "arn:aws:iam::222222222222:role/deployer", externalId: "x-1" },
                ],
            },
        ],
        [
            "an entry without roleArn is ignored, as the provider does",
            { "aws:assumeRoles": [{ sessionName: "x" }] },
            { region: "eu-west-1", assumeRoles: [] },
        ],
        ["an empty profile is no profile", { "aws:profile": "" }, { region: "eu-west-1", assumeRoles: [] }],
    ];
    for (const [what, config, expected] of rows) {
        it(what, () => expect(awsClientSettings(config, "eu-west-1")).to.deep.equal(expected));
    }

    it("the client config: the region always; credentials only when a profile or a role says so", () => {
        expect(sdkClientConfig({ region: "eu-west-1", assumeRoles: [] })).to.deep.equal({ region: "eu-west-1" });
        expect(sdkClientConfig({ region: "eu-west-1", profile: "p", assumeRoles: [] }).credentials).to.be.a("function");
        expect(sdkClientConfig({ region: "eu-west-1", assumeRoles: [{ roleArn: "arn:aws:iam::1:role/r" }] }).credentials).to.be.a(
            "function",
        );
        expect(DEFAULT_SESSION_NAME).to.equal("lambda-rollout");
    });
});
