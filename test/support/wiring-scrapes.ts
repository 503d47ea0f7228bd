import { load } from "js-yaml";
import { listAt as list, mappingAt as at, KubernetesObject, objectId } from "../../components/shared/kubernetes-object";
import { isRecord } from "../../config/records";
import { RenderedResource } from "../../render/evaluation";
import { ClusterModel, namespaceLabelsOf, nodesFor, selects, selectsExactly } from "./cluster-model";
import { ContainerPort, Pod, SIDECAR_UNCAPTURED_PORTS } from "./cluster-pods";
import { firewallAllows, firewallRulesOf, FirewallRule, Instance, instancesOf } from "./gce-firewall";
import { textOf } from "./text";

/**
 * Scrapes, from both sides' rendered output: every ServiceMonitor, PodMonitor and static target
 * the platform's Prometheus selects must find objects, on a port that exists, and reach them:
 * not refused by the mesh's mTLS, not dropped by a NetworkPolicy, and for targets on the nodes'
 * own addresses, allowed by the GCE firewall between the nodes involved.
 */

type Json = Record<string, unknown>;

export interface Scrape {
    readonly monitor: string;
    readonly target: string;
    readonly port: number;
}

export interface ScrapeReport {
    readonly scrapes: readonly Scrape[];
    readonly problems: readonly string[];
}

interface Context {
    readonly model: ClusterModel;
    readonly firewall: readonly FirewallRule[];
    readonly instances: readonly Instance[];
    readonly prometheus: Pod;
    readonly scrapes: Scrape[];
    readonly problems: string[];
}

/** Whether a Prometheus `*NamespaceSelector` (nil: its own namespace only) and `*Selector` (nil: nothing) pick a monitor. */
function prometheusSelects(prometheus: KubernetesObject, kind: "serviceMonitor" | "podMonitor", monitor: KubernetesObject, model: ClusterModel): boolean {
    const spec = at(prometheus, "spec");
    const selector = spec[`${kind}Selector`];
    const namespaceSelector = spec[`${kind}NamespaceSelector`];
    const namespace = monitor.metadata.namespace ?? "default";
    const namespaceOk =
        namespaceSelector === undefined || namespaceSelector === null
            ? namespace === prometheus.metadata.namespace
            : selects(namespaceSelector, namespaceLabelsOf(model, namespace));
    return selector !== undefined && selector !== null && namespaceOk && selects(selector, monitor.metadata.labels ?? {});
}

/** A monitor's namespaceSelector: `any`, a list of names, or (absent) its own namespace. */
function inMonitorNamespaces(monitor: KubernetesObject, namespace: string): boolean {
    const selector = at(monitor.spec, "namespaceSelector");
    if (selector.any === true) return true;
    const names = list(selector, "matchNames").map(String);
    return names.length > 0 ? names.includes(namespace) : namespace === monitor.metadata.namespace;
}

/** The Effective PeerAuthentication mode for a pod's port: workload (port level first), namespace, then the mesh root. */
function mtlsMode(model: ClusterModel, pod: Pod, port: number, rootNamespace = "istio-system"): string {
    const policies = model.objects.filter((object) => object.kind === "PeerAuthentication");
    const modeOf = (policy: KubernetesObject, withPort: boolean): string | undefined => {
        const spec = at(policy, "spec");
        const portMode = withPort ? at(at(spec, "portLevelMtls"), String(port)).mode : undefined;
        const mode = portMode ?? at(spec, "mtls").mode;
        return mode === undefined || mode === "UNSET" ? undefined : textOf(mode);
    };
    const workload = policies.filter(
        (p) => p.metadata.namespace === pod.namespace && isRecord(at(p, "spec").selector) && selects(at(p, "spec").selector, pod.labels),
    );
    const namespace = policies.filter((p) => p.metadata.namespace === pod.namespace && !isRecord(at(p, "spec").selector));
    const mesh = policies.filter((p) => p.metadata.namespace === rootNamespace && !isRecord(at(p, "spec").selector));
    return (
        workload.map((p) => modeOf(p, true)).find(Boolean) ??
        namespace.map((p) => modeOf(p, false)).find(Boolean) ??
        mesh.map((p) => modeOf(p, false)).find(Boolean) ??
        "PERMISSIVE"
    );
}

function peerMatches(peer: Json, policyNamespace: string, other: Pod, model: ClusterModel): boolean {
    if (isRecord(peer.ipBlock)) return false; // pod addresses are not known here: an ipBlock never vouches for a pod
    const namespaceOk = isRecord(peer.namespaceSelector)
        ? selects(peer.namespaceSelector, namespaceLabelsOf(model, other.namespace))
        : other.namespace === policyNamespace;
    return namespaceOk && (!isRecord(peer.podSelector) || selects(peer.podSelector, other.labels));
}

/** Whether the NetworkPolicies selecting `pod` let `other` in (direction ingress) or out to `other` (egress), on `port`. */
export function networkPolicyAllows(model: ClusterModel, pod: Pod, other: Pod, port: ContainerPort, direction: "Ingress" | "Egress"): boolean {
    const policies = model.objects.filter(
        (object) =>
            object.kind === "NetworkPolicy" &&
            object.metadata.namespace === pod.namespace &&
            selects(at(object, "spec").podSelector, pod.labels) &&
            (list(object.spec, "policyTypes").length === 0 ? direction === "Ingress" : list(object.spec, "policyTypes").includes(direction)),
    );
    if (policies.length === 0) return true;
    const rulesKey = direction === "Ingress" ? "ingress" : "egress";
    const peersKey = direction === "Ingress" ? "from" : "to";
    return policies.some((policy) =>
        list(policy.spec, rulesKey)
            .filter(isRecord)
            .some((rule) => {
                const peers = list(rule, peersKey).filter(isRecord);
                const ports = list(rule, "ports").filter(isRecord);
                const portOk =
                    ports.length === 0 ||
                    ports.some((p) => p.port === undefined || Number(p.port) === port.port || (port.name !== undefined && p.port === port.name));
                return portOk && (peers.length === 0 || peers.some((peer) => peerMatches(peer, pod.namespace, other, model)));
            }),
    );
}

/** Can Prometheus open `port` on `pod`? Each way it cannot is a problem. */
function reach(ctx: Context, monitor: string, pod: Pod, port: ContainerPort): void {
    ctx.scrapes.push({ monitor, target: pod.owner, port: port.port });
    const where = `${monitor} -> ${pod.owner}:${port.port}`;
    if (pod.hostNetwork) {
        const sources = nodesFor(ctx.prometheus, ctx.model.nodes);
        for (const target of nodesFor(pod, ctx.model.nodes)) {
            for (const source of sources.filter((node) => node.name !== target.name)) {
                if (!firewallAllows(ctx.firewall, source.tags, target.tags, "tcp", port.port))
                    ctx.problems.push(`${where}: the GCE firewall drops tcp/${port.port} from ${source.name} to ${target.name} (host network)`);
            }
        }
        return;
    }
    const excluded = (pod.annotations["traffic.sidecar.istio.io/excludeInboundPorts"] ?? "").split(",").map((p) => Number(p.trim()));
    const captured = pod.injected && !(SIDECAR_UNCAPTURED_PORTS as readonly number[]).includes(port.port) && !excluded.includes(port.port);
    if (captured && !ctx.prometheus.injected && mtlsMode(ctx.model, pod, port.port) === "STRICT")
        ctx.problems.push(`${where}: refused, STRICT mTLS on a sidecar-captured port and Prometheus has no sidecar`);
    if (!networkPolicyAllows(ctx.model, pod, ctx.prometheus, port, "Ingress")) ctx.problems.push(`${where}: no NetworkPolicy lets Prometheus in`);
    if (!networkPolicyAllows(ctx.model, ctx.prometheus, pod, port, "Egress")) ctx.problems.push(`${where}: Prometheus's NetworkPolicies do not let it out`);
}

function podsBehind(ctx: Context, service: KubernetesObject): readonly Pod[] {
    const managed = ctx.model.managedEndpoints.get(objectId(service));
    if (managed) return managed;
    const selector = at(service.spec, "selector");
    if (Object.keys(selector).length === 0) return [];
    return ctx.model.pods.filter((pod) => pod.namespace === service.metadata.namespace && selectsExactly(selector as Record<string, string>, pod.labels));
}

function checkServiceMonitor(ctx: Context, monitor: KubernetesObject): void {
    const id = objectId(monitor);
    const services = ctx.model.services.filter(
        (service) =>
            inMonitorNamespaces(monitor, service.metadata.namespace ?? "default") && selects(at(monitor.spec, "selector"), service.metadata.labels ?? {}),
    );
    if (services.length === 0) return void ctx.problems.push(`${id}: selects no Service`);
    for (const endpoint of list(monitor.spec, "endpoints").filter(isRecord)) {
        // The operator keeps a selected Service's endpoints only where the port exists: some Service must have it.
        const withPort = services.flatMap((service) => {
            const servicePort = list(service.spec, "ports")
                .filter(isRecord)
                .find((p) => p.name === endpoint.port || (endpoint.port === undefined && String(p.targetPort ?? p.port) === String(endpoint.targetPort)));
            return servicePort ? [{ service, servicePort }] : [];
        });
        if (withPort.length === 0)
            ctx.problems.push(`${id}: none of ${services.map(objectId).join(", ")} has the port ${String(endpoint.port ?? endpoint.targetPort)}`);
        for (const { service, servicePort } of withPort) {
            const pods = podsBehind(ctx, service);
            if (pods.length === 0) ctx.problems.push(`${id}: ${objectId(service)} selects no pod`);
            const targetPort = servicePort.targetPort ?? servicePort.port;
            for (const pod of pods) {
                const port = typeof targetPort === "number" ? { container: "", port: targetPort } : pod.ports.find((p) => p.name === targetPort);
                if (!port) ctx.problems.push(`${id}: ${pod.owner} has no container port named ${String(targetPort)} (${objectId(service)})`);
                else reach(ctx, id, pod, port);
            }
        }
    }
}

const sanitized = (name: string) => name.replace(/[^a-zA-Z0-9_]/g, "_");

/** A podMetricsEndpoint's targets on one pod, with the relabelings this platform uses (others fail loudly). */
function podMonitorPorts(pod: Pod, endpoint: Json, id: string): ContainerPort[] {
    let ports: ContainerPort[] =
        endpoint.port !== undefined
            ? pod.ports.filter((p) => p.name === endpoint.port)
            : endpoint.portNumber !== undefined
              ? [{ container: "", port: Number(endpoint.portNumber) }]
              : [...pod.ports];
    for (const relabeling of list(endpoint, "relabelings").filter(isRecord)) {
        const sources = (Array.isArray(relabeling.sourceLabels) ? relabeling.sourceLabels : []).map(String);
        const regex = new RegExp(`^(?:${textOf(relabeling.regex ?? "(.*)")})$`);
        if (relabeling.action === "keep" && sources[0] === "__meta_kubernetes_pod_container_name") ports = ports.filter((p) => regex.test(p.container));
        else if (relabeling.action === "keep" && sources[0]?.startsWith("__meta_kubernetes_pod_annotationpresent_")) {
            const present = Object.keys(pod.annotations).some((key) => `__meta_kubernetes_pod_annotationpresent_${sanitized(key)}` === sources[0]);
            if (!present) ports = [];
        } else if (relabeling.targetLabel === "__address__") {
            const annotation = sources.find((label) => label.startsWith("__meta_kubernetes_pod_annotation_"));
            const key = Object.keys(pod.annotations).find((name) => `__meta_kubernetes_pod_annotation_${sanitized(name)}` === annotation);
            if (!annotation) throw new Error(`${id}: an __address__ rewrite this check does not model`);
            ports = ports.length > 0 && key ? [{ container: ports[0].container, port: Number(pod.annotations[key]) }] : [];
        }
    }
    return ports;
}

function checkPodMonitor(ctx: Context, monitor: KubernetesObject): void {
    const id = objectId(monitor);
    const pods = ctx.model.pods.filter((pod) => inMonitorNamespaces(monitor, pod.namespace) && selects(at(monitor.spec, "selector"), pod.labels));
    if (pods.length === 0) return void ctx.problems.push(`${id}: selects no pod`);
    for (const endpoint of list(monitor.spec, "podMetricsEndpoints").filter(isRecord)) {
        const targets = pods.flatMap((pod) => podMonitorPorts(pod, endpoint, id).map((port) => ({ pod, port })));
        if (targets.length === 0) ctx.problems.push(`${id}: no selected pod has port ${textOf(endpoint.port ?? endpoint.portNumber ?? "(from relabelings)")}`);
        for (const { pod, port } of targets) reach(ctx, id, pod, port);
    }
}

/** Static targets (the additional scrape configs Secret the Prometheus refers to): each host:port is a VM the firewall must admit. */
function checkStaticTargets(ctx: Context, prometheus: KubernetesObject): void {
    const ref = at(prometheus.spec, "additionalScrapeConfigs");
    if (!ref.name) return;
    const secret = ctx.model.objects.find(
        (object) => object.kind === "Secret" && object.metadata.namespace === prometheus.metadata.namespace && object.metadata.name === ref.name,
    );
    const encoded = secret ? at(secret, "data")[String(ref.key)] : undefined;
    if (typeof encoded !== "string")
        return void ctx.problems.push(`${objectId(prometheus)}: its additionalScrapeConfigs Secret ${textOf(ref.name)} is not rendered`);
    const jobs = load(Buffer.from(encoded, "base64").toString("utf8"));
    for (const job of Array.isArray(jobs) ? jobs.filter(isRecord) : []) {
        for (const target of list(job, "static_configs")
            .filter(isRecord)
            .flatMap((config) => list(config, "targets").map(String))) {
            const [host, port] = target.split(":");
            const id = `static ${String(job.job_name)} ${target}`;
            ctx.scrapes.push({ monitor: id, target: host, port: Number(port) });
            const instance = ctx.instances.find((candidate) => candidate.address === host);
            if (!instance) ctx.problems.push(`${id}: no VM has the address ${host}`);
            for (const source of nodesFor(ctx.prometheus, ctx.model.nodes)) {
                if (instance && !firewallAllows(ctx.firewall, source.tags, instance.tags, "tcp", Number(port)))
                    ctx.problems.push(`${id}: the GCE firewall drops tcp/${port} from ${source.name} to ${instance.name}`);
            }
        }
    }
}

/** Every scrape of every Prometheus the platform runs, and each way one of them cannot work. */
export function checkScrapes(model: ClusterModel, resources: readonly RenderedResource[]): ScrapeReport {
    const scrapes: Scrape[] = [];
    const problems: string[] = [];
    const prometheuses = model.objects.filter((object) => object.kind === "Prometheus");
    if (prometheuses.length === 0) return { scrapes, problems: ["no Prometheus is rendered"] };
    for (const prometheus of prometheuses) {
        const pod = model.pods.find(
            (candidate) => candidate.owner === `prometheus-operator: Prometheus/${prometheus.metadata.namespace}/${prometheus.metadata.name}`,
        );
        if (!pod) throw new Error(`no pod modelled for ${objectId(prometheus)}`);
        const ctx: Context = { model, firewall: firewallRulesOf(resources), instances: instancesOf(resources), prometheus: pod, scrapes, problems };
        for (const monitor of model.objects.filter(
            (object) => object.kind === "ServiceMonitor" && prometheusSelects(prometheus, "serviceMonitor", object, model),
        ))
            checkServiceMonitor(ctx, monitor);
        for (const monitor of model.objects.filter((object) => object.kind === "PodMonitor" && prometheusSelects(prometheus, "podMonitor", object, model)))
            checkPodMonitor(ctx, monitor);
        checkStaticTargets(ctx, prometheus);
    }
    return { scrapes, problems: [...new Set(problems)] };
}
