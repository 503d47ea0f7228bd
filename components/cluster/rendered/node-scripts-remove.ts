import { DRAIN_BACKSTOP_SECONDS, DRAIN_HELPERS, KUBECTL_CALL_BOUND_SECONDS, nodeApiSettings } from "./node-scripts-drain";
import { ETCD_CALLS_PER_REMOVAL, ETCD_MEMBER_HELPERS } from "./node-scripts-etcd-member";
import { bash, HELPERS, renderScript, validateNodeName, validatePositiveSeconds } from "./node-scripts-shell";

/**
 * Removing a node from the cluster, on a control plane, before its VM is deleted: cordon, drain
 * (PodDisruptionBudgets respected), and when the drain cannot finish because the node's kubelet
 * is gone, give up on evictions instead of blocking the scale-down forever.
 */

export interface RemoveNodeInput {
    readonly nodeName: string;
    /** How long evictions are tried before the drain is given up (reachable: abort; unreachable: force). */
    readonly drainTimeoutSeconds: number;
    /** A control plane: its stacked etcd member is removed too. @default false */
    readonly controlPlane?: boolean;
}

/**
 * A Ready condition whose lastHeartbeatTime is older than this is not believed, even if it says
 * True. With node leases the kubelet rewrites its Node status only on a change or every
 * nodeStatusReportFrequency (5 min by default; the first report after a change may come up to
 * 1.5 times that later), so a healthy node's heartbeat can be 7.5 minutes old. Older than 10
 * minutes means nobody updates the Node: normally the node lifecycle controller would have set
 * Ready to Unknown after node-monitor-grace-period, so this catches a stopped controller-manager.
 */
export const READY_HEARTBEAT_STALE_SECONDS = 600;

/** kubectl calls a removal makes besides the drain: find, cordon, read Ready, delete pods, delete the Node. */
const API_CALLS_PER_REMOVAL = 5;

/**
 * The longest a removal can take once the API server has answered its first request: the drain
 * (drainTimeoutSeconds, plus the backstop's TERM and KILL margins) and every other call at its
 * own bound, as if each one hung. With a responsive API server the calls take well under a
 * second each, so a removal ends about drainTimeoutSeconds after it starts. An API server that
 * does not answer at all fails the removal, nothing changed, after API_WAIT_SECONDS.
 */
export function removalTimeBoundSeconds(input: Pick<RemoveNodeInput, "drainTimeoutSeconds" | "controlPlane">): number {
    const calls = API_CALLS_PER_REMOVAL + (input.controlPlane ? ETCD_CALLS_PER_REMOVAL : 0);
    return input.drainTimeoutSeconds + 2 * DRAIN_BACKSTOP_SECONDS + calls * KUBECTL_CALL_BOUND_SECONDS;
}

/**
 * Why the Ready condition decides, and why an unreachable node's pods may be forced:
 * - The node lifecycle controller sets Ready to Unknown when neither the Node status nor the
 *   node's Lease was renewed within node-monitor-grace-period, and taints the node
 *   node.kubernetes.io/unreachable (Ready False: not-ready). The taint follows the condition
 *   through a rate-limited queue, so the condition is the earlier and direct signal.
 * - The same controller marks the node's pods not Ready. A PodDisruptionBudget counts them as
 *   unhealthy, and the Eviction API lets an unhealthy pod go only while the budget is otherwise
 *   met, so evictions may be refused (429) until the drain times out. An eviction that is
 *   accepted only sets deletionTimestamp: with no kubelet to stop the containers and confirm,
 *   the pod stays Terminating and kubectl drain waits for it until its timeout.
 * - Kubernetes docs (Force Delete StatefulSet Pods): a pod on an unreachable node goes only when
 *   the Node object is deleted, the kubelet answers again, or it is force-deleted; if the node is
 *   confirmed dead, delete the Node. Our caller confirms it: the VM is deleted right after.
 *   Ready False (a kubelet that answers but cannot run pods) is treated the same way, as the VM
 *   goes too. A Ready node keeps the budgets: its pods are really running.
 */
const REMOVAL_HELPERS = bash`
# node_reachability: prints "reachable", "unreachable: <why>" or "gone"; fails when the API does not answer.
node_reachability() {
  local state name ready heartbeat beat_at age
  state=$(kc_bounded get node "$NODE_NAME" --ignore-not-found \
    -o jsonpath='{.metadata.name}{range .status.conditions[?(@.type=="Ready")]}{" "}{.status}{" "}{.lastHeartbeatTime}{end}') || return 1
  read -r name ready heartbeat <<<"$state" || true
  if [ -z "$name" ]; then
    echo "gone"
  elif [ "$ready" != True ]; then
    echo "unreachable: Ready is \${ready:-not reported}"
  elif beat_at=$(date -u -d "$heartbeat" +%s 2>/dev/null) && age=$(($(date -u +%s) - beat_at)) &&
    [ "$age" -gt "$READY_HEARTBEAT_STALE_SECONDS" ]; then
    echo "unreachable: Ready True but its last heartbeat is $age s old"
  else
    echo "reachable"
  fi
}

# The kubelet is gone, so graceful deletion can never complete: delete the pods still bound to
# the node at once (their containers die with the VM), so their controllers replace them now.
give_up_evictions() {
  log "giving up evictions on node $NODE_NAME; force-deleting the pods still bound to it"
  kc_bounded delete pods --all-namespaces --field-selector "spec.nodeName=$NODE_NAME" --force --grace-period=0 --wait=false >&2 ||
    die "could not force-delete the pods of unreachable node $NODE_NAME; it stays cordoned; a re-run retries"
}

delete_node_object() {
  kc_bounded delete node "$NODE_NAME" --ignore-not-found --wait=false >&2 ||
    die "could not delete the Node object $NODE_NAME; it stays cordoned; a re-run retries"
  log "Node object $NODE_NAME deleted"
}

# drain_or_give_up: a drain that finished, or one that could not because the kubelet is gone, lets
# the removal go on; a reachable node whose drain failed goes back into service and stops it.
drain_or_give_up() {
  local reachability
  if drain_node; then
    log "node $NODE_NAME drained"
    return 0
  fi
  reachability=$(node_reachability) || reachability="unknown"
  case "$reachability" in
    gone)
      log "node $NODE_NAME was deleted during the drain"
      ;;
    unreachable*)
      log "the drain of $NODE_NAME did not finish within $DRAIN_TIMEOUT_SECONDS s and the node is $reachability"
      give_up_evictions
      ;;
    reachable)
      log "the drain of $NODE_NAME did not finish within $DRAIN_TIMEOUT_SECONDS s while its kubelet is Ready (a PodDisruptionBudget may block an eviction); uncordoning it"
      uncordon_node
      die "removal of node $NODE_NAME aborted: the drain failed; the node is back in service and its VM keeps running"
      ;;
    *)
      log "the drain of $NODE_NAME failed and its Ready condition could not be read; uncordoning it"
      uncordon_node
      die "removal of node $NODE_NAME aborted: the drain failed and the API server did not say whether the node is reachable"
      ;;
  esac
}`;

/**
 * Removes a node from the cluster, on a control plane with admin.conf (through asRootCommand):
 * the `delete` of the node's membership command, which Pulumi runs before the VM is deleted.
 */
export function renderRemoveNodeScript(input: RemoveNodeInput): string {
    validateNodeName(input.nodeName);
    validatePositiveSeconds("drainTimeoutSeconds", input.drainTimeoutSeconds);
    const controlPlane = input.controlPlane ?? false;
    return renderScript({
        name: "remove-node",
        purpose: [
            `Removes ${controlPlane ? "control plane" : "node"} ${input.nodeName} from the cluster before its VM is deleted: cordon, drain (evictions`,
            "respect PodDisruptionBudgets, with a timeout), delete the Node. A drain that cannot finish uncordons a",
            "Ready node and fails; on a node whose kubelet is gone (Ready Unknown/False, or a stale heartbeat) the",
            "evictions are given up: its pods are force-deleted and the removal goes on.",
            ...(controlPlane ? ["Then removes its member from the stacked etcd (never this control plane's own, never the last)."] : []),
            `Ends within ${removalTimeBoundSeconds(input)} s once the API server answers. Idempotent: a re-run finishes a partial`,
            "removal. Runs as root over SSH on a control plane.",
        ],
        settings: [
            ...nodeApiSettings(input.nodeName),
            `readonly DRAIN_TIMEOUT_SECONDS=${input.drainTimeoutSeconds}`,
            `readonly READY_HEARTBEAT_STALE_SECONDS=${READY_HEARTBEAT_STALE_SECONDS}`,
        ],
        helpers: [HELPERS.waits, DRAIN_HELPERS, REMOVAL_HELPERS, ...(controlPlane ? [ETCD_MEMBER_HELPERS] : [])],
        body: bash`
main() {
  local found
  # An assignment, not a test: a failed lookup must stop the script, not read as "not found".
  found=$(find_node)
${controlPlane ? "  check_etcd_member_removable\n" : ""}  if [ -z "$found" ]; then
    log "node $NODE_NAME does not exist; nothing to drain or delete"
  else
    cordon_node
    drain_or_give_up
    delete_node_object
  fi
${controlPlane ? "  remove_etcd_member\n" : ""}  log "node $NODE_NAME removed from the cluster"
}

main "$@"`,
    });
}
