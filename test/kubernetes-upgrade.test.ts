import { strict as assert } from "assert";
import type { KubernetesRelease } from "../components/kubernetes-release";
import { isKubernetesUpgrade, kubernetesUpgradePlan, kubernetesUpgradeProblem } from "../config/kubernetes-upgrade";

const release = (text: string): KubernetesRelease => {
    const [, minor, patch] = text.split(".").map(Number);
    return { minor, patch };
};

describe("kubernetes upgrade rule", () => {
    describe("kubernetesUpgradeProblem", () => {
        const allowed: [from: string | undefined, to: string, why: string][] = [
            ["1.32.4", "1.32.4", "the same release"],
            ["1.32.4", "1.32.5", "the next patch"],
            ["1.32.4", "1.32.9", "a later patch, skipping patches"],
            ["1.32.4", "1.33.0", "the next minor's first patch"],
            ["1.32.4", "1.33.7", "the next minor, any patch"],
            [undefined, "1.35.0", "nothing deployed yet"],
        ];
        for (const [from, to, why] of allowed) {
            it(`allows ${from ?? "(none)"} -> ${to}: ${why}`, () => {
                assert.equal(kubernetesUpgradeProblem(from === undefined ? undefined : release(from), release(to)), undefined);
            });
        }

        const refused: [from: string, to: string, message: string][] = [
            ["1.32.4", "1.34.0", "kubernetesVersion 1.34.0 skips 1.33: kubeadm upgrades one minor at a time; upgrade to 1.33.x first (the cluster runs 1.32.4)"],
            ["1.32.4", "1.35.2", "kubernetesVersion 1.35.2 skips 1.33, 1.34: kubeadm upgrades one minor at a time; upgrade to 1.33.x first (the cluster runs 1.32.4)"],
            ["1.32.4", "1.32.3", "kubernetesVersion 1.32.3 is older than 1.32.4, which the cluster runs: kubeadm cannot downgrade a cluster; keep 1.32.4, or upgrade to a later 1.32 patch or to 1.33.x"],
            ["1.32.4", "1.31.9", "kubernetesVersion 1.31.9 is older than 1.32.4, which the cluster runs: kubeadm cannot downgrade a cluster; keep 1.32.4, or upgrade to a later 1.32 patch or to 1.33.x"],
            ["1.33.0", "1.32.9", "kubernetesVersion 1.32.9 is older than 1.33.0, which the cluster runs: kubeadm cannot downgrade a cluster; keep 1.33.0, or upgrade to a later 1.33 patch or to 1.34.x"],
        ];
        for (const [from, to, message] of refused) {
            it(`refuses ${from} -> ${to}, naming both versions and the allowed next step`, () => {
                assert.equal(kubernetesUpgradeProblem(release(from), release(to)), message);
            });
        }
    });

    describe("isKubernetesUpgrade", () => {
        it("is an upgrade only when a deployed release differs", () => {
            assert.equal(isKubernetesUpgrade(undefined, release("1.32.4")), false);
            assert.equal(isKubernetesUpgrade(release("1.32.4"), release("1.32.4")), false);
            assert.equal(isKubernetesUpgrade(release("1.32.4"), release("1.32.5")), true);
            assert.equal(isKubernetesUpgrade(release("1.32.4"), release("1.33.4")), true);
        });
    });

    describe("kubernetesUpgradePlan", () => {
        const base = {
            deployed: release("1.32.4"),
            wanted: release("1.33.1"),
            controlPlanes: ["cp-0", "cp-1", "cp-2"],
            workers: ["w-1", "w-2", "w-3", "w-4", "w-5"],
            workerBatchSize: 2,
        };

        it("upgrades the first control plane, then the others one at a time, then workers in batches", () => {
            assert.deepEqual(kubernetesUpgradePlan(base), [
                { kind: "first-control-plane", node: "cp-0" },
                { kind: "control-plane", node: "cp-1" },
                { kind: "control-plane", node: "cp-2" },
                { kind: "workers", batch: 1, nodes: ["w-1", "w-2"] },
                { kind: "workers", batch: 2, nodes: ["w-3", "w-4"] },
                { kind: "workers", batch: 3, nodes: ["w-5"] },
            ]);
        });

        it("has no worker steps without workers (scaled to zero), and one batch when the batch holds them all", () => {
            assert.deepEqual(kubernetesUpgradePlan({ ...base, controlPlanes: ["cp-0"], workers: [] }), [{ kind: "first-control-plane", node: "cp-0" }]);
            assert.deepEqual(kubernetesUpgradePlan({ ...base, workerBatchSize: 10 }).slice(3), [{ kind: "workers", batch: 1, nodes: base.workers }]);
        });

        it("is empty when nothing changes or nothing is deployed yet", () => {
            assert.deepEqual(kubernetesUpgradePlan({ ...base, wanted: base.deployed }), []);
            assert.deepEqual(kubernetesUpgradePlan({ ...base, deployed: undefined }), []);
        });

        const errors: [string, Partial<typeof base>, RegExp][] = [
            ["a skipped minor", { wanted: release("1.34.0") }, /kubernetesVersion 1\.34\.0 skips 1\.33: /],
            ["a downgrade", { wanted: release("1.32.3") }, /kubernetesVersion 1\.32\.3 is older than 1\.32\.4/],
            ["a zero batch size", { workerBatchSize: 0 }, /workerBatchSize must be a whole number, 1 or more, got 0/],
            ["a fractional batch size", { workerBatchSize: 1.5 }, /workerBatchSize .* got 1\.5/],
            ["a node listed twice", { workers: ["w-1", "cp-1"] }, /node cp-1 is listed twice/],
            ["no control plane", { controlPlanes: [] }, /needs the first control plane/],
        ];
        for (const [what, change, message] of errors) {
            it(`throws for ${what}`, () => assert.throws(() => kubernetesUpgradePlan({ ...base, ...change }), message));
        }
    });
});
