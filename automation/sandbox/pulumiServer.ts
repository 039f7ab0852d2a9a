/**
 * The sandbox's end of its stand-in `pulumi` (standInPulumi.ts): an HTTP server on a Unix socket in the sandbox's
 * private folder (mode 0700, so only its user can reach it), one POST per call. A stand-in that goes away before
 * its answer (the Automation API interrupting an `up`) aborts the call's signal.
 */
import * as fs from "fs";
import * as http from "http";
import { PULUMI_PATH, type PulumiAnswer, type PulumiCall } from "./standInPulumi";

/** A listening socket. */
export interface PulumiServer {
    close(): Promise<void>;
}

/** Answers the stand-in's calls on `socketPath` with `answer`; resolves once it listens. */
export async function servePulumi(
    socketPath: string,
    answer: (call: PulumiCall, signal: AbortSignal) => Promise<PulumiAnswer>,
): Promise<PulumiServer> {
    const server = http.createServer((req, res) => {
        const gone = new AbortController();
        res.on("close", () => {
            if (!res.writableFinished) gone.abort(new Error("the stand-in pulumi was interrupted"));
        });
        const reply = (a: PulumiAnswer) => {
            if (res.destroyed) return;
            res.writeHead(200, { "content-type": "application/json" });
            res.end(JSON.stringify(a));
        };
        if (req.method !== "POST" || req.url !== PULUMI_PATH) {
            res.writeHead(404).end();
            return;
        }
        const chunks: Buffer[] = [];
        req.on("data", (c: Buffer) => chunks.push(c));
        req.on("end", () => {
            let call: PulumiCall;
            try {
                call = JSON.parse(Buffer.concat(chunks).toString("utf8")) as PulumiCall;
            } catch {
                return reply({ stdout: "", stderr: "error: the sandbox could not read the stand-in's call\n", code: 255 });
            }
            answer(call, gone.signal).then(reply, (err: unknown) =>
                reply({ stdout: "", stderr: `error: ${(err as Error).message ?? String(err)}\n`, code: 255 }),
            );
        });
    });
    await new Promise<void>((resolve, reject) => {
        server.once("error", reject);
        server.listen(socketPath, () => resolve());
    });
    fs.chmodSync(socketPath, 0o600);
    return {
        close: () =>
            new Promise<void>((resolve) => {
                server.close(() => resolve());
                server.closeAllConnections();
            }),
    };
}
