import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { helmRelease } from "./helm-charts";
import { ISTIO_ROOT_NAMESPACE } from "./istio-objects";
import { kialiValues } from "./kiali-values";
import { GRAFANA_URL, PROMETHEUS_URL } from "./monitoring-objects";

export interface KialiArgs {
    /** Tempo's query address, when traces are collected. */
    readonly tempoUrl?: string;
    /** istiod and kube-prometheus-stack: Kiali reads the mesh from both. */
    readonly after: readonly pulumi.Resource[];
}

/** Kiali, the mesh console, in Istio's namespace; login with a Kubernetes token only. */
export class Kiali extends pulumi.ComponentResource {
    readonly release: k8s.helm.v3.Release;

    constructor(name: string, args: KialiArgs, opts?: pulumi.ComponentResourceOptions) {
        super("boutique:platform:Kiali", name, {}, opts);
        this.release = helmRelease(
            {
                chart: "kiali",
                name: "kiali",
                valuesFile: "kiali-server",
                namespace: ISTIO_ROOT_NAMESPACE,
                overlay: kialiValues({ prometheusUrl: PROMETHEUS_URL, grafanaUrl: GRAFANA_URL, tempoUrl: args.tempoUrl }),
            },
            { parent: this, dependsOn: [...args.after] },
        );
        this.registerOutputs({ release: this.release.status });
    }
}
