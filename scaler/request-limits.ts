import { status } from "@grpc/grpc-js";
import { MAX_WORKER_SLOTS } from "../config/worker-slots";
import { ScaleError } from "./node-group";
import { isRecord } from "../config/records";

/**
 * How big a request's ids may be. The autoscaler (cloudprovider/externalgrpc) sends node group
 * ids we gave it ("workers", "loki"), and nodes as the API server has them: spec.providerID
 * (gce://<project, ≤30>/<zone>/<instance, ≤63>: under 130 bytes) and metadata.name (a DNS
 * subdomain, ≤253). 1 KiB refuses none of those and keeps every echo of an id small.
 */
export const MAX_ID_BYTES = 1024;

/** A delete names nodes of one group, which never holds more than the stack's worker slots. */
export const MAX_NODES_PER_REQUEST = MAX_WORKER_SLOTS;

function refuseLongId(what: string, value: unknown): void {
    if (typeof value !== "string") return;
    const bytes = Buffer.byteLength(value, "utf8");
    if (bytes > MAX_ID_BYTES) throw new ScaleError(status.INVALID_ARGUMENT, `${what} is ${bytes} bytes; ids are at most ${MAX_ID_BYTES}`);
}

function refuseLongNode(node: unknown, where: string): void {
    if (!isRecord(node)) return;
    refuseLongId(`${where}.providerID`, node.providerID);
    refuseLongId(`${where}.name`, node.name);
}

/**
 * Refuses (INVALID_ARGUMENT) a request whose ids are longer than any real one: checked before
 * the request is looked at, so nothing downstream ever holds, logs or echoes a huge id. Labels
 * and annotations are not read, so not limited beyond the message size.
 */
export function refuseOversized(request: unknown): void {
    if (!isRecord(request)) return;
    refuseLongId("the node group id", request.id);
    refuseLongNode(request.node, "node");
    const nodes = request.nodes;
    if (!Array.isArray(nodes)) return;
    if (nodes.length > MAX_NODES_PER_REQUEST)
        throw new ScaleError(status.INVALID_ARGUMENT, `${nodes.length} nodes in one request; a node group has at most ${MAX_NODES_PER_REQUEST}`);
    nodes.forEach((node, index) => refuseLongNode(node, `nodes[${index}]`));
}
