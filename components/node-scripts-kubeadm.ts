import { INSTALL_FILES_FROM_STDIN } from "./node-files";
import { PREPARED_NODE_WAIT_SETTINGS, WAIT_FOR_PREPARED_NODE } from "./node-scripts-prepare-status";
import { bash, HELPERS, NODE_PATHS, renderScript, rootedPath, SYSTEM_PATHS, TEST_ROOT_SETTING } from "./node-scripts-shell";

/** How long init/join wait for the node's preparation (apt installs on a fresh VM, retried by its unit). */
export const NODE_PREPARED_WAIT_SECONDS = 900;

const commonSettings = (logFile: string) => [
    "umask 077",
    TEST_ROOT_SETTING,
    rootedPath("KUBEADM_CONFIG", NODE_PATHS.kubeadmConfig),
    rootedPath("PREPARED", NODE_PATHS.prepared),
    rootedPath("LOG_DIR", NODE_PATHS.logDir),
    `readonly LOG="$LOG_DIR/${logFile}"`,
    `readonly PREPARED_WAIT_SECONDS=${NODE_PREPARED_WAIT_SECONDS}`,
    ...PREPARED_NODE_WAIT_SETTINGS,
];

/** Installs the bundle on stdin and waits for the startup script: the common start of init and join. */
const INSTALL_AND_WAIT = bash`
# install_files_and_wait_for_node: the stdin bundle first (kubeadm keeps the CA and
# service-account keys it finds in place), then wait for containerd and kubeadm.
install_files_and_wait_for_node() {
  BUNDLE_ROOT="$ROOT" install_files_from_stdin || die "could not install the files from stdin"
  [ -f "$KUBEADM_CONFIG" ] || die "the files on stdin had no kubeadm config at \${KUBEADM_CONFIG#"$ROOT"}"
  wait_for_prepared_node
}`;

/** Runs `kubeadm init` on the first control plane (through asRootCommand; stdin = file bundle). */
export function renderInitControlPlaneScript(): string {
    return renderScript({
        name: "init-control-plane",
        purpose: [
            "Creates the cluster on the first control plane: installs the files on stdin (CA and",
            "service-account keys, API server files, the InitConfiguration), runs kubeadm init once, then",
            "deletes the bootstrap token init created (each node gets its own 15-minute token to join).",
            "Runs as root over SSH; kubeadm's output (it holds secrets) goes to a root-only log.",
        ],
        settings: [...commonSettings("kubeadm-init.log"), rootedPath("ADMIN_CONF", SYSTEM_PATHS.adminKubeconfig)],
        helpers: [INSTALL_FILES_FROM_STDIN, HELPERS.waits, WAIT_FOR_PREPARED_NODE, HELPERS.kubeadmLogs, HELPERS.kubectl, INSTALL_AND_WAIT],
        body: bash`
# Nodes get a 15-minute token each when they join, so init's token (24 h by default) must go.
# Nothing else has minted a token yet: every bootstrap token now is init's.
delete_bootstrap_tokens() {
  kc -n kube-system delete secret --field-selector type=bootstrap.kubernetes.io/token >&2
}

main() {
  if [ -f "$ADMIN_CONF" ]; then
    # A running control plane's files stay as they are; the stdin bundle is not applied.
    cat >/dev/null
    echo "control plane already initialized (\${ADMIN_CONF#"$ROOT"} exists); nothing to do"
    return 0
  fi
  install_files_and_wait_for_node
  start_log "$LOG"
  log "running kubeadm init (full output in \${LOG#"$ROOT"})"
  if ! kubeadm init --config "$KUBEADM_CONFIG" --skip-token-print >>"$LOG" 2>&1; then
    log "kubeadm init failed; the end of its log, secrets redacted:"
    print_redacted_tail "$LOG"
    # kubeadm writes admin.conf before it waits for the control plane: reset, so that a retry
    # runs init again instead of taking this half-initialized node for a cluster.
    kubeadm reset -f >>"$LOG" 2>&1 || log "kubeadm reset -f failed too; see \${LOG#"$ROOT"}"
    die "kubeadm init failed (node reset for a retry)"
  fi
  if ! retry_for 120 delete_bootstrap_tokens; then
    die "cluster initialized, but its bootstrap token could not be deleted: run kubectl -n kube-system delete secret --field-selector type=bootstrap.kubernetes.io/token"
  fi
  echo "control plane initialized; init's bootstrap token deleted (log: \${LOG#"$ROOT"})"
}

main "$@"`,
    });
}

/** Runs `kubeadm join` on a worker or control plane (through asRootCommand; stdin = file bundle). */
export function renderJoinNodeScript(): string {
    return renderScript({
        name: "join-node",
        purpose: [
            "Joins this node to the cluster with the JoinConfiguration on stdin (worker or control plane:",
            "the config decides). Runs as root over SSH. A failed join is reset so that a retry starts",
            "clean; kubeadm's output (it holds secrets) goes to a root-only log.",
        ],
        settings: [...commonSettings("kubeadm-join.log"), rootedPath("KUBELET_CONF", SYSTEM_PATHS.kubeletKubeconfig)],
        helpers: [INSTALL_FILES_FROM_STDIN, HELPERS.waits, WAIT_FOR_PREPARED_NODE, HELPERS.kubeadmLogs, INSTALL_AND_WAIT],
        body: bash`
main() {
  if [ -f "$KUBELET_CONF" ]; then
    cat >/dev/null
    echo "node already joined (\${KUBELET_CONF#"$ROOT"} exists); nothing to do"
    return 0
  fi
  install_files_and_wait_for_node
  start_log "$LOG"
  log "running kubeadm join (full output in \${LOG#"$ROOT"})"
  if ! kubeadm join --config "$KUBEADM_CONFIG" >>"$LOG" 2>&1; then
    log "kubeadm join failed; the end of its log, secrets redacted:"
    print_redacted_tail "$LOG"
    # A half-joined node (kubelet.conf written, or an etcd member added) would block a retry.
    kubeadm reset -f >>"$LOG" 2>&1 || log "kubeadm reset -f failed too; see \${LOG#"$ROOT"}"
    die "kubeadm join failed (node reset for a retry)"
  fi
  echo "node joined the cluster (log: \${LOG#"$ROOT"})"
}

main "$@"`,
    });
}
