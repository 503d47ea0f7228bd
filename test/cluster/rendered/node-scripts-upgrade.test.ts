import { strict as assert } from "assert";
import * as fs from "fs";
import type { KubernetesRelease } from "../../../config/kubernetes-release";
import { renderUpgradeFirstControlPlaneScript } from "../../../components/cluster/rendered/node-scripts-upgrade";
import { UPGRADE_PATHS } from "../../../components/cluster/rendered/node-scripts-upgrade-shell";
import { callIndex, TOKEN } from "../../support/scripts-sandbox";
import {
    assertOrder,
    assertUpgraded,
    callAt,
    callsOf,
    changesIn,
    controlPlaneSetup as controlPlane,
    installs,
    release,
    sourceLine,
} from "../../support/upgrade-calls";
import { withFakeNode } from "../../support/upgrade-fakes";

const firstControlPlane = (to: KubernetesRelease) => renderUpgradeFirstControlPlaneScript({ nodeName: "boutique-cp-0", to, drainTimeoutSeconds: 120 });

describe("node scripts: in-place Kubernetes upgrade of the first control plane", () => {
    describe("upgrade-first-control-plane", () => {
        it("patch upgrade: snapshot before any apt or kubeadm call, kubeadm upgrade apply with the exact tag, exact pins, holds restored", () => {
            withFakeNode(controlPlane(), (node) => {
                const run = node.run(firstControlPlane(release(32, 5)));
                assert.equal(run.status, 0, run.stderr);
                const calls = callsOf(run.calls);
                const snapshot = callAt(calls, /^boutique-etcd-backup pre-upgrade$/);
                assert.ok(snapshot < callAt(calls, /^(apt-get|apt-mark|kubeadm|curl|gpg|systemctl)|^kubectl (cordon|drain)/), calls.join("\n"));
                assert.deepEqual(
                    calls.filter((call) => call.startsWith("kubeadm")),
                    ["kubeadm upgrade plan v1.32.5", "kubeadm upgrade apply v1.32.5 --yes"],
                );
                assert.deepEqual(installs(calls), [["kubeadm=1.32.5-*"], ["kubelet=1.32.5-*", "kubectl=1.32.5-*"]]);
                assertOrder(calls, /^apt-mark unhold kubeadm$/, /^apt-get install kubeadm=/, /^apt-mark hold kubeadm$/, /^kubeadm upgrade apply /);
                assertOrder(
                    calls,
                    /^kubectl cordon boutique-cp-0$/,
                    /^kubectl drain boutique-cp-0 /,
                    /^apt-mark unhold kubelet kubectl$/,
                    /^apt-get install kubelet=/,
                );
                assertOrder(
                    calls,
                    /^apt-get install kubelet=/,
                    /^systemctl daemon-reload$/,
                    /^systemctl restart kubelet$/,
                    /get node boutique-cp-0 -o jsonpath/,
                    /get pod kube-apiserver-boutique-cp-0 /,
                    /^kubectl uncordon boutique-cp-0$/,
                );
                assert.equal(changesIn(calls).at(-1), "kubectl uncordon boutique-cp-0");
                assert.equal(callIndex(calls, /^curl/), -1, "a patch keeps the apt source and its key");
                assert.equal(node.sandbox.read(UPGRADE_PATHS.aptSource), sourceLine(32));
                assert.equal(node.state("snapshots"), "pre-upgrade");
                assertUpgraded(node, "v1.32.5");
            });
        });

        it("minor upgrade: moves the apt source and its key to the new minor before apt looks for the packages", () => {
            withFakeNode(controlPlane(), (node) => {
                const run = node.run(firstControlPlane(release(33, 0)));
                assert.equal(run.status, 0, run.stderr);
                assertOrder(
                    run.calls,
                    /^boutique-etcd-backup/,
                    /^curl .* https:\/\/pkgs\.k8s\.io\/core:\/stable:\/v1\.33\/deb\/Release\.key$/,
                    /^gpg --batch --yes --dearmor /,
                    /^apt-get update$/,
                    /^apt-get install kubeadm=1\.33\.0-\*$/,
                );
                assert.equal(node.sandbox.read(UPGRADE_PATHS.aptSource), sourceLine(33));
                assert.equal(node.sandbox.read(UPGRADE_PATHS.aptKeyring), "key of https://pkgs.k8s.io/core:/stable:/v1.33/deb/Release.key\n");
                assert.deepEqual(installs(run.calls), [["kubeadm=1.33.0-*"], ["kubelet=1.33.0-*", "kubectl=1.33.0-*"]]);
                assert.notEqual(callIndex(callsOf(run.calls), /^kubeadm upgrade apply v1\.33\.0 --yes$/), -1);
                assertUpgraded(node, "v1.33.0");
            });
        });

        it("resumes after kubeadm upgrade apply failed (after recording the version): no second snapshot, apply again, then the kubelet", () => {
            withFakeNode(controlPlane(), (node) => {
                node.failAt("apply");
                const failed = node.run(firstControlPlane(release(32, 5)));
                assert.equal(failed.status, 1);
                assert.match(failed.stderr, /node boutique-cp-0: the upgrade to v1\.32\.5 stopped at step: kubeadm upgrade apply v1\.32\.5 \(exit 1\)/);
                assert.match(failed.stderr, /injected failure at apply; token <redacted-token>/, "the log's tail, redacted");
                assert.ok(!failed.stderr.includes(TOKEN));
                assert.equal(callIndex(callsOf(failed.calls), /^kubectl (cordon|drain)/), -1);
                assert.equal(node.state("cluster"), "v1.32.5", "kubeadm recorded the target before failing");
                assert.equal(node.sandbox.read(UPGRADE_PATHS.marker), "v1.32.5\n");

                node.clearFailures();
                const resumed = node.run(firstControlPlane(release(32, 5)));
                assert.equal(resumed.status, 0, resumed.stderr);
                assert.equal(callIndex(callsOf(resumed.calls), /boutique-etcd-backup/), -1);
                assert.deepEqual(installs(resumed.calls), [["kubelet=1.32.5-*", "kubectl=1.32.5-*"]], "kubeadm is not installed twice");
                assert.deepEqual(
                    changesIn(resumed.calls).filter((call) => call.startsWith("kubeadm")),
                    ["kubeadm upgrade plan v1.32.5", "kubeadm upgrade apply v1.32.5 --yes"],
                );
                assert.equal(node.state("applied"), "v1.32.5");
                assert.equal(node.state("snapshots"), "pre-upgrade");
                assertUpgraded(node, "v1.32.5");
            });
        });

        it("does nothing on a node and cluster already at the target: after its own upgrade, and from the start", () => {
            withFakeNode(controlPlane(), (node) => {
                assert.equal(node.run(firstControlPlane(release(33, 0))).status, 0);
                const again = node.run(firstControlPlane(release(33, 0)));
                assert.equal(again.status, 0, again.stderr);
                assert.deepEqual(changesIn(again.calls), []);
                assert.match(again.stderr, /the cluster and node boutique-cp-0 already run v1\.33\.0; nothing to do/);
            });
            withFakeNode(controlPlane({ cluster: "v1.32.5", packages: "1.32.5" }), (node) => {
                const run = node.run(firstControlPlane(release(32, 5)));
                assert.equal(run.status, 0, run.stderr);
                assert.deepEqual(changesIn(run.calls), []);
                assert.equal(node.state("snapshots"), undefined);
            });
        });

        it("stops before anything changes when the etcd snapshot fails, or its script is missing", () => {
            withFakeNode(controlPlane(), (node) => {
                node.failAt("snapshot");
                const run = node.run(firstControlPlane(release(33, 0)));
                assert.equal(run.status, 1);
                assert.deepEqual(changesIn(run.calls), ["boutique-etcd-backup pre-upgrade"]);
                assert.match(run.stderr, /the etcd snapshot failed; nothing changed/);
                assert.match(run.stderr, /node boutique-cp-0: the upgrade to v1\.33\.0 stopped at step: etcd snapshot before the control plane changes/);
                assert.equal(node.sandbox.exists(UPGRADE_PATHS.marker), false);
                assert.equal(node.sandbox.read(UPGRADE_PATHS.aptSource), sourceLine(32));
            });
            withFakeNode(controlPlane(), (node) => {
                fs.rmSync(node.sandbox.path(UPGRADE_PATHS.etcdBackup));
                const run = node.run(firstControlPlane(release(32, 5)));
                assert.equal(run.status, 1);
                assert.deepEqual(changesIn(run.calls), []);
                assert.match(run.stderr, /\/usr\/local\/sbin\/boutique-etcd-backup is missing: no snapshot, no upgrade; nothing changed/);
            });
        });

        const refusals: [to: KubernetesRelease, message: RegExp][] = [
            [
                release(34, 0),
                /refusing to upgrade the cluster \(at v1\.32\.4\) to v1\.34\.0: v1\.34\.0 skips 1\.33: kubeadm upgrades one minor at a time; upgrade to 1\.33\.x first/,
            ],
            [
                release(32, 3),
                /refusing to upgrade the cluster \(at v1\.32\.4\) to v1\.32\.3: v1\.32\.3 is older than v1\.32\.4: kubeadm cannot downgrade; keep v1\.32\.4, or upgrade to a later 1\.32 patch or to 1\.33\.x/,
            ],
            [release(31, 9), /refusing to upgrade the cluster \(at v1\.32\.4\) to v1\.31\.9: v1\.31\.9 is older than v1\.32\.4/],
        ];
        for (const [to, message] of refusals) {
            it(`refuses at run time to go from the cluster's v1.32.4 to 1.${to.minor}.${to.patch}, changing nothing`, () => {
                withFakeNode(controlPlane(), (node) => {
                    const run = node.run(firstControlPlane(to));
                    assert.equal(run.status, 1);
                    assert.match(run.stderr, message);
                    assert.deepEqual(changesIn(run.calls), []);
                    assert.equal(node.sandbox.exists(UPGRADE_PATHS.marker), false);
                });
            });
        }

        it("refuses when this node's own packages would skip a minor, even if the cluster allows the step", () => {
            withFakeNode(controlPlane({ cluster: "v1.32.4", packages: "1.31.2" }), (node) => {
                const run = node.run(firstControlPlane(release(33, 0)));
                assert.equal(run.status, 1);
                assert.match(run.stderr, /refusing to upgrade kubeadm \(at v1\.31\.2\) to v1\.33\.0: v1\.33\.0 skips 1\.32/);
                assert.deepEqual(changesIn(run.calls), []);
            });
        });

        it("a drain that cannot finish uncordons the node and stops before its kubelet changes; a re-run finishes", () => {
            withFakeNode(controlPlane(), (node) => {
                node.failAt("drain");
                const failed = node.run(firstControlPlane(release(32, 5)));
                assert.equal(failed.status, 1);
                assert.match(failed.stderr, /stopped at step: draining node boutique-cp-0/);
                assert.equal(changesIn(failed.calls).at(-1), "kubectl uncordon boutique-cp-0");
                assert.deepEqual(installs(failed.calls), [["kubeadm=1.32.5-*"]]);
                assert.equal(node.state("kubelet-running"), "v1.32.4");

                node.clearFailures();
                const resumed = node.run(firstControlPlane(release(32, 5)));
                assert.equal(resumed.status, 0, resumed.stderr);
                assert.equal(callIndex(callsOf(resumed.calls), /boutique-etcd-backup/), -1);
                assertUpgraded(node, "v1.32.5");
            });
        });

        it("a re-run restores a hold that was lost when apt-mark hold failed, without installing again", () => {
            withFakeNode(controlPlane(), (node) => {
                node.failAt("hold");
                const failed = node.run(firstControlPlane(release(32, 5)));
                assert.equal(failed.status, 1);
                assert.match(failed.stderr, /stopped at step: installing kubeadm v1\.32\.5/);
                assert.deepEqual(node.state("held")?.split("\n").sort(), ["kubectl", "kubelet"]);

                node.clearFailures();
                const resumed = node.run(firstControlPlane(release(32, 5)));
                assert.equal(resumed.status, 0, resumed.stderr);
                assert.deepEqual(installs(resumed.calls), [["kubelet=1.32.5-*", "kubectl=1.32.5-*"]]);
                assert.notEqual(callIndex(callsOf(resumed.calls), /^apt-mark hold kubeadm$/), -1);
                assertUpgraded(node, "v1.32.5");
            });
        });
    });
});
