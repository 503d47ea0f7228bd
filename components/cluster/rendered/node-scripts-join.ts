import { BOOTSTRAP_TOKEN_PLACEHOLDER } from "./kubeadm-config";
import { INSTALL_FILES_FROM_STDIN } from "./node-files";
import { PREPARED_NODE_WAIT_SETTINGS, WAIT_FOR_PREPARED_NODE } from "./node-scripts-prepare-status";
import { bash, HELPERS, NODE_PATHS, renderScript, rootedPath, shellQuote, SYSTEM_PATHS, TEST_ROOT_SETTING, validateNodeName } from "./node-scripts-shell";

/**
 * Joining a node: every attempt mints its own 15-minute bootstrap token at the moment it joins,
 * so a join that failed is simply run again by the next `up` (a token minted by an earlier,
 * separate step would have expired or been deleted by then). Workers are joined from a control
 * plane, which mints the token and runs the node's part over SSH; control planes join
 * themselves (node-scripts-control-plane.ts) with the program's PKI and a token they mint.
 */

/** Bootstrap tokens live this long: enough for the join that follows at once, never left valid for long. */
export const JOIN_TOKEN_TTL = "15m";

/** How long a join waits for the node's preparation (apt installs on a fresh VM, retried by its unit). */
export const NODE_PREPARED_WAIT_SECONDS = 900;

/** Files the join scripts agree on. */
export const JOIN_PATHS = {
    /** The JoinConfiguration with BOOTSTRAP_TOKEN_PLACEHOLDER where the attempt's token goes. */
    joinConfig: "/etc/kubernetes/boutique/kubeadm-join.yaml",
    /** The attempt's token on the joining node (tmpfs; deleted when the attempt ends). */
    token: "/run/boutique/bootstrap-token",
    /** Where a control plane keeps a worker join's key and the node's bundle during the attempt (tmpfs). */
    relayDir: "/run/boutique/join",
} as const;

/** How long a worker join waits for the new VM's sshd (a fresh VM takes a minute or two). */
export const NODE_SSH_WAIT_SECONDS = 600;

/** How long the control plane waits for the Node object after a successful `kubeadm join`. */
export const NODE_REGISTER_WAIT_SECONDS = 120;

/**
 * `join_with_token <token>`: kubeadm join with the attempt's token put in place of the
 * placeholder, in a root-only copy (JOIN_CONFIG_COPY) that is removed afterwards; a script that
 * includes this removes it on EXIT too, in case it dies first. The token never reaches an
 * argument, which any local user reads in `ps`: bash substitutes it, printf (a builtin) writes it.
 * A failed join prints a redacted log tail and resets the node, so the next attempt starts clean.
 */
export const JOIN_WITH_TOKEN = bash`
JOIN_CONFIG_COPY=''

join_with_token() {
  local template
  [[ $1 =~ ^[a-z0-9]{6}\.[a-z0-9]{16}$ ]] || die "$NODE_NAME: no valid bootstrap token for this attempt"
  template=$(<"$KUBEADM_JOIN_CONFIG") || die "$NODE_NAME: cannot read the join config"
  [[ $template == *${BOOTSTRAP_TOKEN_PLACEHOLDER}* ]] || die "$NODE_NAME: the join config has no token placeholder"
  # mktemp creates it 0600.
  JOIN_CONFIG_COPY=$(mktemp "$(dirname "$KUBEADM_JOIN_CONFIG")/.join.XXXXXX") || die "cannot create a temp file for the join config"
  # Quoted, so bash takes the replacement literally (an unquoted & would stand for the match).
  printf '%s\n' "\${template//${BOOTSTRAP_TOKEN_PLACEHOLDER}/"$1"}" >"$JOIN_CONFIG_COPY"
  start_log "$LOG"
  log "$NODE_NAME: running kubeadm join (full output in \${LOG#"$ROOT"})"
  if ! kubeadm join --config "$JOIN_CONFIG_COPY" >>"$LOG" 2>&1; then
    rm -f "$JOIN_CONFIG_COPY"
    log "$NODE_NAME: kubeadm join failed; the end of its log, secrets redacted:"
    print_redacted_tail "$LOG"
    # A half-joined node (kubelet.conf written, or an etcd member added) would block a retry.
    kubeadm reset -f >>"$LOG" 2>&1 || log "kubeadm reset -f failed too; see \${LOG#"$ROOT"}"
    die "$NODE_NAME: step 'kubeadm join' failed (node reset; the next up retries with a new token)"
  fi
  rm -f "$JOIN_CONFIG_COPY"
}`;

/** The node's part of a worker join, run as root on the worker over SSH from a control plane (stdin: its bundle, then the token file). */
export function renderJoinNodeScript(input: { readonly nodeName: string }): string {
    validateNodeName(input.nodeName);
    return renderScript({
        name: "join-node",
        purpose: [
            `Joins ${input.nodeName} with the JoinConfiguration and the attempt's token on stdin. Run as root over SSH`,
            "from a control plane, which minted the token for this attempt. A failed join is reset so that a",
            "retry starts clean; kubeadm's output (it holds secrets) goes to a root-only log.",
        ],
        settings: [
            "umask 077",
            TEST_ROOT_SETTING,
            `readonly NODE_NAME=${shellQuote(input.nodeName)}`,
            rootedPath("KUBEADM_JOIN_CONFIG", JOIN_PATHS.joinConfig),
            rootedPath("TOKEN_FILE", JOIN_PATHS.token),
            rootedPath("PREPARED", NODE_PATHS.prepared),
            ...PREPARED_NODE_WAIT_SETTINGS,
            rootedPath("KUBELET_CONF", SYSTEM_PATHS.kubeletKubeconfig),
            rootedPath("LOG_DIR", NODE_PATHS.logDir),
            'readonly LOG="$LOG_DIR/kubeadm-join.log"',
            `readonly PREPARED_WAIT_SECONDS=${NODE_PREPARED_WAIT_SECONDS}`,
        ],
        helpers: [INSTALL_FILES_FROM_STDIN, HELPERS.waits, WAIT_FOR_PREPARED_NODE, HELPERS.kubeadmLogs, JOIN_WITH_TOKEN],
        body: bash`
main() {
  if [ -f "$KUBELET_CONF" ]; then
    cat >/dev/null
    log "$NODE_NAME already joined (\${KUBELET_CONF#"$ROOT"} exists); nothing to do"
    return 0
  fi
  trap 'rm -f "$TOKEN_FILE" "$JOIN_CONFIG_COPY"' EXIT
  BUNDLE_ROOT="$ROOT" install_files_from_stdin || die "$NODE_NAME: could not install the files from stdin"
  [ -f "$KUBEADM_JOIN_CONFIG" ] || die "$NODE_NAME: the files on stdin had no join config"
  [ -f "$TOKEN_FILE" ] || die "$NODE_NAME: the files on stdin had no bootstrap token"
  wait_for_prepared_node
  join_with_token "$(cat "$TOKEN_FILE")"
  log "$NODE_NAME joined the cluster (log: \${LOG#"$ROOT"})"
}

main "$@"`,
    });
}

/**
 * A worker's join, run as root on a control plane (stdin: a bundle with the join key and the
 * node's own bundle). Mints a token for this attempt, runs renderJoinNodeScript on the worker over
 * SSH inside the VPC, and deletes the token when the attempt ends, whatever its outcome.
 */
export function renderJoinWorkerScript(input: { readonly nodeName: string; readonly nodeAddress: string; readonly sshUser: string }): string {
    validateNodeName(input.nodeName);
    if (!/^[0-9.]+$/.test(input.nodeAddress)) throw new Error(`nodeAddress ${JSON.stringify(input.nodeAddress)} must be an IPv4 address`);
    if (!/^[a-z_][a-z0-9_-]*$/.test(input.sshUser)) throw new Error(`sshUser ${JSON.stringify(input.sshUser)} must be a POSIX user name`);
    const nodeScript = renderJoinNodeScript({ nodeName: input.nodeName });
    if (nodeScript.includes("NODE_JOIN_SCRIPT")) throw new Error("the node's join script contains its own here-document delimiter");
    return renderScript({
        name: "join-worker",
        purpose: [
            `Joins worker ${input.nodeName} (${input.nodeAddress}) from this control plane: mints a ${JOIN_TOKEN_TTL} token for`,
            "this attempt only, runs the node's join over SSH, and deletes the token afterwards. Re-running it",
            "after a failure is a new attempt with a new token; on a node already in the cluster it does nothing.",
        ],
        settings: [
            "umask 077",
            TEST_ROOT_SETTING,
            rootedPath("ADMIN_CONF", SYSTEM_PATHS.adminKubeconfig),
            `readonly NODE_NAME=${shellQuote(input.nodeName)}`,
            `readonly NODE_ADDRESS=${shellQuote(input.nodeAddress)}`,
            `readonly SSH_USER=${shellQuote(input.sshUser)}`,
            rootedPath("WORK", `${JOIN_PATHS.relayDir}/${input.nodeName}`),
            `readonly API_WAIT_SECONDS=300 SSH_WAIT_SECONDS=${NODE_SSH_WAIT_SECONDS} REGISTER_WAIT_SECONDS=${NODE_REGISTER_WAIT_SECONDS}`,
            `readonly TOKEN_PATH=${shellQuote(JOIN_PATHS.token)}`,
            "TOKEN_ID=''",
            `NODE_JOIN_SCRIPT=$(cat <<'NODE_JOIN_SCRIPT'\n${nodeScript}NODE_JOIN_SCRIPT\n)`,
            "readonly NODE_JOIN_SCRIPT",
        ],
        helpers: [
            INSTALL_FILES_FROM_STDIN,
            HELPERS.waits,
            HELPERS.kubectl,
            bash`
cleanup() {
  if [ -n "$TOKEN_ID" ]; then
    kubeadm token delete --kubeconfig "$ADMIN_CONF" "$TOKEN_ID" >/dev/null 2>&1 || log "could not delete this attempt's token $TOKEN_ID (it expires in ${JOIN_TOKEN_TTL})"
  fi
  rm -rf "$WORK"
}

api_ready() { kc get --raw /readyz >/dev/null 2>&1; }

# Ready: its kubelet has joined and reports. A Node that exists but is not Ready may be a
# predecessor's leftover, so the node itself is asked (its join script checks kubelet.conf).
node_ready() {
  [ "$(kc get node "$NODE_NAME" --ignore-not-found -o 'jsonpath={.status.conditions[?(@.type=="Ready")].status}')" = True ]
}
node_registered() { [ -n "$(kc get node "$NODE_NAME" --ignore-not-found -o name)" ]; }

# Inside the VPC, with the join key (authorized on workers only). Each attempt trusts the host key
# it first sees, as the program's own SSH connections do; nothing is remembered between attempts.
node_ssh() {
  ssh -i "$WORK/ssh-key" -o BatchMode=yes -o StrictHostKeyChecking=accept-new -o UserKnownHostsFile="$WORK/known_hosts" \
    -o ConnectTimeout=10 -o ServerAliveInterval=15 "$SSH_USER@$NODE_ADDRESS" "$@"
}
ssh_ready() { node_ssh true 2>/dev/null; }`,
        ],
        body: bash`
main() {
  local token
  trap cleanup EXIT
  install -d -m 0700 "$WORK"
  BUNDLE_ROOT="$ROOT" install_files_from_stdin || die "$NODE_NAME: could not install the files from stdin"
  if [ ! -f "$WORK/ssh-key" ] || [ ! -f "$WORK/node-bundle" ]; then
    die "$NODE_NAME: stdin must hold the join key and the node's bundle"
  fi
  retry_for "$API_WAIT_SECONDS" api_ready || die "$NODE_NAME: step 'reach the API server' failed: no answer to /readyz within $(wait_limit "$API_WAIT_SECONDS")s"
  if node_ready; then
    log "$NODE_NAME is already a Ready node of the cluster; nothing to do"
    return 0
  fi
  retry_for "$SSH_WAIT_SECONDS" ssh_ready ||
    die "$NODE_NAME: step 'reach the node over SSH' failed: $NODE_ADDRESS:22 did not accept the join key within $(wait_limit "$SSH_WAIT_SECONDS")s"
  token=$(kubeadm token create --kubeconfig "$ADMIN_CONF" --ttl ${JOIN_TOKEN_TTL} --description "join $NODE_NAME") ||
    die "$NODE_NAME: step 'mint a join token' failed (kubeadm token create)"
  [[ $token =~ ^[a-z0-9]{6}\.[a-z0-9]{16}$ ]] || die "$NODE_NAME: kubeadm token create printed something that is not a bootstrap token"
  TOKEN_ID=\${token%%.*}
  log "$NODE_NAME: ${JOIN_TOKEN_TTL} token $TOKEN_ID minted for this attempt"
  if ! { cat "$WORK/node-bundle" && printf '0600 %s %s\n' "$TOKEN_PATH" "$(printf '%s' "$token" | base64 -w0)"; } |
    node_ssh "sudo -n bash -c $(printf '%q' "$NODE_JOIN_SCRIPT") boutique-join-node"; then
    die "$NODE_NAME: the join failed on the node (its messages above); the next up retries with a new token"
  fi
  retry_for "$REGISTER_WAIT_SECONDS" node_registered ||
    die "$NODE_NAME: step 'register the Node' failed: kubeadm join succeeded but no Node $NODE_NAME appeared within $(wait_limit "$REGISTER_WAIT_SECONDS")s"
  log "$NODE_NAME joined the cluster (its token is deleted on exit)"
}

main "$@"`,
    });
}
