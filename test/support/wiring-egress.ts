import { parse } from "yaml";
import { KubernetesObject, objectId } from "../../components/shared/kubernetes-object";
import { isRecord } from "../../config/records";
import { namespaceLabelMap, selectsExactly } from "./cluster-model";
import { sidecarInjected } from "./cluster-pods";
import { PlacedObject } from "./platform-render";
import { Address, addressesInSite, clusterHost, configMapsOf, knownNamespaces, objectSite, podTemplate, WORKLOAD_KINDS } from "./wiring-scan";
import { textOf } from "./text";

/**
 * Check B: a workload whose egress an Istio `Sidecar` scopes can reach every destination it is
 * configured to call: the addresses in its own spec and in the ConfigMaps it mounts, the
 * tracing provider its Telemetry names (Envoy exports spans through an outbound cluster that
 * exists only for hosts the Sidecar imports, istio/istio#53701) and the control plane
 * (meshConfig defaultConfig.discoveryAddress).
 */

/** A destination as a Sidecar sees it: the Service's namespace and FQDN, and the port dialled. */
export interface Destination {
    readonly namespace: string;
    readonly host: string;
    readonly port?: number;
    /** What asks for it: "env PRODUCT_CATALOG_SERVICE_ADDR", "tracing provider otel-tracing", ... */
    readonly why: string;
}

export interface EgressFinding {
    /** "<Kind>/<ns>/<name>" of the workload. */
    readonly workload: string;
    /** "Sidecar/<ns>/<name>", or undefined when no Sidecar scopes the workload (all hosts visible). */
    readonly sidecar?: string;
    readonly destination: Destination;
    readonly allowed: boolean;
}

export interface EgressReport {
    readonly sidecars: readonly string[];
    /** Workloads in the mesh and the Sidecar that scopes each (undefined: none, so unrestricted). */
    readonly workloads: readonly { readonly workload: string; readonly sidecar?: string }[];
    readonly findings: readonly EgressFinding[];
    /** Workloads more than one Sidecar selects (Istio then picks one arbitrarily). */
    readonly ambiguous: readonly string[];
}

const fqdn = (service: string, namespace: string) => `${service}.${namespace}.svc.cluster.local`;

interface MeshConfig {
    readonly rootNamespace: string;
    readonly discovery?: Address;
    readonly providers: ReadonlyMap<string, { readonly host: string; readonly port: number }>;
    readonly defaultTracing: readonly string[];
}

/** istiod's mesh config, read from the rendered ConfigMap that carries it (`data.mesh`). */
export function meshConfig(objects: readonly PlacedObject[]): MeshConfig | undefined {
    const namespaces = knownNamespaces(objects);
    const data = objects
        .map(({ object }) => object)
        .find((object) => object.kind === "ConfigMap" && isRecord(object.data) && typeof object.data.mesh === "string")?.data;
    if (!isRecord(data)) return undefined;
    const mesh: unknown = parse(String(data.mesh));
    if (!isRecord(mesh)) return undefined;
    const providers = new Map<string, { host: string; port: number }>();
    for (const provider of Array.isArray(mesh.extensionProviders) ? mesh.extensionProviders.filter(isRecord) : []) {
        const body = Object.values(provider).find((value) => isRecord(value) && typeof value.service === "string");
        if (isRecord(body)) providers.set(String(provider.name), { host: String(body.service), port: Number(body.port) });
    }
    const defaultConfig = isRecord(mesh.defaultConfig) ? mesh.defaultConfig : {};
    const [host, port] = textOf(defaultConfig.discoveryAddress ?? "").split(":");
    const discoveryTarget = host ? clusterHost(host, namespaces) : undefined;
    const defaults = isRecord(mesh.defaultProviders) && Array.isArray(mesh.defaultProviders.tracing) ? mesh.defaultProviders.tracing.map(String) : [];
    return {
        rootNamespace: textOf(mesh.rootNamespace ?? "istio-system"),
        ...(discoveryTarget ? { discovery: { text: String(defaultConfig.discoveryAddress), ...discoveryTarget, port: Number(port) } } : {}),
        providers,
        defaultTracing: defaults,
    };
}

/** Whether a workload's pods get a sidecar (the cluster model's one injection rule). */
export function injected(object: KubernetesObject, namespaceLabels: ReadonlyMap<string, Readonly<Record<string, string>>>): boolean {
    const pod = podTemplate(object);
    return (
        pod !== undefined &&
        sidecarInjected({ ...pod, hostNetwork: pod.spec.hostNetwork === true }, namespaceLabels.get(object.metadata.namespace ?? "default") ?? {})
    );
}

const selectorOf = (object: KubernetesObject, field: string): Record<string, unknown> | undefined => {
    const spec = isRecord(object.spec) ? object.spec : {};
    const selector = spec[field];
    if (!isRecord(selector)) return undefined;
    return isRecord(selector.labels) ? selector.labels : isRecord(selector.matchLabels) ? selector.matchLabels : undefined;
};

/** The Sidecar Istio applies: one selecting the pod in its namespace, else its namespace's default, else the root namespace's. */
function sidecarFor(
    object: KubernetesObject,
    sidecars: readonly KubernetesObject[],
    rootNamespace: string,
): { sidecar?: KubernetesObject; ambiguous: boolean } {
    const labels = podTemplate(object)?.labels ?? {};
    const namespace = object.metadata.namespace;
    const selecting = sidecars.filter(
        (sidecar) =>
            sidecar.metadata.namespace === namespace &&
            selectorOf(sidecar, "workloadSelector") !== undefined &&
            selectsExactly(selectorOf(sidecar, "workloadSelector") ?? {}, labels),
    );
    if (selecting.length > 0) return { sidecar: selecting[0], ambiguous: selecting.length > 1 };
    const fallback = (ns: string) => sidecars.find((sidecar) => sidecar.metadata.namespace === ns && selectorOf(sidecar, "workloadSelector") === undefined);
    return { sidecar: fallback(namespace ?? "default") ?? fallback(rootNamespace), ambiguous: false };
}

/** `<ns>/<dnsName>` (ns `*`, `.` or a name; dnsName `*`, `*.suffix` or an FQDN) admits the destination. */
function hostAdmits(entry: string, sidecarNamespace: string, destination: Destination): boolean {
    const slash = entry.indexOf("/");
    if (slash < 0) return false;
    const namespace = entry.slice(0, slash);
    const dnsName = entry.slice(slash + 1);
    const namespaceOk = namespace === "*" || (namespace === "." ? sidecarNamespace === destination.namespace : namespace === destination.namespace);
    const dnsOk = dnsName === "*" || (dnsName.startsWith("*.") ? destination.host.endsWith(dnsName.slice(1)) : dnsName === destination.host);
    return namespaceOk && dnsOk;
}

/** The Sidecar's egress listeners admit the destination (a listener with a port admits only that port). */
function sidecarAdmits(sidecar: KubernetesObject, destination: Destination): boolean {
    const spec = isRecord(sidecar.spec) ? sidecar.spec : {};
    const listeners = Array.isArray(spec.egress) ? spec.egress.filter(isRecord) : [];
    return listeners.some((listener) => {
        const port = isRecord(listener.port) ? Number(listener.port.number) : undefined;
        if (port !== undefined && destination.port !== undefined && port !== destination.port) return false;
        const hosts = Array.isArray(listener.hosts) ? listener.hosts.map(String) : [];
        return hosts.some((entry) => hostAdmits(entry, sidecar.metadata.namespace ?? "default", destination));
    });
}

/** Tracing providers that apply to a pod: Telemetry in the root namespace, or in its own (selector matching), else the mesh default. */
function tracingProviders(object: KubernetesObject, telemetries: readonly KubernetesObject[], mesh: MeshConfig): string[] {
    const labels = podTemplate(object)?.labels ?? {};
    const applies = telemetries.filter((telemetry) => {
        const selector = selectorOf(telemetry, "selector");
        if (telemetry.metadata.namespace === mesh.rootNamespace) return selector === undefined || selectsExactly(selector, labels);
        return telemetry.metadata.namespace === object.metadata.namespace && (selector === undefined || selectsExactly(selector, labels));
    });
    const named = applies.flatMap((telemetry) => {
        const spec = isRecord(telemetry.spec) ? telemetry.spec : {};
        const tracing = Array.isArray(spec.tracing) ? spec.tracing.filter(isRecord) : [];
        return tracing.flatMap((entry) => (Array.isArray(entry.providers) ? entry.providers.filter(isRecord).map((provider) => String(provider.name)) : []));
    });
    return applies.length > 0 && named.length === 0 ? [...mesh.defaultTracing] : named;
}

/** What one workload is configured to call. */
function destinationsOf(
    placed: PlacedObject,
    objects: readonly PlacedObject[],
    mesh: MeshConfig,
    telemetries: readonly KubernetesObject[],
    namespaces = knownNamespaces(objects),
): Destination[] {
    const configured = [placed, ...configMapsOf(placed.object, objects).map((object) => ({ source: placed.source, object }))].flatMap((site) =>
        addressesInSite(objectSite(site), namespaces).map(({ address, path }) => ({
            namespace: address.namespace,
            host: fqdn(address.service, address.namespace),
            port: address.port,
            why: `${objectId(site.object)} ${path}`,
        })),
    );
    const tracing = tracingProviders(placed.object, telemetries, mesh).flatMap((name) => {
        const provider = mesh.providers.get(name);
        const target = provider ? clusterHost(provider.host, namespaces) : undefined;
        return target
            ? [{ namespace: target.namespace, host: fqdn(target.service, target.namespace), port: provider?.port, why: `tracing provider ${name}` }]
            : [];
    });
    const discovery = mesh.discovery;
    const controlPlane = discovery
        ? [
              {
                  namespace: discovery.namespace,
                  host: fqdn(discovery.service, discovery.namespace),
                  port: discovery.port,
                  why: "control plane (discoveryAddress)",
              },
          ]
        : [];
    return [...configured, ...tracing, ...controlPlane];
}

/** Every injected workload, the Sidecar that scopes it, and whether that Sidecar admits each destination. */
export function checkEgress(objects: readonly PlacedObject[]): EgressReport {
    const mesh = meshConfig(objects);
    if (!mesh) throw new Error("no ConfigMap carries istiod's mesh config (data.mesh)");
    const kinds = (kind: string) => objects.filter(({ object }) => object.kind === kind).map(({ object }) => object);
    const sidecars = kinds("Sidecar");
    const telemetries = kinds("Telemetry");
    const labels = namespaceLabelMap(objects);
    const namespaces = knownNamespaces(objects);
    const workloads = objects.filter(({ object }) => WORKLOAD_KINDS.has(object.kind) && injected(object, labels));
    const findings: EgressFinding[] = [];
    const scoped: { workload: string; sidecar?: string }[] = [];
    const ambiguous: string[] = [];
    for (const placed of workloads) {
        const workload = objectId(placed.object);
        const { sidecar, ambiguous: many } = sidecarFor(placed.object, sidecars, mesh.rootNamespace);
        if (many) ambiguous.push(workload);
        scoped.push({ workload, ...(sidecar ? { sidecar: objectId(sidecar) } : {}) });
        for (const destination of destinationsOf(placed, objects, mesh, telemetries, namespaces)) {
            findings.push({
                workload,
                ...(sidecar ? { sidecar: objectId(sidecar) } : {}),
                destination,
                allowed: sidecar === undefined || sidecarAdmits(sidecar, destination),
            });
        }
    }
    return { sidecars: sidecars.map(objectId), workloads: scoped, findings, ambiguous };
}

export function describeEgress(finding: EgressFinding): string {
    const { destination } = finding;
    const target = `${destination.namespace}/${destination.host}${destination.port ? `:${destination.port}` : ""}`;
    return `${finding.workload} -> ${target} (${destination.why}): ${finding.allowed ? "admitted" : `NOT admitted by ${finding.sidecar}`}`;
}
