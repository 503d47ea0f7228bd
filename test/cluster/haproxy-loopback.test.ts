import { strict as assert } from "assert";
import { ChildProcess } from "child_process";
import { performance } from "perf_hooks";
import { HaproxyPorts, renderHaproxyConfig } from "../../components/cluster/rendered/haproxy-config";
import { freePort, get, Lab, selfSignedFor, serverStatus, sleep } from "../support/haproxy-lab";
import { requireTool } from "../support/tools";

interface Sample {
    readonly start: number;
    readonly end: number;
    readonly ok: boolean;
    readonly backend?: string;
}

const CONTROL_PLANES = [
    { name: "cp-0", address: "127.0.0.2" },
    { name: "cp-1", address: "127.0.0.3" },
    { name: "cp-2", address: "127.0.0.4" },
];
const WORKERS = [{ name: "worker-0", address: "127.0.0.5" }];

describe("the rendered haproxy.cfg and ingress.cfg, running together in the real haproxy on loopback", function () {
    this.timeout(60_000);
    const lab = new Lab();
    let ports: HaproxyPorts;
    const apiServers = new Map<string, ChildProcess>();

    before(async function () {
        requireTool(this, "haproxy", "apt-get install haproxy");
        ports = {
            apiServer: await freePort(),
            http: await freePort(),
            https: await freePort(),
            ingressHttp: await freePort(),
            ingressHttps: await freePort(),
            stats: await freePort(),
            metrics: await freePort(),
        };
        const apiCert = selfSignedFor("kube-apiserver");
        for (const server of CONTROL_PLANES) {
            apiServers.set(server.name, await lab.backend({ ...server, port: ports.apiServer, tls: apiCert, delayMs: 20 }));
        }
        await lab.backend({ name: "worker-0 http", address: "127.0.0.5", port: ports.ingressHttp });
        await lab.backend({ name: "worker-0 https", address: "127.0.0.5", port: ports.ingressHttps, tls: selfSignedFor("istio-gateway-worker-0") });
        const files = renderHaproxyConfig({
            controlPlanes: CONTROL_PLANES,
            workers: WORKERS,
            ports,
            bindAddress: "127.0.0.1",
            metricsAddress: "127.0.0.1",
            systemService: false,
            maxConnections: 2000,
        });
        // As the VM's service loads them: -f haproxy.cfg -f ingress.cfg.
        await lab.haproxy([files.api, files.ingress], ports.apiServer);
        // Every server must pass its health check (GET /healthz over TLS for the API servers).
        for (let i = 0; ; i++) {
            const statuses = await serverStatus(ports.stats, "kube-apiserver");
            if (CONTROL_PLANES.every((server) => statuses[server.name] === "UP")) break;
            if (i > 100) assert.fail(`control planes never all UP: ${JSON.stringify(statuses)}`);
            await sleep(100);
        }
    });
    after(() => lab.stop());

    it("absorbs a control plane killed mid-load: no failed request started after the kill", async () => {
        const samples: Sample[] = [];
        const t0 = performance.now();
        const now = () => performance.now() - t0;
        const KILL_AT_MS = 2500;
        const STOP_AT_MS = 7000;
        let killedAt = Infinity;
        const client = async () => {
            while (now() < STOP_AT_MS) {
                const start = now();
                try {
                    const reply = await get(`https://127.0.0.1:${ports.apiServer}/version`);
                    samples.push({ start, end: now(), ok: true, backend: reply.body });
                } catch {
                    samples.push({ start, end: now(), ok: false });
                }
            }
        };
        // SIGKILL is asynchronous: the process (and its listening socket) is gone only when
        // 'exit' fires. Requests started between the signal and the exit may still have been
        // accepted by cp-1, so they count as in flight, not as started after the kill.
        let signalledAt = Infinity;
        const killer = (async () => {
            await sleep(KILL_AT_MS);
            const victim = apiServers.get("cp-1");
            assert.ok(victim, "cp-1 is running");
            const exited = new Promise<void>((resolve) => victim.once("exit", () => resolve()));
            signalledAt = now();
            victim.kill("SIGKILL");
            await exited;
            killedAt = now();
        })();
        const markedDown = (async () => {
            await killer;
            while (now() < STOP_AT_MS) {
                if ((await serverStatus(ports.stats, "kube-apiserver"))["cp-1"]?.startsWith("DOWN")) return now() - killedAt;
                await sleep(50);
            }
            return Infinity;
        })();
        await Promise.all([...Array.from({ length: 8 }, client), killer]);
        const downAfterMs = await markedDown;

        const before = samples.filter((s) => s.start < killedAt);
        const after = samples.filter((s) => s.start >= killedAt);
        const inFlightAtKill = before.filter((s) => s.end > signalledAt).length;
        const failures = samples.filter((s) => !s.ok);
        const servedBefore = new Set(before.filter((s) => s.ok).map((s) => s.backend));
        console.log(
            `      ${samples.length} requests (${before.length} before the kill, ${after.length} after); ` +
                `${failures.length} failed (${after.filter((s) => !s.ok).length} after the kill); ` +
                `${inFlightAtKill} in flight at the kill (exit ${(killedAt - signalledAt).toFixed(1)} ms after the signal); cp-1 marked DOWN ${downAfterMs.toFixed(0)} ms after it died`,
        );

        assert.deepEqual([...servedBefore].sort(), ["cp-0", "cp-1", "cp-2"], "every control plane served traffic before the kill");
        assert.equal(after.filter((s) => !s.ok).length, 0, "no request started after the kill failed (retries + redispatch)");
        assert.ok(failures.length <= inFlightAtKill, `${failures.length} failures > ${inFlightAtKill} requests in flight at the kill`);
        assert.ok(!after.some((s) => s.backend === "cp-1"), "the dead server answered nothing after the kill");
        assert.ok(after.length > 50, `enough load after the kill (${after.length})`);
        assert.ok(downAfterMs < 6000, `health checks marked cp-1 DOWN (${downAfterMs} ms)`);

        // What the HaproxyServerDown alert reads, from the exporter Prometheus scrapes.
        const exported = (await get(`http://127.0.0.1:${ports.metrics}/metrics`)).body;
        assert.match(exported, /^haproxy_server_status\{proxy="kube-apiserver",server="cp-1",state="DOWN"\} 1$/m);
        assert.match(exported, /^haproxy_backend_active_servers\{proxy="kube-apiserver"\} 2$/m);
    });

    it("passes HTTPS through untouched: the client sees the worker's own certificate", async () => {
        const reply = await get(`https://127.0.0.1:${ports.https}/`);
        assert.equal(reply.peerName, "istio-gateway-worker-0");
        assert.equal(reply.body, "worker-0 https");
    });

    it("forwards HTTP to the worker's ingress NodePort", async () => {
        assert.equal((await get(`http://127.0.0.1:${ports.http}/`)).body, "worker-0 http");
    });

    it("serves stats and Prometheus metrics on 127.0.0.1 only", async () => {
        const metrics = await get(`http://127.0.0.1:${ports.stats}/metrics`);
        assert.match(metrics.body, /haproxy_server_status\{proxy="kube-apiserver",server="cp-0"/);
    });

    it("serves only /metrics on the metrics address (what Prometheus scrapes), never the stats page; it exports the second file's proxies too", async () => {
        assert.match((await get(`http://127.0.0.1:${ports.metrics}/metrics`)).body, /haproxy_backend_active_servers\{proxy="ingress-http"\} 1/);
        await assert.rejects(get(`http://127.0.0.1:${ports.metrics}/stats`), /HTTP 404/);
    });
});
