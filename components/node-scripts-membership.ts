import {
    bash,
    HELPERS,
    NODE_PATHS,
    renderScript,
    rootedPath,
    shellQuote,
    SYSTEM_PATHS,
    TEST_ROOT_SETTING,
    validateNodeName,
    validatePositiveSeconds,
} from "./node-scripts-shell";
import { API_WAIT_SECONDS, DRAIN_HELPERS } from "./node-scripts-drain";

/**
 * Scripts that manage a node's membership from the control plane: minting its join token, and
 * removing it safely (cordon, PDB-respecting drain with a timeout, then delete).
 */

/** Bootstrap tokens live this long: enough for the join that follows at once, never left valid for long. */
export const JOIN_TOKEN_TTL = "15m";

const apiSettings = (nodeName: string) => [
    "umask 077",
    TEST_ROOT_SETTING,
    rootedPath("ADMIN_CONF", SYSTEM_PATHS.adminKubeconfig),
    `readonly NODE_NAME=${shellQuote(nodeName)}`,
    `readonly API_WAIT_SECONDS=${API_WAIT_SECONDS}`,
];

/**
 * Mints the bootstrap token for one joining node, on the first control plane (through
 * asRootCommand). Prints only the token on stdout. With `uploadCertificates`, first re-uploads
 * the control-plane certificates with the certificate key read from stdin.
 */
export function renderIssueJoinTokenScript(input: { readonly nodeName: string; readonly uploadCertificates: boolean }): string {
    validateNodeName(input.nodeName);
    const upload = input.uploadCertificates;
    return renderScript({
        name: "issue-join-token",
        purpose: [
            `Mints a ${JOIN_TOKEN_TTL} bootstrap token for node ${input.nodeName} at the moment it joins (so a node added weeks`,
            "later still gets a valid one, and no token stays valid for long) and prints only the token.",
            ...(upload ? ["First re-uploads the control-plane certificates (kubeadm deletes them after 2 h), encrypted", "with the certificate key on stdin."] : []),
            "Runs as root over SSH on the first control plane.",
        ],
        settings: [...apiSettings(input.nodeName), ...(upload ? [rootedPath("LOG_DIR", NODE_PATHS.logDir), 'readonly LOG="$LOG_DIR/kubeadm-upload-certs.log"'] : [])],
        helpers: [
            HELPERS.waits,
            HELPERS.kubectl,
            ...(upload
                ? [
                      HELPERS.kubeadmLogs,
                      bash`
# The key arrives on stdin, never on the command line (sudo logs that). Never echoed.
read_certificate_key() {
  local key=""
  IFS= read -r key || true
  key=\${key//[[:space:]]/}
  [[ $key =~ ^[0-9a-fA-F]{64}$ ]] || die "stdin must hold the certificate key: 64 hex digits (got \${#key} characters)"
  printf '%s' "$key"
}

# kubeadm deletes the kubeadm-certs Secret after 2 hours, so every control-plane join re-uploads it.
upload_certificates() {
  start_log "$LOG"
  if ! kubeadm init phase upload-certs --upload-certs --skip-certificate-key-print --certificate-key "$1" \
    --kubeconfig "$ADMIN_CONF" >>"$LOG" 2>&1; then
    print_redacted_tail "$LOG"
    die "kubeadm init phase upload-certs failed"
  fi
  log "control-plane certificates uploaded for $NODE_NAME (kubeadm deletes them in 2 h)"
}`,
                  ]
                : []),
        ],
        body: bash`
api_ready() { kc get --raw /readyz >/dev/null 2>&1; }

main() {
  local ${upload ? "key " : ""}token
${upload ? "  key=$(read_certificate_key)\n" : ""}  retry_for "$API_WAIT_SECONDS" api_ready || die "the API server did not answer /readyz within $(wait_limit "$API_WAIT_SECONDS")s"
${upload ? '  upload_certificates "$key"\n' : ""}  token=$(kubeadm token create --kubeconfig "$ADMIN_CONF" --ttl ${JOIN_TOKEN_TTL} --description "join $NODE_NAME") ||
    die "kubeadm token create failed"
  [[ $token =~ ^[a-z0-9]{6}\.[a-z0-9]{16}$ ]] || die "kubeadm token create printed something that is not a bootstrap token"
  log "${JOIN_TOKEN_TTL} bootstrap token created for $NODE_NAME"
  printf '%s\n' "$token"
}

main "$@"`,
    });
}

/**
 * Takes a control plane out of the cluster from the node itself (through asRootCommand), before
 * its membership's remove-node runs: drain, then `kubeadm reset -f`, which also removes its etcd
 * member.
 */
export function renderLeaveControlPlaneScript(input: { readonly nodeName: string; readonly drainTimeoutSeconds: number }): string {
    validateNodeName(input.nodeName);
    validatePositiveSeconds("drainTimeoutSeconds", input.drainTimeoutSeconds);
    return renderScript({
        name: "leave-control-plane",
        purpose: [
            `Takes control plane ${input.nodeName} out of the cluster, on the node itself: drain (as remove-node`,
            "does; a drain that cannot finish uncordons and fails), then kubeadm reset -f, which removes its",
            "etcd member. Idempotent: a node already reset is done. Runs as root over SSH.",
        ],
        settings: [
            ...apiSettings(input.nodeName),
            rootedPath("KUBELET_CONF", SYSTEM_PATHS.kubeletKubeconfig),
            rootedPath("LOG_DIR", NODE_PATHS.logDir),
            'readonly LOG="$LOG_DIR/kubeadm-reset.log"',
            `readonly DRAIN_TIMEOUT_SECONDS=${input.drainTimeoutSeconds}`,
        ],
        helpers: [HELPERS.waits, HELPERS.kubectl, HELPERS.kubeadmLogs, DRAIN_HELPERS],
        body: bash`
main() {
  local found
  if [ ! -f "$ADMIN_CONF" ] && [ ! -f "$KUBELET_CONF" ]; then
    log "this node was already reset; nothing to do"
    return 0
  fi
  if [ ! -f "$ADMIN_CONF" ]; then
    log "no admin kubeconfig here (a half-joined node?); resetting without a drain"
  else
    found=$(find_node)
    if [ -z "$found" ]; then
      log "node $NODE_NAME is not in the cluster; nothing to drain"
    else
      cordon_and_drain
    fi
  fi
  start_log "$LOG"
  if ! kubeadm reset -f >>"$LOG" 2>&1; then
    print_redacted_tail "$LOG"
    die "kubeadm reset -f failed; node $NODE_NAME stays cordoned"
  fi
  log "node $NODE_NAME drained and reset; its etcd member is removed"
}

main "$@"`,
    });
}
