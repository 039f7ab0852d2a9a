import { expect } from "chai";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import {
    cannotConfirm,
    confirmMode,
    NO_STACK,
    resolveStack,
    selectedStackIn,
    workspaceSettingsFile,
    type ConfirmFlags,
    type ConfirmMode,
    type ConventionEnv,
    type SelectedStack,
    type StackSource,
} from "../../../automation/cli/conventions";
import { readSelectedStack } from "../../../automation/cli/workspace";
import { PROJECT_ROOT } from "../../../automation/engine/evaluate";
import { UsageError } from "../../../automation/errors";
import { readProject } from "../../../automation/project";
import { StackNameError } from "../../../automation/stackName";

const SELECTED: SelectedStack = { stack: "staging", file: "/home/ana/.pulumi/workspaces/orders-service-x-workspace.json" };

describe("Pulumi CLI conventions: which stack", () => {
    const cases: [
        label: string,
        flag: string | undefined,
        env: ConventionEnv,
        selected: SelectedStack | undefined,
        name: string,
        qualified: string,
        source: StackSource,
    ][] = [
        ["-s wins over PULUMI_STACK and the selected stack", "prod", { PULUMI_STACK: "dev" }, SELECTED, "prod", "prod", "flag"],
        ["PULUMI_STACK when no -s", undefined, { PULUMI_STACK: "dev" }, SELECTED, "dev", "dev", "env"],
        ["the selected stack when neither", undefined, {}, SELECTED, "staging", "staging", "workspace"],
        ["an empty PULUMI_STACK counts as unset", undefined, { PULUMI_STACK: "" }, SELECTED, "staging", "staging", "workspace"],
        [
            "org/project/stack naming this project: the stack is the last part",
            "acme/orders-service/prod",
            {},
            undefined,
            "prod",
            "acme/orders-service/prod",
            "flag",
        ],
        ["org/stack from PULUMI_STACK", undefined, { PULUMI_STACK: "acme/dev" }, undefined, "dev", "acme/dev", "env"],
        [
            "a fully qualified selected stack (as the Pulumi Cloud backend stores it)",
            undefined,
            {},
            { ...SELECTED, stack: "acme/orders-service/staging" },
            "staging",
            "acme/orders-service/staging",
            "workspace",
        ],
    ];
    for (const [label, flag, env, selected, name, qualified, source] of cases) {
        it(label, () => {
            const got = resolveStack({ flag, env, selected: () => selected }, "orders-service");
            expect({ name: got.name, qualified: got.qualified, source: got.source }).to.deep.equal({ name, qualified, source });
        });
    }

    it("the selected stack is not read when -s or PULUMI_STACK names one", () => {
        const selected = () => expect.fail("the workspace was read");
        expect(resolveStack({ flag: "prod", env: {}, selected }, "orders-service").name).to.equal("prod");
        expect(resolveStack({ env: { PULUMI_STACK: "dev" }, selected }, "orders-service").name).to.equal("dev");
    });

    it("no -s, no PULUMI_STACK and nothing selected is a usage error that says the three ways to name one", () => {
        expect(() => resolveStack({ env: {}, selected: () => undefined }, "orders-service")).to.throw(UsageError, NO_STACK);
        expect(NO_STACK).to.equal("no stack selected: pass -s/--stack, set PULUMI_STACK, or run `pulumi stack select`");
    });

    const refused: [label: string, flag: string | undefined, env: ConventionEnv, selected: SelectedStack | undefined, message: string][] = [
        [
            "-s naming another project",
            "acme/billing/prod",
            {},
            undefined,
            '`--stack` (got "acme/billing/prod"): names project "billing", but this is the orders-service project',
        ],
        [
            "PULUMI_STACK naming another project",
            undefined,
            { PULUMI_STACK: "acme/billing/prod" },
            undefined,
            '`PULUMI_STACK` (got "acme/billing/prod"): names project "billing"',
        ],
        [
            "a path in PULUMI_STACK",
            undefined,
            { PULUMI_STACK: "../../etc" },
            undefined,
            '`PULUMI_STACK` (got "../../etc"): a stack name may contain only',
        ],
        [
            "a selected stack of another project",
            undefined,
            {},
            { ...SELECTED, stack: "acme/billing/prod" },
            `the selected stack (${SELECTED.file}) (got "acme/billing/prod"): names project "billing"`,
        ],
    ];
    for (const [label, flag, env, selected, message] of refused) {
        it(`${label} is refused, naming where the name came from`, () => {
            expect(() => resolveStack({ flag, env, selected: () => selected }, "orders-service")).to.throw(StackNameError, message);
        });
    }
});

describe("Pulumi CLI conventions: the selected stack's settings file", () => {
    it("is $PULUMI_HOME/workspaces/<project>-<sha1 of the Pulumi.yaml path>-workspace.json, ~/.pulumi without PULUMI_HOME", () => {
        const file = "/home/ana/orders/Pulumi.yaml";
        const sha1 = "459f9a8fadee7ef9a01a6eb3206bbda6c6a0f64f";
        expect(workspaceSettingsFile("orders-service", file, {}, "/home/ana")).to.equal(
            `/home/ana/.pulumi/workspaces/orders-service-${sha1}-workspace.json`,
        );
        expect(workspaceSettingsFile("orders-service", file, { PULUMI_HOME: "/opt/pulumi" }, "/home/ana")).to.equal(
            `/opt/pulumi/workspaces/orders-service-${sha1}-workspace.json`,
        );
        expect(workspaceSettingsFile("orders-service", file, { PULUMI_HOME: "" }, "/home/ana")).to.equal(
            `/home/ana/.pulumi/workspaces/orders-service-${sha1}-workspace.json`,
        );
    });

    const texts: [text: string, stack: string | undefined][] = [
        ['{"stack":"prod"}', "prod"],
        ['{\n    "stack": "acme/orders-service/prod"\n}', "acme/orders-service/prod"],
        ['{"stack":""}', undefined],
        ["{}", undefined],
        ['{"stack":7}', undefined],
        ["null", undefined],
        ["not json", undefined],
    ];
    for (const [text, stack] of texts) {
        it(`${JSON.stringify(text)} selects ${stack ?? "nothing"}`, () => {
            expect(selectedStackIn(text)).to.equal(stack);
        });
    }

    it("is read for the project from PULUMI_HOME, and selects nothing when there is no file", () => {
        const home = fs.mkdtempSync(path.join(os.tmpdir(), "lambda-rollout-conventions-"));
        const project = readProject(path.join(PROJECT_ROOT, "examples", "existing-project"));
        expect(readSelectedStack(project, { PULUMI_HOME: home }, home)).to.equal(undefined);
        const file = workspaceSettingsFile(project.name, path.join(project.root, "Pulumi.yaml"), { PULUMI_HOME: home }, home);
        fs.mkdirSync(path.dirname(file), { recursive: true });
        fs.writeFileSync(file, '{"stack":"dev"}');
        expect(readSelectedStack(project, { PULUMI_HOME: home }, home)).to.deep.equal({ stack: "dev", file });
        fs.rmSync(home, { recursive: true });
    });
});

describe("Pulumi CLI conventions: whether to ask", () => {
    const cases: [verb: string, flags: ConfirmFlags, env: ConventionEnv, tty: boolean, mode: ConfirmMode][] = [
        ["promote", {}, {}, true, "ask"],
        ["promote", {}, {}, false, "refuse"],
        ["promote", { nonInteractive: true }, {}, true, "refuse"],
        ["promote", { yes: true }, {}, false, "skip"],
        ["promote", { yes: true, nonInteractive: true }, {}, true, "skip"],
        ["promote", { nonInteractive: true }, { PULUMI_SKIP_CONFIRMATIONS: "true" }, false, "skip"],
        ["promote", {}, { PULUMI_SKIP_CONFIRMATIONS: "1" }, false, "skip"],
        ["promote", {}, { PULUMI_SKIP_CONFIRMATIONS: "TRUE" }, false, "skip"],
        ["promote", {}, { PULUMI_SKIP_CONFIRMATIONS: "false" }, false, "refuse"],
        ["promote", {}, { PULUMI_SKIP_CONFIRMATIONS: "0" }, true, "ask"],
        ["promote", { dryRun: true, nonInteractive: true }, {}, false, "skip"],
        ["rollback", {}, {}, false, "refuse"],
        ["rollback", { nonInteractive: true }, {}, true, "refuse"],
        ["rollback", {}, {}, true, "ask"],
        ["status", { nonInteractive: true }, {}, false, "skip"],
        ["plan", {}, {}, false, "skip"],
        ["rehearse", { nonInteractive: true }, {}, false, "skip"],
    ];
    for (const [verb, flags, env, tty, mode] of cases) {
        it(`${verb} ${JSON.stringify(flags)} ${JSON.stringify(env)} ${tty ? "on a terminal" : "without a terminal"}: ${mode}`, () => {
            expect(confirmMode(verb, flags, env, tty)).to.equal(mode);
        });
    }

    it("a refusal says why and how to go ahead", () => {
        expect(cannotConfirm("promote", { nonInteractive: true })).to.equal(
            "--non-interactive: promote would ask before it moves traffic, and nobody can answer; pass -y/--yes (or set PULUMI_SKIP_CONFIRMATIONS=true) to go ahead without a prompt. Nothing was read or changed",
        );
        expect(cannotConfirm("rollback", {})).to.match(/^stdin is not a terminal: rollback would ask/);
    });
});
