import type { KubernetesRelease } from "../components/kubernetes-release";
import { kubernetesVersionText } from "../components/kubernetes-release";

/**
 * Which `kubernetesVersion` changes a running cluster can take, and in which order its nodes are
 * upgraded. kubeadm upgrades one minor at a time and never downgrades (upstream "Upgrading kubeadm
 * clusters" and the version-skew policy): the control planes first, the first one with `kubeadm
 * upgrade apply`, then the workers, whose kubelets must never be newer than the API server.
 * The node scripts (components/node-scripts-upgrade.ts) check the same rule again at run time,
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

/** True when `wanted` differs from what the cluster runs (an upgrade, once the rule allows it). */
export function isKubernetesUpgrade(deployed: KubernetesRelease | undefined, wanted: KubernetesRelease): boolean {
    return deployed !== undefined && (deployed.minor !== wanted.minor || deployed.patch !== wanted.patch);
}

/**
 * One step of an upgrade; each starts only after the one before it has finished and its nodes are
 * healthy again (the scripts wait for that before they return).
 */
export type KubernetesUpgradeStep =
    /** The etcd snapshot, `kubeadm upgrade apply`, then this node's own kubelet (drained). */
    | { readonly kind: "first-control-plane"; readonly node: string }
    /** `kubeadm upgrade node`, then this node's own kubelet (drained); one control plane at a time. */
    | { readonly kind: "control-plane"; readonly node: string }
    /** Workers upgraded together: drained from a control plane, upgraded on the node, uncordoned when Ready. */
    | { readonly kind: "workers"; readonly batch: number; readonly nodes: readonly string[] };

export interface KubernetesUpgradePlanInput {
    /** What the cluster runs now; undefined before the first deployment. */
    readonly deployed: KubernetesRelease | undefined;
    readonly wanted: KubernetesRelease;
    /** Node names of the control planes; the first is the one that ran `kubeadm init` (it has admin.conf). */
    readonly controlPlanes: readonly string[];
    readonly workers: readonly string[];
    /** How many workers are drained and upgraded at once: capacity the workloads can spare. */
    readonly workerBatchSize: number;
}

/**
 * The steps that upgrade the cluster from `deployed` to `wanted`, in order: none when nothing
 * changes. Throws the rule's message for a change kubeadm cannot make.
 */
export function kubernetesUpgradePlan(input: KubernetesUpgradePlanInput): readonly KubernetesUpgradeStep[] {
    const problem = kubernetesUpgradeProblem(input.deployed, input.wanted);
    if (problem !== undefined) throw new Error(problem);
    if (!Number.isSafeInteger(input.workerBatchSize) || input.workerBatchSize < 1) {
        throw new Error(`workerBatchSize must be a whole number, 1 or more, got ${input.workerBatchSize}`);
    }
    const names = [...input.controlPlanes, ...input.workers];
    const repeated = names.find((name, index) => names.indexOf(name) !== index);
    if (repeated !== undefined) throw new Error(`node ${repeated} is listed twice; every node is upgraded exactly once`);
    if (!isKubernetesUpgrade(input.deployed, input.wanted)) return [];
    const [first, ...others] = input.controlPlanes;
    if (first === undefined) throw new Error("an upgrade needs the first control plane (it runs kubeadm upgrade apply); none was given");
    const batches: KubernetesUpgradeStep[] = [];
    for (let start = 0; start < input.workers.length; start += input.workerBatchSize) {
        batches.push({ kind: "workers", batch: batches.length + 1, nodes: input.workers.slice(start, start + input.workerBatchSize) });
    }
    return [{ kind: "first-control-plane", node: first }, ...others.map((node): KubernetesUpgradeStep => ({ kind: "control-plane", node })), ...batches];
}
