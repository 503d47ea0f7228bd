import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { KubernetesObject } from "./kubernetes-object";

/**
 * A namespace the program owns (Helm releases never create their own: deleting a release
 * must not take the namespace's other objects with it).
 */
export function namespace(name: string, labels: Readonly<Record<string, string>>, opts: pulumi.CustomResourceOptions): k8s.core.v1.Namespace {
    return new k8s.core.v1.Namespace(`${name}-namespace`, { metadata: { name, labels: { ...labels } } }, opts);
}

/**
 * Plain objects from the pure renderers, applied as one group. The group orders CRDs and
 * namespaces before the objects that need them; `dependsOn` in `opts` orders it after the
 * releases that install its CRDs.
 */
export function applyObjects(name: string, objects: pulumi.Input<readonly KubernetesObject[]>, opts: pulumi.ComponentResourceOptions): k8s.yaml.v2.ConfigGroup {
    return new k8s.yaml.v2.ConfigGroup(name, { objs: pulumi.output(objects).apply((list) => list.map((object) => ({ ...object }))) }, opts);
}
