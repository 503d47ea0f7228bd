import { BOUTIQUE_NAMESPACE, shopGitPath } from "../components/delivery/online-boutique";
import { frontendDelivery } from "../components/delivery/progressive-delivery";
import { StackConfig } from "../config/stack-config";

/** Where `render` writes the shop's Git path, inside <out>/<stack>/. */
export const GITOPS_DIR = "gitops";

/**
 * The shop's Git path (what gitopsPath must hold for Argo CD), under gitops/. Written in both
 * modes: it is what a switch to Argo CD needs in Git first. Nothing when the shop is off.
 */
export function gitopsArtifacts(config: StackConfig): Record<string, string> {
    if (!config.boutique.enabled) return {};
    const files = shopGitPath(config.boutique, frontendDelivery(BOUTIQUE_NAMESPACE));
    return Object.fromEntries(Object.entries(files).map(([file, text]) => [`${GITOPS_DIR}/${file}`, text]));
}
