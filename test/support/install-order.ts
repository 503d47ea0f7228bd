import { KubernetesObject } from "../../components/shared/kubernetes-object";
import { crdApiVersions, DeclaredRelease, kubeVersionOf } from "../../render/chart-releases";
import { RenderedResource } from "../../render/evaluation";
import { CONFIG_GROUP } from "../../render/kubernetes-artifacts";
import { chartDirs, findChartArchive, helmTemplate } from "../../render/helm";
import { PROJECT_ROOT } from "../fixtures";
import { RenderedPlatform } from "./platform-render";

/**
 * A release's first install sees only the CRDs already in the cluster: those of the releases it
 * waits for, and its own chart's crds/ folders (Helm installs those before rendering). Every
 * later `up` renders it with all of the platform's CRDs, but Pulumi upgrades a release only when
 * its inputs change, so an object a chart renders only when a CRD exists (a ServiceMonitor
 * behind `.Capabilities.APIVersions.Has`) is missing for good if the release did not wait for
 * that CRD's release. Each release must render the same objects both ways.
 */

/** Every resource `name` waits for: its dependencies and, for a component, everything under it. */
export function waitsFor(resources: readonly RenderedResource[], name: string): Set<string> {
    const byName = new Map(resources.map((resource) => [resource.name, resource]));
    const seen = new Set<string>();
    const queue = [name];
    while (queue.length > 0) {
        const next = byName.get(queue.shift() as string);
        if (!next) continue;
        const children = resources.filter((resource) => resource.parent === next.name).map((resource) => resource.name);
        for (const dependency of [...next.dependsOn, ...(next.name === name ? [] : children)]) {
            if (!seen.has(dependency)) {
                seen.add(dependency);
                queue.push(dependency);
            }
        }
    }
    return seen;
}

export interface OrderProblem {
    readonly release: string;
    /** Objects the steady-state render has and the first install does not (or the reverse, marked "+"). */
    readonly differences: readonly string[];
}

const crdsOf = (objects: readonly KubernetesObject[]) => objects.filter((object) => object.kind === "CustomResourceDefinition");
/** Within one release kind and name identify an object (the steady render has namespaces filled in, a raw one may not). */
const keyOf = (object: KubernetesObject) => `${object.kind}/${object.metadata.name}`;

/** Releases whose first install renders other objects than every later `up` (the same archives, Kubernetes version and `helm`). */
export function firstInstallProblems(platform: RenderedPlatform, helm: string): OrderProblem[] {
    const dirs = chartDirs(PROJECT_ROOT);
    const kubeVersion = kubeVersionOf(platform.config);
    const render = (release: DeclaredRelease, apiVersions: readonly string[], includeCrds: boolean) => {
        const archive = findChartArchive(release.source, dirs);
        if (!archive) throw new Error(`no chart archive for ${release.name}`);
        const result = helmTemplate(helm, {
            release: release.name,
            namespace: release.namespace,
            archive,
            values: release.values,
            capabilities: { kubeVersion, apiVersions },
            includeCrds,
        });
        if ("error" in result) throw new Error(`${release.name}: ${result.error}`);
        return result.objects;
    };
    const shipped = new Map(platform.charts.rendered.map(({ release, objects }) => [release.name, crdsOf(objects)]));
    const problems: OrderProblem[] = [];
    for (const { release, objects } of platform.charts.rendered) {
        const before = waitsFor(platform.evaluation.resources, release.name);
        // Its own crds/ folders: the CRDs that appear only with --include-crds.
        const templated = new Set(crdsOf(render(release, [], false)).map(keyOf));
        const ownFolder = crdsOf(objects).filter((crd) => !templated.has(keyOf(crd)));
        const available = [...ownFolder, ...[...shipped].filter(([name]) => before.has(name)).flatMap(([, crds]) => crds)];
        const first = new Set(render(release, crdApiVersions(available), true).map(keyOf));
        const steady = new Set(objects.map(keyOf));
        const differences = [
            ...[...steady].filter((id) => !first.has(id)),
            ...[...first].filter((id) => !steady.has(id)).map((id) => `+${id}`),
            ...missingCrds(objects, available, shipped).map((kind) => `no CRD yet for ${kind}`),
        ];
        if (differences.length > 0) problems.push({ release: release.name, differences });
    }
    return [...problems, ...programObjectProblems(platform, shipped)];
}

const groupKind = (apiVersion: string, kind: string) => `${apiVersion.split("/")[0]}/${kind}`;
function crdGroupKind(crd: KubernetesObject): string {
    const spec = crd.spec as { group: string; names: { kind: string } };
    return `${spec.group}/${spec.names.kind}`;
}

/** Kinds among `objects` that a platform CRD defines but none of `available` does: applying them fails. */
function missingCrds(
    objects: readonly KubernetesObject[],
    available: readonly KubernetesObject[],
    shipped: ReadonlyMap<string, readonly KubernetesObject[]>,
): string[] {
    const defined = new Set([...shipped.values()].flat().map(crdGroupKind));
    const present = new Set(available.map(crdGroupKind));
    return [...new Set(objects.map((object) => groupKind(object.apiVersion, object.kind)).filter((kind) => defined.has(kind) && !present.has(kind)))];
}

/** The program's own ConfigGroups must wait for the release that ships each custom kind they apply. */
function programObjectProblems(platform: RenderedPlatform, shipped: ReadonlyMap<string, readonly KubernetesObject[]>): OrderProblem[] {
    const problems: OrderProblem[] = [];
    for (const group of platform.evaluation.resources.filter((resource) => resource.type === CONFIG_GROUP)) {
        const objects = (Array.isArray(group.inputs.objs) ? group.inputs.objs : []) as KubernetesObject[];
        const before = waitsFor(platform.evaluation.resources, group.name);
        const available = [...shipped].filter(([name]) => before.has(name)).flatMap(([, crds]) => crds);
        const missing = missingCrds(objects, available, shipped);
        if (missing.length > 0) problems.push({ release: group.name, differences: missing.map((kind) => `no CRD yet for ${kind}`) });
    }
    return problems;
}
