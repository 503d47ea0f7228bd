import { strict as assert } from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { Writable } from "stream";
import * as grpc from "@grpc/grpc-js";
import pino from "pino";
import { ScaleError } from "../../scaler/node-group";
import { boundedLogOptions } from "../../scaler/log-limits";
import { MAX_ID_BYTES, MAX_NODES_PER_REQUEST, refuseOversized } from "../../scaler/request-limits";
import { closedWithin, http2Session, openSilentSockets, openStalledHandshake, ProbeTls, timedCall } from "../../bench/limit-probes";
import { upstreamClient, UPSTREAM_PROTO } from "../support/scaler-lab";
import { ScalerProcess } from "../support/scaler-process";
import { issue, testCa } from "../support/test-pki";

const KIB = 1024;
const codeName = (code: grpc.status) => grpc.status[code];
/** The biggest ids the autoscaler really sends: gce://<project, 30>/<zone>/<instance, 63>, a node name of 253 (DNS subdomain). */
const LONGEST_PROVIDER_ID = `gce://${"p".repeat(30)}/northamerica-northeast1-a/${"w".repeat(63)}`;
const LONGEST_NODE_NAME = `${"n".repeat(63)}.${"n".repeat(63)}.${"n".repeat(63)}.${"n".repeat(61)}`;

/** Requests carrying `big` where each RPC takes an id from the autoscaler. */
const oversized = (big: string): [string, object][] => [
    ["NodeGroupTargetSize", { id: big }],
    ["NodeGroupIncreaseSize", { id: big, delta: 1 }],
    ["NodeGroupForNode", { node: { providerID: big, name: "node" } }],
    ["NodeGroupForNode", { node: { providerID: LONGEST_PROVIDER_ID, name: big } }],
    ["NodeGroupDeleteNodes", { id: "workers", nodes: [{ providerID: big, name: "node" }] }],
];

describe("the scaler's request and log bounds (pure)", () => {
    const refusal = (request: object) => {
        try {
            refuseOversized(request);
            return "accepted";
        } catch (error) {
            return error instanceof ScaleError ? `${codeName(error.code)}: ${error.message}` : String(error);
        }
    };

    it("refuse ids over 1 KiB (in UTF-8 bytes) and more nodes than a group can hold, naming the field and its size, never its value", () => {
        assert.equal(refusal({ id: "w".repeat(MAX_ID_BYTES) }), "accepted");
        assert.equal(
            refusal({ id: "é".repeat(MAX_ID_BYTES / 2 + 1) }),
            `INVALID_ARGUMENT: the node group id is ${MAX_ID_BYTES + 2} bytes; ids are at most ${MAX_ID_BYTES}`,
        );
        assert.equal(
            refusal({ node: { providerID: LONGEST_PROVIDER_ID, name: "z".repeat(2000) } }),
            "INVALID_ARGUMENT: node.name is 2000 bytes; ids are at most 1024",
        );
        assert.equal(
            refusal({ id: "workers", nodes: [{ providerID: LONGEST_PROVIDER_ID }, { providerID: "q".repeat(5000) }] }),
            "INVALID_ARGUMENT: nodes[1].providerID is 5000 bytes; ids are at most 1024",
        );
        const many = Array.from({ length: MAX_NODES_PER_REQUEST + 1 }, () => ({ providerID: "gce://p/z/w" }));
        assert.equal(
            refusal({ id: "workers", nodes: many }),
            `INVALID_ARGUMENT: ${MAX_NODES_PER_REQUEST + 1} nodes in one request; a node group has at most ${MAX_NODES_PER_REQUEST}`,
        );
    });

    it("the logger cuts every string it writes (fields, nested values, the message, an error's message) to a prefix with its length", () => {
        const lines: string[] = [];
        const sink = new Writable({
            write: (chunk: Buffer, _encoding, done) => {
                lines.push(chunk.toString());
                done();
            },
        });
        const log = pino(boundedLogOptions("info"), sink);
        const huge = "h".repeat(100_000);
        log.info({ id: huge, nested: { nodes: [{ name: huge }] } }, huge);
        log.error({ err: new Error(`bad id ${huge}`) }, "request failed");
        assert.equal(lines.length, 2);
        for (const line of lines) assert.ok(line.length < 4000, `a line of ${line.length} chars`);
        const [first, second] = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
        assert.match(String(first.id), /^h{512}… \(100000 chars\)$/);
        assert.match(String(first.msg), /… \(100000 chars\)$/);
        assert.match(JSON.stringify(first.nested), /… \(100000 chars\)/);
        assert.match(String((second.err as { message: string }).message), /^bad id h+… \(100007 chars\)$/);
    });
});

describe("the scaler's limits: hostile input gets a prompt status, logs stay bounded, connections are capped (issue 14, item 6)", function () {
    this.timeout(60_000);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "scaler-limits-"));
    after(() => fs.rmSync(dir, { recursive: true, force: true }));
    before(function () {
        if (!fs.existsSync(UPSTREAM_PROTO)) {
            console.log(`      skipped: ${UPSTREAM_PROTO} is not here (a clone without ../shared)`);
            this.skip();
        }
    });

    describe("--insecure, idle limit 1 s, at most 8 connections", () => {
        const scaler = new ScalerProcess([
            "--dry-run",
            "--insecure",
            "--state",
            path.join(dir, "insecure.json"),
            "--idle-seconds",
            "1",
            "--max-connections",
            "8",
        ]);
        before(() => scaler.start());
        after(() => scaler.kill());

        it("an id of 72 KiB or 1 MiB is refused with INVALID_ARGUMENT at once, and the same channel then serves a normal call", async () => {
            const client = upstreamClient(scaler.grpcAddress);
            try {
                for (const size of [72 * KIB, KIB * KIB]) {
                    for (const [method, request] of oversized("x".repeat(size))) {
                        const answer = await timedCall(client, method, request);
                        const what = `${method} with ${size} bytes: ${codeName(answer.code)} after ${Math.round(answer.milliseconds)} ms`;
                        assert.equal(codeName(answer.code), "INVALID_ARGUMENT", what);
                        assert.ok(answer.milliseconds < 1500, what);
                        assert.ok(answer.details.length <= 200, `${what}: details of ${answer.details.length} chars`);
                        assert.equal(codeName((await timedCall(client, "NodeGroups", {})).code), "OK", `after ${what}`);
                    }
                }
            } finally {
                client.close();
            }
        });

        it("what the autoscaler really sends passes: the longest provider id and node name, 256 KiB of node annotations", async () => {
            const client = upstreamClient(scaler.grpcAddress);
            try {
                const annotations = Object.fromEntries(Array.from({ length: 64 }, (_, i) => [`example.com/note-${i}`, "a".repeat(4 * KIB - 20)]));
                const answer = await timedCall(client, "NodeGroupForNode", { node: { providerID: LONGEST_PROVIDER_ID, name: LONGEST_NODE_NAME, annotations } });
                assert.equal(codeName(answer.code), "OK", answer.details);
                const remove = await timedCall(client, "NodeGroupDeleteNodes", {
                    id: "workers",
                    nodes: [{ providerID: LONGEST_PROVIDER_ID, name: LONGEST_NODE_NAME }],
                });
                assert.equal(codeName(remove.code), "NOT_FOUND", "refused for what it is (no worker of this stack), not for its size");
                assert.match(remove.details, /is not in node group "workers"/);
            } finally {
                client.close();
            }
        });

        it("a message over the 4 MiB receive limit gets RESOURCE_EXHAUSTED at once (grpc-js answers before any handler) and the channel still serves", async () => {
            const client = upstreamClient(scaler.grpcAddress);
            try {
                const answer = await timedCall(client, "NodeGroupTargetSize", { id: "x".repeat(5 * KIB * KIB) }, 5000);
                assert.equal(codeName(answer.code), "RESOURCE_EXHAUSTED", answer.details);
                assert.ok(answer.milliseconds < 3000, `${Math.round(answer.milliseconds)} ms`);
                assert.equal(codeName((await timedCall(client, "NodeGroups", {})).code), "OK");
            } finally {
                client.close();
            }
        });

        it("logs a user-supplied value as a bounded prefix with its length: no log line grows with the id, no status echoes it whole", async () => {
            const client = upstreamClient(scaler.grpcAddress);
            const logged = scaler.output().length;
            try {
                await timedCall(client, "NodeGroupTargetSize", { id: "x".repeat(KIB * KIB) });
                const unknown = await timedCall(client, "NodeGroupTargetSize", { id: "y".repeat(1000) });
                assert.equal(codeName(unknown.code), "NOT_FOUND", "under the id limit: looked up, and not found");
                assert.ok(unknown.details.length <= 200 && unknown.details.includes("1000 chars"), unknown.details);
            } finally {
                client.close();
            }
            await new Promise((resolve) => setTimeout(resolve, 200)); // the log lines reach the pipe
            const lines = scaler.output().slice(logged).split("\n").filter(Boolean);
            const longest = Math.max(...lines.map((line) => line.length));
            assert.ok(longest < 1000, `a log line of ${longest} chars`);
            assert.ok(
                lines.some((line) => line.includes("1048576")),
                `the refused id's length is logged:\n${lines.join("\n")}`,
            );
            assert.ok(
                lines.some((line) => line.includes("1000 chars")),
                "the looked-up id's prefix notes its length",
            );
        });

        it("silent sockets (no HTTP/2 preface) are closed after the idle limit, those over the cap at once; a client is served after", async () => {
            const sockets = await openSilentSockets(scaler.grpcAddress, 12);
            const closed = await Promise.all(sockets.map((socket) => closedWithin(socket, 6000)));
            assert.ok(
                closed.every((ms) => ms !== undefined),
                `still open after 6 s: ${closed.filter((ms) => ms === undefined).length}`,
            );
            const prompt = closed.filter((ms) => (ms ?? Infinity) < 300).length;
            assert.ok(prompt >= 4, `${prompt} of 12 closed at once (8 may be held)`);
            const client = upstreamClient(scaler.grpcAddress);
            assert.equal(codeName((await timedCall(client, "NodeGroups", {})).code), "OK");
            client.close();
        });

        it("a connection that goes quiet is closed after the idle limit; each takes at most 32 concurrent calls (its SETTINGS say so)", async () => {
            const session = await http2Session(scaler.grpcAddress);
            assert.equal(session.remoteSettings.maxConcurrentStreams, 32);
            const started = performance.now();
            await new Promise<void>((resolve, reject) => {
                const timer = setTimeout(() => reject(new Error("the idle connection is still open after 5 s")), 5000);
                session.once("close", () => {
                    clearTimeout(timer);
                    resolve();
                });
            });
            assert.ok(performance.now() - started >= 800, "not before the idle limit");
        });
    });

    describe("--insecure, at most 8 connections, idle limit 30 s (silent sockets live up to 10 s)", () => {
        const scaler = new ScalerProcess(["--dry-run", "--insecure", "--state", path.join(dir, "cap.json"), "--idle-seconds", "30", "--max-connections", "8"]);
        before(() => scaler.start());
        after(() => scaler.kill());

        it("silent sockets never lock a client out: past the cap a new connection takes the place of one silent for a second", async () => {
            const client = upstreamClient(scaler.grpcAddress);
            try {
                assert.equal(codeName((await timedCall(client, "NodeGroups", {})).code), "OK", "a client connected before the flood");
                const sockets = await openSilentSockets(scaler.grpcAddress, 20);
                const closedAtOnce = (await Promise.all(sockets.map((socket) => closedWithin(socket, 300)))).filter((ms) => ms !== undefined).length;
                assert.equal(closedAtOnce, 13, "7 slots were free: the other 13 closed on arrival");
                assert.equal(codeName((await timedCall(client, "NodeGroups", {})).code), "OK", "the connected client is still served");
                await new Promise((resolve) => setTimeout(resolve, 1100));
                const late = upstreamClient(scaler.grpcAddress, grpc.credentials.createInsecure(), { "grpc.use_local_subchannel_pool": 1 });
                assert.equal(codeName((await timedCall(late, "NodeGroups", {})).code), "OK", "a new client takes a silent socket's place");
                late.close();
                const held = (await Promise.all(sockets.map((socket) => closedWithin(socket, 1)))).filter((ms) => ms === undefined).length;
                assert.equal(held, 6, "one silent socket gave its place");
                for (const socket of sockets) socket.destroy();
            } finally {
                client.close();
            }
        });
    });

    describe("mTLS, idle limit 1 s", () => {
        const ca = testCa("cluster-autoscaler CA");
        const server = issue(ca, "scaler", { server: ["127.0.0.1", "scaler.autoscaler.svc"] });
        const client = issue(ca, "cluster-autoscaler", "client");
        const files = { ca: path.join(dir, "ca.crt"), cert: path.join(dir, "tls.crt"), key: path.join(dir, "tls.key") };
        const scaler = new ScalerProcess([
            "--dry-run",
            "--state",
            path.join(dir, "tls.json"),
            "--cert",
            files.cert,
            "--key",
            files.key,
            "--ca",
            files.ca,
            "--idle-seconds",
            "1",
        ]);
        const probeTls: ProbeTls = { ca: ca.certPem, cert: client.certPem, key: client.keyPem, servername: "scaler.autoscaler.svc" };
        const credentials = () => grpc.credentials.createSsl(Buffer.from(ca.certPem), Buffer.from(client.keyPem), Buffer.from(client.certPem));
        before(async () => {
            fs.writeFileSync(files.ca, ca.certPem);
            fs.writeFileSync(files.cert, server.certPem);
            fs.writeFileSync(files.key, server.keyPem);
            await scaler.start();
        });
        after(() => scaler.kill());

        it("a socket that never starts its TLS handshake, or stalls in it, is closed after the limit; a client with a certificate is served", async () => {
            const [silent] = await openSilentSockets(scaler.grpcAddress, 1);
            const stalled = await openStalledHandshake(scaler.grpcAddress);
            const [silentMs, stalledMs] = await Promise.all([closedWithin(silent, 6000), closedWithin(stalled, 6000)]);
            assert.ok(silentMs !== undefined && silentMs >= 700, `silent: closed after ${silentMs} ms`);
            assert.ok(stalledMs !== undefined && stalledMs >= 700, `stalled mid-handshake: closed after ${stalledMs} ms`);
            const session = await http2Session(scaler.grpcAddress, probeTls);
            assert.equal(session.remoteSettings.maxConcurrentStreams, 32);
            session.close();
            const grpcClient = upstreamClient(scaler.grpcAddress, credentials());
            try {
                assert.equal(codeName((await timedCall(grpcClient, "NodeGroups", {})).code), "OK");
                const answer = await timedCall(grpcClient, "NodeGroupTargetSize", { id: "x".repeat(72 * KIB) });
                assert.equal(codeName(answer.code), "INVALID_ARGUMENT", answer.details);
                assert.equal(codeName((await timedCall(grpcClient, "NodeGroups", {})).code), "OK");
            } finally {
                grpcClient.close();
            }
        });
    });
});
