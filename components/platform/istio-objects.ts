import { HelmValues } from "../shared/helm-charts";
import { KubernetesObject } from "../shared/kubernetes-object";

export const ISTIO_ROOT_NAMESPACE = "istio-system";
export const TRACING_PROVIDER = "otel-tracing";

export interface IstiodValuesArgs {
    /** The OTel collector's service host and OTLP gRPC port, when traces are collected. */
    readonly tracing?: { readonly host: string; readonly port: number };
}

/** istiod's computed values: the OpenTelemetry tracing provider the Telemetry object names. */
export function istiodValues(args: IstiodValuesArgs): HelmValues {
    if (!args.tracing) return {};
    return { meshConfig: { extensionProviders: [{ name: TRACING_PROVIDER, opentelemetry: { service: args.tracing.host, port: args.tracing.port } }] } };
}

/** Mesh-wide mutual TLS: STRICT in the root namespace, so every sidecar refuses plain text. */
export function meshPeerAuthentication(): KubernetesObject {
    return {
        apiVersion: "security.istio.io/v1",
        kind: "PeerAuthentication",
        metadata: { name: "default", namespace: ISTIO_ROOT_NAMESPACE },
        spec: { mtls: { mode: "STRICT" } },
    };
}

/** Mesh-wide tracing through the OTel provider; 0% would mean no traces at all. */
export function meshTelemetry(samplingPercent: number): KubernetesObject {
    if (!(samplingPercent > 0 && samplingPercent <= 100)) throw new Error(`sampling ${samplingPercent}% must be above 0 and at most 100`);
    return {
        apiVersion: "telemetry.istio.io/v1",
        kind: "Telemetry",
        metadata: { name: "mesh-default", namespace: ISTIO_ROOT_NAMESPACE },
        spec: { tracing: [{ providers: [{ name: TRACING_PROVIDER }], randomSamplingPercentage: samplingPercent }] },
    };
}
