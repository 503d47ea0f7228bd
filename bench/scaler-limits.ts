import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { parseArgs } from "util";
import * as grpc from "@grpc/grpc-js";
// The tests' CA: self-signed certificates for the mTLS run, nothing kept.
import { issue, testCa } from "../test/support/test-pki";
import { CloudProviderClient, cloudProviderClient, RunningScaler, spawnScaler } from "../scaler/client";
import { closedWithin, openSilentSockets, openUnreadStreams, ProbeTls, rssMiB, timedCall } from "./limit-probes";

/**
 * What hostile clients cost the scaler (a figure-printing script, not a test): the real process
 * on a dry-run stack, --insecure and with mTLS, with only the flags every version of it takes
 * (so it measures an older checkout too). Prints its RSS after --streams calls that never send
 * their message, after --sockets connections that never say anything, and after ids of 72 KiB
 * and --id-bytes: the time each took to get a status, the log bytes each added, and whether a
 * normal call (NodeGroups) is still answered, on the same channel and on a new one.
 *
 * usage: npm run bench:scaler-limits [-- --streams 10000 --sockets 1000 --id-bytes 1048576]
 */

const { values } = parseArgs({
    options: {
        streams: { type: "string", default: "10000" },
        sockets: { type: "string", default: "1000" },
        "id-bytes": { type: "string", default: String(1024 * 1024) },
    },
});
const STREAMS = Number(values.streams);
const SOCKETS = Number(values.sockets);
const ID_BYTES = Number(values["id-bytes"]);
const STREAMS_PER_CONNECTION = 100;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const mib = (value: number) => `${value.toFixed(1).padStart(6)} MiB`;
const delta = (value: number) => `${value >= 0 ? "+" : ""}${value.toFixed(1)}`;

interface Mode {
    readonly label: string;
    readonly args: readonly string[];
    readonly credentials: () => grpc.ChannelCredentials;
    readonly probe?: ProbeTls;
}

function modes(dir: string): Mode[] {
    const ca = testCa("bench CA");
    const server = issue(ca, "scaler", { server: ["127.0.0.1", "scaler.autoscaler.svc"] });
    const client = issue(ca, "cluster-autoscaler", "client");
    const file = (name: string, pem: string) => {
        fs.writeFileSync(path.join(dir, name), pem);
        return path.join(dir, name);
    };
    const tlsArgs = ["--cert", file("tls.crt", server.certPem), "--key", file("tls.key", server.keyPem), "--ca", file("ca.crt", ca.certPem)];
    return [
        { label: "insecure", args: ["--insecure"], credentials: () => grpc.credentials.createInsecure() },
        {
            label: "mTLS",
            args: tlsArgs,
            credentials: () => grpc.credentials.createSsl(Buffer.from(ca.certPem), Buffer.from(client.keyPem), Buffer.from(client.certPem)),
            probe: { ca: ca.certPem, cert: client.certPem, key: client.keyPem, servername: "scaler.autoscaler.svc" },
        },
    ];
}

const answered = async (client: CloudProviderClient) => {
    const answer = await timedCall(client, "NodeGroups", {}, 5000);
    return `${grpc.status[answer.code]} in ${Math.round(answer.milliseconds)} ms`;
};

/** A normal call on a new channel (each its own connection: no shared subchannel). */
async function served(scaler: RunningScaler, mode: Mode): Promise<string> {
    const client = cloudProviderClient(scaler.grpcAddress, undefined, mode.credentials(), { "grpc.use_local_subchannel_pool": 1 });
    const answer = await answered(client);
    client.close();
    return answer;
}

async function measure(mode: Mode, dir: string): Promise<void> {
    const scaler = await spawnScaler(["--dry-run", "--state", path.join(dir, `${mode.label}.json`), ...mode.args]);
    const pid = scaler.child.pid ?? 0;
    const line = (what: string, text: string) => console.log(`${mode.label.padEnd(8)} ${what.padEnd(34)} ${text}`);
    try {
        // Connected (and called) before any flood, as the autoscaler would be.
        const connected = cloudProviderClient(scaler.grpcAddress, undefined, mode.credentials());
        await answered(connected);
        await sleep(1000);
        const start = rssMiB(pid);
        line("at start", `RSS ${mib(start)}`);
        const during = async () => `NodeGroups: connected client ${await answered(connected)}, new client ${await served(scaler, mode)}`;

        const sessions = await openUnreadStreams(scaler.grpcAddress, STREAMS, STREAMS_PER_CONNECTION, mode.probe);
        await sleep(2000);
        line(`${STREAMS} unread streams`, `RSS ${mib(rssMiB(pid))} (${delta(rssMiB(pid) - start)}), ${sessions.length} connections accepted`);
        line("", await during());
        for (const session of sessions) session.destroy();
        await sleep(1000);

        const beforeSockets = rssMiB(pid);
        const sockets = await openSilentSockets(scaler.grpcAddress, SOCKETS);
        await sleep(1000);
        const openAfter = (ms: number) =>
            Promise.all(sockets.map((socket) => closedWithin(socket, ms))).then((closed) => closed.filter((at) => at === undefined).length);
        line(`${SOCKETS} silent sockets`, `RSS ${mib(rssMiB(pid))} (${delta(rssMiB(pid) - beforeSockets)}), ${await openAfter(300)} open after 1 s`);
        line("", await during());
        line("", `${await openAfter(11_000)} of them still open 12 s after connecting`);
        for (const socket of sockets) socket.destroy();

        for (const bytes of [72 * 1024, ID_BYTES]) {
            const logged = scaler.output().length;
            const beforeId = rssMiB(pid);
            const answer = await timedCall(connected, "NodeGroupTargetSize", { id: "x".repeat(bytes) }, 5000);
            await sleep(300);
            line(
                `id of ${bytes} bytes`,
                `${grpc.status[answer.code]} in ${Math.round(answer.milliseconds)} ms, log +${scaler.output().length - logged} bytes, RSS ${mib(rssMiB(pid))} (${delta(rssMiB(pid) - beforeId)})`,
            );
            line("", `then ${await during()} (the connected client's channel carried the id)`);
        }
        connected.close();
    } finally {
        scaler.child.kill("SIGKILL");
    }
}

async function main(): Promise<void> {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "bench-limits-"));
    try {
        for (const mode of modes(dir)) await measure(mode, dir);
    } finally {
        fs.rmSync(dir, { recursive: true, force: true });
    }
    process.exit(0);
}

void main();
