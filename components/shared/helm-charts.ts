import * as fs from "fs";
import * as path from "path";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import deepmerge from "deepmerge";
import { parse } from "yaml";

/** A pinned chart: where it comes from and exactly which version. */
export interface ChartSource {
    readonly chart: string;
    readonly repo: string;
    readonly version: string;
}

/**
 * Every chart the platform installs, pinned. Bump a version here (and check its values.yaml
 * against values/<file>), never float it: a chart upgrade must be a reviewed change.
 */
export const CHARTS = {
    cilium: { chart: "cilium", repo: "https://helm.cilium.io/", version: "1.19.6" },
    istioBase: { chart: "base", repo: "https://istio-release.storage.googleapis.com/charts", version: "1.30.3" },
    istiod: { chart: "istiod", repo: "https://istio-release.storage.googleapis.com/charts", version: "1.30.3" },
    istioGateway: { chart: "gateway", repo: "https://istio-release.storage.googleapis.com/charts", version: "1.30.3" },
    kubePrometheusStack: { chart: "kube-prometheus-stack", repo: "https://prometheus-community.github.io/helm-charts", version: "88.5.3" },
    loki: { chart: "loki", repo: "https://grafana-community.github.io/helm-charts", version: "18.11.0" },
    tempo: { chart: "tempo", repo: "https://grafana-community.github.io/helm-charts", version: "2.2.4" },
    otelCollector: { chart: "opentelemetry-collector", repo: "https://open-telemetry.github.io/opentelemetry-helm-charts", version: "0.170.0" },
    kiali: { chart: "kiali-server", repo: "https://kiali.org/helm-charts", version: "2.29.0" },
    flagger: { chart: "flagger", repo: "https://flagger.app", version: "1.44.0" },
    loadtester: { chart: "loadtester", repo: "https://flagger.app", version: "0.38.0" },
    clusterAutoscaler: { chart: "cluster-autoscaler", repo: "https://kubernetes.github.io/autoscaler", version: "9.59.0" },
    onlineBoutique: { chart: "onlineboutique", repo: "oci://us-docker.pkg.dev/online-boutique-ci/charts", version: "0.10.6" },
    argoCd: { chart: "argo-cd", repo: "https://argoproj.github.io/argo-helm", version: "10.1.1" },
} as const satisfies Record<string, ChartSource>;

export type ChartName = keyof typeof CHARTS;

/** Helm values: plain YAML-able data (Outputs allowed where a value comes from a resource). */
export type HelmValues = { readonly [key: string]: unknown };

const VALUES_DIR = path.join(__dirname, "..", "..", "values");

/** The static values of a chart, from values/<file>.yaml. */
export function staticValues(file: string): HelmValues {
    const parsed: unknown = parse(fs.readFileSync(path.join(VALUES_DIR, `${file}.yaml`), "utf8"));
    if (parsed === null || parsed === undefined) return {};
    if (typeof parsed !== "object" || Array.isArray(parsed)) throw new Error(`values/${file}.yaml must be a mapping of values`);
    return parsed as HelmValues;
}

/**
 * Static values overlaid with computed ones: maps merge key by key, and a list in the overlay
 * replaces the static list (Helm's own rule for -f files).
 */
export function mergeValues(base: HelmValues, overlay: HelmValues): HelmValues {
    return deepmerge(base, overlay, { arrayMerge: (_: unknown[], source: unknown[]) => source });
}

export interface ReleaseSpec {
    /** Key of CHARTS. */
    readonly chart: ChartName;
    /** Helm release name (also names the values file render writes). */
    readonly name: string;
    readonly namespace: pulumi.Input<string>;
    /** File under values/ without .yaml; defaults to the release name. */
    readonly valuesFile?: string;
    /** Computed values, overlaid on the static file. May hold Outputs and secrets. */
    readonly overlay?: pulumi.Input<HelmValues>;
    /** Seconds Helm waits for the release's resources to be ready. @default 600 */
    readonly timeoutSeconds?: number;
}

/** A Helm release of a pinned chart with values/<file>.yaml overlaid by computed values. */
export function helmRelease(spec: ReleaseSpec, opts: pulumi.CustomResourceOptions): k8s.helm.v3.Release {
    const source = CHARTS[spec.chart];
    const base = staticValues(spec.valuesFile ?? spec.name);
    return new k8s.helm.v3.Release(
        spec.name,
        {
            name: spec.name,
            chart: source.chart,
            version: source.version,
            repositoryOpts: { repo: source.repo },
            namespace: spec.namespace,
            values: pulumi.output(spec.overlay ?? {}).apply((overlay) => mergeValues(base, overlay as HelmValues)),
            atomic: true,
            cleanupOnFail: true,
            timeout: spec.timeoutSeconds ?? 600,
        },
        opts,
    );
}

/**
 * A chart rendered by Pulumi itself (helm.v4.Chart): each object becomes a resource, so
 * `transforms` in `opts` can rewrite what the chart renders (Online Boutique's Flagger fixes).
 */
export function helmChart(spec: ReleaseSpec, opts: pulumi.ComponentResourceOptions): k8s.helm.v4.Chart {
    const source: ChartSource = CHARTS[spec.chart];
    const base = staticValues(spec.valuesFile ?? spec.name);
    const oci = source.repo.startsWith("oci://");
    return new k8s.helm.v4.Chart(
        spec.name,
        {
            name: spec.name,
            chart: oci ? `${source.repo}/${source.chart}` : source.chart,
            version: source.version,
            ...(oci ? {} : { repositoryOpts: { repo: source.repo } }),
            namespace: spec.namespace,
            values: pulumi.output(spec.overlay ?? {}).apply((overlay) => mergeValues(base, overlay as HelmValues)),
        },
        opts,
    );
}
