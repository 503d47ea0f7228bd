import { strict as assert } from "assert";
import * as grpc from "@grpc/grpc-js";
import { cloudProviderClient, PROTO_FILE } from "../../scaler/client";
import { decodeNode } from "../support/node-wire";
import pino from "pino";
import { CloudProviderService } from "../../scaler/cloud-provider";
import { UpdateLoop } from "../../scaler/update-loop";
import { call, ScalerLab } from "../support/scaler-lab";
import { config, ID, Instance, instances, node, requireUpstreamProto } from "../support/scaler-conformance";

// Reads, happy paths, scale from zero and the fixed-size Loki group; bursts, outside scales,
// cancelled workers and bad requests are in scaler-conformance-edges.test.ts.
describe("the scaler against the autoscaler's own proto (../shared/conformance)", function () {
    this.timeout(30_000);
    before(requireUpstreamProto);

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
});
