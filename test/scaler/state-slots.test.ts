import { strict as assert } from "assert";
import { resourceUrns } from "../../render/scale-targets";
import { workerSlotsInState } from "../../scaler/state-slots";
import { evaluateDev } from "../support/program";

/**
 * A stack export (apitype.DeploymentV3) built from the URNs the program itself declares: the
 * resources of an evaluation, as Pulumi would record them after an update (no Pulumi CLI here).
 */
describe("worker slots in a stack's state (pulumi stack export)", function () {
    this.timeout(120_000);

    it("are the slots whose VMs the state holds, from the program's own URNs: retired slots skipped, Loki nodes and control planes not workers", async () => {
        const evaluation = await evaluateDev({ workerCount: "3", retiredWorkerSlots: "[1]", lokiNodeCount: "3", lokiReplicas: "3" });
        const urns = [...resourceUrns(evaluation.resources, "dev", "boutique-platform").values()];
        assert.deepEqual(workerSlotsInState({ resources: urns.map((urn) => ({ urn, type: urn.split("::")[2] })) }), [0, 2, 3]);
    });

    it("include a VM a killed update left pending, and only the VM counts (a join without its VM is not a machine)", async () => {
        const urns = [...resourceUrns((await evaluateDev({ workerCount: "2" })).resources, "dev", "boutique-platform").values()];
        const pendingVm = urns.find((urn) => urn.endsWith("::worker-1-vm"))!.replace("worker-1-vm", "worker-4-vm");
        const kept = urns.filter((urn) => !urn.endsWith("::worker-1-vm"));
        assert.deepEqual(
            workerSlotsInState({ resources: kept.map((urn) => ({ urn })), pending_operations: [{ resource: { urn: pendingVm }, type: "creating" }] }),
            [0, 4],
        );
        assert.deepEqual(workerSlotsInState({}), []);
        assert.deepEqual(workerSlotsInState(null), []);
    });
});
