/**
 * The cloud labels a GCE node would get from a cloud controller manager, which this cluster does
 * not run: its kubelet registers them itself (--node-labels; the kubelet and NodeRestriction allow
 * these keys). The autoscaler's template nodes carry the same ones (scaler/template-node.ts), so a
 * pod that selects on them fits a real node exactly when it fits a template.
 */
export function cloudNodeLabels(zone: string, machineType: string): Record<string, string> {
    return {
        "node.kubernetes.io/instance-type": machineType,
        "topology.kubernetes.io/region": regionOf(zone),
        "topology.kubernetes.io/zone": zone,
    };
}

/** A GCE zone's region: the zone without its letter (europe-west1-b -> europe-west1). */
function regionOf(zone: string): string {
    const match = /^([a-z]+-[a-z]+\d+)-[a-z]$/.exec(zone);
    if (!match) throw new RangeError(`"${zone}" is not a GCE zone such as europe-west1-b`);
    return match[1];
}
