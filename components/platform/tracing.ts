import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { namespace } from "../shared/cluster-objects";
import { helmRelease } from "../shared/helm-charts";
import { TEMPO } from "./service-addresses";
import { tempoValues } from "./tempo-values";

export interface TracingArgs {
    readonly storageClass: string;
    /** The default StorageClass and the nodes Tempo runs on. */
    readonly after: readonly pulumi.Resource[];
}

/** Tempo (single binary): the traces the collector forwards, queried by Grafana and Kiali. */
export class Tracing extends pulumi.ComponentResource {
    readonly release: k8s.helm.v3.Release;

    constructor(name: string, args: TracingArgs, opts?: pulumi.ComponentResourceOptions) {
        super("boutique:platform:Tracing", name, {}, opts);
        const ns = namespace(TEMPO.namespace, {}, { parent: this, dependsOn: [...args.after] });
        this.release = helmRelease(
            { chart: "tempo", name: TEMPO.release, namespace: ns.metadata.name, overlay: tempoValues(args.storageClass) },
            { parent: this, dependsOn: [...args.after] },
        );
        this.registerOutputs({ release: this.release.status });
    }
}
