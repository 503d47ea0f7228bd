/**
 * Workers are numbered slots. A slot's number fixes its VM name, its static address and its
 * Kubernetes node name for life, so a scale change touches only the slots it adds or removes.
 *
 * The stack config holds two values: `workerCount` and `retiredWorkerSlots`. The live slots are
 * the first `workerCount` non-negative integers that are not retired.
 */
export interface WorkerScale {
    readonly count: number;
    readonly retiredSlots: readonly number[];
}

/** The live slots, ascending. */
export function liveWorkerSlots(scale: WorkerScale): number[] {
    const retired = new Set(scale.retiredSlots);
    const live: number[] = [];
    for (let slot = 0; live.length < scale.count; slot++) {
        if (!retired.has(slot)) {
            live.push(slot);
        }
    }
    return live;
}

/**
 * Removes one specific worker: its slot is retired and the count lowered by one, which leaves
 * every other live slot where it was.
 */
export function removeWorkerSlot(scale: WorkerScale, slot: number): WorkerScale {
    if (!liveWorkerSlots(scale).includes(slot)) {
        throw new RangeError(`worker slot ${slot} is not live (live: ${liveWorkerSlots(scale).join(", ") || "none"})`);
    }
    return { count: scale.count - 1, retiredSlots: [...scale.retiredSlots, slot].sort((a, b) => a - b) };
}

/**
 * Adds `n` workers. A retired slot below the highest live one is reused first (un-retiring it
 * and raising the count adds exactly that slot), so slot numbers, and the IP pool sized for
 * `maxWorkers`, do not creep upwards as the autoscaler removes and adds nodes.
 */
export function addWorkers(scale: WorkerScale, n: number): WorkerScale {
    if (!Number.isInteger(n) || n < 1) {
        throw new RangeError(`number of workers to add must be a positive integer, got ${n}`);
    }
    let next: WorkerScale = scale;
    for (let i = 0; i < n; i++) {
        const live = liveWorkerSlots(next);
        const highest = live.length > 0 ? live[live.length - 1] : -1;
        const reusable = next.retiredSlots.filter((slot) => slot < highest);
        const retiredSlots = reusable.length > 0 ? next.retiredSlots.filter((slot) => slot !== Math.min(...reusable)) : next.retiredSlots;
        next = { count: next.count + 1, retiredSlots };
    }
    return next;
}

/** The slot numbers a change adds and removes. */
export function slotChanges(before: WorkerScale, after: WorkerScale): { added: number[]; removed: number[] } {
    const was = new Set(liveWorkerSlots(before));
    const now = new Set(liveWorkerSlots(after));
    return {
        added: [...now].filter((slot) => !was.has(slot)),
        removed: [...was].filter((slot) => !now.has(slot)),
    };
}

/** A pool node's VM and Kubernetes node name, `<cluster>-<pool>-<index>`: fixed for life. */
export function poolNodeName(clusterName: string, pool: string, index: number): string {
    return `${clusterName}-${pool}-${index}`;
}

/** A worker slot's VM and Kubernetes node name. */
export function workerNodeName(clusterName: string, slot: number): string {
    return poolNodeName(clusterName, "worker", slot);
}
