import { strict as assert } from "assert";
import * as fs from "fs";
import * as path from "path";
import { ciliumValues } from "../../components/platform/cilium-values";
import { DEFAULT_HAPROXY_PORTS } from "../../components/cluster/rendered/haproxy-config";
import { CHARTS, HelmValues, mergeValues, staticValues } from "../../components/shared/helm-charts";
import { istiodValues, meshTelemetry } from "../../components/platform/istio-objects";
import { kialiValues } from "../../components/platform/kiali-values";
import { LOKI_PLACEMENT, lokiValues } from "../../components/platform/loki-values";
import { boutiqueValues, flaggerValues } from "../../components/delivery/delivery-values";
import { tempoValues } from "../../components/platform/tempo-values";
import { dashboardConfigMap, istioDashboards, monitoringValues } from "../../components/platform/monitoring-objects";
import { otelCollectorValues } from "../../components/platform/otel-collector-values";
import { dig, PROJECT_ROOT } from "../fixtures";

const LOKI_ARGS = {
    bucketName: "b",
    retentionDays: 7,
    replicas: 2,
    storageClass: "standard",
    federation: { projectNumber: "123456789012", poolId: "boutique-dev-a1b2c3", providerId: "kubernetes" },
    serviceMonitor: true,
};

describe("Helm charts and values", () => {
    it("pins every chart to an exact version, and every values file is a mapping", () => {
        for (const [name, source] of Object.entries(CHARTS)) assert.match(source.version, /^\d+\.\d+\.\d+$/, name);
        const files = fs.readdirSync(path.join(PROJECT_ROOT, "values")).filter((file) => file.endsWith(".yaml"));
        assert.ok(files.length >= 9);
        for (const file of files) assert.equal(typeof staticValues(file.replace(/\.yaml$/, "")), "object", file);
    });

    it("overlays computed values: maps merge key by key, a list replaces the static list, the base is untouched", () => {
        const base: HelmValues = { a: { keep: 1, list: [1, 2] }, b: 1 };
        assert.deepEqual(mergeValues(base, { a: { list: [3] }, c: 2 }), { a: { keep: 1, list: [3] }, b: 1, c: 2 });
        assert.deepEqual(base, { a: { keep: 1, list: [1, 2] }, b: 1 });
    });

    it("the ingress gateway's node ports are the ones haproxy.cfg targets", () => {
        const ports = dig(staticValues("istio-gateway"), "service", "ports") as { name: string; nodePort?: number }[];
        assert.equal(ports.find((port) => port.name === "http2")?.nodePort, DEFAULT_HAPROXY_PORTS.ingressHttp);
        assert.equal(ports.find((port) => port.name === "https")?.nodePort, DEFAULT_HAPROXY_PORTS.ingressHttps);
        assert.equal(dig(staticValues("istio-gateway"), "autoscaling", "enabled"), false, "no metrics-server on kubeadm");
    });

    it("Grafana and Kiali: no anonymous access, Grafana's admin from the generated secret", () => {
        const grafana = dig(staticValues("kube-prometheus-stack"), "grafana");
        assert.equal(dig(grafana, "grafana.ini", "auth.anonymous", "enabled"), false);
        const computed = dig(monitoringValues({ storageClass: "standard" }), "grafana", "admin");
        assert.deepEqual([dig(computed, "existingSecret"), dig(computed, "passwordKey")], ["grafana-admin", "admin-password"]);
        assert.equal(dig(staticValues("kiali-server"), "auth", "strategy"), "token");
    });

    it("Cilium takes the pod range and the API endpoint (it replaces kube-proxy)", () => {
        const values = ciliumValues({ apiServerHost: "10.10.0.2", apiServerPort: 6443, podCidr: "10.244.0.0/16" });
        assert.deepEqual(dig(values, "ipam", "operator", "clusterPoolIPv4PodCIDRList"), ["10.244.0.0/16"]);
        assert.equal(values.k8sServiceHost, "10.10.0.2");
        assert.equal(dig(staticValues("cilium"), "tunnelProtocol"), "vxlan");
    });

    it("Istio traces through the OTel provider only when tracing is on; sampling must be 1-100%", () => {
        assert.deepEqual(istiodValues({}), {});
        assert.deepEqual(dig(istiodValues({ tracing: { host: "otel.svc", port: 4317 } }), "meshConfig", "extensionProviders"), [
            { name: "otel-tracing", opentelemetry: { service: "otel.svc", port: 4317 } },
        ]);
        assert.equal(dig(meshTelemetry(10), "spec", "tracing", 0, "randomSamplingPercentage"), 10);
        assert.throws(() => meshTelemetry(0), /sampling 0%/);
        assert.throws(() => meshTelemetry(101), /sampling 101%/);
    });

    it("Loki: retention in hours, replication 3 only with 3 replicas, placement only with a pool, a ServiceMonitor only with Prometheus", () => {
        assert.equal(dig(lokiValues(LOKI_ARGS), "loki", "limits_config", "retention_period"), "168h");
        assert.equal(dig(lokiValues(LOKI_ARGS), "loki", "commonConfig", "replication_factor"), 1);
        assert.equal(dig(lokiValues({ ...LOKI_ARGS, replicas: 3 }), "loki", "commonConfig", "replication_factor"), 3);
        assert.equal(dig(lokiValues(LOKI_ARGS), "write", "tolerations"), undefined);
        assert.deepEqual(dig(lokiValues({ ...LOKI_ARGS, placement: LOKI_PLACEMENT }), "backend", "nodeSelector"), { "boutique.dev/pool": "loki" });
        assert.equal(dig(lokiValues({ ...LOKI_ARGS, serviceMonitor: false }), "monitoring", "serviceMonitor", "enabled"), false);
        assert.throws(() => lokiValues({ ...LOKI_ARGS, replicas: 0 }), /replicas 0/);
        assert.equal(dig(staticValues("loki"), "deploymentMode"), "SimpleScalable");
        for (const off of ["chunksCache", "resultsCache", "lokiCanary"]) assert.equal(dig(staticValues("loki"), off, "enabled"), false, off);
    });

    it("the collector builds a pipeline per installed backend, and refuses to run with none", () => {
        const logsOnly = otelCollectorValues({ lokiOtlpEndpoint: "http://loki/otlp" });
        assert.deepEqual(dig(logsOnly, "config", "service", "pipelines", "logs", "exporters"), ["otlp_http/loki"]);
        assert.equal(dig(logsOnly, "config", "service", "pipelines", "traces"), null);
        const tracesOnly = otelCollectorValues({ tempoOtlpEndpoint: "tempo:4317" });
        assert.equal(dig(tracesOnly, "presets", "logsCollection", "enabled"), false);
        assert.deepEqual(dig(tracesOnly, "config", "exporters", "otlp_grpc/tempo", "endpoint"), "tempo:4317");
        assert.throws(() => otelCollectorValues({}), /needs Loki or Tempo/);
    });

    it("Grafana gets Loki and Tempo datasources (linked both ways) and Istio's dashboards of the installed release", () => {
        const both = monitoringValues({ storageClass: "standard", lokiUrl: "http://loki", tempoUrl: "http://tempo:3200", istioVersion: CHARTS.istiod.version });
        const sources = dig(both, "grafana", "additionalDataSources") as { uid: string; jsonData: unknown }[];
        assert.deepEqual(
            sources.map((source) => source.uid),
            ["loki", "tempo"],
        );
        assert.equal(dig(sources[0].jsonData, "derivedFields", 0, "datasourceUid"), "tempo");
        assert.equal(dig(sources[1].jsonData, "tracesToLogsV2", "datasourceUid"), "loki");
        assert.match(String(dig(both, "grafana", "dashboards", "istio", "istio-mesh", "url")), new RegExp(`/istio/istio/${CHARTS.istiod.version}/`));
        assert.deepEqual(dig(monitoringValues({ storageClass: "standard" }), "grafana", "additionalDataSources"), []);
        assert.equal(Object.keys(istioDashboards("1.30.3")).length, 4);
    });

    it("the dashboard ConfigMaps carry the label and folder annotation Grafana's sidecar looks for", () => {
        const sidecar = dig(staticValues("kube-prometheus-stack"), "grafana", "sidecar", "dashboards");
        const configMap = dashboardConfigMap("business-events", "Platform", { title: "t" });
        assert.equal(dig(configMap, "metadata", "labels", String(dig(sidecar, "label"))), dig(sidecar, "labelValue"));
        assert.equal(dig(configMap, "metadata", "annotations", String(dig(sidecar, "folderAnnotation"))), "Platform");
        assert.equal(dig(sidecar, "provider", "foldersFromFilesStructure"), true);
    });

    it("Tempo, Flagger and Online Boutique take their computed values from the platform and the config", () => {
        assert.equal(dig(tempoValues("standard"), "persistence", "storageClassName"), "standard");
        assert.equal(dig(flaggerValues({ prometheusUrl: "http://prometheus:9090", serviceAccount: "flagger" }), "metricsServer"), "http://prometheus:9090");
        assert.equal(dig(staticValues("flagger"), "meshProvider"), "istio");
        assert.equal(dig(staticValues("flagger"), "podMonitor", "honorLabels"), true);
        assert.equal(dig(boutiqueValues({ loadGenerator: false }), "loadGenerator", "create"), false);
        // Merged as Helm would: the static loadgenerator settings survive the overlay.
        const boutique = mergeValues(staticValues("onlineboutique"), boutiqueValues({ loadGenerator: true }));
        assert.deepEqual(dig(boutique, "loadGenerator"), { checkFrontendInitContainer: false, create: true });
    });

    it("Kiali reads Prometheus and Grafana, and Tempo only when it exists", () => {
        assert.deepEqual(dig(kialiValues({ prometheusUrl: "p", grafanaUrl: "g" }), "external_services", "tracing"), { enabled: false });
        assert.equal(dig(kialiValues({ prometheusUrl: "p", grafanaUrl: "g", tempoUrl: "t" }), "external_services", "tracing", "provider"), "tempo");
    });

    it("Kiali logs in to Grafana from a Secret reference (the chart mounts it), never a password in the values", () => {
        const login = { secret: "kiali-grafana", userKey: "admin-user", passwordKey: "admin-password" };
        assert.deepEqual(dig(kialiValues({ prometheusUrl: "p", grafanaUrl: "g", grafanaLogin: login }), "external_services", "grafana", "auth"), {
            type: "basic",
            username: "secret:kiali-grafana:admin-user",
            password: "secret:kiali-grafana:admin-password",
        });
        assert.equal(dig(kialiValues({ prometheusUrl: "p", grafanaUrl: "g" }), "external_services", "grafana", "auth"), undefined);
    });
});
