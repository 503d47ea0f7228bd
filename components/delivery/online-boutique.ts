import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { BoutiqueConfig } from "../../config/boutique-config";
import { boutiqueChartTransform, BoutiqueTransformOptions } from "./boutique-transforms";
import { namespace } from "../shared/cluster-objects";
import { boutiqueValues } from "./delivery-values";
import { helmChart } from "../shared/helm-charts";

export const BOUTIQUE_NAMESPACE = "boutique";

export interface OnlineBoutiqueArgs {
    readonly config: BoutiqueConfig;
    /** What Flagger needs from the chart: the target, and who else may call it. */
    readonly delivery: Omit<BoutiqueTransformOptions, "images">;
    /** istiod (sidecar injection) and the gateway. */
    readonly after: readonly pulumi.Resource[];
}

/**
 * Online Boutique in its own namespace with sidecar injection, its Sidecars, AuthorizationPolicies
 * and NetworkPolicies on. Rendered by Pulumi (helm.v4.Chart) so each object passes through the
 * Flagger-compatibility transforms before it is applied.
 */
export class OnlineBoutique extends pulumi.ComponentResource {
    readonly namespace: pulumi.Output<string>;
    readonly chart: k8s.helm.v4.Chart;

    constructor(name: string, args: OnlineBoutiqueArgs, opts?: pulumi.ComponentResourceOptions) {
        super("boutique:delivery:OnlineBoutique", name, {}, opts);
        const ns = namespace(BOUTIQUE_NAMESPACE, { "istio-injection": "enabled" }, { parent: this, dependsOn: [...args.after] });
        this.namespace = ns.metadata.name;
        const options: BoutiqueTransformOptions = { ...args.delivery, images: args.config.images };
        this.chart = helmChart(
            { chart: "onlineBoutique", name: "onlineboutique", namespace: this.namespace, overlay: boutiqueValues(args.config) },
            {
                parent: this,
                dependsOn: [...args.after],
                transforms: [boutiqueChartTransform(options)],
            },
        );
        this.registerOutputs({ namespace: this.namespace });
    }
}
