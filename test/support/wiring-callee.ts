import { parse } from "yaml";
import { KubernetesObject, objectId } from "../../components/shared/kubernetes-object";
import { isRecord } from "../../config/records";
import { namespaceLabelMap, selectsExactly } from "./cluster-model";
import { PlacedObject } from "./platform-render";
import { KnownService } from "./wiring-addresses";
import { injected } from "./wiring-egress";
import { addressesInSite, configMapsOf, knownNamespaces, objectSite, podTemplate, WORKLOAD_KINDS } from "./wiring-scan";
import { textOf } from "./text";

/**
 * What a callee requires of whoever calls it, read from its own rendered configuration: the
 * ConfigMaps its pods mount (and those of the Services it proxies to in its namespace, so a
 * gateway answers for its backends), the operator object behind an operator-made Service, and
 * the mesh (a sidecar under STRICT mTLS accepts only mesh identities).
 */

export type Requirement =
    | { readonly kind: "login"; readonly basic: boolean; readonly why: string }
    | { readonly kind: "header"; readonly header: string; readonly why: string }
    | { readonly kind: "client-certificate"; readonly why: string }
    | { readonly kind: "mesh-identity"; readonly why: string };

const TENANT_HEADER = "X-Scope-OrgID";

function selectorOfService(service: KubernetesObject): Record<string, unknown> {
    const spec = isRecord(service.spec) ? service.spec : {};
    return isRecord(spec.selector) ? spec.selector : {};
}

/** Workloads behind a rendered Service (its selector against pod template labels, same namespace). */
function selectedWorkloads(service: KubernetesObject, objects: readonly PlacedObject[]): KubernetesObject[] {
    const selector = selectorOfService(service);
    if (Object.keys(selector).length === 0) return [];
    return objects
        .map(({ object }) => object)
        .filter(
            (object) =>
                WORKLOAD_KINDS.has(object.kind) &&
                object.metadata.namespace === service.metadata.namespace &&
                selectsExactly(selector, podTemplate(object)?.labels ?? {}),
        );
}

/** Operator objects (Prometheus, Alertmanager) a Service's selector names, or that made the Service at run time. */
function operatorObjects(service: KnownService, objects: readonly PlacedObject[], rendered?: KubernetesObject): KubernetesObject[] {
    const named = new Set(Object.values(rendered ? selectorOfService(rendered) : {}).map(String));
    return objects
        .map(({ object }) => object)
        .filter(
            (object) =>
                ["Prometheus", "Alertmanager"].includes(object.kind) &&
                object.metadata.namespace === service.namespace &&
                (named.has(object.metadata.name) || service.owner === objectId(object)),
        );
}

export interface CalleeConfig {
    readonly configMaps: readonly KubernetesObject[];
    readonly operatorObjects: readonly KubernetesObject[];
    readonly workloads: readonly KubernetesObject[];
}

/** The callee's configuration: its pods' ConfigMaps, followed through the same-namespace Services they address. */
export function calleeConfig(service: KnownService, services: readonly KnownService[], objects: readonly PlacedObject[]): CalleeConfig {
    const namespaces = knownNamespaces(objects);
    const renderedService = (name: string) =>
        objects.find(({ object }) => object.kind === "Service" && object.metadata.namespace === service.namespace && object.metadata.name === name)?.object;
    const seen = new Set<string>();
    const configMaps = new Map<string, KubernetesObject>();
    const workloads = new Map<string, KubernetesObject>();
    const visit = (name: string): void => {
        if (seen.has(name)) return;
        seen.add(name);
        const rendered = renderedService(name);
        for (const workload of rendered ? selectedWorkloads(rendered, objects) : []) {
            workloads.set(objectId(workload), workload);
            for (const configMap of configMapsOf(workload, objects)) {
                configMaps.set(objectId(configMap), configMap);
                const next = addressesInSite(objectSite({ source: "", object: configMap }), namespaces)
                    .map(({ address }) => address)
                    .filter((address) => address.namespace === service.namespace);
                for (const address of next)
                    if (services.some((known) => known.namespace === service.namespace && known.name === address.service)) visit(address.service);
            }
        }
    };
    visit(service.name);
    return {
        configMaps: [...configMaps.values()],
        operatorObjects: operatorObjects(service, objects, renderedService(service.name)),
        workloads: [...workloads.values()],
    };
}

const dataEntries = (configMap: KubernetesObject): [string, string][] =>
    isRecord(configMap.data) ? Object.entries(configMap.data).map(([key, value]) => [key, String(value)]) : [];

/** grafana.ini: `[section]` then `key = value`. */
function iniValue(text: string, section: string, key: string): string | undefined {
    let current = "";
    for (const line of text.split("\n").map((raw) => raw.trim())) {
        const header = /^\[(.+)\]$/.exec(line);
        if (header) current = header[1] ?? "";
        const pair = /^([^=#;]+?)\s*=\s*(.*)$/.exec(line);
        if (pair && current === section && pair[1] === key) return pair[2];
    }
    return undefined;
}

function yamlOf(text: string): Record<string, unknown> {
    try {
        const value: unknown = parse(text, { logLevel: "silent" });
        return isRecord(value) ? value : {};
    } catch {
        return {};
    }
}

/** What the callee's own configuration demands of a caller. */
export function configRequirements(config: CalleeConfig): Requirement[] {
    const found: Requirement[] = [];
    for (const configMap of config.configMaps) {
        const where = objectId(configMap);
        for (const [key, text] of dataEntries(configMap)) {
            if (key === "grafana.ini" && iniValue(text, "auth.anonymous", "enabled") !== "true") {
                // Grafana's API then answers 401 to a caller without a login; basic login can be switched off.
                found.push({
                    kind: "login",
                    basic: iniValue(text, "auth.basic", "enabled") !== "false",
                    why: `${where} grafana.ini: [auth.anonymous] enabled is not true`,
                });
            }
            const document = key.endsWith(".yaml") || key.endsWith(".yml") ? yamlOf(text) : {};
            // Loki defaults to multi-tenant (auth_enabled true); Tempo to single-tenant.
            if ("auth_enabled" in document && document.auth_enabled !== false)
                found.push({ kind: "header", header: TENANT_HEADER, why: `${where} ${key}: auth_enabled is ${String(document.auth_enabled)}` });
            if (document.multitenancy_enabled === true)
                found.push({ kind: "header", header: TENANT_HEADER, why: `${where} ${key}: multitenancy_enabled is true` });
            if (/^\s*auth_basic\s+"[^"]*"\s*;/m.test(text)) found.push({ kind: "login", basic: true, why: `${where} ${key}: nginx auth_basic is on` });
        }
    }
    for (const object of config.operatorObjects) {
        const spec = isRecord(object.spec) ? object.spec : {};
        const web = isRecord(spec.web) ? spec.web : {};
        const tls = isRecord(web.tlsConfig) ? web.tlsConfig : {};
        if (textOf(tls.clientAuthType ?? "").startsWith("Require"))
            found.push({ kind: "client-certificate", why: `${objectId(object)} spec.web.tlsConfig.clientAuthType ${String(tls.clientAuthType)}` });
    }
    return found;
}

/** STRICT mTLS in the root namespace or the callee's, for a callee whose pods carry a sidecar. */
export function meshRequirement(service: KnownService, config: CalleeConfig, objects: readonly PlacedObject[], rootNamespace: string): Requirement | undefined {
    const labels = namespaceLabelMap(objects);
    const inMesh =
        config.workloads.length > 0
            ? config.workloads.some((workload) => injected(workload, labels))
            : labels.get(service.namespace)?.["istio-injection"] === "enabled";
    if (!inMesh) return undefined;
    const strict = objects
        .map(({ object }) => object)
        .find(
            (object) =>
                object.kind === "PeerAuthentication" &&
                [rootNamespace, service.namespace].includes(object.metadata.namespace ?? "") &&
                isRecord(object.spec) &&
                isRecord(object.spec.mtls) &&
                object.spec.mtls.mode === "STRICT",
        );
    return strict ? { kind: "mesh-identity", why: `${service.namespace}/${service.name} runs a sidecar and ${objectId(strict)} is STRICT` } : undefined;
}
