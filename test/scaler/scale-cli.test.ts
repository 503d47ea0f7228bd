import { strict as assert } from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { DryRunStack } from "../../scaler/dry-run-stack";
import { ScaleError } from "../../scaler/node-group";
import { keepDeployedScale, scale } from "../../scaler/scale";
import { RETIRED_SLOTS_KEY, WORKER_COUNT_KEY } from "../../scaler/stack-port";
import { PROJECT_ROOT } from "../fixtures";
import { diffDev } from "../support/program";
import { runScript } from "../support/cli-child";

describe("npm run scale (people and CI; the scaler's code path)", function () {
    this.timeout(120_000);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "scale-"));
    after(() => fs.rmSync(dir, { recursive: true, force: true }));
    const stack = new DryRunStack(path.join(dir, "state.json"), 0, PROJECT_ROOT);

    it("--workers 4 adds the next slot and runs one update", async () => {
        assert.equal(await scale(stack, { workers: 4, remove: [] }, false), "workers 3 -> 4, retired slots []; update done");
        assert.equal((await stack.readDeployed())[WORKER_COUNT_KEY], "4");
        assert.equal(stack.updates().length, 1);
    });

    it("--remove worker 1 out of 0..3 leaves slots 0, 2, 3, and the program changes nothing else", async () => {
        await scale(stack, { remove: ["boutique-dev-worker-1"], workers: undefined }, true);
        const config = await stack.readConfig();
        assert.deepEqual([config[WORKER_COUNT_KEY], config[RETIRED_SLOTS_KEY]], ["3", "[1]"]);
        // The config the scaler wrote, through the foundation's render --diff.
        const diff = await diffDev({ workerCount: "4" }, { workerCount: config[WORKER_COUNT_KEY], retiredWorkerSlots: config[RETIRED_SLOTS_KEY] });
        assert.deepEqual(diff.created, []);
        assert.deepEqual(diff.deleted.map((resource) => resource.name).sort(), [
            "worker-1",
            "worker-1-membership",
            "worker-1-roll",
            "worker-1-settled",
            "worker-1-upgrade",
            "worker-1-vm",
        ]);
        assert.deepEqual(
            diff.changed.map((resource) => resource.name),
            ["haproxy-config"],
        );
    });

    it("refuses a size outside the bounds and writes nothing", async () => {
        const before = fs.readFileSync(path.join(dir, "state.json"), "utf8");
        await assert.rejects(scale(stack, { workers: 9, remove: [] }, false), (error: ScaleError) =>
            /size 9 is outside the group's bounds \[2, 6\]/.test(error.message),
        );
        assert.equal(fs.readFileSync(path.join(dir, "state.json"), "utf8"), before);
    });

    it("has no default stack: without --stack or --dry-run it is a usage error, before any stack is opened", async () => {
        for (const args of [["--workers", "4"], ["--keep-deployed"], ["--remove", "boutique-dev-worker-1", "--no-up"]]) {
            const { status, stderr } = await runScript("scaler/scale.ts", args);
            assert.equal(status, 2, `${args.join(" ")}: ${stderr}`);
            assert.match(stderr, /give --stack <name> \(pulumi stack ls lists them\), or --dry-run/);
            assert.match(stderr, /usage: npm run scale/);
        }
    });

    describe("--keep-deployed (CI's up from a checkout keeps the autoscaler's scale)", () => {
        const checkout = (name: string, deployed: Record<string, string> | undefined) => {
            const file = path.join(dir, `${name}.json`);
            const config = new DryRunStack(file, 0, PROJECT_ROOT);
            return {
                file,
                stack: config,
                seed: async () => {
                    const committed = await config.readConfig(); // the dev stack as committed: 3 workers
                    fs.writeFileSync(file, JSON.stringify({ config: committed, deployed: deployed ? { ...committed, ...deployed } : {}, updates: [] }));
                },
            };
        };

        it("writes the deployed workerCount and retired slots into the checkout's config, and runs no update", async () => {
            const { stack: ci, seed } = checkout("ci", { [WORKER_COUNT_KEY]: "5", [RETIRED_SLOTS_KEY]: "[1]" });
            await seed();
            assert.equal(await keepDeployedScale(ci), "kept the deployed scale: workers 5, retired slots [1] (committed: 3, [])");
            const config = await ci.readConfig();
            assert.deepEqual([config[WORKER_COUNT_KEY], config[RETIRED_SLOTS_KEY]], ["5", "[1]"]);
            assert.equal(ci.updates().length, 0);
        });

        it("leaves the committed scale when nothing is deployed yet", async () => {
            const { file, stack: fresh, seed } = checkout("fresh", undefined);
            await seed();
            const before = fs.readFileSync(file, "utf8");
            assert.equal(await keepDeployedScale(fresh), "nothing deployed yet: the committed scale stands");
            assert.equal(fs.readFileSync(file, "utf8"), before);
        });

        it("refuses, writing nothing, when the committed config no longer admits the deployed scale", async () => {
            const { file, stack: shrunk, seed } = checkout("shrunk", { [WORKER_COUNT_KEY]: "6", [RETIRED_SLOTS_KEY]: "[]" });
            await seed();
            await shrunk.writeConfig({ "boutique-platform:maxWorkers": "4" }); // a commit lowered the ceiling
            const before = fs.readFileSync(file, "utf8");
            await assert.rejects(keepDeployedScale(shrunk), /workerCount/);
            assert.equal(fs.readFileSync(file, "utf8"), before);
        });
    });
});
