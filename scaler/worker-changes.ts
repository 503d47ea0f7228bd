import { status } from "@grpc/grpc-js";
import { liveWorkerSlots, scaleOfSlots, WorkerScale } from "../config/worker-slots";
import { parseGceProviderId } from "../config/provider-ids";
import { bounded } from "./bounded-text";
import { indexOf, PoolState, ScaleError, takenSlots, WORKERS_GROUP } from "./node-group";

/**
 * The changes the autoscaler (and people, through `npm run scale`) make to the workers group, as
 * pure functions from the group's state to the next desired scale. Slots are handed out knowing
 * the deployed state: a slot is free only when it is neither desired, nor deployed, nor touched by
 * an unsettled update, so a node being deleted never comes back under a new request, and the
 * lowest free slot is always taken, so slot numbers never creep towards the pool's end.
 */

/** The `count` lowest free slots of the pool (0..max-1), or a refusal saying what holds the rest. */
function freeSlots(state: PoolState, count: number): number[] {
    const taken = takenSlots(state);
    const free = Array.from({ length: state.spec.max }, (_, slot) => slot).filter((slot) => !taken.has(slot));
    if (free.length >= count) return free.slice(0, count);
    const desired = new Set(liveWorkerSlots(state.desired));
    const settling = [...taken].filter((slot) => !desired.has(slot) && slot < state.spec.max).sort((a, b) => a - b);
    throw new ScaleError(
        status.RESOURCE_EXHAUSTED,
        `the pool has ${free.length} free slot(s) of ${state.spec.max} (maxWorkers) and ${count} are needed: ${desired.size} desired` +
            (settling.length > 0 ? `, slot(s) ${settling.join(", ")} still being deleted (free once an update completes)` : ""),
    );
}

/** IncreaseSize(delta): `delta` more workers, on the lowest free slots. */
export function increase(state: PoolState, delta: number): WorkerScale {
    if (!Number.isInteger(delta) || delta <= 0) throw new ScaleError(status.INVALID_ARGUMENT, `delta must be positive, got ${delta}`);
    const target = state.desired.count + delta;
    if (target > state.spec.max)
        throw new ScaleError(status.FAILED_PRECONDITION, `size ${state.desired.count} + ${delta} = ${target} exceeds the group's max (${state.spec.max})`);
    return scaleOfSlots([...liveWorkerSlots(state.desired), ...freeSlots(state, delta)]);
}

/**
 * DeleteNodes(nodes): exactly those workers leave, the others stay where they are. A node that is
 * already being deleted (deployed or unsettled, no longer desired) is accepted again unchanged:
 * the autoscaler repeats a deletion it has not seen finish, and an error would make it remove the
 * node's ToBeDeleted taint while the node is drained.
 */
export function deleteNodes(state: PoolState, providerIds: readonly string[]): WorkerScale {
    if (providerIds.length === 0) throw new ScaleError(status.INVALID_ARGUMENT, "no node to delete");
    const desired = new Set(liveWorkerSlots(state.desired));
    const taken = takenSlots(state);
    const leaving: number[] = [];
    const seen = new Set<number>();
    for (const id of providerIds) {
        if (!parseGceProviderId(id))
            throw new ScaleError(status.INVALID_ARGUMENT, `node provider id "${bounded(id)}" is not gce://<project>/<zone>/<instance>`);
        const slot = indexOf(state.spec, "worker", id);
        if (slot === undefined || !taken.has(slot)) throw new ScaleError(status.NOT_FOUND, `node ${bounded(id)} is not in node group "${WORKERS_GROUP}"`);
        if (seen.has(slot)) throw new ScaleError(status.INVALID_ARGUMENT, `node ${bounded(id)} is listed twice`);
        seen.add(slot);
        if (desired.has(slot)) leaving.push(slot);
    }
    const target = state.desired.count - leaving.length;
    if (leaving.length > 0 && target < state.spec.min) {
        throw new ScaleError(status.FAILED_PRECONDITION, `deleting ${leaving.length} node(s) leaves ${target}, below the group's min (${state.spec.min})`);
    }
    return scaleOfSlots([...desired].filter((slot) => !leaving.includes(slot)));
}

/**
 * DecreaseTargetSize(delta < 0): cancels `-delta` requested workers that are not created yet
 * (desired, not deployed), whichever slots they hold; those no update has started on go first,
 * then the highest. A running worker is never removed this way (DeleteNodes names it).
 */
export function decreaseTarget(state: PoolState, delta: number): WorkerScale {
    if (!Number.isInteger(delta) || delta >= 0) throw new ScaleError(status.INVALID_ARGUMENT, `delta must be negative, got ${delta}`);
    const target = state.desired.count + delta;
    if (target < state.spec.min)
        throw new ScaleError(status.FAILED_PRECONDITION, `size ${state.desired.count} - ${-delta} = ${target} is below the group's min (${state.spec.min})`);
    const deployed = new Set(liveWorkerSlots(state.deployed));
    const unsettled = new Set(state.unsettled);
    const pending = liveWorkerSlots(state.desired)
        .filter((slot) => !deployed.has(slot))
        .sort((a, b) => Number(unsettled.has(a)) - Number(unsettled.has(b)) || b - a);
    if (pending.length < -delta) {
        throw new ScaleError(
            status.FAILED_PRECONDITION,
            `decreasing by ${-delta} needs ${-delta} not-yet-created worker(s), there are ${pending.length}${pending.length > 0 ? ` (slot(s) ${pending.join(", ")})` : ""}; running workers are removed with DeleteNodes`,
        );
    }
    const cancelled = new Set(pending.slice(0, -delta));
    return scaleOfSlots(liveWorkerSlots(state.desired).filter((slot) => !cancelled.has(slot)));
}

/**
 * A person's or CI's resize to exactly `size` workers: up takes the lowest free slots, down removes
 * the highest live slots. Running workers may go: it is a deliberate change, unlike the autoscaler's
 * DecreaseTargetSize.
 */
export function resize(state: PoolState, size: number): WorkerScale {
    if (!Number.isInteger(size) || size < state.spec.min || size > state.spec.max) {
        throw new ScaleError(status.INVALID_ARGUMENT, `size ${size} is outside the group's bounds [${state.spec.min}, ${state.spec.max}]`);
    }
    const live = liveWorkerSlots(state.desired);
    if (size > live.length) return scaleOfSlots([...live, ...freeSlots(state, size - live.length)]);
    return scaleOfSlots(live.slice(0, size));
}
