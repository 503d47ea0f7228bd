import * as gcp from "@pulumi/gcp";
import * as pulumi from "@pulumi/pulumi";
import { NETWORK_TAGS } from "./firewall-rules";

export type VmRole = "control-plane" | "worker" | "haproxy";

export interface NodeVmArgs {
    /** The GCE instance name; for Kubernetes nodes also the node name and the provider id's last part. */
    readonly instanceName: string;
    readonly role: VmRole;
    readonly clusterName: string;
    readonly zone: string;
    readonly machineType: string;
    readonly image: string;
    readonly diskSizeGb: number;
    readonly subnetwork: pulumi.Input<string>;
    /** The slot's reserved internal address. */
    readonly internalAddress: pulumi.Input<string>;
    /** Only the HAProxy VM has one. */
    readonly externalAddress?: pulumi.Input<string>;
    readonly serviceAccountEmail: pulumi.Input<string>;
    readonly sshUser: string;
    readonly sshPublicKey: pulumi.Input<string>;
    /** Workers only: the key control planes join them with (NodeAccess.workerJoinPublicKey). */
    readonly workerJoinPublicKey?: pulumi.Input<string>;
    /** Run by the guest agent as root at every boot. */
    readonly startupScript: string;
    readonly labels?: Readonly<Record<string, string>>;
}

/** What every Kubernetes node's VM shares with the others of its kind (the rest is per node). */
export type NodeVmTemplate = Pick<
    NodeVmArgs,
    "clusterName" | "zone" | "machineType" | "image" | "diskSizeGb" | "subnetwork" | "serviceAccountEmail" | "sshPublicKey" | "startupScript"
>;

/** The shared part of a node's VM arguments, picked from a component's args. */
export function nodeVmTemplate(args: NodeVmTemplate): NodeVmTemplate {
    const { clusterName, zone, machineType, image, diskSizeGb, subnetwork, serviceAccountEmail, sshPublicKey, startupScript } = args;
    return { clusterName, zone, machineType, image, diskSizeGb, subnetwork, serviceAccountEmail, sshPublicKey, startupScript };
}

/**
 * GCE's `ssh-keys` metadata: one `<user>:<public key> <comment>` line per key. The guest agent
 * authorizes each for the user (with passwordless sudo).
 */
export function sshKeysMetadata(user: string, keys: readonly { readonly publicKey: string; readonly comment: string }[]): string {
    for (const { publicKey, comment } of keys) {
        if (/[\r\n]/.test(publicKey) || !/^[A-Za-z0-9._@-]+$/.test(comment))
            throw new Error(`ssh-keys: a key must be one line and its comment a single word, got comment ${JSON.stringify(comment)}`);
    }
    return keys.map(({ publicKey, comment }) => `${user}:${publicKey.trim()} ${comment}`).join("\n");
}

function tagsFor(role: VmRole): string[] {
    switch (role) {
        case "control-plane":
            return [NETWORK_TAGS.node, NETWORK_TAGS.controlPlane];
        case "worker":
            return [NETWORK_TAGS.node, NETWORK_TAGS.worker];
        case "haproxy":
            return [NETWORK_TAGS.haproxy];
        default: {
            const unknownRole: never = role;
            throw new Error(`unknown VM role ${String(unknownRole)}`);
        }
    }
}

/**
 * Instance arguments shared by every VM, so they all get the same posture: Shielded VM with
 * secure boot, a dedicated service account (IAM, not scopes, limits it), no external address
 * unless one is given, project-wide SSH keys blocked, and only the program's key.
 */
export function nodeInstanceArgs(args: NodeVmArgs): gcp.compute.InstanceArgs {
    return {
        name: args.instanceName,
        zone: args.zone,
        machineType: args.machineType,
        // A machine type can only change on a stopped VM; without this the update fails. The roll
        // around each node (node-scripts-roll.ts) drains it first and waits for it to be Ready after.
        allowStoppingForUpdate: true,
        bootDisk: { initializeParams: { image: args.image, size: args.diskSizeGb, type: "pd-balanced" } },
        networkInterfaces: [
            {
                subnetwork: args.subnetwork,
                networkIp: args.internalAddress,
                accessConfigs: args.externalAddress ? [{ natIp: args.externalAddress }] : [],
            },
        ],
        serviceAccount: { email: args.serviceAccountEmail, scopes: ["https://www.googleapis.com/auth/cloud-platform"] },
        shieldedInstanceConfig: { enableSecureBoot: true, enableVtpm: true, enableIntegrityMonitoring: true },
        canIpForward: false,
        tags: tagsFor(args.role),
        labels: { cluster: args.clusterName, role: args.role, "managed-by": "pulumi", ...args.labels },
        metadata: {
            "ssh-keys": pulumi
                .all([args.sshPublicKey, args.workerJoinPublicKey])
                .apply(([own, join]) =>
                    sshKeysMetadata(args.sshUser, [
                        { publicKey: own, comment: args.sshUser },
                        ...(join === undefined ? [] : [{ publicKey: join, comment: `${args.sshUser}-worker-join` }]),
                    ]),
                ),
            "block-project-ssh-keys": "true",
            // OS Login would ignore the program's key; this cluster's SSH is the program's alone.
            "enable-oslogin": "FALSE",
            "startup-script": args.startupScript,
        },
    };
}
