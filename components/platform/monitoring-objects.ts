import { DashboardDatasources } from "./dashboard-panels";
import { HelmValues } from "../shared/helm-charts";
import { KubernetesObject } from "../shared/kubernetes-object";

export const MONITORING_NAMESPACE = "monitoring";
/** The operator's governing Service: a stable address whatever the release is called. */
export const PROMETHEUS_URL = `http://prometheus-operated.${MONITORING_NAMESPACE}.svc.cluster.local:9090`;
/** Grafana's Service (the chart's fullnameOverride) and its admin login, from a Secret the program writes. */
export const GRAFANA = { service: "grafana", adminSecret: "grafana-admin", adminUser: "admin", userKey: "admin-user", passwordKey: "admin-password" } as const;
export const GRAFANA_URL = `http://${GRAFANA.service}.${MONITORING_NAMESPACE}.svc.cluster.local`;

/** The admin Secret's data, under the keys the chart is told to read (`grafana.admin` below). */
export function grafanaAdminSecretData<Password>(password: Password): Record<string, string | Password> {
    return { [GRAFANA.userKey]: GRAFANA.adminUser, [GRAFANA.passwordKey]: password };
}
export const DATASOURCES: DashboardDatasources = { prometheusUid: "prometheus", lokiUid: "loki" };
export const TEMPO_DATASOURCE_UID = "tempo";

/** Istio's own dashboards (mesh, service, workload, control plane), from the release that is installed. */
export function istioDashboards(istioVersion: string): Record<string, { url: string; datasource: string }> {
    const file = (name: string) => ({
        url: `https://raw.githubusercontent.com/istio/istio/${istioVersion}/manifests/addons/dashboards/${name}`,
        datasource: "Prometheus",
    });
    return {
        "istio-mesh": file("istio-mesh-dashboard.gen.json"),
        "istio-service": file("istio-service-dashboard.json"),
        "istio-workload": file("istio-workload-dashboard.json"),
        "istio-control-plane": file("pilot-dashboard.gen.json"),
    };
}

export interface MonitoringValuesArgs {
    readonly storageClass: string;
    /** HAProxy's exporter (internal host:port), outside the cluster: scraped as a static target. */
    readonly haproxyMetricsTarget?: string;
    /** The installed Istio version, whose dashboards Grafana loads; absent without Istio. */
    readonly istioVersion?: string;
    /** Loki's query address (the gateway), when logs are collected. */
    readonly lokiUrl?: string;
    /** Tempo's query address, when traces are collected. */
    readonly tempoUrl?: string;
}

/** kube-prometheus-stack's computed values: storage, Prometheus's datasource uid, Loki and Tempo with trace<->log links. */
export function monitoringValues(args: MonitoringValuesArgs): HelmValues {
    // Sizes are static (values/kube-prometheus-stack.yaml); only the class is computed.
    const volume = { volumeClaimTemplate: { spec: { storageClassName: args.storageClass } } };
    const datasources: Record<string, unknown>[] = [];
    if (args.lokiUrl) {
        datasources.push({
            name: "Loki",
            type: "loki",
            uid: DATASOURCES.lokiUid,
            access: "proxy",
            url: args.lokiUrl,
            jsonData: args.tempoUrl
                ? {
                      derivedFields: [
                          { name: "trace_id", matcherType: "label", matcherRegex: "trace_id", url: "$${__value.raw}", datasourceUid: TEMPO_DATASOURCE_UID },
                      ],
                  }
                : {},
        });
    }
    if (args.tempoUrl) {
        datasources.push({
            name: "Tempo",
            type: "tempo",
            uid: TEMPO_DATASOURCE_UID,
            access: "proxy",
            url: args.tempoUrl,
            jsonData: {
                serviceMap: { datasourceUid: DATASOURCES.prometheusUid },
                ...(args.lokiUrl
                    ? { tracesToLogsV2: { datasourceUid: DATASOURCES.lokiUid, filterByTraceID: true, spanStartTimeShift: "-5m", spanEndTimeShift: "5m" } }
                    : {}),
            },
        });
    }
    return {
        prometheus: {
            prometheusSpec: {
                storageSpec: volume,
                additionalScrapeConfigs: args.haproxyMetricsTarget
                    ? [{ job_name: "haproxy", static_configs: [{ targets: [args.haproxyMetricsTarget], labels: { instance: "haproxy" } }] }]
                    : [],
            },
        },
        alertmanager: { alertmanagerSpec: { storage: volume } },
        grafana: {
            fullnameOverride: GRAFANA.service,
            admin: { existingSecret: GRAFANA.adminSecret, userKey: GRAFANA.userKey, passwordKey: GRAFANA.passwordKey },
            persistence: { storageClassName: args.storageClass },
            sidecar: { datasources: { defaultDatasourceEnabled: true, uid: DATASOURCES.prometheusUid } },
            additionalDataSources: datasources,
            dashboards: args.istioVersion ? { istio: istioDashboards(args.istioVersion) } : {},
        },
    };
}

/** Envoy sidecars' merged metrics (istio_requests_total etc.): Flagger's checks and Kiali read them. */
export function envoySidecarPodMonitor(): KubernetesObject {
    return {
        apiVersion: "monitoring.coreos.com/v1",
        kind: "PodMonitor",
        metadata: { name: "envoy-sidecars", namespace: MONITORING_NAMESPACE },
        spec: {
            namespaceSelector: { any: true },
            selector: { matchExpressions: [{ key: "security.istio.io/tlsMode", operator: "Exists" }] },
            podMetricsEndpoints: [
                {
                    path: "/stats/prometheus",
                    interval: "15s",
                    relabelings: [
                        { action: "keep", sourceLabels: ["__meta_kubernetes_pod_container_name"], regex: "istio-proxy" },
                        { action: "keep", sourceLabels: ["__meta_kubernetes_pod_annotationpresent_prometheus_io_scrape"] },
                        {
                            action: "replace",
                            sourceLabels: ["__meta_kubernetes_pod_ip", "__meta_kubernetes_pod_annotation_prometheus_io_port"],
                            regex: "(\\d+\\.\\d+\\.\\d+\\.\\d+);(\\d+)",
                            replacement: "$1:$2",
                            targetLabel: "__address__",
                        },
                        { action: "labeldrop", regex: "__meta_kubernetes_pod_label_(.+)" },
                        { sourceLabels: ["__meta_kubernetes_namespace"], action: "replace", targetLabel: "namespace" },
                        { sourceLabels: ["__meta_kubernetes_pod_name"], action: "replace", targetLabel: "pod" },
                    ],
                },
            ],
        },
    };
}

/** istiod's own metrics (pilot_*), on its http-monitoring port. */
export function istiodServiceMonitor(): KubernetesObject {
    return {
        apiVersion: "monitoring.coreos.com/v1",
        kind: "ServiceMonitor",
        metadata: { name: "istiod", namespace: MONITORING_NAMESPACE },
        spec: {
            namespaceSelector: { matchNames: ["istio-system"] },
            selector: { matchLabels: { istio: "pilot" } },
            endpoints: [{ port: "http-monitoring", interval: "15s" }],
        },
    };
}

/** A dashboard as a ConfigMap the Grafana sidecar picks up (label grafana_dashboard=1). */
export function dashboardConfigMap(name: string, folder: string, dashboard: unknown): KubernetesObject {
    return {
        apiVersion: "v1",
        kind: "ConfigMap",
        metadata: { name: `dashboard-${name}`, namespace: MONITORING_NAMESPACE, labels: { grafana_dashboard: "1" }, annotations: { grafana_folder: folder } },
        data: { [`${name}.json`]: JSON.stringify(dashboard, null, 2) },
    };
}
