import { HelmValues } from "../shared/helm-charts";

export const OTEL_COLLECTOR = { name: "otel-collector", namespace: "otel", grpcPort: 4317, httpPort: 4318 } as const;

/** The collector's in-cluster address, for Istio's tracing provider. */
export const OTEL_COLLECTOR_HOST = `${OTEL_COLLECTOR.name}.${OTEL_COLLECTOR.namespace}.svc.cluster.local`;

export interface OtelCollectorValuesArgs {
    /** Loki's OTLP HTTP endpoint; logs are collected only when set. */
    readonly lokiOtlpEndpoint?: string;
    /** Tempo's OTLP gRPC endpoint (host:port); traces are forwarded only when set. */
    readonly tempoOtlpEndpoint?: string;
}

/**
 * Pipelines of the node collectors: pod logs (file_log preset + k8s_attributes; the collector's 0.146+ component names) to Loki over
 * OTLP HTTP, OTLP traces to Tempo. A pipeline exists only for a backend that is installed.
 */
export function otelCollectorValues(args: OtelCollectorValuesArgs): HelmValues {
    if (!args.lokiOtlpEndpoint && !args.tempoOtlpEndpoint) throw new Error("the collector needs Loki or Tempo to send to");
    const exporters: Record<string, unknown> = {};
    // The collector does not wait for its backends: while one starts or restarts, its exporter keeps
    // retrying (no time limit) and holds what its bounded queue can, instead of dropping after 5 minutes.
    const delivery = { retry_on_failure: { enabled: true, max_elapsed_time: 0 }, sending_queue: { enabled: true } };
    // null removes the chart's default pipeline (which would export to `debug`).
    const pipelines: Record<string, unknown> = { logs: null, traces: null, metrics: null };
    if (args.lokiOtlpEndpoint) {
        exporters["otlp_http/loki"] = { endpoint: args.lokiOtlpEndpoint, ...delivery };
        pipelines.logs = { receivers: ["file_log"], processors: ["memory_limiter", "k8s_attributes", "batch"], exporters: ["otlp_http/loki"] };
    }
    if (args.tempoOtlpEndpoint) {
        exporters["otlp_grpc/tempo"] = { endpoint: args.tempoOtlpEndpoint, tls: { insecure: true }, ...delivery };
        pipelines.traces = { receivers: ["otlp"], processors: ["memory_limiter", "k8s_attributes", "batch"], exporters: ["otlp_grpc/tempo"] };
    }
    return {
        // The Service name OTEL_COLLECTOR_HOST points at (the release is not called after the chart).
        fullnameOverride: OTEL_COLLECTOR.name,
        presets: { logsCollection: { enabled: Boolean(args.lokiOtlpEndpoint) } },
        config: {
            exporters,
            // health_check stays: the chart's probes use it. Metrics pipelines are Prometheus's job.
            service: { extensions: ["health_check"], pipelines },
        },
    };
}
