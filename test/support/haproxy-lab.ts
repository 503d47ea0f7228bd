import { ChildProcess, spawn } from "child_process";
import * as fs from "fs";
import * as http from "http";
import * as https from "https";
import * as net from "net";
import * as os from "os";
import * as path from "path";
import { generateKeyPair, selfSignedCertificate } from "../../render/mock-pki";

/**
 * A loopback lab for the real haproxy: fake backends as separate processes (so one can really
 * be killed), haproxy itself, and the stats it publishes.
 */

// A backend process: HTTPS (or HTTP when no cert) that answers /healthz with "ok" and anything
// else with its own name after a short delay, so some requests are in flight when it dies.
const BACKEND_SOURCE = `
const { address, port, name, cert, key, delayMs } = JSON.parse(process.env.BACKEND);
const handler = (req, res) => {
  if (req.url === "/healthz") { res.end("ok"); return; }
  setTimeout(() => res.end(name), delayMs);
};
const server = cert ? require("https").createServer({ cert, key }, handler) : require("http").createServer(handler);
server.listen(port, address, () => process.stdout.write("ready\\n"));
`;

export interface Certificate {
    readonly cert: string;
    readonly key: string;
}

export function selfSignedFor(name: string): Certificate {
    const pair = generateKeyPair("RSA");
    return { cert: selfSignedCertificate(pair.privateKeyPem, { commonName: name }, 24, false), key: pair.privateKeyPem };
}

function waitForOutput(child: ChildProcess, text: string, what: string, timeoutMs = 10_000): Promise<void> {
    return new Promise((resolve, reject) => {
        let seen = "";
        const timer = setTimeout(() => reject(new Error(`${what} did not print "${text}" within ${timeoutMs} ms: ${seen}`)), timeoutMs);
        const onData = (chunk: Buffer) => {
            seen += chunk.toString();
            if (seen.includes(text)) {
                clearTimeout(timer);
                resolve();
            }
        };
        child.stdout?.on("data", onData);
        child.stderr?.on("data", (chunk: Buffer) => (seen += chunk.toString()));
        child.once("exit", (code) => {
            clearTimeout(timer);
            reject(new Error(`${what} exited (${code}) before it was ready: ${seen}`));
        });
    });
}

export class Lab {
    private readonly children: ChildProcess[] = [];
    readonly dir = fs.mkdtempSync(path.join(os.tmpdir(), "haproxy-lab-"));

    async backend(options: { address: string; port: number; name: string; tls?: Certificate; delayMs?: number }): Promise<ChildProcess> {
        const env = { ...process.env, BACKEND: JSON.stringify({ ...options, cert: options.tls?.cert, key: options.tls?.key, delayMs: options.delayMs ?? 0 }) };
        const child = spawn(process.execPath, ["-e", BACKEND_SOURCE], { env, stdio: ["ignore", "pipe", "pipe"] });
        this.children.push(child);
        await waitForOutput(child, "ready", `backend ${options.name}`);
        return child;
    }

    /** Starts haproxy in the foreground with the config files, loaded in order (`-f` each); resolves once it listens on `probePort`. */
    async haproxy(configs: readonly string[], probePort: number): Promise<ChildProcess> {
        const files = configs.map((config, i) => {
            const file = path.join(this.dir, `${i}.cfg`);
            fs.writeFileSync(file, config);
            return file;
        });
        const child = spawn("haproxy", [...files.flatMap((file) => ["-f", file]), "-db"], { stdio: ["ignore", "pipe", "pipe"] });
        this.children.push(child);
        let output = "";
        child.stderr?.on("data", (chunk: Buffer) => (output += chunk.toString()));
        const deadline = Date.now() + 10_000;
        while (!(await canConnect(probePort))) {
            if (child.exitCode !== null || Date.now() > deadline) throw new Error(`haproxy did not start listening on ${probePort}: ${output}`);
            await sleep(50);
        }
        return child;
    }

    stop(): void {
        for (const child of this.children) if (child.exitCode === null) child.kill("SIGKILL");
        fs.rmSync(this.dir, { recursive: true, force: true });
    }
}

export function sleep(ms: number): Promise<void> {
    return new Promise((resolve) => setTimeout(resolve, ms));
}

function canConnect(port: number): Promise<boolean> {
    return new Promise((resolve) => {
        const socket = net.connect({ host: "127.0.0.1", port });
        socket.once("connect", () => {
            socket.destroy();
            resolve(true);
        });
        socket.once("error", () => resolve(false));
    });
}

/** A free TCP port on loopback (the kernel picks it). */
export function freePort(): Promise<number> {
    return new Promise((resolve, reject) => {
        const server = net.createServer();
        server.once("error", reject);
        server.listen(0, "127.0.0.1", () => {
            const { port } = server.address() as net.AddressInfo;
            server.close(() => resolve(port));
        });
    });
}

/** Server name -> status ("UP", "DOWN", ...) for one backend, from haproxy's CSV stats. */
export async function serverStatus(statsPort: number, backend: string): Promise<Record<string, string>> {
    const csv = await get(`http://127.0.0.1:${statsPort}/stats;csv`);
    const [header, ...rows] = csv.body.trim().split("\n");
    const columns = header.replace(/^# /, "").split(",");
    const at = (row: string[], column: string) => row[columns.indexOf(column)];
    const statuses: Record<string, string> = {};
    for (const row of rows.map((line) => line.split(","))) {
        if (at(row, "pxname") === backend && !["FRONTEND", "BACKEND"].includes(at(row, "svname"))) statuses[at(row, "svname")] = at(row, "status");
    }
    return statuses;
}

export interface Reply {
    readonly body: string;
    /** For HTTPS: the common name of the certificate the client saw. */
    readonly peerName?: string;
}

/** One request on a fresh connection. */
export function get(url: string, timeoutMs = 5000): Promise<Reply> {
    return new Promise((resolve, reject) => {
        const client = url.startsWith("https:") ? https : http;
        const request = client.get(url, { agent: false, rejectUnauthorized: false, timeout: timeoutMs }, (response) => {
            const socket = response.socket as { getPeerCertificate?: () => { subject?: { CN?: string } } };
            const peerName = socket.getPeerCertificate?.().subject?.CN;
            let body = "";
            response.setEncoding("utf8");
            response.on("data", (chunk: string) => (body += chunk));
            response.on("end", () => (response.statusCode === 200 ? resolve({ body, peerName }) : reject(new Error(`HTTP ${response.statusCode}: ${body}`))));
            response.on("error", reject);
        });
        request.on("timeout", () => request.destroy(new Error("timed out")));
        request.on("error", reject);
    });
}
