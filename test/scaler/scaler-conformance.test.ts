import { strict as assert } from "assert";
import * as fs from "fs";
import * as grpc from "@grpc/grpc-js";
import { DryRunStack } from "../../scaler/dry-run-stack";
import { scale } from "../../scaler/scale";
import { RETIRED_SLOTS_KEY, WORKER_COUNT_KEY } from "../../scaler/stack-port";
import { cloudProviderClient, PROTO_FILE } from "../../scaler/client";
import { decodeNode } from "../support/node-wire";
import pino from "pino";
import { CloudProviderService } from "../../scaler/cloud-provider";
import { UpdateLoop } from "../../scaler/update-loop";
import { PROJECT_ROOT } from "../fixtures";
import { call, ScalerLab, UPSTREAM_PROTO } from "../support/scaler-lab";

const ID = (slot: number) => `gce://boutique-dev-000000/europe-west1-b/boutique-dev-worker-${slot}`;
const node = (providerID: string) => ({ providerID, name: providerID.split("/").pop() });

interface Instance {
    id: string;
    status: { instanceState: string };
}

async function instances(lab: ScalerLab): Promise<string[]> {
    const response = await call(lab.client, "NodeGroupNodes", { id: "workers" });
    return (response.instances as Instance[]).map((instance) => `${instance.id.split("-").pop()}:${instance.status.instanceState}`);
}

async function config(lab: ScalerLab): Promise<[string, string]> {
    const values = await lab.stack.readConfig();
    return [values[WORKER_COUNT_KEY], values[RETIRED_SLOTS_KEY]];
}

describe("the scaler against the autoscaler's own proto (../shared/conformance)", function () {
    this.timeout(30_000);
    before(function () {
        if (!fs.existsSync(UPSTREAM_PROTO)) {
            console.log(`      skipped: ${UPSTREAM_PROTO} is not here (a clone without ../shared)`);
            this.skip();
        }
    });

    describe("reads and happy paths", () => {
        // Updates last 1 s, so the in-flight state (creating, deleting) is still there after two calls on a loaded machine.
        const lab = new ScalerLab(1);
        before(() => lab.start());
        after(() => lab.stop());

        it("NodeGroups: one group, workers, with the stack's bounds", async () => {
            const { nodeGroups } = await call(lab.client, "NodeGroups");
            assert.deepEqual(
                (nodeGroups as { id: string; minSize: number; maxSize: number }[]).map(({ id, minSize, maxSize }) => ({ id, minSize, maxSize })),
                [{ id: "workers", minSize: 2, maxSize: 6 }],
            );
        });

        it("TargetSize, Nodes (the kubelets' provider ids) and NodeGroupForNode (empty for a control plane)", async () => {
            assert.equal((await call(lab.client, "NodeGroupTargetSize", { id: "workers" })).targetSize, 3);
            assert.deepEqual(await instances(lab), ["0:instanceRunning", "1:instanceRunning", "2:instanceRunning"]);
            assert.equal(((await call(lab.client, "NodeGroupForNode", { node: node(ID(1)) })).nodeGroup as { id: string }).id, "workers");
            const controlPlane = await call(lab.client, "NodeGroupForNode", { node: node("gce://boutique-dev-000000/europe-west1-b/boutique-dev-cp-0") });
            assert.equal((controlPlane.nodeGroup as { id: string }).id, "");
        });

        it("GPULabel, GetAvailableGPUTypes, Cleanup and Refresh answer; pricing is UNIMPLEMENTED", async () => {
            assert.equal((await call(lab.client, "GPULabel")).label, "cloud.google.com/gke-accelerator");
            assert.deepEqual((await call(lab.client, "GetAvailableGPUTypes")).gpuTypes, {});
            await call(lab.client, "Cleanup");
            await call(lab.client, "Refresh");
            for (const method of ["PricingNodePrice", "PricingPodPrice"]) {
                await assert.rejects(
                    call(lab.client, method, { id: "workers" }),
                    (error: grpc.ServiceError) => error.code === grpc.status.UNIMPLEMENTED,
                    method,
                );
            }
        });

        it("GetOptions: the autoscaler's defaults as sent, with MaxNodeProvisionDuration raised to the scaler's budget (2 x 8 min + 1 min)", async () => {
            const minutes = (m: number) => ({ seconds: String(m * 60), nanos: 0 });
            const defaults = {
                scaleDownUtilizationThreshold: 0.6,
                scaleDownGpuUtilizationThreshold: 0.7,
                zeroOrMaxNodeScaling: false,
                ignoreDaemonSetsUtilization: true,
                scaleDownUnneededDuration: minutes(10),
                scaleDownUnreadyDuration: minutes(20),
                MaxNodeProvisionDuration: minutes(15),
            };
            const { nodeGroupAutoscalingOptions: options } = await call(lab.client, "NodeGroupGetOptions", { id: "workers", defaults });
            assert.deepEqual(options, { ...defaults, MaxNodeProvisionDuration: minutes(17) });
            const longer = await call(lab.client, "NodeGroupGetOptions", { id: "workers", defaults: { ...defaults, MaxNodeProvisionDuration: minutes(30) } });
            assert.deepEqual(
                (longer.nodeGroupAutoscalingOptions as typeof defaults).MaxNodeProvisionDuration,
                minutes(30),
                "never shorter than the autoscaler's own setting",
            );
            await assert.rejects(
                call(lab.client, "NodeGroupGetOptions", { id: "gpus", defaults }),
                (error: grpc.ServiceError) => error.code === grpc.status.NOT_FOUND,
            );
        });

        it("IncreaseSize(1) records the new size before answering; the update then runs in the background", async () => {
            await call(lab.client, "NodeGroupIncreaseSize", { id: "workers", delta: 1 });
            assert.deepEqual(await config(lab), ["4", "[]"]);
            assert.equal((await call(lab.client, "NodeGroupTargetSize", { id: "workers" })).targetSize, 4);
            assert.deepEqual((await instances(lab)).slice(-1), ["3:instanceCreating"]);
            await lab.updates.idle();
            assert.deepEqual(await instances(lab), ["0:instanceRunning", "1:instanceRunning", "2:instanceRunning", "3:instanceRunning"]);
        });

        it("DeleteNodes(worker-1) out of 0..3 leaves slots 0, 2, 3 (slot 1 retired)", async () => {
            await call(lab.client, "NodeGroupDeleteNodes", { id: "workers", nodes: [node(ID(1))] });
            assert.deepEqual(await config(lab), ["3", "[1]"]);
            assert.ok((await instances(lab)).includes("1:instanceDeleting"));
            await lab.updates.idle();
            assert.deepEqual(await instances(lab), ["0:instanceRunning", "2:instanceRunning", "3:instanceRunning"]);
        });
    });

    describe("the autoscaler's everyday pattern: +1, then delete the newest node (the emptiest), four times", () => {
        const lab = new ScalerLab(0.2);
        before(() => lab.start());
        after(() => lab.stop());

        it("every slot stays inside the pool 0..5, the record stays the shortest, and a restarted scaler starts on it", async () => {
            const seen: string[] = [];
            for (let cycle = 0; cycle < 4; cycle++) {
                await call(lab.client, "NodeGroupIncreaseSize", { id: "workers", delta: 1 });
                const listed = (await call(lab.client, "NodeGroupNodes", { id: "workers" })).instances as Instance[];
                const newest = listed
                    .filter((instance) => instance.status.instanceState === "instanceCreating")
                    .map((instance) => instance.id)
                    .pop()!;
                seen.push(newest.split("-").pop()!);
                // It joins (its update ends), becomes the emptiest node, and is deleted; deleted again as CA does
                // after 5 minutes; the next +1 comes while that deletion's update still runs.
                await lab.updates.idle();
                await call(lab.client, "NodeGroupDeleteNodes", { id: "workers", nodes: [node(newest)] });
                await call(lab.client, "NodeGroupDeleteNodes", { id: "workers", nodes: [node(newest)] });
            }
            console.log(`      slots the four new workers took: ${seen.join(", ")}`);
            assert.deepEqual(seen, ["3", "4", "3", "4"], "a slot still being deleted is skipped, never taken; then reused");
            assert.ok((await instances(lab)).every((entry) => Number(entry.split(":")[0]) <= 5));
            await lab.updates.idle();
            assert.deepEqual(await config(lab), ["3", "[]"]);
            const restarted = await CloudProviderService.start(lab.stack, new UpdateLoop(lab.stack, pino({ level: "silent" })), pino({ level: "silent" }));
            assert.deepEqual(
                restarted.instances("workers").map((instance) => `${instance.slot}:${instance.state}`),
                ["0:instanceRunning", "1:instanceRunning", "2:instanceRunning"],
            );
        });
    });

    describe("scale from zero (minWorkers 0, no worker left)", () => {
        const lab = new ScalerLab(0.05, { minWorkers: "0", workerCount: "0", lokiNodeCount: "3", lokiReplicas: "3" });
        before(() => lab.start());
        after(() => lab.stop());

        it("answers a template node for each group (nodeBytes, by upstream's field numbers): the workers' untainted, Loki's with its pool label and taint", async () => {
            const workers = decodeNode((await call(lab.client, "NodeGroupTemplateNodeInfo", { id: "workers" })).nodeBytes as Buffer);
            assert.equal(workers.name, "boutique-dev-worker-0");
            assert.equal(workers.labels["node.kubernetes.io/instance-type"], "e2-standard-4");
            assert.equal(workers.labels["topology.kubernetes.io/zone"], "europe-west1-b");
            assert.deepEqual(workers.taints, []);
            assert.equal(workers.allocatable.pods, "110");
            const loki = decodeNode((await call(lab.client, "NodeGroupTemplateNodeInfo", { id: "loki" })).nodeBytes as Buffer);
            assert.deepEqual(
                loki.taints.map((taint) => taint.effect),
                ["NoSchedule"],
            );
            assert.ok(
                Object.keys(loki.labels).some((label) => /pool/.test(label)),
                JSON.stringify(loki.labels),
            );
            await assert.rejects(
                call(lab.client, "NodeGroupTemplateNodeInfo", { id: "gpus" }),
                (error: grpc.ServiceError) => error.code === grpc.status.NOT_FOUND,
            );
        });

        it("the autoscaler's own proto generation up to 1.34.1 (nodeInfo = 1; options fields 3-5 in nanoseconds) gets the same node and the budget", async () => {
            const ours = cloudProviderClient(lab.address, PROTO_FILE);
            try {
                const response = await call(ours, "NodeGroupTemplateNodeInfo", { id: "workers" });
                assert.ok(Buffer.isBuffer(response.nodeInfo) && response.nodeInfo.equals(response.nodeBytes as Buffer));
                const nanos = (minutes: number) => ({ duration: String(minutes * 60 * 1e9) });
                const defaults = {
                    scaleDownUtilizationThreshold: 0.5,
                    scaleDownGpuUtilizationThreshold: 0.5,
                    scaleDownUnneededTime: nanos(10),
                    scaleDownUnreadyTime: nanos(20),
                    MaxNodeProvisionTime: nanos(15),
                };
                const { nodeGroupAutoscalingOptions: options } = await call(ours, "NodeGroupGetOptions", { id: "workers", defaults });
                const { MaxNodeProvisionTime, scaleDownUnneededTime, scaleDownUnreadyTime } = options as typeof defaults;
                assert.deepEqual([MaxNodeProvisionTime, scaleDownUnneededTime, scaleDownUnreadyTime], [nanos(17), nanos(10), nanos(20)]);
            } finally {
                ours.close();
            }
        });

        it("IncreaseSize(1) from zero takes slot 0", async () => {
            assert.equal((await call(lab.client, "NodeGroupTargetSize", { id: "workers" })).targetSize, 0);
            await call(lab.client, "NodeGroupIncreaseSize", { id: "workers", delta: 1 });
            assert.deepEqual(await config(lab), ["1", "[]"]);
            await lab.updates.idle();
            assert.deepEqual(await instances(lab), ["0:instanceRunning"]);
        });
    });

    describe("with dedicated Loki nodes: a second, fixed-size group", () => {
        const lab = new ScalerLab(0.05, { lokiNodeCount: "3", lokiReplicas: "3" });
        before(() => lab.start());
        after(() => lab.stop());
        const LOKI = (i: number) => `gce://boutique-dev-000000/europe-west1-b/boutique-dev-loki-${i}`;

        it("lists the loki group (min = max = lokiNodeCount), its nodes, and maps them to it", async () => {
            const { nodeGroups } = await call(lab.client, "NodeGroups");
            assert.deepEqual(
                (nodeGroups as { id: string; minSize: number; maxSize: number }[]).map(({ id, minSize, maxSize }) => `${id}:${minSize}-${maxSize}`),
                ["workers:2-6", "loki:3-3"],
            );
            const { instances: loki } = await call(lab.client, "NodeGroupNodes", { id: "loki" });
            assert.deepEqual(
                (loki as Instance[]).map((instance) => `${instance.id}:${instance.status.instanceState}`),
                [0, 1, 2].map((i) => `${LOKI(i)}:instanceRunning`),
            );
            assert.equal(((await call(lab.client, "NodeGroupForNode", { node: node(LOKI(1)) })).nodeGroup as { id: string }).id, "loki");
            assert.equal((await call(lab.client, "NodeGroupTargetSize", { id: "loki" })).targetSize, 3);
        });

        it("refuses to resize it (FAILED_PRECONDITION): lokiNodeCount sizes it, and nothing is written", async () => {
            const before = lab.stateBytes();
            for (const [method, request] of [
                ["NodeGroupIncreaseSize", { id: "loki", delta: 1 }],
                ["NodeGroupDeleteNodes", { id: "loki", nodes: [node(LOKI(0))] }],
                ["NodeGroupDecreaseTargetSize", { id: "loki", delta: -1 }],
            ] as const) {
                await assert.rejects(
                    call(lab.client, method, request),
                    (error: grpc.ServiceError) => error.code === grpc.status.FAILED_PRECONDITION && /fixed size \(lokiNodeCount\)/.test(error.details),
                );
            }
            assert.equal(lab.stateBytes(), before);
        });
    });

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
