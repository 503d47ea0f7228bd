import { IMAGE_CREDENTIALS, renderImageCredentialConfig, renderImageCredentialProvider } from "./image-credentials";
import { KubernetesRelease, kubernetesPackageSpecs } from "../../../config/kubernetes-release";
import { bash, shellQuote } from "./node-scripts-shell";

/**
 * The steps of a node's preparation as bash functions, each idempotent: node-scripts-prepare.ts
 * runs them in order under the status file's `step`. Every absolute path is a setting rooted at
 * $ROOT (a temp dir in tests), and every tool is called by name, so tests run them against fakes.
 */

/**
 * Kernel settings every Kubernetes node needs. The first three make pod and service traffic
 * work. The rest are the values the kubelet checks when `protectKernelDefaults: true` is set; it
 * refuses to start if any of them differs.
 */
export const KUBERNETES_SYSCTLS: readonly (readonly [key: string, value: string])[] = [
    ["net.ipv4.ip_forward", "1"],
    ["net.bridge.bridge-nf-call-iptables", "1"],
    ["net.bridge.bridge-nf-call-ip6tables", "1"],
    ["vm.overcommit_memory", "1"],
    ["vm.panic_on_oom", "0"],
    ["kernel.panic", "10"],
    ["kernel.panic_on_oops", "1"],
    ["kernel.keys.root_maxkeys", "1000000"],
    ["kernel.keys.root_maxbytes", "25000000"],
];

/** The apt source and keyring of pkgs.k8s.io: preparation writes them, an upgrade moves them to the next minor. */
export const KUBERNETES_APT_FILES = {
    source: "/etc/apt/sources.list.d/kubernetes.list",
    keyring: "/etc/apt/keyrings/kubernetes-apt-keyring.gpg",
} as const;

export const KUBERNETES_KERNEL_MODULES = ["overlay", "br_netfilter"] as const;

/**
 * install_if_changed <path> <mode> < content: replaces <path> through a temp file + rename only
 * when the content differs, so a run that changes nothing rewrites nothing. Returns 1 when
 * unchanged; failures exit. Shared by the prepare script and the startup script that installs it.
 */
export const INSTALL_IF_CHANGED = bash`
install_if_changed() {
  local tmp
  tmp=$(mktemp "$(dirname "$1")/.boutique.XXXXXX") || die "cannot create a temp file next to $1"
  cat >"$tmp" || die "cannot write $tmp"
  if [ -f "$1" ] && cmp -s "$tmp" "$1"; then
    rm -f "$tmp"
    return 1
  fi
  if ! chmod "$2" "$tmp" || ! mv -f -T "$tmp" "$1"; then
    rm -f "$tmp"
    die "cannot install $1"
  fi
}`;

/** Kernel and image-credential steps: run at every boot, before anything else is decided. */
export const KERNEL_AND_CREDENTIAL_STEPS = bash`
# The kubelet refuses to run with swap on. GCE images have none; make sure.
disable_swap() {
  local swap_line='^[^#[:space:]]+[[:space:]]+[^[:space:]]+[[:space:]]+swap[[:space:]]'
  swapoff -a
  if grep -Eq "$swap_line" "$FSTAB"; then
    sed -i -E "s/($swap_line.*)$/# disabled for the kubelet: \1/" "$FSTAB"
  fi
}

# overlay is containerd's snapshotter; br_netfilter lets iptables see bridged pod traffic.
# modules-load.d loads them on later boots before anything else needs them.
ensure_kernel_modules() {
  install -d -m 0755 "$(dirname "$MODULES_CONF")"
  install_if_changed "$MODULES_CONF" 0644 <<'EOF' || true
${KUBERNETES_KERNEL_MODULES.join("\n")}
EOF
  modprobe overlay
  modprobe br_netfilter
}

check_sysctl() {
  local have
  have=$(sysctl -n "$1") || die "cannot read sysctl $1"
  [ "$have" = "$2" ] || die "sysctl $1 is $have after applying $SYSCTL_CONF, want $2"
}

# Persisted for later boots, applied now (br_netfilter must be loaded first), then verified:
# the kubelet (protectKernelDefaults) would refuse to start on a mismatch.
ensure_sysctls() {
  install -d -m 0755 "$(dirname "$SYSCTL_CONF")"
  install_if_changed "$SYSCTL_CONF" 0644 <<'EOF' || true
${KUBERNETES_SYSCTLS.map(([key, value]) => `${key} = ${value}`).join("\n")}
EOF
  sysctl -q -p "$SYSCTL_CONF" >/dev/null
${KUBERNETES_SYSCTLS.map(([key, value]) => `  check_sysctl ${key} ${value}`).join("\n")}
}

# The kubelet signs pulls from Google's registries with the node's identity (image-credentials.ts).
# Ensured at every boot, before the early return, so a prepared node gets a changed provider too.
install_image_credential_provider() {
  install -d -m 0755 "$CREDENTIAL_PROVIDER_DIR" "$(dirname "$CREDENTIAL_PROVIDER_CONFIG")"
  install_if_changed "$CREDENTIAL_PROVIDER_DIR/${IMAGE_CREDENTIALS.providerName}" 0755 <<'PROVIDER' || true
${renderImageCredentialProvider()}PROVIDER
  install_if_changed "$CREDENTIAL_PROVIDER_CONFIG" 0644 <<'CONFIG' || true
${renderImageCredentialConfig()}CONFIG
}`;

/** Package and containerd steps: run until the node holds exactly `release`. */
export function packageSteps(release: KubernetesRelease): string {
    // Written out on the install line itself (not through a variable) so that every rendered
    // install names the exact release; tests read the lines.
    const packageSpecs = kubernetesPackageSpecs(release).map(shellQuote).join(" ");
    return bash`
# One attempt: systemd's restart with backoff is the retry (the status file shows each one).
apt_get() {
  DEBIAN_FRONTEND=noninteractive apt-get -q -y -o DPkg::Lock::Timeout=180 -o Acquire::Retries=3 \
    -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold "$@" || die "apt-get $* failed"
}

# An attempt stopped mid-install (a restart, a reset VM) leaves dpkg half-configured, and apt
# refuses to install anything until this runs. A no-op otherwise.
recover_dpkg() {
  dpkg --configure -a || die "dpkg --configure -a failed"
}

install_base_packages() {
  apt_get update
  apt_get install --no-install-recommends ca-certificates curl gpg containerd conntrack
}

# One repository per minor release; its key may sign only that repository (signed-by).
configure_kubernetes_repository() {
  install -d -m 0755 "$(dirname "$KEYRING")" "$(dirname "$K8S_SOURCES")"
  curl -fsSL --retry 2 --retry-delay 5 --retry-connrefused --connect-timeout 20 --max-time 120 \
    -o "$WORKDIR/Release.key" "\${K8S_REPO}Release.key" || die "cannot download \${K8S_REPO}Release.key"
  gpg --batch --yes --dearmor -o "$WORKDIR/kubernetes.gpg" "$WORKDIR/Release.key" || die "cannot read \${K8S_REPO}Release.key as a PGP key"
  install_if_changed "$KEYRING" 0644 <"$WORKDIR/kubernetes.gpg" || true
  # The node reads the keyring at its real path; $ROOT is empty outside tests.
  install_if_changed "$K8S_SOURCES" 0644 <<EOF || true
deb [signed-by=\${KEYRING#"$ROOT"}] $K8S_REPO /
EOF
}

# Exactly this release of all three, held: an unattended upgrade must never move the kubelet past
# the control plane. dpkg's record of all three is checked, not only kubeadm's.
install_kubernetes_packages() {
  apt_get update
  apt_get install --no-install-recommends --allow-change-held-packages ${packageSpecs}
  apt-mark hold "\${K8S_PACKAGES[@]}" >/dev/null
  packages_at_wanted_version || die "installed $(describe_installed_packages)but $K8S_TAG is wanted for all three"
}

# containerd's full default config with the systemd cgroup driver (the kubelet's default) and
# the pause image this kubeadm deploys, so the two never disagree. Restarted only on change.
configure_containerd() {
  local images pause
  images=$(kubeadm config images list --kubernetes-version "$K8S_TAG" 2>/dev/null) || die "kubeadm $K8S_TAG cannot list its images"
  pause=$(grep -m1 -E '^[a-z0-9./-]+/pause:[A-Za-z0-9._-]+$' <<<"$images") || die "kubeadm $K8S_TAG lists no pause image"
  install -d -m 0755 "$(dirname "$CONTAINERD_CONFIG")"
  containerd config default >"$WORKDIR/config.toml" || die "containerd config default failed"
  sed -i -E \
    -e 's/^([[:space:]]*SystemdCgroup[[:space:]]*=[[:space:]]*)false/\1true/' \
    -e "s#^([[:space:]]*(sandbox_image|sandbox)[[:space:]]*=[[:space:]]*).*#\1\"$pause\"#" \
    "$WORKDIR/config.toml"
  grep -Eq '^[[:space:]]*SystemdCgroup[[:space:]]*=[[:space:]]*true' "$WORKDIR/config.toml" ||
    die "containerd's default config has no SystemdCgroup setting to turn on"
  grep -Fq "\"$pause\"" "$WORKDIR/config.toml" || die "containerd's default config has no sandbox image setting for $pause"
  if install_if_changed "$CONTAINERD_CONFIG" 0644 <"$WORKDIR/config.toml"; then
    systemctl restart containerd
  fi
  systemctl enable --now containerd
  # crictl (for operators) talks to containerd without guessing the socket.
  install_if_changed "$CRICTL_CONFIG" 0644 <<'EOF' || true
runtime-endpoint: unix:///run/containerd/containerd.sock
image-endpoint: unix:///run/containerd/containerd.sock
EOF
}`;
}
