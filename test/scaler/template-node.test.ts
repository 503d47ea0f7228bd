import { strict as assert } from "assert";
import * as path from "path";
import { status } from "@grpc/grpc-js";
import * as protoLoader from "@grpc/proto-loader";
import { parseAllDocuments } from "yaml";
import { renderInitConfiguration, renderJoinConfiguration } from "../../components/cluster/rendered/kubeadm-config";
import { LOKI_POOL } from "../../config/node-pools";
import { binaryQuantity, KNOWN_MACHINE_TYPES, machineShape, nodeResources } from "../../config/node-capacity";
import { ScaleError } from "../../scaler/node-group";
import { encodeNode, NodeTemplateSpec, nodeTemplateSpecs, templateNode, templateNodeInfoResponse } from "../../scaler/template-node";
import { devConfig, PROJECT_ROOT } from "../fixtures";
import { decodeNode, only, readFields } from "../support/node-wire";
import { evaluateDev } from "../support/program";
import type { Evaluation } from "../../render/evaluation";

const spec = (group: "workers" | "loki", overrides: Partial<NodeTemplateSpec> = {}): NodeTemplateSpec => {
    const found = nodeTemplateSpecs(devConfig({ lokiNodeCount: "2" })).find((s) => s.group === group);
    assert.ok(found, `a ${group} template`);
    return { ...found, ...overrides };
};

/** Quantities in bytes, for comparisons: only the suffixes the template writes. */
function bytesOf(quantity: string): number {
    const match = /^(\d+)(Ki|Mi|Gi|Ti|Pi)?$/.exec(quantity);
    assert.ok(match, `${quantity} is a binary quantity`);
    return Number(match[1]) * 1024 ** ["", "Ki", "Mi", "Gi", "Ti", "Pi"].indexOf(match[2] ?? "");
}

describe("template nodes (NodeGroupTemplateNodeInfo)", () => {
    it("a worker template decodes, by upstream's field numbers, to the would-be node with its labels and resources", () => {
        const node = decodeNode(templateNodeInfoResponse(spec("workers")).nodeBytes);
        assert.deepEqual(node.fieldNumbers, { meta: [1, 11], spec: [3], status: [1, 2, 4] });
        // The dev stack has workers 0..2: the next would be slot 3.
        assert.equal(node.name, "boutique-dev-worker-3");
        assert.equal(node.providerID, "gce://boutique-dev-000000/europe-west1-b/boutique-dev-worker-3");
        assert.deepEqual(node.labels, {
            "beta.kubernetes.io/arch": "amd64",
            "beta.kubernetes.io/os": "linux",
            "kubernetes.io/arch": "amd64",
            "kubernetes.io/hostname": "boutique-dev-worker-3",
            "kubernetes.io/os": "linux",
            "node.kubernetes.io/instance-type": "e2-standard-4",
            "topology.gke.io/zone": "europe-west1-b",
            "topology.kubernetes.io/region": "europe-west1",
            "topology.kubernetes.io/zone": "europe-west1-b",
        });
        assert.deepEqual(node.taints, []);
        // e2-standard-4: 4 vCPU, 16 GiB less the kernel's 369 MiB; 50 GB disk less the OS's share.
        assert.deepEqual(node.capacity, { cpu: "4", "ephemeral-storage": "50580684Ki", memory: "16015Mi", pods: "110" });
        assert.deepEqual(node.allocatable, { cpu: "4", "ephemeral-storage": "45522615Ki", memory: "15915Mi", pods: "110" });
        assert.deepEqual(node.conditions, [{ type: "Ready", status: "True" }]);
    });

    it("a Loki template carries the pool's label and NoSchedule taint, as its nodes register them", () => {
        const node = decodeNode(templateNodeInfoResponse(spec("loki")).nodeBytes);
        assert.equal(node.name, "boutique-dev-loki-2");
        assert.equal(node.labels["boutique.dev/pool"], "loki");
        assert.deepEqual(node.taints, [{ key: "dedicated", value: "loki", effect: "NoSchedule" }]);
        assert.deepEqual(node.taints, LOKI_POOL.taints);
        assert.equal(node.labels["node.kubernetes.io/instance-type"], "e2-standard-4");
    });

    it("the response holds the same Node in nodeInfo (1, autoscaler ≤1.34.1) and nodeBytes (2, 1.34.2+)", () => {
        const response = templateNodeInfoResponse(spec("workers"));
        assert.ok(response.nodeBytes.length > 0);
        assert.deepEqual(response.nodeInfo, response.nodeBytes);
        // Serialised by the autoscaler's own definition, nodeBytes is its field 2 with the Node inside.
        const upstream = protoLoader.loadSync(path.join(PROJECT_ROOT, "../shared/conformance/externalgrpc.proto"), { keepCase: true, defaults: true });
        const rpc = (upstream["clusterautoscaler.cloudprovider.v1.externalgrpc.CloudProvider"] as protoLoader.ServiceDefinition).NodeGroupTemplateNodeInfo;
        const wire = rpc.responseSerialize(response);
        assert.deepEqual(only(readFields(wire), 2), response.nodeBytes);
        assert.deepEqual(rpc.responseDeserialize(wire), { nodeBytes: response.nodeBytes });
    });

    it("groups: workers always; loki only with logging on and dedicated Loki nodes", () => {
        const groups = (overrides: Record<string, string>) => nodeTemplateSpecs(devConfig(overrides)).map((s) => s.group);
        assert.deepEqual(groups({}), ["workers"]);
        assert.deepEqual(groups({ lokiNodeCount: "2" }), ["workers", "loki"]);
        assert.deepEqual(groups({ lokiNodeCount: "2", enableLogging: "false" }), ["workers"]);
    });

    it("scaled to zero, the would-be worker takes the lowest free slot; disk, machine type and storage label follow the config", () => {
        const overrides = {
            workerCount: "0",
            minWorkers: "0",
            enableLogging: "false",
            nodeDiskSizeGb: "100",
            workerMachineType: "n2-standard-8",
            storageProvider: "local-path",
        };
        const [workers] = nodeTemplateSpecs(devConfig(overrides));
        const node = templateNode(workers);
        assert.equal(node.metadata.name, "boutique-dev-worker-0");
        assert.equal(
            nodeTemplateSpecs(devConfig({ workerCount: "2", retiredWorkerSlots: "[0]" }))[0].nodeName,
            "boutique-dev-worker-0",
            "slot 0 retired, 1 and 2 live",
        );
        assert.equal(node.metadata.labels["node.kubernetes.io/instance-type"], "n2-standard-8");
        assert.equal(node.metadata.labels["topology.gke.io/zone"], undefined, "no PD CSI driver, no CSI topology label");
        assert.equal(node.status.capacity.cpu, "8");
        assert.ok(bytesOf(node.status.capacity["ephemeral-storage"]) > 95 * 2 ** 30);
    });

    it("every machine type in the table gives a self-consistent template: 0 < allocatable ≤ capacity < the machine's memory", () => {
        for (const machineType of KNOWN_MACHINE_TYPES) {
            const { capacity, allocatable } = nodeResources(machineType, 20);
            const { vcpus, memoryMiB } = machineShape(machineType);
            assert.equal(capacity.cpu, String(vcpus), machineType);
            assert.ok(Number(allocatable.cpu) <= Number(capacity.cpu), machineType);
            for (const resource of ["memory", "ephemeral-storage"] as const) {
                const [cap, alloc] = [bytesOf(capacity[resource]), bytesOf(allocatable[resource])];
                assert.ok(alloc > 0 && alloc <= cap, `${machineType} ${resource}: allocatable ${allocatable[resource]} within capacity ${capacity[resource]}`);
            }
            assert.ok(bytesOf(capacity.memory) < memoryMiB * 2 ** 20, `${machineType}: the kernel keeps some memory`);
            assert.equal(allocatable.pods, "110");
        }
    });

    it("machine shapes follow GCE's published sizes", () => {
        assert.deepEqual(machineShape("e2-medium"), { vcpus: 2, memoryMiB: 4096 });
        assert.deepEqual(machineShape("e2-standard-2"), { vcpus: 2, memoryMiB: 8192 });
        assert.deepEqual(machineShape("e2-highmem-4"), { vcpus: 4, memoryMiB: 32768 });
        assert.deepEqual(machineShape("n2-standard-4"), { vcpus: 4, memoryMiB: 16384 });
        assert.deepEqual(machineShape("n1-standard-1"), { vcpus: 1, memoryMiB: 3840 });
    });

    it("an unknown machine type is refused by name; the RPC answers UNIMPLEMENTED so the autoscaler falls back to real nodes", () => {
        assert.throws(
            () => machineShape("c3-standard-4"),
            /unknown machine type "c3-standard-4".*known: e2-micro, e2-small, e2-medium, e2-standard-\{2,4,8,16,32\}/,
        );
        assert.throws(
            () => templateNodeInfoResponse(spec("workers", { machineType: "e2-standard-3" })),
            (error: unknown) =>
                error instanceof ScaleError && error.code === status.UNIMPLEMENTED && /workers: unknown machine type "e2-standard-3"/.test(error.message),
        );
    });

    it("quantities are written as Kubernetes writes them", () => {
        assert.deepEqual([0, 100, 1024, 8 * 2 ** 30, 16015 * 2 ** 20, 1536].map(binaryQuantity), ["0", "100", "1Ki", "8Gi", "16015Mi", "1536"]);
        assert.throws(() => binaryQuantity(-1), /whole number from 0/);
    });

    it("the same spec always encodes to the same bytes (map entries in key order)", () => {
        assert.deepEqual(encodeNode(templateNode(spec("loki"))), encodeNode(templateNode(spec("loki"))));
    });

    it("passes the Kubernetes v1 Node schema (kubernetes-models)", async () => {
        // ESM-only, and its base class's typings do not resolve here (test/support/kubernetes-schemas.ts): imported at run time.
        const { Node } = (await import("kubernetes-models/v1")) as unknown as { Node: new (data: object) => { validate(): void } };
        for (const group of ["workers", "loki"] as const) new Node(templateNode(spec(group))).validate();
        assert.throws(() => new Node({ ...templateNode(spec("loki")), spec: { taints: [{ key: "dedicated" }] } }).validate(), /effect/);
    });

    it("the kubelet config sets no maxPods, reservations or eviction thresholds, so the kubelet's defaults are right", () => {
        const node = { name: "boutique-dev-worker-3", address: "10.10.0.35", providerId: "gce://p-000000/europe-west1-b/boutique-dev-worker-3" };
        const cluster = {
            clusterName: "boutique-dev",
            kubernetesVersion: { minor: 32, patch: 4 },
            controlPlaneEndpoint: "10.10.0.2:6443",
            certSans: [],
            podCidr: "10.244.0.0/16",
            serviceCidr: "10.96.0.0/12",
            serviceAccountIssuer: "https://kubernetes.default.svc.cluster.local",
        };
        const kubelet = parseAllDocuments(renderInitConfiguration(cluster, node))
            .map((doc) => doc.toJSON() as Record<string, unknown>)
            .find((doc) => doc.kind === "KubeletConfiguration");
        assert.ok(kubelet);
        for (const key of ["maxPods", "kubeReserved", "systemReserved", "evictionHard", "evictionSoft", "reservedSystemCPUs", "podsPerCore"]) {
            assert.equal(kubelet[key], undefined, `KubeletConfiguration.${key} is set: config/node-capacity.ts must follow it`);
        }
        const join = parseAllDocuments(
            renderJoinConfiguration({ apiServerEndpoint: "10.10.0.2:6443", caCertHash: `sha256:${"ab".repeat(32)}`, node, controlPlane: false }),
        )[0].toJSON() as {
            nodeRegistration: { kubeletExtraArgs: { name: string }[]; taints?: unknown };
        };
        const flags = join.nodeRegistration.kubeletExtraArgs.map((arg) => arg.name);
        for (const flag of ["max-pods", "kube-reserved", "system-reserved", "eviction-hard"])
            assert.ok(!flags.includes(flag), `workers' kubelet gets --${flag}`);
        assert.equal(join.nodeRegistration.taints, undefined, "a worker registers without taints, as its template");
    });

    describe("the seam with the nodes the program joins (dev stack, dedicated Loki nodes, mock runtime)", function () {
        this.timeout(120_000);
        /**
         * Labels a node gets without its kubelet flags: the kubelet's own, and (gce-pd storage, as
         * dev has) the PD CSI node plugin's topology key, which the kubelet copies onto the Node.
         */
        const NOT_FROM_FLAGS = new Set([
            "kubernetes.io/hostname",
            "kubernetes.io/os",
            "kubernetes.io/arch",
            "beta.kubernetes.io/os",
            "beta.kubernetes.io/arch",
            "topology.gke.io/zone",
        ]);
        const registered = (evaluation: Evaluation, node: string) => {
            const join = parseAllDocuments(evaluation.artifacts[`nodes/${node}/kubeadm-join.yaml`])[0].toJS() as {
                nodeRegistration: { kubeletExtraArgs: { name: string; value: string }[]; taints?: unknown[] };
            };
            const flag = join.nodeRegistration.kubeletExtraArgs.find((arg) => arg.name === "node-labels")?.value ?? "";
            return {
                labels: Object.fromEntries(
                    flag
                        .split(",")
                        .filter(Boolean)
                        .map((pair) => pair.split("=") as [string, string]),
                ),
                taints: join.nodeRegistration.taints ?? [],
            };
        };

        it("every label and taint of a group's template is one its real nodes register (a pod fits a template exactly when it fits a node)", async () => {
            const overrides = { lokiNodeCount: "3", lokiReplicas: "3" };
            const evaluation = await evaluateDev(overrides);
            for (const [group, node] of [
                ["workers", "worker-0"],
                ["loki", "loki-0"],
            ] as const) {
                const template = templateNode(nodeTemplateSpecs(devConfig(overrides)).find((spec) => spec.group === group)!);
                const real = registered(evaluation, node);
                const expected = Object.fromEntries(Object.entries(template.metadata.labels).filter(([key]) => !NOT_FROM_FLAGS.has(key)));
                assert.deepEqual(real.labels, expected, group);
                assert.deepEqual(real.taints, template.spec.taints ?? [], group);
            }
        });
    });
});
