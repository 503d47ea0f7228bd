import * as grpc from "@grpc/grpc-js";
import type { Logger } from "pino";
import { slotChanges, WorkerScale } from "../config/worker-slots";
import { LOKI_POOL } from "../components/loki-values";
import { checkGroup, decreaseTarget, deleteNodes, GroupId, groupIds, groupInstances, increase, indexOf, LOKI_GROUP, lokiInstances, PoolState, refuseFixedSize, ScaleError, WORKERS_GROUP } from "./node-group";
import { deployedPart, poolState, scaleChanges, StackPort } from "./stack-port";
import { loadCloudProvider } from "./client";
import { UpdateLoop } from "./update-loop";


interface GrpcNode {
    readonly providerID: string;
    readonly name: string;
}

/** Scale requests by kind and outcome, for the metrics endpoint. */
export type RequestObserver = (kind: string, outcome: "ok" | "refused" | "error", seconds: number) => void;

export interface CloudProviderOptions {
    /**
     * At most this often, a Refresh (the autoscaler sends one every loop) re-reads the deployed
     * scale in the background, to adopt one deployed outside the scaler. @default 60000
     */
    readonly outsideScaleCheckMs?: number;
}

/** The same live worker slots (a retired slot above the count changes nothing deployed). */
const sameScale = (a: WorkerScale, b: WorkerScale) => {
    const { added, removed } = slotChanges(a, b);
    return added.length === 0 && removed.length === 0;
};

/**
 * The Cluster Autoscaler's CloudProvider, for one node group: the stack's workers. Reads answer
 * from a cached state (no stack call per RPC). A scale request is validated, written to the
 * stack config durably, and answered; the `pulumi up` runs in the background (UpdateLoop).
 * Mutations are serialised, so concurrent requests never lose or double a change.
 */
export class CloudProviderService {
    private queue: Promise<unknown> = Promise.resolve();
    private lastOutsideScaleCheck = -Infinity;
    observe: RequestObserver = () => {};

    private constructor(
        private state: PoolState,
        private readonly stack: StackPort,
        private readonly updates: UpdateLoop,
        private readonly log: Logger,
        private readonly outsideScaleCheckMs: number,
    ) {
        updates.onUpdate((_, outcome) => {
            if (outcome === "succeeded") void this.reloadDeployed();
        });
    }

    /** Loads the stack's state and reconciles: after a crash or restart, a desired size the deployment lags behind gets its update. */
    static async start(stack: StackPort, updates: UpdateLoop, log: Logger, options: CloudProviderOptions = {}): Promise<CloudProviderService> {
        const service = new CloudProviderService(poolState(await stack.readConfig(), await stack.readDeployed()), stack, updates, log, options.outsideScaleCheckMs ?? 60_000);
        if (!sameScale(service.state.desired, service.state.deployed)) {
            log.info({ desired: service.state.desired, deployed: service.state.deployed }, "deployment lags the desired config; updating");
            updates.request();
        }
        return service;
    }

    /** Desired and deployed sizes, for metrics and health. */
    sizes(): { desired: number; deployed: number } {
        return { desired: this.state.desired.count, deployed: this.state.deployed.count };
    }

    private async reloadDeployed(): Promise<void> {
        try {
            const { workers, lokiNodes } = deployedPart(await this.stack.readDeployed());
            this.state = { ...this.state, deployed: workers, loki: { ...this.state.loki, deployed: lokiNodes } };
        } catch (error) {
            this.log.error({ err: error }, "could not read the deployed config");
        }
    }

    /** Starts (without waiting) a look for a scale deployed outside the scaler, unless one ran lately. */
    private checkOutsideScaleSoon(): void {
        if (performance.now() - this.lastOutsideScaleCheck < this.outsideScaleCheckMs) return;
        this.lastOutsideScaleCheck = performance.now();
        // In the mutation queue: never between a request's validation and its write.
        this.queue = this.queue.then(() => this.adoptOutsideScale()).catch((error: unknown) => this.log.error({ err: error }, "could not check the deployed scale"));
    }

    /**
     * A scale someone else deployed (CI's scale job, a person's `npm run scale` or `up`) while
     * this scaler had nothing in flight becomes its desired scale too: the scaler never undoes it.
     * With a change of its own pending or running, the deployment lags by its own doing: no look.
     */
    private async adoptOutsideScale(): Promise<void> {
        if (this.updates.busy || !sameScale(this.state.desired, this.state.deployed)) return;
        const { workers, lokiNodes } = deployedPart(await this.stack.readDeployed());
        if (this.updates.busy || sameScale(workers, this.state.deployed)) return;
        await this.stack.writeConfig(scaleChanges(workers));
        this.log.info({ was: this.state.deployed, now: workers }, "adopted a scale deployed outside the scaler");
        this.state = { ...this.state, desired: workers, deployed: workers, loki: { ...this.state.loki, deployed: lokiNodes } };
    }

    /** Validates against the current state, then records the new scale before answering; one at a time. */
    private mutate(compute: (state: PoolState) => WorkerScale): Promise<void> {
        const run = this.queue.then(async () => {
            const next = compute(this.state);
            await this.stack.writeConfig(scaleChanges(next));
            this.state = { ...this.state, desired: next };
            this.log.info({ desired: next }, "desired size recorded");
            this.updates.request();
        });
        this.queue = run.catch(() => undefined);
        return run;
    }

    private group(id: GroupId) {
        const { spec, desired, deployed, loki } = this.state;
        return id === LOKI_GROUP
            ? { id, minSize: loki.desired, maxSize: loki.desired, debug: `${LOKI_GROUP}: fixed at ${loki.desired} (lokiNodeCount), ${loki.deployed} deployed` }
            : { id, minSize: spec.min, maxSize: spec.max, debug: `${WORKERS_GROUP}: ${desired.count} desired, ${deployed.count} deployed` };
    }

    private instances(id: GroupId) {
        return id === LOKI_GROUP ? lokiInstances(this.state) : groupInstances(this.state);
    }

    /** Wraps a handler: refusals answer their gRPC status with their message; anything else is INTERNAL without the raw text. */
    private unary<Req, Res>(kind: string, handle: (request: Req) => Res | Promise<Res>): grpc.handleUnaryCall<Req, Res> {
        return (call, callback) => {
            const started = process.hrtime.bigint();
            const seconds = () => Number(process.hrtime.bigint() - started) / 1e9;
            Promise.resolve()
                .then(() => handle(call.request))
                .then(
                    (response) => {
                        this.observe(kind, "ok", seconds());
                        callback(null, response);
                    },
                    (error: unknown) => {
                        if (error instanceof ScaleError) {
                            this.observe(kind, "refused", seconds());
                            this.log.info({ rpc: kind, code: grpc.status[error.code] }, error.message);
                            callback({ code: error.code, details: error.message });
                        } else {
                            this.observe(kind, "error", seconds());
                            this.log.error({ rpc: kind, err: error }, "request failed");
                            callback({ code: grpc.status.INTERNAL, details: `${kind} failed; see the scaler's log` });
                        }
                    },
                );
        };
    }

    addToServer(server: grpc.Server): void {
        // Our own definition, wire-compatible with the autoscaler's.
        server.addService(loadCloudProvider().service, {
            NodeGroups: this.unary("NodeGroups", () => ({ nodeGroups: groupIds(this.state).map((id) => this.group(id)) })),
            NodeGroupForNode: this.unary("NodeGroupForNode", (request: { node?: GrpcNode }) => {
                const providerId = request.node?.providerID ?? "";
                const slot = indexOf(this.state.spec, "worker", providerId);
                const loki = indexOf(this.state.spec, LOKI_POOL.name, providerId);
                const group: GroupId | undefined =
                    slot !== undefined && groupInstances(this.state).some((instance) => instance.slot === slot)
                        ? WORKERS_GROUP
                        : loki !== undefined && lokiInstances(this.state).some((instance) => instance.slot === loki)
                          ? LOKI_GROUP
                          : undefined;
                // An empty id: not in any group (control planes, HAProxy).
                return { nodeGroup: group ? this.group(group) : { id: "", minSize: 0, maxSize: 0, debug: "" } };
            }),
            GPULabel: this.unary("GPULabel", () => ({ label: "cloud.google.com/gke-accelerator" })),
            GetAvailableGPUTypes: this.unary("GetAvailableGPUTypes", () => ({})),
            Cleanup: this.unary("Cleanup", () => ({})),
            // The scaler's own writes and updates keep the state current; only an outside scale
            // needs a look at the stack, in the background and at most once a minute.
            Refresh: this.unary("Refresh", () => {
                this.checkOutsideScaleSoon();
                return {};
            }),
            NodeGroupTargetSize: this.unary("NodeGroupTargetSize", (request: { id: string }) => {
                const id = checkGroup(this.state, request.id);
                return { targetSize: id === LOKI_GROUP ? this.state.loki.desired : this.state.desired.count };
            }),
            NodeGroupIncreaseSize: this.unary("NodeGroupIncreaseSize", async (request: { id: string; delta: number }) => {
                refuseFixedSize(checkGroup(this.state, request.id));
                await this.mutate((state) => increase(state, request.delta));
                return {};
            }),
            NodeGroupDeleteNodes: this.unary("NodeGroupDeleteNodes", async (request: { id: string; nodes: GrpcNode[] }) => {
                refuseFixedSize(checkGroup(this.state, request.id));
                await this.mutate((state) => deleteNodes(state, request.nodes.map((node) => node.providerID)));
                return {};
            }),
            NodeGroupDecreaseTargetSize: this.unary("NodeGroupDecreaseTargetSize", async (request: { id: string; delta: number }) => {
                refuseFixedSize(checkGroup(this.state, request.id));
                await this.mutate((state) => decreaseTarget(state, request.delta));
                return {};
            }),
            NodeGroupNodes: this.unary("NodeGroupNodes", (request: { id: string }) => {
                return { instances: this.instances(checkGroup(this.state, request.id)).map((instance) => ({ id: instance.id, status: { instanceState: instance.state } })) };
            }),
        });
    }
}
