import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { namespace } from "../shared/cluster-objects";
import { helmRelease } from "../shared/helm-charts";
import { OTEL_COLLECTOR, otelCollectorValues } from "./otel-collector-values";

export interface OtelCollectorArgs {
    /** Loki's OTLP HTTP endpoint, when logs are collected. */
    readonly lokiOtlpEndpoint?: string;
    /** Tempo's OTLP gRPC endpoint, when traces are collected. */
    readonly tempoOtlpEndpoint?: string;
    /** The nodes it runs on; never its backends, so one failing backend does not stop the others' pipelines. */
    readonly after: readonly pulumi.Resource[];
}

/** The OpenTelemetry collector on every node: pod logs to Loki, traces to Tempo. */
export class OtelCollector extends pulumi.ComponentResource {
    readonly release: k8s.helm.v3.Release;

    constructor(name: string, args: OtelCollectorArgs, opts?: pulumi.ComponentResourceOptions) {
        super("boutique:platform:OtelCollector", name, {}, opts);
        const ns = namespace(OTEL_COLLECTOR.namespace, {}, { parent: this, dependsOn: [...args.after] });
        this.release = helmRelease(
            {
                chart: "otelCollector",
                name: OTEL_COLLECTOR.name,
                valuesFile: "opentelemetry-collector",
                namespace: ns.metadata.name,
                overlay: otelCollectorValues(args),
            },
            { parent: this, dependsOn: [...args.after] },
        );
        this.registerOutputs({ release: this.release.status });
    }
}
