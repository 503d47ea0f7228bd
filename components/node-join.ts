import * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import { NodeIdentity, REDACTED, renderJoinConfiguration } from "./kubeadm-config";
import { encodeFileBundle, NodeFile } from "./node-files";
import {
    asRootCommand,
    NODE_PATHS,
    renderIssueJoinTokenScript,
    renderJoinNodeScript,
    renderLeaveControlPlaneScript,
    renderRemoveNodeScript,
} from "./node-scripts";
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

/** What every joining node needs to know about the cluster. */
export interface ClusterJoinSettings {
    readonly ssh: SshAccess;
    /** Where tokens are minted and nodes are drained: the first control plane. */
    readonly firstControlPlaneAddress: pulumi.Input<string>;
    /** The HAProxy internal address and port. */
    readonly apiServerEndpoint: string;
    readonly caCertHash: pulumi.Input<string>;
    readonly drainTimeoutSeconds: number;
    /** The first control plane's init: nothing joins before it. */
    readonly clusterInitialized: pulumi.Resource;
}

export interface NodeJoinArgs {
    readonly node: NodeIdentity;
    readonly instance: pulumi.CustomResource & { readonly instanceId: pulumi.Output<string> };
    readonly cluster: ClusterJoinSettings;
    /** For control planes: the key that decrypts the shared certificates, and the files their API server reads. */
    readonly controlPlane?: { readonly certificateKey: pulumi.Input<string>; readonly files: readonly PendingNodeFile[] };
    /** Joins that must finish first (control planes join one at a time: etcd adds one member at a time). */
    readonly after?: readonly pulumi.Resource[];
}

export interface NodeJoin {
    readonly membership: command.remote.Command;
    readonly join: command.remote.Command;
    /** Generated files for offline inspection, secrets replaced by "[secret]". */
    readonly artifacts: Record<string, pulumi.Input<string>>;
}

// Scripts may change in later versions of this program; a node that has joined never joins
// again, so an input change runs this no-op instead of a replacement (which would re-run
// `kubeadm join`, or for a membership, drain the node). Replacing the VM replaces both.
const NO_OP_UPDATE = "true";

/**
 * Joins one node through two commands:
 * - membership, on the first control plane: mints a 15-minute bootstrap token when the node
 *   joins (so a worker added weeks later still gets a valid one) and, when the node is removed,
 *   cordons and drains it (PodDisruptionBudgets respected, with a timeout) and deletes its Node
 *   object. Pulumi deletes in reverse dependency order, so this runs before the VM is deleted;
 *   a drain that cannot finish fails the update and the VM keeps running.
 * - join, on the node itself: `kubeadm join` with the rendered JoinConfiguration.
 */
export function joinCluster(prefix: string, args: NodeJoinArgs, parent: pulumi.Resource): NodeJoin {
    const { node, cluster } = args;
    const issueToken = renderIssueJoinTokenScript({ nodeName: node.name, uploadCertificates: args.controlPlane !== undefined });
    const removeNode = renderRemoveNodeScript({ nodeName: node.name, drainTimeoutSeconds: cluster.drainTimeoutSeconds });
    const membership = new command.remote.Command(
        `${prefix}-membership`,
        {
            connection: nodeConnection(cluster.ssh, cluster.firstControlPlaneAddress),
            create: asRootCommand(issueToken),
            // An update replaces stdout, which the join config reads: mint a fresh token (it expires
            // unused in 15 minutes) rather than leave an empty one behind.
            update: asRootCommand(issueToken),
            delete: asRootCommand(removeNode),
            stdin: args.controlPlane?.certificateKey,
            // Only stderr reaches Pulumi's log: stdout is the token.
            logging: "stderr",
            triggers: [args.instance.instanceId],
        },
        { parent, dependsOn: [cluster.clusterInitialized, args.instance, ...(args.after ?? [])], additionalSecretOutputs: ["stdout"] },
    );

    const render = (token: string, caCertHash: string, certificateKey: string | undefined) =>
        renderJoinConfiguration({
            apiServerEndpoint: cluster.apiServerEndpoint,
            token,
            caCertHash,
            node,
            ...(certificateKey === undefined ? {} : { controlPlane: { certificateKey } }),
        });
    const joinConfig = pulumi
        .all([membership.stdout, cluster.caCertHash, args.controlPlane?.certificateKey])
        .apply(([token, caCertHash, certificateKey]) => render(token.trim(), caCertHash, certificateKey));
    const redactedConfig = pulumi.output(cluster.caCertHash).apply((caCertHash) => render(REDACTED, caCertHash, args.controlPlane ? REDACTED : undefined));
    const joinScript = renderJoinNodeScript();
    const leave = args.controlPlane ? renderLeaveControlPlaneScript({ nodeName: node.name, drainTimeoutSeconds: cluster.drainTimeoutSeconds }) : undefined;
    const join = new command.remote.Command(
        `${prefix}-join`,
        {
            connection: nodeConnection(cluster.ssh, node.address),
            create: asRootCommand(joinScript),
            update: NO_OP_UPDATE,
            delete: leave ? asRootCommand(leave) : undefined,
            stdin: fileBundle([...(args.controlPlane?.files ?? []), { path: NODE_PATHS.kubeadmConfig, mode: "0600", content: pulumi.secret(joinConfig) }]),
            triggers: [args.instance.instanceId],
        },
        // Without its own delete, a worker's join needs nothing from the VM when both go.
        { parent, dependsOn: [membership, args.instance], ...(leave ? {} : { deletedWith: args.instance }) },
    );

    return {
        membership,
        join,
        artifacts: {
            "kubeadm-join.yaml": redactedConfig,
            "join-node.sh": joinScript,
            "issue-join-token.sh": issueToken,
            "remove-node.sh": removeNode,
            ...(leave ? { "leave-control-plane.sh": leave } : {}),
        },
    };
}
