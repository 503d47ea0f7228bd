import * as http from "http";
import { Counter, Gauge, Histogram, Registry } from "prom-client";

/** The scaler's Prometheus metrics, in their own registry. */
export class ScalerMetrics {
    readonly registry = new Registry();
    readonly requests = new Counter({
        name: "scaler_requests_total",
        help: "CloudProvider requests by RPC and outcome (ok, refused, error)",
        labelNames: ["kind", "outcome"],
        registers: [this.registry],
    });
    /** Time in the handler, from the request decoded to the answer handed to gRPC (what the scaler adds to a call). */
    readonly handling = new Histogram({
        name: "scaler_request_duration_seconds",
        help: "CloudProvider request handling time by RPC",
        labelNames: ["kind"],
        buckets: [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.1, 0.5, 1, 5],
        registers: [this.registry],
    });
    /** Connections closed on arrival: the gRPC port already had --max-connections, none of them silent. */
    readonly droppedConnections = new Counter({
        name: "scaler_grpc_connections_dropped_total",
        help: "gRPC connections closed on arrival (at --max-connections)",
        registers: [this.registry],
    });
    /** Open gRPC connections, once the port listens. */
    connections: () => number = () => 0;
    readonly updates = new Histogram({
        name: "scaler_update_duration_seconds",
        help: "pulumi up durations by outcome (succeeded, concurrent, failed)",
        labelNames: ["outcome"],
        buckets: [1, 5, 15, 30, 60, 120, 300, 600, 1200],
        registers: [this.registry],
    });

    constructor(sizes: () => { desired: number; deployed: number } | undefined) {
        const gauge = (name: string, help: string, pick: (s: { desired: number; deployed: number }) => number) =>
            new Gauge({
                name,
                help,
                registers: [this.registry],
                collect() {
                    const current = sizes();
                    if (current) this.set(pick(current));
                },
            });
        gauge("scaler_desired_workers", "Workers the stack config asks for", (s) => s.desired);
        gauge("scaler_deployed_workers", "Workers the last successful update deployed", (s) => s.deployed);
        const connections = () => this.connections();
        new Gauge({
            name: "scaler_grpc_connections",
            help: "Open gRPC connections",
            registers: [this.registry],
            collect() {
                this.set(connections());
            },
        });
    }
}

/** /healthz (the process answers), /readyz (the gRPC server is serving), /metrics. */
export function observabilityServer(metrics: ScalerMetrics, ready: () => boolean): http.Server {
    return http.createServer((request, response) => {
        const send = (code: number, body: string, type = "text/plain") => {
            response.writeHead(code, { "content-type": type });
            response.end(body);
        };
        switch (request.url) {
            case "/healthz":
                return send(200, "ok\n");
            case "/readyz":
                return ready() ? send(200, "ready\n") : send(503, "starting\n");
            case "/metrics":
                return void metrics.registry.metrics().then(
                    (text) => send(200, text, metrics.registry.contentType),
                    () => send(500, "metrics unavailable\n"),
                );
            default:
                return send(404, "not found\n");
        }
    });
}
