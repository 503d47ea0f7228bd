import { ChildProcess, spawn } from "child_process";
import * as path from "path";
import * as grpc from "@grpc/grpc-js";
import * as protoLoader from "@grpc/proto-loader";

/** Our own definition; a client may also be built from the autoscaler's upstream file (the tests do). */
export const PROTO_FILE = path.join(__dirname, "proto", "cloudprovider.proto");

/** The CloudProvider service from a .proto file (ours or the autoscaler's: same package and names). */
export function loadCloudProvider(protoFile: string = PROTO_FILE): grpc.ServiceClientConstructor {
    const loaded = grpc.loadPackageDefinition(protoLoader.loadSync(protoFile, { keepCase: true, longs: String, enums: String, defaults: true })) as unknown as {
        clusterautoscaler: { cloudprovider: { v1: { externalgrpc: { CloudProvider: grpc.ServiceClientConstructor } } } };
    };
    return loaded.clusterautoscaler.cloudprovider.v1.externalgrpc.CloudProvider;
}

type UnaryCall = (request: object, options: grpc.CallOptions, callback: (error: grpc.ServiceError | null, response: Record<string, unknown>) => void) => void;
export type CloudProviderClient = grpc.Client & Record<string, UnaryCall>;

export function cloudProviderClient(
    address: string,
    protoFile: string = PROTO_FILE,
    credentials = grpc.credentials.createInsecure(),
    options: grpc.ClientOptions = {},
): CloudProviderClient {
    const Client = loadCloudProvider(protoFile);
    return new Client(address, credentials, options) as unknown as CloudProviderClient;
}

/** One RPC as a promise; rejects with the ServiceError (its `code` is the gRPC status). */
export function callRpc(client: CloudProviderClient, method: string, request: object = {}, options: grpc.CallOptions = {}): Promise<Record<string, unknown>> {
    return new Promise((resolve, reject) => client[method].call(client, request, options, (error, response) => (error ? reject(error) : resolve(response))));
}

export interface RunningScaler {
    readonly child: ChildProcess;
    readonly grpcAddress: string;
    readonly httpAddress: string;
    /** Everything it printed so far. */
    output(): string;
}

/**
 * `scaler/main.ts` as a child process on free ports; resolves once it logs where it listens.
 * tsx runs as a loader in that one process (its CLI would run the scaler in a grandchild,
 * which a SIGKILL to the CLI leaves running).
 */
export function spawnScaler(args: readonly string[]): Promise<RunningScaler> {
    const root = path.resolve(__dirname, "..");
    const child = spawn(
        process.execPath,
        ["--import", "tsx", path.join(root, "scaler", "main.ts"), "--listen", "127.0.0.1:0", "--http", "127.0.0.1:0", ...args],
        {
            cwd: root,
            stdio: ["ignore", "pipe", "pipe"],
        },
    );
    let output = "";
    return new Promise((resolve, reject) => {
        const onData = (chunk: Buffer) => {
            output += chunk.toString();
            const line = output.split("\n").find((text) => text.includes('"msg":"scaler listening"'));
            if (line) {
                const entry = JSON.parse(line) as { grpc: string; http: string };
                resolve({ child, grpcAddress: entry.grpc, httpAddress: entry.http, output: () => output });
            }
        };
        child.stdout?.on("data", onData);
        child.stderr?.on("data", onData);
        child.once("exit", (code) => reject(new Error(`scaler exited with ${code} before listening:\n${output}`)));
    });
}
