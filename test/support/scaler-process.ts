import { ChildProcess, spawn } from "child_process";
import * as path from "path";
import { PROJECT_ROOT } from "../fixtures";

/** `npm run scaler` as a child process; resolves once it logs where it listens. */
export class ScalerProcess {
    private child: ChildProcess | undefined;
    output = "";
    grpcAddress = "";
    httpAddress = "";

    constructor(private readonly args: readonly string[]) {}

    start(): Promise<void> {
        // tsx as a loader in this one process (its CLI would run the scaler in a child, which a
        // SIGKILL to the CLI leaves running).
        const child = spawn(process.execPath, ["--import", "tsx", path.join(PROJECT_ROOT, "scaler/main.ts"), "--listen", "127.0.0.1:0", "--http", "127.0.0.1:0", ...this.args], {
            cwd: PROJECT_ROOT,
            stdio: ["ignore", "pipe", "pipe"],
        });
        this.child = child;
        return new Promise((resolve, reject) => {
            const onData = (chunk: Buffer) => {
                this.output += chunk.toString();
                const line = this.output.split("\n").find((text) => text.includes('"msg":"scaler listening"'));
                if (line && !this.grpcAddress) {
                    const entry = JSON.parse(line) as { grpc: string; http: string };
                    [this.grpcAddress, this.httpAddress] = [entry.grpc, entry.http];
                    resolve();
                }
            };
            child.stdout?.on("data", onData);
            child.stderr?.on("data", onData);
            child.once("exit", (code) => reject(new Error(`scaler exited with ${code} before listening:\n${this.output}`)));
        });
    }

    /** SIGKILL: a crash, mid-whatever. */
    kill(): Promise<void> {
        const child = this.child;
        if (!child || child.exitCode !== null) return Promise.resolve();
        return new Promise((resolve) => {
            child.once("exit", () => resolve());
            child.kill("SIGKILL");
        });
    }
}
