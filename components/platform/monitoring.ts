import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { platformRuleGroups, prometheusRuleObject } from "./alert-rules";
import { applyObjects, namespace } from "../shared/cluster-objects";
import { platformDashboards } from "./dashboards";
import { CHARTS, helmRelease } from "../shared/helm-charts";
import { KubernetesObject } from "../shared/kubernetes-object";
import {
    dashboardConfigMap,
    DATASOURCES,
    envoySidecarPodMonitor,
    GRAFANA,
    grafanaAdminSecretData,
    istiodServiceMonitor,
    MONITORING_NAMESPACE,
    monitoringValues,
} from "./monitoring-objects";

export interface MonitoringArgs {
    readonly storageClass: string;
    /** Loki's address, when logs are collected: a Grafana datasource, the Loki dashboards and alerts. */
    readonly lokiUrl?: string;
    /** Tempo's address, when traces are collected: a datasource linked to Loki. */
    readonly tempoUrl?: string;
    /** HAProxy's metrics endpoint (host:port): scraped, and its backend alerts apply. */
    readonly haproxyMetricsTarget?: string;
    /** Istio is installed: scrape the sidecars and istiod (Flagger and Kiali read those metrics). */
    readonly istio: boolean;
    /** The default StorageClass and the nodes Prometheus, Alertmanager and Grafana run on. */
    readonly after: readonly pulumi.Resource[];
}

/**
 * kube-prometheus-stack (Prometheus, Alertmanager, Grafana) with the admin password the
 * program generates, then what needs its CRDs: monitors for Istio, the platform's alert rules
 * and the dashboards.
 */
export class Monitoring extends pulumi.ComponentResource {
    readonly release: k8s.helm.v3.Release;
    /** Grafana's admin password (secret). */
    readonly grafanaAdminPassword: pulumi.Output<string>;

    constructor(name: string, args: MonitoringArgs, opts?: pulumi.ComponentResourceOptions) {
        super("boutique:platform:Monitoring", name, {}, opts);
        const parent = { parent: this };
        const ns = namespace(MONITORING_NAMESPACE, {}, { ...parent, dependsOn: [...args.after] });
        const password = new random.RandomPassword(`${name}-grafana-admin-password`, { length: 32, special: false }, parent);
        this.grafanaAdminPassword = password.result;
        const adminSecret = new k8s.core.v1.Secret(
            `${name}-grafana-admin`,
            {
                metadata: { name: GRAFANA.adminSecret, namespace: ns.metadata.name },
                type: "Opaque",
                stringData: grafanaAdminSecretData(password.result),
            },
            parent,
        );
        this.release = helmRelease(
            {
                chart: "kubePrometheusStack",
                name: "kube-prometheus-stack",
                namespace: ns.metadata.name,
                overlay: monitoringValues({ ...args, istioVersion: args.istio ? CHARTS.istiod.version : undefined }),
            },
            { ...parent, dependsOn: [...args.after, adminSecret] },
        );

        const logging = args.lokiUrl !== undefined;
        const objects: KubernetesObject[] = [
            ...(args.istio ? [envoySidecarPodMonitor(), istiodServiceMonitor()] : []),
            prometheusRuleObject(
                "platform-alerts",
                MONITORING_NAMESPACE,
                platformRuleGroups({ logging, haproxyScraped: args.haproxyMetricsTarget !== undefined }),
            ),
            ...Object.entries(platformDashboards(DATASOURCES, { logging })).map(([file, dashboard]) => dashboardConfigMap(file, "Platform", dashboard)),
        ];
        // The monitors and rules are kube-prometheus-stack's CRDs: after its release.
        applyObjects(`${name}-objects`, objects, { ...parent, dependsOn: [this.release] });
        this.registerOutputs({ release: this.release.status, grafanaAdminPassword: this.grafanaAdminPassword });
    }
}
