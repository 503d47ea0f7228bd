import * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import { NodeIdentity, renderJoinConfiguration } from "./rendered/kubeadm-config";
import { encodeFileBundle, NodeFile } from "./rendered/node-files";
import { asRootCommand, renderRemoveNodeScript } from "./rendered/node-scripts";
import { JOIN_PATHS, renderJoinNodeScript, renderJoinWorkerScript } from "./rendered/node-scripts-join";
import { nodeConnection, SshAccess } from "./ssh";

/** A file for a node whose content may come from another resource (or be secret). */
export interface PendingNodeFile {
    readonly path: string;
    readonly mode: NodeFile["mode"];
    readonly content: pulumi.Input<string>;
}

/** The stdin payload that installs `files` on a node; secret as soon as one file is. */
export function fileBundle(files: readonly PendingNodeFile[]): pulumi.Output<string> {
    return pulumi
        .all(files.map((file) => file.content))
        .apply((contents) => encodeFileBundle(files.map((file, i) => ({ path: file.path, mode: file.mode, content: contents[i] }))));
}

/** What every joining worker needs to know about the cluster. */
export interface ClusterJoinSettings {
    readonly ssh: SshAccess;
    /** The control plane that joins and removes workers: the first one. */
    readonly firstControlPlaneAddress: pulumi.Input<string>;
    /** The HAProxy internal address and port. */
    readonly apiServerEndpoint: string;
    readonly caCertHash: pulumi.Input<string>;
    readonly drainTimeoutSeconds: number;
    /** The cluster's one-time initialization: nothing joins before it, and when it goes (destroy), no removal runs. */
    readonly clusterInitialized: pulumi.Resource;
    /** The first control plane's own bring-up: joins and removals run there. */
    readonly firstControlPlaneReady: pulumi.Resource;
    /** The key a control plane joins workers with (NodeAccess.workerJoinPrivateKey, secret). */
    readonly workerJoinPrivateKey: pulumi.Input<string>;
    /** How long a node's change waits for the others' (node-roll.ts). */
    readonly rollWaitSeconds: number;
    /**
     * The last control plane's roll settled: workers roll after it. Their roll commands run on cp-0,
     * which must not be replaced under them, and their kubelet must not be upgraded before the
     * control plane (the version-skew policy).
     */
    readonly controlPlaneSettled: pulumi.Resource;
}

export interface WorkerJoinArgs {
    readonly node: NodeIdentity;
    readonly instance: pulumi.CustomResource & { readonly instanceId: pulumi.Output<string> };
    readonly cluster: ClusterJoinSettings;
}

export interface WorkerJoin {
    readonly membership: command.remote.Command;
    /** Generated files for offline inspection (nothing secret in them). */
    readonly artifacts: Record<string, pulumi.Input<string>>;
}

/**
 * A worker's membership: one command on the first control plane. Creating it joins the worker
 * (a token minted for this attempt, the node's part run over SSH); a failed join is retried by
 * the next `up` as a new attempt, and a re-run on a joined node does nothing, so an update runs
 * the same script. Deleting it removes the node from the cluster (drain, delete the Node), which
 * Pulumi runs before it deletes the VM. Replacing the VM replaces the membership.
 */
export function joinWorker(prefix: string, args: WorkerJoinArgs, parent: pulumi.Resource): WorkerJoin {
    const { node, cluster } = args;
    const joinScript = renderJoinWorkerScript({ nodeName: node.name, nodeAddress: node.address, sshUser: cluster.ssh.user });
    const removeNode = renderRemoveNodeScript({ nodeName: node.name, drainTimeoutSeconds: cluster.drainTimeoutSeconds });
    const joinConfig = pulumi
        .output(cluster.caCertHash)
        .apply((caCertHash) => renderJoinConfiguration({ apiServerEndpoint: cluster.apiServerEndpoint, caCertHash, node, controlPlane: false }));
    const relayDir = `${JOIN_PATHS.relayDir}/${node.name}`;
    const nodeBundle = joinConfig.apply((config) => encodeFileBundle([{ path: JOIN_PATHS.joinConfig, mode: "0644", content: config }]));
    const membership = new command.remote.Command(
        `${prefix}-membership`,
        {
            connection: nodeConnection(cluster.ssh, cluster.firstControlPlaneAddress),
            create: asRootCommand(joinScript),
            update: asRootCommand(joinScript),
            delete: asRootCommand(removeNode),
            stdin: fileBundle([
                { path: `${relayDir}/ssh-key`, mode: "0600", content: cluster.workerJoinPrivateKey },
                { path: `${relayDir}/node-bundle`, mode: "0600", content: nodeBundle },
            ]),
            triggers: [args.instance.instanceId],
        },
        // deletedWith: a destroy takes the whole cluster down, so it drains nothing.
        { parent, dependsOn: [cluster.clusterInitialized, cluster.firstControlPlaneReady, args.instance], deletedWith: cluster.clusterInitialized },
    );
    return {
        membership,
        artifacts: {
            "kubeadm-join.yaml": joinConfig,
            "join-worker.sh": joinScript,
            "join-node.sh": renderJoinNodeScript({ nodeName: node.name }),
            "remove-node.sh": removeNode,
        },
    };
}
