import { listAt as list, mappingAt as at, KubernetesObject } from "../../components/shared/kubernetes-object";
import { isRecord } from "../../config/records";
import { textOf } from "./text";

/**
 * The pods of cluster-model.ts's running cluster: those a workload's template makes, those the
 * Prometheus operator and kubeadm run, and what Istio's injector adds to them.
 */

export type Json = Record<string, unknown>;
export const strings = (value: unknown): Record<string, string> =>
    isRecord(value) ? Object.fromEntries(Object.entries(value).map(([k, v]) => [k, String(v)])) : {};

export interface ContainerPort {
    readonly container: string;
    readonly name?: string;
    readonly port: number;
}

/** The pods one workload makes, as they run (after admission). */
export interface Pod {
    /** "Deployment/ns/name", or what makes it at run time. */
    readonly owner: string;
    readonly namespace: string;
    readonly labels: Readonly<Record<string, string>>;
    readonly annotations: Readonly<Record<string, string>>;
    readonly hostNetwork: boolean;
    readonly ports: readonly ContainerPort[];
    readonly tolerations: readonly Json[];
    readonly nodeSelector: Readonly<Record<string, string>>;
    /** Istio's injector added a sidecar. */
    readonly injected: boolean;
}

const ISTIO_PROXY = "istio-proxy";
/** Ports istio-init never redirects to Envoy: its own stats (15090), health (15021) and the agent's merged metrics (15020). */
export const SIDECAR_UNCAPTURED_PORTS = [15090, 15021, 15020] as const;

/**
 * What istiod's injector does to a pod (istio-discovery's files/injection-template.yaml, which
 * the rendered istio-sidecar-injector ConfigMap carries): label tlsMode, merged-metrics
 * annotations pointing Prometheus at the agent's 15020, and the istio-proxy container.
 */
export function inject(pod: Pod): Pod {
    return {
        ...pod,
        injected: true,
        labels: { ...pod.labels, "security.istio.io/tlsMode": "istio" },
        annotations: { ...pod.annotations, "prometheus.io/scrape": "true", "prometheus.io/port": "15020", "prometheus.io/path": "/stats/prometheus" },
        ports: [...pod.ports, { container: ISTIO_PROXY, name: "http-envoy-prom", port: 15090 }, { container: ISTIO_PROXY, port: 15020 }],
    };
}

/**
 * Whether istiod's webhook gives a pod a sidecar: the pod opts in, or its namespace asks for
 * injection (istio-injection=enabled or a revision) and the pod does not opt out. Gateways get
 * their own template, and host-network pods none.
 */
export function sidecarInjected(pod: Pick<Pod, "labels" | "annotations" | "hostNetwork">, namespaceLabels: Readonly<Record<string, string>>): boolean {
    const choice = pod.labels["sidecar.istio.io/inject"] ?? pod.annotations["sidecar.istio.io/inject"];
    if (pod.hostNetwork || pod.annotations["inject.istio.io/templates"] === "gateway" || choice === "false") return false;
    return choice === "true" || namespaceLabels["istio-injection"] === "enabled" || namespaceLabels["istio.io/rev"] !== undefined;
}

export function podOf(owner: string, namespace: string, template: unknown): Pod {
    const spec = at(template, "spec");
    const ports = list(spec, "containers")
        .filter(isRecord)
        .flatMap((container) =>
            list(container, "ports")
                .filter(isRecord)
                .map((port) => ({ container: String(container.name), ...(port.name ? { name: textOf(port.name) } : {}), port: Number(port.containerPort) })),
        );
    return {
        owner,
        namespace,
        labels: strings(at(at(template, "metadata"), "labels")),
        annotations: strings(at(at(template, "metadata"), "annotations")),
        hostNetwork: spec.hostNetwork === true,
        ports,
        tolerations: list(spec, "tolerations").filter(isRecord),
        nodeSelector: strings(spec.nodeSelector),
        injected: false,
    };
}

export const WORKLOAD_KINDS = new Set(["Deployment", "DaemonSet", "StatefulSet", "ReplicaSet", "Job"]);

/** Pods the Prometheus operator runs for its custom resources (its StatefulSets' pod labels and ports). */
export function operatorPods(object: KubernetesObject): Pod[] {
    const name = object.metadata.name;
    const namespace = object.metadata.namespace ?? "default";
    const spec = at(object, "spec");
    const base = {
        namespace,
        annotations: strings(at(spec, "podMetadata").annotations),
        hostNetwork: false,
        tolerations: list(spec, "tolerations").filter(isRecord),
        nodeSelector: strings(spec.nodeSelector),
        injected: false,
    };
    const common = {
        "app.kubernetes.io/instance": name,
        "app.kubernetes.io/managed-by": "prometheus-operator",
        "operator.prometheus.io/name": name,
        ...strings(at(spec, "podMetadata").labels),
    };
    if (object.kind === "Prometheus") {
        const labels = { ...common, "app.kubernetes.io/name": "prometheus", prometheus: name, "operator.prometheus.io/shard": "0" };
        return [
            {
                ...base,
                owner: `prometheus-operator: Prometheus/${namespace}/${name}`,
                labels,
                ports: [
                    { container: "prometheus", name: "web", port: 9090 },
                    { container: "config-reloader", name: "reloader-web", port: 8080 },
                ],
            },
        ];
    }
    if (object.kind === "Alertmanager") {
        const labels = { ...common, "app.kubernetes.io/name": "alertmanager", alertmanager: name };
        return [
            {
                ...base,
                owner: `prometheus-operator: Alertmanager/${namespace}/${name}`,
                labels,
                ports: [
                    { container: "alertmanager", name: "web", port: 9093 },
                    { container: "config-reloader", name: "reloader-web", port: 8080 },
                ],
            },
        ];
    }
    return [];
}

const everywhere = [{ operator: "Exists" }];
const controlPlaneOnly = { "node-role.kubernetes.io/control-plane": "" };

/** Pods kubeadm runs (static pods, its CoreDNS addon): no release renders them. */
export function kubeadmPods(): Pod[] {
    const base = { annotations: {}, injected: false };
    return [
        {
            ...base,
            owner: "kubeadm: static pod kube-apiserver",
            namespace: "kube-system",
            labels: { component: "kube-apiserver", tier: "control-plane" },
            hostNetwork: true,
            ports: [{ container: "kube-apiserver", name: "https", port: 6443 }],
            tolerations: everywhere,
            nodeSelector: controlPlaneOnly,
        },
        {
            ...base,
            owner: "kubeadm: addon CoreDNS",
            namespace: "kube-system",
            labels: { "k8s-app": "kube-dns" },
            hostNetwork: false,
            ports: [
                { container: "coredns", name: "dns", port: 53 },
                { container: "coredns", name: "metrics", port: 9153 },
            ],
            tolerations: [{ key: "node-role.kubernetes.io/control-plane", effect: "NoSchedule" }],
            nodeSelector: {},
        },
        {
            ...base,
            owner: "kubelet (every node)",
            namespace: "kube-system",
            labels: {},
            hostNetwork: true,
            ports: [{ container: "kubelet", name: "https-metrics", port: 10250 }],
            tolerations: everywhere,
            nodeSelector: {},
        },
    ];
}
