import { isDeepStrictEqual } from "util";
import { KubernetesObject, objectId } from "../../components/shared/kubernetes-object";
import { isRecord } from "../../config/records";

/** Annotations that say which tool applies an object (Pulumi's await and patch hints), not what the object is. */
const OWNERSHIP_ANNOTATION = /^pulumi\.com\//;

/** `object` without what only its applier reads: pulumi.com/* annotations (and an annotations map they leave empty). */
export function withoutOwnership(object: KubernetesObject): KubernetesObject {
    const annotations = isRecord(object.metadata.annotations) ? object.metadata.annotations : undefined;
    if (!annotations) return object;
    const kept = Object.fromEntries(Object.entries(annotations).filter(([key]) => !OWNERSHIP_ANNOTATION.test(key)));
    const metadata: Record<string, unknown> = { ...object.metadata };
    delete metadata.annotations;
    return {
        ...object,
        metadata: { ...(metadata as unknown as KubernetesObject["metadata"]), ...(Object.keys(kept).length > 0 ? { annotations: kept } : {}) },
    };
}

/**
 * Ids (kind/namespace/name) of the objects one side has and the other lacks, or has with other
 * content; sorted. Compared as the API server receives them, in JSON: a field set to undefined is no field.
 */
export function differingObjects(left: readonly KubernetesObject[], right: readonly KubernetesObject[]): string[] {
    const byId = (objects: readonly KubernetesObject[]) => new Map(objects.map((object) => [objectId(object), JSON.parse(JSON.stringify(object)) as unknown]));
    const [a, b] = [byId(left), byId(right)];
    const ids = new Set([...a.keys(), ...b.keys()]);
    return [...ids].filter((id) => !isDeepStrictEqual(a.get(id), b.get(id))).sort();
}
