import * as grpc from "@grpc/grpc-js";
import { loadCloudProvider } from "../scaler/client";

/**
 * The benchmark's yardstick: a grpc-js server on the same .proto that answers the measured RPCs
 * with fixed responses (the scaler's own, passed in BASELINE_RESPONSES) and does nothing else.
 * What the scaler costs on top of it is the scaler's; what both cost is gRPC's and the machine's.
 */
function main(): void {
    const responses = JSON.parse(process.env.BASELINE_RESPONSES ?? "{}") as Record<string, object>;
    const implementation: grpc.UntypedServiceImplementation = {};
    for (const [method, response] of Object.entries(responses)) {
        implementation[method] = (_call: unknown, callback: grpc.sendUnaryData<object>) => callback(null, response);
    }
    const server = new grpc.Server();
    server.addService(loadCloudProvider().service, implementation);
    server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (error, port) => {
        if (error) throw error;
        process.stdout.write(`${JSON.stringify({ grpc: `127.0.0.1:${port}` })}\n`);
    });
}

main();
