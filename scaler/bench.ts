import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { performance } from "perf_hooks";
import { parseArgs } from "util";
import { loadStackConfigMap } from "../config/stack-files";
import { callRpc, cloudProviderClient, CloudProviderClient, RunningScaler, spawnScaler } from "./client";
import { DryRunStack } from "./dry-run-stack";

/**
 * A load benchmark of the scaler (a figure-printing script, not a test): the real process on a
 * dry-run stack whose `up` takes --up-seconds. Prints p50/p99 latency of NodeGroupTargetSize and
 * NodeGroupNodes at --callers concurrent callers while an update runs, then fires a burst of
 * --burst IncreaseSize(1) during an update and counts the `up` runs and the final size.
 * Latency is measured twice: callers calling back to back (saturation: Little's law makes
 * latency = callers / throughput) and callers pausing --pause-ms between calls (the
 * autoscaler's own pattern is one caller every 10 s).
 *
 * usage: npm run bench:scaler [-- --callers 100 --calls 20 --pause-ms 100 --burst 20 --up-seconds 5]
 */

const ROOT = path.resolve(__dirname, "..");


const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];

/** CPU seconds a process has used (user + system), from /proc (Linux). */
function cpuSeconds(pid: number): number {
    const fields = fs.readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1].split(" ");
    return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime in clock ticks (USER_HZ 100)
}

/**
 * Each caller calls `perCaller` times: back to back (closed loop, `pauseMs` 0: the server is
 * saturated and latency is queueing), or one call every `pauseMs` (open loop: latency is
 * service time). Prints percentiles, throughput and the scaler's CPU time per call.
 */
async function latencies(c: CloudProviderClient, scaler: RunningScaler, method: string, callers: number, perCaller: number, pauseMs: number): Promise<string> {
    const samples: number[] = [];
    const scalerPid = scaler.child.pid ?? 0;
    const handledBefore = await handlingBuckets(scaler.httpAddress, method);
    const [cpuBefore, clientCpuBefore, started] = [cpuSeconds(scalerPid), cpuSeconds(process.pid), performance.now()];
    await Promise.all(
        Array.from({ length: callers }, async () => {
            // Paced callers start spread over one period, as independent clients would.
            if (pauseMs > 0) await sleep(Math.random() * pauseMs);
            for (let i = 0; i < perCaller; i++) {
                const callStarted = performance.now();
                await callRpc(c, method, { id: "workers" });
                samples.push(performance.now() - callStarted);
                if (pauseMs > 0) await sleep(pauseMs);
            }
        }),
    );
    const seconds = (performance.now() - started) / 1000;
    const serverCpuUs = ((cpuSeconds(scalerPid) - cpuBefore) / samples.length) * 1e6;
    const clientCpuUs = ((cpuSeconds(process.pid) - clientCpuBefore) / samples.length) * 1e6;
    const handledAfter = await handlingBuckets(scaler.httpAddress, method);
    samples.sort((a, b) => a - b);
    const mode = pauseMs > 0 ? `paced ${pauseMs} ms` : "back to back";
    return `${method.padEnd(20)} ${mode.padEnd(13)} ${String(samples.length).padStart(6)} calls ${String(Math.round(samples.length / seconds)).padStart(6)}/s  p50 ${percentile(samples, 50).toFixed(2).padStart(6)} ms  p99 ${percentile(samples, 99).toFixed(2).padStart(6)} ms  max ${samples[samples.length - 1].toFixed(2).padStart(7)} ms  CPU/call scaler ${serverCpuUs.toFixed(0)} us, callers ${clientCpuUs.toFixed(0)} us; in the scaler's handler p99 ${handlingPercentile(handledBefore, handledAfter, 99)}`;
}

/** Cumulative handling-time buckets of one RPC from the scaler's /metrics: upper bound (s) -> count. */
async function handlingBuckets(httpAddress: string, kind: string): Promise<Map<number, number>> {
    const text = await (await fetch(`http://${httpAddress}/metrics`)).text();
    const buckets = new Map<number, number>();
    for (const line of text.split("\n").filter((l) => l.startsWith("scaler_request_duration_seconds_bucket{") && l.includes(`kind="${kind}"`))) {
        const le = /le="([^"]+)"/.exec(line)?.[1];
        buckets.set(le === "+Inf" ? Infinity : Number(le), Number(line.split(" ").pop()));
    }
    return buckets;
}

/** The bucket bound under which `p` percent of the calls between two scrapes were handled. */
function handlingPercentile(before: Map<number, number>, after: Map<number, number>, p: number): string {
    const bounds = [...after.keys()].sort((a, b) => a - b);
    const total = (after.get(Infinity) ?? 0) - (before.get(Infinity) ?? 0);
    const bound = bounds.find((le) => (after.get(le) ?? 0) - (before.get(le) ?? 0) >= (p / 100) * total) ?? Infinity;
    return `<= ${(bound * 1000).toFixed(2)} ms`;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function main(): Promise<void> {
    const { values } = parseArgs({ options: { callers: { type: "string", default: "100" }, burst: { type: "string", default: "20" }, "up-seconds": { type: "string", default: "5" }, calls: { type: "string", default: "20" }, "pause-ms": { type: "string", default: "100" } } });
    const [callers, burst, upSeconds, perCaller, pauseMs] = [Number(values.callers), Number(values.burst), Number(values["up-seconds"]), Number(values.calls), Number(values["pause-ms"])];
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "scaler-bench-"));
    const state = path.join(dir, "state.json");
    // Room for the burst: the dev stack with a larger maxWorkers (its /24 holds 222 slots).
    const config = loadStackConfigMap(ROOT, "dev", { maxWorkers: String(3 + burst) }).values;
    fs.writeFileSync(state, JSON.stringify({ config, deployed: config, updates: [] }));
    const scaler = await spawnScaler(["--dry-run", "--insecure", "--state", state, "--up-seconds", String(upSeconds)]);
    const { child, grpcAddress: address } = scaler;
    // The scaler must not outlive the benchmark, however it ends.
    for (const signal of ["SIGINT", "SIGTERM"] as const) process.once(signal, () => (child.kill("SIGKILL"), process.exit(130)));
    const c = cloudProviderClient(address);
    try {
        console.log(`node ${process.version}; scaler on a dry-run stack, up = ${upSeconds} s; ${callers} concurrent callers`);
        await callRpc(c, "NodeGroupIncreaseSize", { id: "workers", delta: 1 }); // an update is now running
        await latencies(c, scaler, "NodeGroupNodes", callers, perCaller, 0); // warm-up: JIT, HTTP/2 windows
        for (const pause of [0, pauseMs]) {
            for (const method of ["NodeGroupTargetSize", "NodeGroupNodes"]) console.log(await latencies(c, scaler, method, callers, perCaller, pause));
        }
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
