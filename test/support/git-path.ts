import { strict as assert } from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { GITOPS_DIR } from "../../components/delivery/online-boutique";
import { CHARTS } from "../../components/shared/helm-charts";
import { KubernetesObject } from "../../components/shared/kubernetes-object";
import { Evaluation } from "../../render/evaluation";
import { KustomizeTools, kustomizeBuild, vendorChart, writeTree } from "../../render/kustomize";

/**
 * The shop's Git path as Argo CD's repo-server builds it: the gitops/ files a render writes, in a
 * scratch folder with the pinned chart vendored (nothing here reaches the chart's registry), then
 * `kustomize build --enable-helm` with Helm 3.
 */

/** Writes the evaluation's Git path to a new scratch folder (the caller removes it). */
export function writeGitPath(evaluation: Pick<Evaluation, "artifacts">, chartArchive: string): string {
    const prefix = `${GITOPS_DIR}/`;
    const files = Object.entries(evaluation.artifacts).filter(([file]) => file.startsWith(prefix));
    assert.ok(files.length >= 3, `the render writes the Git path (${files.length} files under ${prefix})`);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "git-path-"));
    writeTree(dir, Object.fromEntries(files.map(([file, text]) => [file.slice(prefix.length), text])));
    vendorChart(path.join(dir, "shop", "charts"), CHARTS.onlineBoutique, chartArchive);
    return dir;
}

/** The objects Argo CD would apply from `dir`; a build error fails the caller. */
export function buildGitPath(tools: KustomizeTools, dir: string): KubernetesObject[] {
    const built = kustomizeBuild(tools, dir);
    if ("error" in built) assert.fail(`kustomize could not build the Git path: ${built.error}`);
    return built.objects;
}

/** The objects Argo CD would apply for an evaluation (its Git path written, built, the folder removed). */
export function objectsFromGit(evaluation: Pick<Evaluation, "artifacts">, tools: KustomizeTools, chartArchive: string): KubernetesObject[] {
    const dir = writeGitPath(evaluation, chartArchive);
    try {
        return buildGitPath(tools, dir);
    } finally {
        fs.rmSync(dir, { recursive: true, force: true });
    }
}
