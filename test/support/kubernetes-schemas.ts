import { KubernetesObject, objectId } from "../../components/kubernetes-object";

/** Checks an object against its real OpenAPI schema (the models' `validate()`); throws on errors. */
export type Validator = (object: KubernetesObject) => void;

interface ModelClass {
    new (data: KubernetesObject): { validate(): void };
    readonly apiVersion: string;
    readonly kind: string;
}

/**
 * A model keyed by "apiVersion/kind": a kind at a version not listed here is unknown. Taken as
 * `unknown` and checked at run time: the models' base class ships ESM-only typings, which this
 * CommonJS project cannot resolve, and validate() checks the data at run time anyway.
 */
function entry(candidate: unknown): [string, Validator] {
    const model = candidate as ModelClass;
    if (typeof model !== "function" || typeof model.kind !== "string" || typeof model.prototype?.validate !== "function") {
        throw new Error(`not a kubernetes-models class: ${String(candidate)}`);
    }
    return [`${model.apiVersion}/${model.kind}`, (object) => new model(object).validate()];
}

/**
 * Schemas of every kind the program applies: Kubernetes core (kubernetes-models), Istio
 * (@kubernetes-models/istio) and the Prometheus operator (@kubernetes-models/prometheus-operator).
 * The packages are ESM-only (no `require` export): the CommonJS tests import them dynamically.
 */
export async function loadSchemas(): Promise<ReadonlyMap<string, Validator>> {
    return new Map(
        await Promise.all([
            import("kubernetes-models/v1/Namespace").then((m) => entry(m.Namespace)),
            import("kubernetes-models/v1/ServiceAccount").then((m) => entry(m.ServiceAccount)),
            import("kubernetes-models/v1/ConfigMap").then((m) => entry(m.ConfigMap)),
            import("kubernetes-models/v1/Secret").then((m) => entry(m.Secret)),
            import("kubernetes-models/v1/Service").then((m) => entry(m.Service)),
            import("kubernetes-models/rbac.authorization.k8s.io/v1/ClusterRole").then((m) => entry(m.ClusterRole)),
            import("kubernetes-models/rbac.authorization.k8s.io/v1/ClusterRoleBinding").then((m) => entry(m.ClusterRoleBinding)),
            import("kubernetes-models/rbac.authorization.k8s.io/v1/Role").then((m) => entry(m.Role)),
            import("kubernetes-models/rbac.authorization.k8s.io/v1/RoleBinding").then((m) => entry(m.RoleBinding)),
            import("kubernetes-models/apps/v1/Deployment").then((m) => entry(m.Deployment)),
            import("kubernetes-models/apps/v1/DaemonSet").then((m) => entry(m.DaemonSet)),
            import("kubernetes-models/storage.k8s.io/v1/CSIDriver").then((m) => entry(m.CSIDriver)),
            import("kubernetes-models/storage.k8s.io/v1/StorageClass").then((m) => entry(m.StorageClass)),
            import("kubernetes-models/networking.k8s.io/v1/NetworkPolicy").then((m) => entry(m.NetworkPolicy)),
            import("@kubernetes-models/istio/security.istio.io/v1/PeerAuthentication").then((m) => entry(m.PeerAuthentication)),
            import("@kubernetes-models/istio/telemetry.istio.io/v1/Telemetry").then((m) => entry(m.Telemetry)),
            import("@kubernetes-models/istio/networking.istio.io/v1/Gateway").then((m) => entry(m.Gateway)),
            import("@kubernetes-models/istio/networking.istio.io/v1/VirtualService").then((m) => entry(m.VirtualService)),
            import("@kubernetes-models/istio/networking.istio.io/v1/Sidecar").then((m) => entry(m.Sidecar)),
            import("@kubernetes-models/istio/security.istio.io/v1/AuthorizationPolicy").then((m) => entry(m.AuthorizationPolicy)),
            import("@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/PodMonitor").then((m) => entry(m.PodMonitor)),
            import("@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/ServiceMonitor").then((m) => entry(m.ServiceMonitor)),
            import("@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/PrometheusRule").then((m) => entry(m.PrometheusRule)),
        ]),
    );
}

/** Validates against the object's own apiVersion and kind; a kind without a schema is an error, never a skip. */
export function validateObject(schemas: ReadonlyMap<string, Validator>, object: KubernetesObject): void {
    const validate = schemas.get(`${object.apiVersion}/${object.kind}`);
    if (!validate) throw new Error(`${objectId(object)}: no schema for ${object.apiVersion} ${object.kind}`);
    validate(object);
}
