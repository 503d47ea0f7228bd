import { parseAllDocuments } from "yaml";
import { at, isRecord, lower, Props, recordsIn, shown } from "./props";
import type { Rule } from "./rule";

const WEAK_MTLS_MODES = ["PERMISSIVE", "DISABLE"];
const isWeakMode = (mode: unknown): boolean => typeof mode === "string" && WEAK_MTLS_MODES.includes(mode.toUpperCase());

function isPeerAuthentication(object: Props): boolean {
    const apiVersion = object.apiVersion;
    return object.kind === "PeerAuthentication" && typeof apiVersion === "string" && apiVersion.startsWith("security.istio.io/");
}

/** What is wrong with one PeerAuthentication: a mode (workload-wide or per port) that lets plaintext in. */
export function peerAuthenticationViolations(object: Props): string[] {
    const weak: [string, unknown][] = [];
    const mode = at(object, "spec", "mtls", "mode");
    if (isWeakMode(mode)) weak.push(["spec.mtls.mode", mode]);
    // A map from port number to settings in Istio's API; a list is read the same way, by index.
    const portLevel = at(object, "spec", "portLevelMtls");
    if (isRecord(portLevel) || Array.isArray(portLevel)) {
        for (const [port, settings] of Object.entries(portLevel)) {
            const portMode = at(settings, "mode");
            if (isWeakMode(portMode)) weak.push([`spec.portLevelMtls[${port}].mode`, portMode]);
        }
    }
    if (weak.length === 0) return [];
    const id = [at(object, "metadata", "namespace"), at(object, "metadata", "name")].filter((part) => typeof part === "string").join("/") || "(unnamed)";
    return weak.map(([field, value]) => `PeerAuthentication ${id}: ${field} is ${shown(value)}; mTLS must not be PERMISSIVE or DISABLE`);
}

/** The objects a ConfigGroup applies: `objs`, and the documents of its `yaml` text. */
function configGroupObjects(props: Props): Props[] {
    const fromYaml = typeof props.yaml === "string" ? parseAllDocuments(props.yaml).map((document) => document.toJS() as unknown) : [];
    return [...recordsIn(props.objs), ...fromYaml.filter(isRecord)];
}

export const strictMtls: Rule = {
    name: "istio-mtls-not-permissive",
    description: "No Istio PeerAuthentication accepts plaintext (mode PERMISSIVE or DISABLE), workload-wide or on a port",
    // The engine sees a ConfigGroup's children as resources of their own; the offline render sees only the group.
    resourceTypes: [
        "kubernetes:security.istio.io/v1:PeerAuthentication",
        "kubernetes:security.istio.io/v1beta1:PeerAuthentication",
        "kubernetes:yaml/v2:ConfigGroup",
    ],
    check(props) {
        // A PeerAuthentication resource's inputs are the object itself; a ConfigGroup lists the objects it applies.
        const isConfigGroup = props.objs !== undefined || props.yaml !== undefined;
        return isConfigGroup
            ? configGroupObjects(props).filter(isPeerAuthentication).flatMap(peerAuthenticationViolations)
            : peerAuthenticationViolations(props);
    },
};

const isTrue = (value: unknown): boolean => value === true || lower(value) === "true";
const isAnonymousStrategy = (value: unknown): boolean => lower(value) === "anonymous";

/** Where each chart's values switch anonymous access on (an unset Kiali strategy defaults to token login). */
const ANONYMOUS_ACCESS = [
    { chart: "kube-prometheus-stack", app: "Grafana", path: ["grafana", "grafana.ini", "auth.anonymous", "enabled"], isAnonymous: isTrue },
    { chart: "grafana", app: "Grafana", path: ["grafana.ini", "auth.anonymous", "enabled"], isAnonymous: isTrue },
    { chart: "kiali-server", app: "Kiali", path: ["auth", "strategy"], isAnonymous: isAnonymousStrategy },
    { chart: "kiali-operator", app: "Kiali", path: ["cr", "spec", "auth", "strategy"], isAnonymous: isAnonymousStrategy },
] as const;

/** The chart's own name whether given bare, as "repo/name" or as an OCI reference. */
function chartName(chart: unknown): string | undefined {
    return typeof chart === "string" ? chart.replace(/\/+$/, "").split("/").pop() : undefined;
}

/** values.grafana["grafana.ini"]["auth.anonymous"].enabled: the path as a reader would write it. */
function pathText(path: readonly string[]): string {
    return path.map((key, index) => (index === 0 ? key : /^[A-Za-z_$][\w$]*$/.test(key) ? `.${key}` : `[${JSON.stringify(key)}]`)).join("");
}

export const noAnonymousDashboards: Rule = {
    name: "grafana-kiali-no-anonymous-access",
    description: "Grafana and Kiali require a login: no anonymous access in their Helm values",
    resourceTypes: ["kubernetes:helm.sh/v3:Release", "kubernetes:helm.sh/v4:Chart"],
    check(props) {
        const chart = chartName(props.chart);
        return ANONYMOUS_ACCESS.filter((entry) => entry.chart === chart).flatMap((entry) => {
            const value = at(props.values, ...entry.path);
            return entry.isAnonymous(value)
                ? [`${chart}: ${pathText(["values", ...entry.path])} is ${shown(value)}; ${entry.app} must not allow anonymous access`]
                : [];
        });
    },
};
