import { bash } from "./node-scripts-shell";

/**
 * The bash that finds a node and drains it, shared by every script that takes a node out of
 * service (removal, control-plane leave, upgrade and replacement maintenance).
 */

/** How long a script waits for the API server to answer. */
export const API_WAIT_SECONDS = 300;

/**
 * How much longer than its own `--timeout` `kubectl drain` may run before `timeout` stops it
 * (TERM), and how long after that before it is killed (KILL): a backstop for a kubectl that
 * hangs (a stalled API connection) past its own deadline. So one drain ends within
 * drainTimeoutSeconds + 2 * DRAIN_BACKSTOP_SECONDS.
 */
export const DRAIN_BACKSTOP_SECONDS = 5;

/**
 * Bash functions: find_node, cordon_node, drain_node, uncordon_node, cordon_and_drain. They need
 * `NODE_NAME`, `DRAIN_TIMEOUT_SECONDS`, `API_WAIT_SECONDS`, `ADMIN_CONF` and the helpers
 * HELPERS.messages (log, die), HELPERS.waits (wait_limit) and HELPERS.kubectl (kc).
 */
export const DRAIN_HELPERS = bash`
# find_node: prints the Node's name if it exists, nothing if it does not; retries (bounded)
# while the API server does not answer, so "not found" is never confused with "unreachable".
find_node() {
  local found deadline
  deadline=$((SECONDS + $(wait_limit "$API_WAIT_SECONDS")))
  until found=$(kc get node "$NODE_NAME" --ignore-not-found -o name); do
    [ "$SECONDS" -lt "$deadline" ] || die "the API server did not answer within $(wait_limit "$API_WAIT_SECONDS")s; node $NODE_NAME left as it is"
    sleep 5
  done
  printf '%s' "$found"
}

cordon_node() {
  kc cordon "$NODE_NAME" >&2 || die "cannot cordon node $NODE_NAME; nothing changed"
}

uncordon_node() {
  kc uncordon "$NODE_NAME" >&2 || log "uncordon failed too: run kubectl uncordon $NODE_NAME"
}

# drain_node: evicts the node's pods with the Eviction API, so PodDisruptionBudgets are respected
# (never --disable-eviction); returns non-zero when the drain did not finish in time. kubectl
# stops itself after --timeout; the outer timeout is a backstop in case kubectl hangs past it.
drain_node() {
  log "draining node $NODE_NAME (at most $DRAIN_TIMEOUT_SECONDS s)"
  timeout --kill-after=${DRAIN_BACKSTOP_SECONDS} "$((DRAIN_TIMEOUT_SECONDS + ${DRAIN_BACKSTOP_SECONDS}))" \
    kubectl --kubeconfig "$ADMIN_CONF" drain "$NODE_NAME" \
    --ignore-daemonsets --delete-emptydir-data --force --timeout="\${DRAIN_TIMEOUT_SECONDS}s" >&2
}

# cordon_and_drain: a drain that cannot finish in time is undone (uncordon) and the script fails,
# so the node goes back into service and nothing after the drain runs.
cordon_and_drain() {
  cordon_node
  if ! drain_node; then
    log "the drain of $NODE_NAME did not finish within $DRAIN_TIMEOUT_SECONDS s (a PodDisruptionBudget may block an eviction); uncordoning it"
    uncordon_node
    die "the drain of node $NODE_NAME failed; it is uncordoned and back in service, nothing else changed"
  fi
}`;
