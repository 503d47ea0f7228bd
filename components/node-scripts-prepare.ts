import { bash, HELPERS, NODE_PATHS, renderScript, shellQuote, SYSTEM_PATHS } from "./node-scripts-shell";
import { IMAGE_CREDENTIALS, renderImageCredentialConfig, renderImageCredentialProvider } from "./image-credentials";
import {
    KUBERNETES_PACKAGES,
    kubernetesAptRepository,
    kubernetesAptVersionPattern,
    KubernetesRelease,
    kubernetesPackageSpecs,
    kubernetesVersionTag,
    validateKubernetesRelease,
} from "./kubernetes-release";

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

export const KUBERNETES_KERNEL_MODULES = ["overlay", "br_netfilter"] as const;

/** Startup script of every Kubernetes node (root, every boot, idempotent). */
export function renderPrepareNodeScript(input: { readonly kubernetesVersion: KubernetesRelease }): string {
    const release = input.kubernetesVersion;
    validateKubernetesRelease(release);
    const sysctlFile = KUBERNETES_SYSCTLS.map(([key, value]) => `${key} = ${value}`).join("\n");
    const sysctlChecks = KUBERNETES_SYSCTLS.map(([key, value]) => `  check_sysctl ${key} ${value}`).join("\n");
    // Written out on the install line itself (not through a variable) so that every rendered
    // install names the exact release; tests read the lines.
    const packageSpecs = kubernetesPackageSpecs(release).map(shellQuote).join(" ");

    return renderScript({
        name: "prepare-node",
        purpose: [
            "Prepares a Kubernetes node: swap off, kernel modules and sysctls, containerd, and",
            "kubelet/kubeadm/kubectl. The GCE guest agent runs it as root at every boot, so every step is",
            "idempotent; package installs are skipped once the marker holds the wanted kubeadm version.",
        ],
        settings: [
            `readonly K8S_REPO=${shellQuote(kubernetesAptRepository(release))}`,
            "# What `kubeadm version -o short` prints, and the marker holds, once the node is prepared.",
            `readonly K8S_TAG=${shellQuote(kubernetesVersionTag(release))}`,
            "# The Debian versions of exactly this release (any package revision).",
            `readonly K8S_APT_VERSION_PATTERN=${shellQuote(kubernetesAptVersionPattern(release))}`,
            `readonly K8S_PACKAGES=(${KUBERNETES_PACKAGES.join(" ")})`,
            `readonly PREPARED=${NODE_PATHS.prepared}`,
            `readonly KUBELET_CONF=${SYSTEM_PATHS.kubeletKubeconfig}`,
            "readonly KEYRING=/etc/apt/keyrings/kubernetes-apt-keyring.gpg",
            "readonly MODULES_CONF=/etc/modules-load.d/boutique-kubernetes.conf",
            "# Sorts after Ubuntu's and GCE's files in /etc/sysctl.d, so its values win at boot.",
            "readonly SYSCTL_CONF=/etc/sysctl.d/99-zz-boutique-kubernetes.conf",
            "WORKDIR=$(mktemp -d)",
            "readonly WORKDIR",
            `trap 'rm -rf "$WORKDIR"' EXIT`,
        ],
        helpers: [
            HELPERS.apt,
            bash`
# install_if_changed <path> <mode> < content: replaces <path> through a temp file + rename only
# when the content differs, so a boot that changes nothing rewrites nothing. Returns 1 when
# unchanged; failures exit.
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
}

installed_kubeadm_version() {
  if command -v kubeadm >/dev/null 2>&1; then
    kubeadm version -o short 2>/dev/null || true
  fi
}

# packages_at_wanted_version: true when dpkg has all three packages at exactly $K8S_TAG's release
# and kubeadm itself reports it (a half-done install or a held older package fails this).
packages_at_wanted_version() {
  local package version
  for package in "\${K8S_PACKAGES[@]}"; do
    version=$(dpkg-query -W -f='\${Version}' "$package" 2>/dev/null) || return 1
    [[ $version =~ $K8S_APT_VERSION_PATTERN ]] || return 1
  done
  [ "$(installed_kubeadm_version)" = "$K8S_TAG" ]
}

# Names each package whose installed version is not the wanted one, for the error message.
describe_installed_packages() {
  local package
  for package in "\${K8S_PACKAGES[@]}"; do
    printf '%s=%s ' "$package" "$(dpkg-query -W -f='\${Version}' "$package" 2>/dev/null || echo none)"
  done
}`,
            bash`
# The kubelet refuses to run with swap on. GCE images have none; make sure.
disable_swap() {
  local swap_line='^[^#[:space:]]+[[:space:]]+[^[:space:]]+[[:space:]]+swap[[:space:]]'
  swapoff -a
  if grep -Eq "$swap_line" /etc/fstab; then
    sed -i -E "s/($swap_line.*)$/# disabled for the kubelet: \1/" /etc/fstab
  fi
}

# overlay is containerd's snapshotter; br_netfilter lets iptables see bridged pod traffic.
# modules-load.d loads them on later boots before anything else needs them.
ensure_kernel_modules() {
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
  install_if_changed "$SYSCTL_CONF" 0644 <<'EOF' || true
${sysctlFile}
EOF
  sysctl -q -p "$SYSCTL_CONF" >/dev/null
${sysctlChecks}
}`,
            bash`
# One repository per minor release; its key may sign only that repository (signed-by).
configure_kubernetes_repository() {
  install -d -m 0755 /etc/apt/keyrings
  curl -fsSL --retry 5 --retry-delay 5 --retry-connrefused --connect-timeout 20 --max-time 120 \
    -o "$WORKDIR/Release.key" "\${K8S_REPO}Release.key" || die "cannot download \${K8S_REPO}Release.key"
  gpg --batch --yes --dearmor -o "$WORKDIR/kubernetes.gpg" "$WORKDIR/Release.key" || die "cannot read \${K8S_REPO}Release.key as a PGP key"
  install_if_changed "$KEYRING" 0644 <"$WORKDIR/kubernetes.gpg" || true
  install_if_changed /etc/apt/sources.list.d/kubernetes.list 0644 <<EOF || true
deb [signed-by=$KEYRING] $K8S_REPO /
EOF
}

# containerd's full default config with the systemd cgroup driver (the kubelet's default) and
# the pause image this kubeadm deploys, so the two never disagree. Restarted only on change.
configure_containerd() {
  local version=$1 images pause
  images=$(kubeadm config images list --kubernetes-version "$version" 2>/dev/null) || die "kubeadm $version cannot list its images"
  pause=$(grep -m1 -E '^[a-z0-9./-]+/pause:[A-Za-z0-9._-]+$' <<<"$images") || die "kubeadm $version lists no pause image"
  install -d -m 0755 /etc/containerd
  containerd config default >"$WORKDIR/config.toml" || die "containerd config default failed"
  sed -i -E \
    -e 's/^([[:space:]]*SystemdCgroup[[:space:]]*=[[:space:]]*)false/\1true/' \
    -e "s#^([[:space:]]*(sandbox_image|sandbox)[[:space:]]*=[[:space:]]*).*#\1\"$pause\"#" \
    "$WORKDIR/config.toml"
  grep -Eq '^[[:space:]]*SystemdCgroup[[:space:]]*=[[:space:]]*true' "$WORKDIR/config.toml" ||
    die "containerd's default config has no SystemdCgroup setting to turn on"
  grep -Fq "\"$pause\"" "$WORKDIR/config.toml" || die "containerd's default config has no sandbox image setting for $pause"
  if install_if_changed /etc/containerd/config.toml 0644 <"$WORKDIR/config.toml"; then
    systemctl restart containerd
  fi
  systemctl enable --now containerd
  # crictl (for operators) talks to containerd without guessing the socket.
  install_if_changed /etc/crictl.yaml 0644 <<'EOF' || true
runtime-endpoint: unix:///run/containerd/containerd.sock
image-endpoint: unix:///run/containerd/containerd.sock
EOF
}

# The kubelet signs pulls from Google's registries with the node's identity (image-credentials.ts).
# Ensured at every boot, before the early return, so a prepared node gets a changed provider too.
install_image_credential_provider() {
  install -d -m 0755 ${IMAGE_CREDENTIALS.binDir} "$(dirname ${IMAGE_CREDENTIALS.config})"
  install_if_changed ${IMAGE_CREDENTIALS.binDir}/${IMAGE_CREDENTIALS.providerName} 0755 <<'PROVIDER' || true
${renderImageCredentialProvider()}PROVIDER
  install_if_changed ${IMAGE_CREDENTIALS.config} 0644 <<'CONFIG' || true
${renderImageCredentialConfig()}CONFIG
}

install_kubernetes() {
  local version
  apt_get update
  apt_get install --no-install-recommends ca-certificates curl gpg containerd conntrack
  configure_kubernetes_repository
  apt_get update
  apt_get install --no-install-recommends --allow-change-held-packages ${packageSpecs}
  # Held: an unattended upgrade must never move the kubelet past the control plane.
  apt-mark hold "\${K8S_PACKAGES[@]}" >/dev/null
  packages_at_wanted_version || die "installed $(describe_installed_packages)but $K8S_TAG is wanted for all three"
  version=$K8S_TAG
  configure_containerd "$version"
  # kubeadm init/join writes the kubelet's config and starts it; until then it waits.
  systemctl enable kubelet
  install -d -m 0755 "$(dirname "$PREPARED")"
  install_if_changed "$PREPARED" 0644 <<<"$version" || true
  log "node prepared: kubeadm $version, containerd configured"
}`,
        ],
        body: bash`
main() {
  local installed marker
  disable_swap
  ensure_kernel_modules
  ensure_sysctls
  install_image_credential_provider
  installed=$(installed_kubeadm_version)
  marker=$(cat "$PREPARED" 2>/dev/null || true)
  if [ "$marker" = "$K8S_TAG" ] && packages_at_wanted_version; then
    log "already prepared (kubeadm $installed): kernel settings ensured, packages left alone"
    return 0
  fi
  if [ -n "$installed" ] && [ -f "$KUBELET_CONF" ] && [ "$installed" != "$K8S_TAG" ]; then
    # Changing kubelet/kubeadm on a node in the cluster would be an unplanned upgrade;
    # that is kubeadm upgrade's job, in its order. Keep the node as it is.
    log "warning: this node runs kubeadm $installed in the cluster but $K8S_TAG is wanted; packages left alone (upgrade with kubeadm upgrade)"
    return 0
  fi
  install_kubernetes
}

main "$@"`,
    });
}
