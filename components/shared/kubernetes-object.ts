import { isRecord } from "../../config/records";

/**
 * A Kubernetes object as plain data: what the pure renderers return and the components hand to
 * `@pulumi/kubernetes` (and what tests validate against real schemas).
 */
export interface ObjectMeta {
    readonly name: string;
    readonly namespace?: string;
    readonly labels?: Readonly<Record<string, string>>;
    readonly annotations?: Readonly<Record<string, string>>;
}

export interface KubernetesObject {
    readonly apiVersion: string;
    readonly kind: string;
    readonly metadata: ObjectMeta;
    readonly [field: string]: unknown;
}

/** "<kind>/<namespace>/<name>" (cluster-scoped: "<kind>/<name>"): unique within a cluster. */
export function objectId(object: KubernetesObject): string {
    const { kind, metadata } = object;
    return metadata.namespace ? `${kind}/${metadata.namespace}/${metadata.name}` : `${kind}/${metadata.name}`;
}

/** `value[key]` when it is a mapping, else an empty one: how optional nested fields of parsed objects are read. */
export function mappingAt(value: unknown, key: string): Record<string, unknown> {
    return isRecord(value) && isRecord(value[key]) ? value[key] : {};
}

/** `value[key]` when it is a list, else an empty one. */
export function listAt(value: unknown, key: string): unknown[] {
    return isRecord(value) && Array.isArray(value[key]) ? value[key] : [];
}

/**
 * A Deployment or DaemonSet: the selector and the pod template's labels are the same labels,
 * so the controller always owns exactly its pods. `spec` adds controller fields (replicas,
 * strategy); `podAnnotations` go on the template.
 */
export function workload(
    kind: "Deployment" | "DaemonSet",
    metadata: ObjectMeta,
    labels: Readonly<Record<string, string>>,
    pod: Readonly<Record<string, unknown>>,
    extra: { readonly spec?: Readonly<Record<string, unknown>>; readonly podAnnotations?: Readonly<Record<string, string>> } = {},
): KubernetesObject {
    return {
        apiVersion: "apps/v1",
        kind,
        metadata,
        spec: {
            ...extra.spec,
            selector: { matchLabels: labels },
            template: { metadata: { labels, ...(extra.podAnnotations ? { annotations: extra.podAnnotations } : {}) }, spec: pod },
        },
    };
}
