import { strict as assert } from "assert";
import * as fs from "fs";
import * as grpc from "@grpc/grpc-js";
import { DryRunStack } from "../../scaler/dry-run-stack";
import { scale } from "../../scaler/scale";
import { RETIRED_SLOTS_KEY, WORKER_COUNT_KEY } from "../../scaler/stack-port";
import { PROJECT_ROOT } from "../fixtures";
import { call, ScalerLab } from "../support/scaler-lab";
import { config, ID, instances, node, requireUpstreamProto } from "../support/scaler-conformance";

// Bursts during an update, scales deployed outside the scaler, cancelled workers and bad
// requests; reads and happy paths are in scaler-conformance-groups.test.ts.
describe("the scaler against the autoscaler's own proto (../shared/conformance)", function () {
    this.timeout(30_000);
    before(requireUpstreamProto);

    describe("a burst during an update", () => {
        const lab = new ScalerLab(0.5, { maxWorkers: "30" });
        before(() => lab.start());
        after(() => lab.stop());

        it("20 concurrent IncreaseSize(1) during an update: every one counted once, at most 2 more up runs", async () => {
            await call(lab.client, "NodeGroupIncreaseSize", { id: "workers", delta: 1 }); // starts an update
            assert.ok(lab.updates.busy);
            await Promise.all(Array.from({ length: 20 }, () => call(lab.client, "NodeGroupIncreaseSize", { id: "workers", delta: 1 })));
            assert.equal((await call(lab.client, "NodeGroupTargetSize", { id: "workers" })).targetSize, 24);
            await lab.updates.idle();
            const updates = lab.stack.updates();
            assert.ok(updates.length <= 3, `${updates.length} up runs in all (the first one, then at most 2 for the burst)`);
            assert.equal(updates[updates.length - 1].config[WORKER_COUNT_KEY], "24");
            assert.equal((await lab.stack.readDeployed())[WORKER_COUNT_KEY], "24");
        });

        it("a burst past max stops exactly at max: the rest are refused, nothing doubled", async () => {
            const results = await Promise.allSettled(Array.from({ length: 10 }, () => call(lab.client, "NodeGroupIncreaseSize", { id: "workers", delta: 1 })));
            assert.equal(results.filter((result) => result.status === "fulfilled").length, 6);
            assert.equal((await call(lab.client, "NodeGroupTargetSize", { id: "workers" })).targetSize, 30);
        });
    });

    describe("a scale deployed outside the scaler (CI's scale job, a person)", () => {
        const lab = new ScalerLab(0.5, { maxWorkers: "10" }, { outsideScaleCheckMs: 0 });
        before(() => lab.start());
        after(() => lab.stop());
        const targetSize = async () => Number((await call(lab.client, "NodeGroupTargetSize", { id: "workers" })).targetSize);

        it("is adopted on the next Refresh, so the autoscaler's next change builds on it instead of undoing it", async () => {
            await scale(new DryRunStack(lab.stateFile, 0, PROJECT_ROOT), { workers: 5, remove: [] }, false);
            assert.equal(await targetSize(), 3, "not seen before a Refresh");
            await call(lab.client, "Refresh");
            for (let i = 0; i < 50 && (await targetSize()) !== 5; i++) await new Promise((resolve) => setTimeout(resolve, 20));
            assert.equal(await targetSize(), 5);
            await call(lab.client, "NodeGroupIncreaseSize", { id: "workers", delta: 1 });
            await lab.updates.idle();
            assert.deepEqual(await instances(lab), [
                "0:instanceRunning",
                "1:instanceRunning",
                "2:instanceRunning",
                "3:instanceRunning",
                "4:instanceRunning",
                "5:instanceRunning",
            ]);
        });

        it("is not adopted while the scaler's own change is in flight (its requests are never dropped)", async () => {
            await call(lab.client, "NodeGroupIncreaseSize", { id: "workers", delta: 1 });
            // Someone deploys 2 workers while the scaler's update to 7 runs.
            const state = JSON.parse(lab.stateBytes()) as { deployed: Record<string, string> };
            fs.writeFileSync(lab.stateFile, JSON.stringify({ ...state, deployed: { ...state.deployed, [WORKER_COUNT_KEY]: "2", [RETIRED_SLOTS_KEY]: "[]" } }));
            await call(lab.client, "Refresh");
            await new Promise((resolve) => setTimeout(resolve, 100));
            assert.equal(await targetSize(), 7);
            await lab.updates.idle();
            assert.equal((await lab.stack.readDeployed())[WORKER_COUNT_KEY], "7");
        });
    });

    describe("DecreaseTargetSize cancels only workers not created yet", () => {
        const lab = new ScalerLab(2);
        before(() => lab.start());
        after(() => lab.stop());

        it("cancels a requested worker while its update is pending, never a running one", async () => {
            await call(lab.client, "NodeGroupIncreaseSize", { id: "workers", delta: 2 });
            assert.deepEqual((await instances(lab)).slice(-2), ["3:instanceCreating", "4:instanceCreating"]);
            await call(lab.client, "NodeGroupDecreaseTargetSize", { id: "workers", delta: -1 });
            assert.deepEqual(await config(lab), ["4", "[]"]);
            await assert.rejects(
                call(lab.client, "NodeGroupDecreaseTargetSize", { id: "workers", delta: -2 }),
                (error: grpc.ServiceError) => error.code === grpc.status.FAILED_PRECONDITION,
            );
        });
    });

    describe("bad requests: the right status, and the stack config byte-identical", () => {
        const lab = new ScalerLab(0.05);
        before(() => lab.start());
        after(() => lab.stop());

        const bad: [string, string, object, grpc.status][] = [
            ["delta 0", "NodeGroupIncreaseSize", { id: "workers", delta: 0 }, grpc.status.INVALID_ARGUMENT],
            ["a negative increase", "NodeGroupIncreaseSize", { id: "workers", delta: -1 }, grpc.status.INVALID_ARGUMENT],
            ["above max (3 + 4 > 6)", "NodeGroupIncreaseSize", { id: "workers", delta: 4 }, grpc.status.FAILED_PRECONDITION],
            ["below min (3 - 2 < 2)", "NodeGroupDeleteNodes", { id: "workers", nodes: [node(ID(0)), node(ID(1))] }, grpc.status.FAILED_PRECONDITION],
            ["an unknown group", "NodeGroupIncreaseSize", { id: "gpus", delta: 1 }, grpc.status.NOT_FOUND],
            ["an unknown group (target size)", "NodeGroupTargetSize", { id: "gpus" }, grpc.status.NOT_FOUND],
            [
                "a node outside the group (a control plane)",
                "NodeGroupDeleteNodes",
                { id: "workers", nodes: [node("gce://boutique-dev-000000/europe-west1-b/boutique-dev-cp-0")] },
                grpc.status.NOT_FOUND,
            ],
            ["a worker slot that is not live", "NodeGroupDeleteNodes", { id: "workers", nodes: [node(ID(5))] }, grpc.status.NOT_FOUND],
            ["a positive decrease delta", "NodeGroupDecreaseTargetSize", { id: "workers", delta: 1 }, grpc.status.INVALID_ARGUMENT],
            ["a decrease below the running count", "NodeGroupDecreaseTargetSize", { id: "workers", delta: -1 }, grpc.status.FAILED_PRECONDITION],
            [
                "a malformed node",
                "NodeGroupDeleteNodes",
                { id: "workers", nodes: [{ providerID: "aws:///us-east-1a/i-0abc", name: "x" }] },
                grpc.status.INVALID_ARGUMENT,
            ],
            ["no node at all", "NodeGroupDeleteNodes", { id: "workers", nodes: [] }, grpc.status.INVALID_ARGUMENT],
            ["the same node twice", "NodeGroupDeleteNodes", { id: "workers", nodes: [node(ID(2)), node(ID(2))] }, grpc.status.INVALID_ARGUMENT],
        ];
        for (const [what, method, request, code] of bad) {
            it(`${what}: ${grpc.status[code]}`, async () => {
                const before = lab.stateBytes();
                await assert.rejects(call(lab.client, method, request), (error: grpc.ServiceError) => {
                    assert.equal(grpc.status[error.code], grpc.status[code], error.details);
                    assert.ok(error.details.length > 10, "a message the autoscaler can log");
                    return true;
                });
                await lab.updates.idle();
                assert.equal(lab.stateBytes(), before);
                assert.equal(lab.stack.updates().length, 0, "no update ran");
            });
        }
    });
});
