import { strict as assert } from "assert";
import * as fs from "fs";
import type { KubernetesRelease } from "../components/kubernetes-release";
import { renderPrepareNodeScript } from "../components/node-scripts";
import { renderUpgradeControlPlaneScript, renderUpgradeFirstControlPlaneScript, renderUpgradeWorkerScript } from "../components/node-scripts-upgrade";
import { UPGRADE_PATHS } from "../components/node-scripts-upgrade-shell";
import { callIndex, TOKEN } from "./support/scripts-sandbox";
import { FakeNode, FakeNodeSetup, withFakeNode } from "./support/upgrade-fakes";

const release = (minor: number, patch: number): KubernetesRelease => ({ minor, patch });
const FIRST = "boutique-cp-0";
const OTHER = "boutique-cp-1";
const firstControlPlane = (to: KubernetesRelease) => renderUpgradeFirstControlPlaneScript({ nodeName: FIRST, to, drainTimeoutSeconds: 120 });
const otherControlPlane = (to: KubernetesRelease) => renderUpgradeControlPlaneScript({ nodeName: OTHER, to, drainTimeoutSeconds: 120 });
const controlPlane = (change: Partial<FakeNodeSetup> = {}): FakeNodeSetup => ({ nodeName: FIRST, cluster: "v1.32.4", packages: "1.32.4", aptMinor: 32, role: "control-plane", ...change });
const worker = (change: Partial<FakeNodeSetup> = {}): FakeNodeSetup => ({ nodeName: "boutique-worker-3", cluster: "v1.33.0", packages: "1.32.4", aptMinor: 32, role: "worker", ...change });

/** A call without the parts that vary per sandbox or repeat on every line (kubeconfig path, timeouts, apt options). */
const plain = (call: string): string =>
    call
        .replace(/ --kubeconfig \S+/, "")
        .replace(" --request-timeout=20s", "")
        .replace(/^apt-get .*? (update|install)( --no-install-recommends)?/, "apt-get $1");
const callsOf = (calls: readonly string[]): string[] => calls.map(plain);
/** Calls that change something on the node or in the cluster. */
const CHANGES = /^(apt-get|apt-mark (hold|unhold)|kubeadm|systemctl|curl|gpg|boutique-etcd-backup)|^kubectl (cordon|uncordon|drain)/;
const changesIn = (calls: readonly string[]): string[] => callsOf(calls).filter((call) => CHANGES.test(call));
const installs = (calls: readonly string[]): string[][] =>
    callsOf(calls)
        .filter((call) => call.startsWith("apt-get install"))
        .map((call) => call.split(" ").slice(2));
const index = (calls: readonly string[], pattern: RegExp): number => {
    const found = callIndex(callsOf(calls), pattern);
    assert.ok(found >= 0, `no call matches ${pattern}:\n${callsOf(calls).join("\n")}`);
    return found;
};
const assertOrder = (calls: readonly string[], ...patterns: RegExp[]): void => {
    const positions = patterns.map((pattern) => index(calls, pattern));
    assert.deepEqual([...positions].sort((a, b) => a - b), positions, `expected in this order: ${patterns.join(", ")}\n${callsOf(calls).join("\n")}`);
};
const sourceLine = (minor: number) => `deb [signed-by=${UPGRADE_PATHS.aptKeyring}] https://pkgs.k8s.io/core:/stable:/v1.${minor}/deb/ /\n`;

/** The node and its cluster run `tag` everywhere, with the packages held, and no upgrade is pending. */
function assertUpgraded(node: FakeNode, tag: string): void {
    for (const name of ["kubeadm", "kubelet", "kubectl"]) assert.equal(node.state(`pkg-${name}`), `${tag.slice(1)}-1.1`, name);
    assert.equal(node.state("cluster"), tag);
    assert.deepEqual(node.state("held")?.split("\n").sort(), ["kubeadm", "kubectl", "kubelet"]);
    assert.equal(node.state("kubelet-running"), tag);
    assert.equal(node.state("cordoned"), undefined, "uncordoned");
    assert.equal(node.sandbox.exists(UPGRADE_PATHS.marker), false, "no upgrade pending");
}

describe("node scripts: in-place Kubernetes upgrades", () => {
    describe("upgrade-first-control-plane", () => {
        it("patch upgrade: snapshot before any apt or kubeadm call, kubeadm upgrade apply with the exact tag, exact pins, holds restored", () => {
            withFakeNode(controlPlane(), (node) => {
                const run = node.run(firstControlPlane(release(32, 5)));
                assert.equal(run.status, 0, run.stderr);
                const calls = callsOf(run.calls);
                const snapshot = index(calls, /^boutique-etcd-backup pre-upgrade$/);
                assert.ok(snapshot < index(calls, /^(apt-get|apt-mark|kubeadm|curl|gpg|systemctl)|^kubectl (cordon|drain)/), calls.join("\n"));
                assert.deepEqual(calls.filter((call) => call.startsWith("kubeadm")), ["kubeadm upgrade plan v1.32.5", "kubeadm upgrade apply v1.32.5 --yes"]);
                assert.deepEqual(installs(calls), [["kubeadm=1.32.5-*"], ["kubelet=1.32.5-*", "kubectl=1.32.5-*"]]);
                assertOrder(calls, /^apt-mark unhold kubeadm$/, /^apt-get install kubeadm=/, /^apt-mark hold kubeadm$/, /^kubeadm upgrade apply /);
                assertOrder(calls, /^kubectl cordon boutique-cp-0$/, /^kubectl drain boutique-cp-0 /, /^apt-mark unhold kubelet kubectl$/, /^apt-get install kubelet=/);
                assertOrder(calls, /^apt-get install kubelet=/, /^systemctl daemon-reload$/, /^systemctl restart kubelet$/, /get node boutique-cp-0 -o jsonpath/, /get pod kube-apiserver-boutique-cp-0 /, /^kubectl uncordon boutique-cp-0$/);
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
                assertOrder(run.calls, /^boutique-etcd-backup/, /^curl .* https:\/\/pkgs\.k8s\.io\/core:\/stable:\/v1\.33\/deb\/Release\.key$/, /^gpg --batch --yes --dearmor /, /^apt-get update$/, /^apt-get install kubeadm=1\.33\.0-\*$/);
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
                assert.deepEqual(changesIn(resumed.calls).filter((call) => call.startsWith("kubeadm")), ["kubeadm upgrade plan v1.32.5", "kubeadm upgrade apply v1.32.5 --yes"]);
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
            [release(34, 0), /refusing to upgrade the cluster \(at v1\.32\.4\) to v1\.34\.0: v1\.34\.0 skips 1\.33: kubeadm upgrades one minor at a time; upgrade to 1\.33\.x first/],
            [release(32, 3), /refusing to upgrade the cluster \(at v1\.32\.4\) to v1\.32\.3: v1\.32\.3 is older than v1\.32\.4: kubeadm cannot downgrade; keep v1\.32\.4, or upgrade to a later 1\.32 patch or to 1\.33\.x/],
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

    describe("upgrade-control-plane (the others, after the first)", () => {
        const other = (change: Partial<FakeNodeSetup> = {}) => controlPlane({ nodeName: OTHER, cluster: "v1.33.0", ...change });

        it("uses kubeadm upgrade node, takes no snapshot and never applies; then its own kubelet, drained", () => {
            withFakeNode(other(), (node) => {
                const run = node.run(otherControlPlane(release(33, 0)));
                assert.equal(run.status, 0, run.stderr);
                const calls = callsOf(run.calls);
                assert.deepEqual(calls.filter((call) => call.startsWith("kubeadm")), ["kubeadm upgrade node"]);
                assert.equal(callIndex(calls, /boutique-etcd-backup/), -1);
                assertOrder(calls, /^curl .*v1\.33\/deb\/Release\.key$/, /^apt-get install kubeadm=1\.33\.0-\*$/, /^kubeadm upgrade node$/, /^kubectl drain boutique-cp-1 /, /^apt-get install kubelet=1\.33\.0-\* kubectl=1\.33\.0-\*$/, /^systemctl restart kubelet$/, /^kubectl uncordon boutique-cp-1$/);
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
                assert.match(run.stderr, /node boutique-cp-1: the cluster runs v1\.32\.4, not v1\.33\.0: upgrade the first control plane first; nothing changed/);
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
                assert.deepEqual(changesIn(resumed.calls).filter((call) => call.startsWith("kubeadm")), ["kubeadm upgrade node"]);
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
            assert.match(firstControlPlane(release(32, 5)), /readonly ETCD_BACKUP="\$ROOT\/usr\/local\/sbin\/boutique-etcd-backup"\n[\s\S]*run_logged "\$ETCD_BACKUP" pre-upgrade/);
            assert.doesNotMatch(otherControlPlane(release(32, 5)), /etcd-backup/);
            assert.doesNotMatch(renderUpgradeWorkerScript({ to: release(32, 5) }), /etcd-backup/);
        });

        const invalid: [string, () => unknown, RegExp][] = [
            ["a node name with a quote", () => renderUpgradeFirstControlPlaneScript({ nodeName: "cp'0", to: release(32, 5), drainTimeoutSeconds: 60 }), /nodeName "cp'0" must be a DNS label/],
            ["a zero drain timeout", () => renderUpgradeControlPlaneScript({ nodeName: OTHER, to: release(32, 5), drainTimeoutSeconds: 0 }), /drainTimeoutSeconds must be a positive whole number of seconds, got 0/],
            ["a minor older than 1.31", () => renderUpgradeWorkerScript({ to: release(30, 1) }), /kubernetesVersion\.minor must be a whole number, 31 or more, got 30/],
            ["a fractional patch", () => renderUpgradeWorkerScript({ to: release(32, 1.5) }), /kubernetesVersion\.patch must be a whole number, 0 or more, got 1\.5/],
        ];
        for (const [what, render, message] of invalid) {
            it(`rejects ${what}`, () => assert.throws(render, message));
        }
    });
});
