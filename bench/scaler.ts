import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { performance } from "perf_hooks";
import { parseArgs } from "util";
import { loadStackConfigMap } from "../config/stack-files";
import { ChildProcess, spawn } from "child_process";
import { callRpc, cloudProviderClient, CloudProviderClient, spawnScaler } from "../scaler/client";
import { DryRunStack } from "../scaler/dry-run-stack";
import { WORKER_COUNT_KEY } from "../scaler/stack-port";
import { PROJECT } from "../config/stack-config";

/**
 * A load benchmark of the scaler (a figure-printing script, not a test): the real process on a
 * dry-run stack whose `up` takes --up-seconds. Prints p50/p99 latency of NodeGroupTargetSize and
 * NodeGroupNodes at --callers concurrent callers while an update runs, then fires a burst of
 * --burst IncreaseSize(1) during an update and counts the `up` runs and the final size.
 * Latency is measured twice: callers calling back to back (saturation: Little's law makes
 * latency = callers / throughput) and callers pausing --pause-ms between calls (the
 * autoscaler's own pattern is one caller every 10 s). The same load then runs against a
 * grpc-js server that only returns the scaler's answers (`bench-baseline.ts`): the difference
 * is the scaler's cost, the rest is gRPC's and the machine's.
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

/** A server under load: the scaler (with its handling-time histogram) or the baseline. */
interface Target {
    readonly label: string;
    readonly client: CloudProviderClient;
    readonly pid: number;
    /** The scaler's /metrics address, for its own handling time. */
    readonly httpAddress?: string;
}

/**
 * Each caller calls `perCaller` times: back to back (closed loop, `pauseMs` 0: the server is
 * saturated and latency is queueing), or one call every `pauseMs` (open loop: latency is
 * service time). Prints percentiles, throughput and the server's CPU time per call.
 */
async function latencies(target: Target, method: string, callers: number, perCaller: number, pauseMs: number): Promise<string> {
    const samples: number[] = [];
    const c = target.client;
    const handledBefore = target.httpAddress ? await handlingBuckets(target.httpAddress, method) : undefined;
    const [cpuBefore, clientCpuBefore, started] = [cpuSeconds(target.pid), cpuSeconds(process.pid), performance.now()];
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
    const serverCpuUs = ((cpuSeconds(target.pid) - cpuBefore) / samples.length) * 1e6;
    const clientCpuUs = ((cpuSeconds(process.pid) - clientCpuBefore) / samples.length) * 1e6;
    const handling =
        handledBefore && target.httpAddress
            ? `; in the scaler's handler p99 ${handlingPercentile(handledBefore, await handlingBuckets(target.httpAddress, method), 99)}`
            : "";
    samples.sort((a, b) => a - b);
    const mode = pauseMs > 0 ? `paced ${pauseMs} ms` : "back to back";
    return `${target.label.padEnd(8)} ${method.padEnd(20)} ${mode.padEnd(13)} ${String(samples.length).padStart(6)} calls ${String(Math.round(samples.length / seconds)).padStart(6)}/s  p50 ${percentile(samples, 50).toFixed(2).padStart(6)} ms  p99 ${percentile(samples, 99).toFixed(2).padStart(6)} ms  max ${samples[samples.length - 1].toFixed(2).padStart(7)} ms  CPU/call server ${serverCpuUs.toFixed(0)} us, callers ${clientCpuUs.toFixed(0)} us${handling}`;
}

/** `bench-baseline.ts` answering `responses`; resolves with its gRPC address once it listens. */
function spawnBaseline(responses: Record<string, object>): Promise<{ child: ChildProcess; grpcAddress: string }> {
    const child = spawn(process.execPath, ["--import", "tsx", path.join(__dirname, "scaler-baseline.ts")], {
        cwd: ROOT,
        env: { ...process.env, BASELINE_RESPONSES: JSON.stringify(responses) },
        stdio: ["ignore", "pipe", "inherit"],
    });
    return new Promise((resolve, reject) => {
        child.stdout?.once("data", (chunk: Buffer) => resolve({ child, grpcAddress: (JSON.parse(chunk.toString()) as { grpc: string }).grpc }));
        child.once("exit", (code) => reject(new Error(`the baseline server exited with ${code}`)));
    });
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

/**
 * Keeps an update running through each measurement: `fresh()` reuses the update it started if at
 * least half of its `up` is still ahead, otherwise waits for the running one to finish and starts
 * another (IncreaseSize(1)). `ranThroughout()` then checks that no update finished meanwhile.
 */
class RunningUpdate {
    private startedAt = -Infinity;

    constructor(
        private readonly stack: DryRunStack,
        private readonly client: CloudProviderClient,
        private readonly upSeconds: number,
    ) {}

    private async lagging(): Promise<boolean> {
        return (await this.stack.readConfig())[WORKER_COUNT_KEY] !== (await this.stack.readDeployed())[WORKER_COUNT_KEY];
    }

    async fresh(): Promise<{ ranThroughout(): Promise<boolean> }> {
        if (!(await this.lagging()) || performance.now() - this.startedAt > (this.upSeconds * 1000) / 2) {
            while (await this.lagging()) await sleep(50);
            await callRpc(this.client, "NodeGroupIncreaseSize", { id: "workers", delta: 1 });
            this.startedAt = performance.now();
        }
        const finished = this.stack.updates().length;
        return { ranThroughout: async () => this.stack.updates().length === finished && (await this.lagging()) };
    }
}

async function main(): Promise<void> {
    const { values } = parseArgs({
        options: {
            callers: { type: "string", default: "100" },
            burst: { type: "string", default: "20" },
            "up-seconds": { type: "string", default: "5" },
            calls: { type: "string", default: "20" },
            "pause-ms": { type: "string", default: "100" },
        },
    });
    const [callers, burst, upSeconds, perCaller, pauseMs] = [
        Number(values.callers),
        Number(values.burst),
        Number(values["up-seconds"]),
        Number(values.calls),
        Number(values["pause-ms"]),
    ];
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "scaler-bench-"));
    const state = path.join(dir, "state.json");
    // Room for the burst and the updates started between measurements (the dev /24 holds 222 slots).
    const config = loadStackConfigMap(ROOT, "dev", { maxWorkers: String(3 + burst + 12) }).values;
    fs.writeFileSync(state, JSON.stringify({ config, deployed: config, updates: [] }));
    const scaler = await spawnScaler(["--dry-run", "--insecure", "--state", state, "--up-seconds", String(upSeconds)]);
    const { child, grpcAddress: address } = scaler;
    // The scaler must not outlive the benchmark, however it ends.
    for (const signal of ["SIGINT", "SIGTERM"] as const) process.once(signal, () => (child.kill("SIGKILL"), process.exit(130)));
    const c = cloudProviderClient(address);
    const methods = ["NodeGroupTargetSize", "NodeGroupNodes"];
    let baseline: { child: ChildProcess; client: CloudProviderClient } | undefined;
    try {
        console.log(
            `node ${process.version}, ${os.cpus().length} CPUs shared by callers and server; scaler on a dry-run stack, up = ${upSeconds} s; ${callers} concurrent callers`,
        );
        const stack = new DryRunStack(state, 0, ROOT);
        const running = new RunningUpdate(stack, c, upSeconds);
        const answers = Object.fromEntries(await Promise.all(methods.map(async (method) => [method, await callRpc(c, method, { id: "workers" })] as const)));
        const spawned = await spawnBaseline(answers);
        baseline = { child: spawned.child, client: cloudProviderClient(spawned.grpcAddress) };
        const targets: Target[] = [
            { label: "scaler", client: c, pid: child.pid ?? 0, httpAddress: scaler.httpAddress },
            { label: "baseline", client: baseline.client, pid: spawned.child.pid ?? 0 },
        ];
        for (const target of targets) await latencies(target, "NodeGroupNodes", callers, perCaller, 0); // warm-up: JIT, HTTP/2 windows
        for (const pause of [0, pauseMs]) {
            for (const method of methods) {
                for (const target of targets) {
                    const update = await running.fresh();
                    const figures = await latencies(target, method, callers, perCaller, pause);
                    console.log(`${figures}${(await update.ranThroughout()) ? "" : "  [the update ended during this measurement: raise --up-seconds]"}`);
                }
            }
        }
        await running.fresh();
        const start = Number((await stack.readConfig())[WORKER_COUNT_KEY]);
        const before = stack.updates().length;
        const burstStarted = performance.now();
        await Promise.all(Array.from({ length: burst }, () => callRpc(c, "NodeGroupIncreaseSize", { id: "workers", delta: 1 }).catch(() => undefined)));
        const burstMs = performance.now() - burstStarted;
        const target = Number((await callRpc(c, "NodeGroupTargetSize", { id: "workers" })).targetSize);
        for (let i = 0; i < 600 && Number((await stack.readDeployed())[WORKER_COUNT_KEY]) !== target; i++) await new Promise((r) => setTimeout(r, 100));
        const ups = stack.updates().length - before;
        const max = Number(config[`${PROJECT}:maxWorkers`]);
        console.log(
            `burst of ${burst} IncreaseSize(1) in ${burstMs.toFixed(0)} ms during an update: size ${start} -> ${target} (expected ${Math.min(start + burst, max)}), ${ups} more up run(s) to deploy it`,
        );
    } finally {
        c.close();
        baseline?.client.close();
        baseline?.child.kill("SIGKILL");
        child.kill("SIGKILL");
        fs.rmSync(dir, { recursive: true, force: true });
    }
}

main().then(
    () => process.exit(0),
    (error: unknown) => {
        console.error(error);
        process.exit(1);
    },
);
