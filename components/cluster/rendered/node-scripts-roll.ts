import { KubernetesRelease, kubernetesVersionTag } from "../../../config/kubernetes-release";
import { DRAIN_HELPERS, nodeApiSettings } from "./node-scripts-drain";
import { ETCD_BACKUP_COMMAND } from "./node-scripts-etcd-snapshot";
import { bash, HELPERS, renderScript, rootedPath, shellQuote, validateNodeName, validatePositiveSeconds } from "./node-scripts-shell";

/**
 * Rolling a change through the nodes one at a time (a new image or disk replaces a VM; a new
 * machine type stops and restarts it). Pulumi would change every VM at once; instead each node's
 * change is bracketed by two commands that share one cluster-wide Lease: roll-start takes the
 * Lease (waiting while another node holds it) and, for a change made in place, drains the node;
 * roll-finish waits for the node to be Ready again, uncordons it and hands the Lease back. A
 * replaced VM is drained by its membership's removal, inside the same bracket. The Lease lives
 * in the cluster, so it outlives any VM, and names no slot: scaling never touches it.
 */

/** The Lease (kube-system) that lets one node at a time change. */
export const ROLL_LEASE = "boutique-node-roll";

/** A holder that never hands the Lease back (its `up` was killed) loses it after this long. */
export const ROLL_LEASE_SECONDS = 3600;

const LEASE_HELPERS = bash`
now_micro() { date -u +%Y-%m-%dT%H:%M:%S.000000Z; }

# lease_manifest [resourceVersion]: the Lease naming this holder; with a version, for a replace
# that the API server applies only if the Lease is still at that version.
lease_manifest() {
  local version=""
  [ -z "\${1:-}" ] || version=$(printf '\n  resourceVersion: "%s"' "$1")
  cat <<EOF
apiVersion: coordination.k8s.io/v1
kind: Lease
metadata:
  name: ${ROLL_LEASE}
  namespace: kube-system$version
spec:
  holderIdentity: $HOLDER
  leaseDurationSeconds: ${ROLL_LEASE_SECONDS}
  acquireTime: $(now_micro)
  renewTime: $(now_micro)
EOF
}

# take_lease: creates the Lease naming this holder (create is atomic: exactly one holder wins).
# Succeeds when this holder has it (a re-run after a failure keeps it), takes over one whose
# holder has not renewed it for its duration, and fails (for retry_for) while another holds it.
take_lease() {
  local held holder renewed version
  # A here-string, not a pipe: with pipefail, a kubectl that answers before reading its stdin
  # would fail the writer (SIGPIPE) and read as a refusal.
  if kc_bounded create -f - >/dev/null 2>&1 <<<"$(lease_manifest)"; then
    log "took the roll lease for $HOLDER"
    return 0
  fi
  held=$(kc_bounded -n kube-system get lease ${ROLL_LEASE} --ignore-not-found -o 'jsonpath={.spec.holderIdentity} {.spec.renewTime} {.metadata.resourceVersion}') || return 1
  [ -n "$held" ] || return 1
  read -r holder renewed version <<<"$held"
  [ "$holder" != "$HOLDER" ] || return 0
  if [ "$(($(date -u +%s) - $(date -u -d "$renewed" +%s 2>/dev/null || echo 0)))" -gt ${ROLL_LEASE_SECONDS} ]; then
    # Compare-and-swap on the version read: of two waiters taking over the same expired Lease,
    # the API server lets one replace it; the other gets a Conflict and keeps waiting.
    if kc_bounded replace -f - >/dev/null 2>&1 <<<"$(lease_manifest "$version")"; then
      log "took over the roll lease from $holder, who had not renewed it since $renewed"
      return 0
    fi
    return 1
  fi
  [ "$holder" = "\${LAST_SEEN_HOLDER:-}" ] || log "waiting for the roll lease: $holder is changing"
  LAST_SEEN_HOLDER=$holder
  return 1
}

# give_lease_back: deletes the Lease if this holder has it; another holder's is left alone.
give_lease_back() {
  local holder
  holder=$(kc_bounded -n kube-system get lease ${ROLL_LEASE} --ignore-not-found -o 'jsonpath={.spec.holderIdentity}') ||
    die "could not read the roll lease; it expires by itself in ${ROLL_LEASE_SECONDS}s"
  if [ "$holder" = "$HOLDER" ]; then
    kc_bounded -n kube-system delete lease ${ROLL_LEASE} >/dev/null || die "could not give the roll lease back; it expires by itself in ${ROLL_LEASE_SECONDS}s"
    log "gave the roll lease back"
  fi
}`;

function settings(nodeName: string): string[] {
    return [...nodeApiSettings(nodeName), `readonly HOLDER=${shellQuote(nodeName)}`, "LAST_SEEN_HOLDER=''"];
}

/** What a node is made of, as the scripts name it: a change of it re-runs them (their text changes). */
export interface NodeTemplate {
    readonly image: string;
    readonly diskSizeGb: number;
    readonly machineType: string;
    /** The release its kubelet runs: an upgrade rolls through the nodes like any other change. */
    readonly kubernetesVersion: KubernetesRelease;
}

function describeTemplate(template: NodeTemplate): string {
    const text = `image ${template.image}, ${template.diskSizeGb} GB disk, machine type ${template.machineType}, Kubernetes ${kubernetesVersionTag(template.kubernetesVersion)}`;
    if (!/^[A-Za-z0-9 ,./_-]+$/.test(text)) throw new Error(`node template ${JSON.stringify(text)} has characters a script comment cannot hold`);
    return text;
}

export interface RollStartInput {
    readonly nodeName: string;
    readonly template: NodeTemplate;
    /**
     * A lone control plane: snapshot etcd (the installed backup command) before its VM changes, so a
     * replacement restores the state of that moment, not of the last scheduled backup.
     */
    readonly snapshotFirst?: boolean;
    readonly drainTimeoutSeconds: number;
    /** How long to wait for the other nodes' changes before giving up. */
    readonly waitSeconds: number;
}

/** Takes the roll lease for one node (run on a control plane, before the node's VM changes). */
export function renderRollStartScript(input: RollStartInput): string {
    validateNodeName(input.nodeName);
    validatePositiveSeconds("drainTimeoutSeconds", input.drainTimeoutSeconds);
    validatePositiveSeconds("waitSeconds", input.waitSeconds);
    return renderScript({
        name: "roll-start",
        purpose: [
            `Before node ${input.nodeName}'s VM changes: waits for the cluster-wide roll lease (one node changes at a time),`,
            "takes it, then cordons and drains the node (PodDisruptionBudgets respected; a replaced VM's removal then finds",
            "it drained). Runs as root over SSH on a control plane.",
            `The node's template: ${describeTemplate(input.template)}.`,
        ],
        settings: [
            ...settings(input.nodeName),
            `readonly DRAIN_TIMEOUT_SECONDS=${input.drainTimeoutSeconds} WAIT_SECONDS=${input.waitSeconds}`,
            `readonly SNAPSHOT_FIRST=${input.snapshotFirst ? 1 : 0}`,
            rootedPath("ETCD_BACKUP", ETCD_BACKUP_COMMAND),
        ],
        helpers: [HELPERS.waits, DRAIN_HELPERS, LEASE_HELPERS],
        body: bash`
main() {
  retry_for "$WAIT_SECONDS" take_lease || die "$NODE_NAME: step 'take the roll lease' failed: another node held it for $(wait_limit "$WAIT_SECONDS")s"
  if [ "$SNAPSHOT_FIRST" = 1 ] && { [ ! -x "$ETCD_BACKUP" ] || ! "$ETCD_BACKUP" pre-change >&2; }; then
    give_lease_back
    die "$NODE_NAME: step 'snapshot etcd' failed (\${ETCD_BACKUP#"$ROOT"} pre-change); the VM is left unchanged, as a replacement would restore an older backup"
  fi
  if [ -n "$(find_node)" ]; then
    cordon_node
    if ! drain_node; then
      uncordon_node
      give_lease_back
      die "$NODE_NAME: step 'drain' failed within $DRAIN_TIMEOUT_SECONDS s; the node is back in service and its VM unchanged"
    fi
  fi
  log "$NODE_NAME may change now"
}

main "$@"`,
    });
}

/** After one node's VM changed: waits for it to be Ready, uncordons it and gives the roll lease back (run on a control plane). */
export function renderRollFinishScript(input: { readonly nodeName: string; readonly template: NodeTemplate; readonly readyWaitSeconds: number }): string {
    validateNodeName(input.nodeName);
    validatePositiveSeconds("readyWaitSeconds", input.readyWaitSeconds);
    return renderScript({
        name: "roll-finish",
        purpose: [
            `After node ${input.nodeName}'s VM changed: waits until the node is Ready, uncordons it and gives the roll lease back,`,
            "so the next node may change. A node that does not come back keeps the lease (nothing else changes) and fails.",
            "Runs as root over SSH on a control plane.",
            `The node's template: ${describeTemplate(input.template)}.`,
        ],
        settings: [
            ...settings(input.nodeName),
            `readonly READY_WAIT_SECONDS=${input.readyWaitSeconds}`,
            `readonly KUBELET_RELEASE=${shellQuote(kubernetesVersionTag(input.template.kubernetesVersion))}`,
        ],
        helpers: [HELPERS.waits, DRAIN_HELPERS, LEASE_HELPERS],
        body: bash`
# Ready, with the template's kubelet (an upgraded or replaced node reports the new release).
node_ready() {
  [ "$(kc_bounded get node "$NODE_NAME" --ignore-not-found -o 'jsonpath={.status.conditions[?(@.type=="Ready")].status} {.status.nodeInfo.kubeletVersion}')" = "True $KUBELET_RELEASE" ]
}

main() {
  retry_for "$READY_WAIT_SECONDS" node_ready ||
    die "$NODE_NAME: step 'wait for Ready' failed: not Ready with kubelet $KUBELET_RELEASE within $(wait_limit "$READY_WAIT_SECONDS")s; it keeps the roll lease so no other node changes (it expires in ${ROLL_LEASE_SECONDS}s)"
  kc_bounded uncordon "$NODE_NAME" >&2 || die "$NODE_NAME: step 'uncordon' failed"
  give_lease_back
  log "$NODE_NAME is Ready and in service"
}

main "$@"`,
    });
}
