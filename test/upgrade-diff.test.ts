import { strict as assert } from "assert";
import { StackConfigError } from "../config";
import { diffEvaluations, EvaluationDiff } from "../render/diff";
import { MockCloud } from "../render/mock-cloud";
import { diffDev, evaluateDev } from "./support/program";

/**
 * Raising kubernetesVersion, as `render --diff kubernetesVersion=...` shows it (the stack deployed
 * the dev config's 1.32.4): the upgrade steps run in place, no VM is replaced, and the releases
 * kubeadm cannot reach are refused before any resource is declared.
 */

const names = (refs: readonly { readonly name: string }[]) => refs.map((ref) => ref.name).sort();
const isVm = (name: string) => name.endsWith("-vm");

function assertInPlaceUpgrade(diff: EvaluationDiff, workers: readonly number[]): void {
    assert.deepEqual([names(diff.created), names(diff.deleted)], [[], []], "an upgrade creates and deletes nothing");
    const vms = diff.changed.filter((change) => isVm(change.name));
    assert.ok(vms.length > 0);
    for (const vm of vms)
        assert.deepEqual(
            vm.paths,
            ["metadata.startup-script"],
            `${vm.name}: only its startup script (the release to prepare a new boot with) changes, in place`,
        );
    const changed = names(diff.changed);
    for (const step of [
        "cp-0-upgrade",
        "cp-0-roll",
        "cp-0-settled",
        ...workers.flatMap((slot) => [`worker-${slot}-roll`, `worker-${slot}-upgrade`, `worker-${slot}-settled`]),
    ]) {
        assert.ok(changed.includes(step), `${step} runs (its update names the new release)`);
    }
    // The one-time init and the joins do not run again.
    assert.deepEqual(diff.changed.find((change) => change.name === "cluster-init")?.paths, ["stdin"], "cluster-init's config changes, its update is a no-op");
    assert.ok(!changed.some((name) => /-(membership|bring-up)$/.test(name)), "no join or bring-up re-runs");
}

describe("in-place upgrades (render --diff kubernetesVersion)", function () {
    this.timeout(300_000);

    it("records the release it deploys, for the next update to be checked against", async () => {
        assert.equal((await evaluateDev()).stackOutputs.kubernetesVersion, "1.32.4");
    });

    it("a patch (1.32.4 -> 1.32.5) runs the upgrade steps and replaces no VM", async () => {
        const diff = await diffDev({}, { kubernetesVersion: "1.32.5" });
        assertInPlaceUpgrade(diff, [0, 1, 2]);
    });

    it("the next minor (1.32.4 -> 1.33.1): the same steps, in kubeadm's order, the workers after the control plane", async () => {
        const cloud = new MockCloud();
        const base = await evaluateDev({ controlPlaneCount: "3" }, cloud);
        cloud.deployedOutputs = base.stackOutputs;
        const upgraded = await evaluateDev({ controlPlaneCount: "3", kubernetesVersion: "1.33.1" }, cloud);
        assertInPlaceUpgrade(diffEvaluations(base, upgraded), [0, 1, 2]);

        const resource = (name: string) => {
            const found = upgraded.resources.find((candidate) => candidate.name === name);
            assert.ok(found, name);
            return found;
        };
        const script = (name: string) => String(resource(name).inputs.update);
        assert.match(script("cp-0-upgrade"), /kubeadm upgrade apply/);
        assert.match(script("cp-0-upgrade"), /readonly ETCD_BACKUP="\$ROOT\/usr\/local\/sbin\/boutique-etcd-backup"/);
        assert.match(script("cp-0-upgrade"), /run_logged "\$ETCD_BACKUP" pre-upgrade/, "an etcd snapshot before the control plane is touched");
        for (const cp of ["cp-1-upgrade", "cp-2-upgrade"]) assert.match(script(cp), /kubeadm upgrade node/);
        // One control plane after the other, each inside its own roll, the next roll after the previous one settled.
        assert.ok(resource("cp-1-upgrade").dependsOn.includes("cp-0-upgrade"));
        assert.ok(resource("cp-2-upgrade").dependsOn.includes("cp-1-upgrade"));
        assert.ok(resource("cp-1-roll").dependsOn.includes("cp-0-settled"));
        assert.ok(resource("cp-0-settled").dependsOn.includes("cp-0-upgrade"));
        // Workers: drained by their roll only after the control planes settled at v1.33.1, upgraded on the node, Ready with the new kubelet after.
        for (const slot of [0, 1, 2]) {
            assert.ok(resource(`worker-${slot}-roll`).dependsOn.includes("cp-2-settled"), "a worker's turn comes after the last control plane settled");
            assert.ok(resource(`worker-${slot}-upgrade`).dependsOn.includes(`worker-${slot}-membership`));
            assert.ok(resource(`worker-${slot}-settled`).dependsOn.includes(`worker-${slot}-upgrade`));
            assert.match(script(`worker-${slot}-settled`), /readonly KUBELET_RELEASE='v1\.33\.1'/);
        }
        for (const name of ["cp-0-upgrade", "worker-0-upgrade"]) assert.match(script(name), /kubeadm=1\.33\.1-\*/);
    });

    for (const [what, version, message] of [
        [
            "a skip of a minor (1.32.4 -> 1.34.0)",
            "1.34.0",
            /boutique-platform:kubernetesVersion = "1\.34\.0": skips 1\.33: kubeadm upgrades one minor at a time; upgrade to 1\.33\.x first \(the cluster runs 1\.32\.4\)/,
        ],
        [
            "a downgrade (1.32.4 -> 1.32.3)",
            "1.32.3",
            /boutique-platform:kubernetesVersion = "1\.32\.3": is older than 1\.32\.4, which the cluster runs: kubeadm cannot downgrade a cluster/,
        ],
        ["a minor downgrade (1.32.4 -> 1.31.9)", "1.31.9", /"1\.31\.9": is older than 1\.32\.4/],
    ] as const) {
        it(`refuses ${what} before any resource is declared, naming the key, the value and the way forward`, async () => {
            await assert.rejects(
                diffDev({}, { kubernetesVersion: version }),
                (error: unknown) => error instanceof StackConfigError && message.test(error.message),
            );
        });
    }

    it("the same release on a new stack is no upgrade: nothing to refuse, no step runs", async () => {
        const diff = await diffDev({}, {});
        assert.deepEqual(diff, { created: [], deleted: [], changed: [] });
    });
});
