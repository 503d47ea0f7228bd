import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { NODE_PATHS } from "../../components/cluster/rendered/node-scripts";
import { bash } from "../../components/cluster/rendered/node-scripts-shell";
import { CommandRunner } from "./command-engine";
import { ScriptSandbox } from "./scripts-sandbox";

/**
 * VMs for the join scripts, on this machine: one sandbox per address with fake kubeadm, kubectl,
 * ssh and sudo, sharing a directory that plays the cluster (its bootstrap tokens with their
 * creation time on a lab clock, its Nodes, etcd members, whether an API server answers). It
 * stands in for GCE VMs and kubeadm, which cannot run here, and enforces what the real ones do
 * that the join depends on:
 * - a bootstrap token is accepted only while it exists and is at most 15 minutes old on the
 *   lab clock (kubeadm's TTL; `advance` moves the clock between `up`s);
 * - a control-plane join reads the shared PKI from disk: no kubeadm-certs Secret exists, as if
 *   the uploaded certificates had expired (kubeadm deletes them after 2 hours);
 * - `failNextJoins(host, n)` makes that node's next n `kubeadm join` calls fail;
 * - ssh reaches a sandbox by its address unless `down`;
 * - kubeadm init and a control-plane join add the node's stacked etcd member (named after the
 *   node, peer URL at its address); `crictl exec <etcd> etcdctl` on a control plane and
 *   `kubectl exec <etcd pod> -- etcdctl` list and remove members;
 * - `replaceVm(host)` gives that address a fresh VM (no /etc/kubernetes), `apiDown()` stops the
 *   API server answering (no control plane is left behind HAProxy).
 */

/** Removes a member from the lab's etcd-members file, as etcdctl member remove does (shared by the fake kubectl and crictl). */
const REMOVE_ETCD_MEMBER = bash`
remove_etcd_member() {
  local members="$CLUSTER_DIR/etcd-members"
  grep -q "^$1, " "$members" 2>/dev/null || { echo "Error: etcdserver: member not found" >&2; return 1; }
  grep -v "^$1, " "$members" >"$members.new" || true
  mv "$members.new" "$members"
  echo "Member $1 removed from cluster 1c45a069f3a1d796"
}`;

const KUBEADM = bash`#!/usr/bin/env bash
set -u
printf '%s kubeadm %s\n' "$LAB_HOST" "$*" >>"$CLUSTER_DIR/calls"
now=$(cat "$CLUSTER_DIR/clock")
etc="$BOUTIQUE_TEST_ROOT/etc/kubernetes"
register() { # <config>: the node named in its nodeRegistration becomes a Ready Node
  local name
  name=$(sed -n 's/^  name: //p' "$1" | head -n 1)
  echo True >"$CLUSTER_DIR/nodes/$name"
}
add_etcd_member() { # <config>: a control plane's stacked etcd member, named after its node, at this VM's address
  local name n
  name=$(sed -n 's/^  name: //p' "$1" | head -n 1)
  n=$(( $(cat "$CLUSTER_DIR/etcd-member-counter" 2>/dev/null || echo 0) + 1 ))
  echo "$n" >"$CLUSTER_DIR/etcd-member-counter"
  printf '%s, started, %s, https://%s:2380, https://%s:2379, false\n' "$(printf 'a1b2c3d4%08x' "$n")" "$name" "$LAB_HOST" "$LAB_HOST" >>"$CLUSTER_DIR/etcd-members"
}
if [ "$1 \${2:-}" = "token create" ]; then
  n=$(( $(cat "$CLUSTER_DIR/token-counter" 2>/dev/null || echo 0) + 1 ))
  echo "$n" >"$CLUSTER_DIR/token-counter"
  id=$(printf 't%05d' "$n")
  echo "$now" >"$CLUSTER_DIR/tokens/$id"
  printf '%s.%016d\n' "$id" "$n"
  exit 0
fi
if [ "$1 \${2:-}" = "token delete" ]; then
  for arg in "$@"; do id=$arg; done
  rm -f "$CLUSTER_DIR/tokens/$id"
  exit 0
fi
case "$1" in
  init)
    mkdir -p "$etc" && touch "$etc/admin.conf" "$etc/kubelet.conf" "$CLUSTER_DIR/api-up"
    register "$3"
    add_etcd_member "$3"
    ;;
  join)
    config=$3
    token=$(sed -n 's/^ *token: //p' "$config")
    id=\${token%%.*}
    if [ ! -f "$CLUSTER_DIR/tokens/$id" ] || [ $((now - $(cat "$CLUSTER_DIR/tokens/$id"))) -gt 900 ]; then
      echo "error execution phase preflight: couldn't validate the identity of the API Server: token id \"$id\" is invalid for this cluster or it has expired" >&2
      exit 1
    fi
    fails=$(cat "$CLUSTER_DIR/fail-joins-$LAB_HOST" 2>/dev/null || echo 0)
    if [ "$fails" -gt 0 ]; then
      echo $((fails - 1)) >"$CLUSTER_DIR/fail-joins-$LAB_HOST"
      echo "error execution phase kubelet-start: timed out waiting for the condition" >&2
      exit 1
    fi
    if grep -q '^controlPlane:' "$config"; then
      for file in ca.crt ca.key sa.key sa.pub front-proxy-ca.crt front-proxy-ca.key etcd/ca.crt etcd/ca.key; do
        [ -s "$etc/pki/$file" ] || { echo "error execution phase control-plane-prepare/download-certs: the kubeadm-certs Secret is gone and $file is not on disk" >&2; exit 1; }
      done
      touch "$etc/admin.conf"
      add_etcd_member "$config"
    fi
    mkdir -p "$etc" && touch "$etc/kubelet.conf"
    register "$config"
    ;;
  reset) rm -f "$etc/admin.conf" "$etc/kubelet.conf" ;;
esac
exit 0
`;

const KUBECTL = bash`#!/usr/bin/env bash
set -u
printf '%s kubectl %s\n' "$LAB_HOST" "$*" >>"$CLUSTER_DIR/calls"
${REMOVE_ETCD_MEMBER}
node=""; prev=""
for arg in "$@"; do [ "$prev" = node ] && node=$arg; prev=$arg; done
case " $* " in
  *" get --raw /readyz "*) [ -f "$CLUSTER_DIR/api-up" ] ;;
  *" get node "*" -o name "*) [ ! -f "$CLUSTER_DIR/nodes/$node" ] || echo "node/$node" ;;
  *" get node "*) [ ! -f "$CLUSTER_DIR/nodes/$node" ] || printf '%s' "$(cat "$CLUSTER_DIR/nodes/$node")" ;;
  *" delete node "*) rm -f "$CLUSTER_DIR/nodes/$node" ;;
  *" get pods -l component=etcd "*) printf 'etcd-lab' ;;
  *" member list "*) cat "$CLUSTER_DIR/etcd-members" 2>/dev/null || true ;;
  *" member remove "*) for arg in "$@"; do id=$arg; done; remove_etcd_member "$id" ;;
  *) exit 0 ;;
esac
`;

/**
 * crictl on a control plane, as the etcd-member helpers use it (node-scripts-etcd-member.ts): the
 * etcd container runs where an etcd member has this VM's address; etcdctl inside it must be called
 * exactly with the local endpoint and kubeadm's healthcheck-client certificate, and answers from
 * the lab's etcd-members file ("ID, status, name, peer URLs, client URLs, is-learner").
 */
const CRICTL = bash`#!/usr/bin/env bash
set -u
printf '%s crictl %s\n' "$LAB_HOST" "$*" >>"$CLUSTER_DIR/calls"
${REMOVE_ETCD_MEMBER}
local_member() { grep -F ", https://$LAB_HOST:2380, " "$CLUSTER_DIR/etcd-members" 2>/dev/null | cut -d, -f1; }
if [ "$*" = "ps --name ^etcd$ -q" ]; then
  [ -z "$(local_member)" ] || echo "etcd-container-$LAB_HOST"
  exit 0
fi
expected="exec etcd-container-$LAB_HOST etcdctl --endpoints https://127.0.0.1:2379 --cacert /etc/kubernetes/pki/etcd/ca.crt --cert /etc/kubernetes/pki/etcd/healthcheck-client.crt --key /etc/kubernetes/pki/etcd/healthcheck-client.key "
call="$*"
[ "\${call#"$expected"}" != "$call" ] || { echo "fake crictl: unexpected call: $call" >&2; exit 1; }
# shellcheck disable=SC2086 # the etcdctl words, without spaces of their own
set -- \${call#"$expected"}
case "$*" in
  "member list -w simple") cat "$CLUSTER_DIR/etcd-members" ;;
  "endpoint status -w simple") printf 'https://127.0.0.1:2379, %s, 3.5.16, 25 kB, false, false, 3, 42, 42, \n' "$(local_member)" ;;
  "member remove "*) remove_etcd_member "$3" ;;
  *) echo "fake crictl: unexpected etcdctl call: $*" >&2; exit 1 ;;
esac
`;

const SSH = bash`#!/usr/bin/env bash
set -u
while [ $# -gt 0 ]; do
  case "$1" in
    -i | -o) shift 2 ;;
    -*) shift ;;
    *) break ;;
  esac
done
host=\${1#*@}
shift
printf '%s ssh %s %.40s\n' "$LAB_HOST" "$host" "$*" >>"$CLUSTER_DIR/calls"
if [ ! -f "$CLUSTER_DIR/hosts/$host" ] || [ -f "$CLUSTER_DIR/down-$host" ]; then
  echo "ssh: connect to host $host port 22: Connection timed out" >&2
  exit 255
fi
# shellcheck disable=SC1090
. "$CLUSTER_DIR/hosts/$host"
PATH="$HOST_BIN:$SYSTEM_PATH" BOUTIQUE_TEST_ROOT="$HOST_ROOT" STUB_DIR="$HOST_STUB_DIR" LAB_HOST="$host" exec bash -c "$*"
`;

/** The lab has no Google: its STS and storage refuse at once (a closed local port), instead of the real ones timing out. */
const NO_GOOGLE = { BOUTIQUE_TEST_STS_URL: "http://127.0.0.1:9/v1/token", BOUTIQUE_TEST_STORAGE_URL: "http://127.0.0.1:9" };

export class JoinLab {
    readonly clusterDir = fs.mkdtempSync(path.join(os.tmpdir(), "join-lab-"));
    private readonly hosts = new Map<string, ScriptSandbox>();

    constructor(addresses: readonly string[]) {
        for (const dir of ["tokens", "nodes", "hosts"]) fs.mkdirSync(path.join(this.clusterDir, dir));
        fs.writeFileSync(path.join(this.clusterDir, "clock"), "0");
        for (const address of addresses) {
            const sandbox = new ScriptSandbox(["sudo"]);
            const bin = path.join(sandbox.dir, "bin");
            for (const [tool, text] of [
                ["kubeadm", KUBEADM],
                ["kubectl", KUBECTL],
                ["ssh", SSH],
                ["crictl", CRICTL],
            ] as const)
                fs.writeFileSync(path.join(bin, tool), text, { mode: 0o755 });
            // Every VM has finished its preparation (the lab is about joins).
            sandbox.write(NODE_PATHS.prepared, "v1.32.4\n");
            fs.writeFileSync(
                path.join(this.clusterDir, "hosts", address),
                `HOST_BIN=${bin}\nHOST_ROOT=${sandbox.root}\nHOST_STUB_DIR=${sandbox.dir}\nSYSTEM_PATH=${process.env.PATH ?? "/usr/bin:/bin"}\n`,
            );
            this.hosts.set(address, sandbox);
        }
    }

    /** Runs a command string on the VM at `host`, as the command provider does over SSH. */
    readonly runner: CommandRunner = (host, command, stdin) => {
        const sandbox = this.hosts.get(host);
        if (!sandbox) return { status: 255, stdout: "", stderr: `dial tcp ${host}:22: no such VM in the lab` };
        // HOME is the VM's own: node's stdin is a socket, so bash (as if run by sshd) would source
        // this machine's ~/.bashrc, which is slow here and no part of any VM.
        const run = sandbox.run(command, {
            stdin,
            asCommandString: true,
            env: { CLUSTER_DIR: this.clusterDir, LAB_HOST: host, HOME: sandbox.dir, ...NO_GOOGLE },
        });
        return { status: run.status ?? 1, stdout: run.stdout, stderr: run.stderr };
    };

    /** Moves the lab clock (token ages) forward. */
    advance(seconds: number): void {
        const file = path.join(this.clusterDir, "clock");
        fs.writeFileSync(file, String(Number(fs.readFileSync(file, "utf8")) + seconds));
    }

    failNextJoins(host: string, count: number): void {
        fs.writeFileSync(path.join(this.clusterDir, `fail-joins-${host}`), String(count));
    }

    /** Bootstrap tokens that still exist in the cluster. */
    tokens(): string[] {
        return fs.readdirSync(path.join(this.clusterDir, "tokens")).sort();
    }

    nodes(): string[] {
        return fs.readdirSync(path.join(this.clusterDir, "nodes")).sort();
    }

    /** The fakes' calls, "<host> <tool> <args>", in order. */
    calls(): string[] {
        const file = path.join(this.clusterDir, "calls");
        return fs.existsSync(file)
            ? fs
                  .readFileSync(file, "utf8")
                  .split("\n")
                  .filter((line) => line !== "")
            : [];
    }

    /** The stacked etcd's members, "ID, status, name, peer URLs, client URLs, is-learner" (etcdctl member list -w simple). */
    etcdMembers(): string[] {
        const file = path.join(this.clusterDir, "etcd-members");
        return fs.existsSync(file)
            ? fs
                  .readFileSync(file, "utf8")
                  .split("\n")
                  .filter((line) => line !== "")
            : [];
    }

    /** A new VM at `host`: its Kubernetes files are gone (it is prepared again, as its startup script would). */
    replaceVm(host: string): void {
        fs.rmSync(this.sandbox(host).path("/etc/kubernetes"), { recursive: true, force: true });
    }

    /** No API server answers at the endpoint any more (the last control plane's VM is gone). */
    apiDown(): void {
        fs.rmSync(path.join(this.clusterDir, "api-up"), { force: true });
    }

    sandbox(host: string): ScriptSandbox {
        const sandbox = this.hosts.get(host);
        if (!sandbox) throw new Error(`no VM at ${host}`);
        return sandbox;
    }

    cleanup(): void {
        for (const sandbox of this.hosts.values()) sandbox.cleanup();
        fs.rmSync(this.clusterDir, { recursive: true, force: true });
    }
}
