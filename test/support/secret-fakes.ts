import * as fs from "fs";
import * as path from "path";
import { bash } from "../../components/cluster/rendered/node-scripts-shell";
import { ScriptSandbox } from "./scripts-sandbox";

/**
 * The fakes of the argv test (test/secret-argv.test.ts), beyond the sandbox's rule-driven stubs.
 * Each takes its secrets from files in the sandbox dir, never from its own arguments, and checks
 * that a secret arrived where it belongs (the file it was pointed at, the config it was given),
 * leaving a note the test reads.
 */

export type SecretFake = "kubeadm" | "kubectl" | "ssh" | "sudo" | "crictl" | "ctr";

/** Files in the sandbox dir the fakes compare against or write. */
export const FAKE_FILES = {
    adminKubeconfig: "expected-admin-kubeconfig",
    kubeletKubeconfig: "expected-kubelet-kubeconfig",
    bootstrapToken: "cluster-bootstrap-token",
    sshKey: "expected-ssh-key",
    /** One line per kubectl call: the kubeconfig it read ("admin", "kubelet" or "other"). */
    kubeconfigUses: "kubeconfig-uses",
    /** The config `kubeadm join` was given, as it was when kubeadm ran. */
    joinedConfig: "joined-config",
    /** One line per ssh connection made with the expected join key. */
    sshKeyUses: "ssh-key-uses",
    /** One line per `kubeadm token create` the admin kubeconfig was presented to. */
    tokensMinted: "tokens-minted",
} as const;

const FLAG = bash`flag() { local want=$1 prev=""; shift; for arg in "$@"; do [ "$prev" = "$want" ] && { printf '%s' "$arg"; return; }; prev=$arg; done; }`;

/** kubeadm: mints the cluster's token only for a kubeconfig holding the admin key; keeps the config join was given. */
const KUBEADM = bash`#!/usr/bin/env bash
set -u
${FLAG}
case "$1 \${2:-}" in
  "token create")
    cmp -s "$(flag --kubeconfig "$@")" "$STUB_DIR/${FAKE_FILES.adminKubeconfig}" || { echo "fake kubeadm: unauthorized: not the admin kubeconfig" >&2; exit 1; }
    echo minted >>"$STUB_DIR/${FAKE_FILES.tokensMinted}"
    cat "$STUB_DIR/${FAKE_FILES.bootstrapToken}" ;;
  "token delete") ;;
  "join --config")
    cp "$(flag --config "$@")" "$STUB_DIR/${FAKE_FILES.joinedConfig}"
    mkdir -p "$BOUTIQUE_TEST_ROOT/etc/kubernetes" && touch "$BOUTIQUE_TEST_ROOT/etc/kubernetes/kubelet.conf" ;;
  "init --config" | "reset -f") ;;
  "config images") printf 'registry.k8s.io/kube-apiserver:v1.32.4\nregistry.k8s.io/etcd:3.5.16-0\n' ;;
  *) echo "fake kubeadm: unexpected $*" >&2; exit 2 ;;
esac
`;

/** kubectl that notes which kubeconfig each call read, then answers as the fake at `inner`. */
export const kubeconfigNotingKubectl = (inner: string): string => bash`#!/usr/bin/env bash
set -u
${FLAG}
config=$(flag --kubeconfig "$@")
if cmp -s "$config" "$STUB_DIR/${FAKE_FILES.adminKubeconfig}"; then use=admin
elif cmp -s "$config" "$STUB_DIR/${FAKE_FILES.kubeletKubeconfig}"; then use=kubelet
else use=other; fi
echo "$use" >>"$STUB_DIR/${FAKE_FILES.kubeconfigUses}"
exec ${inner} "$@"
`;

/** ssh to the worker: this machine plays it, with the worker's own root; the join key must be the lab's. Builtins only: what it runs is recorded. */
const SSH = bash`#!/bin/bash
key=""
while [ $# -gt 0 ]; do
  case "$1" in
    -i) key=$2; shift 2 ;;
    -o) shift 2 ;;
    -*) shift ;;
    *) break ;;
  esac
done
shift
[ -n "$key" ] && [ "$(<"$key")" = "$(<"$STUB_DIR/${FAKE_FILES.sshKey}")" ] || { echo "ssh: Permission denied (publickey)" >&2; exit 255; }
echo "$key" >>"$STUB_DIR/${FAKE_FILES.sshKeyUses}"
export BOUTIQUE_TEST_ROOT="$STUB_DIR/worker-root"
exec bash -c "$*"
`;

const SUDO = bash`#!/bin/bash
[ "$1" = -n ] || { echo "sudo: a password is required" >&2; exit 1; }
shift
exec "$@"
`;

/** crictl on a control plane whose etcd (3.5: etcdctl only) is a healthy member of one. */
const CRICTL = bash`#!/usr/bin/env bash
set -u
case "$*" in
  "ps --name ^etcd$ "*) echo etcd-c0ffee ;;
  "ps "*) ;;
  "exec etcd-c0ffee etcdutl version") exit 1 ;;
  "exec etcd-c0ffee etcdctl "*" endpoint health") echo "https://127.0.0.1:2379 is healthy" ;;
  "exec etcd-c0ffee etcdctl "*" member list"*) echo "8e9e05c52164694d, started, boutique-cp-0, https://10.10.0.8:2380, https://10.10.0.8:2379, false" ;;
  "exec etcd-c0ffee etcdctl "*" snapshot save "*) for arg in "$@"; do last=$arg; done; echo etcd-snapshot >"$BOUTIQUE_TEST_ROOT$last" ;;
  "exec etcd-c0ffee etcdctl snapshot status "*) echo '{"hash":1,"revision":42,"totalKey":7,"totalSize":4096}' ;;
  *) echo "fake crictl: unexpected $*" >&2; exit 2 ;;
esac
`;

/** ctr running etcd's image (3.5: etcdctl only): a restore writes a member dir. */
const CTR = bash`#!/usr/bin/env bash
set -u
shift 2
case "$1 $2" in
  "images ls") echo registry.k8s.io/etcd:3.5.16-0; exit 0 ;;
  "images pull") exit 0 ;;
esac
shift
while [[ $1 == --* ]]; do if [ "$1" = --mount ]; then shift 2; else shift; fi; done
shift 2
${FLAG}
case "$*" in
  "etcdutl version") exit 1 ;;
  "etcdctl snapshot status "*) echo '{"hash":1,"revision":42,"totalKey":7,"totalSize":4096}' ;;
  "etcdctl snapshot restore "*) mkdir -p "$BOUTIQUE_TEST_ROOT$(flag --data-dir "$@")/member" ;;
  *) echo "fake ctr: unexpected $*" >&2; exit 2 ;;
esac
`;

const TEXTS: Record<Exclude<SecretFake, "kubectl">, string> = { kubeadm: KUBEADM, ssh: SSH, sudo: SUDO, crictl: CRICTL, ctr: CTR };

/** The fakes that run what they are given: their children are the script's. */
export const PASS_THROUGH: readonly SecretFake[] = ["ssh", "sudo"];

/** Installs `fakes` in the sandbox's bin ("kubectl" wraps the kubectl stub, which must exist). */
export function installFakes(sandbox: ScriptSandbox, fakes: readonly SecretFake[]): void {
    for (const fake of fakes) {
        if (fake === "kubectl") sandbox.wrapStub("kubectl", kubeconfigNotingKubectl(sandbox.stubAside("kubectl")));
        else fs.writeFileSync(path.join(sandbox.bin, fake), TEXTS[fake], { mode: 0o755 });
    }
}

/** Lines of a note file the fakes wrote (none when it does not exist). */
export function noteLines(sandbox: ScriptSandbox, file: string): string[] {
    const note = path.join(sandbox.dir, file);
    return fs.existsSync(note)
        ? fs
              .readFileSync(note, "utf8")
              .split("\n")
              .filter((line) => line !== "")
        : [];
}
