import { BoutiqueConfig } from "../../config/boutique-config";
import { HelmValues } from "../shared/helm-charts";

/** Flagger's computed values: the platform's Prometheus, where its checks and MetricTemplates query. */
export function flaggerValues(args: { readonly prometheusUrl: string; readonly serviceAccount: string }): HelmValues {
    return { metricsServer: args.prometheusUrl, serviceAccount: { name: args.serviceAccount } };
}

/** Online Boutique's computed values: the loadgenerator is optional (boutiqueLoadGenerator). */
export function boutiqueValues(config: Pick<BoutiqueConfig, "loadGenerator">): HelmValues {
    return { loadGenerator: { create: config.loadGenerator } };
}
