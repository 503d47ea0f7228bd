import { strict as assert } from "assert";
import type { KubernetesRelease } from "../../config/kubernetes-release";
import { kubernetesUpgradeProblem } from "../../config/kubernetes-upgrade";

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
            [
                "1.32.4",
                "1.34.0",
                "kubernetesVersion 1.34.0 skips 1.33: kubeadm upgrades one minor at a time; upgrade to 1.33.x first (the cluster runs 1.32.4)",
            ],
            [
                "1.32.4",
                "1.35.2",
                "kubernetesVersion 1.35.2 skips 1.33, 1.34: kubeadm upgrades one minor at a time; upgrade to 1.33.x first (the cluster runs 1.32.4)",
            ],
            [
                "1.32.4",
                "1.32.3",
                "kubernetesVersion 1.32.3 is older than 1.32.4, which the cluster runs: kubeadm cannot downgrade a cluster; keep 1.32.4, or upgrade to a later 1.32 patch or to 1.33.x",
            ],
            [
                "1.32.4",
                "1.31.9",
                "kubernetesVersion 1.31.9 is older than 1.32.4, which the cluster runs: kubeadm cannot downgrade a cluster; keep 1.32.4, or upgrade to a later 1.32 patch or to 1.33.x",
            ],
            [
                "1.33.0",
                "1.32.9",
                "kubernetesVersion 1.32.9 is older than 1.33.0, which the cluster runs: kubeadm cannot downgrade a cluster; keep 1.33.0, or upgrade to a later 1.33 patch or to 1.34.x",
            ],
        ];
        for (const [from, to, message] of refused) {
            it(`refuses ${from} -> ${to}, naming both versions and the allowed next step`, () => {
                assert.equal(kubernetesUpgradeProblem(release(from), release(to)), message);
            });
        }
    });
});
