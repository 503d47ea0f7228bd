import type { KubernetesRelease } from "./kubernetes-release";
import { kubernetesVersionText } from "./kubernetes-release";

/**
 * Which `kubernetesVersion` changes a running cluster can take. kubeadm upgrades one minor at a
 * time and never downgrades (upstream "Upgrading kubeadm clusters" and the version-skew policy).
 * The node scripts (components/cluster/rendered/node-scripts-upgrade.ts) check the same rule again at run time,
 * against the versions the cluster and the node really run.
 */

/**
 * The problem with moving a cluster that runs `deployed` to `wanted`, or undefined when kubeadm
 * can do it: nothing deployed yet, the same release, a later patch, or the next minor (any patch).
 */
export function kubernetesUpgradeProblem(deployed: KubernetesRelease | undefined, wanted: KubernetesRelease): string | undefined {
    if (deployed === undefined) return undefined;
    const from = kubernetesVersionText(deployed);
    const to = kubernetesVersionText(wanted);
    const next = `1.${deployed.minor + 1}.x`;
    if (wanted.minor < deployed.minor || (wanted.minor === deployed.minor && wanted.patch < deployed.patch)) {
        return `kubernetesVersion ${to} is older than ${from}, which the cluster runs: kubeadm cannot downgrade a cluster; keep ${from}, or upgrade to a later 1.${deployed.minor} patch or to ${next}`;
    }
    if (wanted.minor > deployed.minor + 1) {
        const skipped = Array.from({ length: wanted.minor - deployed.minor - 1 }, (_, index) => `1.${deployed.minor + 1 + index}`);
        return `kubernetesVersion ${to} skips ${skipped.join(", ")}: kubeadm upgrades one minor at a time; upgrade to ${next} first (the cluster runs ${from})`;
    }
    return undefined;
}
