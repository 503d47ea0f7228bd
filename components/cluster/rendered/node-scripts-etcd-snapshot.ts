import { ETCD_PKI_DIR } from "./node-scripts-etcd-member";
import { bash, rootedPath, shellQuote, validateNodeName } from "./node-scripts-shell";

/**
 * What the etcd backup and restore scripts share: where kubeadm's stacked etcd keeps things,
 * how to read its static pod manifest, and how to run etcd's own tools (from the running etcd
 * container, so the client always matches the server).
 */

/** Installed on every control plane; the upgrade script runs `${ETCD_BACKUP_COMMAND} pre-upgrade`. */
export const ETCD_BACKUP_COMMAND = "/usr/local/sbin/boutique-etcd-backup";
export const ETCD_RESTORE_COMMAND = "/usr/local/sbin/boutique-etcd-restore";

/** Work files (downloads, restores in progress) and the lock backup and restore share. */
export const ETCD_BACKUP_STATE_DIR = "/var/lib/boutique/etcd-backup";
/** Where a restore parks the control plane's static pod manifests while it swaps the data. */
export const MANIFESTS_ASIDE_DIR = "/etc/kubernetes/boutique/manifests-stopped-for-restore";

/** What the scripts name objects by: `<cluster>/<node>/<UTC timestamp>-<reason>.db`. */
export interface EtcdBackupNames {
    readonly clusterName: string;
    /** This control plane's node name (kubeadm's etcd member name). */
    readonly nodeName: string;
}

function validateBackupNames(names: EtcdBackupNames): void {
    validateNodeName(names.clusterName);
    validateNodeName(names.nodeName);
}

/** Settings both scripts start with (after TEST_ROOT_SETTING). */
export function etcdSettings(names: EtcdBackupNames): string[] {
    validateBackupNames(names);
    return [
        `readonly CLUSTER_NAME=${shellQuote(names.clusterName)}`,
        `readonly NODE_NAME=${shellQuote(names.nodeName)}`,
        rootedPath("MANIFESTS", "/etc/kubernetes/manifests"),
        rootedPath("MANIFESTS_ASIDE", MANIFESTS_ASIDE_DIR),
        `readonly STATE_PATH=${shellQuote(ETCD_BACKUP_STATE_DIR)}`,
        `readonly STATE_DIR="$ROOT$STATE_PATH"`,
        bash`
# The client certificate kubeadm issues for etcd health checks, as the etcd container sees it
# (the pod mounts /etc/kubernetes/pki/etcd from the host).
readonly ETCD_CA=${ETCD_PKI_DIR}/ca.crt
readonly ETCD_CERT=${ETCD_PKI_DIR}/healthcheck-client.crt
readonly ETCD_KEY=${ETCD_PKI_DIR}/healthcheck-client.key`.trim(),
    ];
}

/**
 * Bash helpers: `snapshot_tool <runner...>` (etcdutl or etcdctl, whichever the image has) and
 * `snapshot_summary <status json>`.
 */
export const SNAPSHOT_TOOL_HELPERS = bash`
# snapshot_tool <runner...>: etcdutl where the image ships it (etcd's own 3.6 images), else
# etcdctl (registry.k8s.io's 3.5 images ship only etcd and etcdctl, whose snapshot commands
# still work there; 3.6 removed them from etcdctl).
snapshot_tool() {
  if "$@" etcdutl version >/dev/null 2>&1; then echo etcdutl; else echo etcdctl; fi
}

# snapshot_summary <status json>: "revision R, K keys", or fails on an answer without them.
snapshot_summary() {
  local revision keys
  revision=$(sed -n 's/.*"revision":[[:space:]]*\([0-9]*\).*/\1/p' <<<"$1")
  keys=$(sed -n 's/.*"totalKey":[[:space:]]*\([0-9]*\).*/\1/p' <<<"$1")
  [ -n "$revision" ] && [ -n "$keys" ] || return 1
  echo "revision $revision, $keys keys"
}`;

/** Bash helpers over the etcd static pod (and SNAPSHOT_TOOL_HELPERS); they need HELPERS.messages and HELPERS.waits. */
export const ETCD_HELPERS = bash`
# One backup or restore at a time on a node (the timer, an upgrade's pre-upgrade backup, a restore).
take_lock() {
  install -d -m 0700 "$STATE_DIR"
  exec 9>"$STATE_DIR/lock"
  flock -w "$(wait_limit 900)" 9 || die "another etcd backup or restore still holds \${STATE_DIR#"$ROOT"}/lock"
}

# The static pod manifest: in place, or parked by a restore that stopped halfway.
etcd_manifest() {
  if [ -f "$MANIFESTS/etcd.yaml" ]; then
    echo "$MANIFESTS/etcd.yaml"
  elif [ -f "$MANIFESTS_ASIDE/etcd.yaml" ]; then
    echo "$MANIFESTS_ASIDE/etcd.yaml"
  else
    die "no etcd static pod manifest in \${MANIFESTS#"$ROOT"} or \${MANIFESTS_ASIDE#"$ROOT"}: is this a control plane?"
  fi
}

# manifest_flag <manifest> <flag>: the value of "- --<flag>=<value>" in the etcd command.
manifest_flag() { sed -n "s/^[[:space:]]*- --$2=\(.*\)$/\1/p" "$1" | head -n 1; }

# Reads what kubeadm chose for this member: ETCD_NAME, ETCD_DATA_DIR, ETCD_PEER_URL,
# ETCD_ENDPOINT (the loopback client URL) and ETCD_IMAGE. The manifest is the truth the
# kubelet runs, so a restore recreates exactly the member it describes.
read_etcd_manifest() {
  local manifest
  manifest=$(etcd_manifest)
  ETCD_NAME=$(manifest_flag "$manifest" name)
  ETCD_DATA_DIR=$(manifest_flag "$manifest" data-dir)
  ETCD_PEER_URL=$(manifest_flag "$manifest" initial-advertise-peer-urls)
  ETCD_ENDPOINT=$(manifest_flag "$manifest" listen-client-urls | tr ',' '\n' | grep -m 1 '^https\{0,1\}://127\.0\.0\.1:[0-9]*$' || true)
  ETCD_IMAGE=$(sed -n 's/^[[:space:]]*image:[[:space:]]*\([^[:space:]]*\)[[:space:]]*$/\1/p' "$manifest" | head -n 1)
  [[ $ETCD_NAME =~ ^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$ ]] || die "\${manifest#"$ROOT"}: no usable --name ('$ETCD_NAME')"
  [[ $ETCD_DATA_DIR =~ ^/[A-Za-z0-9._/-]+$ && $ETCD_DATA_DIR != *..* ]] || die "\${manifest#"$ROOT"}: no usable --data-dir ('$ETCD_DATA_DIR')"
  [[ $ETCD_PEER_URL =~ ^https?://[0-9.]+:[0-9]+$ ]] || die "\${manifest#"$ROOT"}: no single --initial-advertise-peer-urls ('$ETCD_PEER_URL')"
  [ -n "$ETCD_ENDPOINT" ] || die "\${manifest#"$ROOT"}: --listen-client-urls has no loopback URL"
  [[ $ETCD_IMAGE =~ ^[A-Za-z0-9./:@_-]+$ ]] || die "\${manifest#"$ROOT"}: no usable image ('$ETCD_IMAGE')"
}

# The running etcd container of the static pod (empty when etcd is down).
etcd_container() { crictl ps --name '^etcd$' --state running -q 2>/dev/null | head -n 1 || true; }

# etcdctl_in <container> <args...>: etcdctl of the running etcd image, over TLS on loopback.
etcdctl_in() {
  local container=$1
  shift
  crictl exec "$container" etcdctl --endpoints "$ETCD_ENDPOINT" --cacert "$ETCD_CA" --cert "$ETCD_CERT" --key "$ETCD_KEY" "$@"
}
${SNAPSHOT_TOOL_HELPERS}`;

/**
 * Bash helpers to run etcd's own tools from an image while no etcd runs: `ensure_etcd_image`
 * (pulls ETCD_IMAGE unless containerd has it) and `run_etcd_image <tool> <args...>` (a throwaway
 * container with WORK_PATH, a node path, mounted read-write). They need HELPERS.messages.
 */
export const ETCD_IMAGE_HELPERS = bash`
# run_etcd_image <tool> <args...>: a tool of the etcd image in a throwaway container with the
# work dir mounted; works while etcd itself is stopped, crashing or not yet installed.
run_etcd_image() {
  ctr -n k8s.io run --rm --mount "type=bind,src=$WORK_PATH,dst=$WORK_PATH,options=rbind:rw" \
    "$ETCD_IMAGE" "$SCRIPT_NAME-$$-$RANDOM" "$@"
}

ensure_etcd_image() {
  [ -n "$(ctr -n k8s.io images ls -q "name==$ETCD_IMAGE" 2>/dev/null)" ] ||
    ctr -n k8s.io images pull "$ETCD_IMAGE" >&2 || die "cannot find or pull $ETCD_IMAGE"
}`;

/**
 * Bash helper `restore_snapshot_as_member <name> <peer URL> <object> <message prefix>`: verifies
 * WORK_PATH/snapshot.db (the download of gs://BUCKET/<object>) with `snapshot status`, then
 * restores it into WORK_PATH/data as a one-member cluster of <name> at <peer URL>, with etcdutl
 * or etcdctl of ETCD_IMAGE (left in RESTORE_TOOL), bumping revisions by REVISION_BUMP when
 * etcdutl can. It needs ETCD_IMAGE_HELPERS, SNAPSHOT_TOOL_HELPERS and HELPERS.messages.
 */
export const SNAPSHOT_RESTORE_HELPERS = bash`
# Only the work dir is written, so every failure can say nothing changed; the caller moves
# WORK/data into place. Messages start with <message prefix> (the bring-up names its node).
restore_snapshot_as_member() {
  local name=$1 peer_url=$2 object=$3 prefix=$4 status summary
  RESTORE_TOOL=$(snapshot_tool run_etcd_image)
  status=$(run_etcd_image "$RESTORE_TOOL" snapshot status "$WORK_PATH/snapshot.db" -w json) ||
    die "\${prefix}step 'verify the snapshot' failed: gs://$BUCKET/$object is not a valid etcd snapshot; nothing changed"
  summary=$(snapshot_summary "$status") || die "\${prefix}'snapshot status' gave no revision and key count: $status"
  log "\${prefix}snapshot verified ($summary); restoring it as member $name ($peer_url) with $RESTORE_TOOL from $ETCD_IMAGE"
  local restore=(snapshot restore "$WORK_PATH/snapshot.db" --data-dir "$WORK_PATH/data" --name "$name"
    --initial-cluster "$name=$peer_url" --initial-advertise-peer-urls "$peer_url")
  # Revisions must never go back, or informers keep stale caches: etcdutl bumps them and marks
  # them compacted (etcd's recovery guide for Kubernetes); etcdctl cannot.
  [ "$RESTORE_TOOL" != etcdutl ] || restore+=(--bump-revision "$REVISION_BUMP" --mark-compacted)
  run_etcd_image "$RESTORE_TOOL" "\${restore[@]}" >&2 || die "\${prefix}step 'restore the snapshot' failed; nothing changed"
  [ -d "$WORK/data/member" ] || die "\${prefix}the restore made no member directory; nothing changed"
}`;

/**
 * Bash helpers over the bucket's snapshots of CLUSTER_NAME (with GOOGLE_HELPERS, after
 * google_login): `latest_object` (the newest, empty when there is none; fails when the bucket
 * cannot be listed), `snapshot_time <object>` (ISO 8601 UTC, from the name) and
 * `snapshot_age <object>` ("2d 3h 5m").
 */
export const SNAPSHOT_LISTING_HELPERS = bash`
# The newest snapshot of the cluster: names sort by their UTC timestamp once the node is cut off.
latest_object() {
  local names
  names=$(gcs_list "$CLUSTER_NAME/") || return 1
  # No snapshot is an empty answer, not a failure (grep finding nothing would fail the pipeline).
  { grep -E "^$CLUSTER_NAME/[a-z0-9.-]+/[0-9]{8}T[0-9]{6}Z-[a-z0-9-]+\.db$" <<<"$names" || true; } |
    awk -F/ '{ print $NF "\t" $0 }' | sort | tail -n 1 | cut -f 2
}

# snapshot_time <object>: when it was taken, from the stamp in its name (YYYYMMDDTHHMMSSZ).
snapshot_time() {
  local stamp=\${1##*/}
  stamp=\${stamp%%-*}
  echo "\${stamp:0:4}-\${stamp:4:2}-\${stamp:6:2}T\${stamp:9:2}:\${stamp:11:2}:\${stamp:13:2}Z"
}

# snapshot_age <object>: how long ago it was taken, e.g. "2d 3h 5m" (GNU date reads the time).
snapshot_age() {
  local taken seconds
  taken=$(date -u -d "$(snapshot_time "$1")" +%s) || return 1
  seconds=$(($(date -u +%s) - taken))
  [ "$seconds" -ge 0 ] || seconds=0
  if [ "$seconds" -ge 86400 ]; then printf '%dd ' $((seconds / 86400)); fi
  printf '%dh %dm\n' $((seconds % 86400 / 3600)) $((seconds % 3600 / 60))
}`;
