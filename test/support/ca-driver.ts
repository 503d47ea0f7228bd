import { status } from "@grpc/grpc-js";
import { poolState } from "../../scaler/stack-port";
import { GroupInstance, providerIdOf } from "../../scaler/node-group";
import { RequestTimesInMemory } from "../../scaler/request-times";
import { attempt, ScalerProcess, settle, SimulatedStack, slotsOf, startScaler } from "./ca-model";

/**
 * The Cluster Autoscaler's loop as 1.32 drives an externalgrpc provider (kubernetes/autoscaler at
 * cluster-autoscaler-1.32.1: core/static_autoscaler.go RunOnce, clusterstate/clusterstate.go,
 * core/scaledown/actuation), reduced to what it asks of the provider, every 10 s: Refresh,
 * NodeGroups, NodeGroupForNode for each node, TargetSize, Nodes, GetOptions; then, by chance, a
 * scale-up, a scale-down of a node (repeated after 5 min while the node is still there), a
 * DecreaseTargetSize, DeleteNodes of instances created with an error and of unregistered ones
 * past the provision time, and calls whose 5 s deadline passed while they waited. Meanwhile the
 * stack's updates end (succeed, fail part way, meet another update's lock), and the scaler is
 * killed and restarted. After each step the invariants are checked; a broken one is a violation.
 */

export interface ModelOptions {
    readonly seed: number;
    readonly steps: number;
    /** Update durations in seconds: drawn uniformly from this range. */
    readonly updateSeconds: readonly [number, number];
    /** Replaces the scaler's mutations, to show the model catches a broken rule. */
    readonly sabotage?: (process: ScalerProcess) => void;
    /** Each restarted scaler starts without its predecessor's request times (a broken rule, too). */
    readonly forgetRequestTimes?: boolean;
}

export interface ModelResult {
    readonly steps: number;
    readonly calls: number;
    readonly violations: readonly string[];
    /** The longest time a worker that joined was reported Creating, over its budget at the request. */
    readonly worstCreatingRatio: number;
    readonly joined: number;
    readonly restarts: number;
    readonly updates: number;
}

type Random = () => number;

const WORKERS = "workers";
const SCAN_MS = 10_000;
const REDELETE_MS = 5 * 60_000;

export async function runModel(initial: Readonly<Record<string, string>>, random: Random, options: ModelOptions): Promise<ModelResult> {
    let clock = 0;
    const now = () => clock;
    const [low, high] = options.updateSeconds;
    const stack = new SimulatedStack(initial, now, () => 1000 * (low + random() * (high - low)));
    const spec = poolState(initial, {}).spec;
    const id = (slot: number) => providerIdOf(spec, "worker", slot);
    const requestTimes = new RequestTimesInMemory();
    let scaler = await startScaler(stack, now, requestTimes);
    options.sabotage?.(scaler);
    const violations: string[] = [];
    const violate = (step: number, what: string) => violations.length < 20 && violations.push(`step ${step} (t=${clock / 1000}s): ${what}`);
    let calls = 0;
    let restarts = 0;
    let expectedTarget = slotsOf(initial).length;
    // CA's own bookkeeping: when it asked for capacity (per slot it saw appear), what it deleted and when.
    const requestedAt = new Map<number, { at: number; budget: number }>();
    const deletedAt = new Map<number, number>();
    let worst = 0;
    let joined = 0;
    const budget = async () => {
        calls++;
        const { nodeGroupAutoscalingOptions } = scaler.handlers.NodeGroupGetOptions({
            id: WORKERS,
            defaults: { MaxNodeProvisionTime: { duration: String(15 * 60 * 1e9) } },
        });
        return Number(nodeGroupAutoscalingOptions.MaxNodeProvisionDuration?.seconds) * 1000;
    };
    const listing = (): GroupInstance[] => {
        calls++;
        return scaler.service.instances(WORKERS);
    };
    const rpc = async <T>(run: (expired: () => boolean) => T | Promise<T>, timedOut = false) => {
        calls++;
        const outcome = await attempt(() => run(() => timedOut));
        await settle();
        return outcome;
    };

    // CI's or a person's `up` of the whole stack holds its lock for 10-40 minutes now and then.
    let lockedUntil = 0;
    for (let step = 1; step <= options.steps; step++) {
        clock += SCAN_MS;
        if (clock >= lockedUntil && random() < 0.004) lockedUntil = clock + 60_000 * (10 + 30 * random());
        // The stack: the CLI reads the config a few seconds into an attempt; attempts end when their time is up.
        let failedNow = false;
        if (stack.attempt && clock < lockedUntil) {
            stack.end("concurrent", random);
        } else {
            if (stack.attempt && clock - stack.attempt.startedAt >= 5_000 + random() * 20_000) stack.readConfigNow();
            if (stack.attempt && clock >= stack.attempt.endsAt) {
                failedNow = random() < 0.12;
                stack.end(failedNow ? "failed" : "succeeded", random);
            }
        }
        await settle();
        if (random() < 0.01) {
            // Killed (a node drain, an eviction): the attempt in flight is lost part way; a new process starts on the same stack.
            stack.kill(random);
            try {
                scaler = await startScaler(stack, now, options.forgetRequestTimes ? new RequestTimesInMemory() : requestTimes);
                options.sabotage?.(scaler);
                restarts++;
            } catch (error) {
                violate(step, `the scaler did not restart: ${String(error)}`);
                break;
            }
            await settle();
        }

        // The loop's reads.
        calls += 2; // Refresh, NodeGroups
        scaler.handlers.Refresh();
        scaler.handlers.NodeGroups();
        const before = listing();
        const limitMs = await budget();
        for (const slot of stack.vms) {
            calls++;
            const group = scaler.handlers.NodeGroupForNode({ node: { providerID: id(slot), name: `n-${slot}` } }).nodeGroup.id;
            if (group !== WORKERS) violate(step, `VM ${slot} exists but NodeGroupForNode says "${group}"`);
        }
        check(step, before, limitMs);
        // A failed update reaches the autoscaler at once: every worker it did not create carries an error.
        if (failedNow)
            for (const instance of before)
                if (instance.state === "instanceCreating" && !instance.error)
                    violate(step, `worker ${instance.slot} is Creating without an error after its update failed`);

        // The loop's decisions.
        const draw = random();
        const expired = random() < 0.1; // a call whose 5 s deadline passed while it waited its turn
        const creatingWithError = before.filter((instance) => instance.state === "instanceCreating" && instance.error);
        const running = before.filter((instance) => instance.state === "instanceRunning");
        const deleting = before.filter((instance) => instance.state === "instanceDeleting");
        if (creatingWithError.length > 0 && !expired) {
            // clusterstate: instances created with errors are deleted every loop until they are gone.
            const outcome = await rpc((isExpired) =>
                scaler.handlers.NodeGroupDeleteNodes({ id: WORKERS, nodes: creatingWithError.map((i) => ({ providerID: i.id, name: i.id })) }, isExpired),
            );
            if (!outcome.ok && outcome.code !== status.FAILED_PRECONDITION) violate(step, `DeleteNodes of failed instances refused: ${outcome.message}`);
            if (outcome.ok) {
                expectedTarget -= creatingWithError.length;
                for (const instance of creatingWithError) deletedAt.set(instance.slot, clock);
            }
        } else if (draw < 0.3) {
            const delta = 1 + Math.floor(random() * 3);
            const outcome = await rpc((isExpired) => scaler.handlers.NodeGroupIncreaseSize({ id: WORKERS, delta }, isExpired), expired);
            if (outcome.ok) {
                if (expired) violate(step, "an IncreaseSize past its deadline was applied");
                expectedTarget += delta;
                const limit = await budget();
                for (const instance of listing())
                    if (instance.state === "instanceCreating" && !requestedAt.has(instance.slot)) requestedAt.set(instance.slot, { at: clock, budget: limit });
            }
        } else if (draw < 0.55 && running.length > 0) {
            // Scale-down: the emptiest node, usually the newest.
            const victim = random() < 0.7 ? running[running.length - 1] : running[Math.floor(random() * running.length)];
            const outcome = await rpc(
                (isExpired) => scaler.handlers.NodeGroupDeleteNodes({ id: WORKERS, nodes: [{ providerID: victim.id, name: victim.id }] }, isExpired),
                expired,
            );
            if (outcome.ok && expired) violate(step, "a DeleteNodes past its deadline was applied");
            if (outcome.ok && !expired) {
                expectedTarget -= 1;
                deletedAt.set(victim.slot, clock);
            }
        } else if (draw < 0.65 && deleting.length > 0) {
            // After 5 min a tainted node still there is deleted again; an error would make CA untaint it.
            const again = deleting.find((instance) => clock - (deletedAt.get(instance.slot) ?? 0) >= REDELETE_MS) ?? deleting[0];
            const outcome = await rpc((isExpired) =>
                scaler.handlers.NodeGroupDeleteNodes({ id: WORKERS, nodes: [{ providerID: again.id, name: again.id }] }, isExpired),
            );
            if (!outcome.ok) violate(step, `a repeated DeleteNodes of ${again.id} (Deleting) was refused: ${outcome.message}`);
        } else if (draw < 0.72) {
            const outcome = await rpc((isExpired) => scaler.handlers.NodeGroupDecreaseTargetSize({ id: WORKERS, delta: -1 }, isExpired), expired);
            if (outcome.ok && !expired) expectedTarget -= 1;
            if (outcome.ok && expired) violate(step, "a DecreaseTargetSize past its deadline was applied");
        }

        const after = listing();
        check(step, after, limitMs);
        calls++;
        const target = scaler.handlers.NodeGroupTargetSize({ id: WORKERS }).targetSize;
        if (target !== expectedTarget) violate(step, `TargetSize ${target}, the autoscaler's own count ${expectedTarget}`);
        if (target !== after.filter((instance) => instance.state !== "instanceDeleting").length)
            violate(step, `TargetSize ${target} is not the Running + Creating instances`);
        try {
            poolState(stack.config, {});
        } catch (error) {
            violate(step, `the recorded config is one the program refuses: ${String(error)}`);
        }
    }
    return { steps: options.steps, calls, violations, worstCreatingRatio: worst, joined, restarts, updates: stack.ups };

    /** The invariants on one listing. */
    function check(step: number, instances: readonly GroupInstance[], limitMs: number): void {
        const listed = new Map(instances.map((instance) => [instance.slot, instance]));
        for (const instance of instances) if (instance.slot >= spec.max) violate(step, `instance ${instance.slot} is outside the pool 0..${spec.max - 1}`);
        for (const slot of stack.vms) {
            if (!listed.has(slot)) violate(step, `VM ${slot} exists but is not listed (the autoscaler cannot see it)`);
            if (slot >= spec.max) violate(step, `VM ${slot} is outside the pool`);
        }
        for (const [slot, at] of deletedAt) {
            const instance = listed.get(slot);
            if (!instance) deletedAt.delete(slot);
            else if (instance.state !== "instanceDeleting")
                violate(step, `worker ${slot}, deleted at t=${at / 1000}s, is listed ${instance.state} before it was gone`);
        }
        for (const [slot, request] of requestedAt) {
            const instance = listed.get(slot);
            if (!instance || instance.state === "instanceDeleting" || instance.error) {
                requestedAt.delete(slot);
            } else if (instance.state === "instanceRunning") {
                worst = Math.max(worst, (clock - request.at) / request.budget);
                joined++;
                requestedAt.delete(slot);
            } else if (clock - request.at >= Math.min(request.budget, limitMs)) {
                violate(
                    step,
                    `worker ${slot} is still reported Creating ${(clock - request.at) / 1000}s after its request, past its budget ${request.budget / 1000}s`,
                );
            }
        }
    }
}
