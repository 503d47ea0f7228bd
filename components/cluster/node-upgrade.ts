import * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import { KubernetesRelease } from "../../config/kubernetes-release";
import { asRootCommand, renderUpgradeControlPlaneScript, renderUpgradeFirstControlPlaneScript, renderUpgradeWorkerScript } from "./rendered/node-scripts";

/**
 * In-place upgrades: one command per node whose script names the release, with no create (a new
 * node is prepared at the stack's release already) and the upgrade as its update, so raising
 * `kubernetesVersion` runs exactly these steps and replaces nothing. The order is kubeadm's: the
 * first control plane (`kubeadm upgrade apply`, after an etcd snapshot), the others one at a
 * time (`kubeadm upgrade node`), then the workers, each inside its roll (the cluster-wide
 * Lease, drained before and Ready with the new kubelet after), which first waits for the control
 * plane to run the release. Every script is a no-op on a node already at the release.
 */

export interface NodeUpgradeArgs {
    readonly prefix: string;
    readonly nodeName: string;
    readonly to: KubernetesRelease;
    readonly connection: command.types.input.remote.ConnectionArgs;
    readonly drainTimeoutSeconds: number;
    readonly after: readonly pulumi.Resource[];
}

export interface NodeUpgrade {
    readonly command: command.remote.Command;
    readonly artifacts: Record<string, string>;
}

function upgradeCommand(args: NodeUpgradeArgs, script: string, parent: pulumi.Resource): NodeUpgrade {
    const upgrade = new command.remote.Command(
        `${args.prefix}-upgrade`,
        { connection: args.connection, update: asRootCommand(script) },
        { parent, dependsOn: [...args.after] },
    );
    return { command: upgrade, artifacts: { "upgrade.sh": script } };
}

/** The first control plane's upgrade (`kubeadm upgrade apply`), or another control plane's (`kubeadm upgrade node`). */
export function controlPlaneUpgrade(args: NodeUpgradeArgs & { readonly first: boolean }, parent: pulumi.Resource): NodeUpgrade {
    const input = { nodeName: args.nodeName, to: args.to, drainTimeoutSeconds: args.drainTimeoutSeconds };
    return upgradeCommand(args, args.first ? renderUpgradeFirstControlPlaneScript(input) : renderUpgradeControlPlaneScript(input), parent);
}

/** A worker's own part (kubeadm upgrade node, kubelet, kubectl), run on it; its roll drains it before and waits for it after. */
export function workerUpgrade(args: NodeUpgradeArgs, parent: pulumi.Resource): NodeUpgrade {
    return upgradeCommand(args, renderUpgradeWorkerScript({ to: args.to }), parent);
}
