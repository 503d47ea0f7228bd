import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { BoutiqueConfig } from "../../config/boutique-config";
import { BoutiqueDeliverer } from "../../config/gitops-config";
import { boutiqueChartTransform, BoutiqueTransformOptions } from "./boutique-transforms";
import { namespace } from "../shared/cluster-objects";
import { boutiqueValues } from "./delivery-values";
import { renderShopGitPath } from "./gitops-path";
import { CHARTS, HelmValues, helmChart, mergeValues, staticValues } from "../shared/helm-charts";

export const BOUTIQUE_NAMESPACE = "boutique";
/** Where a render writes the shop's Git path (out/<stack>/gitops/): the content of gitopsPath in the repository. */
export const GITOPS_DIR = "gitops";
/** The chart's release name, in both modes (the objects' names and labels derive from it). */
export const BOUTIQUE_RELEASE = "onlineboutique";

export interface OnlineBoutiqueArgs {
    readonly config: BoutiqueConfig;
    /** Who applies the chart's objects: the program (below), or Argo CD from the Git path (then only the namespace is made here). */
    readonly deliveredBy: BoutiqueDeliverer;
    /** What Flagger needs from the chart: the target, and who else may call it. */
    readonly delivery: Omit<BoutiqueTransformOptions, "images">;
    /** The cluster's admin kubeconfig (secret): the chart's objects get a provider of their own (below). */
    readonly kubeconfig: pulumi.Input<string>;
    /** istiod (sidecar injection) and the gateway. */
    readonly after: readonly pulumi.Resource[];
}

/** The chart's values as the program passes them, in both modes: values/onlineboutique.yaml overlaid with the computed ones. */
export function boutiqueChartValues(config: BoutiqueConfig): HelmValues {
    return mergeValues(staticValues(BOUTIQUE_RELEASE), boutiqueValues(config));
}

/** The Git path Argo CD syncs the same shop from (components/delivery/gitops-path.ts): file -> text. */
export function shopGitPath(config: BoutiqueConfig, delivery: Omit<BoutiqueTransformOptions, "images">): Record<string, string> {
    return renderShopGitPath({
        chart: CHARTS.onlineBoutique,
        releaseName: BOUTIQUE_RELEASE,
        namespace: BOUTIQUE_NAMESPACE,
        values: boutiqueChartValues(config),
        delivery: { ...delivery, images: config.images },
    });
}

/**
 * Every object of the chart is kept in the cluster when the program stops declaring it: a switch
 * to Argo CD hands the running shop over (Argo CD adopts the same objects) instead of deleting
 * it. Disabling the shop or a destroy still removes them, with the namespace the program owns in
 * both modes. Pulumi reads the flag from the state, so it must be recorded before the switch.
 */
const keptOnRemoval: pulumi.ResourceTransform = (child) => ({ props: child.props, opts: { ...child.opts, retainOnDelete: true } });

/** What every object of the chart goes through, in order: the Flagger fixes, then kept on removal. */
export function shopChartTransforms(options: BoutiqueTransformOptions): pulumi.ResourceTransform[] {
    return [boutiqueChartTransform(options), keptOnRemoval];
}

/**
 * Online Boutique in its own namespace with sidecar injection, its Sidecars, AuthorizationPolicies
 * and NetworkPolicies on. Rendered by Pulumi (helm.v4.Chart) so each object passes through the
 * Flagger-compatibility transforms before it is applied; in Argo CD mode the namespace only.
 */
export class OnlineBoutique extends pulumi.ComponentResource {
    readonly namespace: pulumi.Output<string>;
    readonly chart?: k8s.helm.v4.Chart;

    constructor(name: string, args: OnlineBoutiqueArgs, opts?: pulumi.ComponentResourceOptions) {
        super("boutique:delivery:OnlineBoutique", name, {}, opts);
        const ns = namespace(BOUTIQUE_NAMESPACE, { "istio-injection": "enabled" }, { parent: this, dependsOn: [...args.after] });
        this.namespace = ns.metadata.name;
        // The chart's objects adopt what exists (upsertExistingObjects): back from Argo CD, the
        // running shop is taken over instead of failing with AlreadyExists. Safe here because
        // they are also kept on removal, so no create-then-delete of one object can delete it.
        // Made in both modes, so a switch changes no provider.
        const adopting = new k8s.Provider(`${name}-adopting`, { kubeconfig: args.kubeconfig, upsertExistingObjects: true }, { parent: this });
        if (args.deliveredBy === "pulumi") {
            const options: BoutiqueTransformOptions = { ...args.delivery, images: args.config.images };
            this.chart = helmChart(
                { chart: "onlineBoutique", name: BOUTIQUE_RELEASE, namespace: this.namespace, overlay: boutiqueValues(args.config) },
                {
                    parent: this,
                    provider: adopting,
                    dependsOn: [...args.after],
                    retainOnDelete: true,
                    transforms: shopChartTransforms(options),
                },
            );
        }
        // The Git path Argo CD syncs the same shop from, in both modes: a switch needs it in Git first.
        const gitPath = shopGitPath(args.config, args.delivery);
        const artifacts = Object.fromEntries(Object.entries(gitPath).map(([file, text]) => [`${GITOPS_DIR}/${file}`, text]));
        this.registerOutputs({ namespace: this.namespace, artifacts });
    }
}
