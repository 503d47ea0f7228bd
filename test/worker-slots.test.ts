import { strict as assert } from "assert";
import { addWorkers, liveWorkerSlots, removeWorkerSlot, slotChanges, WorkerScale } from "../config/worker-slots";

const scale = (count: number, retiredSlots: number[] = []): WorkerScale => ({ count, retiredSlots });

describe("worker slots", () => {
    const cases: [WorkerScale, number[]][] = [
        [scale(0), []],
        [scale(3), [0, 1, 2]],
        [scale(3, [1]), [0, 2, 3]],
        [scale(2, [0, 1]), [2, 3]],
        [scale(3, [7]), [0, 1, 2]],
    ];
    for (const [input, expected] of cases) {
        it(`count ${input.count}, retired [${input.retiredSlots.join(", ")}] -> live ${JSON.stringify(expected)}`, () => {
            assert.deepEqual(liveWorkerSlots(input), expected);
        });
    }

    it("raising the count adds the next free slot; lowering it removes the highest live slot", () => {
        assert.deepEqual(slotChanges(scale(3), scale(4)), { added: [3], removed: [] });
        assert.deepEqual(slotChanges(scale(4), scale(3)), { added: [], removed: [3] });
        assert.deepEqual(slotChanges(scale(3, [1]), scale(4, [1])), { added: [4], removed: [] });
    });

    it("removing one specific worker retires its slot and leaves the others", () => {
        const after = removeWorkerSlot(scale(4), 1);
        assert.deepEqual(after, scale(3, [1]));
        assert.deepEqual(slotChanges(scale(4), after), { added: [], removed: [1] });
        assert.throws(() => removeWorkerSlot(scale(3, [1]), 1), /worker slot 1 is not live \(live: 0, 2, 3\)/);
    });

    it("adding workers reuses retired slots below the highest live one before growing", () => {
        const after = addWorkers(scale(3, [1]), 1);
        assert.deepEqual(after, scale(4, []));
        assert.deepEqual(slotChanges(scale(3, [1]), after), { added: [1], removed: [] });
        assert.deepEqual(slotChanges(scale(2, [0, 1]), addWorkers(scale(2, [0, 1]), 3)), { added: [0, 1, 4], removed: [] });
        assert.throws(() => addWorkers(scale(1), 0), /positive integer, got 0/);
    });
});
