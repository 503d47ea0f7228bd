import * as fs from "fs";
import * as path from "path";
import { parseArgs } from "util";
import * as grpc from "@grpc/grpc-js";
import pino from "pino";
import { runCli, UsageError } from "../config/cli";
import { AutomationStack } from "./automation-stack";
import { CloudProviderService } from "./cloud-provider";
import { DryRunStack } from "./dry-run-stack";
import { RecordedScaleStack } from "./scale-record";
import { observabilityServer, ScalerMetrics } from "./observability";
import { UpdateLoop } from "./update-loop";

const USAGE = `The Cluster Autoscaler's external gRPC cloud provider for this stack's workers.

usage: npm run scaler -- (--stack <name> [--scale-record <file>] | --dry-run [--state <file>] [--up-seconds <n>])
                         (--cert <file> --key <file> --ca <file> | --insecure)
                         [--listen 127.0.0.1:8086] [--http 127.0.0.1:9464] [--log-level info]

  --stack       the Pulumi stack to scale (default dev), through the Automation API: needs the
                Pulumi CLI, the stack's state backend and cloud credentials, as pulumi up does
  --scale-record  also keep the desired scale in this file (a durable volume) and replay it at
                start: in a container the stack's own config file does not survive a restart
  --dry-run     instead, keep the stack config in a local file (--state, default .scaler/state.json;
                started from Pulumi.dev.yaml when absent) and simulate each pulumi up by
                waiting --up-seconds (default 30); every simulated update is recorded there
  --cert/--key  the server's certificate and key (PEM)
  --ca          the CA that signs the autoscaler's client certificates: clients must present one
  --insecure    no TLS at all (local experiments only)
  --listen      gRPC address          --http  health, readiness and /metrics`;

function hostPort(value: string, flag: string): { host: string; port: number } {
    const match = /^(.*):(\d{1,5})$/.exec(value);
    if (!match || Number(match[2]) > 65535) throw new UsageError(`${flag} ${value}: expected host:port`);
    return { host: match[1], port: Number(match[2]) };
}

/** The scaler's options, checked: every usage error is raised here, before anything starts. */
export interface ScalerOptions {
    readonly listen: { readonly host: string; readonly port: number };
    readonly http: { readonly host: string; readonly port: number };
    /** Set for --dry-run: the state file and the simulated update time. */
    readonly dryRun?: { readonly state: string; readonly upSeconds: number };
    readonly stack: string;
    readonly scaleRecord?: string;
    /** The server's certificate and key and the clients' CA, or "insecure" (said explicitly). */
    readonly tls: { readonly cert: string; readonly key: string; readonly ca: string } | "insecure";
    readonly logLevel: string;
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
            insecure: { type: "boolean", default: false },
            cert: { type: "string" },
            key: { type: "string" },
            ca: { type: "string" },
            "log-level": { type: "string", default: "info" },
        },
        strict: true,
    });
    const upSeconds = Number(values["up-seconds"]);
    if (!(upSeconds >= 0)) throw new UsageError(`--up-seconds ${values["up-seconds"]}: expected a number of seconds`);
    if (values["dry-run"] && values["scale-record"]) throw new UsageError("--scale-record is for --stack: the dry-run state file is already durable");
    const { cert, key, ca } = values;
    let tls: ScalerOptions["tls"];
    if (values.insecure) {
        if (cert !== undefined || key !== undefined || ca !== undefined) throw new UsageError("--insecure and certificates exclude each other");
        tls = "insecure";
    } else if (cert === undefined || key === undefined || ca === undefined) {
        throw new UsageError("refusing to start without TLS: give --cert, --key and --ca (or --insecure, explicitly)");
    } else {
        tls = { cert, key, ca };
    }
    return {
        listen: hostPort(values.listen, "--listen"),
        http: hostPort(values.http, "--http"),
        ...(values["dry-run"] ? { dryRun: { state: values.state, upSeconds } } : {}),
        stack: values.stack,
        ...(values["scale-record"] ? { scaleRecord: values["scale-record"] } : {}),
        tls,
        logLevel: values["log-level"],
    };
}

function serverCredentials(tls: ScalerOptions["tls"]): grpc.ServerCredentials {
    if (tls === "insecure") return grpc.ServerCredentials.createInsecure();
    const read = (file: string) => fs.readFileSync(file);
    // true: a client certificate signed by --ca is required, not merely accepted.
    return grpc.ServerCredentials.createSsl(read(tls.ca), [{ cert_chain: read(tls.cert), private_key: read(tls.key) }], true);
}

async function main(argv: string[]): Promise<void> {
    if (argv.includes("--help") || argv.includes("-h")) return void console.log(USAGE);
    const options = scalerOptions(argv);
    const credentials = serverCredentials(options.tls);
    const { listen, http: httpAddress } = options;

    const log = pino({ level: options.logLevel });
    const projectRoot = path.resolve(__dirname, "..");
    const driver = options.dryRun
        ? new DryRunStack(options.dryRun.state, options.dryRun.upSeconds, projectRoot)
        : await AutomationStack.select(options.stack, projectRoot, log.child({ component: "pulumi" }));
    const stack = options.scaleRecord ? await RecordedScaleStack.open(driver, options.scaleRecord) : driver;
    const updates = new UpdateLoop(stack, log.child({ component: "updates" }));
    let service: CloudProviderService | undefined;
    let serving = false;
    const metrics = new ScalerMetrics(() => service?.sizes());
    updates.onUpdate((seconds, outcome) => metrics.updates.observe({ outcome }, seconds));
    service = await CloudProviderService.start(stack, updates, log.child({ component: "cloud-provider" }));
    service.observe = (kind, outcome, seconds) => {
        metrics.requests.inc({ kind, outcome });
        metrics.handling.observe({ kind }, seconds);
    };

    const server = new grpc.Server();
    service.addToServer(server);
    const port = await new Promise<number>((resolve, reject) => server.bindAsync(`${listen.host}:${listen.port}`, credentials, (error, bound) => (error ? reject(error) : resolve(bound))));
    serving = true;
    const http = observabilityServer(metrics, () => serving);
    await new Promise<void>((resolve) => http.listen(httpAddress.port, httpAddress.host, resolve));
    const httpPort = (http.address() as { port: number }).port;
    log.info({ grpc: `${listen.host}:${port}`, http: `${httpAddress.host}:${httpPort}`, state: options.dryRun?.state ?? options.scaleRecord, stack: options.dryRun ? undefined : options.stack, tls: options.tls !== "insecure" }, "scaler listening");

    const stop = (signal: string) => {
        log.info({ signal }, "stopping: no new requests; an update in progress finishes first");
        serving = false;
        server.tryShutdown(() => void updates.idle().then(() => http.close(() => process.exit(0))));
    };
    process.once("SIGTERM", () => stop("SIGTERM"));
    process.once("SIGINT", () => stop("SIGINT"));
}

if (require.main === module) runCli(main, USAGE);
