import { KubernetesRelease, kubernetesVersionText, validateKubernetesRelease } from "../../../config/kubernetes-release";
import { API_WAIT_SECONDS, DRAIN_HELPERS } from "./node-scripts-drain";
import { bash, HELPERS, renderScript, rootedPath, shellQuote, SYSTEM_PATHS, validateNodeName, validatePositiveSeconds } from "./node-scripts-shell";
import {
    ensurePackagesLine,
    startUpgradeLine,
    UPGRADE_OPENING,
    UPGRADE_PACKAGES,
    UPGRADE_PATHS,
    UPGRADE_PROGRESS,
    UPGRADE_VERSION_RULE,
    upgradeSettings,
} from "./node-scripts-upgrade-shell";

/**
 * In-place upgrades of a running cluster to the next patch or minor, one node at a time, in the
 * upstream order ("Upgrading kubeadm clusters"): the first control plane (`kubeadm upgrade apply`,
 * after an etcd snapshot), the other control planes (`kubeadm upgrade node`), then the workers.
 * Each script runs as root over SSH on the node it upgrades (asRootCommand), is a no-op on a node
 * already at the target, and resumes where it stopped when re-run after a failure.
 */

export interface ControlPlaneUpgradeInput {
    readonly nodeName: string;
    readonly to: KubernetesRelease;
    /** How long the drain of this node may take before the upgrade stops (the node is uncordoned). */
    readonly drainTimeoutSeconds: number;
}

function controlPlaneSettings(input: ControlPlaneUpgradeInput): string[] {
    validateNodeName(input.nodeName);
    validateKubernetesRelease(input.to);
    validatePositiveSeconds("drainTimeoutSeconds", input.drainTimeoutSeconds);
    return [
        ...upgradeSettings(input.to, [`readonly NODE_NAME=${shellQuote(input.nodeName)}`, 'readonly NODE_LABEL="$NODE_NAME"']),
        rootedPath("ADMIN_CONF", SYSTEM_PATHS.adminKubeconfig),
        rootedPath("MANIFESTS", "/etc/kubernetes/manifests"),
        `readonly API_WAIT_SECONDS=${API_WAIT_SECONDS}`,
        `readonly DRAIN_TIMEOUT_SECONDS=${input.drainTimeoutSeconds}`,
    ];
}

/** Control planes: this node's own kubelet, drained, and the checks that it came back healthy. */
const CONTROL_PLANE_KUBELET = (to: KubernetesRelease) => bash`
api_ready() { kc --request-timeout=20s get --raw /readyz >/dev/null 2>&1; }

# This node's static pod manifests name the target images (kubeadm upgrade apply/node rewrote them).
manifests_at_target() {
  local component image
  for component in kube-apiserver kube-controller-manager kube-scheduler; do
    image=$(sed -n -E 's/^[[:space:]]*(-[[:space:]]+)?image:[[:space:]]*([^[:space:]]+)[[:space:]]*$/\2/p' "$MANIFESTS/$component.yaml" 2>/dev/null) || return 1
    [[ $image == *"/$component:$TARGET_TAG" ]] || return 1
  done
}

node_ready_at_target() {
  [ "$(kc --request-timeout=20s get node "$NODE_NAME" \
    -o jsonpath='{.status.nodeInfo.kubeletVersion} {.status.conditions[?(@.type=="Ready")].status}' 2>/dev/null)" = "$TARGET_TAG True" ]
}

# This node's control-plane static pods run (ready) at the target images, and its etcd runs.
static_pods_at_target() {
  local component state
  for component in kube-apiserver kube-controller-manager kube-scheduler etcd; do
    state=$(kc --request-timeout=20s -n kube-system get pod "$component-$NODE_NAME" \
      -o jsonpath='{.status.phase} {.status.containerStatuses[0].ready} {.spec.containers[0].image}' 2>/dev/null) || return 1
    [[ $state == "Running true "* ]] || return 1
    [ "$component" = etcd ] || [[ $state == *"/$component:$TARGET_TAG" ]] || return 1
  done
}

# The node is done when its packages, manifests and running kubelet are all at the target.
control_plane_node_at_target() {
  packages_at_target kubeadm kubelet kubectl && manifests_at_target && node_ready_at_target
}

# Upstream drains a control plane before its kubelet changes; a drain that cannot finish is undone
# and stops the upgrade here (this node keeps its upgraded control plane and its old kubelet,
# which the version-skew policy allows).
upgrade_own_kubelet() {
  local found
  step "draining node $NODE_NAME"
  found=$(find_node)
  [ -n "$found" ] || die "node $NODE_NAME is not in the cluster"
  cordon_and_drain
  step "installing kubelet and kubectl $TARGET_TAG"
  ${ensurePackagesLine(to, ["kubelet", "kubectl"])}
  step "restarting the kubelet"
  systemctl daemon-reload || die "systemctl daemon-reload failed"
  systemctl restart kubelet || die "systemctl restart kubelet failed"
  step "waiting for node $NODE_NAME to be Ready at $TARGET_TAG"
  retry_for "$HEALTH_WAIT_SECONDS" node_ready_at_target ||
    die "node $NODE_NAME was not Ready with kubelet $TARGET_TAG within $(wait_limit "$HEALTH_WAIT_SECONDS")s; it stays cordoned"
  step "waiting for the control-plane pods of $NODE_NAME at $TARGET_TAG"
  retry_for "$HEALTH_WAIT_SECONDS" static_pods_at_target ||
    die "the control-plane pods of $NODE_NAME were not running at $TARGET_TAG within $(wait_limit "$HEALTH_WAIT_SECONDS")s; it stays cordoned"
  step "uncordoning node $NODE_NAME"
  kc uncordon "$NODE_NAME" >&2 || die "cannot uncordon node $NODE_NAME"
}`;

const controlPlaneHelpers = (to: KubernetesRelease) => [
    HELPERS.waits,
    HELPERS.kubeadmLogs,
    HELPERS.apt,
    HELPERS.kubectl,
    DRAIN_HELPERS,
    UPGRADE_PROGRESS,
    UPGRADE_VERSION_RULE,
    UPGRADE_PACKAGES,
    UPGRADE_OPENING,
    CONTROL_PLANE_KUBELET(to),
];

/**
 * Upgrades the first control plane (the one with admin.conf that ran kubeadm init): etcd snapshot,
 * apt source, kubeadm, `kubeadm upgrade apply`, then its own kubelet and kubectl (drained).
 */
export function renderUpgradeFirstControlPlaneScript(input: ControlPlaneUpgradeInput): string {
    const settings = controlPlaneSettings(input);
    return renderScript({
        name: "upgrade-first-control-plane",
        purpose: [
            `Upgrades the cluster to Kubernetes ${kubernetesVersionText(input.to)} from its first control plane, ${input.nodeName}: an etcd snapshot,`,
            "the apt source of the target minor, kubeadm, kubeadm upgrade apply, then this node's kubelet",
            "(drained, restarted, Ready at the target, uncordoned). Refuses a downgrade or a skipped minor.",
            "Idempotent: a no-op once done; a re-run after a failure resumes. Runs as root over SSH.",
        ],
        settings: [...settings, rootedPath("ETCD_BACKUP", UPGRADE_PATHS.etcdBackup)],
        helpers: controlPlaneHelpers(input.to),
        body: bash`
cluster_and_node_at_target() { [ "$CLUSTER" = "$TARGET_TAG" ] && control_plane_node_at_target; }

main() {
  [ -f "$ADMIN_CONF" ] || die "node $NODE_NAME has no \${ADMIN_CONF#"$ROOT"}: this is not the first control plane; nothing changed"
  upgrade_preflight "$ADMIN_CONF" refuse_unless_allowed "the cluster"
  exit_if_upgraded "the cluster and node $NODE_NAME already run $TARGET_TAG" cluster_and_node_at_target
  # Before anything changes, once per upgrade (a resumed run already took it), and never when the
  # control plane is already at the target (only this node's kubelet is left).
  if [ "$CLUSTER" != "$TARGET_TAG" ] && [ "$MARKER" != "$TARGET_TAG" ]; then
    step "etcd snapshot before the control plane changes"
    [ -x "$ETCD_BACKUP" ] || die "\${ETCD_BACKUP#"$ROOT"} is missing: no snapshot, no upgrade; nothing changed"
    run_logged "$ETCD_BACKUP" pre-upgrade || die "the etcd snapshot failed; nothing changed"
  fi
  ${startUpgradeLine(input.to)}
  # A resumed run applies again: kubeadm may have failed after it recorded the new version
  # (upstream: kubeadm upgrade is idempotent and may be run again after a failure).
  if [ "$CLUSTER" != "$TARGET_TAG" ] || [ "$MARKER" = "$TARGET_TAG" ]; then
    step "kubeadm upgrade plan $TARGET_TAG"
    run_logged kubeadm upgrade plan "$TARGET_TAG" || die "kubeadm upgrade plan $TARGET_TAG failed"
    step "kubeadm upgrade apply $TARGET_TAG"
    run_logged kubeadm upgrade apply "$TARGET_TAG" --yes || die "kubeadm upgrade apply $TARGET_TAG failed"
    step "waiting for the API server"
    retry_for "$API_WAIT_SECONDS" api_ready || die "the API server was not ready within $(wait_limit "$API_WAIT_SECONDS")s after kubeadm upgrade apply"
  fi
  upgrade_own_kubelet
  mark_upgrade_finished
  log "the cluster's control plane and node $NODE_NAME run $TARGET_TAG"
}

main "$@"`,
    });
}

/**
 * Upgrades another control plane, after the first: apt source, kubeadm, `kubeadm upgrade node`,
 * then its own kubelet and kubectl (drained). No etcd snapshot here: etcd is one replicated store,
 * already saved by the first control plane's snapshot before anything changed; one taken now would
 * hold the already-upgraded state, not a way back. (kubeadm upgrade node also keeps a copy of this
 * member's data in /etc/kubernetes/tmp/kubeadm-backup-etcd-*.)
 */
export function renderUpgradeControlPlaneScript(input: ControlPlaneUpgradeInput): string {
    const settings = controlPlaneSettings(input);
    return renderScript({
        name: "upgrade-control-plane",
        purpose: [
            `Upgrades control plane ${input.nodeName} to the release the first control plane applied: the apt source`,
            "of the target minor, kubeadm, kubeadm upgrade node, then its kubelet (drained, restarted,",
            "Ready at the target, uncordoned). Idempotent: a no-op once done; a re-run resumes. Root over SSH.",
        ],
        settings,
        helpers: controlPlaneHelpers(input.to),
        body: bash`
main() {
  [ -f "$ADMIN_CONF" ] || die "node $NODE_NAME has no \${ADMIN_CONF#"$ROOT"}: not a control plane; nothing changed"
  upgrade_preflight "$ADMIN_CONF" require_cluster_at_target
  exit_if_upgraded "node $NODE_NAME already runs $TARGET_TAG" control_plane_node_at_target
  ${startUpgradeLine(input.to)}
  if [ "$MARKER" = "$TARGET_TAG" ] || ! manifests_at_target; then
    step "kubeadm upgrade node"
    run_logged kubeadm upgrade node || die "kubeadm upgrade node failed"
    step "waiting for the API server"
    retry_for "$API_WAIT_SECONDS" api_ready || die "the API server was not ready within $(wait_limit "$API_WAIT_SECONDS")s after kubeadm upgrade node"
  fi
  upgrade_own_kubelet
  mark_upgrade_finished
  log "node $NODE_NAME runs $TARGET_TAG"
}

main "$@"`,
    });
}

/** The kubelet's local health endpoint (its default healthzPort on 127.0.0.1). */
export const KUBELET_HEALTHZ_URL = "http://127.0.0.1:10248/healthz";

/**
 * Upgrades a worker, on the worker (no admin credentials there): apt source, kubeadm, `kubeadm
 * upgrade node`, kubelet and kubectl, restart, local kubelet health. Its roll drains it before, and
 * waits for Ready with the new kubelet and uncordons it after, from a control plane
 * (node-scripts-roll.ts).
 */
export function renderUpgradeWorkerScript(input: { readonly to: KubernetesRelease }): string {
    validateKubernetesRelease(input.to);
    return renderScript({
        name: "upgrade-worker",
        purpose: [
            "Upgrades this worker's kubeadm, kubelet configuration, kubelet and kubectl to the release the",
            "control planes run, after the caller drained it: apt source of the target minor, kubeadm,",
            "kubeadm upgrade node, kubelet and kubectl, restart, local kubelet health.",
            "Idempotent: a no-op once done; a re-run resumes. Runs as root over SSH.",
        ],
        settings: [
            // Workers get no node name: the caller knows it; the host name is the GCE instance's.
            ...upgradeSettings(input.to, ["NODE_LABEL=$(hostname 2>/dev/null || echo this-worker)", "readonly NODE_LABEL"]),
            rootedPath("KUBELET_CONF", SYSTEM_PATHS.kubeletKubeconfig),
            `readonly API_WAIT_SECONDS=${API_WAIT_SECONDS}`,
            `readonly KUBELET_HEALTHZ_URL=${shellQuote(KUBELET_HEALTHZ_URL)}`,
        ],
        helpers: [HELPERS.waits, HELPERS.kubeadmLogs, HELPERS.apt, UPGRADE_PROGRESS, UPGRADE_VERSION_RULE, UPGRADE_PACKAGES, UPGRADE_OPENING],
        body: bash`
kubelet_healthy() { [ "$(curl -fsS --max-time 5 "$KUBELET_HEALTHZ_URL" 2>/dev/null)" = ok ]; }

main() {
  [ -f "$KUBELET_CONF" ] || die "node $NODE_LABEL has no \${KUBELET_CONF#"$ROOT"}: it never joined; nothing changed"
  # The kubelet's own credentials may read kubeadm-config (kubeadm upgrade node reads it too).
  upgrade_preflight "$KUBELET_CONF" require_cluster_at_target
  exit_if_upgraded "node $NODE_LABEL already runs $TARGET_TAG" packages_at_target kubeadm kubelet kubectl
  ${startUpgradeLine(input.to)}
  # On a worker it writes the kubelet configuration of the new release; running it again is harmless.
  step "kubeadm upgrade node"
  run_logged kubeadm upgrade node || die "kubeadm upgrade node failed"
  step "installing kubelet and kubectl $TARGET_TAG"
  ${ensurePackagesLine(input.to, ["kubelet", "kubectl"])}
  step "restarting the kubelet"
  systemctl daemon-reload || die "systemctl daemon-reload failed"
  systemctl restart kubelet || die "systemctl restart kubelet failed"
  step "waiting for the kubelet's health check"
  retry_for "$HEALTH_WAIT_SECONDS" kubelet_healthy || die "the kubelet did not report healthy within $(wait_limit "$HEALTH_WAIT_SECONDS")s"
  mark_upgrade_finished
  log "node $NODE_LABEL runs $TARGET_TAG; the caller waits for it to be Ready and uncordons it"
}

main "$@"`,
    });
}
