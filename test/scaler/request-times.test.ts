import { strict as assert } from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import pino from "pino";
import { CloudProviderService } from "../../scaler/cloud-provider";
import { DryRunStack } from "../../scaler/dry-run-stack";
import { RequestTimesFile } from "../../scaler/request-times";
import { increase } from "../../scaler/worker-changes";
import { UpdateLoop } from "../../scaler/update-loop";
import { PROJECT_ROOT } from "../fixtures";

describe("request times outlive the scaler (the autoscaler's provisioning clock does not restart with it)", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "request-times-"));
    after(() => fs.rmSync(dir, { recursive: true, force: true }));
    const silent = pino({ level: "silent" });

    it("sit beside the scale record, round-trip, and a damaged file only forgets them", () => {
        const times = RequestTimesFile.beside(path.join(dir, "dev.json"));
        assert.equal(times.file, path.join(dir, "dev.requests.json"));
        assert.deepEqual([...times.load()], []);
        times.save(
            new Map([
                [4, 1700000000000],
                [3, 1700000005000],
            ]),
        );
        assert.deepEqual(JSON.parse(fs.readFileSync(times.file, "utf8")), { 3: 1700000005000, 4: 1700000000000 });
        assert.deepEqual(
            [...times.load()],
            [
                [3, 1700000005000],
                [4, 1700000000000],
            ],
        );
        fs.writeFileSync(times.file, JSON.stringify({ 3: "soon", x: 1, 5: 1700000009000 }));
        assert.deepEqual([...times.load()], [[5, 1700000009000]]);
    });

    it("a restarted service keeps a pending worker's request time, and forgets it once the worker is deployed", async () => {
        const state = path.join(dir, "state.json");
        const dryRun = new DryRunStack(state, 0, PROJECT_ROOT);
        // Its updates never end here (the worker stays pending), and hold no timer.
        const stack = Object.assign(Object.create(dryRun) as DryRunStack, { up: () => new Promise<void>(() => undefined) });
        let clock = 1_000_000;
        const requestTimes = RequestTimesFile.beside(state);
        const first = await CloudProviderService.start(stack, new UpdateLoop(stack, silent), silent, { now: () => clock, requestTimes });
        await first.mutate((current) => increase(current, 1));
        assert.deepEqual([...requestTimes.load()], [[3, 1_000_000]]);
        clock += 600_000;
        await CloudProviderService.start(stack, new UpdateLoop(stack, silent), silent, { now: () => clock, requestTimes });
        assert.deepEqual([...requestTimes.load()], [[3, 1_000_000]], "the successor counts from the request, not from its own start");
        // Deployed (as a finished update would record it): nothing pending, nothing kept.
        const recorded = JSON.parse(fs.readFileSync(state, "utf8")) as { config: Record<string, string> };
        fs.writeFileSync(state, JSON.stringify({ ...recorded, deployed: recorded.config }));
        await CloudProviderService.start(stack, new UpdateLoop(stack, silent), silent, { now: () => clock, requestTimes });
        assert.deepEqual([...requestTimes.load()], []);
    });
});
