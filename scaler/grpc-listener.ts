import type { SecureServerOptions } from "http2";
import * as net from "net";
import type { SecureContextOptions } from "tls";
import * as grpc from "@grpc/grpc-js";

/** What one client may hold of the scaler's gRPC port (the autoscaler holds one connection, a few calls at a time). */
export interface ConnectionLimits {
    /** Open connections at once; further ones are closed as they arrive. */
    readonly maxConnections: number;
    /** Calls in flight per connection (SETTINGS_MAX_CONCURRENT_STREAMS): a Go client queues past it, it does not fail. */
    readonly maxConcurrentStreams: number;
    /** A connection with no call in flight this long gets a GOAWAY and is closed; the client reconnects when it next calls. */
    readonly idleMs: number;
    /** Within this a connection finishes its TLS handshake (TLS) or sends the HTTP/2 preface (plain text), or is closed. */
    readonly handshakeMs: number;
    /** The server pings each connection this often; no answer within the timeout closes it (a peer gone silently). */
    readonly keepaliveMs: number;
    readonly keepaliveTimeoutMs: number;
    /** nghttp2's memory per connection, MiB (Node counts in MB): past it new streams are refused. */
    readonly sessionMemoryMiB: number;
    /**
     * The largest request. grpc-js refuses a larger one with RESOURCE_EXHAUSTED before any
     * handler (the gRPC code for a message over the limit, in every implementation). Not lower:
     * the autoscaler sends whole nodes (labels, up to 256 KiB of annotations), several to a delete.
     */
    readonly maxReceiveMessageBytes: number;
}

/** What a flag may change; the rest are fixed. */
export interface ConnectionFlags {
    readonly idleSeconds: number;
    readonly maxConnections: number;
}

export const DEFAULT_CONNECTION_FLAGS: ConnectionFlags = { idleSeconds: 120, maxConnections: 32 };

/** Generous for a TLS handshake inside the cluster; a quiet socket holds a slot no longer. */
const HANDSHAKE_MS = 10_000;
/** The HTTP/2 client preface, "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n": a client sends it before anything else. */
const HTTP2_PREFACE_BYTES = 24;
/** A real client sends its first bytes (preface, or TLS ClientHello) as soon as it connects. */
const SILENT_GRACE_MS = 1000;

export function connectionLimits(flags: ConnectionFlags = DEFAULT_CONNECTION_FLAGS): ConnectionLimits {
    const idleMs = flags.idleSeconds * 1000;
    return {
        maxConnections: flags.maxConnections,
        maxConcurrentStreams: 32,
        idleMs,
        handshakeMs: Math.min(HANDSHAKE_MS, idleMs),
        keepaliveMs: 60_000,
        keepaliveTimeoutMs: 20_000,
        sessionMemoryMiB: 16,
        maxReceiveMessageBytes: 4 * 1024 * 1024,
    };
}

/** The grpc-js server options that enforce the per-connection limits. */
export function grpcServerOptions(limits: ConnectionLimits): grpc.ServerOptions {
    return {
        "grpc.max_concurrent_streams": limits.maxConcurrentStreams,
        "grpc.max_connection_idle_ms": limits.idleMs,
        "grpc.keepalive_time_ms": limits.keepaliveMs,
        "grpc.keepalive_timeout_ms": limits.keepaliveTimeoutMs,
        "grpc-node.max_session_memory": limits.sessionMemoryMiB,
        "grpc.max_receive_message_length": limits.maxReceiveMessageBytes,
    };
}

type SecureContextWatcher = Parameters<grpc.ServerCredentials["_addWatcher"]>[0];

/**
 * The same credentials with a TLS handshake deadline. grpc-js builds its TLS server from the
 * credentials' constructor options and has no option of its own for this; Node's default is
 * 120 s. Everything else (the reloading certificates included) is the wrapped credentials'.
 */
class HandshakeLimitedCredentials extends grpc.ServerCredentials {
    constructor(
        private readonly inner: grpc.ServerCredentials,
        private readonly handshakeMs: number,
    ) {
        super(null);
    }
    override _isSecure(): boolean {
        return this.inner._isSecure();
    }
    override _getConstructorOptions(): SecureServerOptions | null {
        const options = this.inner._getConstructorOptions();
        return options && { ...options, handshakeTimeout: this.handshakeMs };
    }
    override _getSecureContextOptions(): SecureContextOptions | null {
        return this.inner._getSecureContextOptions();
    }
    override _addWatcher(watcher: SecureContextWatcher): void {
        this.inner._addWatcher(watcher);
    }
    override _removeWatcher(watcher: SecureContextWatcher): void {
        this.inner._removeWatcher(watcher);
    }
    override _getInterceptors(): grpc.ServerInterceptor[] {
        return this.inner._getInterceptors();
    }
    _equals(other: grpc.ServerCredentials): boolean {
        return other === this;
    }
}

export interface GrpcListener {
    readonly port: number;
    /** Connections open now. */
    connections(): number;
    /** Stops accepting at once; open connections are the gRPC server's to close (tryShutdown). */
    stopAccepting(): void;
}

/**
 * The gRPC port as our own TCP server, each accepted socket handed to grpc-js: grpc-js has no
 * cap on connections and no deadline for a socket that never starts HTTP/2 (bindAsync keeps
 * both out of reach). Here: at most maxConnections at once; at the cap a new connection takes
 * the place of the oldest one silent for a second (less than the preface sent), else it is
 * closed (`onDrop` hears of each), so quiet sockets never lock a real client out. A socket
 * that by handshakeMs has not sent the preface is closed; TLS sockets also get handshakeMs
 * for their handshake. Once HTTP/2 runs, grpc-js's idle limit and keepalive take over.
 */
export async function listenGrpc(
    server: grpc.Server,
    credentials: grpc.ServerCredentials,
    address: { readonly host: string; readonly port: number },
    limits: ConnectionLimits,
    onDrop: () => void = () => undefined,
): Promise<GrpcListener> {
    const injector = server.createConnectionInjector(new HandshakeLimitedCredentials(credentials, limits.handshakeMs));
    /** Open sockets and when each arrived, oldest first (a Map keeps insertion order). */
    const open = new Map<net.Socket, number>();
    const silent = (socket: net.Socket) => socket.bytesRead < HTTP2_PREFACE_BYTES;
    const evictSilent = (): boolean => {
        const now = performance.now();
        for (const [socket, since] of open) {
            if (silent(socket) && now - since >= SILENT_GRACE_MS) {
                socket.destroy();
                open.delete(socket);
                return true;
            }
        }
        return false;
    };
    const listener = net.createServer((socket) => {
        // Errors of a socket grpc-js has not taken up yet (a reset mid-handshake) must not reach the process.
        socket.on("error", () => undefined);
        if (open.size >= limits.maxConnections && !evictSilent()) {
            socket.destroy();
            onDrop();
            return;
        }
        open.set(socket, performance.now());
        const deadline = setTimeout(() => {
            if (silent(socket)) socket.destroy();
        }, limits.handshakeMs);
        socket.once("close", () => {
            clearTimeout(deadline);
            open.delete(socket);
        });
        injector.injectConnection(socket);
    });
    await new Promise<void>((resolve, reject) => {
        listener.once("error", reject);
        listener.listen(address.port, address.host.replace(/^\[(.*)\]$/, "$1"), () => resolve());
    });
    return {
        port: (listener.address() as net.AddressInfo).port,
        connections: () => open.size,
        stopAccepting: () => void listener.close(),
    };
}
