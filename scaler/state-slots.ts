import { isRecord } from "../config/records";

/**
 * The worker slots whose VMs a stack's state holds: the resources `pulumi stack export` lists
 * (apitype.DeploymentV3: `resources[].urn`) and the operations a killed update left pending
 * (`pending_operations[].resource.urn`, e.g. a VM create that may have happened). A failed or
 * killed update leaves these whatever the last successful config says, so the scaler never hands
 * such a slot out as new.
 */
const WORKER_VM = /\$boutique:cluster:WorkerNode\$gcp:compute\/instance:Instance::worker-(0|[1-9]\d{0,5})-vm$/;

export function workerSlotsInState(deployment: unknown): number[] {
    const urns: unknown[] = [];
    if (isRecord(deployment)) {
        const { resources, pending_operations: pending } = deployment;
        if (Array.isArray(resources)) urns.push(...resources.map((resource) => (isRecord(resource) ? resource.urn : undefined)));
        if (Array.isArray(pending))
            urns.push(...pending.map((operation) => (isRecord(operation) && isRecord(operation.resource) ? operation.resource.urn : undefined)));
    }
    const slots = urns.flatMap((urn) => {
        const match = typeof urn === "string" && urn.includes("::boutique:cluster:WorkerPool$") ? WORKER_VM.exec(urn) : null;
        return match ? [Number(match[1])] : [];
    });
    return [...new Set(slots)].sort((a, b) => a - b);
}
