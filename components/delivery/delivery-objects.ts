import { AlertProviderType } from "../../config/delivery-config";
import { KubernetesObject } from "../shared/kubernetes-object";
import { SLI_TEMPLATES } from "./canary-objects";

/** Istio's labels on the destination side: what the SLIs select the canary's traffic by. */
const DESTINATION = 'reporter="destination",destination_workload_namespace="{{ namespace }}",destination_workload="{{ target }}"';

/** Flagger fills {{ namespace }}, {{ target }} and {{ interval }} before it queries Prometheus. */
export const SLI_QUERIES: Readonly<Record<(typeof SLI_TEMPLATES)[keyof typeof SLI_TEMPLATES], string>> = {
    // % of requests answered 5xx (the built-in check counts the complement).
    [SLI_TEMPLATES.errorRate]:
        `100 * sum(rate(istio_requests_total{${DESTINATION},response_code=~"5.*"}[{{ interval }}]))` +
        ` / clamp_min(sum(rate(istio_requests_total{${DESTINATION}}[{{ interval }}])), 1e-9)`,
    [SLI_TEMPLATES.latencyP99]: `histogram_quantile(0.99, sum by (le) (rate(istio_request_duration_milliseconds_bucket{${DESTINATION}}[{{ interval }}])))`,
};

/** The SLI MetricTemplates the Canary refers to, read from the platform's Prometheus. */
export function sliMetricTemplates(namespace: string, prometheusUrl: string): KubernetesObject[] {
    return Object.entries(SLI_QUERIES).map(([name, query]) => ({
        apiVersion: "flagger.app/v1beta1",
        kind: "MetricTemplate",
        metadata: { name, namespace },
        spec: { provider: { type: "prometheus", address: prometheusUrl }, query },
    }));
}

/**
 * The AlertProvider Secret's data: Flagger reads the webhook URL from the key named like the
 * spec field the Secret stands in for (`address`).
 */
export function alertWebhookSecretData<Url>(url: Url): { readonly address: Url } {
    return { address: url };
}

/** Where Flagger posts canary events; the URL stays in a Secret (secretRef), never in the object. */
export function alertProviderObject(args: {
    readonly name: string;
    readonly namespace: string;
    readonly type: AlertProviderType;
    readonly channel?: string;
    readonly secretName: string;
}): KubernetesObject {
    return {
        apiVersion: "flagger.app/v1beta1",
        kind: "AlertProvider",
        metadata: { name: args.name, namespace: args.namespace },
        spec: { type: args.type, ...(args.channel ? { channel: args.channel } : {}), secretRef: { name: args.secretName } },
    };
}

/** The public entry for Online Boutique on the ingress gateway (HAProxy's 80 -> NodePort 30080). */
export function boutiqueGateway(args: {
    readonly name: string;
    readonly namespace: string;
    readonly hosts: readonly string[];
    readonly selector: Readonly<Record<string, string>>;
}): KubernetesObject {
    return {
        apiVersion: "networking.istio.io/v1",
        kind: "Gateway",
        metadata: { name: args.name, namespace: args.namespace },
        spec: { selector: { ...args.selector }, servers: [{ port: { number: 80, name: "http", protocol: "HTTP" }, hosts: [...args.hosts] }] },
    };
}

/** Envoy's merged metrics (15020) and its own stats (15090): what Prometheus scrapes on every sidecar. */
export const SIDECAR_METRICS_PORTS = [15020, 15090] as const;

/**
 * NetworkPolicies the chart lacks (its namespace deny-all blocks both): Prometheus scraping the
 * sidecars, and Flagger reaching the loadtester, which may call anything (it drives load and checks).
 */
export function deliveryNetworkPolicies(args: {
    readonly namespace: string;
    readonly monitoringNamespace: string;
    readonly flaggerNamespace: string;
    readonly loadtesterLabels: Readonly<Record<string, string>>;
}): KubernetesObject[] {
    const fromNamespace = (name: string) => ({ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": name } } });
    return [
        {
            apiVersion: "networking.k8s.io/v1",
            kind: "NetworkPolicy",
            metadata: { name: "allow-prometheus-scrape", namespace: args.namespace },
            spec: {
                podSelector: {},
                policyTypes: ["Ingress"],
                ingress: [{ from: [fromNamespace(args.monitoringNamespace)], ports: SIDECAR_METRICS_PORTS.map((port) => ({ port, protocol: "TCP" })) }],
            },
        },
        {
            apiVersion: "networking.k8s.io/v1",
            kind: "NetworkPolicy",
            metadata: { name: "loadtester", namespace: args.namespace },
            spec: {
                podSelector: { matchLabels: { ...args.loadtesterLabels } },
                policyTypes: ["Ingress", "Egress"],
                ingress: [{ from: [fromNamespace(args.flaggerNamespace)], ports: [{ port: 8080, protocol: "TCP" }] }],
                egress: [{}],
            },
        },
    ];
}

/** The chart's namespace deny-all also covers the loadtester: Flagger's own identity may call its webhooks. */
export function loadtesterAuthorizationPolicy(args: {
    readonly namespace: string;
    readonly loadtesterLabels: Readonly<Record<string, string>>;
    readonly flaggerPrincipal: string;
}): KubernetesObject {
    return {
        apiVersion: "security.istio.io/v1",
        kind: "AuthorizationPolicy",
        metadata: { name: "loadtester", namespace: args.namespace },
        spec: {
            selector: { matchLabels: { ...args.loadtesterLabels } },
            action: "ALLOW",
            rules: [{ from: [{ source: { principals: [args.flaggerPrincipal] } }] }],
        },
    };
}
