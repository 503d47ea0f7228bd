import * as os from "os";
import * as path from "path";
import { parseArgs } from "util";
import * as grpc from "@grpc/grpc-js";
import type { Logger } from "pino";
import pino from "pino";
import { parseCount, quoteInput, runCli, UsageError } from "../config/cli";
import { requireStackName } from "../config/stack-name";
import { AutomationStack } from "./automation-stack";
import { CloudProviderService } from "./cloud-provider";
import { addCloudProvider } from "./grpc-service";
import { DryRunStack } from "./dry-run-stack";
import { GuardedStack, OwnLocks, updateMarkerFile } from "./guarded-stack";
import { RecordedScaleStack } from "./scale-record";
import { RequestTimesFile } from "./request-times";
import { StackPort } from "./stack-port";
import { ConnectionFlags, connectionLimits, DEFAULT_CONNECTION_FLAGS, grpcServerOptions, listenGrpc } from "./grpc-listener";
import { boundedLogOptions } from "./log-limits";
import { observabilityServer, ScalerMetrics } from "./observability";
import { ReloadingCredentials, reloadingCredentials, TlsFiles } from "./server-credentials";
import { UpdateLoop } from "./update-loop";

const USAGE = `The Cluster Autoscaler's external gRPC cloud provider for this stack's workers.

usage: npm run scaler -- (--stack <name> [--scale-record <file> [--own-lock-host <name>]] | --dry-run [--state <file>] [--up-seconds <n>])
                         (--cert <file> --key <file> --ca <file> [--cert-refresh-seconds 60] | --insecure)
                         [--listen 127.0.0.1:8086] [--http 127.0.0.1:9464] [--stop-timeout 25] [--log-level info]
                         [--idle-seconds ${DEFAULT_CONNECTION_FLAGS.idleSeconds}] [--max-connections ${DEFAULT_CONNECTION_FLAGS.maxConnections}]

  --stack       the Pulumi stack to scale (default dev), through the Automation API: needs the
                Pulumi CLI, the stack's state backend and cloud credentials, as pulumi up does
  --scale-record  also keep the desired scale in this file (a durable volume) and replay it at
                start: in a container the stack's own config file does not survive a restart
  --own-lock-host  this host name is the scaler's alone (its pod's spec.hostname; checked at start):
                a stack lock naming it, left by an update of ours that never finished (a marker
                beside the scale record says so), is cleared with pulumi cancel; no other lock is
  --dry-run     instead, keep the stack config in a local file (--state, default .scaler/state.json;
                started from Pulumi.dev.yaml when absent) and simulate each pulumi up by
                waiting --up-seconds (default 30); every simulated update is recorded there
  --cert/--key  the server's certificate and key (PEM)
  --ca          the CA that signs the autoscaler's client certificates: clients must present one
  --cert-refresh-seconds  how often the three files are read again: renewed ones serve new connections
  --insecure    no TLS at all (local experiments only)
  --stop-timeout  on SIGTERM/SIGINT, how long a running update is waited for before exiting with 1
  --listen      gRPC address          --http  health, readiness and /metrics
  --idle-seconds  a gRPC connection with no call in flight this long is closed (one that never
                finishes its TLS handshake or HTTP/2 preface, after at most 10 s)
  --max-connections  gRPC connections open at once; more are closed as they arrive`;

function hostPort(value: string, flag: string): { host: string; port: number } {
    // A host name, an IPv4 address or a bracketed IPv6 one, and a port.
    const match = /^([A-Za-z0-9.-]{1,253}|\[[0-9A-Fa-f:.]{2,45}\]):(\d{1,5})$/.exec(value);
    if (!match || Number(match[2]) > 65535) throw new UsageError(`${flag} ${quoteInput(value)}: expected host:port`);
    return { host: match[1], port: Number(match[2]) };
}

/** The scaler's options, checked: every usage error the arguments alone show is raised here, before anything starts. */
export interface ScalerOptions {
    readonly listen: { readonly host: string; readonly port: number };
    readonly http: { readonly host: string; readonly port: number };
    /** Set for --dry-run: the state file and the simulated update time. */
    readonly dryRun?: { readonly state: string; readonly upSeconds: number };
    readonly stack: string;
    readonly scaleRecord?: string;
    /** The server's certificate and key and the clients' CA, or "insecure" (said explicitly). */
    readonly tls: TlsFiles | "insecure";
    /** The host name only this scaler uses: locks naming it are its own (needs scaleRecord). */
    readonly ownLockHost?: string;
    /** How long a stop waits for a running update. */
    readonly stopTimeoutSeconds: number;
    readonly logLevel: string;
    /** How long an idle gRPC connection lives and how many may be open. */
    readonly connections: ConnectionFlags;
}

/** Seconds in plain decimal (Number() would also take "0x5", " 5" and "1e3"), from `min` to a day. */
function seconds(value: string, flag: string, min: number): number {
    const number = /^\d{1,5}(\.\d{1,3})?$/.test(value) ? Number(value) : NaN;
    if (!(number >= min && number <= 86_400))
        throw new UsageError(`${flag} ${quoteInput(value)}: expected a number of seconds from ${min} to 86400, in decimal digits`);
    return number;
}

function count(value: string, flag: string): number {
    const number = parseCount(flag, value, 10_000);
    if (number < 1) throw new UsageError(`${flag} ${quoteInput(value)}: expected a whole number, at least 1`);
    return number;
}

/** pino's levels: an unknown one would throw at start, after the options were accepted. */
const LOG_LEVELS = ["fatal", "error", "warn", "info", "debug", "trace", "silent"];

function refuse(message: string): never {
    throw new UsageError(message);
}

export function scalerOptions(argv: readonly string[]): ScalerOptions {
    const { values } = parseArgs({
        args: [...argv],
        options: {
            listen: { type: "string", default: "127.0.0.1:8086" },
            http: { type: "string", default: "127.0.0.1:9464" },
            stack: { type: "string", default: "dev" },
            "dry-run": { type: "boolean", default: false },
            state: { type: "string", default: path.join(".scaler", "state.json") },
            "scale-record": { type: "string" },
            "up-seconds": { type: "string", default: "30" },
            "own-lock-host": { type: "string" },
            insecure: { type: "boolean", default: false },
            cert: { type: "string" },
            key: { type: "string" },
            ca: { type: "string" },
            "cert-refresh-seconds": { type: "string", default: "60" },
            // Kubernetes' default grace period is 30 s: leave the process a few to exit.
            "stop-timeout": { type: "string", default: "25" },
            "log-level": { type: "string", default: "info" },
            "idle-seconds": { type: "string", default: String(DEFAULT_CONNECTION_FLAGS.idleSeconds) },
            "max-connections": { type: "string", default: String(DEFAULT_CONNECTION_FLAGS.maxConnections) },
        },
        strict: true,
    });
    const upSeconds = seconds(values["up-seconds"], "--up-seconds", 0);
    if (values["dry-run"] && values["scale-record"]) throw new UsageError("--scale-record is for --stack: the dry-run state file is already durable");
    // The marker that proves an update of ours unfinished lives beside the record, on the durable volume.
    if (values["own-lock-host"] !== undefined && !values["scale-record"])
        throw new UsageError("--own-lock-host needs --scale-record (and --stack): its unfinished-update marker lives beside the record");
    const { cert, key, ca } = values;
    let tls: ScalerOptions["tls"];
    if (values.insecure) {
        if (cert !== undefined || key !== undefined || ca !== undefined) throw new UsageError("--insecure and certificates exclude each other");
        tls = "insecure";
    } else if (cert === undefined || key === undefined || ca === undefined) {
        throw new UsageError("refusing to start without TLS: give --cert, --key and --ca (or --insecure, explicitly)");
    } else {
        tls = { cert, key, ca, refreshSeconds: seconds(values["cert-refresh-seconds"], "--cert-refresh-seconds", 0.1) };
    }
    return {
        listen: hostPort(values.listen, "--listen"),
        http: hostPort(values.http, "--http"),
        ...(values["dry-run"] ? { dryRun: { state: values.state, upSeconds } } : {}),
        stack: requireStackName(values.stack),
        ...(values["scale-record"] ? { scaleRecord: values["scale-record"] } : {}),
        tls,
        ...(values["own-lock-host"] !== undefined ? { ownLockHost: values["own-lock-host"] } : {}),
        stopTimeoutSeconds: seconds(values["stop-timeout"], "--stop-timeout", 0),
        logLevel: LOG_LEVELS.includes(values["log-level"])
            ? values["log-level"]
            : refuse(`--log-level ${quoteInput(values["log-level"])}: expected one of ${LOG_LEVELS.join(", ")}`),
        connections: {
            idleSeconds: seconds(values["idle-seconds"], "--idle-seconds", 0.1),
            maxConnections: count(values["max-connections"], "--max-connections"),
        },
    };
}

function serverCredentials(tls: ScalerOptions["tls"]): ReloadingCredentials {
    if (tls === "insecure") return { credentials: grpc.ServerCredentials.createInsecure(), watch: async () => undefined };
    return reloadingCredentials(tls);
}

/** The stack driver, and for a real stack in its pod, what recognises the scaler's own stale locks. */
async function stackDriver(options: ScalerOptions, projectRoot: string, log: Logger): Promise<{ driver: StackPort; ownLocks?: OwnLocks }> {
    if (options.dryRun) return { driver: new DryRunStack(options.dryRun.state, options.dryRun.upSeconds, projectRoot) };
    const { ownLockHost, scaleRecord } = options;
    // Pulumi writes os.Hostname() into each lock: the claim holds only if that is the name claimed (checked before the stack is touched).
    if (ownLockHost !== undefined && os.hostname() !== ownLockHost)
        throw new UsageError(`--own-lock-host ${ownLockHost}: this host is ${os.hostname()}, so the locks our updates take would not name it`);
    const automation = await AutomationStack.select(options.stack, projectRoot, log.child({ component: "pulumi" }));
    if (ownLockHost === undefined || scaleRecord === undefined) return { driver: automation };
    return { driver: automation, ownLocks: { marker: updateMarkerFile(scaleRecord), host: ownLockHost, cancel: () => automation.cancel() } };
}

async function main(argv: string[]): Promise<void> {
    if (argv.includes("--help") || argv.includes("-h")) return void console.log(USAGE);
    const options = scalerOptions(argv);
    const tls = serverCredentials(options.tls);
    const { listen, http: httpAddress } = options;

    const log = pino(boundedLogOptions(options.logLevel));
    const projectRoot = path.resolve(__dirname, "..");
    const { driver, ownLocks } = await stackDriver(options, projectRoot, log);
    const recorded = options.scaleRecord ? await RecordedScaleStack.open(driver, options.scaleRecord) : driver;
    const stack = new GuardedStack(recorded, log.child({ component: "stack-lock" }), ownLocks);
    const updates = new UpdateLoop(stack, log.child({ component: "updates" }));
    let serving = false;
    // Read only when the registry is scraped, which the HTTP server below does after `service` is set.
    const metrics = new ScalerMetrics(() => service.sizes());
    updates.onUpdate((seconds, outcome) => metrics.updates.observe({ outcome }, seconds));
    // Beside the durable record (or the dry-run state): a restart keeps each pending worker's deadline.
    const timesFile = options.scaleRecord ?? options.dryRun?.state;
    const requestTimes = timesFile ? RequestTimesFile.beside(timesFile) : undefined;
    const service = await CloudProviderService.start(stack, updates, log.child({ component: "cloud-provider" }), requestTimes ? { requestTimes } : {});
    service.observe = (kind, outcome, seconds) => {
        metrics.requests.inc({ kind, outcome });
        metrics.handling.observe({ kind }, seconds);
    };
    if (stack.unfinishedAtStart) {
        // Its lock (if it left one) blocks CI and people too: update now, so it is found and cleared, not at the next scale.
        log.warn({ unfinished: stack.unfinishedAtStart }, "an update of this scaler was cut short before this start: updating now");
        updates.request();
    }

    const limits = connectionLimits(options.connections);
    const server = new grpc.Server(grpcServerOptions(limits));
    addCloudProvider(server, service, log);
    const grpcListener = await listenGrpc(server, tls.credentials, listen, limits, () => metrics.droppedConnections.inc());
    metrics.connections = () => grpcListener.connections();
    const port = grpcListener.port;
    await tls.watch(log.child({ component: "tls" }));
    serving = true;
    const http = observabilityServer(metrics, () => serving);
    await new Promise<void>((resolve) => http.listen(httpAddress.port, httpAddress.host, resolve));
    const httpPort = (http.address() as { port: number }).port;
    log.info(
        {
            grpc: `${listen.host}:${port}`,
            http: `${httpAddress.host}:${httpPort}`,
            state: options.dryRun?.state ?? options.scaleRecord,
            stack: options.dryRun ? undefined : options.stack,
            tls: options.tls !== "insecure",
        },
        "scaler listening",
    );

    /**
     * No new request and no new update; the running update may finish within --stop-timeout
     * (the Deployment's grace period is longer), else exit 1: Kubernetes would kill it anyway,
     * and the lock it leaves is cleared at the next start. Whatever was recorded is replayed then.
     */
    const stop = async (signal: string) => {
        const deadline = performance.now() + options.stopTimeoutSeconds * 1000;
        const remaining = () => Math.max(0, deadline - performance.now());
        serving = false;
        stack.close();
        log.info(
            { signal, updateRunningSeconds: stack.runningSeconds, stopTimeoutSeconds: options.stopTimeoutSeconds },
            "stopping: no new requests or updates; a running update may finish",
        );
        // Requests under way are answered (their change is already recorded); then the port closes.
        grpcListener.stopAccepting();
        const answered = new Promise<void>((resolve) => server.tryShutdown(() => resolve()));
        await Promise.race([answered, new Promise((resolve) => setTimeout(resolve, remaining()))]);
        if (!(await stack.settled(remaining()))) {
            log.error(
                { updateRunningSeconds: stack.runningSeconds, stopTimeoutSeconds: options.stopTimeoutSeconds },
                "the update is still running at the stop deadline: exiting without it; its stack lock is cleared at the next start",
            );
            process.exit(1);
        }
        log.info("stopped");
        process.exit(0);
    };
    process.once("SIGTERM", () => void stop("SIGTERM"));
    process.once("SIGINT", () => void stop("SIGINT"));
}

if (require.main === module) runCli(main, USAGE);
