import { strict as assert } from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { DryRunStack } from "../../scaler/dry-run-stack";
import { RecordedScaleStack } from "../../scaler/scale-record";
import { RETIRED_SLOTS_KEY, WORKER_COUNT_KEY } from "../../scaler/stack-port";
import { PROJECT_ROOT } from "../fixtures";

const ROOT = PROJECT_ROOT;

describe("the scale record (the scaler in a container)", () => {
    let dir: string;
    beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), "scale-record-"))));
    afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

    it("survives the loss of the stack's own config file and is replayed into it at start", async () => {
        // The dry-run file stands in for the image's Pulumi.<stack>.yaml: lost on restart.
        const imageConfig = path.join(dir, "image-stack.json");
        const record = path.join(dir, "volume", "dev.json");
        const first = await RecordedScaleStack.open(new DryRunStack(imageConfig, 0, ROOT), record);
        await first.writeConfig({ [WORKER_COUNT_KEY]: "3", [RETIRED_SLOTS_KEY]: "[1]" });
        fs.rmSync(imageConfig);

        const restartedInner = new DryRunStack(imageConfig, 0, ROOT);
        assert.equal((await restartedInner.readConfig())[RETIRED_SLOTS_KEY], "[]", "the image's config alone has lost the change");
        const restarted = await RecordedScaleStack.open(restartedInner, record);
        assert.equal((await restarted.readConfig())[RETIRED_SLOTS_KEY], "[1]");
        assert.equal((await restartedInner.readConfig())[RETIRED_SLOTS_KEY], "[1]", "replayed into the stack's config, which `up` reads");
        assert.equal((await restartedInner.readConfig())[WORKER_COUNT_KEY], "3");
    });

    it("writes the record before the stack's config, and only the changed keys", async () => {
        const record = path.join(dir, "dev.json");
        const stack = await RecordedScaleStack.open(new DryRunStack(path.join(dir, "stack.json"), 0, ROOT), record);
        await stack.writeConfig({ [WORKER_COUNT_KEY]: "4" });
        await stack.writeConfig({ [RETIRED_SLOTS_KEY]: "[0]" });
        assert.deepEqual(JSON.parse(fs.readFileSync(record, "utf8")), { [WORKER_COUNT_KEY]: "4", [RETIRED_SLOTS_KEY]: "[0]" });
        assert.deepEqual(fs.readdirSync(dir).sort(), ["dev.json", "stack.json"], "no temp file left behind");
    });

    it("a stack whose config write fails still has the change in the record (written first)", async () => {
        const record = path.join(dir, "first.json");
        const inner = new DryRunStack(path.join(dir, "stack.json"), 0, ROOT);
        const stack = await RecordedScaleStack.open(
            Object.assign(Object.create(inner) as DryRunStack, { writeConfig: () => Promise.reject(new Error("disk full")) }),
            record,
        );
        await assert.rejects(stack.writeConfig({ [WORKER_COUNT_KEY]: "5" }), /disk full/);
        assert.equal((JSON.parse(fs.readFileSync(record, "utf8")) as Record<string, string>)[WORKER_COUNT_KEY], "5");
    });

    it("hides nothing the service asks the inner stack for (existingWorkerSlots); without it, the deployed config's slots", async () => {
        const inner = new DryRunStack(path.join(dir, "stack.json"), 0, ROOT);
        const withSlots = Object.assign(Object.create(inner) as DryRunStack, { existingWorkerSlots: async () => [1, 2] });
        assert.deepEqual(await (await RecordedScaleStack.open(withSlots, path.join(dir, "a.json"))).existingWorkerSlots(), [1, 2]);
        assert.deepEqual(await (await RecordedScaleStack.open(inner, path.join(dir, "b.json"))).existingWorkerSlots(), [0, 1, 2]);
    });

    it("refuses a record that is not key -> text", async () => {
        const record = path.join(dir, "dev.json");
        fs.writeFileSync(record, JSON.stringify({ [WORKER_COUNT_KEY]: 4 }));
        await assert.rejects(RecordedScaleStack.open(new DryRunStack(path.join(dir, "stack.json"), 0, ROOT), record), /is not a scale record/);
    });
});
