import { loadAll } from "js-yaml";
import { listAt as list, mappingAt as at, KubernetesObject } from "../../components/shared/kubernetes-object";
import { isRecord } from "../../config/records";
import { RenderedResource } from "../../render/evaluation";
import { PlacedObject } from "./platform-render";
import { inject, kubeadmPods, Json, operatorPods, Pod, podOf, sidecarInjected, strings, WORKLOAD_KINDS } from "./cluster-pods";
import { textOf } from "./text";

/**
 * The running cluster, as far as the rendered objects decide it: the pods each workload makes
 * (with what Istio's injector adds), the nodes (GCE instances with their tags, kubeadm's taints
 * and labels), namespaces and Services. What no rendered object describes is added here and says
 * who makes it at run time (kubeadm, the Prometheus operator). The pods themselves are built in
 * cluster-pods.ts.
 */

export interface Node {
    readonly name: string;
    readonly tags: readonly string[];
    readonly labels: Readonly<Record<string, string>>;
    readonly taints: readonly Json[];
}

export interface ClusterModel {
    readonly objects: readonly KubernetesObject[];
    readonly pods: readonly Pod[];
    readonly nodes: readonly Node[];
    readonly namespaceLabels: ReadonlyMap<string, Readonly<Record<string, string>>>;
    /** Every Service: rendered ones, and those made at run time (runtimeServices). */
    readonly services: readonly KubernetesObject[];
    /** Services with no selector whose endpoints something keeps up to date: Service id -> the pods behind it. */
    readonly managedEndpoints: ReadonlyMap<string, readonly Pod[]>;
}

/** `matchLabels` + `matchExpressions` (a LabelSelector) against labels; an empty selector matches everything. */
export function selects(selector: unknown, labels: Readonly<Record<string, string>>): boolean {
    const matchLabels = strings(at({ s: selector }, "s").matchLabels);
    const expressions = list(selector, "matchExpressions").filter(isRecord);
    return (
        Object.entries(matchLabels).every(([key, value]) => labels[key] === value) &&
        expressions.every((expression) => {
            const key = String(expression.key);
            const values = (Array.isArray(expression.values) ? expression.values : []).map(String);
            switch (expression.operator) {
                case "In":
                    return key in labels && values.includes(labels[key]);
                case "NotIn":
                    return !(key in labels) || !values.includes(labels[key]);
                case "Exists":
                    return key in labels;
                case "DoesNotExist":
                    return !(key in labels);
                default:
                    throw new Error(`unknown selector operator ${String(expression.operator)}`);
            }
        })
    );
}

/** A map-style selector (a Service's, a nodeSelector, a workloadSelector): every pair present; an empty one matches everything. */
export function selectsExactly(selector: Readonly<Record<string, unknown>>, labels: Readonly<Record<string, string>>): boolean {
    return Object.entries(selector).every(([key, value]) => labels[key] === String(value));
}

/** Each Namespace's labels, with the name label Kubernetes adds to every namespace. */
export function namespaceLabelMap(objects: readonly PlacedObject[]): Map<string, Record<string, string>> {
    return new Map(
        objects
            .filter(({ object }) => object.kind === "Namespace")
            .map(({ object }) => [object.metadata.name, { ...object.metadata.labels, "kubernetes.io/metadata.name": object.metadata.name }]),
    );
}

/** The cluster's nodes: each GCE instance that a kubeadm config registers, with its tags, taints and labels. */
function clusterNodes(resources: readonly RenderedResource[], artifacts: Readonly<Record<string, string>>): Node[] {
    const instances = resources.filter((resource) => resource.type === "gcp:compute/instance:Instance");
    const registrations = Object.entries(artifacts)
        .filter(([file]) => /^nodes\/[^/]+\/kubeadm-(init|join)\.yaml$/.test(file))
        .map(([, text]) =>
            at(
                loadAll(text).find((doc) => isRecord(doc) && isRecord(doc.nodeRegistration)),
                "nodeRegistration",
            ),
        );
    return registrations.map((registration) => {
        const name = String(registration.name);
        const instance = instances.find((candidate) => candidate.inputs.name === name);
        if (!instance) throw new Error(`kubeadm registers node ${name}, which is no instance`);
        const extraArgs = list(registration, "kubeletExtraArgs").filter(isRecord);
        const nodeLabels = textOf(extraArgs.find((arg) => arg.name === "node-labels")?.value ?? "");
        const labels: Record<string, string> = { "kubernetes.io/hostname": name, "kubernetes.io/os": "linux" };
        for (const pair of nodeLabels.split(",").filter(Boolean)) labels[pair.split("=")[0]] = pair.split("=")[1] ?? "";
        const taints = list(registration, "taints").filter(isRecord);
        if (taints.some((taint) => taint.key === "node-role.kubernetes.io/control-plane")) labels["node-role.kubernetes.io/control-plane"] = "";
        return { name, tags: (Array.isArray(instance.inputs.tags) ? instance.inputs.tags : []).map(String), labels, taints };
    });
}

function tolerates(tolerations: readonly Json[], taint: Json): boolean {
    return tolerations.some(
        (toleration) =>
            (toleration.key === undefined || toleration.key === taint.key) &&
            (toleration.operator === "Exists" || textOf(toleration.value ?? "") === textOf(taint.value ?? "")) &&
            (toleration.effect === undefined || toleration.effect === taint.effect),
    );
}

/** The nodes a pod may be scheduled on: its nodeSelector, and taints it tolerates (affinity is not modelled). */
export function nodesFor(pod: Pod, nodes: readonly Node[]): Node[] {
    return nodes.filter(
        (node) =>
            selectsExactly(pod.nodeSelector, node.labels) &&
            node.taints.filter((taint) => taint.effect !== "PreferNoSchedule").every((taint) => tolerates(pod.tolerations, taint)),
    );
}

/** Services no release renders: the API server's own, and the kubelet Service the Prometheus operator keeps. */
function runtimeServices(kubeletService: string | undefined): KubernetesObject[] {
    const service = (namespace: string, name: string, labels: Record<string, string>, ports: Json[]): KubernetesObject => ({
        apiVersion: "v1",
        kind: "Service",
        metadata: { name, namespace, labels },
        spec: { ports },
    });
    const kubelet = kubeletService?.split("/");
    return [
        service("default", "kubernetes", { component: "apiserver", provider: "kubernetes" }, [{ name: "https", port: 443, targetPort: 6443 }]),
        ...(kubelet
            ? [
                  service(
                      kubelet[0],
                      kubelet[1],
                      { "k8s-app": "kubelet", "app.kubernetes.io/name": "kubelet", "app.kubernetes.io/managed-by": "prometheus-operator" },
                      [
                          { name: "https-metrics", port: 10250 },
                          { name: "http-metrics", port: 10255 },
                          { name: "cadvisor", port: 4194 },
                      ],
                  ),
              ]
            : []),
    ];
}

export function clusterModel(
    objects: readonly PlacedObject[],
    resources: readonly RenderedResource[],
    artifacts: Readonly<Record<string, string>>,
): ClusterModel {
    const all = objects.map((placed) => placed.object);
    const namespaceLabels = namespaceLabelMap(objects);
    const labelsOf = (namespace: string) => namespaceLabels.get(namespace) ?? { "kubernetes.io/metadata.name": namespace };
    const declared = all.flatMap((object): Pod[] => {
        if (WORKLOAD_KINDS.has(object.kind))
            return [
                podOf(
                    `${object.kind}/${object.metadata.namespace}/${object.metadata.name}`,
                    object.metadata.namespace ?? "default",
                    at(object.spec, "template"),
                ),
            ];
        return operatorPods(object);
    });
    const pods = [...declared, ...kubeadmPods()].map((pod) => (sidecarInjected(pod, labelsOf(pod.namespace)) ? inject(pod) : pod));
    const kubelet = pods.filter((pod) => pod.owner.startsWith("kubelet"));
    const apiServer = pods.filter((pod) => pod.owner === "kubeadm: static pod kube-apiserver");
    // The operator keeps its kubelet Service's endpoints (--kubelet-service); the API server keeps default/kubernetes.
    const operatorArgs = all
        .filter((object) => object.kind === "Deployment")
        .flatMap((object) =>
            list(at(at(object.spec, "template"), "spec"), "containers")
                .filter(isRecord)
                .flatMap((c) => list(c, "args").map(String)),
        );
    const kubeletService = operatorArgs.find((arg) => arg.startsWith("--kubelet-service="))?.split("=")[1];
    const managedEndpoints = new Map<string, readonly Pod[]>([["Service/default/kubernetes", apiServer]]);
    if (kubeletService) managedEndpoints.set(`Service/${kubeletService}`, kubelet);
    const services = [...all.filter((object) => object.kind === "Service"), ...runtimeServices(kubeletService)];
    return { objects: all, pods, nodes: clusterNodes(resources, artifacts), namespaceLabels, services, managedEndpoints };
}

export function namespaceLabelsOf(model: ClusterModel, namespace: string): Readonly<Record<string, string>> {
    return model.namespaceLabels.get(namespace) ?? { "kubernetes.io/metadata.name": namespace };
}
