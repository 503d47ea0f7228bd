import * as grpc from "@grpc/grpc-js";
import type { Logger } from "pino";
import { liveWorkerSlots, scaleOfSlots, slotChanges, WorkerScale } from "../config/worker-slots";
import { parseStackConfig, StackConfigError } from "../config/stack-config";
import { GroupId, groupInstances, GroupInstance, LOKI_GROUP, lokiInstances, OTHER_ERROR_CLASS, PoolState, ScaleError } from "./node-group";
import { ConfigValues, deployedPart, deployedScale, existingSlotsOf, poolState, scaleChanges, StackPort, UpdatePlan } from "./stack-port";
import { repairedScale } from "./scale-repair";
import { provisionBudgetSeconds, provisionDeadlineSeconds, RECENT_UPDATES } from "./provision-budget";
import { RequestTimes, RequestTimesInMemory } from "./request-times";
import { nodeTemplateSpecs, NodeTemplateSpec } from "./template-node";
import { UpdateLoop, UpdateOutcome } from "./update-loop";

/** Told of every answered request: its kind, how it ended and how long it took. */
export type RequestObserver = (kind: string, outcome: "ok" | "refused" | "error", seconds: number) => void;

export interface CloudProviderOptions {
    /**
     * At most this often, a Refresh (the autoscaler sends one every loop) re-reads the deployed
     * scale in the background, to adopt one deployed outside the scaler. @default 60000
     */
    readonly outsideScaleCheckMs?: number;
    /** Wall-clock milliseconds (tests drive a simulated clock). @default Date.now */
    readonly now?: () => number;
    /** Where request times outlive the process (beside the scale record). @default in memory */
    readonly requestTimes?: RequestTimes;
}

/** The same live worker slots (a retired slot above the count changes nothing deployed). */
const sameScale = (a: WorkerScale, b: WorkerScale) => {
    const { added, removed } = slotChanges(a, b);
    return added.length === 0 && removed.length === 0;
};

const union = (...lists: readonly (readonly number[])[]) => [...new Set(lists.flat())].sort((a, b) => a - b);

/** A request's way to tell the service it is no longer wanted (its gRPC deadline passed, the caller left). */
export type Expired = () => boolean;

/**
 * The Cluster Autoscaler's CloudProvider for this stack: the workers group (and the fixed Loki
 * pool). Reads answer from a cached state (no stack call per RPC). A scale request is validated
 * with the program's own config rules, written to the stack config durably, and answered; the
 * `pulumi up` runs in the background (UpdateLoop). Mutations are serialised, so concurrent
 * requests never lose or double a change. The service also plans each update attempt: it targets
 * only the workers that differ, and those stay unsettled (never handed out again, listed as
 * Deleting when no longer wanted) until a successful update and the stack's state say what exists.
 */
export class CloudProviderService {
    private queue: Promise<unknown> = Promise.resolve();
    private lastOutsideScaleCheck = -Infinity;
    /** When each not-yet-created worker was asked for (the autoscaler's clock starts then); kept in requestTimes. */
    private readonly requestedAt: Map<number, number>;
    private readonly recentUpdateSeconds: number[] = [];
    private attemptStartedAt = 0;
    /** The MaxNodeProvisionDuration the autoscaler last sent as its default, in seconds. */
    private autoscalerDefaultSeconds = 0;
    private templates: { readonly config: ConfigValues; readonly specs: readonly NodeTemplateSpec[] } | undefined;
    observe: RequestObserver = () => {};

    private constructor(
        private state: PoolState,
        private config: ConfigValues,
        private readonly stack: StackPort,
        private readonly updates: UpdateLoop,
        private readonly log: Logger,
        private readonly outsideScaleCheckMs: number,
        private readonly now: () => number,
        private readonly requestTimes: RequestTimes,
    ) {
        this.requestedAt = new Map(requestTimes.load());
        updates.attach({ starting: () => this.attemptStarting(), finished: (outcome, _seconds, error) => this.attemptFinished(outcome, error) });
    }

    /** Loads the stack's state and reconciles: after a crash or restart, a desired size the deployment lags behind gets its update. */
    static async start(stack: StackPort, updates: UpdateLoop, log: Logger, options: CloudProviderOptions = {}): Promise<CloudProviderService> {
        let config = await stack.readConfig();
        const deployedConfig = await stack.readDeployed();
        const repaired = repairedScale(config, deployedConfig);
        if (repaired) {
            // Before anything validates it: the program refuses such a record, and the scaler would never start.
            log.warn(
                { was: deployedScale(config), now: repaired },
                "the recorded scale had workers outside the pool (an earlier slot rule); moved them to free slots",
            );
            await stack.writeConfig(scaleChanges(repaired));
            config = { ...config, ...scaleChanges(repaired) };
        }
        const state = poolState(config, deployedConfig);
        // What a killed or failed predecessor's update left stays unsettled until an update settles it.
        const existing = await existingSlotsOf(stack);
        const deployed = existingOnly(state.deployed, existing);
        const service = new CloudProviderService(
            { ...state, deployed, unsettled: beyond(existing, deployed) },
            config,
            stack,
            updates,
            log,
            options.outsideScaleCheckMs ?? 60_000,
            options.now ?? (() => Date.now()),
            options.requestTimes ?? new RequestTimesInMemory(),
        );
        service.trackRequests();
        if (!sameScale(service.state.desired, service.state.deployed) || service.state.unsettled.length > 0) {
            log.info({ desired: service.state.desired, deployed: service.state.deployed }, "deployment lags the desired config; updating");
            updates.request();
        }
        return service;
    }

    /** Desired and deployed sizes, for metrics and health. */
    sizes(): { desired: number; deployed: number } {
        return { desired: this.state.desired.count, deployed: this.state.deployed.count };
    }

    /** The group's state now (tests and the model check it). */
    current(): PoolState {
        return this.state;
    }

    /** The node a group would add, from the desired config (the autoscaler's template when a group has no node). */
    template(id: GroupId): NodeTemplateSpec | undefined {
        if (this.templates?.config !== this.config) this.templates = { config: this.config, specs: nodeTemplateSpecs(parseStackConfig(this.config)) };
        return this.templates.specs.find((spec) => spec.group === id);
    }

    /** The provisioning budget the autoscaler is told, in seconds. */
    budgetSeconds(): number {
        return provisionBudgetSeconds(this.state.spec.scaleUpdateSeconds, this.recentUpdateSeconds, this.autoscalerDefaultSeconds);
    }

    /** Remembers the autoscaler's own default, so the deadline below matches what it was told. */
    noteAutoscalerDefault(seconds: number): void {
        this.autoscalerDefaultSeconds = seconds;
    }

    /** Request times follow the desired not-yet-created workers: new ones start now, gone ones are forgotten; kept when they change. */
    private trackRequests(): void {
        const pending = this.pendingSlots();
        let changed = false;
        for (const slot of [...this.requestedAt.keys()].filter((slot) => !pending.includes(slot))) {
            this.requestedAt.delete(slot);
            changed = true;
        }
        for (const slot of pending.filter((slot) => !this.requestedAt.has(slot))) {
            this.requestedAt.set(slot, this.now());
            changed = true;
        }
        if (changed) this.requestTimes.save(this.requestedAt);
    }

    /**
     * An attempt targets the slots where the desired and deployed workers differ, and those an
     * unsettled update may have left half done; they stay unsettled until an update succeeds.
     * It waits for a write in flight, so the stack's config and the plan agree.
     */
    private async attemptStarting(): Promise<UpdatePlan> {
        await this.queue;
        this.attemptStartedAt = this.now();
        const { added, removed } = slotChanges(this.state.deployed, this.state.desired);
        const slots = union(added, removed, this.state.unsettled);
        this.state = { ...this.state, unsettled: slots };
        return { slots };
    }

    /** After an attempt: read back what exists before the next one starts. Never throws (the loop retries on its own). */
    private async attemptFinished(outcome: UpdateOutcome, error: unknown): Promise<void> {
        try {
            const existing = await existingSlotsOf(this.stack);
            if (outcome === "succeeded") {
                const { workers, lokiNodes } = deployedPart(await this.stack.readDeployed());
                this.recentUpdateSeconds.push((this.now() - this.attemptStartedAt) / 1000);
                this.recentUpdateSeconds.splice(0, Math.max(0, this.recentUpdateSeconds.length - RECENT_UPDATES));
                // Settled: what the update deployed and exists is Running; any other machine the state holds is still to go.
                const deployed = existingOnly(workers, existing);
                const progressed = !sameScale(deployed, this.state.deployed);
                this.state = {
                    ...this.state,
                    deployed,
                    loki: { ...this.state.loki, deployed: lokiNodes },
                    unsettled: beyond(existing, deployed),
                    failure: undefined,
                };
                // Still behind (the stack moved under it): one more, as long as each one gets somewhere.
                if (progressed && (!sameScale(this.state.desired, deployed) || this.state.unsettled.length > 0)) this.updates.request();
            } else {
                const failure = outcome === "failed" ? { slots: this.pendingSlots(), message: `pulumi up failed: ${firstLine(error)}` } : this.state.failure;
                // Running workers stay out of the next plan: only what may be half made is unsettled.
                this.state = { ...this.state, unsettled: union(this.state.unsettled, beyond(existing, this.state.deployed)), failure };
            }
            this.trackRequests();
        } catch (readError) {
            this.log.error({ err: readError }, "could not read the stack back after an update");
        }
    }

    /** Desired workers not deployed yet. */
    private pendingSlots(): number[] {
        const deployed = new Set(liveWorkerSlots(this.state.deployed));
        return liveWorkerSlots(this.state.desired).filter((slot) => !deployed.has(slot));
    }

    /** Starts (without waiting) a look for a scale deployed outside the scaler, unless one ran lately. */
    checkOutsideScaleSoon(): void {
        if (this.now() - this.lastOutsideScaleCheck < this.outsideScaleCheckMs) return;
        this.lastOutsideScaleCheck = this.now();
        // In the mutation queue: never between a request's validation and its write.
        this.queue = this.queue
            .then(() => this.adoptOutsideScale())
            .catch((error: unknown) => this.log.error({ err: error }, "could not check the deployed scale"));
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
        this.config = { ...this.config, ...scaleChanges(workers) };
        this.log.info({ was: this.state.deployed, now: workers }, "adopted a scale deployed outside the scaler");
        this.state = { ...this.state, desired: workers, deployed: workers, loki: { ...this.state.loki, deployed: lokiNodes } };
        this.trackRequests();
    }

    /**
     * Validates against the current state and the program's own config rules, then records the new
     * scale before answering; one at a time. A request whose caller gave up while it waited its
     * turn is not applied: the autoscaler treats it as failed and will decide again.
     */
    mutate(compute: (state: PoolState) => WorkerScale, expired: Expired = () => false): Promise<void> {
        const run = this.queue.then(async () => {
            if (expired()) throw new ScaleError(grpc.status.DEADLINE_EXCEEDED, "the request's deadline passed before it was recorded; nothing was changed");
            const next = compute(this.state);
            if (sameScale(next, this.state.desired)) return;
            const changes = scaleChanges(next);
            refuseInvalid({ ...this.config, ...changes });
            await this.stack.writeConfig(changes);
            this.config = { ...this.config, ...changes };
            // A running update targets the slots it started with: this change waits for the next one.
            this.state = { ...this.state, desired: next };
            this.trackRequests();
            this.log.info({ desired: next }, "desired size recorded");
            this.updates.request();
        });
        this.queue = run.catch(() => undefined);
        return run;
    }

    /** The group's instances now; a requested worker past its deadline is reported failed. */
    instances(id: GroupId): GroupInstance[] {
        if (id === LOKI_GROUP) return lokiInstances(this.state);
        const deadlineMs = provisionDeadlineSeconds(this.budgetSeconds()) * 1000;
        const now = this.now();
        return groupInstances(this.state).map((instance) => {
            const requested = this.requestedAt.get(instance.slot);
            if (instance.state !== "instanceCreating" || instance.error || requested === undefined || now - requested < deadlineMs) return instance;
            const message = `not created within ${Math.round(deadlineMs / 1000)} s of the request (updates are slower than expected, or another update holds the stack)`;
            return { ...instance, error: { code: "provision-timeout", message, errorClass: OTHER_ERROR_CLASS } };
        });
    }
}

/** The deployed workers whose machines the stack's state holds (an update's config may name a slot it did not target). */
function existingOnly(deployed: WorkerScale, existing: readonly number[]): WorkerScale {
    const present = new Set(existing);
    return scaleOfSlots(liveWorkerSlots(deployed).filter((slot) => present.has(slot)));
}

/** Existing machines that are not deployed workers: half-made or still to be deleted. */
function beyond(existing: readonly number[], deployed: WorkerScale): number[] {
    const running = new Set(liveWorkerSlots(deployed));
    return existing.filter((slot) => !running.has(slot));
}

function firstLine(error: unknown): string {
    const text = error instanceof Error ? error.message : String(error);
    return (
        text
            .split("\n")
            .find((line) => line.trim() !== "")
            ?.slice(0, 300) ?? "unknown error"
    );
}

/** The program's own validation, before anything is written: a config `up` would refuse is never recorded. */
function refuseInvalid(config: ConfigValues): void {
    try {
        poolState(config, {});
    } catch (error) {
        if (error instanceof StackConfigError)
            throw new ScaleError(grpc.status.FAILED_PRECONDITION, `the stack config would be invalid: ${error.problems.join("; ")}`);
        throw error;
    }
}
