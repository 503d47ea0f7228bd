import { strict as assert } from "assert";
import type { KubernetesRelease } from "../../config/kubernetes-release";
import { UPGRADE_PATHS } from "../../components/cluster/rendered/node-scripts-upgrade-shell";
import { callIndex } from "./scripts-sandbox";
import { FakeNode, FakeNodeSetup } from "./upgrade-fakes";

/** What the upgrade tests share: releases, fake node setups, and readings of the call log. */

export const release = (minor: number, patch: number): KubernetesRelease => ({ minor, patch });

/** The first control plane of a cluster at v1.32.4, its apt source on v1.32. */
export const controlPlaneSetup = (change: Partial<FakeNodeSetup> = {}): FakeNodeSetup => ({
    nodeName: "boutique-cp-0",
    cluster: "v1.32.4",
    packages: "1.32.4",
    aptMinor: 32,
    role: "control-plane",
    ...change,
});

/** A v1.32.4 worker of a cluster whose control planes already run v1.33.0. */
export const workerSetup = (change: Partial<FakeNodeSetup> = {}): FakeNodeSetup => ({
    nodeName: "boutique-worker-3",
    cluster: "v1.33.0",
    packages: "1.32.4",
    aptMinor: 32,
    role: "worker",
    ...change,
});

/** A call without the parts that vary per sandbox or repeat on every line (kubeconfig path, timeouts, apt options). */
const plain = (call: string): string =>
    call
        .replace(/ --kubeconfig \S+/, "")
        .replace(" --request-timeout=20s", "")
        .replace(/^apt-get .*? (update|install)( --no-install-recommends)?/, "apt-get $1");
/** The call log, each call without what varies per sandbox (see plain). */
export const callsOf = (calls: readonly string[]): string[] => calls.map(plain);
/** Calls that change something on the node or in the cluster. */
export const CHANGES = /^(apt-get|apt-mark (hold|unhold)|kubeadm|systemctl|curl|gpg|boutique-etcd-backup)|^kubectl (cordon|uncordon|drain)/;
export const changesIn = (calls: readonly string[]): string[] => callsOf(calls).filter((call) => CHANGES.test(call));
export const installs = (calls: readonly string[]): string[][] =>
    callsOf(calls)
        .filter((call) => call.startsWith("apt-get install"))
        .map((call) => call.split(" ").slice(2));
export const callAt = (calls: readonly string[], pattern: RegExp): number => {
    const found = callIndex(callsOf(calls), pattern);
    assert.ok(found >= 0, `no call matches ${pattern}:\n${callsOf(calls).join("\n")}`);
    return found;
};
export const assertOrder = (calls: readonly string[], ...patterns: RegExp[]): void => {
    const positions = patterns.map((pattern) => callAt(calls, pattern));
    assert.deepEqual(
        [...positions].sort((a, b) => a - b),
        positions,
        `expected in this order: ${patterns.join(", ")}\n${callsOf(calls).join("\n")}`,
    );
};
/** The apt source line of the minor's pkgs.k8s.io repository, as node preparation and the upgrades write it. */
export const sourceLine = (minor: number): string => `deb [signed-by=${UPGRADE_PATHS.aptKeyring}] https://pkgs.k8s.io/core:/stable:/v1.${minor}/deb/ /\n`;

/** The node and its cluster run `tag` everywhere, with the packages held, and no upgrade is pending. */
export function assertUpgraded(node: FakeNode, tag: string): void {
    for (const name of ["kubeadm", "kubelet", "kubectl"]) assert.equal(node.state(`pkg-${name}`), `${tag.slice(1)}-1.1`, name);
    assert.equal(node.state("cluster"), tag);
    assert.deepEqual(node.state("held")?.split("\n").sort(), ["kubeadm", "kubectl", "kubelet"]);
    assert.equal(node.state("kubelet-running"), tag);
    assert.equal(node.state("cordoned"), undefined, "uncordoned");
    assert.equal(node.sandbox.exists(UPGRADE_PATHS.marker), false, "no upgrade pending");
}
