import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { StorageProvider } from "../../config/platform-config";
import { applyObjects } from "../shared/cluster-objects";
import { STORAGE_CLASS, storageObjects } from "./storage-objects";

export interface DefaultStorageArgs {
    /**
     * `gce-pd`: Persistent Disks through the GCE PD CSI driver, acting as the nodes' service
     * account (it needs the disk roles NodeAccess grants with `persistentDisks`).
     * `local-path`: a directory on the node; the volume dies with the node (dev stacks only).
     */
    readonly provider: StorageProvider;
    /** The CNI and the nodes the driver's pods run on. */
    readonly after: readonly pulumi.Resource[];
}

/** The cluster's default StorageClass and the driver behind it, for the StatefulSets (Loki, Prometheus, Alertmanager, Grafana, Tempo). */
export class DefaultStorage extends pulumi.ComponentResource {
    /** The default StorageClass's name. */
    readonly storageClass = STORAGE_CLASS;
    readonly objects: k8s.yaml.v2.ConfigGroup;

    constructor(name: string, args: DefaultStorageArgs, opts?: pulumi.ComponentResourceOptions) {
        super("boutique:platform:DefaultStorage", name, {}, opts);
        this.objects = applyObjects(`${name}-${args.provider}`, storageObjects(args.provider), { parent: this, dependsOn: [...args.after] });
        this.registerOutputs({ storageClass: this.storageClass });
    }
}
