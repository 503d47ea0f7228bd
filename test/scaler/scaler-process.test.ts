import { strict as assert } from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as grpc from "@grpc/grpc-js";
import { DryRunStack } from "../../scaler/dry-run-stack";
import { PROJECT_ROOT } from "../fixtures";
import { call, upstreamClient, UPSTREAM_PROTO } from "../support/scaler-lab";
import { ScalerProcess } from "../support/scaler-process";
import { issue, testCa } from "../support/test-pki";

const scalerCli = (...args: string[]) =>
    spawnSync(process.execPath, [path.join(PROJECT_ROOT, "node_modules/tsx/dist/cli.mjs"), path.join(PROJECT_ROOT, "scaler/main.ts"), ...args], {
        cwd: PROJECT_ROOT,
        encoding: "utf8",
        timeout: 60_000,
    });

describe("npm run scaler (the process)", function () {
    this.timeout(60_000);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "scaler-process-"));
    after(() => fs.rmSync(dir, { recursive: true, force: true }));
    before(function () {
        if (!fs.existsSync(UPSTREAM_PROTO)) {
            console.log(`      skipped: ${UPSTREAM_PROTO} is not here (a clone without ../shared)`);
            this.skip();
        }
    });

    it("refuses to start without certificates unless --insecure says so, or with both", () => {
        const noTls = scalerCli("--dry-run", "--state", path.join(dir, "none.json"));
        assert.equal(noTls.status, 2);
        assert.match(noTls.stderr, /refusing to start without TLS: give --cert, --key and --ca \(or --insecure, explicitly\)/);
        assert.ok(!fs.existsSync(path.join(dir, "none.json")), "nothing written");
        assert.match(scalerCli("--dry-run", "--insecure", "--cert", "x.crt").stderr, /--insecure and certificates exclude each other/);
    });

    it("claims a host name for its locks only with a scale record, and only on a host of that name (before touching the stack)", () => {
        const noRecord = scalerCli("--stack", "dev", "--own-lock-host", os.hostname(), "--insecure");
        assert.equal(noRecord.status, 2);
        assert.match(noRecord.stderr, /--own-lock-host needs --scale-record/);
        const record = path.join(dir, "lock-host.json");
        const elsewhere = scalerCli("--stack", "dev", "--scale-record", record, "--own-lock-host", `not-${os.hostname()}`, "--insecure");
        assert.equal(elsewhere.status, 2, elsewhere.stderr);
        assert.ok(elsewhere.stderr.includes(`this host is ${os.hostname()}, so the locks our updates take would not name it`), elsewhere.stderr);
        assert.ok(!fs.existsSync(record), "nothing written");
    });

    describe("mTLS", () => {
        const ca = testCa("cluster-autoscaler CA");
        const server = issue(ca, "scaler", { server: ["127.0.0.1", "scaler.kube-system.svc"] });
        const client = issue(ca, "cluster-autoscaler", "client");
        const stranger = issue(testCa("another CA"), "cluster-autoscaler", "client");
        const files: Record<string, string> = {};
        for (const [name, pem] of Object.entries({ "ca.crt": ca.certPem, "server.crt": server.certPem, "server.key": server.keyPem })) {
            files[name] = path.join(dir, name);
            fs.writeFileSync(files[name], pem);
        }
        const scaler = new ScalerProcess([
            "--dry-run",
            "--state",
            path.join(dir, "tls.json"),
            "--cert",
            files["server.crt"],
            "--key",
            files["server.key"],
            "--ca",
            files["ca.crt"],
        ]);
        before(() => scaler.start());
        after(() => scaler.kill());

        const tls = (identity?: { certPem: string; keyPem: string }) =>
            grpc.credentials.createSsl(
                Buffer.from(ca.certPem),
                identity ? Buffer.from(identity.keyPem) : null,
                identity ? Buffer.from(identity.certPem) : null,
            );
        const nodeGroups = async (credentials: grpc.ChannelCredentials, options: grpc.ClientOptions = {}) => {
            const client = upstreamClient(scaler.grpcAddress, credentials, { ...options, "grpc.initial_reconnect_backoff_ms": 100 });
            try {
                return await call(client, "NodeGroups");
            } finally {
                client.close();
            }
        };
        const refused = (reason?: RegExp) => (error: grpc.ServiceError) => error.code === grpc.status.UNAVAILABLE && (!reason || reason.test(error.details));

        it("a client with a certificate from the autoscaler's CA succeeds", async () => {
            assert.equal(((await nodeGroups(tls(client))).nodeGroups as unknown[]).length, 1);
        });
        it("a client without a certificate is refused", () => assert.rejects(nodeGroups(tls()), refused(/certificate required/)));
        it("a client certificate from another CA is refused", () => assert.rejects(nodeGroups(tls(stranger)), refused()));
        it("a server name the certificate does not hold is refused (the client checks it)", () =>
            assert.rejects(
                nodeGroups(tls(client), { "grpc.ssl_target_name_override": "not-the-scaler.example", "grpc.default_authority": "not-the-scaler.example" }),
                refused(/does not match certificate's altnames/),
            ));
        it("plain text is refused", () => assert.rejects(nodeGroups(grpc.credentials.createInsecure()), refused()));
    });

    it("serves /healthz, /readyz and /metrics (requests by kind and outcome, desired vs deployed)", async () => {
        const scaler = new ScalerProcess(["--dry-run", "--insecure", "--state", path.join(dir, "metrics.json"), "--up-seconds", "1"]);
        await scaler.start();
        try {
            const client = upstreamClient(scaler.grpcAddress);
            await call(client, "NodeGroupIncreaseSize", { id: "workers", delta: 1 });
            await assert.rejects(call(client, "NodeGroupIncreaseSize", { id: "workers", delta: 0 }));
            client.close();
            const get = async (route: string) => {
                const response = await fetch(`http://${scaler.httpAddress}${route}`);
                return { status: response.status, body: await response.text() };
            };
            assert.deepEqual(await get("/healthz"), { status: 200, body: "ok\n" });
            assert.equal((await get("/readyz")).status, 200);
            const during = (await get("/metrics")).body;
            assert.match(during, /scaler_requests_total\{kind="NodeGroupIncreaseSize",outcome="ok"\} 1/);
            assert.match(during, /scaler_requests_total\{kind="NodeGroupIncreaseSize",outcome="refused"\} 1/);
            assert.match(during, /scaler_request_duration_seconds_count\{kind="NodeGroupIncreaseSize"\} 2/);
            // While the 1 s update runs: 4 desired, still 3 deployed; then the update lands.
            assert.match(during, /scaler_desired_workers 4\n/);
            assert.match(during, /scaler_deployed_workers 3\n/);
            let after = during;
            for (let i = 0; i < 100 && !/scaler_deployed_workers 4\n/.test(after); i++, await new Promise((resolve) => setTimeout(resolve, 50)))
                after = (await get("/metrics")).body;
            assert.match(after, /scaler_deployed_workers 4\n/);
            assert.match(after, /scaler_update_duration_seconds_count\{outcome="succeeded"\} 1/);
        } finally {
            await scaler.kill();
        }
    });

    it("killed mid-update and restarted, reaches the desired size with nothing lost or doubled", async () => {
        const state = path.join(dir, "crash.json");
        const args = ["--dry-run", "--insecure", "--state", state, "--up-seconds", "1.5"];
        const first = new ScalerProcess(args);
        await first.start();
        const client = upstreamClient(first.grpcAddress);
        await call(client, "NodeGroupIncreaseSize", { id: "workers", delta: 2 });
        client.close();
        await new Promise((resolve) => setTimeout(resolve, 500)); // the update is running
        await first.kill();
        const stack = new DryRunStack(state, 0, PROJECT_ROOT);
        assert.equal((await stack.readConfig())["boutique-platform:workerCount"], "5", "recorded before the answer");
        assert.equal((await stack.readDeployed())["boutique-platform:workerCount"], "3", "the killed update never finished");
        assert.equal(stack.updates().length, 0);

        const second = new ScalerProcess(args);
        await second.start();
        try {
            for (let i = 0; i < 100 && stack.updates().length === 0; i++) await new Promise((resolve) => setTimeout(resolve, 100));
            const updates = stack.updates();
            assert.equal(updates.length, 1, "exactly one update after the restart");
            assert.equal(updates[0].config["boutique-platform:workerCount"], "5", "to the recorded size: not lost, not doubled");
            assert.equal((await stack.readDeployed())["boutique-platform:workerCount"], "5");
        } finally {
            await second.kill();
        }
    });
});
