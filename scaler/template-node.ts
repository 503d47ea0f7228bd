import * as path from "path";
import { status } from "@grpc/grpc-js";
import * as protobuf from "protobufjs";
import { cloudNodeLabels, LOKI_POOL } from "../config/node-pools";
import type { NodeTaint } from "../config/node-pools";
import { gceProviderId } from "../config/provider-ids";
import type { StackConfig } from "../config/stack-config";
import { liveWorkerSlots, poolNodeName } from "../config/worker-slots";
import { nodeResources, ResourceList, UnknownMachineTypeError } from "../config/node-capacity";
import { GroupId, LOKI_GROUP, ScaleError, WORKERS_GROUP } from "./node-group";

/**
 * The node a group would add, for the Cluster Autoscaler's NodeGroupTemplateNodeInfo: with no
 * node of a group left (minWorkers 0), the autoscaler has no real node to copy and simulates
 * scheduling on this one instead. Everything in it is what the kubelet of such a node registers.
 */

/** What a template node is built from: plain values, taken from the stack config by nodeTemplateSpecs. */
export interface NodeTemplateSpec {
    readonly group: GroupId;
    /** The name a node added next would get: `<cluster>-<pool>-<index>`, also its hostname and the provider id's last part. */
    readonly nodeName: string;
    readonly project: string;
    readonly region: string;
    readonly zone: string;
    readonly machineType: string;
    readonly diskSizeGb: number;
    /** Registered besides the kubelet's own: the pool's --node-labels, a CSI driver's topology. */
    readonly labels: Readonly<Record<string, string>>;
    /** Registered by kubeadm (nodeRegistration.taints); none for the general workers. */
    readonly taints: readonly NodeTaint[];
}

/**
 * The zone as the PD CSI driver (pd.csi.storage.gke.io) publishes it: the kubelet copies a CSI
 * driver's topology keys onto its Node, and a PD volume's node affinity selects on this key.
 */
const PD_CSI_ZONE_LABEL = "topology.gke.io/zone";

/** The lowest worker slot not live: where the node the group adds next would go. */
function nextFreeSlot(live: readonly number[]): number {
    const taken = new Set(live);
    let slot = 0;
    while (taken.has(slot)) slot++;
    return slot;
}

/**
 * The template of each node group the scaler offers: `workers` always; `loki` when logging is on
 * with dedicated Loki nodes. Machine types are looked up only when a template is built, so an
 * unknown one refuses that RPC (templateNodeInfoResponse) instead of stopping the scaler.
 */
export function nodeTemplateSpecs(config: StackConfig): NodeTemplateSpec[] {
    const storageLabels: Record<string, string> = config.platform.storageProvider === "gce-pd" ? { [PD_CSI_ZONE_LABEL]: config.gcp.zone } : {};
    const base = { project: config.gcp.project, region: config.gcp.region, zone: config.gcp.zone, diskSizeGb: config.nodes.diskSizeGb };
    const workers: NodeTemplateSpec = {
        ...base,
        group: WORKERS_GROUP,
        nodeName: poolNodeName(config.clusterName, "worker", nextFreeSlot(liveWorkerSlots(config.workers))),
        machineType: config.workers.machineType,
        labels: storageLabels,
        taints: [],
    };
    const { loki, layers } = config.platform;
    if (!layers.logging || loki.nodeCount === 0) return [workers];
    return [
        workers,
        {
            ...base,
            group: LOKI_GROUP,
            // The pool's indexes run 0..nodeCount-1; the fixed group never grows, but a template names a node it would add.
            nodeName: poolNodeName(config.clusterName, LOKI_POOL.name, loki.nodeCount),
            machineType: loki.machineType,
            labels: { ...storageLabels, ...LOKI_POOL.labels },
            taints: LOKI_POOL.taints,
        },
    ];
}

/** The v1 Node a template is, in the API's JSON shape (the subset set here). */
export interface TemplateNode {
    readonly apiVersion: "v1";
    readonly kind: "Node";
    readonly metadata: { readonly name: string; readonly labels: Readonly<Record<string, string>> };
    readonly spec: { readonly providerID: string; readonly taints?: readonly NodeTaint[] };
    readonly status: {
        readonly capacity: ResourceList;
        readonly allocatable: ResourceList;
        readonly conditions: readonly { readonly type: "Ready"; readonly status: "True" }[];
    };
}

/**
 * The template Node of a group. Labels: the kubelet's own (hostname, os, arch, stable and beta),
 * the pool's, and the cloud's instance type, region and zone, which every worker's kubelet
 * registers too (components/node-labels.ts; nodes joined before that carry them only once labelled).
 * Capacity and allocatable: node-capacity.ts. Ready: the autoscaler simulates a joined node.
 */
export function templateNode(spec: NodeTemplateSpec): TemplateNode {
    const { capacity, allocatable } = nodeResources(spec.machineType, spec.diskSizeGb);
    const labels: Record<string, string> = {
        "kubernetes.io/hostname": spec.nodeName,
        "kubernetes.io/os": "linux",
        "kubernetes.io/arch": "amd64",
        "beta.kubernetes.io/os": "linux",
        "beta.kubernetes.io/arch": "amd64",
        ...cloudNodeLabels(spec.region, spec.zone, spec.machineType),
        ...spec.labels,
    };
    return {
        apiVersion: "v1",
        kind: "Node",
        metadata: { name: spec.nodeName, labels: sortedRecord(labels) },
        spec: { providerID: gceProviderId(spec.project, spec.zone, spec.nodeName), ...(spec.taints.length > 0 ? { taints: spec.taints } : {}) },
        status: { capacity, allocatable, conditions: [{ type: "Ready", status: "True" }] },
    };
}

/** The same record with its keys sorted: map entries are then written in one order, as Go's Marshal does. */
function sortedRecord<V>(record: Readonly<Record<string, V>>): Record<string, V> {
    return Object.fromEntries(Object.entries(record).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/** Our subset of upstream's Node definition (scaler/proto/k8s-node.proto and its imports). */
export const NODE_PROTO_FILE = path.join(__dirname, "proto", "k8s-node.proto");

let nodeType: protobuf.Type | undefined;

/** Loaded on first use, once: the .proto is parsed at run time, like the service's. */
function protoNode(): protobuf.Type {
    nodeType ??= protobuf.loadSync(NODE_PROTO_FILE).lookupType("k8s.io.api.core.v1.Node");
    return nodeType;
}

/** A ResourceList in the protobuf shape: each quantity is a message holding its text. */
function quantities(list: ResourceList): Record<string, { string: string }> {
    return Object.fromEntries(Object.entries(sortedRecord(list)).map(([name, quantity]) => [name, { string: quantity }]));
}

/** The Node's protobuf bytes: what Go's v1.Node#Marshal would write for it, and #Unmarshal reads. */
export function encodeNode(node: TemplateNode): Buffer {
    const type = protoNode();
    const message = type.fromObject({
        metadata: node.metadata,
        spec: { providerID: node.spec.providerID, taints: node.spec.taints ?? [] },
        status: { capacity: quantities(node.status.capacity), allocatable: quantities(node.status.allocatable), conditions: node.status.conditions },
    });
    return Buffer.from(type.encode(message).finish());
}

/**
 * NodeGroupTemplateNodeInfoResponse's fields, both holding the same encoded Node. Upstream moved
 * the node from `Node nodeInfo = 1` (cluster-autoscaler up to 1.34.1 reads only that field) to
 * `bytes nodeBytes = 2` (1.34.2-1.34.x read 2, else 1; 1.35 and later declare only 2), per the
 * autoscaler's tags' externalgrpc_node_group.go. Both are length-delimited with the Node's bytes
 * inside, so one encoding serves every pinned release (v1.31.5 to v1.36.1).
 */
export interface TemplateNodeInfoResponse {
    readonly nodeInfo: Buffer;
    readonly nodeBytes: Buffer;
}

/**
 * The answer to NodeGroupTemplateNodeInfo for a group's spec. An unknown machine type answers
 * UNIMPLEMENTED (a ScaleError, with the type in its message): the autoscaler then builds
 * templates from the group's real nodes, as it did before the scaler offered any.
 */
export function templateNodeInfoResponse(spec: NodeTemplateSpec): TemplateNodeInfoResponse {
    let node: TemplateNode;
    try {
        node = templateNode(spec);
    } catch (error) {
        if (error instanceof UnknownMachineTypeError) throw new ScaleError(status.UNIMPLEMENTED, `no template node for ${spec.group}: ${error.message}`);
        throw error;
    }
    const bytes = encodeNode(node);
    return { nodeInfo: bytes, nodeBytes: bytes };
}
