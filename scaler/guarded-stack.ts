import * as fs from "fs";
import * as path from "path";
import type { Logger } from "pino";
import { writeJsonAtomic } from "./json-file";
import { decideOnLock, lockErrorText } from "./stack-lock";
import { ConfigValues, existingSlotsOf, isConcurrentUpdate, StackPort, UpdatePlan } from "./stack-port";

/** How the scaler recognises and clears a lock a killed update of its own left behind. */
export interface OwnLocks {
    /**
     * A file on the durable volume, written before each update and removed when one succeeds:
     * found at start (or before an update), it says an update of ours never finished.
     */
    readonly marker: string;
    /** The host name only the scaler's pod uses (its spec.hostname): Pulumi writes it into every lock. */
    readonly host: string;
    /** Deletes the stack's lock files (`pulumi cancel`). */
    readonly cancel: () => Promise<void>;
}

/** The marker beside a scale record: same durable directory, its own name. */
export function updateMarkerFile(scaleRecord: string): string {
    return path.join(path.dirname(scaleRecord), `${path.basename(scaleRecord, ".json")}.updating.json`);
}

interface Marker {
    readonly host: string;
    readonly pid: number;
    readonly startedAt: string;
}

/** Raised by `up` once the scaler is stopping: the recorded change is applied at the next start. */
export class StoppingError extends Error {
    constructor() {
        super("the scaler is stopping: no new update starts (the recorded change is applied at the next start)");
        this.name = "StoppingError";
    }
}

/**
 * A stack whose updates the scaler's lifecycle can see and stop: it knows whether an update is
 * running and since when (SIGTERM waits for it, up to a deadline), refuses new ones once
 * closed, and, given OwnLocks, keeps the unfinished-update marker and clears a lock that is
 * certainly a dead update of ours (scaler/stack-lock.ts decides). A lock of anyone else's is
 * left alone: the update loop retries it as concurrent.
 */
export class GuardedStack implements StackPort {
    /** The update under way: settles (never rejects) when it ends, and when it began. */
    private running: { readonly settled: Promise<void>; readonly started: number } | undefined;
    private closed = false;
    /** An update of ours was left unfinished before this process started (a predecessor was killed mid-update). */
    readonly unfinishedAtStart: Marker | undefined;

    constructor(
        private readonly inner: StackPort,
        private readonly log: Logger,
        private readonly ownLocks?: OwnLocks,
    ) {
        this.unfinishedAtStart = this.marker();
    }

    /** The inner stack's: a decorator must not hide what the service asks for. */
    existingWorkerSlots(): Promise<readonly number[]> {
        return existingSlotsOf(this.inner);
    }

    private marker(): Marker | undefined {
        if (!this.ownLocks || !fs.existsSync(this.ownLocks.marker)) return undefined;
        try {
            return JSON.parse(fs.readFileSync(this.ownLocks.marker, "utf8")) as Marker;
        } catch {
            // Written atomically, so unreadable means tampered with; it still says an update began.
            return { host: "unknown", pid: -1, startedAt: "unknown" };
        }
    }

    readConfig(): Promise<ConfigValues> {
        return this.inner.readConfig();
    }

    writeConfig(changes: ConfigValues): Promise<void> {
        return this.inner.writeConfig(changes);
    }

    readDeployed(): Promise<ConfigValues> {
        return this.inner.readDeployed();
    }

    up(plan?: UpdatePlan): Promise<void> {
        if (this.closed) return Promise.reject(new StoppingError());
        // The update loop runs one at a time; a second here would make our own lock look stale.
        if (this.running) return Promise.reject(new Error("an update of this scaler is already running"));
        const started = performance.now();
        const attempt = this.attempt(plan);
        const clear = () => void (this.running = undefined);
        this.running = { settled: attempt.then(clear, clear), started };
        return attempt;
    }

    private async attempt(plan: UpdatePlan | undefined): Promise<void> {
        const unfinished = this.marker() !== undefined;
        if (this.ownLocks)
            writeJsonAtomic(this.ownLocks.marker, { host: this.ownLocks.host, pid: process.pid, startedAt: new Date().toISOString() } satisfies Marker);
        try {
            await this.inner.up(plan);
        } catch (error) {
            if (this.ownLocks && isConcurrentUpdate(error)) await this.clearIfOurs(this.ownLocks, error, unfinished);
            throw error;
        }
        if (this.ownLocks) fs.rmSync(this.ownLocks.marker, { force: true });
    }

    /** The error still goes to the loop: its retry (after the usual backoff) then finds the stack free. */
    private async clearIfOurs(ownLocks: OwnLocks, error: unknown, unfinishedUpdate: boolean): Promise<void> {
        const decision = decideOnLock(lockErrorText(error), { ownHost: ownLocks.host, unfinishedUpdate });
        if (!decision.clear) {
            this.log.info({ reason: decision.reason }, "the stack is locked by someone else's update: waiting");
            return;
        }
        this.log.warn({ locks: decision.locks }, "the stack is locked by a killed update of this scaler: clearing its lock (pulumi cancel)");
        try {
            await ownLocks.cancel();
        } catch (cancelError) {
            this.log.error({ err: cancelError }, "could not clear the scaler's own stale lock");
        }
    }

    /** No update starts after this; a running one goes on. */
    close(): void {
        this.closed = true;
    }

    /** Seconds the running update has run, or undefined when none runs. */
    get runningSeconds(): number | undefined {
        return this.running && (performance.now() - this.running.started) / 1000;
    }

    /** True once no update runs (at once if none does); false if one still runs after `timeoutMs`. */
    async settled(timeoutMs: number): Promise<boolean> {
        const running = this.running?.settled;
        if (!running) return true;
        let timer: NodeJS.Timeout | undefined;
        const deadline = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), timeoutMs)));
        try {
            return await Promise.race([running.then(() => true), deadline]);
        } finally {
            clearTimeout(timer);
        }
    }
}
