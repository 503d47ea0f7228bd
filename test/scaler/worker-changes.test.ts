import { strict as assert } from "assert";
import { status } from "@grpc/grpc-js";
import { liveWorkerSlots, scaleOfSlots } from "../../config/worker-slots";
import { groupInstances, PoolState, providerIdOf, ScaleError } from "../../scaler/node-group";
import { decreaseTarget, deleteNodes, increase, resize } from "../../scaler/worker-changes";

const SPEC = { project: "p-123456", zone: "europe-west1-b", clusterName: "c", min: 2, max: 6, scaleUpdateSeconds: 480 };
const id = (slot: number) => providerIdOf(SPEC, "worker", slot);

function poolOf(desired: number[], deployed: number[], unsettled: number[] = []): PoolState {
    return { spec: SPEC, desired: scaleOfSlots(desired), deployed: scaleOfSlots(deployed), unsettled, loki: { desired: 0, deployed: 0 } };
}

const refusedWith = (code: status, message: RegExp) => (error: unknown) => error instanceof ScaleError && error.code === code && message.test(error.message);

describe("worker changes: slots handed out knowing the deployed state", () => {
    it("IncreaseSize takes the lowest slot that is neither desired, deployed nor unsettled", () => {
        // Slot 1 was deleted in the desired config but is still deployed (Deleting): never reused for a new request.
        assert.deepEqual(liveWorkerSlots(increase(poolOf([0, 2], [0, 1, 2]), 1)), [0, 2, 3]);
        // Once an update has removed it, it is the lowest free slot again.
        assert.deepEqual(liveWorkerSlots(increase(poolOf([0, 2], [0, 2]), 1)), [0, 1, 2]);
        // An update that may have created slot 3 (running, failed or killed) keeps it taken.
        assert.deepEqual(liveWorkerSlots(increase(poolOf([0, 1], [0, 1], [3]), 2)), [0, 1, 2, 4]);
    });

    it("refuses (RESOURCE_EXHAUSTED) when the pool has no free slot, saying which are still being deleted", () => {
        const full = poolOf([0, 1, 2, 3], [0, 1, 2, 3, 4, 5]);
        assert.throws(() => increase(full, 1), refusedWith(status.RESOURCE_EXHAUSTED, /0 free slot\(s\) of 6 .* slot\(s\) 4, 5 still being deleted/));
        assert.throws(
            () => increase(poolOf([0, 1, 2, 3, 4, 5], [0, 1, 2, 3, 4, 5]), 1),
            refusedWith(status.FAILED_PRECONDITION, /exceeds the group's max \(6\)/),
        );
    });

    it("DeleteNodes is idempotent for a node already being deleted, and still refuses one the group never had", () => {
        const deleting = poolOf([0, 2], [0, 1, 2]);
        assert.deepEqual(deleteNodes(deleting, [id(1)]), deleting.desired);
        assert.deepEqual(liveWorkerSlots(deleteNodes(poolOf([0, 1, 2], [0, 1, 2], [3]), [id(3), id(2)])), [0, 1]);
        assert.throws(() => deleteNodes(deleting, [id(4)]), refusedWith(status.NOT_FOUND, /is not in node group "workers"/));
        assert.throws(() => deleteNodes(deleting, [id(0)]), refusedWith(status.FAILED_PRECONDITION, /leaves 1, below the group's min \(2\)/));
    });

    it("DecreaseTargetSize cancels not-yet-created workers whichever slots they hold, and never a running one", () => {
        // Slot 5 is running, slot 1 was asked for later (lower, not created): 1 goes, 5 stays.
        assert.deepEqual(liveWorkerSlots(decreaseTarget(poolOf([0, 1, 2, 5], [0, 2, 5]), -1)), [0, 2, 5]);
        // Of two pending, the one no update has started on goes first.
        assert.deepEqual(liveWorkerSlots(decreaseTarget(poolOf([0, 1, 3, 4], [0, 1], [3]), -1)), [0, 1, 3]);
        assert.throws(
            () => decreaseTarget(poolOf([0, 1, 2, 5], [0, 2, 5]), -2),
            refusedWith(status.FAILED_PRECONDITION, /needs 2 not-yet-created worker\(s\), there are 1 \(slot\(s\) 1\)/),
        );
    });

    it("a person's resize up takes free slots, down removes the highest", () => {
        assert.deepEqual(liveWorkerSlots(resize(poolOf([0, 2], [0, 1, 2]), 4)), [0, 2, 3, 4]);
        assert.deepEqual(liveWorkerSlots(resize(poolOf([0, 2, 3, 4], [0, 2, 3, 4]), 2)), [0, 2]);
    });

    it("the listing: desired and deployed Running, desired only Creating, deployed or unsettled only Deleting", () => {
        const listing = groupInstances(poolOf([0, 3], [0, 1], [4]));
        assert.deepEqual(
            listing.map((instance) => `${instance.slot}:${instance.state}`),
            ["0:instanceRunning", "1:instanceDeleting", "3:instanceCreating", "4:instanceDeleting"],
        );
        const failed = groupInstances({ ...poolOf([0, 3], [0]), failure: { slots: [3], message: "pulumi up failed: boom" } });
        assert.deepEqual(failed[1].error, { code: "update-failed", message: "pulumi up failed: boom", errorClass: 99 });
    });

    it("four cycles of '+1, then delete the newest node' stay inside the pool: settled, each reuses slot 3; unsettled, the fourth is refused until an update settles", () => {
        let state = poolOf([0, 1, 2], [0, 1, 2]);
        for (let cycle = 0; cycle < 4; cycle++) {
            state = { ...state, desired: increase(state, 1) };
            assert.deepEqual(liveWorkerSlots(state.desired), [0, 1, 2, 3]);
            state = { ...state, deployed: state.desired };
            state = { ...state, desired: deleteNodes(state, [id(3)]) };
            state = { ...state, deployed: state.desired };
        }
        assert.deepEqual(state.desired, { count: 3, retiredSlots: [] }, "the record is the shortest one: no retired slot creeps");

        // No update finishes in between: each deleted node stays unsettled (Deleting), never reused.
        state = poolOf([0, 1, 2], [0, 1, 2]);
        const added: number[] = [];
        for (let cycle = 0; cycle < 3; cycle++) {
            state = { ...state, desired: increase(state, 1), unsettled: [...state.unsettled] };
            const newest = Math.max(...liveWorkerSlots(state.desired));
            added.push(newest);
            state = { ...state, unsettled: [...state.unsettled, newest] };
            state = { ...state, desired: deleteNodes(state, [id(newest)]) };
        }
        assert.deepEqual(added, [3, 4, 5]);
        assert.throws(() => increase(state, 1), refusedWith(status.RESOURCE_EXHAUSTED, /slot\(s\) 3, 4, 5 still being deleted/));
        assert.ok(groupInstances(state).every((instance) => instance.slot < SPEC.max));
        // An update settles them: slot 3 is free again.
        state = { ...state, unsettled: [] };
        assert.deepEqual(liveWorkerSlots(increase(state, 1)), [0, 1, 2, 3]);
    });
});
