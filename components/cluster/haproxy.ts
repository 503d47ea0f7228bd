import * as command from "@pulumi/command";
import * as gcp from "@pulumi/gcp";
import * as pulumi from "@pulumi/pulumi";
import { HaproxyServer, renderHaproxyConfig } from "./rendered/haproxy-config";
import { ReservedAddress } from "./ip-pool";
import { nodeInstanceArgs } from "./node-vm";
import { asRootCommand, HaproxyConfigPart, renderApplyHaproxyConfigScript, renderPrepareHaproxyScript } from "./rendered/node-scripts";
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
    /** Ingress backends (every live worker). A scale change changes only this, and only ingress.cfg. */
    readonly workers: readonly HaproxyServer[];
    /**
     * What the VM must outlive on a destroy (the firewall rules the program's connections cross):
     * everything that dials through the bastion or the API depends on the VM, so they go last.
     */
    readonly outlives?: readonly pulumi.Resource[];
}

/**
 * The cluster's single entry point and SSH bastion: a VM with the only external address,
 * serving the API server (6443) and ingress (80/443). Its config is two files, each rendered
 * from a node list and applied over SSH by its own command: haproxy.cfg (API server, stats,
 * metrics) and ingress.cfg (80/443 to the workers). The VM validates a new file together with
 * the other live one (`haproxy -c`) before reloading, so a bad file never replaces a good one.
 * On a scale change only the ingress command's input changes, and nothing depends on that
 * command: a scale update that targets it (without its dependents) is complete.
 */
export class HaproxyEntryPoint extends pulumi.ComponentResource {
    readonly publicIp: pulumi.Output<string>;
    readonly internalIp: string;
    readonly instanceName: string;
    /** How the program reaches every VM: through this one. */
    readonly ssh: SshAccess;
    /** Completes when the current haproxy.cfg (API server, stats, metrics) is live: what the cluster's bring-up waits for. */
    readonly apiConfigApplied: command.remote.Command;
    /** Completes when the current ingress.cfg (the workers' backends) is live. Nothing may depend on it (see above). */
    readonly ingressConfigApplied: command.remote.Command;
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
            { ...parent, deleteBeforeReplace: true, dependsOn: [...(args.outlives ?? [])] },
        );
        this.publicIp = publicAddress.address;
        this.internalIp = args.internalAddress.ip;
        this.ssh = { user: args.sshUser, privateKey: args.sshPrivateKey, bastionHost: publicAddress.address };

        const config = renderHaproxyConfig({ controlPlanes: args.controlPlanes, workers: args.workers, metricsAddress: args.internalAddress.ip });
        const scripts: Record<HaproxyConfigPart, string> = { api: renderApplyHaproxyConfigScript("api"), ingress: renderApplyHaproxyConfigScript("ingress") };
        const applyCommand = (part: HaproxyConfigPart) => ({
            connection: bastionConnection(this.ssh),
            create: asRootCommand(scripts[part]),
            update: asRootCommand(scripts[part]),
            stdin: config[part],
            // A replaced VM starts without our config.
            triggers: [instance.instanceId],
        });
        this.apiConfigApplied = new command.remote.Command(`${name}-api-config`, applyCommand("api"), { ...parent, dependsOn: [instance] });
        // Named "-config" as the single command that applied the whole file before the split (a
        // new name would be a new resource). After the API part: it is loaded after that file.
        this.ingressConfigApplied = new command.remote.Command(`${name}-config`, applyCommand("ingress"), {
            ...parent,
            dependsOn: [instance, this.apiConfigApplied],
        });
        this.artifacts = {
            "haproxy.cfg": config.api,
            "haproxy-ingress.cfg": config.ingress,
            "nodes/haproxy/startup-script.sh": startupScript,
            "nodes/haproxy/apply-haproxy-api-config.sh": scripts.api,
            "nodes/haproxy/apply-haproxy-ingress-config.sh": scripts.ingress,
        };
        this.registerOutputs({ publicIp: this.publicIp, internalIp: this.internalIp, artifacts: this.artifacts });
    }
}
