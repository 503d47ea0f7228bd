import * as fs from "fs";
import * as http2 from "http2";
import * as net from "net";
import * as grpc from "@grpc/grpc-js";
import type { CloudProviderClient } from "../scaler/client";

/**
 * What a hostile or broken client does to the scaler, as small probes: the limits test and
 * `npm run bench:scaler-limits` drive the same ones against a real scaler process.
 */

export interface TimedAnswer {
    /** The gRPC status (OK included). */
    readonly code: grpc.status;
    readonly details: string;
    readonly milliseconds: number;
}

/** One RPC with a deadline, answered or not: its status and how long it took. */
export function timedCall(client: CloudProviderClient, method: string, request: object, deadlineMs = 3000): Promise<TimedAnswer> {
    const started = performance.now();
    return new Promise((resolve) =>
        client[method].call(client, request, { deadline: Date.now() + deadlineMs }, (error) =>
            resolve({ code: error ? error.code : grpc.status.OK, details: error ? error.details : "", milliseconds: performance.now() - started }),
        ),
    );
}

/** The mTLS material a probe presents (PEM); none: plain text. */
export interface ProbeTls {
    readonly ca: string;
    readonly cert: string;
    readonly key: string;
    /** The name the server certificate holds. */
    readonly servername: string;
}

function hostAndPort(address: string): { host: string; port: number } {
    const at = address.lastIndexOf(":");
    return { host: address.slice(0, at).replace(/^\[|\]$/g, ""), port: Number(address.slice(at + 1)) };
}

/** Raw TCP sockets that connect and never say anything (no TLS handshake, no HTTP/2 preface). */
export async function openSilentSockets(address: string, count: number): Promise<net.Socket[]> {
    const { host, port } = hostAndPort(address);
    return Promise.all(
        Array.from(
            { length: count },
            () =>
                new Promise<net.Socket>((resolve) => {
                    const socket = net.connect(port, host, () => resolve(socket));
                    // A socket the server refuses or closes resolves too: the caller looks at `closed`.
                    socket.once("error", () => resolve(socket));
                }),
        ),
    );
}

/** Resolves with the milliseconds until the server closed the socket, or undefined if it still holds it after `withinMs`. */
export function closedWithin(socket: net.Socket, withinMs: number): Promise<number | undefined> {
    const started = performance.now();
    if (socket.closed || socket.destroyed) return Promise.resolve(0);
    return new Promise((resolve) => {
        const timer = setTimeout(() => resolve(undefined), withinMs);
        socket.once("close", () => {
            clearTimeout(timer);
            resolve(performance.now() - started);
        });
        // Data (the server's SETTINGS, a GOAWAY) is read and dropped, so the close is seen.
        socket.resume();
    });
}

/** An HTTP/2 connection to the scaler, as a gRPC client's transport would open it. */
export function http2Session(address: string, credentials?: ProbeTls): Promise<http2.ClientHttp2Session> {
    const authority = credentials ? `https://${address}` : `http://${address}`;
    const session = http2.connect(
        authority,
        credentials ? { ca: credentials.ca, cert: credentials.cert, key: credentials.key, servername: credentials.servername, ALPNProtocols: ["h2"] } : {},
    );
    return new Promise((resolve, reject) => {
        session.once("remoteSettings", () => resolve(session));
        session.once("error", reject);
        // Closed before its SETTINGS: refused (over the connection cap).
        session.once("close", () => reject(new Error("closed before the server's SETTINGS")));
    });
}

/**
 * Streams that start a call and never send its message: each holds a server-side call open
 * until its deadline (none here). Returns the sessions, to close when done.
 */
export async function openUnreadStreams(address: string, count: number, perSession: number, credentials?: ProbeTls): Promise<http2.ClientHttp2Session[]> {
    const sessions: http2.ClientHttp2Session[] = [];
    for (let opened = 0; opened < count; opened += perSession) {
        const session = await http2Session(address, credentials).catch(() => undefined);
        if (!session) continue; // refused: over the connection cap
        session.on("error", () => undefined);
        sessions.push(session);
        for (let i = 0; i < Math.min(perSession, count - opened); i++) {
            const stream = session.request(
                {
                    ":method": "POST",
                    ":path": "/clusterautoscaler.cloudprovider.v1.externalgrpc.CloudProvider/NodeGroups",
                    "content-type": "application/grpc",
                    te: "trailers",
                },
                { endStream: false },
            );
            stream.on("error", () => undefined);
        }
    }
    return sessions;
}

/** A process's resident set size in MiB (Linux /proc). */
export function rssMiB(pid: number): number {
    const match = /^VmRSS:\s+(\d+) kB$/m.exec(fs.readFileSync(`/proc/${pid}/status`, "utf8"));
    return match ? Number(match[1]) / 1024 : NaN;
}

/**
 * A socket that starts a TLS handshake and stalls: a record header announcing 16 KiB of
 * handshake, then 100 bytes of it. The server waits for the rest; past the preface's length,
 * only a TLS handshake deadline ends it.
 */
export async function openStalledHandshake(address: string): Promise<net.Socket> {
    const [socket] = await openSilentSockets(address, 1);
    socket.write(Buffer.concat([Buffer.from([0x16, 0x03, 0x01, 0x40, 0x00]), Buffer.alloc(100)]));
    return socket;
}
