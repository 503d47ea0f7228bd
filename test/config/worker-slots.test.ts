import { strict as assert } from "assert";
import { liveWorkerSlots, scaleOfSlots, slotChanges, WorkerScale } from "../../config/worker-slots";

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

    it("a set of live slots has one shortest scale: retired only below the highest live slot", () => {
        assert.deepEqual(scaleOfSlots([0, 2, 3]), scale(3, [1]));
        assert.deepEqual(scaleOfSlots([3, 0, 3]), scale(2, [1, 2]));
        assert.deepEqual(scaleOfSlots([]), scale(0));
        for (const slots of [[0, 1, 2], [4], [1, 5, 6], []]) assert.deepEqual(liveWorkerSlots(scaleOfSlots(slots)), slots);
        // The record the old rule left after four "+1, delete the newest" cycles, and the same slots now.
        assert.deepEqual(liveWorkerSlots(scale(3, [2, 3, 4, 5])), [0, 1, 6]);
        assert.deepEqual(scaleOfSlots([0, 1, 6]), scale(3, [2, 3, 4, 5]));
        assert.throws(() => scaleOfSlots([-1]), /whole numbers from 0, got \[-1\]/);
    });
});
