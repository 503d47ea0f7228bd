import { strict as assert } from "assert";
import { ConfigMap, Deployment, UpdateSummary, UpOptions, UpResult } from "@pulumi/pulumi/automation";
import pino from "pino";
import { AutomationStack, AutomationStackApi, scaleTargets } from "../../scaler/automation-stack";
import { deployedScale, isConcurrentUpdate } from "../../scaler/stack-port";
import { UpdateLoop } from "../../scaler/update-loop";

const summary = (kind: UpdateSummary["kind"], result: UpdateSummary["result"], workerCount: string): UpdateSummary =>
    ({ kind, result, config: { "boutique-platform:workerCount": { value: workerCount, secret: false } } }) as unknown as UpdateSummary;

/** The Automation API's Stack, as far as the scaler uses it: recorded calls, scripted answers. */
class FakeStack implements AutomationStackApi {
    readonly name = "dev";
    config: ConfigMap = { "boutique-platform:workerCount": { value: "3" } };
    historyAnswer: UpdateSummary[] = [];
    ups: UpOptions[] = [];
    failures: Error[] = [];

    async getAllConfig(): Promise<ConfigMap> {
        return this.config;
    }
    async setAllConfig(config: ConfigMap): Promise<void> {
        this.config = { ...this.config, ...config };
    }
    /** Newest first, `pageSize` per 1-based `page`, as the CLI pages it. */
    async history(pageSize = Infinity, page = 1): Promise<UpdateSummary[]> {
        return this.historyAnswer.slice((page - 1) * pageSize, page * pageSize);
    }
    async cancel(): Promise<void> {}
    deployment: unknown = {};
    async exportStack(): Promise<Deployment> {
        return { version: 3, deployment: this.deployment };
    }
    async up(options?: UpOptions): Promise<UpResult> {
        this.ups.push(options ?? {});
        const failure = this.failures.shift();
        if (failure) throw failure;
        return { stdout: "", stderr: "", summary: { resourceChanges: { update: 1 } }, outputs: {} } as unknown as UpResult;
    }
}

const silent = pino({ level: "silent" });

describe("the Automation API driver (against a fake Stack)", () => {
    it("desired config = Pulumi.yaml defaults overlaid by the stack's; writes go to the stack as plain values", async () => {
        const fake = new FakeStack();
        const stack = new AutomationStack(fake, { "boutique-platform:workerCount": "1", "boutique-platform:minWorkers": "2" }, silent);
        assert.deepEqual(await stack.readConfig(), { "boutique-platform:workerCount": "3", "boutique-platform:minWorkers": "2" });
        await stack.writeConfig({ "boutique-platform:workerCount": "4", "boutique-platform:retiredWorkerSlots": "[1]" });
        assert.deepEqual(fake.config["boutique-platform:retiredWorkerSlots"], { value: "[1]" });
    });

    it("deployed config = the newest successful update's (previews and failures skipped); nothing deployed yet = no workers", async () => {
        const fake = new FakeStack();
        const stack = new AutomationStack(fake, {}, silent);
        assert.deepEqual(deployedScale(await stack.readDeployed()), { count: 0, retiredSlots: [] });
        fake.historyAnswer = [
            summary("preview", "succeeded", "9"),
            summary("update", "failed", "8"),
            summary("update", "succeeded", "4"),
            summary("update", "succeeded", "3"),
        ];
        assert.equal((await stack.readDeployed())["boutique-platform:workerCount"], "4");
        // Retried failures push the last success past a page; declared defaults fill what it did not set.
        fake.historyAnswer = [...Array.from({ length: 45 }, () => summary("update", "failed", "9")), summary("update", "succeeded", "5")];
        const withDefaults = new AutomationStack(fake, { "boutique-platform:lokiNodeCount": "0" }, silent);
        assert.deepEqual(await withDefaults.readDeployed(), { "boutique-platform:lokiNodeCount": "0", "boutique-platform:workerCount": "5" });
        fake.historyAnswer = Array.from({ length: 40 }, () => summary("update", "failed", "9"));
        assert.deepEqual(await withDefaults.readDeployed(), {}, "failures only: nothing deployed");
    });

    it("existing worker slots come from the state's export (a failed update's VMs included), not from the last successful config", async () => {
        const fake = new FakeStack();
        const vm = (slot: number) => ({
            urn: `urn:pulumi:dev::boutique-platform::boutique:cluster:WorkerPool$boutique:cluster:WorkerNode$gcp:compute/instance:Instance::worker-${slot}-vm`,
        });
        fake.deployment = { resources: [vm(0), vm(1), vm(4)] };
        fake.historyAnswer = [summary("update", "failed", "5"), summary("update", "succeeded", "2")];
        const stack = new AutomationStack(fake, {}, silent);
        assert.deepEqual(await stack.existingWorkerSlots(), [0, 1, 4]);
        assert.equal((await stack.readDeployed())["boutique-platform:workerCount"], "2");
    });

    it("a scale update targets the worker pool and HAProxy's ingress config, without their dependents", async () => {
        const fake = new FakeStack();
        await new AutomationStack(fake, {}, silent).up();
        assert.deepEqual(fake.ups[0].target, scaleTargets("dev"));
        // Nothing outside the targets depends on them (test/render/scale-targets.test.ts): dependents would only drag the platform in.
        assert.equal(fake.ups[0].targetDependents, undefined);
        assert.equal(fake.ups[0].policyPacks, undefined);
        await new AutomationStack(fake, {}, silent, ["/app/policy"]).up();
        assert.deepEqual(fake.ups[1].policyPacks, ["/app/policy"], "a scale update runs the guardrails CI runs");
        await new AutomationStack(fake, {}, silent).up({ slots: [3, 1] });
        assert.deepEqual(
            fake.ups[2].target,
            [
                "urn:pulumi:dev::boutique-platform::boutique:cluster:WorkerPool$boutique:cluster:WorkerNode::worker-1",
                "urn:pulumi:dev::boutique-platform::boutique:cluster:WorkerPool$boutique:cluster:WorkerNode$**::worker-1-*",
                "urn:pulumi:dev::boutique-platform::boutique:cluster:WorkerPool$boutique:cluster:WorkerNode::worker-3",
                "urn:pulumi:dev::boutique-platform::boutique:cluster:WorkerPool$boutique:cluster:WorkerNode$**::worker-3-*",
                "urn:pulumi:dev::boutique-platform::boutique:cluster:HaproxyEntryPoint$command:remote:Command::haproxy-config",
            ],
            "the scaler's plan: only the workers it changes",
        );
        assert.deepEqual(scaleTargets("dev"), [
            "urn:pulumi:dev::boutique-platform::boutique:cluster:WorkerPool::workers",
            "urn:pulumi:dev::boutique-platform::boutique:cluster:WorkerPool$**",
            "urn:pulumi:dev::boutique-platform::boutique:cluster:HaproxyEntryPoint$command:remote:Command::haproxy-config",
        ]);
    });

    it("a ConcurrentUpdateError or a failure is retried with doubling backoff up to its cap, never given up on", async () => {
        const fake = new FakeStack();
        const concurrent = Object.assign(new Error("[409] Conflict: Another update is currently in progress."), { name: "ConcurrentUpdateError" });
        const failed = new Error("error: update failed");
        fake.failures = [concurrent, concurrent, failed, concurrent];
        assert.ok(isConcurrentUpdate(concurrent));
        assert.ok(!isConcurrentUpdate(failed));
        const waits: number[] = [];
        const loop = new UpdateLoop(new AutomationStack(fake, {}, silent), silent, {
            backoffMs: 5,
            maxBackoffMs: 20,
            sleep: async (ms) => void waits.push(ms),
        });
        const outcomes: string[] = [];
        loop.onUpdate((_, outcome) => outcomes.push(outcome));
        loop.request();
        await loop.idle();
        assert.deepEqual(outcomes, ["concurrent", "concurrent", "failed", "concurrent", "succeeded"]);
        assert.deepEqual(waits, [5, 10, 20, 20]);
        assert.equal(fake.ups.length, 5);
    });
});
