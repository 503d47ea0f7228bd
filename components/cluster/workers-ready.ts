import * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import { ClusterJoinSettings } from "./node-join";
import { asRootCommand } from "./rendered/node-scripts";
import { nodeConnection } from "./ssh";
import { renderWorkersReadyScript } from "./rendered/workers-ready-script";

export interface WorkersReadyArgs {
    /** The cluster (connection to the first control plane). */
    readonly cluster: Pick<ClusterJoinSettings, "ssh" | "firstControlPlaneAddress">;
    /** The cluster's one-time initialization (ControlPlane.initialized): the gate runs after it (a replaced cp-0 joins the same cluster, so it does not run again). */
    readonly clusterInitialized: pulumi.CustomResource;
    /**
     * Ready, schedulable workers to wait for. The stack passes minWorkers: never above workerCount,
     * so always reachable; unchanged by a scale (only workerCount and retiredWorkerSlots change),
     * so a scale never touches this gate; enough nodes for Loki's one-replica-per-node placement
     * (lokiReplicas is at most minWorkers without a Loki pool). With 0 (scale from zero) it waits
     * for none: the releases' pods stay Pending until the Cluster Autoscaler adds workers for them.
     */
    readonly minReadyWorkers: number;
}

/**
 * The platform releases' wait for workers, without depending on any worker: a command on the
 * first control plane that polls the API until enough nodes can take an ordinary pod. Depending
 * on the WorkerPool instead would make every release a dependent of every worker, so a scale
 * update could not target the workers alone.
 */
export class WorkersReady extends pulumi.ComponentResource {
    readonly gate: command.remote.Command;

    constructor(name: string, args: WorkersReadyArgs, opts?: pulumi.ComponentResourceOptions) {
        super("boutique:cluster:WorkersReady", name, {}, opts);
        const script = renderWorkersReadyScript({ minReadyWorkers: args.minReadyWorkers });
        // Runs on create, and again when its inputs change (minWorkers, the script). The trigger is the
        // cluster's one-time initialization, which is never replaced. A wait has nothing to undo, so
        // no delete command.
        this.gate = new command.remote.Command(
            `${name}-wait`,
            {
                connection: nodeConnection(args.cluster.ssh, args.cluster.firstControlPlaneAddress),
                create: asRootCommand(script),
                triggers: [args.clusterInitialized.id],
            },
            { parent: this, dependsOn: [args.clusterInitialized] },
        );
        const artifacts = { "nodes/cp-0/workers-ready.sh": script };
        this.registerOutputs({ artifacts });
    }
}
