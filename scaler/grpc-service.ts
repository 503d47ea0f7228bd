import * as grpc from "@grpc/grpc-js";
import type { Logger } from "pino";
import { LOKI_POOL } from "../config/node-pools";
import { checkGroup, GroupId, groupIds, indexOf, LOKI_GROUP, PoolState, refuseFixedSize, ScaleError, WORKERS_GROUP } from "./node-group";
import { AutoscalingOptions, groupOptions, secondsOf } from "./provision-budget";
import { templateNodeInfoResponse } from "./template-node";
import { decreaseTarget, deleteNodes, increase } from "./worker-changes";
import { loadCloudProvider } from "./client";
import { bounded } from "./bounded-text";
import { refuseOversized } from "./request-limits";
import type { CloudProviderService, Expired } from "./cloud-provider";

/** Scale requests by kind and outcome, for the metrics endpoint. */

interface GrpcNode {
    readonly providerID: string;
    readonly name: string;
}

function nodeGroup(state: PoolState, id: GroupId) {
    const { spec, desired, deployed, loki } = state;
    return id === LOKI_GROUP
        ? { id, minSize: loki.desired, maxSize: loki.desired, debug: `${LOKI_GROUP}: fixed at ${loki.desired} (lokiNodeCount), ${loki.deployed} deployed` }
        : { id, minSize: spec.min, maxSize: spec.max, debug: `${WORKERS_GROUP}: ${desired.count} desired, ${deployed.count} deployed` };
}

/** The group a node belongs to: one of its listed instances (Deleting ones included), or none. */
function groupOfNode(service: CloudProviderService, providerId: string): GroupId | undefined {
    const spec = service.current().spec;
    const [worker, loki] = [indexOf(spec, "worker", providerId), indexOf(spec, LOKI_POOL.name, providerId)];
    if (worker !== undefined && service.instances(WORKERS_GROUP).some((instance) => instance.slot === worker)) return WORKERS_GROUP;
    if (loki !== undefined && groupIds(service.current()).includes(LOKI_GROUP) && service.instances(LOKI_GROUP).some((instance) => instance.slot === loki))
        return LOKI_GROUP;
    return undefined;
}

/** A call's deadline as a check: passed, or the caller cancelled. */
function expiry(call: grpc.ServerUnaryCall<unknown, unknown>): Expired {
    const deadline = call.getDeadline();
    const at = deadline instanceof Date ? deadline.getTime() : deadline;
    return () => call.cancelled || (Number.isFinite(at) && Date.now() >= at);
}

type Handler<Req, Res> = (request: Req, expired: Expired) => Res | Promise<Res>;

/** The RPC handlers, each a function of the request and the service (the model test calls them directly). */
export function cloudProviderHandlers(service: CloudProviderService) {
    const state = () => service.current();
    return {
        NodeGroups: () => ({ nodeGroups: groupIds(state()).map((id) => nodeGroup(state(), id)) }),
        NodeGroupForNode: (request: { node?: GrpcNode }) => {
            const group = groupOfNode(service, request.node?.providerID ?? "");
            // An empty id: not in any group (control planes, HAProxy).
            return { nodeGroup: group ? nodeGroup(state(), group) : { id: "", minSize: 0, maxSize: 0, debug: "" } };
        },
        GPULabel: () => ({ label: "cloud.google.com/gke-accelerator" }),
        GetAvailableGPUTypes: () => ({}),
        Cleanup: () => ({}),
        // The scaler's own writes and updates keep the state current; only an outside scale
        // needs a look at the stack, in the background and at most once a minute.
        Refresh: () => {
            service.checkOutsideScaleSoon();
            return {};
        },
        NodeGroupTargetSize: (request: { id: string }) => {
            const id = checkGroup(state(), request.id);
            return { targetSize: id === LOKI_GROUP ? state().loki.desired : state().desired.count };
        },
        NodeGroupIncreaseSize: async (request: { id: string; delta: number }, expired: Expired) => {
            refuseFixedSize(checkGroup(state(), request.id));
            await service.mutate((current) => increase(current, request.delta), expired);
            return {};
        },
        NodeGroupDeleteNodes: async (request: { id: string; nodes: GrpcNode[] }, expired: Expired) => {
            refuseFixedSize(checkGroup(state(), request.id));
            await service.mutate(
                (current) =>
                    deleteNodes(
                        current,
                        request.nodes.map((node) => node.providerID),
                    ),
                expired,
            );
            return {};
        },
        NodeGroupDecreaseTargetSize: async (request: { id: string; delta: number }, expired: Expired) => {
            refuseFixedSize(checkGroup(state(), request.id));
            await service.mutate((current) => decreaseTarget(current, request.delta), expired);
            return {};
        },
        NodeGroupNodes: (request: { id: string }) => ({
            instances: service.instances(checkGroup(state(), request.id)).map((instance) => ({
                id: instance.id,
                status: {
                    instanceState: instance.state,
                    ...(instance.error
                        ? { errorInfo: { errorCode: instance.error.code, errorMessage: instance.error.message, instanceErrorClass: instance.error.errorClass } }
                        : {}),
                },
            })),
        }),
        // A node the group would add, for scale-up from zero (with a node of the group, the autoscaler copies that one).
        NodeGroupTemplateNodeInfo: (request: { id: string }) => {
            const spec = service.template(checkGroup(state(), request.id));
            if (!spec) throw new ScaleError(grpc.status.NOT_FOUND, `no template for node group "${bounded(request.id)}"`);
            return templateNodeInfoResponse(spec);
        },
        NodeGroupGetOptions: (request: { id: string; defaults?: Partial<AutoscalingOptions> }) => {
            checkGroup(state(), request.id);
            const autoscalerDefault = secondsOf(request.defaults?.MaxNodeProvisionDuration, request.defaults?.MaxNodeProvisionTime);
            if (autoscalerDefault !== undefined) service.noteAutoscalerDefault(autoscalerDefault);
            return { nodeGroupAutoscalingOptions: groupOptions(request.defaults, service.budgetSeconds()) };
        },
    } satisfies Record<string, Handler<never, unknown>>;
}

/** The most of a refusal's message a status carries: gRPC sends it in a header, which a client may not take whole (nghttp2: 64 KiB). */
const MAX_DETAILS_CHARS = 512;

/**
 * Registers the handlers: refusals answer their gRPC status with their message (bounded); anything else is INTERNAL
 * without the raw text. Ids longer than any real one are refused first, before a handler sees the request.
 */
export function addCloudProvider(server: grpc.Server, service: CloudProviderService, log: Logger): void {
    // Read at each call: the scaler sets its metrics observer after the handlers are registered.
    const observe: CloudProviderService["observe"] = (kind, outcome, seconds) => service.observe(kind, outcome, seconds);
    const handlers = cloudProviderHandlers(service) as Record<string, Handler<unknown, unknown>>;
    const unary =
        (kind: string, handle: Handler<unknown, unknown>): grpc.handleUnaryCall<unknown, unknown> =>
        (call, callback) => {
            const started = process.hrtime.bigint();
            const seconds = () => Number(process.hrtime.bigint() - started) / 1e9;
            Promise.resolve()
                .then(() => {
                    refuseOversized(call.request);
                    return handle(call.request, expiry(call));
                })
                .then(
                    (response) => {
                        observe(kind, "ok", seconds());
                        callback(null, response);
                    },
                    (error: unknown) => {
                        if (error instanceof ScaleError) {
                            observe(kind, "refused", seconds());
                            const details = bounded(error.message, MAX_DETAILS_CHARS);
                            log.info({ rpc: kind, code: grpc.status[error.code] }, details);
                            callback({ code: error.code, details });
                        } else {
                            observe(kind, "error", seconds());
                            log.error({ rpc: kind, err: error }, "request failed");
                            callback({ code: grpc.status.INTERNAL, details: `${kind} failed; see the scaler's log` });
                        }
                    },
                );
        };
    // Our own definition, wire-compatible with the autoscaler's.
    server.addService(loadCloudProvider().service, Object.fromEntries(Object.entries(handlers).map(([kind, handle]) => [kind, unary(kind, handle)])));
}
