import { strict as assert } from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import pino from "pino";
import { StackConfigError } from "../../config/stack-config";
import { CloudProviderService } from "../../scaler/cloud-provider";
import { DryRunStack } from "../../scaler/dry-run-stack";
import { repairedScale } from "../../scaler/scale-repair";
import { poolState, RETIRED_SLOTS_KEY, WORKER_COUNT_KEY } from "../../scaler/stack-port";
import { UpdateLoop } from "../../scaler/update-loop";
import { devConfigMap, PROJECT_ROOT } from "../fixtures";

/** The record four "+1, delete the newest" cycles left under the earlier rule (dev: maxWorkers 6). */
const CREPT = devConfigMap({ workerCount: "3", retiredWorkerSlots: "[2, 3, 4]" }); // deployed: slots 0, 1, 5
const RECORD = { ...CREPT, [RETIRED_SLOTS_KEY]: "[2,3,4,5]" }; // desired: slots 0, 1, 6

describe("a scale record an earlier slot rule left outside the pool", () => {
    it("is one the program refuses, and is repaired by moving the outside slot to the lowest free one", () => {
        assert.throws(
            () => poolState(RECORD, CREPT),
            (error: unknown) => error instanceof StackConfigError && /needing slot 6, but the IP pool has slots 0\.\.5/.test(error.message),
        );
        assert.deepEqual(repairedScale(RECORD, CREPT), { count: 3, retiredSlots: [] });
        assert.equal(repairedScale(CREPT, CREPT), undefined, "a record inside the pool is left alone");
        // No free slot: the program's error stands.
        assert.equal(repairedScale({ ...RECORD, [WORKER_COUNT_KEY]: "6", [RETIRED_SLOTS_KEY]: "[]", "boutique-platform:maxWorkers": "5" }, CREPT), undefined);
    });

    it("a scaler starting on it repairs it and starts: the new slot Creating, the deleted one still Deleting", async () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "scale-repair-"));
        try {
            const file = path.join(dir, "state.json");
            fs.writeFileSync(file, JSON.stringify({ config: RECORD, deployed: CREPT, updates: [] }));
            const dryRun = new DryRunStack(file, 0, PROJECT_ROOT);
            const stack = Object.assign(Object.create(dryRun) as DryRunStack, { up: () => new Promise<void>(() => undefined) });
            const silent = pino({ level: "silent" });
            const service = await CloudProviderService.start(stack, new UpdateLoop(stack, silent), silent);
            assert.deepEqual(
                service.instances("workers").map((i) => `${i.slot}:${i.state}`),
                ["0:instanceRunning", "1:instanceRunning", "2:instanceCreating", "5:instanceDeleting"],
            );
            const written = (await dryRun.readConfig()) as Record<string, string>;
            assert.deepEqual([written[WORKER_COUNT_KEY], written[RETIRED_SLOTS_KEY]], ["3", "[]"]);
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });
});
