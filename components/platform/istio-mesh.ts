import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { applyObjects, namespace } from "../shared/cluster-objects";
import { helmRelease } from "../shared/helm-charts";
import { ISTIO_ROOT_NAMESPACE, istiodValues, meshPeerAuthentication, meshTelemetry } from "./istio-objects";
import { KubernetesObject } from "../shared/kubernetes-object";

export const INGRESS_NAMESPACE = "istio-ingress";
/** The ingress gateway release: its pods' labels and identity (the gateway chart names both after the release). */
export const INGRESS_GATEWAY = {
    release: "istio-ingressgateway",
    selector: { istio: "ingressgateway" },
    principal: `cluster.local/ns/${INGRESS_NAMESPACE}/sa/istio-ingressgateway`,
} as const;

export interface IstioMeshArgs {
    /** Where traces go (the OTel collector's OTLP gRPC service) and which share of requests; absent: no tracing. */
    readonly tracing?: { readonly host: string; readonly port: number; readonly samplingPercent: number };
    /** The CNI (for base) and the worker nodes istiod and the gateway run on. */
    readonly after: readonly pulumi.Resource[];
}

/**
 * Istio: base (CRDs) -> istiod -> the ingress gateway (NodePort 30080/30443, HAProxy's
 * targets), then mesh-wide policy: mTLS STRICT and, with tracing, the Telemetry object.
 */
export class IstioMesh extends pulumi.ComponentResource {
    readonly istiod: k8s.helm.v3.Release;
    readonly gateway: k8s.helm.v3.Release;
    readonly meshPolicy: k8s.yaml.v2.ConfigGroup;

    constructor(name: string, args: IstioMeshArgs, opts?: pulumi.ComponentResourceOptions) {
        super("boutique:platform:IstioMesh", name, {}, opts);
        const parent = { parent: this };
        const rootNamespace = namespace(ISTIO_ROOT_NAMESPACE, {}, { ...parent, dependsOn: [...args.after] });
        const ingressNamespace = namespace(INGRESS_NAMESPACE, {}, { ...parent, dependsOn: [...args.after] });
        const base = helmRelease({ chart: "istioBase", name: "istio-base", namespace: rootNamespace.metadata.name }, parent);
        this.istiod = helmRelease(
            { chart: "istiod", name: "istiod", namespace: rootNamespace.metadata.name, overlay: istiodValues({ tracing: args.tracing }) },
            { ...parent, dependsOn: [base] },
        );
        // The gateway's pod is injected by istiod: istiod must answer first.
        this.gateway = helmRelease(
            { chart: "istioGateway", name: INGRESS_GATEWAY.release, valuesFile: "istio-gateway", namespace: ingressNamespace.metadata.name },
            { ...parent, dependsOn: [this.istiod] },
        );
        const policy: KubernetesObject[] = [meshPeerAuthentication(), ...(args.tracing ? [meshTelemetry(args.tracing.samplingPercent)] : [])];
        this.meshPolicy = applyObjects(`${name}-mesh-policy`, policy, { ...parent, dependsOn: [base] });
        this.registerOutputs({ istiod: this.istiod.status, gateway: this.gateway.status });
    }
}
