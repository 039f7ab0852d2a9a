/**
 * The sandbox's stand-in `pulumi`: a small executable the sandbox writes into its temporary folder (`bin/pulumi`,
 * first on the PATH it prints), so the Automation API in the command line runs it as it would run the Pulumi CLI.
 * It answers nothing itself: it sends its arguments, its working directory and the content of the `--config-file`
 * it was given (the routing override promote writes, deleted once the `up` ends) to the sandbox over a Unix socket
 * in the same private folder, prints what the sandbox answers and exits with its code. An interrupt (the Automation
 * API sends SIGINT to cancel an `up`) closes the request, which cancels the `up` in the sandbox.
 *
 * It is plain JavaScript with no dependency, run by the node that runs the sandbox, so it starts fast: `status
 * --watch` runs it three times a refresh.
 */
import * as fs from "fs";
import * as path from "path";

/** The request the stand-in sends: what the Automation API ran. */
export interface PulumiCall {
    readonly argv: readonly string[];
    readonly cwd: string;
    /** The `--config-file` given, with its content read at call time (or why it could not be read). */
    readonly configFile?: { readonly path: string; readonly content?: string; readonly error?: string };
}

/** What the sandbox answers: the CLI's output and exit code. */
export interface PulumiAnswer {
    readonly stdout: string;
    readonly stderr: string;
    readonly code: number;
}

/** The path the stand-in posts to on the socket. */
export const PULUMI_PATH = "/pulumi";

/** The stand-in's source, for a sandbox listening on `socketPath`, run by the node at `nodePath`. */
export function standInSource(socketPath: string, nodePath: string): string {
    return `#!${nodePath}
"use strict";
// The stand-in \`pulumi\` of a lambda-rollout sandbox (automation/sandbox/standInPulumi.ts): it forwards each call
// to the sandbox at ${socketPath} and is removed when the sandbox stops. It is not the Pulumi CLI.
const fs = require("fs");
const http = require("http");
const path = require("path");
const argv = process.argv.slice(2);
let configFile;
const at = argv.findIndex((a) => a === "--config-file" || a.startsWith("--config-file="));
if (at >= 0) {
    const file = argv[at].includes("=") ? argv[at].slice(argv[at].indexOf("=") + 1) : argv[at + 1];
    try {
        configFile = { path: file, content: fs.readFileSync(path.resolve(file), "utf8") };
    } catch (err) {
        configFile = { path: file, error: err.message };
    }
}
const body = JSON.stringify({ argv, cwd: process.cwd(), configFile });
const request = http.request(
    { socketPath: ${JSON.stringify(socketPath)}, path: ${JSON.stringify(PULUMI_PATH)}, method: "POST", headers: { "content-type": "application/json" } },
    (response) => {
        let text = "";
        response.setEncoding("utf8");
        response.on("data", (chunk) => (text += chunk));
        response.on("end", () => {
            try {
                const answer = JSON.parse(text);
                process.stdout.write(answer.stdout);
                process.stderr.write(answer.stderr);
                process.exitCode = answer.code;
            } catch {
                process.stderr.write("error: the lambda-rollout sandbox answered something that is not JSON\\n");
                process.exitCode = 255;
            }
        });
    },
);
request.on("error", (err) => {
    if (cancelled) return;
    process.stderr.write("error: the lambda-rollout sandbox this pulumi stands in for is not running (" + err.message + "): start it again, or leave the shell its environment was set in\\n");
    process.exitCode = 255;
});
let cancelled = false;
process.on("SIGINT", () => {
    cancelled = true;
    request.destroy();
    process.stderr.write("error: update canceled\\n");
    process.exitCode = 255;
});
request.end(body);
`;
}

/** Writes the stand-in as `<dir>/bin/pulumi` (executable by its owner only); returns the `bin` folder. */
export function writeStandIn(dir: string, socketPath: string, nodePath: string = process.execPath): string {
    const bin = path.join(dir, "bin");
    fs.mkdirSync(bin, { mode: 0o700 });
    fs.writeFileSync(path.join(bin, "pulumi"), standInSource(socketPath, nodePath), { mode: 0o700 });
    return bin;
}
