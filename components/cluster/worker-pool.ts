import * as gcp from "@pulumi/gcp";
import * as pulumi from "@pulumi/pulumi";
import { poolNodeName, workerNodeName } from "../../config/worker-slots";
import { ReservedAddress } from "./ip-pool";
import { ClusterJoinSettings, joinWorker } from "./node-join";
import { cloudNodeLabels, DedicatedPool } from "../../config/node-pools";
import { KubernetesRelease } from "../../config/kubernetes-release";
import { nodeRoll } from "./node-roll";
import { workerUpgrade } from "./node-upgrade";
import { nodeInstanceArgs, nodeVmTemplate } from "./node-vm";
import { nodeConnection } from "./ssh";
import { gceProviderId } from "../../config/provider-ids";

/** What every worker VM shares. */
export interface WorkerTemplate {
    readonly clusterName: string;
    readonly project: string;
    /** The zone's region (gcp:region; the config checks they agree): a node label. */
    readonly region: string;
    readonly zone: string;
    readonly machineType: string;
    readonly image: string;
    readonly diskSizeGb: number;
    /** The release its kubelet runs; raising it upgrades the node in place inside its roll. */
    readonly kubernetesVersion: KubernetesRelease;
    readonly subnetwork: pulumi.Input<string>;
    readonly serviceAccountEmail: pulumi.Input<string>;
    readonly sshPublicKey: pulumi.Input<string>;
    /** The key control planes join workers with (NodeAccess.workerJoinPublicKey). */
    readonly workerJoinPublicKey: pulumi.Input<string>;
    /** Run by every Kubernetes node at boot (containerd, kubelet, kubeadm). */
    readonly startupScript: string;
    readonly cluster: ClusterJoinSettings;
}

export interface WorkerPoolArgs extends WorkerTemplate {
    /** The live worker slots (see config/worker-slots.ts). */
    readonly slots: readonly number[];
    /** The IP pool's worker addresses, indexed by slot. */
    readonly addresses: readonly ReservedAddress[];
}

/** A dedicated pool: its nodes register with these labels and taints, so only pods that tolerate and select them land there. */

export interface WorkerNodeArgs extends WorkerTemplate {
    readonly slot: number;
    readonly address: ReservedAddress;
    /** Set for a dedicated pool's node; absent for the general (scalable) workers. */
    readonly pool?: DedicatedPool;
}

/**
 * One worker slot: its VM and its cluster membership (join, removal). Everything is named after the
 * slot, so adding or removing this worker creates or deletes exactly these resources.
 */
export class WorkerNode extends pulumi.ComponentResource {
    readonly nodeName: string;

    constructor(name: string, args: WorkerNodeArgs, opts?: pulumi.ComponentResourceOptions) {
        super("boutique:cluster:WorkerNode", name, {}, opts);
        this.nodeName = args.pool ? poolNodeName(args.clusterName, args.pool.name, args.slot) : workerNodeName(args.clusterName, args.slot);
        // An image, disk, machine type or release change reaches one node at a time (node-roll.ts),
        // workers after the control planes.
        const roll = nodeRoll(
            name,
            {
                nodeName: this.nodeName,
                template: { image: args.image, diskSizeGb: args.diskSizeGb, machineType: args.machineType, kubernetesVersion: args.kubernetesVersion },
                connection: nodeConnection(args.cluster.ssh, args.cluster.firstControlPlaneAddress),
                drainTimeoutSeconds: args.cluster.drainTimeoutSeconds,
                waitSeconds: args.cluster.rollWaitSeconds,
            },
            this,
            [args.cluster.controlPlaneSettled],
        );
        const instance = new gcp.compute.Instance(
            `${name}-vm`,
            nodeInstanceArgs({
                ...nodeVmTemplate(args),
                instanceName: this.nodeName,
                role: "worker",
                internalAddress: args.address.reservation.address,
                sshUser: args.cluster.ssh.user,
                workerJoinPublicKey: args.workerJoinPublicKey,
                labels: args.pool ? { pool: args.pool.name, "pool-index": String(args.slot) } : { "worker-slot": String(args.slot) },
            }),
            { parent: this, deleteBeforeReplace: true, dependsOn: [roll.start] },
        );
        const joined = joinWorker(
            name,
            {
                node: {
                    name: this.nodeName,
                    address: args.address.ip,
                    providerId: gceProviderId(args.project, args.zone, this.nodeName),
                    labels: { ...cloudNodeLabels(args.region, args.zone, args.machineType), ...args.pool?.labels },
                    ...(args.pool ? { taints: args.pool.taints } : {}),
                },
                instance,
                cluster: args.cluster,
            },
            this,
        );
        const upgrade = workerUpgrade(
            {
                prefix: name,
                nodeName: this.nodeName,
                to: args.kubernetesVersion,
                connection: nodeConnection(args.cluster.ssh, args.address.ip),
                drainTimeoutSeconds: args.cluster.drainTimeoutSeconds,
                after: [instance, joined.membership],
            },
            this,
        );
        roll.finish([joined.membership, upgrade.command]);
        const artifacts = Object.fromEntries(
            Object.entries({ "startup-script.sh": args.startupScript, ...joined.artifacts, ...roll.artifacts, ...upgrade.artifacts }).map(([file, text]) => [
                `nodes/${name}/${file}`,
                text,
            ]),
        );
        this.registerOutputs({ nodeName: this.nodeName, artifacts });
    }
}

/** The workers: one WorkerNode per live slot. */
export class WorkerPool extends pulumi.ComponentResource {
    readonly nodeNames: readonly string[];

    constructor(name: string, args: WorkerPoolArgs, opts?: pulumi.ComponentResourceOptions) {
        super("boutique:cluster:WorkerPool", name, {}, opts);
        const { slots, addresses, ...template } = args;
        this.nodeNames = slots.map((slot) => new WorkerNode(`worker-${slot}`, { ...template, slot, address: addresses[slot] }, { parent: this }).nodeName);
        this.registerOutputs({ nodeNames: this.nodeNames });
    }
}

export interface DedicatedNodePoolArgs extends WorkerTemplate {
    readonly pool: DedicatedPool;
    /** One node per address. */
    readonly addresses: readonly ReservedAddress[];
}

/** A fixed-size pool of tainted, labelled nodes for one workload (e.g. Loki); never autoscaled. */
export class DedicatedNodePool extends pulumi.ComponentResource {
    readonly nodeNames: readonly string[];

    constructor(name: string, args: DedicatedNodePoolArgs, opts?: pulumi.ComponentResourceOptions) {
        super("boutique:cluster:DedicatedNodePool", name, {}, opts);
        const { addresses, ...template } = args;
        this.nodeNames = addresses.map((address, i) => new WorkerNode(`${args.pool.name}-${i}`, { ...template, slot: i, address }, { parent: this }).nodeName);
        this.registerOutputs({ nodeNames: this.nodeNames });
    }
}
