import * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import { asRootCommand } from "./rendered/node-scripts";
import { NodeTemplate, renderRollFinishScript, renderRollStartScript } from "./rendered/node-scripts-roll";

/** A bound for one node's change: its drain, a new VM, its preparation and join. */
const NODE_CHANGE_SECONDS = 1800;

/** How long a node waits for the roll lease: every other node changing first, each within its bound. */
export function rollWaitSeconds(nodeCount: number, drainTimeoutSeconds: number): number {
    return Math.max(1, nodeCount) * (drainTimeoutSeconds + NODE_CHANGE_SECONDS);
}

export interface NodeRollArgs {
    readonly nodeName: string;
    readonly template: NodeTemplate;
    /** A lone control plane snapshots etcd before its VM changes (RollStartInput). */
    readonly snapshotFirst?: boolean;
    /** Where the roll's commands run: a control plane with admin credentials. */
    readonly connection: command.types.input.remote.ConnectionArgs;
    readonly drainTimeoutSeconds: number;
    readonly waitSeconds: number;
}

export interface NodeRoll {
    /** The VM waits for it: when the template changes, it takes the lease and drains the node first. */
    readonly start: command.remote.Command;
    readonly artifacts: Record<string, string>;
    /** Waits for what brings the node back (its VM, its join), then for Ready; uncordons and gives the lease back. */
    finish(after: readonly pulumi.Resource[]): command.remote.Command;
}

/**
 * The bracket around one node's VM change (node-scripts-roll.ts). Both commands have no create (a
 * new node has nothing to drain and holds no lease; nothing is even dialled) and run their script
 * as the update when the node's template changes (their text names it), so a change reaches one
 * node at a time.
 */
export function nodeRoll(prefix: string, args: NodeRollArgs, parent: pulumi.Resource, after: readonly pulumi.Resource[]): NodeRoll {
    const startScript = renderRollStartScript({
        nodeName: args.nodeName,
        template: args.template,
        snapshotFirst: args.snapshotFirst,
        drainTimeoutSeconds: args.drainTimeoutSeconds,
        waitSeconds: args.waitSeconds,
    });
    const finishScript = renderRollFinishScript({ nodeName: args.nodeName, template: args.template, readyWaitSeconds: NODE_CHANGE_SECONDS });
    const start = new command.remote.Command(
        `${prefix}-roll`,
        { connection: args.connection, update: asRootCommand(startScript) },
        { parent, dependsOn: [...after] },
    );
    return {
        start,
        artifacts: { "roll-start.sh": startScript, "roll-finish.sh": finishScript },
        finish: (finishAfter) =>
            new command.remote.Command(
                `${prefix}-settled`,
                { connection: args.connection, update: asRootCommand(finishScript) },
                { parent, dependsOn: [...finishAfter] },
            ),
    };
}
