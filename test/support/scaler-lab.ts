import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as grpc from "@grpc/grpc-js";
import pino from "pino";
import { callRpc, cloudProviderClient, CloudProviderClient } from "../../scaler/client";
import { CloudProviderOptions, CloudProviderService } from "../../scaler/cloud-provider";
import { addCloudProvider } from "../../scaler/grpc-service";
import { DryRunStack } from "../../scaler/dry-run-stack";
import { UpdateLoop } from "../../scaler/update-loop";
import { loadStackConfigMap } from "../../config/stack-files";
import { PROJECT_ROOT } from "../fixtures";

/** The Cluster Autoscaler's own contract (kubernetes/autoscaler, Apache-2.0), from ../shared. */
export const UPSTREAM_PROTO = path.resolve(PROJECT_ROOT, "..", "shared", "conformance", "externalgrpc.proto");

/** A client built from the upstream proto: what the real autoscaler speaks. */
export function upstreamClient(address: string, credentials = grpc.credentials.createInsecure(), options: grpc.ClientOptions = {}): CloudProviderClient {
    return cloudProviderClient(address, UPSTREAM_PROTO, credentials, options);
}

export const call = callRpc;

/** The scaler in-process on 127.0.0.1:<free port>, on a dry-run stack in a temp dir. */
export class ScalerLab {
    readonly dir = fs.mkdtempSync(path.join(os.tmpdir(), "scaler-"));
    readonly stateFile = path.join(this.dir, "state.json");
    readonly stack: DryRunStack;
    readonly updates: UpdateLoop;
    private server: grpc.Server | undefined;
    client!: CloudProviderClient;
    /** host:port the lab's server listens on. */
    address = "";

    /** `overrides`: dev-stack config changes the state file starts with (e.g. a larger maxWorkers). */
    constructor(
        upSeconds: number,
        overrides: Readonly<Record<string, string>> = {},
        private readonly options: CloudProviderOptions = {},
    ) {
        if (Object.keys(overrides).length > 0) {
            const config = loadStackConfigMap(PROJECT_ROOT, "dev", overrides).values;
            fs.writeFileSync(this.stateFile, JSON.stringify({ config, deployed: config, updates: [] }));
        }
        this.stack = new DryRunStack(this.stateFile, upSeconds, PROJECT_ROOT);
        this.updates = new UpdateLoop(this.stack, pino({ level: "silent" }), { backoffMs: 20 });
    }

    async start(): Promise<void> {
        const service = await CloudProviderService.start(this.stack, this.updates, pino({ level: "silent" }), this.options);
        this.server = new grpc.Server();
        addCloudProvider(this.server, service, pino({ level: "silent" }));
        const port = await new Promise<number>((resolve, reject) =>
            this.server!.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (error, bound) => (error ? reject(error) : resolve(bound))),
        );
        this.address = `127.0.0.1:${port}`;
        this.client = upstreamClient(this.address);
    }

    stateBytes(): string {
        return fs.readFileSync(this.stateFile, "utf8");
    }

    async stop(): Promise<void> {
        this.client?.close();
        await this.updates.idle();
        await new Promise<void>((resolve) => (this.server ? this.server.tryShutdown(() => resolve()) : resolve()));
        fs.rmSync(this.dir, { recursive: true, force: true });
    }
}
