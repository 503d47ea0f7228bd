import { status } from "@grpc/grpc-js";
import { liveWorkerSlots, poolNodeName, WorkerScale } from "../config/worker-slots";
import { LOKI_POOL } from "../config/node-pools";
import { gceProviderId, parseGceProviderId } from "../config/provider-ids";
import { bounded } from "./bounded-text";

/**
 * The `workers` node group as the Cluster Autoscaler sees it, computed from the desired stack
 * config (what the next `pulumi up` applies), the deployed one (what the last successful update
 * applied) and the slots whose VMs an unfinished or failed update may have made. Pure: every
 * decision is a function of those.
 */

export const WORKERS_GROUP = "workers";
/** The dedicated Loki nodes (lokiNodeCount), when the stack has them: a fixed-size group. */
export const LOKI_GROUP = "loki";
export type GroupId = typeof WORKERS_GROUP | typeof LOKI_GROUP;

/** A refused request: the gRPC status it answers with and a message for the autoscaler's log. */
export class ScaleError extends Error {
    constructor(
        readonly code: status,
        message: string,
    ) {
        super(message);
        this.name = "ScaleError";
    }
}

export interface PoolSpec {
    readonly project: string;
    readonly zone: string;
    readonly clusterName: string;
    readonly min: number;
    readonly max: number;
    /** The longest a scale update is expected to take (autoscaler.scaleUpdateMinutes): the provisioning budget's base. */
    readonly scaleUpdateSeconds: number;
}

export interface PoolState {
    readonly spec: PoolSpec;
    readonly desired: WorkerScale;
    readonly deployed: WorkerScale;
    /**
     * Worker slots an update may have changed and no successful update has settled: the slots each
     * attempt since the last success targeted (running, failed or killed), and machines the stack's
     * state holds beyond the deployed workers. Never handed out; listed Deleting when not desired.
     */
    readonly unsettled: readonly number[];
    /** The last failed update: the not-yet-created workers at its end, and why it failed (reported as `update-failed`). */
    readonly failure?: UpdateFailure;
    /** Dedicated Loki nodes: desired and deployed counts (0 when the stack has none). */
    readonly loki: { readonly desired: number; readonly deployed: number };
}

export interface UpdateFailure {
    readonly slots: readonly number[];
    readonly message: string;
}

export type InstanceState = "instanceRunning" | "instanceCreating" | "instanceDeleting";

/** cloudprovider.InstanceErrorClass (cluster-autoscaler/cloudprovider/cloud_provider.go): OtherErrorClass. */
export const OTHER_ERROR_CLASS = 99;

export interface GroupInstance {
    readonly slot: number;
    /** gce://<project>/<zone>/<instance>: what each kubelet registers as its provider id. */
    readonly id: string;
    readonly state: InstanceState;
    /** For a Creating instance an update failed to create: the autoscaler backs off at once. */
    readonly error?: { readonly code: string; readonly message: string; readonly errorClass: number };
}

/** A pool's node in this stack: `<cluster>-<pool>-<index>` (the VM, the Kubernetes node). */
type PoolKind = "worker" | typeof LOKI_POOL.name;

export function providerIdOf(spec: PoolSpec, pool: PoolKind, index: number): string {
    return gceProviderId(spec.project, spec.zone, poolNodeName(spec.clusterName, pool, index));
}

/** The index of a node of `pool` that a provider id names, or undefined when it is not one (control planes, HAProxy, other clusters). */
export function indexOf(spec: PoolSpec, pool: PoolKind, providerId: string): number | undefined {
    const ref = parseGceProviderId(providerId);
    const prefix = `${spec.clusterName}-${pool}-`;
    if (!ref || ref.project !== spec.project || ref.zone !== spec.zone || !ref.instance.startsWith(prefix)) return undefined;
    const rest = ref.instance.slice(prefix.length);
    return /^(0|[1-9][0-9]{0,5})$/.test(rest) ? Number(rest) : undefined;
}

/** Creating (desired, not deployed), running (both) or deleting (no longer desired, but deployed or unsettled). */
function instanceStates(
    spec: PoolSpec,
    pool: PoolKind,
    desired: readonly number[],
    present: readonly number[],
    unsettled: readonly number[] = [],
): GroupInstance[] {
    const [want, have] = [new Set(desired), new Set(present)];
    return [...new Set([...desired, ...present, ...unsettled])]
        .sort((a, b) => a - b)
        .map((slot) => ({
            slot,
            id: providerIdOf(spec, pool, slot),
            state: want.has(slot) && have.has(slot) ? "instanceRunning" : want.has(slot) ? "instanceCreating" : "instanceDeleting",
        }));
}

export function groupInstances(state: PoolState): GroupInstance[] {
    const failed = new Set(state.failure?.slots ?? []);
    return instanceStates(state.spec, "worker", liveWorkerSlots(state.desired), liveWorkerSlots(state.deployed), state.unsettled).map((instance) =>
        state.failure && instance.state === "instanceCreating" && failed.has(instance.slot)
            ? { ...instance, error: { code: "update-failed", message: state.failure.message, errorClass: OTHER_ERROR_CLASS } }
            : instance,
    );
}

/** Slots that hold, or may hold, a VM or a request: never handed out again until they settle. */
export function takenSlots(state: PoolState): Set<number> {
    return new Set([...liveWorkerSlots(state.desired), ...liveWorkerSlots(state.deployed), ...state.unsettled]);
}

/** The groups this stack has: the workers, and the Loki pool when there is one. */
export function groupIds(state: PoolState): GroupId[] {
    return state.loki.desired > 0 || state.loki.deployed > 0 ? [WORKERS_GROUP, LOKI_GROUP] : [WORKERS_GROUP];
}

export function checkGroup(state: PoolState, id: string): GroupId {
    const known = groupIds(state).find((group) => group === id);
    if (!known)
        throw new ScaleError(
            status.NOT_FOUND,
            `no node group "${bounded(id)}" (this provider has ${groupIds(state)
                .map((group) => `"${group}"`)
                .join(", ")})`,
        );
    return known;
}

/** The Loki pool is sized by lokiNodeCount in the stack config, never by the autoscaler. */
export function refuseFixedSize(id: GroupId): void {
    if (id === LOKI_GROUP)
        throw new ScaleError(status.FAILED_PRECONDITION, `node group "${LOKI_GROUP}" has a fixed size (lokiNodeCount); change it in the stack config`);
}

/** The Loki pool's nodes, 0..lokiNodeCount-1, with the same states as the workers. */
export function lokiInstances(state: PoolState): GroupInstance[] {
    const indexes = (count: number) => Array.from({ length: count }, (_, i) => i);
    return instanceStates(state.spec, LOKI_POOL.name, indexes(state.loki.desired), indexes(state.loki.deployed));
}

/** A node named as the autoscaler does (provider id) or as people do (instance name). */
export function asProviderId(spec: PoolSpec, node: string): string {
    return node.startsWith("gce://") ? node : gceProviderId(spec.project, spec.zone, node);
}
