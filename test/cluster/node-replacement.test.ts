import { strict as assert } from "assert";
import { diffEvaluations, EvaluationDiff } from "../../render/diff";
import { Evaluation } from "../../render/evaluation";
import { byName, evaluateDev } from "../support/program";
import { changeOf, dependencyPath, ReplacingCloud, replacedVms, updatedInPlaceVms, waitsFor } from "../support/replacement-plan";

/**
 * Safe node replacement as `render --diff` shows it (issue 13, part 5): a change of the nodes'
 * template never re-creates the cluster, reaches every node only through its roll (lease,
 * drain), and re-runs each replaced VM's membership and bring-up through its new instanceId;
 * control-plane VMs go one after the other. The runtime side (the lease taken by one node at a
 * time, a replaced cp-0 joining) is in node-replacement-lab.test.ts and roll-lease.test.ts.
 */

const BASE = { controlPlaneCount: "3" } as const;
const CONTROL_PLANES = [0, 1, 2];

/** Kubernetes nodes' VMs (the HAProxy VM is no node: it has no roll and joins nothing). */
const isNodeVm = (name: string) => /^[a-z]+-\d+-vm$/.test(name);
const nodeOf = (vm: string) => vm.replace(/-vm$/, "");
/** The command re-run on a node's new VM: a control plane's bring-up (and membership), a worker's membership. */
const rejoinCommands = (node: string) => (node.startsWith("cp-") ? [`${node}-bring-up`, `${node}-membership`] : [`${node}-membership`]);

interface Change {
    readonly label: string;
    readonly config: Record<string, string>;
}

describe("safe node replacement: what a template change would do (render --diff, 3 control planes)", function () {
    this.timeout(180_000);
    // One cloud for every evaluation, so unchanged resources keep their mock outputs and only
    // replaced VMs get new instanceIds.
    const cloud = new ReplacingCloud();
    let base: Evaluation;
    const evaluated = new Map<string, { readonly after: Evaluation; readonly diff: EvaluationDiff }>();
    const plan = async (change: Change) => {
        const known = evaluated.get(change.label);
        if (known) return known;
        const after = await evaluateDev({ ...BASE, ...change.config }, cloud);
        const result = { after, diff: diffEvaluations(base, after) };
        evaluated.set(change.label, result);
        return result;
    };

    before(async () => {
        base = await evaluateDev(BASE, cloud);
        // The changed config is compared with this one as deployed, as `render --diff` does (the
        // program reads its deployed release back, where the mock cloud supports it).
        if ("deployedOutputs" in cloud) Object.assign(cloud, { deployedOutputs: base.stackOutputs });
    });

    const replacingChanges: Change[] = [
        { label: "nodeImage", config: { nodeImage: "ubuntu-os-cloud/ubuntu-2404-lts-amd64-v20250610" } },
        { label: "nodeDiskSizeGb", config: { nodeDiskSizeGb: "80" } },
    ];

    for (const change of replacingChanges) {
        describe(`${change.label} changed`, () => {
            it("replaces every node VM, and cluster-init is neither replaced nor re-run (at most its no-op update)", async () => {
                const { after, diff } = await plan(change);
                const replaced = replacedVms(diff).filter(isNodeVm);
                const nodeVms = after.resources
                    .map((resource) => resource.name)
                    .filter(isNodeVm)
                    .sort();
                assert.deepEqual(replaced, nodeVms);
                assert.deepEqual(diff.created, []);
                assert.deepEqual(diff.deleted, []);
                const init = changeOf(diff, "cluster-init");
                if (init) {
                    // pulumi-command replaces only on a triggers change; any other change runs `update`.
                    assert.ok(!init.paths.some((path) => path.startsWith("triggers")), init.paths.join(", "));
                    assert.equal(byName(after, "cluster-init").inputs.update, "true", "cluster-init's update must be a no-op");
                }
                assert.deepEqual(byName(after, "cluster-init").inputs.triggers, undefined, "nothing may ever re-trigger kubeadm init");
                console.log(
                    `      ${change.label}: replaced ${replaced.length} node VMs; cluster-init ${init ? `updated (no-op) at ${init.paths.join(", ")}` : "unchanged"}; other VMs replaced: ${
                        replacedVms(diff)
                            .filter((vm) => !isNodeVm(vm))
                            .join(", ") || "none"
                    }`,
                );
            });

            it("each replaced VM waits for its own roll, whose update (the script) changes, and is settled after it rejoins", async () => {
                const { after, diff } = await plan(change);
                for (const vm of replacedVms(diff).filter(isNodeVm)) {
                    const node = nodeOf(vm);
                    assert.ok(waitsFor(after, vm, `${node}-roll`), `${vm} must wait for ${node}-roll (lease, drain)`);
                    for (const bracket of [`${node}-roll`, `${node}-settled`]) {
                        assert.deepEqual(changeOf(diff, bracket)?.paths, ["update"], `${bracket}'s script must change so that it runs`);
                        assert.equal(byName(after, bracket).inputs.create, undefined, `${bracket} has no create: a new node holds no lease`);
                    }
                    for (const rejoin of rejoinCommands(node).filter((name) => after.resources.some((resource) => resource.name === name))) {
                        assert.ok(waitsFor(after, `${node}-settled`, rejoin), `${node}-settled must wait for ${rejoin}`);
                    }
                }
            });

            it("each replaced VM's bring-up and membership are re-run through their trigger, the new VM's instanceId", async () => {
                const { after, diff } = await plan(change);
                for (const vm of replacedVms(diff).filter(isNodeVm)) {
                    for (const command of rejoinCommands(nodeOf(vm)).filter((name) => after.resources.some((resource) => resource.name === name))) {
                        assert.ok(changeOf(diff, command)?.paths.includes("triggers[0]"), `${command} must be re-triggered by ${vm}'s new instanceId`);
                        assert.ok(byName(after, command).dependsOn.includes(vm), `${command} takes its trigger from ${vm}`);
                    }
                }
            });

            it("control-plane VMs are replaced one after the other: each waits for the previous one's bring-up", async () => {
                const { after } = await plan(change);
                const segments: string[] = [];
                for (const i of CONTROL_PLANES) {
                    const own = dependencyPath(after, `cp-${i}-bring-up`, `cp-${i}-roll`);
                    assert.ok(own, `cp-${i}-bring-up must wait for cp-${i}-roll`);
                    if (i > 0) {
                        const link = dependencyPath(after, `cp-${i}-vm`, `cp-${i - 1}-bring-up`);
                        assert.ok(link, `cp-${i}-vm must wait for cp-${i - 1}-bring-up: two control planes replaced at once can lose etcd's quorum`);
                        segments.push(`=(${[...link].reverse().join(" -> ")})=>`);
                    }
                    segments.push(`[${[...own].reverse().join(" -> ")}]`);
                }
                // No control plane waits for a later one (the order is a chain, not a cycle).
                for (const i of CONTROL_PLANES)
                    for (const j of CONTROL_PLANES.filter((j) => j > i)) assert.ok(!waitsFor(after, `cp-${i}-vm`, `cp-${j}-bring-up`));
                console.log(`      ${change.label}: ${segments.join(" ")}`);
            });
        });
    }

    describe("workerMachineType changed", () => {
        const change: Change = { label: "workerMachineType", config: { workerMachineType: "e2-standard-8" } };

        it("changes the workers in place (stop, resize, start; no replacement), each inside its changed roll", async () => {
            const { after, diff } = await plan(change);
            const workers = after.resources
                .map((resource) => resource.name)
                .filter((name) => /^worker-\d+-vm$/.test(name))
                .sort();
            assert.deepEqual(replacedVms(diff), [], "a machine type change replaces nothing");
            assert.deepEqual(updatedInPlaceVms(diff), workers);
            for (const vm of workers) {
                const node = nodeOf(vm);
                assert.deepEqual(changeOf(diff, vm)?.paths, ["machineType"]);
                assert.equal(byName(after, vm).inputs.allowStoppingForUpdate, true, `${vm} must be allowed to stop for the update`);
                assert.ok(waitsFor(after, vm, `${node}-roll`), `${vm} must wait for its roll (drained before it stops)`);
                assert.deepEqual(changeOf(diff, `${node}-roll`)?.paths, ["update"]);
                assert.deepEqual(changeOf(diff, `${node}-settled`)?.paths, ["update"]);
                // Its join config's instance-type label changes, so the membership's stdin does: an
                // update, which finds the node joined and does nothing. Never a replacement (a rejoin).
                const membership = changeOf(diff, `${node}-membership`);
                assert.ok(
                    !membership || membership.paths.every((path) => path === "stdin"),
                    `${node} keeps its VM, so it must not rejoin: ${membership?.paths.join(", ")}`,
                );
            }
            for (const i of CONTROL_PLANES) assert.equal(changeOf(diff, `cp-${i}-roll`), undefined, "control planes keep their machine type");
            assert.equal(changeOf(diff, "cluster-init"), undefined);
        });
    });

    describe("kubernetesVersion changed (only once upgrades roll through the nodes)", () => {
        const change: Change = { label: "kubernetesVersion", config: { kubernetesVersion: "1.32.5" } };

        it("never re-runs kubeadm init, and every node's roll changes", async function () {
            let result: { readonly after: Evaluation; readonly diff: EvaluationDiff };
            try {
                result = await plan(change);
            } catch (error) {
                console.log(`      skipped: the program refuses the change (upgrades not wired yet): ${String(error).split("\n")[0]}`);
                this.skip();
                throw error; // not reached: skip() throws (TypeScript needs `result` assigned)
            }
            const rolls = result.after.resources.map((resource) => resource.name).filter((name) => /-roll$/.test(name));
            if (!rolls.some((roll) => changeOf(result.diff, roll))) {
                console.log("      skipped: no roll changes with the release yet (upgrades not wired yet)");
                this.skip();
            }
            const init = changeOf(result.diff, "cluster-init");
            assert.ok(!init || !init.paths.some((path) => path.startsWith("triggers")), "cluster-init must not be replaced");
            for (const roll of rolls) assert.deepEqual(changeOf(result.diff, roll)?.paths, ["update"], roll);
            assert.deepEqual(replacedVms(result.diff).filter(isNodeVm), [], "an upgrade is made in place");
        });
    });
});
