import { StackConfig } from "../config/stack-config";
import { UsageError } from "../config/cli";
import { chartDirs, findHelm } from "./helm";
import { HELM_CHART, renderDeclaredReleases } from "./chart-releases";
import { objectId } from "../components/shared/kubernetes-object";
import { Evaluation } from "./evaluation";
import { dump } from "js-yaml";

/**
 * `render --charts`: every release the evaluation declares, rendered by the real helm as the
 * cluster would get it, one file per release (charts/<release>.yaml). A release that does not
 * render fails the command with helm's own error.
 */
export function renderCharts(projectRoot: string, evaluation: Evaluation, config: StackConfig): Record<string, string> {
    const helm = findHelm(projectRoot);
    if (!helm) throw new UsageError("--charts needs helm: run bash .ci/install-helm (or set HELM)");
    const result = renderDeclaredReleases(evaluation, config, helm, chartDirs(projectRoot));
    if (result.failed.length > 0) {
        throw new Error(result.failed.map(({ release, error }) => `helm could not render ${release.name}: ${error}`).join("\n"));
    }
    return Object.fromEntries(
        result.rendered.map(({ release, objects }) => [
            `charts/${release.name}.yaml`,
            objects.map((object) => dump(object, { lineWidth: -1, noRefs: true })).join("---\n"),
        ]),
    );
}

/**
 * `render --diff --charts`: the objects of each chart the change releases (retainOnDelete), which
 * Pulumi stops managing and leaves running, rendered by the real helm as `up` applied them
 * ("kind/namespace/name" per chart, sorted).
 */
export function releasedChartObjects(
    projectRoot: string,
    before: Pick<Evaluation, "resources">,
    released: readonly { readonly type: string; readonly name: string }[],
    config: StackConfig,
): Map<string, string[]> {
    const helm = findHelm(projectRoot);
    if (!helm) throw new UsageError("--charts needs helm: run bash .ci/install-helm (or set HELM)");
    const charts = before.resources.filter(
        (resource) => resource.type === HELM_CHART && released.some((ref) => ref.type === resource.type && ref.name === resource.name),
    );
    const result = renderDeclaredReleases({ resources: charts }, config, helm, chartDirs(projectRoot));
    if (result.failed.length > 0) throw new Error(result.failed.map(({ release, error }) => `helm could not render ${release.name}: ${error}`).join("\n"));
    return new Map(result.rendered.map(({ release, objects }) => [release.name, objects.map(objectId).sort()]));
}
