import { DEFAULT_SCALE_UPDATE_MINUTES } from "../config/autoscaler-config";
import { parseStackConfig, PROJECT } from "../config/stack-config";
import { liveWorkerSlots, scaleOfSlots, WorkerScale } from "../config/worker-slots";
import type { PoolState } from "./node-group";

/** A stack's config as Pulumi hands it over: full key -> text (lists as JSON). */
export type ConfigValues = Readonly<Record<string, string>>;

/**
 * What the scaler needs from a Pulumi stack. The real driver uses the Automation API; the
 * dry-run driver keeps the config in a local file and simulates `up`.
 */
export interface StackPort {
    /** The desired config: what the next update applies. */
    readConfig(): Promise<ConfigValues>;
    /** Records config changes durably (they survive a crash) before the RPC that asked answers. */
    writeConfig(changes: ConfigValues): Promise<void>;
    /** The config the last successful update applied. */
    readDeployed(): Promise<ConfigValues>;
    /**
     * One update of the worker pool to the desired config: of the slots in `plan` only, when given
     * (the rest of the pool is left as it is), else of the whole pool. Rejects with
     * ConcurrentUpdateError when another update holds the stack.
     */
    up(plan?: UpdatePlan): Promise<void>;
    /**
     * The worker slots the stack's state holds resources for, whatever the last successful config
     * says (a failed or killed update leaves what it created). Absent: the deployed config's slots.
     */
    existingWorkerSlots?(): Promise<readonly number[]>;
}

/** What one update may change: the worker slots it targets. */
export interface UpdatePlan {
    readonly slots: readonly number[];
}

export const WORKER_COUNT_KEY = `${PROJECT}:workerCount`;
export const RETIRED_SLOTS_KEY = `${PROJECT}:retiredWorkerSlots`;

/** The workers after an update of `plan`'s slots from `deployed` towards `desired`: the other slots stay as they were. */
export function targetedScale(deployed: WorkerScale, desired: WorkerScale, plan: UpdatePlan): WorkerScale {
    const targeted = new Set(plan.slots);
    const kept = liveWorkerSlots(deployed).filter((slot) => !targeted.has(slot));
    return scaleOfSlots([...kept, ...liveWorkerSlots(desired).filter((slot) => targeted.has(slot))]);
}

/** The two config values a scale change writes. */
export function scaleChanges(scale: WorkerScale): ConfigValues {
    return { [WORKER_COUNT_KEY]: String(scale.count), [RETIRED_SLOTS_KEY]: JSON.stringify([...scale.retiredSlots].sort((a, b) => a - b)) };
}

/** Pulumi's error when another update holds the stack: the Automation API names it for every backend. */
export function isConcurrentUpdate(error: unknown): boolean {
    return error instanceof Error && error.name === "ConcurrentUpdateError";
}

/**
 * The scale an earlier update applied. Read leniently (only the two scale keys): that config
 * passed the rules of its day, and an empty one means nothing is deployed yet.
 */
export function deployedScale(values: ConfigValues): WorkerScale {
    const count = Number(values[WORKER_COUNT_KEY] ?? "0");
    const retired: unknown = JSON.parse(values[RETIRED_SLOTS_KEY] ?? "[]");
    if (!Number.isInteger(count) || count < 0 || !Array.isArray(retired) || !retired.every((slot) => Number.isInteger(slot))) {
        throw new Error(
            `the deployed config has an unreadable scale: ${WORKER_COUNT_KEY}=${values[WORKER_COUNT_KEY]}, ${RETIRED_SLOTS_KEY}=${values[RETIRED_SLOTS_KEY]}`,
        );
    }
    return { count, retiredSlots: retired as number[] };
}

function deployedLokiNodes(values: ConfigValues): number {
    if (values[`${PROJECT}:enableLogging`] === "false") return 0;
    const count = Number(values[`${PROJECT}:lokiNodeCount`] ?? "0");
    return Number.isInteger(count) && count >= 0 ? count : 0;
}

/** The worker slots a stack's state holds: what the stack reports, or the deployed config's slots. */
export async function existingSlotsOf(stack: StackPort): Promise<readonly number[]> {
    return stack.existingWorkerSlots ? stack.existingWorkerSlots() : liveWorkerSlots(deployedScale(await stack.readDeployed()));
}

/** What the deployed config says about both groups. */
export function deployedPart(values: ConfigValues): { readonly workers: WorkerScale; readonly lokiNodes: number } {
    return { workers: deployedScale(values), lokiNodes: deployedLokiNodes(values) };
}

/** The workers group as two configs describe it: the desired one and the deployed one. */
export function poolState(desired: ConfigValues, deployed: ConfigValues): PoolState {
    // The program's own rules: the scaler never works from a config `up` would refuse.
    const config = parseStackConfig(desired);
    return {
        spec: {
            project: config.gcp.project,
            zone: config.gcp.zone,
            clusterName: config.clusterName,
            min: config.workers.min,
            max: config.workers.max,
            scaleUpdateSeconds: 60 * (config.autoscaler?.scaleUpdateMinutes ?? DEFAULT_SCALE_UPDATE_MINUTES),
        },
        desired: { count: config.workers.count, retiredSlots: config.workers.retiredSlots },
        deployed: deployedPart(deployed).workers,
        unsettled: [],
        loki: { desired: config.platform.layers.logging ? config.platform.loki.nodeCount : 0, deployed: deployedPart(deployed).lokiNodes },
    };
}
