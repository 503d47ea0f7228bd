import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { ciliumValues } from "./cilium-values";
import { helmRelease } from "../shared/helm-charts";

export interface CniArgs {
    /** The API server as nodes reach it before Services work (the HAProxy internal address). */
    readonly apiServerHost: string;
    readonly apiServerPort: number;
    readonly podCidr: string;
    /** The cluster's first control plane: nothing can be installed before it exists. */
    readonly after: readonly pulumi.Resource[];
}

/** Cilium: the pod network (VXLAN between nodes) and kube-proxy's replacement. Installed first: no pod starts without it. */
export class Cni extends pulumi.ComponentResource {
    readonly release: k8s.helm.v3.Release;

    constructor(name: string, args: CniArgs, opts?: pulumi.ComponentResourceOptions) {
        super("boutique:platform:Cni", name, {}, opts);
        this.release = helmRelease(
            { chart: "cilium", name: "cilium", namespace: "kube-system", overlay: ciliumValues(args) },
            { parent: this, dependsOn: [...args.after] },
        );
        this.registerOutputs({ release: this.release.status });
    }
}
