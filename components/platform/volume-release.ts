import * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import { asRootCommand } from "../cluster/rendered/node-scripts";
import { nodeConnection, SshAccess } from "../cluster/ssh";
import { renderReleaseVolumesScript } from "./volume-release-script";

export interface VolumeReleaseArgs {
    /** Namespaces whose claims are on the platform's StorageClass (Prometheus, Alertmanager, Grafana, Loki, Tempo). */
    readonly namespaces: readonly string[];
    /** The control plane the step runs on (cp-0), through the bastion. */
    readonly controlPlaneAddress: string;
    readonly ssh: SshAccess;
    /**
     * What must outlive the step on a destroy: the CSI driver and StorageClass, the Kubernetes
     * provider (the API and its control planes, HAProxy, the firewall rules), the releases and
     * namespaces that own the claims (deleted after the step, so their pods are stopped by it).
     */
    readonly after: readonly pulumi.Resource[];
}

/**
 * `storage-volumes-released`: nothing on create; on destroy it runs before the releases, their
 * namespaces and the CSI driver are deleted, and deletes the claims' disks through the driver
 * (volume-release-script.ts). Without it the Persistent Disks would outlive the cluster.
 */
export class VolumeRelease extends pulumi.ComponentResource {
    constructor(name: string, args: VolumeReleaseArgs, opts?: pulumi.ComponentResourceOptions) {
        super("boutique:platform:VolumeRelease", name, {}, opts);
        const script = renderReleaseVolumesScript(args.namespaces);
        new command.remote.Command(
            `${name}-released`,
            { connection: nodeConnection(args.ssh, args.controlPlaneAddress), delete: asRootCommand(script) },
            { parent: this, dependsOn: [...args.after] },
        );
        this.registerOutputs({ artifacts: { "nodes/cp-0/release-volumes.sh": script } });
    }
}
