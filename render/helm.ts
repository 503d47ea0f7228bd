import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { loadAll } from "js-yaml";
import { ChartSource } from "../components/shared/helm-charts";
import { KubernetesObject } from "../components/shared/kubernetes-object";
import { isRecord } from "../config/records";

/**
 * The real Helm, driven offline: `helm template` of a pinned chart archive with the values the
 * program computed. Used by the test suite and `render --charts`; a deploy never calls it
 * (@pulumi/kubernetes carries Helm's libraries).
 */

/** The Helm release .ci/install-helm installs (from the npm registry; see that script). */
export const HELM_VERSION = "4.1.4";

/** Where .ci/install-helm puts the binary by default, relative to the project root. */
export const HELM_INSTALL_DIR = path.join(".tools", `helm-v${HELM_VERSION}`);

/** Where `npm run charts:pull` keeps the pinned charts, relative to the project root. */
export const CHART_CACHE_DIR = ".charts";

/**
 * The helm binary to run: $HELM, else the one .ci/install-helm installed into the project, else
 * `helm` on PATH; undefined when there is none.
 */
export function findHelm(projectRoot: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
    if (env.HELM) return env.HELM;
    const installed = path.join(projectRoot, HELM_INSTALL_DIR, "helm");
    if (fs.existsSync(installed)) return installed;
    return spawnSync("sh", ["-c", "command -v helm"], { encoding: "utf8" }).stdout.trim() || undefined;
}

/**
 * Folders that may hold the pinned chart archives, in order: the workplace's ../shared/charts
 * (packaged from upstream sources), then the project's own cache.
 */
export function chartDirs(projectRoot: string): string[] {
    return [path.resolve(projectRoot, "..", "shared", "charts"), path.join(projectRoot, CHART_CACHE_DIR)];
}

/** The file `helm pull` writes for a chart: <chart>-<version>.tgz. */
export function chartArchiveName(source: Pick<ChartSource, "chart" | "version">): string {
    return `${source.chart}-${source.version}.tgz`;
}

/** The first of `dirs` holding the chart's archive at its pinned version, or undefined. */
export function findChartArchive(source: Pick<ChartSource, "chart" | "version">, dirs: readonly string[]): string | undefined {
    return dirs.map((dir) => path.join(dir, chartArchiveName(source))).find((file) => fs.existsSync(file));
}

/** What the cluster tells Helm about itself: its version and the API versions it serves beyond the built-in ones. */
export interface Capabilities {
    /** e.g. "1.32.0". */
    readonly kubeVersion: string;
    /** "group/version" or "group/version/Kind" of every CRD installed. */
    readonly apiVersions: readonly string[];
}

export interface TemplateRequest {
    readonly release: string;
    readonly namespace: string;
    readonly archive: string;
    readonly values: unknown;
    readonly capabilities: Capabilities;
    /** Include the chart's crds/ folder in the output (Helm installs it before the templates). */
    readonly includeCrds?: boolean;
}

/** Helm's answer: the rendered objects, or the error it printed. */
export type TemplateResult = { readonly objects: KubernetesObject[] } | { readonly error: string };

/**
 * Rendered YAML stream -> objects (empty documents, which templates often leave, dropped). Read
 * with js-yaml, which accepts what Kubernetes' go-yaml accepts: charts' CRDs continue quoted
 * scalars at the key's own indent (Flagger's do), which the stricter yaml package rejects.
 */
export function parseManifests(text: string): KubernetesObject[] {
    return loadAll(text).filter((object): object is KubernetesObject => isRecord(object) && typeof object.kind === "string");
}

/** `helm template` of one release, values passed as a file exactly as given. */
export function helmTemplate(helm: string, request: TemplateRequest): TemplateResult {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "helm-values-"));
    try {
        const valuesFile = path.join(dir, "values.json");
        // JSON is YAML: the values reach Helm with their types exactly as the program computed them.
        fs.writeFileSync(valuesFile, JSON.stringify(request.values ?? {}));
        const args = [
            "template",
            request.release,
            request.archive,
            "--namespace",
            request.namespace,
            "--values",
            valuesFile,
            "--kube-version",
            request.capabilities.kubeVersion,
            ...request.capabilities.apiVersions.flatMap((apiVersion) => ["--api-versions", apiVersion]),
            ...(request.includeCrds ? ["--include-crds"] : []),
        ];
        const result = spawnSync(helm, args, {
            encoding: "utf8",
            maxBuffer: 256 * 1024 * 1024,
            env: { ...process.env, HELM_CACHE_HOME: path.join(dir, "cache"), HELM_CONFIG_HOME: path.join(dir, "config") },
        });
        if (result.error) return { error: `${helm}: ${result.error.message}` };
        if (result.status !== 0) return { error: result.stderr.trim() || `helm exited with ${result.status}` };
        return { objects: parseManifests(result.stdout) };
    } finally {
        fs.rmSync(dir, { recursive: true, force: true });
    }
}
