import { strict as assert } from "assert";
import { ChildProcess } from "child_process";
import * as crypto from "crypto";
import * as fs from "fs";
import * as http2 from "http2";
import * as os from "os";
import * as path from "path";
import * as tls from "tls";
import * as grpc from "@grpc/grpc-js";
import { callRpc, cloudProviderClient, RunningScaler, spawnScaler } from "../../scaler/client";
import { DryRunStack } from "../../scaler/dry-run-stack";
import { PROJECT_ROOT } from "../fixtures";
import { Issued, issue, testCa } from "../support/test-pki";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Resolves with the exit code and how long after `since` the process ended. */
function exit(child: ChildProcess, since: number): Promise<{ code: number | null; seconds: number }> {
    if (child.exitCode !== null) return Promise.resolve({ code: child.exitCode, seconds: 0 });
    return new Promise((resolve) => child.once("exit", (code) => resolve({ code, seconds: (performance.now() - since) / 1000 })));
}

describe("the scaler's lifecycle (the process)", function () {
    this.timeout(60_000);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "scaler-lifecycle-"));
    const started: RunningScaler[] = [];
    const start = async (args: readonly string[]) => {
        const scaler = await spawnScaler(args);
        started.push(scaler);
        return scaler;
    };
    afterEach(() => {
        for (const { child } of started.splice(0)) if (child.exitCode === null) child.kill("SIGKILL");
    });
    after(() => fs.rmSync(dir, { recursive: true, force: true }));

    describe("SIGTERM (the pod is stopped): no new requests, the running update may finish up to --stop-timeout", () => {
        /** A dry-run scaler asked for one more worker, then SIGTERM while that update (--up-seconds long) runs. */
        const stopDuringUpdate = async (name: string, upSeconds: number, stopTimeoutSeconds: number) => {
            const state = path.join(dir, `${name}.json`);
            const scaler = await start([
                "--dry-run",
                "--insecure",
                "--state",
                state,
                "--up-seconds",
                String(upSeconds),
                "--stop-timeout",
                String(stopTimeoutSeconds),
            ]);
            const client = cloudProviderClient(scaler.grpcAddress);
            await callRpc(client, "NodeGroupIncreaseSize", { id: "workers", delta: 1 });
            client.close();
            await sleep(300);
            const signalled = performance.now();
            scaler.child.kill("SIGTERM");
            return { state, scaler, exited: exit(scaler.child, signalled) };
        };

        it("an update that ends inside the deadline is waited for, then the scaler exits 0", async () => {
            const { state, scaler, exited } = await stopDuringUpdate("finishes", 2, 20);
            await sleep(300);
            assert.equal((await fetch(`http://${scaler.httpAddress}/readyz`)).status, 503, "not ready while it waits");
            const late = cloudProviderClient(scaler.grpcAddress, undefined, grpc.credentials.createInsecure(), { "grpc.initial_reconnect_backoff_ms": 100 });
            await assert.rejects(callRpc(late, "NodeGroups"), (error: grpc.ServiceError) => error.code === grpc.status.UNAVAILABLE, "no new requests");
            late.close();
            const { code, seconds } = await exited;
            assert.equal(code, 0, scaler.output());
            assert.ok(seconds > 1 && seconds < 10, `exited ${seconds.toFixed(2)} s after SIGTERM: when the 2 s update ended`);
            const updates = new DryRunStack(state, 0, PROJECT_ROOT).updates();
            assert.equal(updates.length, 1, "the update finished and was recorded");
            assert.equal(updates[0].config["boutique-platform:workerCount"], "4");
            assert.match(scaler.output(), /"msg":"stopped"/);
        });

        it("an update still running at the deadline: exit 1 with a log line saying so", async () => {
            const { state, scaler, exited } = await stopDuringUpdate("deadline", 30, 1);
            const { code, seconds } = await exited;
            assert.equal(code, 1);
            assert.ok(seconds >= 0.9 && seconds < 5, `exited ${seconds.toFixed(2)} s after SIGTERM`);
            const line = scaler
                .output()
                .split("\n")
                .find((text) => text.includes("still running at the stop deadline"));
            assert.ok(line, scaler.output());
            assert.equal((JSON.parse(line) as { level: number }).level, 50, "logged as an error");
            assert.equal(new DryRunStack(state, 0, PROJECT_ROOT).updates().length, 0);
            assert.equal(
                (await new DryRunStack(state, 0, PROJECT_ROOT).readConfig())["boutique-platform:workerCount"],
                "4",
                "the change stays recorded for the next start",
            );
        });

        it("with no update running it exits 0 at once", async () => {
            const scaler = await start(["--dry-run", "--insecure", "--state", path.join(dir, "idle.json"), "--stop-timeout", "20"]);
            const signalled = performance.now();
            scaler.child.kill("SIGTERM");
            const { code, seconds } = await exit(scaler.child, signalled);
            assert.equal(code, 0);
            assert.ok(seconds < 2, `${seconds.toFixed(2)} s`);
        });
    });

    describe("certificates re-read when their files change (a renewed Secret, swapped as the kubelet does)", () => {
        const ca = testCa("cluster-autoscaler provider CA");
        const client = issue(ca, "cluster-autoscaler", "client");
        const tlsDir = path.join(dir, "tls");

        /** The kubelet's layout: tls.crt -> ..data/tls.crt, ..data -> ..<version>; a renewal swaps ..data in one rename. */
        const publish = (version: string, leaf: Issued) => {
            fs.mkdirSync(path.join(tlsDir, `..${version}`), { recursive: true });
            for (const [file, pem] of Object.entries({ "tls.crt": leaf.certPem, "tls.key": leaf.keyPem, "ca.crt": ca.certPem })) {
                fs.writeFileSync(path.join(tlsDir, `..${version}`, file), pem);
                if (!fs.existsSync(path.join(tlsDir, file))) fs.symlinkSync(path.join("..data", file), path.join(tlsDir, file));
            }
            fs.symlinkSync(`..${version}`, path.join(tlsDir, "..data_tmp"));
            fs.renameSync(path.join(tlsDir, "..data_tmp"), path.join(tlsDir, "..data"));
        };
        const serialOf = (leaf: Issued) => new crypto.X509Certificate(leaf.certPem).serialNumber;

        /** A TLS connection as the autoscaler makes one (ALPN h2, its client certificate), carrying HTTP/2. */
        const connect = async (address: string) => {
            const [host, port] = address.split(":");
            const socket = tls.connect({ host, port: Number(port), ca: ca.certPem, cert: client.certPem, key: client.keyPem, ALPNProtocols: ["h2"] });
            await new Promise<void>((resolve, reject) => socket.once("secureConnect", resolve).once("error", reject));
            const session = http2.connect(`https://${address}`, { createConnection: () => socket });
            return { session, serial: () => socket.getPeerCertificate().serialNumber };
        };
        /** One NodeGroups call on that very connection: its gRPC status. */
        const nodeGroups = (session: http2.ClientHttp2Session) =>
            new Promise<string>((resolve, reject) => {
                const stream = session.request({
                    ":method": "POST",
                    ":path": "/clusterautoscaler.cloudprovider.v1.externalgrpc.CloudProvider/NodeGroups",
                    "content-type": "application/grpc",
                    te: "trailers",
                });
                stream.on("trailers", (trailers: http2.IncomingHttpHeaders) => resolve(String(trailers["grpc-status"])));
                stream.on("error", reject);
                stream.resume();
                stream.end(Buffer.alloc(5)); // an empty message: no compression flag, length 0
            });

        it("a new leaf serves new connections within the refresh interval; the open connection keeps working", async () => {
            const first = issue(ca, "scaler", { server: ["127.0.0.1"] });
            const renewed = issue(ca, "scaler", { server: ["127.0.0.1"] });
            assert.notEqual(serialOf(first), serialOf(renewed));
            publish("v1", first);
            const files = ["--cert", path.join(tlsDir, "tls.crt"), "--key", path.join(tlsDir, "tls.key"), "--ca", path.join(tlsDir, "ca.crt")];
            const scaler = await start(["--dry-run", "--state", path.join(dir, "tls.json"), ...files, "--cert-refresh-seconds", "1"]);

            const old = await connect(scaler.grpcAddress);
            assert.equal(old.serial(), serialOf(first));
            assert.equal(await nodeGroups(old.session), "0");

            publish("v2", renewed);
            const swapped = performance.now();
            let seen = "";
            while (performance.now() - swapped < 10_000) {
                const probe = await connect(scaler.grpcAddress);
                seen = probe.serial();
                probe.session.close();
                if (seen === serialOf(renewed)) break;
                await sleep(50);
            }
            const latency = (performance.now() - swapped) / 1000;
            assert.equal(seen, serialOf(renewed), "a new connection sees the renewed certificate");
            assert.ok(latency < 3, `picked up ${latency.toFixed(2)} s after the swap (refresh every 1 s)`);
            console.log(`      renewed certificate served ${latency.toFixed(2)} s after the swap (--cert-refresh-seconds 1)`);

            assert.equal(old.serial(), serialOf(first), "the open connection is the same one");
            assert.equal(await nodeGroups(old.session), "0", "and still answers");
            old.session.close();
            const loaded = scaler
                .output()
                .split("\n")
                .filter((line) => line.includes('"msg":"server certificate loaded"'));
            assert.deepEqual(
                loaded.map((line) => (JSON.parse(line) as { serial: string }).serial),
                [serialOf(first), serialOf(renewed)],
                "each certificate logged once, not every read",
            );
        });
    });
});
