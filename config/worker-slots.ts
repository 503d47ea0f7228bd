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
 * The scale whose live slots are exactly `slots`, in its shortest form: every slot below the
 * highest live one that is not live is retired; nothing above it is (a retired slot above the
 * highest live one changes nothing, and a list of them only creeps towards the pool's end).
 */
export function scaleOfSlots(slots: Iterable<number>): WorkerScale {
    const live = [...new Set(slots)].sort((a, b) => a - b);
    if (live.some((slot) => !Number.isInteger(slot) || slot < 0)) throw new RangeError(`worker slots must be whole numbers from 0, got [${live.join(", ")}]`);
    const liveSet = new Set(live);
    const highest = live.length > 0 ? live[live.length - 1] : -1;
    const retiredSlots = Array.from({ length: highest + 1 }, (_, slot) => slot).filter((slot) => !liveSet.has(slot));
    return { count: live.length, retiredSlots };
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

/** The most worker slots a stack may have: Kubernetes supports clusters of up to 5,000 nodes ("Considerations for large clusters"). */
export const MAX_WORKER_SLOTS = 5000;
