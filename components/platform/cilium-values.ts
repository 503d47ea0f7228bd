import { HelmValues } from "../shared/helm-charts";

export interface CiliumValuesArgs {
    /** The API server as Cilium must reach it before it provides Services itself (HAProxy). */
    readonly apiServerHost: string;
    readonly apiServerPort: number;
    readonly podCidr: string;
}

/** Cilium's computed values: the API endpoint (it replaces kube-proxy) and the pod range. */
export function ciliumValues(args: CiliumValuesArgs): HelmValues {
    return {
        k8sServiceHost: args.apiServerHost,
        k8sServicePort: args.apiServerPort,
        // Cilium's default cluster pool is 10.0.0.0/8, which would clash with the node subnet.
        ipam: { operator: { clusterPoolIPv4PodCIDRList: [args.podCidr], clusterPoolIPv4MaskSize: 24 } },
    };
}
