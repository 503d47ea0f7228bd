import * as fs from "fs";
import * as path from "path";
import { bash } from "../../components/cluster/rendered/node-scripts-shell";
import { ScriptRun, ScriptSandbox } from "./scripts-sandbox";

/**
 * A node and its cluster, faked with state: apt-get, apt-mark, dpkg-query, kubeadm, kubectl,
 * systemctl, curl, gpg, hostname and the etcd backup script answer from files that earlier calls
 * wrote (kubeadm upgrade apply records the cluster's new version, systemctl restart kubelet makes
 * the Node report the installed kubelet, ...). Each fake logs its call to the sandbox's call log,
 * as the sandbox's own stubs do. A test injects a failure with `failAt(name)`.
 */

/** Where a failure can be injected: the fake fails with exit 1 (apply and node fail after recording their change). */
export type FakeFailure = "snapshot" | "apply" | "upgrade-node" | "drain" | "hold" | "healthz" | "configmap";

export interface FakeNodeSetup {
    readonly nodeName: string;
    /** What kubeadm-config says the cluster runs, e.g. "v1.32.4". */
    readonly cluster: string;
    /** The Debian version of kubeadm, kubelet and kubectl on the node, e.g. "1.32.4". */
    readonly packages: string;
    /** The minor of the apt source on the node. */
    readonly aptMinor: number;
    readonly role: "control-plane" | "worker";
}

const PRELUDE = bash`#!/usr/bin/env bash
set -uo pipefail
line=\${0##*/}
for arg in "$@"; do line+=" $arg"; done
printf '%s\n' "\${line//$'\n'/\\n}" >>"$STUB_DIR/calls"
S="$STUB_DIR/state"
R="$BOUTIQUE_TEST_ROOT"
fail_if() { if [ -f "$S/fail-$1" ]; then echo "injected failure at $1; token abcdef.0123456789abcdef" >&2; exit 1; fi; }
tag_of() { local v; v=$(cat "$S/pkg-$1" 2>/dev/null) || return 1; echo "v\${v%%-*}"; }
write_manifests() {
  local c
  [ -d "$R/etc/kubernetes/manifests" ] || return 0
  for c in kube-apiserver kube-controller-manager kube-scheduler; do
    printf 'spec:\n  containers:\n  - image: registry.k8s.io/%s:%s\n' "$c" "$1" >"$R/etc/kubernetes/manifests/$c.yaml"
  done
  echo "$1" >"$S/static-pods"
}
`;

const FAKES: Record<string, string> = {
    "dpkg-query": bash`cat "$S/pkg-\${!#}" 2>/dev/null || exit 1`,
    "apt-mark": bash`
case "$1" in
  showhold) cat "$S/held" ;;
  hold) fail_if hold; shift; for p in "$@"; do grep -qx "$p" "$S/held" || echo "$p" >>"$S/held"; done ;;
  unhold) shift; for p in "$@"; do grep -vx "$p" "$S/held" >"$S/held.new"; mv "$S/held.new" "$S/held"; done ;;
  *) exit 99 ;;
esac`,
    // apt knows the packages of the repository its last update saw, and refuses to change a held package.
    "apt-get": bash`
for arg in "$@"; do
  if [ "$arg" = update ]; then cp "$R/etc/apt/sources.list.d/kubernetes.list" "$S/apt-lists"; fi
done
for arg in "$@"; do
  [[ $arg =~ ^(kubeadm|kubelet|kubectl)=(1\.([0-9]+)\.[0-9]+)-\*$ ]] || continue
  name=\${BASH_REMATCH[1]} version=\${BASH_REMATCH[2]} minor=\${BASH_REMATCH[3]}
  grep -q "/v1\.$minor/deb/" "$S/apt-lists" 2>/dev/null || { echo "E: Version '$version-*' for '$name' was not found" >&2; exit 100; }
  ! grep -qx "$name" "$S/held" || { echo "E: Held packages were changed and -y was used without --allow-change-held-packages." >&2; exit 100; }
  echo "$version-1.1" >"$S/pkg-$name"
done`,
    systemctl: bash`
case "$*" in
  daemon-reload) touch "$S/daemon-reloaded" ;;
  "restart kubelet") tag_of kubelet >"$S/kubelet-running" ;;
  *) exit 99 ;;
esac`,
    kubeadm: bash`
case "$*" in
  "upgrade plan "*) ;;
  "upgrade apply "*)
    [ "$(tag_of kubeadm)" = "$3" ] || { echo "kubeadm $(tag_of kubeadm) cannot apply $3" >&2; exit 1; }
    # Records the new version before its last phases, as kubeadm does: a failure injected here
    # leaves the ConfigMap at the target.
    echo "$3" >"$S/cluster"
    write_manifests "$3"
    fail_if apply
    echo "$3" >>"$S/applied" ;;
  "upgrade node")
    tag=$(cat "$S/cluster")
    [ "$(tag_of kubeadm)" = "$tag" ] || { echo "kubeadm $(tag_of kubeadm) cannot upgrade a node to $tag" >&2; exit 1; }
    write_manifests "$tag"
    fail_if upgrade-node
    echo "$tag" >"$S/kubelet-config" ;;
  *) exit 99 ;;
esac`,
    kubectl: bash`
case " $* " in
  *" get configmap kubeadm-config "*)
    fail_if configmap
    printf 'apiVersion: kubeadm.k8s.io/v1beta4\nkind: ClusterConfiguration\nkubernetesVersion: %s\nnetworking:\n  podSubnet: 10.244.0.0/16\n' "$(cat "$S/cluster")" ;;
  *" get --raw /readyz "*) echo ok ;;
  *" --ignore-not-found -o name "*) echo "node/$(cat "$S/node-name")" ;;
  *" get node "*) printf '%s True' "$(cat "$S/kubelet-running")" ;;
  *" get pod "*)
    pod=$(sed -E 's/.* get pod ([^ ]+) .*/\1/' <<<" $* ")
    printf 'Running true registry.k8s.io/%s:%s' "\${pod%-"$(cat "$S/node-name")"}" "$(cat "$S/static-pods")" ;;
  *" uncordon "*) rm -f "$S/cordoned" ;;
  *" cordon "*) touch "$S/cordoned" ;;
  *" drain "*) fail_if drain ;;
  *) echo "fake kubectl: unexpected call: $*" >&2; exit 99 ;;
esac`,
    curl: bash`
case " $* " in
  *"/healthz "*) fail_if healthz; echo -n ok ;;
  *" -o "*)
    while [ "$1" != -o ]; do shift; done
    printf 'key of %s\n' "$3" >"$2" ;;
  *) exit 99 ;;
esac`,
    gpg: bash`
while [ "$1" != -o ]; do shift; done
cp "$3" "$2"`,
    hostname: bash`cat "$S/node-name"`,
    sleep: "exit 0",
};

export class FakeNode {
    private readonly fakes: string;
    private readonly stateDir: string;

    constructor(
        readonly sandbox: ScriptSandbox,
        setup: FakeNodeSetup,
    ) {
        this.fakes = path.join(sandbox.dir, "fakes");
        this.stateDir = path.join(sandbox.dir, "state");
        fs.mkdirSync(this.fakes);
        fs.mkdirSync(this.stateDir);
        for (const [tool, body] of Object.entries(FAKES)) {
            // sleep stays silent (retry loops); every other fake logs its call.
            const text = tool === "sleep" ? `#!/usr/bin/env bash\n${body}\n` : `${PRELUDE}${body}\n`;
            fs.writeFileSync(path.join(this.fakes, tool), text, { mode: 0o755 });
        }
        const etcdBackup = `${PRELUDE}fail_if snapshot\necho "$*" >>"$S/snapshots"\n`;
        sandbox.write("/usr/local/sbin/boutique-etcd-backup", etcdBackup, 0o755);
        const installed = `${setup.packages}-1.1\n`;
        for (const name of ["kubeadm", "kubelet", "kubectl"]) this.setState(`pkg-${name}`, installed);
        this.setState("held", "kubeadm\nkubelet\nkubectl\n");
        this.setState("cluster", `${setup.cluster}\n`);
        this.setState("kubelet-running", `v${setup.packages}\n`);
        this.setState("static-pods", `v${setup.packages}\n`);
        this.setState("node-name", `${setup.nodeName}\n`);
        sandbox.write(
            "/etc/apt/sources.list.d/kubernetes.list",
            `deb [signed-by=/etc/apt/keyrings/kubernetes-apt-keyring.gpg] https://pkgs.k8s.io/core:/stable:/v1.${setup.aptMinor}/deb/ /\n`,
        );
        sandbox.write("/etc/kubernetes/kubelet.conf", "kubelet kubeconfig\n");
        if (setup.role === "control-plane") {
            sandbox.write("/etc/kubernetes/admin.conf", "admin kubeconfig\n");
            fs.mkdirSync(sandbox.path("/etc/kubernetes/manifests"), { recursive: true });
            for (const component of ["kube-apiserver", "kube-controller-manager", "kube-scheduler"]) {
                sandbox.write(
                    `/etc/kubernetes/manifests/${component}.yaml`,
                    `spec:\n  containers:\n  - image: registry.k8s.io/${component}:v${setup.packages}\n`,
                );
            }
        }
    }

    run(script: string): ScriptRun {
        return this.sandbox.run(script, { env: { PATH: `${this.fakes}:${process.env.PATH ?? "/usr/bin:/bin"}` } });
    }

    failAt(failure: FakeFailure): void {
        this.setState(`fail-${failure}`, "");
    }

    clearFailures(): void {
        for (const file of fs.readdirSync(this.stateDir)) if (file.startsWith("fail-")) fs.rmSync(path.join(this.stateDir, file));
    }

    /** A state file's content without the trailing newline, or undefined when it does not exist. */
    state(name: string): string | undefined {
        const file = path.join(this.stateDir, name);
        return fs.existsSync(file) ? fs.readFileSync(file, "utf8").replace(/\n$/, "") : undefined;
    }

    setState(name: string, content: string): void {
        fs.writeFileSync(path.join(this.stateDir, name), content);
    }
}

/** Runs `body` with a fake node in a fresh sandbox, always cleaned up. */
export function withFakeNode(setup: FakeNodeSetup, body: (node: FakeNode) => void): void {
    const sandbox = new ScriptSandbox([]);
    try {
        body(new FakeNode(sandbox, setup));
    } finally {
        sandbox.cleanup();
    }
}
