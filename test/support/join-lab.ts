import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { NODE_PATHS } from "../../components/node-scripts";
import { bash } from "../../components/node-scripts-shell";
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
 * - ssh reaches a sandbox by its address unless `down`.
 */

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
node=""; prev=""
for arg in "$@"; do [ "$prev" = node ] && node=$arg; prev=$arg; done
case " $* " in
  *" get --raw /readyz "*) [ -f "$CLUSTER_DIR/api-up" ] ;;
  *" get node "*" -o name "*) [ ! -f "$CLUSTER_DIR/nodes/$node" ] || echo "node/$node" ;;
  *" get node "*) [ ! -f "$CLUSTER_DIR/nodes/$node" ] || printf '%s' "$(cat "$CLUSTER_DIR/nodes/$node")" ;;
  *" delete node "*) rm -f "$CLUSTER_DIR/nodes/$node" ;;
  *" get pods -l component=etcd "*) printf 'etcd-lab' ;;
  *" member list "*) cat "$CLUSTER_DIR/etcd-members" 2>/dev/null || true ;;
  *) exit 0 ;;
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

export class JoinLab {
    readonly clusterDir = fs.mkdtempSync(path.join(os.tmpdir(), "join-lab-"));
    private readonly hosts = new Map<string, ScriptSandbox>();

    constructor(addresses: readonly string[]) {
        for (const dir of ["tokens", "nodes", "hosts"]) fs.mkdirSync(path.join(this.clusterDir, dir));
        fs.writeFileSync(path.join(this.clusterDir, "clock"), "0");
        for (const address of addresses) {
            const sandbox = new ScriptSandbox(["sudo"]);
            const bin = path.join(sandbox.dir, "bin");
            for (const [tool, text] of [["kubeadm", KUBEADM], ["kubectl", KUBECTL], ["ssh", SSH]] as const) fs.writeFileSync(path.join(bin, tool), text, { mode: 0o755 });
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
        const run = sandbox.run(command, { stdin, asCommandString: true, env: { CLUSTER_DIR: this.clusterDir, LAB_HOST: host } });
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
        return fs.existsSync(file) ? fs.readFileSync(file, "utf8").split("\n").filter((line) => line !== "") : [];
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
