import { DRAIN_HELPERS, nodeApiSettings } from "./node-scripts-drain";
import { bash, HELPERS, renderScript, shellQuote, validateNodeName, validatePositiveSeconds } from "./node-scripts-shell";

/**
 * Taking a node out of service and back for upgrades and replacements, on a control plane with
 * admin.conf: unlike removal, the node is expected to come back, so nothing is ever forced.
 */

/** An exact kubelet version as the Node reports it in status.nodeInfo.kubeletVersion. */
const KUBELET_VERSION = /^v1\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)$/;

/**
 * Cordons a node and drains it (PodDisruptionBudgets respected, with the timeout), on a control
 * plane (through asRootCommand). A drain that cannot finish uncordons the node and fails; a node
 * that does not exist is an error (maintenance of a node nobody can find is a mistake upstream).
 */
export function renderCordonAndDrainScript(input: { readonly nodeName: string; readonly drainTimeoutSeconds: number }): string {
    validateNodeName(input.nodeName);
    validatePositiveSeconds("drainTimeoutSeconds", input.drainTimeoutSeconds);
    return renderScript({
        name: "cordon-and-drain",
        purpose: [
            `Takes node ${input.nodeName} out of service for maintenance: cordon, then drain (evictions respect`,
            `PodDisruptionBudgets; at most ${input.drainTimeoutSeconds} s). A drain that cannot finish uncordons the node and fails.`,
            "Runs as root over SSH on a control plane.",
        ],
        settings: [...nodeApiSettings(input.nodeName), `readonly DRAIN_TIMEOUT_SECONDS=${input.drainTimeoutSeconds}`],
        helpers: [HELPERS.waits, DRAIN_HELPERS],
        body: bash`
main() {
  local found
  found=$(find_node)
  [ -n "$found" ] || die "node $NODE_NAME does not exist; nothing to drain"
  cordon_and_drain
  log "node $NODE_NAME cordoned and drained"
}

main "$@"`,
    });
}

/**
 * Waits until a node is Ready (and, with `kubeletVersion`, runs exactly that kubelet), then
 * uncordons it, on a control plane (through asRootCommand). Fails without uncordoning when the
 * node does not get there within `readyWaitSeconds`: an upgraded node that is not healthy must
 * not take pods.
 */
export function renderUncordonScript(input: { readonly nodeName: string; readonly kubeletVersion?: string; readonly readyWaitSeconds: number }): string {
    validateNodeName(input.nodeName);
    validatePositiveSeconds("readyWaitSeconds", input.readyWaitSeconds);
    const version = input.kubeletVersion;
    if (version !== undefined && !KUBELET_VERSION.test(version)) {
        throw new Error(`kubeletVersion ${JSON.stringify(version)} must be an exact kubelet version such as "v1.32.4" (as in status.nodeInfo.kubeletVersion)`);
    }
    const wanted = version === undefined ? "Ready" : `Ready with kubelet ${version}`;
    return renderScript({
        name: "uncordon",
        purpose: [
            `Puts node ${input.nodeName} back into service after maintenance: waits (at most ${input.readyWaitSeconds} s) until it is ${wanted},`,
            "then uncordons it. Fails, leaving it cordoned, when it does not get there in time.",
            "Runs as root over SSH on a control plane.",
        ],
        settings: [
            ...nodeApiSettings(input.nodeName),
            `readonly READY_WAIT_SECONDS=${input.readyWaitSeconds}`,
            `readonly WANTED_KUBELET_VERSION=${shellQuote(version ?? "")}`,
        ],
        helpers: [
            HELPERS.waits,
            DRAIN_HELPERS,
            bash`
LAST_SEEN="nothing (the API server did not answer)"

# node_back: the Ready condition is True and, when a version is wanted, the kubelet reports it.
node_back() {
  local state ready version
  state=$(kc_bounded get node "$NODE_NAME" -o jsonpath='{.status.conditions[?(@.type=="Ready")].status}{" "}{.status.nodeInfo.kubeletVersion}') || return 1
  read -r ready version <<<"$state" || true
  LAST_SEEN="Ready \${ready:-not reported}, kubelet \${version:-not reported}"
  [ "$ready" = True ] || return 1
  [ -z "$WANTED_KUBELET_VERSION" ] || [ "$version" = "$WANTED_KUBELET_VERSION" ]
}`,
        ],
        body: bash`
main() {
  local found
  found=$(find_node)
  [ -n "$found" ] || die "node $NODE_NAME does not exist; nothing to uncordon"
  retry_for "$READY_WAIT_SECONDS" node_back ||
    die "node $NODE_NAME was not ${wanted} within $(wait_limit "$READY_WAIT_SECONDS")s (last seen: $LAST_SEEN); it stays cordoned"
  kc_bounded uncordon "$NODE_NAME" >&2 || die "node $NODE_NAME is ${wanted} but could not be uncordoned"
  log "node $NODE_NAME is ${wanted} and uncordoned"
}

main "$@"`,
    });
}
