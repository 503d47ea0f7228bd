import { strict as assert } from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { ConfigMap, UpdateSummary, UpResult } from "@pulumi/pulumi/automation";
import pino from "pino";
import { AutomationStack, AutomationStackApi } from "../../scaler/automation-stack";
import { GuardedStack, OwnLocks, StoppingError, updateMarkerFile } from "../../scaler/guarded-stack";
import { ConfigValues, StackPort } from "../../scaler/stack-port";
import { UpdateLoop } from "../../scaler/update-loop";
import { lockError, lockStderr, OWN_HOST } from "../support/stack-locks";

const silent = pino({ level: "silent" });
const OURS = lockError(lockStderr([{ user: "scaler", host: OWN_HOST, pid: 57, at: "2026-11-26T10:15:03Z" }]));
const CI = lockError(lockStderr([{ user: "runner", host: "runner-x7-project-42-concurrent-0", pid: 311, at: "2026-11-26T10:15:04Z" }]));

/** A stack whose updates fail as scripted, or wait until released. */
class ScriptedStack implements StackPort {
    failures: Error[] = [];
    ups = 0;
    hold: Promise<void> | undefined;
    async readConfig(): Promise<ConfigValues> {
        return {};
    }
    async writeConfig(): Promise<void> {}
    async readDeployed(): Promise<ConfigValues> {
        return {};
    }
    async up(): Promise<void> {
        this.ups++;
        await this.hold;
        const failure = this.failures.shift();
        if (failure) throw failure;
    }
}

describe("the guarded stack: the scaler's own updates, their marker, stale locks and stopping", () => {
    let dir: string;
    let marker: string;
    let cancels: number;
    let ownLocks: OwnLocks;
    beforeEach(() => {
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "guarded-stack-"));
        marker = updateMarkerFile(path.join(dir, "dev.json"));
        cancels = 0;
        ownLocks = { marker, host: OWN_HOST, cancel: async () => void cancels++ };
    });
    afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

    it("keeps the marker beside the scale record from an update's start until one succeeds", async () => {
        assert.equal(marker, path.join(dir, "dev.updating.json"));
        const inner = new ScriptedStack();
        let release = () => {};
        inner.hold = new Promise((resolve) => (release = resolve));
        inner.failures = [new Error("drain timed out")];
        const stack = new GuardedStack(inner, silent, ownLocks);
        assert.equal(stack.unfinishedAtStart, undefined);
        const failing = stack.up();
        assert.deepEqual(
            Object.keys(JSON.parse(fs.readFileSync(marker, "utf8")) as object).sort(),
            ["host", "pid", "startedAt"],
            "written before the update runs",
        );
        release();
        await assert.rejects(failing, /drain timed out/);
        assert.ok(fs.existsSync(marker), "a failed update leaves it");
        await stack.up();
        assert.ok(!fs.existsSync(marker), "a successful one removes it");
    });

    it("a killed predecessor's lock is cleared at the next start: the marker says unfinished, every lock names our host", async () => {
        fs.writeFileSync(marker, JSON.stringify({ host: OWN_HOST, pid: 7, startedAt: "2026-11-26T10:15:02Z" }));
        const inner = new ScriptedStack();
        inner.failures = [OURS];
        const stack = new GuardedStack(inner, silent, ownLocks);
        assert.equal(stack.unfinishedAtStart?.pid, 7, "seen at start");
        await assert.rejects(stack.up(), (error: Error) => error === OURS, "the loop still sees the lock error and retries after its backoff");
        assert.equal(cancels, 1);
        await stack.up();
        assert.equal(cancels, 1);
        assert.ok(!fs.existsSync(marker));
    });

    it("never clears someone else's lock, nor ours without an unfinished update, nor anything without a host of its own", async () => {
        fs.writeFileSync(marker, "{}");
        const inner = new ScriptedStack();
        inner.failures = [CI, CI];
        const stack = new GuardedStack(inner, silent, ownLocks);
        await assert.rejects(stack.up());
        await assert.rejects(stack.up());
        assert.equal(cancels, 0, "CI's lock stays: concurrent, retried");

        fs.rmSync(marker);
        inner.failures = [OURS];
        await assert.rejects(new GuardedStack(inner, silent, ownLocks).up());
        assert.equal(cancels, 0, "our last update succeeded: whoever holds a lock naming our host is alive");

        fs.rmSync(marker);
        inner.failures = [OURS];
        const dryRun = new GuardedStack(inner, silent);
        await assert.rejects(dryRun.up());
        assert.equal(cancels, 0);
        assert.deepEqual(fs.readdirSync(dir), [], "no marker without OwnLocks");
    });

    it("a failed cancel is logged, and the lock error still goes to the loop", async () => {
        fs.writeFileSync(marker, "{}");
        const inner = new ScriptedStack();
        inner.failures = [OURS];
        const stack = new GuardedStack(inner, silent, { ...ownLocks, cancel: () => Promise.reject(new Error("403 storage.objects.delete")) });
        await assert.rejects(stack.up(), (error: Error) => error === OURS);
    });

    it("stopping: no update starts after close(); settled() waits for the running one, up to a deadline", async () => {
        const inner = new ScriptedStack();
        let release = () => {};
        inner.hold = new Promise((resolve) => (release = resolve));
        const stack = new GuardedStack(inner, silent);
        assert.equal(await stack.settled(0), true, "nothing running");
        assert.equal(stack.runningSeconds, undefined);
        const running = stack.up();
        await assert.rejects(stack.up(), /already running/, "one at a time: our own live lock must never look stale");
        stack.close();
        await assert.rejects(stack.up(), StoppingError);
        assert.ok((stack.runningSeconds ?? -1) >= 0);
        assert.equal(await stack.settled(20), false, "still running at the deadline");
        setTimeout(release, 20);
        assert.equal(await stack.settled(5000), true);
        await running;
        assert.equal(stack.runningSeconds, undefined);
        assert.equal(inner.ups, 1);
    });

    it("hides nothing the service asks the inner stack for (existingWorkerSlots); without it, the deployed config's slots", async () => {
        const inner = Object.assign(new ScriptedStack(), { existingWorkerSlots: async () => [0, 3] });
        assert.deepEqual(await new GuardedStack(inner, silent).existingWorkerSlots(), [0, 3]);
        assert.deepEqual(await new GuardedStack(new ScriptedStack(), silent).existingWorkerSlots(), [], "nothing deployed");
    });

    it("end to end with the update loop and the Automation API driver: our stale lock is cancelled once, the retry succeeds", async () => {
        fs.writeFileSync(marker, "{}");
        const calls: string[] = [];
        const failures = [OURS];
        const api: AutomationStackApi = {
            name: "dev",
            getAllConfig: async (): Promise<ConfigMap> => ({}),
            setAllConfig: async () => undefined,
            history: async (): Promise<UpdateSummary[]> => [],
            exportStack: async () => ({ version: 3, deployment: {} }),
            up: async (): Promise<UpResult> => {
                calls.push("up");
                const failure = failures.shift();
                if (failure) throw failure;
                return { stdout: "", stderr: "", summary: { resourceChanges: {} }, outputs: {} } as unknown as UpResult;
            },
            cancel: async () => void calls.push("cancel"),
        };
        const automation = new AutomationStack(api, {}, silent);
        const stack = new GuardedStack(automation, silent, { marker, host: OWN_HOST, cancel: () => automation.cancel() });
        const loop = new UpdateLoop(stack, silent, { sleep: async () => undefined });
        loop.request();
        await loop.idle();
        assert.deepEqual(calls, ["up", "cancel", "up"], "the lock error went to the loop, which retried");
        assert.ok(!fs.existsSync(marker));
    });
});
