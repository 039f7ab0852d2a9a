import { expect } from "chai";
import * as fs from "fs";
import * as path from "path";
import { parse, stringify } from "yaml";
import { LambdaClient } from "@aws-sdk/client-lambda";
import { LambdaAdapter } from "../../../automation/adapters/lambda";
import { PROJECT_ROOT } from "../../../automation/engine/evaluate";
import { exitCodeForOutcome } from "../../../automation/rollout/report";
import { decodeState } from "../../../domain/state";
import {
    freshDir,
    openTerminal,
    startSandboxProcess,
    startVerb,
    until,
    type SandboxProcess,
    type Terminal,
    type VerbRun,
} from "../../helpers/sandbox";

/**
 * Pulumi.prod.yaml with a person's approval before its second step (50%), waiting a day of sandbox time (72 real
 * minutes at 20x) before it would roll back; written to `dir`. Returns the flag that names it.
 */
function prodWithApproval(dir: string): string[] {
    const file = parse(fs.readFileSync(path.join(PROJECT_ROOT, "Pulumi.prod.yaml"), "utf8")) as {
        config: { "lambda-rollout:rollout": { canary: { steps: Record<string, unknown>[] }; approval?: unknown } };
    };
    const rollout = file.config["lambda-rollout:rollout"];
    rollout.canary.steps[1].approval = true;
    rollout.approval = { timeout: "24h", onTimeout: "rollback" };
    const copy = path.join(dir, "Pulumi.prod-approval.yaml");
    fs.writeFileSync(copy, stringify(file));
    return ["--config-file", copy];
}

/**
 * The sandbox as a person uses it (docs/runbook.md, "Practise it"): `lambda-rollout sandbox` in one process, and
 * the real command line from other processes with the environment it printed: promote, then `status --watch` on a
 * pseudo-terminal whose screen is read, then `abort`. What the sandbox holds is read over its own endpoint, as the
 * AWS CLI would.
 *
 * The sandbox's clock is the machine's, sped up, so nothing here may depend on how fast the verbs start: the stack
 * runs with a person's approval before 50% (prod's config with that one change, a day's timeout), so the
 * rollout holds 10% until the abort however late it lands; every wait polls for an event (a record on the alias,
 * a line on the screen, a process's exit) with a deadline of minutes, and the abort may wait an hour of sandbox
 * time for the promote to confirm it.
 */
describe("the sandbox, driven from a second shell with the real command line", function () {
    this.timeout(600_000);
    let tmp: string;
    let sandbox: SandboxProcess;
    let terminal: Terminal | undefined;
    let promote: ReturnType<typeof startVerb> | undefined;
    let lambda: LambdaClient;
    /** The stack's config in the sandbox and in every verb of the second shell. */
    let config: string[];

    before(async () => {
        tmp = freshDir("sandbox-test-");
        config = prodWithApproval(tmp);
        sandbox = await startSandboxProcess(["-s", "prod", "--scenario", "healthy", "--speed", "20", ...config], tmp);
        lambda = new LambdaClient({
            endpoint: sandbox.info.endpoint,
            region: "us-east-1",
            credentials: { accessKeyId: "reader.test", secretAccessKey: "x" },
        });
    });

    after(() => {
        terminal?.close();
        promote?.child.kill("SIGKILL");
        lambda?.destroy();
        if (sandbox?.child.exitCode === null) sandbox.child.kill("SIGKILL");
        fs.rmSync(tmp, { recursive: true, force: true });
    });

    const live = () => new LambdaAdapter(lambda).getAlias(sandbox.info.functions.api.functionName, "live");

    it("prints one export a variable (for the sandbox only), starts the stack as a rehearsal stages it: stable live, candidate published", async () => {
        const { info } = sandbox;
        expect(info.endpoint).to.match(/^http:\/\/127\.0\.0\.1:\d+$/);
        expect(info.speed).to.equal(20);
        expect(info.exportLines).to.include(`export AWS_ENDPOINT_URL=${info.endpoint}`);
        expect(info.exportLines).to.include("export PULUMI_STACK=prod");
        expect(info.exportLines.some((l) => l.startsWith("export LAMBDA_ROLLOUT_SANDBOX_CLOCK="))).to.equal(true);
        expect(info.exportLines.at(-1)).to.equal(`export PATH=${info.pathPrepend}:"$PATH"`);
        expect(sandbox.stderr()).to.contain("It is for the sandbox only");
        expect(sandbox.stderr()).to.contain("Ctrl-C here stops the sandbox");
        expect(info.functions.api).to.deep.equal({ functionName: "lambda-rollout-prod-api", stable: "1", candidate: "2" });
        const alias = await live();
        expect(alias.functionVersion).to.equal("1");
        expect(alias.additionalVersionWeights ?? {}).to.deep.equal({});
    });

    it("promote moves traffic and waits for approval; status --watch on a terminal shows it; abort puts all traffic on stable and the watch and promote end aborted", async () => {
        promote = startVerb(["promote", "-y", ...config], sandbox.env);
        let promoteEnded: VerbRun | undefined;
        void promote.done.then((r) => (promoteEnded = r));

        // Step 1 baked, the rollout holds 10% for a person: read from the sandbox's alias, as any AWS client would.
        const holding = await until("promote to hold step 1 for approval on the sandbox's alias", async () => {
            if (promoteEnded) throw new Error(`promote ended early (${promoteEnded.code}): ${promoteEnded.stdout}${promoteEnded.stderr}`);
            const state = decodeState((await live()).description);
            return state?.phase === "awaiting-approval" ? state : undefined;
        });
        expect(holding).to.include({ stable: "1", candidate: "2", weight: 0.1 });
        const split = await live();
        expect(split.functionVersion).to.equal("1");
        expect(split.additionalVersionWeights).to.deep.equal({ "2": 0.1 });

        terminal = openTerminal(["status", "--watch", "--interval", "60", ...config], sandbox.env, tmp);
        const watching = await until("status --watch to draw the rollout waiting for approval", () => {
            const screen = terminal!.screen();
            return /api \(lambda-rollout-prod-api\): awaiting-approval; stable v1, candidate v2; traffic v1 90%, v2 10%/.test(screen)
                ? screen
                : undefined;
        });
        expect(watching.replace(/\s+/g, " ")).to.match(/rollout: v2: step 1\/3 at 10% awaiting approval of step 2\/3 since \d\d:\d\dZ/);
        expect(watching).to.contain("lambda-rollout promote: step 1/3 10% (api v1->v2)");

        // --wait: an hour of sandbox time (3 real minutes at 20x) for the promote to confirm, however loaded the machine.
        const abort = await startVerb(["abort", "-y", "--reason", "practising in the sandbox", "--wait", "1h", ...config], sandbox.env)
            .done;
        expect(abort.code, abort.stdout + abort.stderr).to.equal(0);
        expect(abort.stdout).to.contain("all traffic is on stable: api v1 100%");

        // The watch ends by itself once the rollout has (exit 1: aborted), its last drawing left on screen.
        const ended = await until("status --watch to end", () => {
            const screen = terminal!.screen();
            return /exited \d+$/.test(screen) ? screen : undefined;
        });
        expect(ended).to.match(/api \(lambda-rollout-prod-api\): aborted; stable v1, candidate v2; traffic v1 100%/);
        // (status wraps its long lines: read them as one text)
        const text = ended.replace(/\s+/g, " ");
        expect(text).to.contain("rollout: v2: aborted to v1");
        expect(text).to.contain("practising in the sandbox");
        expect(ended).to.match(/exited 1$/);

        const promoted = await until("promote to exit", () => promoteEnded);
        expect(promoted.code, promoted.stdout + promoted.stderr).to.equal(exitCodeForOutcome("aborted"));
        expect(promoted.stdout).to.contain("ABORTED: traffic now api v1 100%");
        // Notifications and deployment metrics reach the sandbox too: nothing failed on the way.
        expect(promoted.stdout + promoted.stderr).not.to.contain("warning:");

        // What the sandbox's account holds, over its endpoint: all traffic on stable, the abort recorded, with who did it.
        const alias = await live();
        expect(alias.functionVersion).to.equal("1");
        expect(Object.values(alias.additionalVersionWeights ?? {}).every((w) => w === 0)).to.equal(true);
        expect(decodeState(alias.description)).to.include({ phase: "aborted", stable: "1", candidate: "2" });
        expect(decodeState(alias.description)?.principal).to.match(/assumed-role\/lambda-rollout-sandbox\//);
        // Each `up` went through the stand-in pulumi to the sandbox's stack, which says so in its log.
        expect(sandbox.stderr()).to.contain("up: lambda-rollout promote: step 1/3 10% (api v1->v2)");
        expect(sandbox.stderr()).to.match(/up done: api v1 100% \/ v2 0%/);
    });

    it("Ctrl-C stops it cleanly: exit 0, its endpoint closed, its folder (the stand-in pulumi, the socket) removed", async () => {
        expect(fs.existsSync(sandbox.info.dir)).to.equal(true);
        sandbox.child.kill("SIGINT");
        const exit = await until("the sandbox to exit", async () => {
            const settled = await Promise.race([sandbox.exited, new Promise<undefined>((r) => setTimeout(() => r(undefined), 100))]);
            return settled;
        });
        expect(exit).to.deep.equal({ code: 0, signal: null });
        expect(sandbox.stderr()).to.contain("SIGINT: stopping the sandbox");
        expect(fs.existsSync(sandbox.info.dir)).to.equal(false);
        const refused = await fetch(`${sandbox.info.endpoint}/`).then(
            () => "answered",
            (err: Error) => (err.cause as NodeJS.ErrnoException | undefined)?.code ?? err.message,
        );
        expect(refused).to.equal("ECONNREFUSED");
        const verb = await startVerb(["status"], sandbox.env).done;
        expect(verb.code).to.not.equal(0);
    });
});
