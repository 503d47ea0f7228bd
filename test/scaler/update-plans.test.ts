import { strict as assert } from "assert";
import pino from "pino";
import { CloudProviderService } from "../../scaler/cloud-provider";
import { ConfigValues, scaleChanges, StackPort, UpdatePlan } from "../../scaler/stack-port";
import { UpdateLoop } from "../../scaler/update-loop";
import { increase } from "../../scaler/worker-changes";
import { devConfigMap } from "../fixtures";

/** A stack whose updates fail as scripted and whose state holds the machines given; it records each plan. */
class ScriptedStack implements StackPort {
    readonly plans: (readonly number[] | undefined)[] = [];
    constructor(
        private config: ConfigValues,
        private deployed: ConfigValues,
        public machines: number[],
        private readonly failures: Error[],
    ) {}
    async readConfig() {
        return this.config;
    }
    async writeConfig(changes: ConfigValues) {
        this.config = { ...this.config, ...changes };
    }
    async readDeployed() {
        return this.deployed;
    }
    async existingWorkerSlots() {
        return this.machines;
    }
    async up(plan?: UpdatePlan) {
        this.plans.push(plan?.slots);
        const failure = this.failures.shift();
        if (failure) throw failure;
        this.deployed = this.config;
    }
}

describe("update plans: an attempt targets only the workers that differ", () => {
    const silent = pino({ level: "silent" });

    it("+1 targets the new slot; after that attempt fails half way (its VM made), the retry targets it again, never the running workers", async () => {
        const config = devConfigMap({ workerCount: "3" });
        const stack = new ScriptedStack(config, config, [0, 1, 2], [new Error("error: creating worker-3-join: ssh: handshake failed")]);
        const updates = new UpdateLoop(stack, silent, { sleep: async () => undefined });
        const service = await CloudProviderService.start(stack, updates, silent);
        stack.machines = [0, 1, 2, 3]; // the failed attempt creates the VM, not the join
        await service.mutate((state) => increase(state, 1));
        await updates.idle();
        assert.deepEqual(stack.plans, [[3], [3]]);
        assert.deepEqual(
            service.instances("workers").map((i) => `${i.slot}:${i.state}`),
            ["0:instanceRunning", "1:instanceRunning", "2:instanceRunning", "3:instanceRunning"],
        );
    });

    it("a slot the deployed config names but the state does not hold (read, not targeted) is Creating and gets the next plan", async () => {
        const desired = devConfigMap({ workerCount: "4" });
        const stack = new ScriptedStack(desired, { ...desired, ...scaleChanges({ count: 4, retiredSlots: [] }) }, [0, 1, 2], []);
        const updates = new UpdateLoop(stack, silent, { sleep: async () => undefined });
        const service = await CloudProviderService.start(stack, updates, silent);
        assert.deepEqual(
            service
                .instances("workers")
                .map((i) => `${i.slot}:${i.state}`)
                .slice(-1),
            ["3:instanceCreating"],
        );
        await updates.idle();
        assert.deepEqual(stack.plans, [[3]]);
    });
});
