import { expect } from "chai";
import { validateProgressiveFunctionArgs, type ProgressiveFunctionArgs } from "../../components/progressiveFunction";

/** Valid arguments: each row changes one field and names the exact message the change must produce. */
const VALID: ProgressiveFunctionArgs = {
    functionName: "orders-prod",
    region: "us-east-1",
    codePath: "/srv/app",
    handler: "index.handler",
    runtime: "nodejs24.x",
    memoryMb: 256,
    timeoutSeconds: 10,
    logRetentionDays: 14,
    strategy: "canary",
    thresholds: { maxErrorRatePercent: 1, maxP99Ms: 800, maxThrottles: 0 },
    alarmTopicArn: "arn:aws:sns:us-east-1:123456789012:rollout-alarms",
    release: { version: "1.0.0" },
    policyStatements: [{ Effect: "Allow", Action: "dynamodb:GetItem", Resource: "arn:aws:dynamodb:us-east-1:123456789012:table/orders" }],
    managedPolicyArns: ["arn:aws:iam::aws:policy/AWSXRayDaemonWriteAccess"],
    layers: ["arn:aws:lambda:us-east-1:123456789012:layer:otel:3"],
    architectures: ["arm64"],
    routing: { stable: "6", candidate: "7", weight: 0.1 },
};

const allow = { Effect: "Allow", Action: "s3:GetObject", Resource: "*" } as const;

const CASES: [string, Partial<ProgressiveFunctionArgs>, string | undefined][] = [
    ["valid arguments", {}, undefined],
    ["`code` instead of `codePath`", { codePath: undefined, code: {} as never }, undefined],
    [
        "both `codePath` and `code`",
        { code: {} as never },
        "exactly one of `codePath` (a directory) and `code` (an archive) must be given: the function's code",
    ],
    [
        "neither `codePath` nor `code`",
        { codePath: undefined },
        "exactly one of `codePath` (a directory) and `code` (an archive) must be given: the function's code",
    ],
    [
        "an Effect that is not Allow or Deny",
        { policyStatements: [allow, { ...allow, Effect: "Permit" as never }] },
        '`policyStatements[1].Effect` (got "Permit") must be "Allow" or "Deny"',
    ],
    [
        "an Action without a service prefix",
        { policyStatements: [{ ...allow, Action: "GetObject" }] },
        '`policyStatements[0].Action` (got "GetObject") must be one or more actions such as "s3:GetObject"',
    ],
    [
        "no Action",
        { policyStatements: [{ ...allow, Action: [] }] },
        '`policyStatements[0].Action` (got []) must be one or more actions such as "s3:GetObject"',
    ],
    [
        "a Resource that is not an ARN",
        { policyStatements: [{ ...allow, Resource: "orders-table" }] },
        '`policyStatements[0].Resource` (got "orders-table") must be one or more ARNs (or "*")',
    ],
    [
        "a managed policy given by name",
        { managedPolicyArns: ["AWSXRayDaemonWriteAccess"] },
        '`managedPolicyArns[0]` (got "AWSXRayDaemonWriteAccess") must be an IAM policy ARN such as "arn:aws:iam::aws:policy/AWSXRayDaemonWriteAccess"',
    ],
    [
        "a Deny statement, `*` as its action and its resource",
        { policyStatements: [{ Effect: "Deny", Action: "*", Resource: "*" }] },
        undefined,
    ],
    [
        "one bad action among good ones",
        { policyStatements: [{ ...allow, Action: ["s3:GetObject", "s3 PutObject"] }] },
        '`policyStatements[0].Action` (got ["s3:GetObject","s3 PutObject"]) must be one or more actions such as "s3:GetObject"',
    ],
    [
        "no Resource",
        { policyStatements: [{ ...allow, Resource: [] }] },
        '`policyStatements[0].Resource` (got []) must be one or more ARNs (or "*")',
    ],
    ["a customer managed policy in another partition", { managedPolicyArns: ["arn:aws-us-gov:iam::123456789012:policy/app"] }, undefined],
    [
        "a role ARN given as a managed policy",
        { managedPolicyArns: ["arn:aws:iam::123456789012:role/app"] },
        '`managedPolicyArns[0]` (got "arn:aws:iam::123456789012:role/app") must be an IAM policy ARN such as "arn:aws:iam::aws:policy/AWSXRayDaemonWriteAccess"',
    ],
    ["five layers", { layers: ["a", "b", "c", "d", "e"] }, undefined],
    ["six layers", { layers: ["a", "b", "c", "d", "e", "f"] }, "`layers` has 6 layers: Lambda allows at most 5"],
    [
        "two architectures",
        { architectures: ["x86_64", "arm64"] },
        '`architectures` (got ["x86_64","arm64"]) must be ["x86_64"] or ["arm64"]',
    ],
    ["x86_64", { architectures: ["x86_64"] }, undefined],
    ["no architecture", { architectures: [] }, '`architectures` (got []) must be ["x86_64"] or ["arm64"]'],
    [
        "an architecture Lambda does not have",
        { architectures: ["amd64"] as never },
        '`architectures` (got ["amd64"]) must be ["x86_64"] or ["arm64"]',
    ],
    ["a function name of 64 characters", { functionName: "f".repeat(64) }, undefined],
    ["an empty function name", { functionName: "" }, "`functionName` \"\" must be 1-64 letters, digits, '-' or '_' (Lambda's rule)"],
    [
        "a function name with a space",
        { functionName: "orders prod" },
        "`functionName` \"orders prod\" must be 1-64 letters, digits, '-' or '_' (Lambda's rule)",
    ],
    [
        "a function name of 65 characters",
        { functionName: "f".repeat(65) },
        `\`functionName\` "${"f".repeat(65)}" must be 1-64 letters, digits, '-' or '_' (Lambda's rule)`,
    ],
    [
        "a routing weight above 1",
        { routing: { stable: "6", candidate: "7", weight: 1.5 } },
        "`routing.weight` 1.5 must be between 0.0 and 1.0",
    ],
    [
        "a negative routing weight",
        { routing: { stable: "6", candidate: "7", weight: -0.1 } },
        "`routing.weight` -0.1 must be between 0.0 and 1.0",
    ],
    ["routing weight 0 (all on stable)", { routing: { stable: "6", candidate: "7", weight: 0 } }, undefined],
    ["routing weight 1 (all on the candidate)", { routing: { stable: "6", candidate: "7", weight: 1 } }, undefined],
    [
        "$LATEST as stable",
        { routing: { stable: "$LATEST", candidate: "7", weight: 0.1 } },
        '`routing.stable` "$LATEST" must be a published version number (never $LATEST)',
    ],
    [
        "$LATEST as candidate",
        { routing: { stable: "6", candidate: "$LATEST", weight: 0.1 } },
        '`routing.candidate` "$LATEST" must be a published version number (never $LATEST)',
    ],
    [
        "an alias name as candidate",
        { routing: { stable: "6", candidate: "live", weight: 0.1 } },
        '`routing.candidate` "live" must be a published version number (never $LATEST)',
    ],
];

describe("validateProgressiveFunctionArgs: each bad field gets its exact message", () => {
    for (const [what, change, message] of CASES) {
        it(`${what}: ${message ?? "accepted"}`, () => {
            let error: Error | undefined;
            try {
                validateProgressiveFunctionArgs({ ...VALID, ...change });
            } catch (err) {
                error = err as Error;
            }
            expect(error?.message).to.equal(message);
        });
    }
});
