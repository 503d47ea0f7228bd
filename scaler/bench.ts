import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { performance } from "perf_hooks";
import { parseArgs } from "util";
import { loadStackConfigMap } from "../config/stack-files";
import { callRpc, cloudProviderClient, CloudProviderClient, spawnScaler } from "./client";
import { DryRunStack } from "./dry-run-stack";

/**
 * A load benchmark of the scaler (a figure-printing script, not a test): the real process on a
 * dry-run stack whose `up` takes --up-seconds. Prints p50/p99 latency of NodeGroupTargetSize and
 * NodeGroupNodes at --callers concurrent callers while an update runs, then fires a burst of
 * --burst IncreaseSize(1) during an update and counts the `up` runs and the final size.
 *
 * usage: npm run bench:scaler [-- --callers 100 --burst 20 --up-seconds 5]
 */

const ROOT = path.resolve(__dirname, "..");


const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];

async function latencies(c: CloudProviderClient, method: string, callers: number, perCaller: number): Promise<string> {
    const samples: number[] = [];
    await Promise.all(
        Array.from({ length: callers }, async () => {
            for (let i = 0; i < perCaller; i++) {
                const started = performance.now();
                await callRpc(c, method, { id: "workers" });
                samples.push(performance.now() - started);
            }
        }),
    );
    samples.sort((a, b) => a - b);
    return `${method.padEnd(20)} ${String(samples.length).padStart(6)} calls  p50 ${percentile(samples, 50).toFixed(2).padStart(6)} ms  p99 ${percentile(samples, 99).toFixed(2).padStart(6)} ms  max ${samples[samples.length - 1].toFixed(2).padStart(7)} ms`;
}

async function main(): Promise<void> {
    const { values } = parseArgs({ options: { callers: { type: "string", default: "100" }, burst: { type: "string", default: "20" }, "up-seconds": { type: "string", default: "5" }, calls: { type: "string", default: "20" } } });
    const [callers, burst, upSeconds, perCaller] = [Number(values.callers), Number(values.burst), Number(values["up-seconds"]), Number(values.calls)];
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "scaler-bench-"));
    const state = path.join(dir, "state.json");
    // Room for the burst: the dev stack with a larger maxWorkers (its /24 holds 222 slots).
    const config = loadStackConfigMap(ROOT, "dev", { maxWorkers: String(3 + burst) }).values;
    fs.writeFileSync(state, JSON.stringify({ config, deployed: config, updates: [] }));
    const { child, grpcAddress: address } = await spawnScaler(["--dry-run", "--insecure", "--state", state, "--up-seconds", String(upSeconds)]);
    // The scaler must not outlive the benchmark, however it ends.
    for (const signal of ["SIGINT", "SIGTERM"] as const) process.once(signal, () => (child.kill("SIGKILL"), process.exit(130)));
    const c = cloudProviderClient(address);
    try {
        console.log(`node ${process.version}; scaler on a dry-run stack, up = ${upSeconds} s; ${callers} concurrent callers`);
        await callRpc(c, "NodeGroupIncreaseSize", { id: "workers", delta: 1 }); // an update is now running
        for (const method of ["NodeGroupTargetSize", "NodeGroupNodes"]) console.log(await latencies(c, method, callers, perCaller));
        const stack = new DryRunStack(state, 0, ROOT);
        const start = Number((await stack.readConfig())["boutique-platform:workerCount"]);
        const before = stack.updates().length;
        const burstStarted = performance.now();
        await Promise.all(Array.from({ length: burst }, () => callRpc(c, "NodeGroupIncreaseSize", { id: "workers", delta: 1 }).catch(() => undefined)));
        const burstMs = performance.now() - burstStarted;
        const target = Number((await callRpc(c, "NodeGroupTargetSize", { id: "workers" })).targetSize);
        for (let i = 0; i < 600 && Number((await stack.readDeployed())["boutique-platform:workerCount"]) !== target; i++) await new Promise((r) => setTimeout(r, 100));
        const ups = stack.updates().length - before;
        const max = Number(config["boutique-platform:maxWorkers"]);
        console.log(`burst of ${burst} IncreaseSize(1) in ${burstMs.toFixed(0)} ms during an update: size ${start} -> ${target} (expected ${Math.min(start + burst, max)}), ${ups} more up run(s) to deploy it`);
    } finally {
        c.close();
        child.kill("SIGKILL");
        fs.rmSync(dir, { recursive: true, force: true });
    }
}

main().then(() => process.exit(0), (error: unknown) => {
    console.error(error);
    process.exit(1);
});
