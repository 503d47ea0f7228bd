import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { helmRelease } from "../shared/helm-charts";
import { ISTIO_ROOT_NAMESPACE } from "./istio-objects";
import { kialiValues } from "./kiali-values";
import { GRAFANA, GRAFANA_URL, grafanaAdminSecretData, PROMETHEUS_URL } from "./monitoring-objects";

/** Kiali's copy of Grafana's login: Kiali reads credentials from Secrets in its own namespace only. */
export const KIALI_GRAFANA_SECRET = "kiali-grafana";

export interface KialiArgs {
    /** Grafana's admin password (Monitoring's): Grafana refuses anonymous API calls. */
    readonly grafanaAdminPassword: pulumi.Input<string>;
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
        const grafanaLogin = new k8s.core.v1.Secret(
            `${name}-grafana-login`,
            {
                metadata: { name: KIALI_GRAFANA_SECRET, namespace: ISTIO_ROOT_NAMESPACE },
                type: "Opaque",
                stringData: grafanaAdminSecretData(args.grafanaAdminPassword),
            },
            { parent: this, dependsOn: [...args.after] },
        );
        this.release = helmRelease(
            {
                chart: "kiali",
                name: "kiali",
                valuesFile: "kiali-server",
                namespace: ISTIO_ROOT_NAMESPACE,
                overlay: kialiValues({
                    prometheusUrl: PROMETHEUS_URL,
                    grafanaUrl: GRAFANA_URL,
                    grafanaLogin: { secret: KIALI_GRAFANA_SECRET, userKey: GRAFANA.userKey, passwordKey: GRAFANA.passwordKey },
                    tempoUrl: args.tempoUrl,
                }),
            },
            { parent: this, dependsOn: [...args.after, grafanaLogin] },
        );
        this.registerOutputs({ release: this.release.status });
    }
}
