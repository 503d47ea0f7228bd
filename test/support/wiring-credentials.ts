import { parse } from "yaml";
import { KubernetesObject, objectId } from "../../components/shared/kubernetes-object";
import { isRecord } from "../../config/records";
import { namespaceLabelMap } from "./cluster-model";
import { PlacedObject } from "./platform-render";
import { KnownService, knownServices, resolveAddress, RuntimeServiceRule } from "./wiring-addresses";
import { calleeConfig, configRequirements, meshRequirement, Requirement } from "./wiring-callee";
import { injected, meshConfig } from "./wiring-egress";
import { addressesInText, configMapsOf, knownNamespaces, podTemplate, WORKLOAD_KINDS } from "./wiring-scan";
import { textOf } from "./text";

/**
 * Check C: every console that calls another (Kiali -> Prometheus, Grafana, Tempo; Grafana's
 * datasources -> Prometheus, Alertmanager, Loki, Tempo) carries what the callee requires, as
 * the callee's own rendered configuration says (wiring-callee.ts).
 */

/** What a caller sends. A credential kept in a Secret counts when the Secret is rendered in the caller's namespace and its pods mount it. */
export interface Credentials {
    readonly basic: boolean;
    readonly token: boolean;
    readonly headers: readonly string[];
    readonly clientCertificate: boolean;
    readonly meshIdentity: boolean;
    /** Where each credential comes from, or why one given does not count. */
    readonly notes: readonly string[];
}

export interface ConsoleCall {
    /** "ConfigMap/istio-system/kiali (kiali) -> grafana", "ConfigMap/monitoring/kps-grafana-datasource datasource Loki" */
    readonly caller: string;
    readonly url: string;
    readonly callee?: string;
    readonly requirements: readonly Requirement[];
    readonly credentials: Credentials;
    readonly problems: readonly string[];
}

const text = (value: unknown) => (typeof value === "string" && value !== "" ? value : undefined);
const record = (value: unknown): Record<string, unknown> => (isRecord(value) ? value : {});

function yamlRecord(value: unknown): Record<string, unknown> {
    if (typeof value !== "string") return {};
    try {
        return record(parse(value, { logLevel: "silent" }));
    } catch {
        return {};
    }
}

/** Kiali's `secret:<name>:<key>`: the chart mounts that Secret's key, so it counts when the Secret is rendered and mounted. */
function secretReference(
    value: string | undefined,
    namespace: string,
    workload: KubernetesObject | undefined,
    objects: readonly PlacedObject[],
    notes: string[],
): boolean {
    if (value === undefined) return false;
    const reference = /^secret:([^:]+):(.+)$/.exec(value);
    if (!reference) return true;
    const [, name, key] = reference;
    const exists = objects.some(({ object }) => object.kind === "Secret" && object.metadata.namespace === namespace && object.metadata.name === name);
    const volumes = workload ? podTemplate(workload)?.spec.volumes : undefined;
    const mounted = (Array.isArray(volumes) ? volumes.filter(isRecord) : []).some((volume) => record(volume.secret).secretName === name);
    notes.push(
        `${value}: Secret ${namespace}/${name} ${exists ? "rendered" : "MISSING"}, ${mounted ? "mounted" : "NOT mounted"} (key ${key}; contents redacted by the renderer)`,
    );
    return exists && mounted;
}

/** Kiali's `external_services.<name>` block as credentials. */
function kialiCredentials(
    service: Record<string, unknown>,
    namespace: string,
    workload: KubernetesObject | undefined,
    objects: readonly PlacedObject[],
    meshIdentity: boolean,
): Credentials {
    const auth = record(service.auth);
    const notes: string[] = [];
    const type = text(auth.type) ?? "none";
    const basic =
        type === "basic" &&
        secretReference(text(auth.username), namespace, workload, objects, notes) &&
        secretReference(text(auth.password), namespace, workload, objects, notes);
    const token = type === "bearer" && (auth.use_kiali_token === true || secretReference(text(auth.token), namespace, workload, objects, notes));
    notes.unshift(`auth.type ${type}`);
    return { basic, token, headers: Object.keys(record(service.custom_headers)), clientCertificate: text(auth.cert_file) !== undefined, meshIdentity, notes };
}

/** A Grafana datasource's credentials (secureJsonData carries the secret halves). */
function datasourceCredentials(source: Record<string, unknown>, meshIdentity: boolean): Credentials {
    const json = record(source.jsonData);
    const secure = record(source.secureJsonData);
    const headers = Object.keys(json)
        .filter((key) => /^httpHeaderName\d+$/.test(key))
        .filter((key) => text(secure[key.replace("Name", "Value")]) !== undefined)
        .map((key) => String(json[key]));
    const basic = source.basicAuth === true && text(source.basicAuthUser) !== undefined && text(secure.basicAuthPassword) !== undefined;
    const token = headers.some((header) => header.toLowerCase() === "authorization");
    return {
        basic,
        token,
        headers,
        clientCertificate: json.tlsAuth === true && text(secure.tlsClientCert) !== undefined,
        meshIdentity,
        notes: [`basicAuth ${textOf(source.basicAuth ?? false)}, headers [${headers.join(", ")}]`],
    };
}

/** The requirement the credentials leave unmet, in words; undefined when met. */
function unmet(requirement: Requirement, credentials: Credentials): string | undefined {
    switch (requirement.kind) {
        case "login":
            return (requirement.basic && credentials.basic) || credentials.token
                ? undefined
                : `needs a login (${requirement.basic ? "basic or token" : "token"}): ${requirement.why}`;
        case "header":
            return credentials.headers.some((header) => header.toLowerCase() === requirement.header.toLowerCase())
                ? undefined
                : `needs header ${requirement.header}: ${requirement.why}`;
        case "client-certificate":
            return credentials.clientCertificate ? undefined : `needs a client certificate: ${requirement.why}`;
        case "mesh-identity":
            return credentials.meshIdentity ? undefined : `caller has no sidecar: ${requirement.why}`;
        default: {
            const never: never = requirement;
            return never;
        }
    }
}

interface CallSpec {
    readonly caller: string;
    readonly url: string;
    readonly credentials: Credentials;
}

/** Kiali's calls, from the ConfigMap its pods mount (config.yaml with external_services). */
function kialiCalls(objects: readonly PlacedObject[]): CallSpec[] {
    const labels = namespaceLabelMap(objects);
    return objects.flatMap(({ object }) => {
        const config = object.kind === "ConfigMap" && isRecord(object.data) ? yamlRecord(object.data["config.yaml"]) : {};
        const external = record(config.external_services);
        if (Object.keys(external).length === 0) return [];
        const namespace = object.metadata.namespace ?? "default";
        const workload = objects.find(
            ({ object: candidate }) =>
                WORKLOAD_KINDS.has(candidate.kind) && candidate.metadata.namespace === namespace && configMapsOf(candidate, objects).includes(object),
        )?.object;
        const mesh = workload !== undefined && injected(workload, labels);
        return ["prometheus", "grafana", "tracing"].flatMap((name) => {
            const service = record(external[name]);
            const url = text(service.internal_url) ?? text(service.url);
            if (service.enabled === false || url === undefined) return [];
            return [{ caller: `${objectId(object)} (kiali) -> ${name}`, url, credentials: kialiCredentials(service, namespace, workload, objects, mesh) }];
        });
    });
}

/** Grafana's provisioned datasources (ConfigMap data with `datasources:`), as calls from Grafana's namespace. */
function datasourceCalls(objects: readonly PlacedObject[]): CallSpec[] {
    const labels = namespaceLabelMap(objects);
    return objects.flatMap(({ object }) => {
        if (object.kind !== "ConfigMap" || !isRecord(object.data)) return [];
        const namespace = object.metadata.namespace ?? "default";
        // The datasource sidecar loads these into Grafana, in this namespace: its pods are the callers.
        const mesh = labels.get(namespace)?.["istio-injection"] === "enabled";
        return Object.entries(object.data).flatMap(([key, value]) => {
            const document = key.endsWith(".yaml") ? yamlRecord(value) : {};
            const sources = Array.isArray(document.datasources) ? document.datasources.filter(isRecord) : [];
            return sources.flatMap((source) =>
                text(source.url)
                    ? [
                          {
                              caller: `${objectId(object)} datasource ${String(source.name)}`,
                              url: String(source.url),
                              credentials: datasourceCredentials(source, mesh),
                          },
                      ]
                    : [],
            );
        });
    });
}

/** Every console-to-console call with what the callee requires and whether the caller has it. */
export function checkConsoleCredentials(objects: readonly PlacedObject[], rules: readonly RuntimeServiceRule[]): ConsoleCall[] {
    const namespaces = knownNamespaces(objects);
    const services = knownServices(objects, rules);
    const root = meshConfig(objects)?.rootNamespace ?? "istio-system";
    return [...kialiCalls(objects), ...datasourceCalls(objects)].map((call) => {
        const address = addressesInText(call.url, namespaces)[0];
        if (!address) return { ...call, requirements: [], problems: [`${call.url} is no in-cluster address`] };
        const resolved = resolveAddress(address, services);
        const service: KnownService | undefined = services.find((known) => known.namespace === address.namespace && known.name === address.service);
        if (!resolved.target || !service) return { ...call, requirements: [], problems: [resolved.problem ?? "unresolved"] };
        const config = calleeConfig(service, services, objects);
        const mesh = meshRequirement(service, config, objects, root);
        const requirements = [...configRequirements(config), ...(mesh ? [mesh] : [])];
        const problems = requirements.map((requirement) => unmet(requirement, call.credentials)).filter((problem): problem is string => problem !== undefined);
        return { ...call, callee: resolved.target, requirements, problems };
    });
}

export function describeCall(call: ConsoleCall): string {
    const needs =
        call.requirements.map((requirement) => requirement.kind + (requirement.kind === "header" ? ` ${requirement.header}` : "")).join(", ") || "nothing";
    const outcome = call.problems.length === 0 ? "ok" : `MISSING: ${call.problems.join("; ")}`;
    return `${call.caller} -> ${call.callee ?? call.url}: requires ${needs}; caller has ${call.credentials.notes.join(", ")}: ${outcome}`;
}
