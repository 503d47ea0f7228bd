import { RunningScaler, spawnScaler } from "../../scaler/client";

/** `npm run scaler` as a child process for a test: start, read its addresses, crash it. */
export class ScalerProcess {
    private running: RunningScaler | undefined;

    constructor(private readonly args: readonly string[]) {}

    async start(): Promise<void> {
        this.running = await spawnScaler(this.args);
    }

    get grpcAddress(): string {
        return this.running?.grpcAddress ?? "";
    }

    get httpAddress(): string {
        return this.running?.httpAddress ?? "";
    }

    /** Everything it logged so far (stdout and stderr). */
    output(): string {
        return this.running?.output() ?? "";
    }

    /** SIGKILL: a crash, mid-whatever. */
    kill(): Promise<void> {
        const child = this.running?.child;
        if (!child || child.exitCode !== null) return Promise.resolve();
        return new Promise((resolve) => {
            child.once("exit", () => resolve());
            child.kill("SIGKILL");
        });
    }
}
