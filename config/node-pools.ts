/** The node pools the program runs and the scaler models: their taints, labels and the dedicated Loki pool. */

export interface NodeTaint {
    readonly key: string;
    readonly value?: string;
    readonly effect: "NoSchedule" | "PreferNoSchedule" | "NoExecute";
}

export interface DedicatedPool {
    /** Names the nodes (`<cluster>-<name>-<index>`) and their resources. */
    readonly name: string;
    readonly labels: Readonly<Record<string, string>>;
    readonly taints: readonly NodeTaint[];
}

/** The dedicated Loki nodes: labelled for Loki's node selector, tainted so nothing else lands there. */
export const LOKI_POOL = {
    name: "loki",
    labels: { "boutique.dev/pool": "loki" },
    taints: [{ key: "dedicated", value: "loki", effect: "NoSchedule" }],
} as const satisfies DedicatedPool;

/**
 * The cloud labels a GCE node would get from a cloud controller manager, which this cluster does
 * not run: its kubelet registers them itself (--node-labels; the kubelet and NodeRestriction allow
 * these keys). The autoscaler's template nodes carry the same ones (scaler/template-node.ts), so a
 * pod that selects on them fits a real node exactly when it fits a template.
 */
export function cloudNodeLabels(region: string, zone: string, machineType: string): Record<string, string> {
    return {
        "node.kubernetes.io/instance-type": machineType,
        "topology.kubernetes.io/region": region,
        "topology.kubernetes.io/zone": zone,
    };
}
