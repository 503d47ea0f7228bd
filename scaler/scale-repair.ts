import { liveWorkerSlots, scaleOfSlots, WorkerScale } from "../config/worker-slots";
import { PROJECT } from "../config/stack-config";
import { ConfigValues, deployedScale } from "./stack-port";

const MAX_WORKERS_KEY = `${PROJECT}:maxWorkers`;

/**
 * A record the scaler's earlier slot rule could leave behind: live slots past the pool's end
 * (retired slots crept up as the autoscaler added and deleted nodes), which the program refuses,
 * so neither `pulumi up` nor the scaler could start on it. Each live slot outside the pool was
 * never deployed (the program refuses it), so it is a pending request: it moves to the lowest
 * slot that is neither live nor deployed. Undefined when there is nothing to repair this way
 * (the program's own error then stands).
 */
export function repairedScale(config: ConfigValues, deployed: ConfigValues): WorkerScale | undefined {
    const max = Number(config[MAX_WORKERS_KEY]);
    if (!Number.isInteger(max) || max < 1) return undefined;
    let live: number[];
    let running: number[];
    try {
        live = liveWorkerSlots(deployedScale(config));
        running = liveWorkerSlots(deployedScale(deployed));
    } catch {
        return undefined;
    }
    const inside = live.filter((slot) => slot < max);
    const outside = live.length - inside.length;
    if (outside === 0) return undefined;
    const taken = new Set([...inside, ...running]);
    const free = Array.from({ length: max }, (_, slot) => slot).filter((slot) => !taken.has(slot));
    return free.length >= outside ? scaleOfSlots([...inside, ...free.slice(0, outside)]) : undefined;
}
