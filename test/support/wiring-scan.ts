import { parse } from "yaml";
import { KubernetesObject, objectId } from "../../components/shared/kubernetes-object";
import { isRecord } from "../../config/records";
import { PlacedObject } from "./platform-render";

/**
 * Finds the in-cluster addresses written anywhere in rendered objects and release values, by
 * their shape rather than by a list: `scheme://<svc>.<ns>[.svc[.cluster.local]][:port]`,
 * `<svc>.<ns>[.svc[.cluster.local]]:port`, a container env value `<svc>:port` (the pod's
 * namespace), and a mapping `{service|host|address: <svc>.<ns>..., port: <n>}` (istiod's
 * extensionProviders). Text inside ConfigMap and Secret data is also parsed as YAML.
 */

/** One place addresses are read from: an object, or a release's values. */
export interface ScanSite {
    /** "<release>: <Kind>/<ns>/<name>" or "<release>: values". */
    readonly label: string;
    readonly source: string;
    /** Where short names resolve (the object's or the release's namespace). */
    readonly namespace?: string;
    readonly value: unknown;
}

/** An address as written, split into the Service it names. */
export interface Address {
    readonly text: string;
    readonly scheme?: string;
    readonly service: string;
    readonly namespace: string;
    /** Explicit port; absent when the text leaves it to the scheme. */
    readonly port?: number;
}

export interface FoundAddress {
    readonly address: Address;
    readonly site: string;
    /** The field inside the site ("data.config.yaml", "spec.template.spec.containers[0].env[1].value"). */
    readonly path: string;
}

/** A release's values as Helm received them: scanned like objects (a value the chart drops is still an address given). */
export interface PlacedValues {
    readonly release: string;
    readonly namespace: string;
    readonly values: unknown;
}

const LABEL = "[a-z0-9](?:[-a-z0-9]*[a-z0-9])?";
const HOST = `${LABEL}(?:\\.${LABEL})+`;
const URL_PATTERN = new RegExp(`\\b(https?|grpcs?)://(${HOST})\\.?(?::(\\d{1,5}))?`, "gi");
// host:port not preceded by a scheme's "//", a longer host, or userinfo.
const HOST_PORT_PATTERN = new RegExp(`(?<![-a-z0-9./@])(${HOST})\\.?:(\\d{1,5})\\b`, "gi");
const SHORT_ENV_PATTERN = new RegExp(`^(${LABEL}):(\\d{1,5})$`, "i");
const CLUSTER_SUFFIXES = [".svc.cluster.local", ".svc"];
/** Keys that name a host next to a numeric `port` in structured config. */
const HOST_KEYS = ["service", "host", "address", "hostname"];

/** Every namespace the objects name or live in: a `<svc>.<ns>` host counts as in-cluster only with a known `<ns>`. */
export function knownNamespaces(objects: readonly PlacedObject[], values: readonly PlacedValues[] = []): ReadonlySet<string> {
    const names = new Set<string>(["default", "kube-system"]);
    for (const { object } of objects) {
        if (object.kind === "Namespace") names.add(object.metadata.name);
        if (object.metadata.namespace) names.add(object.metadata.namespace);
    }
    for (const release of values) names.add(release.namespace);
    return names;
}

/** `<svc>.<ns>`, `<svc>.<ns>.svc`, `<svc>.<ns>.svc.cluster.local` -> its Service; other hosts -> undefined. */
export function clusterHost(host: string, namespaces: ReadonlySet<string>): { service: string; namespace: string } | undefined {
    const lower = host.toLowerCase().replace(/\.$/, "");
    const suffix = CLUSTER_SUFFIXES.find((candidate) => lower.endsWith(candidate));
    const labels = (suffix ? lower.slice(0, -suffix.length) : lower).split(".");
    if (labels.length !== 2) return undefined;
    const [service, namespace] = labels as [string, string];
    // Without the cluster suffix, "coredns.io" is a public name: only a namespace we know makes it a Service.
    if (!suffix && !namespaces.has(namespace)) return undefined;
    return { service, namespace };
}

/** Addresses in one piece of text (URLs first, then scheme-less host:port in what is left). */
export function addressesInText(text: string, namespaces: ReadonlySet<string>): Address[] {
    const found: Address[] = [];
    const rest = text.replace(URL_PATTERN, (match: string, scheme: string, host: string, port?: string) => {
        const target = clusterHost(host, namespaces);
        if (target) found.push({ text: match, scheme: scheme.toLowerCase(), ...target, ...(port ? { port: Number(port) } : {}) });
        return " ".repeat(match.length);
    });
    for (const match of rest.matchAll(HOST_PORT_PATTERN)) {
        const target = clusterHost(match[1] ?? "", namespaces);
        if (target) found.push({ text: match[0], ...target, port: Number(match[2]) });
    }
    return found;
}

/** `{service: otel-collector.otel.svc.cluster.local, port: 4317}` and the like. */
function structuredAddress(mapping: Record<string, unknown>, namespaces: ReadonlySet<string>): Address | undefined {
    if (typeof mapping.port !== "number") return undefined;
    for (const key of HOST_KEYS) {
        const host = mapping[key];
        if (typeof host !== "string") continue;
        const target = clusterHost(host, namespaces);
        if (target) return { text: `${host}:${mapping.port} (${key}, port)`, ...target, port: mapping.port };
    }
    return undefined;
}

/** Text that holds a document (ConfigMap/Secret data, YAML in a string): parsed, or undefined. */
function parsedDocument(text: string): unknown {
    if (!text.includes("\n") && !text.trimStart().startsWith("{")) return undefined;
    try {
        // Silent: dashboards and templates hold "{{ label }}" that YAML reads as odd keys, harmlessly.
        const value: unknown = parse(text, { logLevel: "silent" });
        return isRecord(value) || Array.isArray(value) ? value : undefined;
    } catch {
        return undefined;
    }
}

function isEnvPath(path: string): boolean {
    return /\.env\[\d+\]\.value$/.test(path);
}

/** Every address in a site, with the field it sits in. */
export function addressesInSite(site: ScanSite, namespaces: ReadonlySet<string>): FoundAddress[] {
    const found: FoundAddress[] = [];
    const visit = (value: unknown, path: string, structuredOnly: boolean): void => {
        if (typeof value === "string") {
            if (!structuredOnly) found.push(...addressesInText(value, namespaces).map((address) => ({ address, site: site.label, path })));
            const short = isEnvPath(path) && site.namespace ? SHORT_ENV_PATTERN.exec(value) : null;
            if (short && short[1] !== "localhost" && !structuredOnly) {
                found.push({
                    address: { text: value, service: short[1] ?? "", namespace: site.namespace ?? "", port: Number(short[2]) },
                    site: site.label,
                    path,
                });
            }
            const document = parsedDocument(value);
            // The text was scanned as text already: its parse adds only structured addresses.
            if (document !== undefined) visit(document, path, true);
        } else if (Array.isArray(value)) {
            value.forEach((item, index) => visit(item, `${path}[${index}]`, structuredOnly));
        } else if (isRecord(value)) {
            const structured = structuredAddress(value, namespaces);
            if (structured) found.push({ address: structured, site: site.label, path });
            for (const [key, item] of Object.entries(value)) visit(item, path ? `${path}.${key}` : key, structuredOnly);
        }
    };
    visit(site.value, "", false);
    return found;
}

/** A Secret's base64 `data` decoded, so its text is scanned like a ConfigMap's. */
function decodedSecret(object: KubernetesObject): KubernetesObject {
    if (object.kind !== "Secret" || !isRecord(object.data)) return object;
    const data = Object.fromEntries(
        Object.entries(object.data).map(([key, value]) => [key, typeof value === "string" ? Buffer.from(value, "base64").toString("utf8") : value]),
    );
    return { ...object, data };
}

export function objectSite(placed: PlacedObject): ScanSite {
    return {
        label: `${placed.source}: ${objectId(placed.object)}`,
        source: placed.source,
        namespace: placed.object.metadata.namespace,
        value: decodedSecret(placed.object),
    };
}

/** Where the platform's addresses are written: every object but CRDs (schemas, not configuration), and every release's values. */
export function scanSites(objects: readonly PlacedObject[], values: readonly PlacedValues[]): ScanSite[] {
    return [
        ...objects.filter(({ object }) => object.kind !== "CustomResourceDefinition").map(objectSite),
        ...values.map((release) => ({ label: `${release.release}: values`, source: release.release, namespace: release.namespace, value: release.values })),
    ];
}

/** The pod template of a workload-like object (Deployment, StatefulSet, DaemonSet, Job, Pod). */
export function podTemplate(
    object: KubernetesObject,
): { labels: Record<string, string>; annotations: Record<string, string>; spec: Record<string, unknown> } | undefined {
    const spec = isRecord(object.spec) ? object.spec : {};
    const template = object.kind === "Pod" ? { metadata: object.metadata, spec } : spec.template;
    if (!isRecord(template) || !isRecord(template.spec)) return undefined;
    const metadata = isRecord(template.metadata) ? template.metadata : {};
    const strings = (value: unknown): Record<string, string> =>
        isRecord(value) ? Object.fromEntries(Object.entries(value).map(([key, item]) => [key, String(item)])) : {};
    return { labels: strings(metadata.labels), annotations: strings(metadata.annotations), spec: template.spec };
}

export const WORKLOAD_KINDS = new Set(["Deployment", "StatefulSet", "DaemonSet", "Job", "Pod"]);

/** ConfigMaps a pod reads from its namespace: volumes, projected volume sources and envFrom. */
export function configMapsOf(workload: KubernetesObject, objects: readonly PlacedObject[]): KubernetesObject[] {
    const spec = podTemplate(workload)?.spec ?? {};
    const records = (value: unknown): Record<string, unknown>[] => (Array.isArray(value) ? value.filter(isRecord) : []);
    const names = new Set<string>();
    for (const volume of records(spec.volumes)) {
        if (isRecord(volume.configMap)) names.add(String(volume.configMap.name));
        for (const source of records(isRecord(volume.projected) ? volume.projected.sources : undefined))
            if (isRecord(source.configMap)) names.add(String(source.configMap.name));
    }
    for (const container of [...records(spec.containers), ...records(spec.initContainers)]) {
        for (const from of records(container.envFrom)) if (isRecord(from.configMapRef)) names.add(String(from.configMapRef.name));
    }
    return objects
        .map(({ object }) => object)
        .filter((object) => object.kind === "ConfigMap" && object.metadata.namespace === workload.metadata.namespace && names.has(object.metadata.name));
}
