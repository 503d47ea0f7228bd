import { bash, rootedPath, shellQuote, SYSTEM_PATHS, TEST_ROOT_SETTING } from "./node-scripts-shell";

/**
 * The bash that finds a node and drains it, shared by every script that takes a node out of
 * service (removal, a control plane's own upgrade, and the rolls around a node's change).
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
 * How long one kubectl call of these helpers may take before `timeout` stops it (plus 2 s to
 * KILL): an API server that accepts connections but never answers must not hang a script whose
 * total time is promised (see removalTimeBoundSeconds).
 */
export const KUBECTL_CALL_SECONDS = 20;

/** What one bounded kubectl call (kc_bounded) can take at most, in seconds. */
export const KUBECTL_CALL_BOUND_SECONDS = KUBECTL_CALL_SECONDS + 2;

/** The settings DRAIN_HELPERS needs, except DRAIN_TIMEOUT_SECONDS (only drains need it). */
export function nodeApiSettings(nodeName: string): string[] {
    return [
        "umask 077",
        TEST_ROOT_SETTING,
        rootedPath("ADMIN_CONF", SYSTEM_PATHS.adminKubeconfig),
        `readonly NODE_NAME=${shellQuote(nodeName)}`,
        `readonly API_WAIT_SECONDS=${API_WAIT_SECONDS}`,
    ];
}

/**
 * Bash functions: kc_bounded, find_node, cordon_node, drain_node, uncordon_node, cordon_and_drain. They need
 * `NODE_NAME`, `DRAIN_TIMEOUT_SECONDS`, `API_WAIT_SECONDS`, `ADMIN_CONF` (nodeApiSettings +
 * the drain timeout) and the helpers HELPERS.messages (log, die) and HELPERS.waits (wait_limit).
 * Every kubectl call is bounded: one drain takes at most drainTimeoutSeconds +
 * 2 * DRAIN_BACKSTOP_SECONDS, any other call KUBECTL_CALL_BOUND_SECONDS.
 */
export const DRAIN_HELPERS = bash`
# kc_bounded: one kubectl call that cannot hang the script (see KUBECTL_CALL_SECONDS).
kc_bounded() {
  timeout --kill-after=2 ${KUBECTL_CALL_SECONDS} kubectl --kubeconfig "$ADMIN_CONF" "$@"
}

# find_node: prints the Node's name if it exists, nothing if it does not; retries (bounded)
# while the API server does not answer, so "not found" is never confused with "unreachable".
find_node() {
  local found deadline
  deadline=$((SECONDS + $(wait_limit "$API_WAIT_SECONDS")))
  until found=$(kc_bounded get node "$NODE_NAME" --ignore-not-found -o name); do
    [ "$SECONDS" -lt "$deadline" ] || die "the API server did not answer within $(wait_limit "$API_WAIT_SECONDS")s; node $NODE_NAME left as it is"
    sleep 5
  done
  printf '%s' "$found"
}

cordon_node() {
  kc_bounded cordon "$NODE_NAME" >&2 || die "cannot cordon node $NODE_NAME; nothing changed"
}

uncordon_node() {
  kc_bounded uncordon "$NODE_NAME" >&2 || log "uncordon failed too: run kubectl uncordon $NODE_NAME"
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
