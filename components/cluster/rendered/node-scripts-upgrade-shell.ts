import {
    kubernetesAptRepository,
    kubernetesAptVersionPattern,
    KubernetesPackage,
    kubernetesPackageSpecs,
    KubernetesRelease,
    kubernetesVersionTag,
} from "../../../config/kubernetes-release";
import { ETCD_BACKUP_COMMAND } from "./node-scripts-etcd-snapshot";
import { KUBERNETES_APT_FILES } from "./node-scripts-prepare-steps";
import { bash, NODE_PATHS, rootedPath, shellQuote, TEST_ROOT_SETTING } from "./node-scripts-shell";

/**
 * The bash every in-place upgrade script shares (components/cluster/rendered/node-scripts-upgrade.ts): the target
 * release, the run-time version rule, the apt source per minor, exact package installs, the
 * resume marker and the failure report. Upstream: "Upgrading kubeadm clusters" (kubernetes.io).
 */

/** Files the upgrade scripts read or write on a node. */
export const UPGRADE_PATHS = {
    /** The same files node preparation writes (node-scripts-prepare.ts); an upgrade moves them to the next minor. */
    aptSource: KUBERNETES_APT_FILES.source,
    aptKeyring: KUBERNETES_APT_FILES.keyring,
    /**
     * Holds the target tag from the first change of an upgrade until its last step is done, so a
     * re-run after a failure resumes (no second snapshot; kubeadm upgrade runs again, which upstream
     * documents as idempotent) instead of taking a half-upgraded node for a finished one.
     */
    marker: "/var/lib/boutique/kubernetes-upgrade",
    /** Takes an etcd snapshot (its own script, installed on control planes); the argument names it. */
    etcdBackup: ETCD_BACKUP_COMMAND,
    log: `${NODE_PATHS.logDir}/kubeadm-upgrade.log`,
} as const;

/** How long a node may take to come back after its kubelet restarts (static pods restart, images are pulled). */
export const UPGRADE_HEALTH_WAIT_SECONDS = 600;

/** `ensure_packages 'kubeadm=1.32.5-*' ...`: the exact pins written out on the line that installs them. */
export function ensurePackagesLine(release: KubernetesRelease, packages: readonly KubernetesPackage[]): string {
    return `ensure_packages ${kubernetesPackageSpecs(release, packages).map(shellQuote).join(" ")}`;
}

/** `start_upgrade 'kubeadm=1.32.5-*'` (UPGRADE_OPENING): like ensurePackagesLine, kubeadm's exact pin stays on the line. */
export function startUpgradeLine(release: KubernetesRelease): string {
    return `start_upgrade ${kubernetesPackageSpecs(release, ["kubeadm"]).map(shellQuote).join(" ")}`;
}

/**
 * Settings every upgrade script starts with. `nodeLabel` holds the lines that set NODE_LABEL, the
 * node's name in every message.
 */
export function upgradeSettings(release: KubernetesRelease, nodeLabel: readonly string[]): string[] {
    const repository = kubernetesAptRepository(release);
    return [
        TEST_ROOT_SETTING,
        ...nodeLabel,
        `readonly TARGET_TAG=${shellQuote(kubernetesVersionTag(release))}`,
        `readonly TARGET_MINOR=${release.minor}`,
        `readonly TARGET_PATCH=${release.patch}`,
        "# The Debian versions of exactly the target release (any package revision).",
        `readonly TARGET_APT_VERSION_PATTERN=${shellQuote(kubernetesAptVersionPattern(release))}`,
        `readonly K8S_REPO=${shellQuote(repository)}`,
        `readonly APT_SOURCE_LINE=${shellQuote(`deb [signed-by=${UPGRADE_PATHS.aptKeyring}] ${repository} /`)}`,
        rootedPath("APT_SOURCE", UPGRADE_PATHS.aptSource),
        rootedPath("KEYRING", UPGRADE_PATHS.aptKeyring),
        rootedPath("UPGRADE_MARKER", UPGRADE_PATHS.marker),
        rootedPath("LOG_DIR", NODE_PATHS.logDir),
        rootedPath("LOG", UPGRADE_PATHS.log),
        `readonly HEALTH_WAIT_SECONDS=${UPGRADE_HEALTH_WAIT_SECONDS}`,
        "WORKDIR=$(mktemp -d)",
        "readonly WORKDIR",
        "APT_UPDATED=0",
        'CURRENT_STEP="checking versions"',
        "trap 'on_exit $?' EXIT",
    ];
}

/** Step names, the failure report, the resume marker and the kubeadm log. */
export const UPGRADE_PROGRESS = bash`
step() {
  CURRENT_STEP=$1
  log "node $NODE_LABEL: $1"
}

# Every failure names the node and the step; re-running the script resumes from there.
on_exit() {
  rm -rf "$WORKDIR"
  if [ "$1" -ne 0 ]; then
    echo "$SCRIPT_NAME: node $NODE_LABEL: the upgrade to $TARGET_TAG stopped at step: $CURRENT_STEP (exit $1); fix the cause and run it again" >&2
  fi
}

# run_logged <command...>: full output to the root-only log (kubeadm's can hold secrets); on a
# failure, its redacted tail.
run_logged() {
  local status=0
  start_log "$LOG"
  "$@" >>"$LOG" 2>&1 || status=$?
  if [ "$status" -ne 0 ]; then
    log "node $NODE_LABEL: $1 failed (exit $status); the end of \${LOG#"$ROOT"}, secrets redacted:"
    print_redacted_tail "$LOG"
  fi
  return "$status"
}

upgrade_marker() { cat "$UPGRADE_MARKER" 2>/dev/null || true; }

mark_upgrade_started() {
  install -d -m 0755 "$(dirname "$UPGRADE_MARKER")"
  printf '%s\n' "$TARGET_TAG" >"$UPGRADE_MARKER"
}

mark_upgrade_finished() { rm -f "$UPGRADE_MARKER"; }`;

/** The run-time copy of config/kubernetes-upgrade.ts's rule, against what the cluster and node run. */
export const UPGRADE_VERSION_RULE = bash`
# upgrade_problem <v1.M.P>: why the target cannot follow that version (empty when it can): kubeadm
# never downgrades and upgrades one minor at a time.
upgrade_problem() {
  local minor patch
  if [[ ! $1 =~ ^v1\.([0-9]+)\.([0-9]+)$ ]]; then
    echo "'$1' is not a Kubernetes version"
    return
  fi
  minor=\${BASH_REMATCH[1]}
  patch=\${BASH_REMATCH[2]}
  if ((TARGET_MINOR < minor || (TARGET_MINOR == minor && TARGET_PATCH < patch))); then
    echo "$TARGET_TAG is older than $1: kubeadm cannot downgrade; keep $1, or upgrade to a later 1.$minor patch or to 1.$((minor + 1)).x"
  elif ((TARGET_MINOR > minor + 1)); then
    echo "$TARGET_TAG skips 1.$((minor + 1)): kubeadm upgrades one minor at a time; upgrade to 1.$((minor + 1)).x first"
  fi
}

# refuse_unless_allowed <what> <v1.M.P>
refuse_unless_allowed() {
  local problem
  problem=$(upgrade_problem "$2")
  [ -z "$problem" ] || die "node $NODE_LABEL: refusing to upgrade $1 (at $2) to $TARGET_TAG: $problem"
}

# read_cluster_version <kubeconfig>: the release kubeadm last applied to the cluster, from the
# kubeadm-config ConfigMap (kubeadm upgrade apply writes it; kubeadm upgrade node reads it; nodes
# may read it). Retries while the API server does not answer.
read_cluster_version() {
  local config version deadline
  deadline=$((SECONDS + $(wait_limit "$API_WAIT_SECONDS")))
  until config=$(kubectl --kubeconfig "$1" --request-timeout=20s -n kube-system get configmap kubeadm-config \
    -o jsonpath='{.data.ClusterConfiguration}'); do
    [ "$SECONDS" -lt "$deadline" ] || die "node $NODE_LABEL: the API server did not answer within $(wait_limit "$API_WAIT_SECONDS")s; nothing changed"
    sleep 5
  done
  version=$(sed -n -E 's/^kubernetesVersion:[[:space:]]*"?(v1\.[0-9]+\.[0-9]+)"?[[:space:]]*$/\1/p' <<<"$config")
  [ -n "$version" ] || die "node $NODE_LABEL: the kubeadm-config ConfigMap names no kubernetesVersion; nothing changed"
  printf '%s' "$version"
}

# require_cluster_at_target <v1.M.P>: nodes other than the first control plane follow the cluster;
# a kubelet must never be newer than the API server.
require_cluster_at_target() {
  [ "$1" != "$TARGET_TAG" ] || return 0
  refuse_unless_allowed "the cluster" "$1"
  die "node $NODE_LABEL: the cluster runs $1, not $TARGET_TAG: upgrade the first control plane first; nothing changed"
}

# The installed Debian version of a package ("1.32.4-1.1"), empty when it is not installed.
package_version() { dpkg-query -W -f='\${Version}' "$1" 2>/dev/null || true; }

package_at_target() { [[ $(package_version "$1") =~ $TARGET_APT_VERSION_PATTERN ]]; }

packages_at_target() {
  local name
  for name in "$@"; do package_at_target "$name" || return 1; done
}

# check_node_packages: this node's own kubeadm, kubelet and kubectl follow the same rule.
check_node_packages() {
  local name version
  for name in kubeadm kubelet kubectl; do
    version=$(package_version "$name")
    [[ $version =~ ^1\.([0-9]+)\.([0-9]+)- ]] || die "node $NODE_LABEL: $name is not installed from pkgs.k8s.io (dpkg has '$version'); nothing changed"
    refuse_unless_allowed "$name" "v1.\${BASH_REMATCH[1]}.\${BASH_REMATCH[2]}"
  done
}`;

/** The apt source of the target minor and exact, held package installs. */
export const UPGRADE_PACKAGES = bash`
# Atomic replace: apt never reads a half-written source or keyring.
install_file() {
  install -D -m 0644 "$1" "$2.boutique-new" && mv -f -T "$2.boutique-new" "$2"
}

# pkgs.k8s.io has one repository per minor, each with its own key: a minor upgrade moves the
# source (and key) to the target minor before apt looks for the packages. A patch upgrade finds
# the source already right and downloads nothing.
ensure_apt_source() {
  if [ -f "$APT_SOURCE" ] && [ "$(cat "$APT_SOURCE")" = "$APT_SOURCE_LINE" ]; then
    return 0
  fi
  step "moving the apt source to $K8S_REPO"
  curl -fsSL --retry 5 --retry-delay 5 --retry-connrefused --connect-timeout 20 --max-time 120 \
    -o "$WORKDIR/Release.key" "\${K8S_REPO}Release.key" || die "cannot download \${K8S_REPO}Release.key"
  gpg --batch --yes --dearmor -o "$WORKDIR/kubernetes.gpg" "$WORKDIR/Release.key" || die "cannot read \${K8S_REPO}Release.key as a PGP key"
  printf '%s\n' "$APT_SOURCE_LINE" >"$WORKDIR/kubernetes.list"
  # The key first: a source without its key would fail every apt-get update.
  install_file "$WORKDIR/kubernetes.gpg" "$KEYRING" || die "cannot install \${KEYRING#"$ROOT"}"
  install_file "$WORKDIR/kubernetes.list" "$APT_SOURCE" || die "cannot install \${APT_SOURCE#"$ROOT"}"
  APT_UPDATED=0
}

apt_update_once() {
  [ "$APT_UPDATED" = 1 ] && return 0
  apt_get update >&2
  APT_UPDATED=1
}

# ensure_held <name...>: an unattended upgrade must never move these past the control plane.
ensure_held() {
  local held name
  held=$(apt-mark showhold) || die "apt-mark showhold failed"
  for name in "$@"; do
    grep -qx "$name" <<<"$held" || apt-mark hold "$name" >&2 || die "cannot hold $name"
  done
}

# ensure_packages <name=1.M.P-*...>: as the upgrade guide does it (unhold, install the exact
# release, hold); packages already at the target are left alone, so a re-run installs nothing twice.
ensure_packages() {
  local spec missing=() names=()
  for spec in "$@"; do
    names+=("\${spec%%=*}")
    package_at_target "\${spec%%=*}" || missing+=("$spec")
  done
  if [ "\${#missing[@]}" -gt 0 ]; then
    apt_update_once
    apt-mark unhold "\${missing[@]%%=*}" >&2 || die "cannot unhold \${missing[*]%%=*}"
    apt_get install --no-install-recommends "\${missing[@]}" >&2
  fi
  ensure_held "\${names[@]}"
  for spec in "\${names[@]}"; do
    package_at_target "$spec" || die "node $NODE_LABEL: $spec is at '$(package_version "$spec")' after the install, not $TARGET_TAG"
  done
}`;

/**
 * How every upgrade script opens, first control plane, other control planes and workers alike:
 * `upgrade_preflight`, `exit_if_upgraded` and `start_upgrade` (needs UPGRADE_PROGRESS,
 * UPGRADE_VERSION_RULE and UPGRADE_PACKAGES).
 */
export const UPGRADE_OPENING = bash`
# upgrade_preflight <kubeconfig> <cluster check...>: changes nothing. Sets CLUSTER, the release
# kubeadm last applied (read with <kubeconfig>), and holds it to <cluster check> (called with it:
# the first control plane, which moves the cluster, refuses only a wrong step; the nodes that
# follow require it at the target); checks this node's packages; sets MARKER, the target of an
# unfinished upgrade here (empty when none).
upgrade_preflight() {
  CLUSTER=$(read_cluster_version "$1")
  "\${@:2}" "$CLUSTER"
  check_node_packages
  MARKER=$(upgrade_marker)
}

# exit_if_upgraded <message> <check...>: ends the script (successfully) when no upgrade is
# unfinished here and <check> finds the node at the target, holding its packages first (a run
# that did the work may have stopped before holding them).
exit_if_upgraded() {
  local message=$1
  shift
  if [ "$MARKER" = "$TARGET_TAG" ] || ! "$@"; then return 0; fi
  ensure_held kubeadm kubelet kubectl
  log "$message; nothing to do"
  exit 0
}

# start_upgrade <kubeadm=1.M.P-*>: the first change on every node: the marker (from here a re-run
# resumes), the apt source of the target minor, then kubeadm of the target.
start_upgrade() {
  mark_upgrade_started
  step "apt source for $TARGET_TAG"
  ensure_apt_source
  step "installing kubeadm $TARGET_TAG"
  ensure_packages "$@"
}`;
