import { status } from "@grpc/grpc-js";
import { addWorkers, liveWorkerSlots, poolNodeName, removeWorkerSlot, WorkerScale } from "../config/worker-slots";
import { LOKI_POOL } from "../components/loki-values";
import { gceProviderId, parseGceProviderId } from "../components/pki";

/**
 * The `workers` node group as the Cluster Autoscaler sees it, computed from two stack configs:
 * the desired one (what the next `pulumi up` applies) and the deployed one (what the last
 * successful update applied). Pure: every decision is a function of those two.
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
}

export interface PoolState {
    readonly spec: PoolSpec;
    readonly desired: WorkerScale;
    readonly deployed: WorkerScale;
    /** Dedicated Loki nodes: desired and deployed counts (0 when the stack has none). */
    readonly loki: { readonly desired: number; readonly deployed: number };
}

export type InstanceState = "instanceRunning" | "instanceCreating" | "instanceDeleting";

export interface GroupInstance {
    readonly slot: number;
    /** gce://<project>/<zone>/<instance>: what each kubelet registers as its provider id. */
    readonly id: string;
    readonly state: InstanceState;
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

/** Creating (desired, not deployed), running (both) or deleting (deployed, no longer desired). */
function instanceStates(spec: PoolSpec, pool: PoolKind, desired: readonly number[], deployed: readonly number[]): GroupInstance[] {
    const [want, have] = [new Set(desired), new Set(deployed)];
    return [...new Set([...desired, ...deployed])]
        .sort((a, b) => a - b)
        .map((slot) => ({
            slot,
            id: providerIdOf(spec, pool, slot),
            state: want.has(slot) && have.has(slot) ? "instanceRunning" : want.has(slot) ? "instanceCreating" : "instanceDeleting",
        }));
}

export function groupInstances(state: PoolState): GroupInstance[] {
    return instanceStates(state.spec, "worker", liveWorkerSlots(state.desired), liveWorkerSlots(state.deployed));
}

/** The groups this stack has: the workers, and the Loki pool when there is one. */
export function groupIds(state: PoolState): GroupId[] {
    return state.loki.desired > 0 || state.loki.deployed > 0 ? [WORKERS_GROUP, LOKI_GROUP] : [WORKERS_GROUP];
}

export function checkGroup(state: PoolState, id: string): GroupId {
    const known = groupIds(state).find((group) => group === id);
    if (!known) throw new ScaleError(status.NOT_FOUND, `no node group "${id}" (this provider has ${groupIds(state).map((group) => `"${group}"`).join(", ")})`);
    return known;
}

/** The Loki pool is sized by lokiNodeCount in the stack config, never by the autoscaler. */
export function refuseFixedSize(id: GroupId): void {
    if (id === LOKI_GROUP) throw new ScaleError(status.FAILED_PRECONDITION, `node group "${LOKI_GROUP}" has a fixed size (lokiNodeCount); change it in the stack config`);
}

/** The Loki pool's nodes, 0..lokiNodeCount-1, with the same states as the workers. */
export function lokiInstances(state: PoolState): GroupInstance[] {
    const indexes = (count: number) => Array.from({ length: count }, (_, i) => i);
    return instanceStates(state.spec, LOKI_POOL.name, indexes(state.loki.desired), indexes(state.loki.deployed));
}

/** IncreaseSize(delta): the desired scale with `delta` more workers (retired slots reused first). */
export function increase(state: PoolState, delta: number): WorkerScale {
    if (!Number.isInteger(delta) || delta <= 0) throw new ScaleError(status.INVALID_ARGUMENT, `delta must be positive, got ${delta}`);
    const target = state.desired.count + delta;
    if (target > state.spec.max) throw new ScaleError(status.FAILED_PRECONDITION, `size ${state.desired.count} + ${delta} = ${target} exceeds the group's max (${state.spec.max})`);
    return addWorkers(state.desired, delta);
}

/** DeleteNodes(nodes): exactly those workers leave (their slots retired), the others stay where they are. */
export function deleteNodes(state: PoolState, providerIds: readonly string[]): WorkerScale {
    if (providerIds.length === 0) throw new ScaleError(status.INVALID_ARGUMENT, "no node to delete");
    const live = new Set(liveWorkerSlots(state.desired));
    const slots: number[] = [];
    for (const id of providerIds) {
        if (!parseGceProviderId(id)) throw new ScaleError(status.INVALID_ARGUMENT, `node provider id "${id}" is not gce://<project>/<zone>/<instance>`);
        const slot = indexOf(state.spec, "worker", id);
        if (slot === undefined || !live.has(slot)) throw new ScaleError(status.NOT_FOUND, `node ${id} is not in node group "${WORKERS_GROUP}"`);
        if (slots.includes(slot)) throw new ScaleError(status.INVALID_ARGUMENT, `node ${id} is listed twice`);
        slots.push(slot);
    }
    const target = state.desired.count - slots.length;
    if (target < state.spec.min) throw new ScaleError(status.FAILED_PRECONDITION, `deleting ${slots.length} node(s) leaves ${target}, below the group's min (${state.spec.min})`);
    return slots.reduce(removeWorkerSlot, state.desired);
}

/**
 * DecreaseTargetSize(delta < 0): only cancels workers that are not created yet (desired but not
 * deployed); a running worker is never removed this way (DeleteNodes names it).
 */
export function decreaseTarget(state: PoolState, delta: number): WorkerScale {
    if (!Number.isInteger(delta) || delta >= 0) throw new ScaleError(status.INVALID_ARGUMENT, `delta must be negative, got ${delta}`);
    const target: WorkerScale = { count: state.desired.count + delta, retiredSlots: state.desired.retiredSlots };
    if (target.count < state.spec.min) throw new ScaleError(status.FAILED_PRECONDITION, `size ${state.desired.count} - ${-delta} = ${target.count} is below the group's min (${state.spec.min})`);
    const deployed = new Set(liveWorkerSlots(state.deployed));
    const kept = new Set(liveWorkerSlots(target));
    const cancelled = liveWorkerSlots(state.desired).filter((slot) => !kept.has(slot));
    const running = cancelled.filter((slot) => deployed.has(slot));
    if (running.length > 0) {
        throw new ScaleError(status.FAILED_PRECONDITION, `decreasing by ${-delta} would remove running worker(s) ${running.join(", ")}; only not-yet-created workers can be cancelled (use DeleteNodes)`);
    }
    return target;
}

/**
 * A person's or CI's resize to exactly `size` workers: up adds the next free slots, down removes
 * the highest live slots (the foundation's rule). Running workers may go: it is a deliberate
 * change, unlike the autoscaler's DecreaseTargetSize.
 */
export function resize(state: PoolState, size: number): WorkerScale {
    if (!Number.isInteger(size) || size < state.spec.min || size > state.spec.max) {
        throw new ScaleError(status.INVALID_ARGUMENT, `size ${size} is outside the group's bounds [${state.spec.min}, ${state.spec.max}]`);
    }
    if (size > state.desired.count) return addWorkers(state.desired, size - state.desired.count);
    return { count: size, retiredSlots: state.desired.retiredSlots };
}

/** A node named as the autoscaler does (provider id) or as people do (instance name). */
export function asProviderId(spec: PoolSpec, node: string): string {
    return node.startsWith("gce://") ? node : gceProviderId(spec.project, spec.zone, node);
}

