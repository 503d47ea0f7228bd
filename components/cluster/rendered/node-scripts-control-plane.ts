import { BOOTSTRAP_TOKEN_PLACEHOLDER } from "./kubeadm-config";
import { INSTALL_FILES_FROM_STDIN } from "./node-files";
import { PREPARED_NODE_WAIT_SETTINGS, WAIT_FOR_PREPARED_NODE } from "./node-scripts-prepare-status";
import { CONTROL_PLANE_RESTORE_HELPERS, ControlPlaneRestore, controlPlaneRestoreSettings } from "./node-scripts-control-plane-restore";
import { JOIN_PATHS, JOIN_TOKEN_TTL, JOIN_WITH_TOKEN, NODE_PREPARED_WAIT_SECONDS } from "./node-scripts-join";
import { bash, HELPERS, NODE_PATHS, renderScript, rootedPath, shellQuote, SYSTEM_PATHS, TEST_ROOT_SETTING, validateNodeName } from "./node-scripts-shell";

/** Files only control planes receive. */
export const CONTROL_PLANE_BRING_UP_PATHS = {
    /** kubeadm init's config: only the cluster's initializer receives it. */
    initConfig: "/etc/kubernetes/boutique/kubeadm-init.yaml",
    /** The program's admin kubeconfig for the internal endpoint, kept only while a bring-up runs. */
    bringUpKubeconfig: "/etc/kubernetes/boutique/bring-up.conf",
} as const;

/** How long a bring-up looks for a running cluster before it concludes there is none. */
export const CLUSTER_PROBE_SECONDS = 60;

/** etcdctl inside kubeadm's etcd static pod, with the client certificate kubeadm creates for health checks. */
const ETCDCTL_IN_POD =
    "etcdctl --endpoints=https://127.0.0.1:2379 --cacert=/etc/kubernetes/pki/etcd/ca.crt --cert=/etc/kubernetes/pki/etcd/healthcheck-client.crt --key=/etc/kubernetes/pki/etcd/healthcheck-client.key";

export interface ControlPlaneBringUpInput {
    readonly nodeName: string;
    readonly nodeAddress: string;
    /** The API server endpoint every node uses (HAProxy), host:port. */
    readonly apiServerEndpoint: string;
    /**
     * Whether this run may create the cluster when none answers. Only the cluster's one-time
     * initialization passes true: a replaced control plane never creates a second cluster.
     */
    readonly mayInitialize: boolean;
    /**
     * Only for the cluster's single control plane, replaced: what to do when no cluster answers
     * (restore etcd from the newest backup and init on it, or refuse naming the setting).
     * Without it, a replaced control plane that finds no cluster fails (bring another back first).
     */
    readonly restore?: ControlPlaneRestore;
}

// Without a restore input: one of several control planes, or a program that offers none.
const NO_CLUSTER_TO_JOIN = bash`
no_cluster_to_join() {
  die "$NODE_NAME: step 'find the cluster' failed: no API server answered at $API_ENDPOINT for $(wait_limit "$CLUSTER_PROBE_SECONDS")s, so there is no control plane to join. A replaced control plane never creates a new cluster: bring another control plane back first, or, if this was the only one, restore etcd from its latest snapshot (README, 'Restoring etcd')"
}`;

/**
 * Brings one control plane up, on the node itself (through asRootCommand; stdin = file bundle
 * with the program's PKI, the API server's files, the join config and, for the initializer, the
 * init config). What it does is decided by the cluster's state, never by the node's slot: a
 * member already does nothing; a running cluster is joined (with a token this attempt mints); no
 * cluster at all is created only when `mayInitialize`, restored from the etcd backups when
 * `restore.enabled` (node-scripts-control-plane-restore.ts), and is otherwise a clear failure.
 */
export function renderBringUpControlPlaneScript(input: ControlPlaneBringUpInput): string {
    validateNodeName(input.nodeName);
    if (!/^[0-9.]+$/.test(input.nodeAddress)) throw new Error(`nodeAddress ${JSON.stringify(input.nodeAddress)} must be an IPv4 address`);
    if (!/^[0-9.]+:[0-9]+$/.test(input.apiServerEndpoint))
        throw new Error(`apiServerEndpoint ${JSON.stringify(input.apiServerEndpoint)} must be <IPv4>:<port>`);
    const { restore } = input;
    if (restore && input.mayInitialize) {
        throw new Error(
            `restore applies to a replaced control plane (mayInitialize false), not to ${input.nodeName}'s one-time initialization (mayInitialize true), which creates the cluster`,
        );
    }
    return renderScript({
        name: "bring-up-control-plane",
        purpose: [
            `Brings control plane ${input.nodeName} up from the cluster's state: nothing to do on a member; kubeadm join`,
            "(control plane) when a cluster answers at the endpoint, with a token minted for this attempt;",
            input.mayInitialize
                ? "kubeadm init when no cluster answers (this run is the cluster's one-time initialization)."
                : restore?.enabled
                  ? "when none answers (this was the only control plane), etcd restored from the newest backup and kubeadm init on it."
                  : "a failure when none answers (only the cluster's one-time initialization creates one; a restore must be allowed).",
            "Runs as root over SSH; kubeadm's output (it holds secrets) goes to a root-only log.",
        ],
        settings: [
            "umask 077",
            TEST_ROOT_SETTING,
            `readonly NODE_NAME=${shellQuote(input.nodeName)}`,
            `readonly NODE_ADDRESS=${shellQuote(input.nodeAddress)}`,
            `readonly API_ENDPOINT=${shellQuote(input.apiServerEndpoint)}`,
            `readonly MAY_INITIALIZE=${input.mayInitialize ? 1 : 0}`,
            rootedPath("ADMIN_CONF", SYSTEM_PATHS.adminKubeconfig),
            rootedPath("KUBELET_CONF", SYSTEM_PATHS.kubeletKubeconfig),
            rootedPath("KUBEADM_INIT_CONFIG", CONTROL_PLANE_BRING_UP_PATHS.initConfig),
            rootedPath("KUBEADM_JOIN_CONFIG", JOIN_PATHS.joinConfig),
            rootedPath("BRING_UP_CONF", CONTROL_PLANE_BRING_UP_PATHS.bringUpKubeconfig),
            rootedPath("PREPARED", NODE_PATHS.prepared),
            ...PREPARED_NODE_WAIT_SETTINGS,
            rootedPath("LOG_DIR", NODE_PATHS.logDir),
            'readonly LOG="$LOG_DIR/kubeadm-bring-up.log"',
            `readonly PREPARED_WAIT_SECONDS=${NODE_PREPARED_WAIT_SECONDS} CLUSTER_PROBE_SECONDS=${CLUSTER_PROBE_SECONDS}`,
            "TOKEN_ID=''",
            ...(restore ? controlPlaneRestoreSettings(restore) : []),
        ],
        helpers: [
            INSTALL_FILES_FROM_STDIN,
            HELPERS.waits,
            WAIT_FOR_PREPARED_NODE,
            HELPERS.kubeadmLogs,
            JOIN_WITH_TOKEN,
            bash`
bk() { kubectl --kubeconfig "$BRING_UP_CONF" "$@"; }

cleanup() {
  if [ -n "$TOKEN_ID" ]; then
    kubeadm token delete --kubeconfig "$BRING_UP_CONF" "$TOKEN_ID" >/dev/null 2>&1 || log "could not delete this attempt's token $TOKEN_ID (it expires in ${JOIN_TOKEN_TTL})"
  fi
  rm -f "$BRING_UP_CONF" "$JOIN_CONFIG_COPY"${
      restore
          ? `
  # The restore's downloads (a snapshot holds every Secret) never outlive the run.
  rm -rf "$WORK"`
          : ""
  }
}

cluster_answers() { bk get --raw /readyz --request-timeout=10s >/dev/null 2>&1; }

# A predecessor of this VM (same name, same address) whose removal never ran - its VM died -
# still has a Node object and an etcd member with this peer URL; kubeadm join trips over both.
remove_stale_member() {
  local ready etcd_pod stale
  ready=$(bk get node "$NODE_NAME" --ignore-not-found -o 'jsonpath={.status.conditions[?(@.type=="Ready")].status}') ||
    die "$NODE_NAME: step 'look up Node $NODE_NAME' failed"
  [ "$ready" != True ] || die "$NODE_NAME: step 'check the name' failed: a Ready node $NODE_NAME is in the cluster but this VM has not joined; another machine has this name"
  if bk get node "$NODE_NAME" --ignore-not-found -o name | grep -q .; then
    log "$NODE_NAME: deleting the Node left by this VM's predecessor (Ready: \${ready:-unknown})"
    bk delete node "$NODE_NAME" --ignore-not-found >&2 || die "$NODE_NAME: step 'delete the stale Node' failed"
  fi
  etcd_pod=$(bk -n kube-system get pods -l component=etcd --field-selector status.phase=Running -o 'jsonpath={.items[0].metadata.name}') ||
    die "$NODE_NAME: step 'find a running etcd' failed"
  [ -n "$etcd_pod" ] || die "$NODE_NAME: step 'find a running etcd' failed: the API server answers but no etcd pod is Running"
  stale=$(bk -n kube-system exec "$etcd_pod" -- ${ETCDCTL_IN_POD} member list -w simple |
    awk -F', ' -v url="https://$NODE_ADDRESS:2380" '$4 == url { print $1 }') || die "$NODE_NAME: step 'list etcd members' failed"
  if [ -n "$stale" ]; then
    log "$NODE_NAME: removing etcd member $stale left by this VM's predecessor (peer https://$NODE_ADDRESS:2380)"
    bk -n kube-system exec "$etcd_pod" -- ${ETCDCTL_IN_POD} member remove "$stale" >&2 || die "$NODE_NAME: step 'remove the stale etcd member' failed"
  fi
}

join_control_plane() {
  local token
  remove_stale_member
  token=$(kubeadm token create --kubeconfig "$BRING_UP_CONF" --ttl ${JOIN_TOKEN_TTL} --description "bring-up $NODE_NAME") ||
    die "$NODE_NAME: step 'mint a join token' failed (kubeadm token create)"
  [[ $token =~ ^[a-z0-9]{6}\.[a-z0-9]{16}$ ]] || die "$NODE_NAME: kubeadm token create printed something that is not a bootstrap token"
  TOKEN_ID=\${token%%.*}
  join_with_token "$token"
  log "$NODE_NAME joined the control plane (log: \${LOG#"$ROOT"})"
}

# initialize_cluster <kubeadm init flags...>: init never prints its token (--skip-token-print).
initialize_cluster() {
  [ -f "$KUBEADM_INIT_CONFIG" ] || die "$NODE_NAME: the files on stdin had no init config"
  start_log "$LOG"
  log "$NODE_NAME: no cluster answers at $API_ENDPOINT; running kubeadm init (full output in \${LOG#"$ROOT"})"
  if ! kubeadm init --config "$KUBEADM_INIT_CONFIG" "$@" >>"$LOG" 2>&1; then
    log "$NODE_NAME: kubeadm init failed; the end of its log, secrets redacted:"
    print_redacted_tail "$LOG"
    # kubeadm writes admin.conf before it waits for the control plane: reset, so that a retry
    # runs init again instead of taking this half-initialized node for a cluster.
    kubeadm reset -f >>"$LOG" 2>&1 || log "kubeadm reset -f failed too; see \${LOG#"$ROOT"}"
    die "$NODE_NAME: step 'kubeadm init' failed (node reset for a retry)"
  fi
  # Every join mints its own token, so init's (24 h by default) must go; no other exists yet.
  retry_for 120 bk -n kube-system delete secret --field-selector type=bootstrap.kubernetes.io/token >&2 ||
    die "$NODE_NAME: cluster initialized, but step 'delete init's bootstrap token' failed: run kubectl -n kube-system delete secret --field-selector type=bootstrap.kubernetes.io/token"
  log "$NODE_NAME: cluster initialized; init's bootstrap token deleted (log: \${LOG#"$ROOT"})"
}`,
            ...(restore ? CONTROL_PLANE_RESTORE_HELPERS : [NO_CLUSTER_TO_JOIN]),
        ],
        body: bash`
main() {
  if [ -f "$ADMIN_CONF" ] && [ -f "$KUBELET_CONF" ]; then
    # A running control plane's files stay as they are; the stdin bundle is not applied.
    cat >/dev/null
    log "$NODE_NAME is already a control plane of the cluster; nothing to do"
    return 0
  fi
  trap cleanup EXIT
  BUNDLE_ROOT="$ROOT" install_files_from_stdin || die "$NODE_NAME: could not install the files from stdin"
  if [ ! -f "$BRING_UP_CONF" ] || [ ! -f "$KUBEADM_JOIN_CONFIG" ]; then
    die "$NODE_NAME: the files on stdin must hold the bring-up kubeconfig and the join config"
  fi
  grep -q "${BOOTSTRAP_TOKEN_PLACEHOLDER}" "$KUBEADM_JOIN_CONFIG" || die "$NODE_NAME: the join config has no token placeholder"
  wait_for_prepared_node
  if retry_for "$CLUSTER_PROBE_SECONDS" cluster_answers; then
    join_control_plane
  elif [ "$MAY_INITIALIZE" = 1 ]; then
    initialize_cluster --skip-token-print
  else
    no_cluster_to_join
  fi
}

main "$@"`,
    });
}
