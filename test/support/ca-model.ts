import { status } from "@grpc/grpc-js";
import pino from "pino";
import { liveWorkerSlots } from "../../config/worker-slots";
import { CloudProviderService } from "../../scaler/cloud-provider";
import { RequestTimes } from "../../scaler/request-times";
import { cloudProviderHandlers } from "../../scaler/grpc-service";
import { providerIdOf, ScaleError } from "../../scaler/node-group";
import { ConfigValues, deployedScale, StackPort, UpdatePlan } from "../../scaler/stack-port";
import { UpdateLoop } from "../../scaler/update-loop";

/**
 * A stand-in for a Pulumi stack and its VMs, for the model test (no Pulumi CLI or cloud here):
 * `up(plan)` starts an attempt that the model ends when it chooses: it reads the desired config at
 * a moment the model picks (as the CLI reads it shortly after it starts), and, as --target does,
 * changes only the plan's slots: it succeeds (those VMs follow that config, and the whole config
 * read becomes the deployed one, as Pulumi's history records it, untargeted slots included),
 * fails part way (some of the targeted changes happen, the deployed config stays), or meets
 * another update's lock. A killed scaler leaves its attempt unfinished: part of it happens,
 * nothing records it.
 */
export class SimulatedStack implements StackPort {
    config: ConfigValues;
    deployed: ConfigValues;
    /** The worker VMs that exist (what Pulumi's state holds). */
    readonly vms = new Set<number>();
    attempt:
        | { read?: ConfigValues; readonly plan?: UpdatePlan; readonly startedAt: number; readonly endsAt: number; readonly finish: (error?: Error) => void }
        | undefined;
    ups = 0;

    constructor(
        initial: ConfigValues,
        private readonly clock: () => number,
        private readonly drawDurationMs: () => number,
    ) {
        this.config = initial;
        this.deployed = initial;
        for (const slot of slotsOf(initial)) this.vms.add(slot);
    }

    async readConfig(): Promise<ConfigValues> {
        return this.config;
    }
    async writeConfig(changes: ConfigValues): Promise<void> {
        this.config = { ...this.config, ...changes };
    }
    async readDeployed(): Promise<ConfigValues> {
        return this.deployed;
    }
    async existingWorkerSlots(): Promise<readonly number[]> {
        return [...this.vms].sort((a, b) => a - b);
    }

    up(plan?: UpdatePlan): Promise<void> {
        this.ups++;
        return new Promise((resolve, reject) => {
            const startedAt = this.clock();
            this.attempt = { plan, startedAt, endsAt: startedAt + this.drawDurationMs(), finish: (error) => (error ? reject(error) : resolve()) };
        });
    }

    /** Whether an attempt may touch a slot: the plan's, or every slot without one. */
    private targeted(slot: number): boolean {
        return !this.attempt?.plan || this.attempt.plan.slots.includes(slot);
    }

    /** The CLI reads the desired config (once per attempt). */
    readConfigNow(): void {
        if (this.attempt && !this.attempt.read) this.attempt = { ...this.attempt, read: this.config };
    }

    /** The attempt's changes, all of them or (partly) each with probability one half; only targeted slots. */
    private apply(read: ConfigValues, chance: number, random: () => number): void {
        const target = new Set(slotsOf(read));
        for (const slot of [...target].filter((s) => !this.vms.has(s) && this.targeted(s))) if (random() < chance) this.vms.add(slot);
        for (const slot of [...this.vms].filter((s) => !target.has(s) && this.targeted(s))) if (random() < chance) this.vms.delete(slot);
    }

    end(outcome: "succeeded" | "failed" | "concurrent", random: () => number): void {
        const attempt = this.attempt;
        if (!attempt) return;
        if (outcome === "concurrent") {
            this.attempt = undefined;
            return attempt.finish(Object.assign(new Error("the stack is currently locked by 1 lock(s)"), { name: "ConcurrentUpdateError" }));
        }
        const read = attempt.read ?? this.config;
        this.apply(read, outcome === "failed" ? 0.5 : 1, random);
        this.attempt = undefined;
        if (outcome === "failed") return attempt.finish(new Error("error: 1 error occurred:\n* creating VM: QUOTA_EXCEEDED"));
        this.deployed = read;
        attempt.finish();
    }

    /** The scaler is killed: its attempt does part of its work and is never recorded. */
    kill(random: () => number): void {
        if (this.attempt) this.apply(this.attempt.read ?? this.config, 0.5, random);
        this.attempt = undefined;
    }
}

export const slotsOf = (config: ConfigValues): number[] => liveWorkerSlots(deployedScale(config));

/** One scaler process: its update loop and service, on the shared stack. */
export interface ScalerProcess {
    readonly service: CloudProviderService;
    readonly handlers: ReturnType<typeof cloudProviderHandlers>;
    readonly updates: UpdateLoop;
}

/** A scaler process on the shared stack; its request times are kept where its successor finds them. */
export async function startScaler(stack: SimulatedStack, now: () => number, requestTimes: RequestTimes): Promise<ScalerProcess> {
    const log = pino({ level: "silent" });
    // Backoff waits are not simulated: the model's clock decides when the next attempt ends.
    const updates = new UpdateLoop(stack, log, { sleep: () => Promise.resolve() });
    const service = await CloudProviderService.start(stack, updates, log, { now, outsideScaleCheckMs: 60_000, requestTimes });
    return { service, handlers: cloudProviderHandlers(service), updates };
}

/** Lets every pending promise chain (handlers, hooks, the loop) run to where it waits on the model. */
export async function settle(): Promise<void> {
    for (let i = 0; i < 8; i++) await new Promise((resolve) => setImmediate(resolve));
}

/** The outcome of an RPC: its answer, or the refusal's gRPC status. */
export async function attempt<T>(run: () => T | Promise<T>): Promise<{ ok: true; value: T } | { ok: false; code: status; message: string }> {
    try {
        return { ok: true, value: await run() };
    } catch (error) {
        if (error instanceof ScaleError) return { ok: false, code: error.code, message: error.message };
        throw error;
    }
}

/** mulberry32: a small seeded generator, so a failing sequence is replayed from its seed. */
export function seeded(seed: number): () => number {
    let a = seed >>> 0;
    return () => {
        a = (a + 0x6d2b79f5) >>> 0;
        let t = a;
        t = Math.imul(t ^ (t >>> 15), t | 1);
        t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
        return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
}

export { providerIdOf };
