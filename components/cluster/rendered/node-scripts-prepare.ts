import { IMAGE_CREDENTIALS } from "./image-credentials";
import {
    KUBERNETES_PACKAGES,
    kubernetesAptRepository,
    kubernetesAptVersionPattern,
    KubernetesRelease,
    kubernetesVersionTag,
    validateKubernetesRelease,
} from "../../../config/kubernetes-release";
import { INSTALL_IF_CHANGED, KERNEL_AND_CREDENTIAL_STEPS, KUBERNETES_APT_FILES, packageSteps } from "./node-scripts-prepare-steps";
import { PREPARE_STATUS_HELPERS, PREPARE_STATUS_MESSAGES, PREPARE_STATUS_PATH } from "./node-scripts-prepare-status";
import { bash, NODE_PATHS, renderScript, rootedPath, shellQuote, SYSTEM_PATHS, TEST_ROOT_SETTING } from "./node-scripts-shell";

export { KUBERNETES_KERNEL_MODULES, KUBERNETES_SYSCTLS } from "./node-scripts-prepare-steps";

/** What tells the prepare script whether the node already holds the wanted release. */
const INSTALLED_RELEASE_CHECKS = bash`
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

# Each package with its installed version, for the error message.
describe_installed_packages() {
  local package
  for package in "\${K8S_PACKAGES[@]}"; do
    printf '%s=%s ' "$package" "$(dpkg-query -W -f='\${Version}' "$package" 2>/dev/null || echo none)"
  done
}`;

/**
 * A Kubernetes node's preparation, installed as PREPARE_NODE_FILES.script and run by its systemd
 * unit (node-prepare-unit.ts) at every boot and again after each failed attempt. Idempotent:
 * kernel settings are ensured every time; packages are installed until the node holds exactly
 * `kubernetesVersion`, then left alone. Progress goes to the status file init/join wait on.
 */
export function renderPrepareNodeScript(input: { readonly kubernetesVersion: KubernetesRelease }): string {
    const release = input.kubernetesVersion;
    validateKubernetesRelease(release);
    return renderScript({
        name: "prepare-node",
        purpose: [
            "Prepares a Kubernetes node: swap off, kernel modules and sysctls, the image credential provider,",
            "containerd, and kubelet/kubeadm/kubectl at exactly one release, held. Run as root by its systemd",
            "unit at every boot and after each failed attempt (with backoff), so every step is idempotent;",
            "each step is recorded in the status file that init and join wait on.",
        ],
        settings: [
            "set -o errtrace",
            TEST_ROOT_SETTING,
            `readonly K8S_REPO=${shellQuote(kubernetesAptRepository(release))}`,
            "# What `kubeadm version -o short` prints, and the marker holds, once the node is prepared.",
            `readonly K8S_TAG=${shellQuote(kubernetesVersionTag(release))}`,
            "# The Debian versions of exactly this release (any package revision).",
            `readonly K8S_APT_VERSION_PATTERN=${shellQuote(kubernetesAptVersionPattern(release))}`,
            `readonly K8S_PACKAGES=(${KUBERNETES_PACKAGES.join(" ")})`,
            rootedPath("PREPARED", NODE_PATHS.prepared),
            rootedPath("PREPARE_STATUS", PREPARE_STATUS_PATH),
            rootedPath("KUBELET_CONF", SYSTEM_PATHS.kubeletKubeconfig),
            rootedPath("FSTAB", "/etc/fstab"),
            rootedPath("KEYRING", KUBERNETES_APT_FILES.keyring),
            rootedPath("K8S_SOURCES", KUBERNETES_APT_FILES.source),
            rootedPath("MODULES_CONF", "/etc/modules-load.d/boutique-kubernetes.conf"),
            "# Sorts after Ubuntu's and GCE's files in /etc/sysctl.d, so its values win at boot.",
            rootedPath("SYSCTL_CONF", "/etc/sysctl.d/99-zz-boutique-kubernetes.conf"),
            rootedPath("CONTAINERD_CONFIG", "/etc/containerd/config.toml"),
            rootedPath("CRICTL_CONFIG", "/etc/crictl.yaml"),
            rootedPath("CREDENTIAL_PROVIDER_DIR", IMAGE_CREDENTIALS.binDir),
            rootedPath("CREDENTIAL_PROVIDER_CONFIG", IMAGE_CREDENTIALS.config),
            "WORKDIR=$(mktemp -d)",
            "readonly WORKDIR",
        ],
        messages: PREPARE_STATUS_MESSAGES,
        helpers: [PREPARE_STATUS_HELPERS, INSTALL_IF_CHANGED, INSTALLED_RELEASE_CHECKS, KERNEL_AND_CREDENTIAL_STEPS, packageSteps(release)],
        body: bash`
main() {
  local installed marker
  trap 'finish_attempt $?' EXIT
  trap 'note_failed_command "$BASH_COMMAND" "$?"' ERR
  begin_attempt
  step swap
  disable_swap
  step kernel-modules
  ensure_kernel_modules
  step sysctls
  ensure_sysctls
  step image-credential-provider
  install_image_credential_provider
  step installed-release
  installed=$(installed_kubeadm_version)
  marker=$(cat "$PREPARED" 2>/dev/null || true)
  if [ "$marker" = "$K8S_TAG" ] && packages_at_wanted_version; then
    log "already prepared (kubelet, kubeadm, kubectl $K8S_TAG): kernel settings ensured, packages left alone"
    return 0
  fi
  if [ -n "$installed" ] && [ -f "$KUBELET_CONF" ] && [ "$installed" != "$K8S_TAG" ]; then
    # Changing kubelet/kubeadm on a node in the cluster would be an unplanned upgrade;
    # that is kubeadm upgrade's job, in its order. Keep the node as it is.
    log "warning: this node runs kubeadm $installed in the cluster but $K8S_TAG is wanted; packages left alone (upgrade with kubeadm upgrade)"
    return 0
  fi
  step recover-dpkg
  recover_dpkg
  step base-packages
  install_base_packages
  step kubernetes-repository
  configure_kubernetes_repository
  step kubernetes-packages
  install_kubernetes_packages
  step containerd
  configure_containerd
  step kubelet
  # kubeadm init/join writes the kubelet's config and starts it; until then it waits.
  systemctl enable kubelet
  step marker
  install -d -m 0755 "$(dirname "$PREPARED")"
  install_if_changed "$PREPARED" 0644 <<<"$K8S_TAG" || true
  log "node prepared: kubelet, kubeadm, kubectl $K8S_TAG (held), containerd configured"
}

main "$@"`,
    });
}
