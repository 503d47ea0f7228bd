import type { Logger } from "pino";
import { isConcurrentUpdate, StackPort, UpdatePlan } from "./stack-port";

export type UpdateOutcome = "succeeded" | "concurrent" | "failed";
/** Told of every finished update attempt (metrics). */
export type UpdateListener = (seconds: number, outcome: UpdateOutcome) => void;

/**
 * The service's view of each attempt, awaited by the loop: `starting` before the stack is asked to
 * update (it says which slots the attempt targets, and they become unsettled), `finished` before the next attempt starts (the
 * deployed state is read back first, so the next attempt never races the last one's result).
 */
export interface AttemptHooks {
    /** What the attempt may change (absent: the whole pool). */
    starting(): UpdatePlan | undefined | Promise<UpdatePlan | undefined>;
    finished(outcome: UpdateOutcome, seconds: number, error?: unknown): void | Promise<void>;
}

export interface UpdateLoopOptions {
    /** First wait after a failed or concurrent update; doubles up to maxBackoffMs. @default 1000 */
    readonly backoffMs?: number;
    /** @default 60000 */
    readonly maxBackoffMs?: number;
    /** How it waits (tests record the waits instead). @default setTimeout */
    readonly sleep?: (ms: number) => Promise<void>;
}

/**
 * Runs `pulumi up` for the stack, one at a time. A request during an update is not queued
 * behind it: it marks the stack dirty, and the loop runs one more update afterwards, which
 * applies every change recorded meanwhile (20 requests during an update = 1 more update).
 * A ConcurrentUpdateError (CI or a person running `up`) or a failed update is retried with
 * backoff; the loop cancels nothing (GuardedStack clears only a lock its own killed update left).
 */
export class UpdateLoop {
    private dirty = false;
    private running: Promise<void> | undefined;
    private readonly backoffMs: number;
    private readonly maxBackoffMs: number;
    private readonly listeners: UpdateListener[] = [];
    private readonly sleep: (ms: number) => Promise<void>;
    private hooks: AttemptHooks | undefined;

    constructor(
        private readonly stack: StackPort,
        private readonly log: Logger,
        options: UpdateLoopOptions = {},
    ) {
        this.backoffMs = options.backoffMs ?? 1000;
        this.maxBackoffMs = options.maxBackoffMs ?? 60_000;
        this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
    }

    onUpdate(listener: UpdateListener): void {
        this.listeners.push(listener);
    }

    /** One set of hooks: the service that owns the group's state. */
    attach(hooks: AttemptHooks): void {
        this.hooks = hooks;
    }

    private finished(started: number, outcome: UpdateOutcome): number {
        const seconds = (performance.now() - started) / 1000;
        for (const listener of this.listeners) listener(seconds, outcome);
        return seconds;
    }

    /** The desired config changed: make sure an update starting after now applies it. */
    request(): void {
        this.dirty = true;
        this.running ??= this.run().finally(() => {
            this.running = undefined;
        });
    }

    /** Resolves when no update runs and none is pending. */
    async idle(): Promise<void> {
        while (this.running) await this.running;
    }

    get busy(): boolean {
        return this.running !== undefined;
    }

    private async run(): Promise<void> {
        let backoff = this.backoffMs;
        while (this.dirty) {
            this.dirty = false;
            const plan = await this.hooks?.starting();
            const started = performance.now();
            try {
                await this.stack.up(plan);
                const seconds = this.finished(started, "succeeded");
                await this.hooks?.finished("succeeded", seconds);
                this.log.info({ seconds }, "update succeeded");
                backoff = this.backoffMs;
            } catch (error) {
                const outcome = isConcurrentUpdate(error) ? "concurrent" : "failed";
                // Listeners hear of every attempt, hooks or not (`?.` would skip the argument's call).
                const seconds = this.finished(started, outcome);
                await this.hooks?.finished(outcome, seconds, error);
                this.log.warn(
                    { err: error, retryInMs: backoff },
                    outcome === "concurrent" ? "another update holds the stack; retrying" : "update failed; retrying",
                );
                this.dirty = true;
                await this.sleep(backoff);
                backoff = Math.min(backoff * 2, this.maxBackoffMs);
            }
        }
    }
}
