import { strict as assert } from "assert";
import type { KubernetesRelease } from "../../../config/kubernetes-release";
import { renderPrepareNodeScript } from "../../../components/cluster/rendered/node-scripts";
import {
    renderUpgradeControlPlaneScript,
    renderUpgradeFirstControlPlaneScript,
    renderUpgradeWorkerScript,
} from "../../../components/cluster/rendered/node-scripts-upgrade";
import { UPGRADE_PATHS } from "../../../components/cluster/rendered/node-scripts-upgrade-shell";
import { callIndex } from "../../support/scripts-sandbox";
import { assertOrder, assertUpgraded, callsOf, changesIn, controlPlaneSetup, installs, release, workerSetup as worker } from "../../support/upgrade-calls";
import { FakeNodeSetup, withFakeNode } from "../../support/upgrade-fakes";

const OTHER = "boutique-cp-1";
const otherControlPlane = (to: KubernetesRelease) => renderUpgradeControlPlaneScript({ nodeName: OTHER, to, drainTimeoutSeconds: 120 });

describe("node scripts: in-place Kubernetes upgrades of other nodes", () => {
    describe("upgrade-control-plane (the others, after the first)", () => {
        const other = (change: Partial<FakeNodeSetup> = {}) => controlPlaneSetup({ nodeName: OTHER, cluster: "v1.33.0", ...change });

        it("uses kubeadm upgrade node, takes no snapshot and never applies; then its own kubelet, drained", () => {
            withFakeNode(other(), (node) => {
                const run = node.run(otherControlPlane(release(33, 0)));
                assert.equal(run.status, 0, run.stderr);
                const calls = callsOf(run.calls);
                assert.deepEqual(
                    calls.filter((call) => call.startsWith("kubeadm")),
                    ["kubeadm upgrade node"],
                );
                assert.equal(callIndex(calls, /boutique-etcd-backup/), -1);
                assertOrder(
                    calls,
                    /^curl .*v1\.33\/deb\/Release\.key$/,
                    /^apt-get install kubeadm=1\.33\.0-\*$/,
                    /^kubeadm upgrade node$/,
                    /^kubectl drain boutique-cp-1 /,
                    /^apt-get install kubelet=1\.33\.0-\* kubectl=1\.33\.0-\*$/,
                    /^systemctl restart kubelet$/,
                    /^kubectl uncordon boutique-cp-1$/,
                );
                assertUpgraded(node, "v1.33.0");
                const again = node.run(otherControlPlane(release(33, 0)));
                assert.equal(again.status, 0, again.stderr);
                assert.deepEqual(changesIn(again.calls), []);
            });
        });

        it("refuses, changing nothing, until the first control plane has applied the target", () => {
            withFakeNode(other({ cluster: "v1.32.4" }), (node) => {
                const run = node.run(otherControlPlane(release(33, 0)));
                assert.equal(run.status, 1);
                assert.match(
                    run.stderr,
                    /node boutique-cp-1: the cluster runs v1\.32\.4, not v1\.33\.0: upgrade the first control plane first; nothing changed/,
                );
                assert.deepEqual(changesIn(run.calls), []);
            });
        });

        it("runs kubeadm upgrade node again when a re-run follows its failure (its manifests already changed)", () => {
            withFakeNode(other(), (node) => {
                node.failAt("upgrade-node");
                assert.equal(node.run(otherControlPlane(release(33, 0))).status, 1);
                node.clearFailures();
                const resumed = node.run(otherControlPlane(release(33, 0)));
                assert.equal(resumed.status, 0, resumed.stderr);
                assert.deepEqual(
                    changesIn(resumed.calls).filter((call) => call.startsWith("kubeadm")),
                    ["kubeadm upgrade node"],
                );
                assert.equal(node.state("kubelet-config"), "v1.33.0");
                assertUpgraded(node, "v1.33.0");
            });
        });
    });

    describe("upgrade-worker (on the worker; the caller drains and uncordons)", () => {
        const script = renderUpgradeWorkerScript({ to: release(33, 0) });

        it("apt source, kubeadm, kubeadm upgrade node, kubelet and kubectl, restart, local health; no drain, no admin credentials", () => {
            withFakeNode(worker(), (node) => {
                const run = node.run(script);
                assert.equal(run.status, 0, run.stderr);
                assertOrder(
                    run.calls,
                    /^curl .*v1\.33\/deb\/Release\.key$/,
                    /^apt-get update$/,
                    /^apt-get install kubeadm=1\.33\.0-\*$/,
                    /^kubeadm upgrade node$/,
                    /^apt-get install kubelet=1\.33\.0-\* kubectl=1\.33\.0-\*$/,
                    /^systemctl daemon-reload$/,
                    /^systemctl restart kubelet$/,
                    /^curl .*http:\/\/127\.0\.0\.1:10248\/healthz$/,
                );
                const kubectl = run.calls.filter((call) => call.startsWith("kubectl"));
                assert.equal(kubectl.length, 1);
                assert.match(kubectl[0], /^kubectl --kubeconfig \S+\/etc\/kubernetes\/kubelet\.conf .* get configmap kubeadm-config /);
                assert.equal(node.state("kubelet-config"), "v1.33.0");
                for (const name of ["kubeadm", "kubelet", "kubectl"]) assert.equal(node.state(`pkg-${name}`), "1.33.0-1.1");
                assert.deepEqual(node.state("held")?.split("\n").sort(), ["kubeadm", "kubectl", "kubelet"]);
                assert.equal(node.sandbox.exists(UPGRADE_PATHS.marker), false);

                const again = node.run(script);
                assert.equal(again.status, 0, again.stderr);
                assert.deepEqual(changesIn(again.calls), []);
                assert.match(again.stderr, /node boutique-worker-3 already runs v1\.33\.0; nothing to do/);
            });
        });

        it("fails naming the node and the step when the kubelet does not come back healthy; a re-run finishes without installing again", () => {
            withFakeNode(worker(), (node) => {
                node.failAt("healthz");
                const failed = node.run(script);
                assert.equal(failed.status, 1);
                assert.match(failed.stderr, /node boutique-worker-3: the upgrade to v1\.33\.0 stopped at step: waiting for the kubelet's health check/);
                node.clearFailures();
                const resumed = node.run(script);
                assert.equal(resumed.status, 0, resumed.stderr);
                assert.deepEqual(installs(resumed.calls), []);
                assertOrder(resumed.calls, /^kubeadm upgrade node$/, /^systemctl restart kubelet$/, /healthz$/);
                assert.equal(node.sandbox.exists(UPGRADE_PATHS.marker), false);
            });
        });

        for (const [cluster, message] of [
            ["v1.32.4", /the cluster runs v1\.32\.4, not v1\.33\.0: upgrade the first control plane first/],
            ["v1.33.2", /refusing to upgrade the cluster \(at v1\.33\.2\) to v1\.33\.0: v1\.33\.0 is older than v1\.33\.2/],
        ] as const) {
            it(`refuses, changing nothing, when the cluster runs ${cluster}`, () => {
                withFakeNode(worker({ cluster }), (node) => {
                    const run = node.run(script);
                    assert.equal(run.status, 1);
                    assert.match(run.stderr, message);
                    assert.deepEqual(changesIn(run.calls), []);
                });
            });
        }
    });

    describe("rendering", () => {
        it("moves the same apt source and keyring files node preparation writes", () => {
            const prepare = renderPrepareNodeScript({ kubernetesVersion: release(32, 4) });
            assert.ok(prepare.includes(UPGRADE_PATHS.aptSource), UPGRADE_PATHS.aptSource);
            assert.ok(prepare.includes(UPGRADE_PATHS.aptKeyring), UPGRADE_PATHS.aptKeyring);
        });

        it("runs exactly /usr/local/sbin/boutique-etcd-backup pre-upgrade on the first control plane only", () => {
            assert.match(
                renderUpgradeFirstControlPlaneScript({ nodeName: "boutique-cp-0", to: release(32, 5), drainTimeoutSeconds: 120 }),
                /readonly ETCD_BACKUP="\$ROOT\/usr\/local\/sbin\/boutique-etcd-backup"\n[\s\S]*run_logged "\$ETCD_BACKUP" pre-upgrade/,
            );
            assert.doesNotMatch(otherControlPlane(release(32, 5)), /etcd-backup/);
            assert.doesNotMatch(renderUpgradeWorkerScript({ to: release(32, 5) }), /etcd-backup/);
        });

        const invalid: [string, () => unknown, RegExp][] = [
            [
                "a node name with a quote",
                () => renderUpgradeFirstControlPlaneScript({ nodeName: "cp'0", to: release(32, 5), drainTimeoutSeconds: 60 }),
                /nodeName "cp'0" must be a DNS label/,
            ],
            [
                "a zero drain timeout",
                () => renderUpgradeControlPlaneScript({ nodeName: OTHER, to: release(32, 5), drainTimeoutSeconds: 0 }),
                /drainTimeoutSeconds must be a positive whole number of seconds, got 0/,
            ],
            [
                "a minor older than 1.31",
                () => renderUpgradeWorkerScript({ to: release(30, 1) }),
                /kubernetesVersion\.minor must be a whole number, 31 or more, got 30/,
            ],
            [
                "a fractional patch",
                () => renderUpgradeWorkerScript({ to: release(32, 1.5) }),
                /kubernetesVersion\.patch must be a whole number, 0 or more, got 1\.5/,
            ],
        ];
        for (const [what, render, message] of invalid) {
            it(`rejects ${what}`, () => assert.throws(render, message));
        }
    });
});
