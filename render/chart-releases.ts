import { UsageError } from "../config/cli";
import { StackConfig } from "../config/stack-config";
import { transformBoutiqueObject } from "../components/delivery/boutique-transforms";
import { ChartSource } from "../components/shared/helm-charts";
import { KubernetesObject } from "../components/shared/kubernetes-object";
import { isRecord, textOr } from "../config/records";
import { kubernetesVersionText } from "../config/kubernetes-release";
import { BOUTIQUE_NAMESPACE } from "../components/delivery/online-boutique";
import { frontendDelivery } from "../components/delivery/progressive-delivery";
import { Evaluation } from "./evaluation";
import { RenderedResource } from "./evaluation";
import { chartArchiveName, findChartArchive, helmTemplate } from "./helm";

export const HELM_RELEASE = "kubernetes:helm.sh/v3:Release";
/** A chart Pulumi renders itself (helm.v4.Chart), object by object: its values are what Helm would get. */
export const HELM_CHART = "kubernetes:helm.sh/v4:Chart";

/** A Helm release as the program declared it: the pinned chart, where it goes, its final values. */
export interface DeclaredRelease {
    readonly name: string;
    readonly namespace: string;
    readonly source: ChartSource;
    /** The values Helm gets (static file overlaid with computed values; secrets read "[secret]"). */
    readonly values: unknown;
    /** Rendered by Pulumi (helm.v4.Chart), so the program's transforms apply to each object. */
    readonly renderedByPulumi: boolean;
}

/** A release's chart, split into chart name and repository as CHARTS pins them (an OCI chart's inputs join the two). */
function chartSource(inputs: Record<string, unknown>): ChartSource {
    const chart = String(inputs.chart);
    const version = String(inputs.version);
    const repositoryOpts = isRecord(inputs.repositoryOpts) ? inputs.repositoryOpts : {};
    if (chart.startsWith("oci://")) {
        const slash = chart.lastIndexOf("/");
        return { chart: chart.slice(slash + 1), repo: chart.slice(0, slash), version };
    }
    return { chart, repo: textOr(repositoryOpts.repo, "", "repositoryOpts.repo"), version };
}

/** Every Helm release and Pulumi-rendered chart in an evaluation, in declaration order. */
export function declaredReleases(resources: readonly RenderedResource[]): DeclaredRelease[] {
    return resources
        .filter((resource) => resource.type === HELM_RELEASE || resource.type === HELM_CHART)
        .map((resource) => ({
            name: textOr(resource.inputs.name, resource.name, `${resource.name}: name`),
            namespace: textOr(resource.inputs.namespace, "default", `${resource.name}: namespace`),
            source: chartSource(resource.inputs),
            values: resource.inputs.values ?? {},
            renderedByPulumi: resource.type === HELM_CHART,
        }));
}

/** Kinds Kubernetes itself serves cluster-wide (CRD-defined kinds say their scope in the CRD). */
const BUILT_IN_CLUSTER_SCOPED = new Set([
    "Namespace",
    "Node",
    "PersistentVolume",
    "ClusterRole",
    "ClusterRoleBinding",
    "CustomResourceDefinition",
    "MutatingWebhookConfiguration",
    "ValidatingWebhookConfiguration",
    "ValidatingAdmissionPolicy",
    "ValidatingAdmissionPolicyBinding",
    "StorageClass",
    "CSIDriver",
    "PriorityClass",
    "RuntimeClass",
    "IngressClass",
    "APIService",
]);

export interface ReleaseObjects {
    readonly release: DeclaredRelease;
    /** The chart's objects, namespaced objects placed in the release's namespace (as `helm install` does). */
    readonly objects: readonly KubernetesObject[];
}

export interface ReleaseFailure {
    readonly release: DeclaredRelease;
    readonly error: string;
}

export interface ChartRender {
    readonly rendered: readonly ReleaseObjects[];
    readonly failed: readonly ReleaseFailure[];
    /** Releases whose chart archive is in none of the folders. */
    readonly missingCharts: readonly DeclaredRelease[];
    /** The API versions the platform's CRDs add, as passed to Helm. */
    readonly crdApiVersions: readonly string[];
}

interface CrdSpec {
    readonly group: string;
    readonly scope: string;
    readonly kind: string;
    readonly versions: readonly string[];
}

function crdSpec(object: KubernetesObject): CrdSpec | undefined {
    if (object.kind !== "CustomResourceDefinition" || !isRecord(object.spec)) return undefined;
    const { group, scope, names, versions } = object.spec;
    if (typeof group !== "string" || !isRecord(names) || !Array.isArray(versions)) return undefined;
    const served = versions.filter(isRecord).filter((version) => version.served !== false);
    return { group, scope: String(scope), kind: String(names.kind), versions: served.map((version) => String(version.name)) };
}

/** What `--api-versions` takes for the CRDs among `objects`: "group/version" and "group/version/Kind". */
export function crdApiVersions(objects: readonly KubernetesObject[]): string[] {
    const found = new Set<string>();
    for (const crd of objects.map(crdSpec)) {
        for (const version of crd?.versions ?? []) {
            found.add(`${crd?.group}/${version}`);
            found.add(`${crd?.group}/${version}/${crd?.kind}`);
        }
    }
    return [...found].sort();
}

function placeInNamespace(object: KubernetesObject, namespace: string, clusterScoped: ReadonlySet<string>): KubernetesObject {
    if (clusterScoped.has(object.kind) || object.metadata.namespace) return object;
    return { ...object, metadata: { ...object.metadata, namespace } };
}

export interface RenderOptions {
    readonly helm: string;
    readonly chartDirs: readonly string[];
    readonly kubeVersion: string;
    /** Applied to each object of a Pulumi-rendered chart, as the program's transforms are. */
    readonly transform?: (release: DeclaredRelease, object: KubernetesObject) => KubernetesObject;
}

/**
 * Renders every declared release with the real Helm, as a cluster running the whole platform
 * would: the first pass collects the CRDs the charts ship; the second renders each release with
 * their API versions present (what Helm sees on every `up` after the first), CRDs included.
 */
export function renderReleases(releases: readonly DeclaredRelease[], options: RenderOptions): ChartRender {
    const located = releases.map((release) => ({ release, archive: findChartArchive(release.source, options.chartDirs) }));
    const missingCharts = located.filter((entry) => entry.archive === undefined).map((entry) => entry.release);
    const available = located.filter((entry): entry is { release: DeclaredRelease; archive: string } => entry.archive !== undefined);
    const render = (apiVersions: readonly string[]) =>
        available.map(({ release, archive }) => ({
            release,
            result: helmTemplate(options.helm, {
                release: release.name,
                namespace: release.namespace,
                archive,
                values: release.values,
                capabilities: { kubeVersion: options.kubeVersion, apiVersions },
                includeCrds: true,
            }),
        }));
    const firstPass = render([]).flatMap(({ result }) => ("objects" in result ? result.objects : []));
    const apiVersions = crdApiVersions(firstPass);
    const clusterScoped = new Set([
        ...BUILT_IN_CLUSTER_SCOPED,
        ...firstPass
            .map(crdSpec)
            .filter((crd) => crd?.scope === "Cluster")
            .map((crd) => String(crd?.kind)),
    ]);
    const rendered: ReleaseObjects[] = [];
    const failed: ReleaseFailure[] = [];
    for (const { release, result } of render(apiVersions)) {
        if ("error" in result) {
            failed.push({ release, error: result.error });
            continue;
        }
        const transform = release.renderedByPulumi && options.transform ? options.transform : (_: DeclaredRelease, object: KubernetesObject) => object;
        rendered.push({ release, objects: result.objects.map((object) => placeInNamespace(transform(release, object), release.namespace, clusterScoped)) });
    }
    return { rendered, failed, missingCharts, crdApiVersions: apiVersions };
}

/** The Kubernetes version Helm is told: exactly the release `pulumi up` installs. */
export function kubeVersionOf(config: StackConfig): string {
    return kubernetesVersionText(config.kubernetesVersion);
}

/** The rewrites the program applies to its Pulumi-rendered chart (OnlineBoutique's Flagger fixes; index.ts passes the same). */
export function programTransform(config: StackConfig): NonNullable<RenderOptions["transform"]> {
    const options = { ...frontendDelivery(BOUTIQUE_NAMESPACE), images: config.boutique.images };
    return (_release, object) => transformBoutiqueObject({ ...object }, options) as KubernetesObject;
}

/**
 * Every release `evaluation` declares, rendered as `up` would install it on `config`'s cluster
 * (the program's transforms applied). Used by `render --charts` and the test suite; a missing
 * chart archive is a usage error naming each one.
 */
export function renderDeclaredReleases(
    evaluation: Pick<Evaluation, "resources">,
    config: StackConfig,
    helm: string,
    chartDirs: readonly string[],
): ChartRender {
    const result = renderReleases(declaredReleases(evaluation.resources), {
        helm,
        chartDirs,
        kubeVersion: kubeVersionOf(config),
        transform: programTransform(config),
    });
    if (result.missingCharts.length > 0) {
        throw new UsageError(
            `no archive for ${result.missingCharts.map((release) => chartArchiveName(release.source)).join(", ")} in ${chartDirs.join(" or ")} (npm run charts:pull)`,
        );
    }
    return result;
}
