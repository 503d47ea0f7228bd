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
