import * as fs from "fs";
import { RETIRED_SLOTS_KEY, WORKER_COUNT_KEY } from "../../scaler/stack-port";
import { call, ScalerLab, UPSTREAM_PROTO } from "./scaler-lab";

/** Helpers the scaler conformance tests (test/scaler/scaler-conformance-*.test.ts) share. */

/** The provider id of the dev stack's worker in `slot`. */
export const ID = (slot: number) => `gce://boutique-dev-000000/europe-west1-b/boutique-dev-worker-${slot}`;
/** A node as the autoscaler sends it. */
export const node = (providerID: string) => ({ providerID, name: providerID.split("/").pop() });

export interface Instance {
    id: string;
    status: { instanceState: string };
}

/** The workers group's instances as "<slot>:<state>". */
export async function instances(lab: ScalerLab): Promise<string[]> {
    const response = await call(lab.client, "NodeGroupNodes", { id: "workers" });
    return (response.instances as Instance[]).map((instance) => `${instance.id.split("-").pop()}:${instance.status.instanceState}`);
}

/** The stack config's worker count and retired slots. */
export async function config(lab: ScalerLab): Promise<[string, string]> {
    const values = await lab.stack.readConfig();
    return [values[WORKER_COUNT_KEY], values[RETIRED_SLOTS_KEY]];
}

/** A `before` hook: skips the suite when the upstream proto is not here (a clone without ../shared). */
export function requireUpstreamProto(this: Mocha.Context): void {
    if (!fs.existsSync(UPSTREAM_PROTO)) {
        console.log(`      skipped: ${UPSTREAM_PROTO} is not here (a clone without ../shared)`);
        this.skip();
    }
}
