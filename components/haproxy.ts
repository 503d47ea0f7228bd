import * as command from "@pulumi/command";
import * as gcp from "@pulumi/gcp";
import * as pulumi from "@pulumi/pulumi";
import { HaproxyServer, renderHaproxyConfig } from "./haproxy-config";
import { ReservedAddress } from "./ip-pool";
import { nodeInstanceArgs } from "./node-vm";
import { asRootCommand, renderApplyHaproxyConfigScript, renderPrepareHaproxyScript } from "./node-scripts";
import { bastionConnection, SshAccess } from "./ssh";

const HAPROXY_DISK_GB = 20;

export interface HaproxyEntryPointArgs {
    readonly clusterName: string;
    readonly region: string;
    readonly zone: string;
    readonly machineType: string;
    readonly image: string;
    readonly subnetwork: pulumi.Input<string>;
    /** The VM's reserved internal address: the cluster's controlPlaneEndpoint. */
    readonly internalAddress: ReservedAddress;
    readonly serviceAccountEmail: pulumi.Input<string>;
    readonly sshUser: string;
    readonly sshPublicKey: pulumi.Input<string>;
    /** Secret. */
    readonly sshPrivateKey: pulumi.Input<string>;
    /** API-server backends (every control plane). */
    readonly controlPlanes: readonly HaproxyServer[];
    /** Ingress backends (every live worker). A scale change changes only this. */
    readonly workers: readonly HaproxyServer[];
}

/**
 * The cluster's single entry point and SSH bastion: a VM with the only external address,
 * serving the API server (6443) and ingress (80/443). Its haproxy.cfg is rendered from the
 * node lists and applied over SSH; the VM validates it with `haproxy -c` before reloading, so a
 * bad config never replaces a good one. On a scale change only the config command's input changes.
 */
export class HaproxyEntryPoint extends pulumi.ComponentResource {
    readonly publicIp: pulumi.Output<string>;
    readonly internalIp: string;
    readonly instanceName: string;
    /** How the program reaches every VM: through this one. */
    readonly ssh: SshAccess;
    /** Completes when the current haproxy.cfg is live. */
    readonly configApplied: command.remote.Command;
    readonly artifacts: Readonly<Record<string, string>>;

    constructor(name: string, args: HaproxyEntryPointArgs, opts?: pulumi.ComponentResourceOptions) {
        super("boutique:cluster:HaproxyEntryPoint", name, {}, opts);
        const parent = { parent: this };

        const publicAddress = new gcp.compute.Address(
            `${name}-public-ip`,
            { addressType: "EXTERNAL", region: args.region, networkTier: "PREMIUM", description: "Public entry point: API server and ingress" },
            parent,
        );
        this.instanceName = `${args.clusterName}-haproxy`;
        const startupScript = renderPrepareHaproxyScript();
        const instance = new gcp.compute.Instance(
            `${name}-vm`,
            nodeInstanceArgs({
                instanceName: this.instanceName,
                role: "haproxy",
                clusterName: args.clusterName,
                zone: args.zone,
                machineType: args.machineType,
                image: args.image,
                diskSizeGb: HAPROXY_DISK_GB,
                subnetwork: args.subnetwork,
                internalAddress: args.internalAddress.reservation.address,
                externalAddress: publicAddress.address,
                serviceAccountEmail: args.serviceAccountEmail,
                sshUser: args.sshUser,
                sshPublicKey: args.sshPublicKey,
                startupScript,
            }),
            { ...parent, deleteBeforeReplace: true },
        );
        this.publicIp = publicAddress.address;
        this.internalIp = args.internalAddress.ip;
        this.ssh = { user: args.sshUser, privateKey: args.sshPrivateKey, bastionHost: publicAddress.address };

        const config = renderHaproxyConfig({ controlPlanes: args.controlPlanes, workers: args.workers, metricsAddress: args.internalAddress.ip });
        const applyScript = renderApplyHaproxyConfigScript();
        this.configApplied = new command.remote.Command(
            `${name}-config`,
            {
                connection: bastionConnection(this.ssh),
                create: asRootCommand(applyScript),
                update: asRootCommand(applyScript),
                stdin: config,
                // A replaced VM starts without our config.
                triggers: [instance.instanceId],
            },
            { ...parent, dependsOn: [instance] },
        );
        this.artifacts = {
            "haproxy.cfg": config,
            "nodes/haproxy/startup-script.sh": startupScript,
            "nodes/haproxy/apply-haproxy-config.sh": applyScript,
        };
        this.registerOutputs({ publicIp: this.publicIp, internalIp: this.internalIp, artifacts: this.artifacts });
    }
}
