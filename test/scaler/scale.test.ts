import { strict as assert } from "assert";
import { Evaluation } from "../../render/evaluation";
import { scaleTargets } from "../../scaler/automation-stack";
import { diffDev, evaluateDev, longestCommandChain, ofType } from "../support/program";

/** Each resource's URN as Pulumi builds it: its parents' types, then its own, joined by "$". */
function urns(evaluation: Evaluation): Map<string, string> {
    const byName = new Map(evaluation.resources.map((resource) => [resource.name, resource]));
    const typeChain = (name: string): string => {
        const resource = byName.get(name);
        if (!resource) throw new Error(`no resource ${name}`);
        const parent = resource.parent === undefined ? undefined : byName.get(resource.parent);
        return parent && parent.type !== "pulumi:pulumi:Stack" ? `${typeChain(parent.name)}$${resource.type}` : resource.type;
    };
    return new Map(
        evaluation.resources
            .filter((resource) => resource.type !== "pulumi:pulumi:Stack")
            .map((resource) => [resource.name, `urn:pulumi:dev::boutique-platform::${typeChain(resource.name)}::${resource.name}`]),
    );
}

/** Whether `urn` is one of a scale update's --target patterns ("**" matches anything). */
const targeted = (urn: string) =>
    scaleTargets("dev").some((target) =>
        new RegExp(
            `^${target
                .split("**")
                .map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"))
                .join(".*")}$`,
        ).test(urn),
    );

const WORKER_TYPES = ["boutique:cluster:WorkerNode", "gcp:compute/instance:Instance", ...Array<string>(4).fill("command:remote:Command")].sort();

function names(refs: readonly { readonly name: string }[]): string[] {
    return refs.map((ref) => ref.name).sort();
}

describe("scaling by config (the render --diff code path)", function () {
    this.timeout(120_000);

    it("workerCount 3 -> 4 creates exactly the new worker's resources and changes only the HAProxy config", async () => {
        const diff = await diffDev({ workerCount: "3" }, { workerCount: "4" });
        assert.deepEqual(names(diff.created), ["worker-3", "worker-3-membership", "worker-3-roll", "worker-3-settled", "worker-3-upgrade", "worker-3-vm"]);
        assert.deepEqual(diff.created.map((ref) => ref.type).sort(), WORKER_TYPES);
        assert.equal(diff.created.length, 6);
        assert.deepEqual(diff.deleted, []);
        assert.deepEqual(diff.changed, [{ type: "command:remote:Command", name: "haproxy-config", paths: ["stdin"] }]);
    });

    it("workerCount 4 -> 3 deletes only the highest slot's resources", async () => {
        const diff = await diffDev({ workerCount: "4" }, { workerCount: "3" });
        assert.deepEqual(names(diff.deleted), ["worker-3", "worker-3-membership", "worker-3-roll", "worker-3-settled", "worker-3-upgrade", "worker-3-vm"]);
        assert.deepEqual(diff.created, []);
        assert.deepEqual(diff.changed, [{ type: "command:remote:Command", name: "haproxy-config", paths: ["stdin"] }]);
    });

    it("removing one specific worker (retire slot 1, count 4 -> 3) deletes only that worker", async () => {
        const diff = await diffDev({ workerCount: "4" }, { workerCount: "3", retiredWorkerSlots: "[1]" });
        assert.deepEqual(names(diff.deleted), ["worker-1", "worker-1-membership", "worker-1-roll", "worker-1-settled", "worker-1-upgrade", "worker-1-vm"]);
        assert.deepEqual(diff.created, []);
        assert.deepEqual(names(diff.changed), ["haproxy-config"]);
    });

    it("retiredWorkerSlots [1] with workerCount 3 gives slots 0, 2, 3", async () => {
        const evaluation = await evaluateDev({ workerCount: "3", retiredWorkerSlots: "[1]" });
        assert.deepEqual(names(ofType(evaluation, "boutique:cluster:WorkerNode")), ["worker-0", "worker-2", "worker-3"]);
        const vms = ofType(evaluation, "gcp:compute/instance:Instance").filter((vm) => vm.name.startsWith("worker-"));
        assert.deepEqual(
            vms.map((vm) => [vm.inputs.name, (vm.inputs.networkInterfaces as { networkIp: string }[])[0].networkIp]),
            [
                ["boutique-dev-worker-0", "10.10.0.32"],
                ["boutique-dev-worker-2", "10.10.0.34"],
                ["boutique-dev-worker-3", "10.10.0.35"],
            ],
        );
        assert.deepEqual((evaluation.stackOutputs.nodeNames as { workers: string[] }).workers, [
            "boutique-dev-worker-0",
            "boutique-dev-worker-2",
            "boutique-dev-worker-3",
        ]);
    });

    it("the same config twice changes nothing (idempotent)", async () => {
        const diff = await diffDev({}, {});
        assert.deepEqual(diff, { created: [], deleted: [], changed: [] });
    });

    it("a change outside the pool is a change elsewhere (the diff can see it)", async () => {
        const diff = await diffDev({}, { drainTimeoutSeconds: "600" });
        const memberships = diff.changed.filter((change) => change.name.endsWith("-membership"));
        assert.deepEqual(names(memberships), ["worker-0-membership", "worker-1-membership", "worker-2-membership"]);
        assert.ok(memberships.every((change) => change.paths.includes("delete")));
        // The rolls drain with the new timeout too (their text changes; they run only when a node's template does).
        assert.deepEqual(names(diff.changed.filter((change) => change.name.endsWith("-roll"))), [
            "cp-0-roll",
            "worker-0-roll",
            "worker-1-roll",
            "worker-2-roll",
        ]);
        assert.deepEqual([diff.created, diff.deleted], [[], []]);
    });

    it("the bring-up critical path is the same for 3 and for 50 workers (joins run in parallel)", async () => {
        const small = longestCommandChain(await evaluateDev({ workerCount: "3" }));
        const large = longestCommandChain(await evaluateDev({ workerCount: "50", maxWorkers: "50" }));
        console.log(`      critical path, 3 workers:  ${small.join(" -> ")}`);
        console.log(`      critical path, 50 workers: ${large.join(" -> ")}`);
        assert.equal(large.length, small.length);
        // Rolls, upgrades and settled steps have no create: on a new cluster they cost nothing. Workers'
        // rolls wait for the control plane's, so their VMs are created once it is up.
        assert.deepEqual(small, [
            "cp-0-roll",
            "cluster-init",
            "cp-0-bring-up",
            "cp-0-upgrade",
            "cp-0-settled",
            "worker-0-roll",
            "worker-0-membership",
            "worker-0-upgrade",
            "worker-0-settled",
        ]);
    });

    it("a scale update's --target patterns name the program's own URNs and cover everything a scale changes, and nothing else", async () => {
        const cases: [Record<string, string>, Record<string, string>][] = [
            [{ workerCount: "3" }, { workerCount: "4" }],
            [{ workerCount: "4" }, { workerCount: "3" }],
            [{ workerCount: "4" }, { workerCount: "3", retiredWorkerSlots: "[1]" }],
        ];
        for (const [before, after] of cases) {
            const known = new Map([...urns(await evaluateDev(before)), ...urns(await evaluateDev({ ...before, ...after }))]);
            const diff = await diffDev(before, after);
            for (const ref of [...diff.created, ...diff.deleted, ...diff.changed])
                assert.ok(targeted(known.get(ref.name) ?? ""), `${ref.name} (${known.get(ref.name)}) is not a scale target`);
        }
        const program = urns(await evaluateDev());
        for (const target of scaleTargets("dev").filter((pattern) => !pattern.includes("*")))
            assert.ok([...program.values()].includes(target), `${target} names no resource`);
        const beyond = [...program.entries()].filter(([, urn]) => targeted(urn)).map(([name]) => name);
        assert.deepEqual(
            beyond.filter((name) => name !== "haproxy-config" && name !== "workers" && !name.startsWith("worker-")),
            [],
            "only the pool and HAProxy's config",
        );
    });
});
