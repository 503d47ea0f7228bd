import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { ChartSource } from "../components/shared/helm-charts";
import { parseManifests, TemplateResult } from "./helm";

/**
 * kustomize as Argo CD's repo-server runs it on a Git path with Helm charts: `kustomize build
 * --enable-helm`, here kubectl's built-in kustomize with Helm 3 (the inflator probes
 * `helm version -c`, which Helm 4 refuses). .ci/install-kustomize installs both.
 */

export const KUBECTL_VERSION = "1.34.5";
export const HELM3_VERSION = "3.17.3";

export interface KustomizeTools {
    readonly kubectl: string;
    readonly helm3: string;
}

/** $KUBECTL and $HELM3, else what .ci/install-kustomize installed into the project; undefined when either is missing. */
export function findKustomizeTools(projectRoot: string, env: NodeJS.ProcessEnv = process.env): KustomizeTools | undefined {
    const kubectl = env.KUBECTL ?? path.join(projectRoot, ".tools", `kubectl-v${KUBECTL_VERSION}`, "kubectl");
    const helm3 = env.HELM3 ?? path.join(projectRoot, ".tools", `helm-v${HELM3_VERSION}`, "helm");
    return fs.existsSync(kubectl) && fs.existsSync(helm3) ? { kubectl, helm3 } : undefined;
}

/** Writes `files` (path relative to `dir` -> text) under `dir`. */
export function writeTree(dir: string, files: Readonly<Record<string, string>>): void {
    for (const [file, text] of Object.entries(files)) {
        fs.mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
        fs.writeFileSync(path.join(dir, file), text);
    }
}

/**
 * Unpacks a chart archive where kustomize's Helm inflator looks for a chart pinned to a version
 * before pulling it: <chartHome>/<chart>-<version>/<chart>.
 */
export function vendorChart(chartHome: string, source: Pick<ChartSource, "chart" | "version">, archive: string): void {
    const dir = path.join(chartHome, `${source.chart}-${source.version}`);
    fs.mkdirSync(dir, { recursive: true });
    const untar = spawnSync("tar", ["-xzf", archive, "-C", dir], { encoding: "utf8" });
    if (untar.status !== 0) throw new Error(`tar -xzf ${archive}: ${untar.stderr.trim() || untar.error?.message}`);
}

/** `kubectl kustomize --enable-helm` of `dir`: the objects, or kustomize's error. Helm's homes are a scratch folder. */
export function kustomizeBuild(tools: KustomizeTools, dir: string): TemplateResult {
    const scratch = fs.mkdtempSync(path.join(os.tmpdir(), "kustomize-"));
    try {
        const result = spawnSync(tools.kubectl, ["kustomize", "--enable-helm", "--helm-command", tools.helm3, dir], {
            encoding: "utf8",
            maxBuffer: 64 * 1024 * 1024,
            env: { ...process.env, HOME: scratch, HELM_CACHE_HOME: path.join(scratch, "cache"), HELM_CONFIG_HOME: path.join(scratch, "config") },
        });
        if (result.error) return { error: `${tools.kubectl}: ${result.error.message}` };
        if (result.status !== 0) return { error: result.stderr.trim() || `kubectl kustomize exited with ${result.status}` };
        return { objects: parseManifests(result.stdout) };
    } finally {
        fs.rmSync(scratch, { recursive: true, force: true });
    }
}
