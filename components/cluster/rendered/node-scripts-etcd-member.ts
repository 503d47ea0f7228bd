import { KUBECTL_CALL_SECONDS } from "./node-scripts-drain";
import { bash } from "./node-scripts-shell";

/**
 * The bash that removes a departed control plane's member from the stacked etcd, run on another
 * control plane. kubeadm's `reset` would do it from the leaving node itself, which cannot work
 * when that node's VM is already dead; any surviving control plane can do it instead.
 */

/**
 * kubeadm's etcd certificates. The etcd static pod mounts this directory at the same path inside
 * its container, so etcdctl run there (crictl exec) finds them.
 */
export const ETCD_PKI_DIR = "/etc/kubernetes/pki/etcd";

/** The etcd calls a control-plane removal makes at most: ps, member list, endpoint status, member remove, member list. */
export const ETCD_CALLS_PER_REMOVAL = 5;

/**
 * Bash functions: find_etcd_container, check_etcd_member_removable, remove_etcd_member. They need
 * `NODE_NAME` (kubeadm names a control plane's etcd member after its node) and HELPERS.messages.
 * They set the globals ETCD_CONTAINER and ETCD_MEMBER_ID. Each call is bounded like a kubectl
 * call (KUBECTL_CALL_SECONDS, plus 2 s to KILL).
 */
export const ETCD_MEMBER_HELPERS = bash`
ETCD_CONTAINER=""
ETCD_MEMBER_ID=""

# kubeadm's etcd runs as a static pod whose container is named exactly "etcd"; crictl finds
# containerd through /etc/crictl.yaml, which prepare-node installs.
find_etcd_container() {
  local ids
  ids=$(timeout --kill-after=2 ${KUBECTL_CALL_SECONDS} crictl ps --name '^etcd$' -q) ||
    die "crictl could not list the containers here; node $NODE_NAME left as it is"
  ETCD_CONTAINER=\${ids%%$'\n'*}
  [ -n "$ETCD_CONTAINER" ] || die "no running etcd container on this control plane (crictl ps --name ^etcd$); node $NODE_NAME left as it is"
}

# etcdctl against the local member only (127.0.0.1): the healthcheck-client certificate is signed
# by the etcd CA, and kubeadm's etcd checks client certificates without etcd RBAC, so it may
# change membership.
etcdctl_local() {
  timeout --kill-after=2 ${KUBECTL_CALL_SECONDS} crictl exec "$ETCD_CONTAINER" etcdctl --endpoints https://127.0.0.1:2379 \
    --cacert ${ETCD_PKI_DIR}/ca.crt --cert ${ETCD_PKI_DIR}/healthcheck-client.crt --key ${ETCD_PKI_DIR}/healthcheck-client.key "$@"
}

# "member list -w simple" lines: ID, status, name, peer URLs, client URLs, is-learner.
member_id_named() { awk -F', ' -v name="$1" '$3 == name { print $1; exit }'; }

# Runs before anything changes, so a removal that must be refused leaves the node in service.
# Sets ETCD_MEMBER_ID (empty: no member of that name, already removed).
check_etcd_member_removable() {
  local members local_id count
  find_etcd_container
  members=$(etcdctl_local member list -w simple) || die "the local etcd did not answer member list; node $NODE_NAME left as it is"
  ETCD_MEMBER_ID=$(member_id_named "$NODE_NAME" <<<"$members")
  if [ -z "$ETCD_MEMBER_ID" ]; then
    log "etcd has no member named $NODE_NAME (already removed)"
    return 0
  fi
  local_id=$(etcdctl_local endpoint status -w simple | awk -F', ' 'NR == 1 { print $2 }') ||
    die "the local etcd did not answer endpoint status; node $NODE_NAME left as it is"
  [ -n "$local_id" ] || die "could not tell which etcd member runs here; node $NODE_NAME left as it is"
  if [ "$ETCD_MEMBER_ID" = "$local_id" ]; then
    die "refusing to remove etcd member $ETCD_MEMBER_ID ($NODE_NAME): it is the member of the control plane this script runs on; run the removal on another control plane"
  fi
  count=$(grep -c . <<<"$members")
  if [ "$count" -le 1 ]; then
    die "refusing to remove etcd member $ETCD_MEMBER_ID ($NODE_NAME): it is the last member"
  fi
}

# Idempotent: a member that is gone by the time of the call (another run removed it) is done.
remove_etcd_member() {
  local members
  [ -n "$ETCD_MEMBER_ID" ] || return 0
  if etcdctl_local member remove "$ETCD_MEMBER_ID" >&2; then
    log "etcd member $ETCD_MEMBER_ID ($NODE_NAME) removed"
    return 0
  fi
  members=$(etcdctl_local member list -w simple) ||
    die "etcd did not remove member $ETCD_MEMBER_ID ($NODE_NAME) nor answer member list; the Node object is already deleted, so a re-run only retries this step"
  if grep -q "^$ETCD_MEMBER_ID, " <<<"$members"; then
    die "etcd refused to remove member $ETCD_MEMBER_ID ($NODE_NAME); the Node object is already deleted, so a re-run only retries this step"
  fi
  log "etcd member $ETCD_MEMBER_ID ($NODE_NAME) was already removed"
}`;
