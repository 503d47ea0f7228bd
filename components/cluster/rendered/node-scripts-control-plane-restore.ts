import { RESTORE_CONTROL_PLANE_KEY } from "../../../config/stack-config";
import { ETCD_DATA_DIR, ETCD_PEER_PORT } from "./kubeadm-config";
import { RESTORE_REVISION_BUMP } from "./node-scripts-etcd-restore";
import { ETCD_IMAGE_HELPERS, SNAPSHOT_LISTING_HELPERS, SNAPSHOT_RESTORE_HELPERS, SNAPSHOT_TOOL_HELPERS } from "./node-scripts-etcd-snapshot";
import { GOOGLE_HELPERS, googleSettings, HostIdentity } from "./node-scripts-google";
import { bash, rootedPath, shellQuote, validateNodeName } from "./node-scripts-shell";

/**
 * The bring-up's answer when the cluster's only control plane is gone (it was replaced, and no
 * API server answers): restore etcd from the newest snapshot of this cluster and run kubeadm
 * init on it (kubeadm's disaster recovery: the restored data dir plus
 * `--ignore-preflight-errors=DirAvailable--var-lib-etcd`), or, until the user allows it, refuse
 * and say what to flip. The program owns the whole shared PKI, so the new node with the same
 * CAs and keys and the restored data is the same cluster: workers and their pods carry on.
 */

/** What a replaced single control plane's bring-up needs to restore, or to explain why it does not. */
export interface ControlPlaneRestore {
    /** restoreControlPlaneFromBackup: restore when true; otherwise refuse, naming the setting, the bucket and its newest snapshot. */
    readonly enabled: boolean;
    /** Snapshots are `<cluster>/<node>/<stamp>-<reason>.db`: only this cluster's are candidates. */
    readonly clusterName: string;
    /** The etcd backup scripts' keyless identity, bucket included (the host signs with sa.key, which the bundle installs). */
    readonly identity: HostIdentity;
}

/** The work dir of a restore: downloads and the restored data before it moves into place. Removed on exit. */
export const CONTROL_PLANE_RESTORE_WORK_DIR = "/var/lib/boutique/control-plane-restore";

/** The one preflight check kubeadm init must skip on restored data: its name is the data dir with "/" as "-". */
export const RESTORED_DATA_PREFLIGHT_EXCEPTION = `DirAvailable-${ETCD_DATA_DIR.replace(/\//g, "-")}`;

/** What the refusal tells the user to run. */
export const ALLOW_RESTORE_COMMAND = `pulumi config set ${RESTORE_CONTROL_PLANE_KEY} true`;

/** Settings the restore helpers read; NODE_NAME, NODE_ADDRESS, KUBEADM_INIT_CONFIG and LOG come from the bring-up. */
export function controlPlaneRestoreSettings(restore: ControlPlaneRestore): string[] {
    validateNodeName(restore.clusterName);
    return [
        `readonly CLUSTER_NAME=${shellQuote(restore.clusterName)}`,
        ...googleSettings(restore.identity),
        `readonly RESTORE_ENABLED=${restore.enabled ? 1 : 0}`,
        `readonly ALLOW_RESTORE=${shellQuote(ALLOW_RESTORE_COMMAND)}`,
        `readonly WORK_PATH=${shellQuote(CONTROL_PLANE_RESTORE_WORK_DIR)}`,
        'readonly WORK="$ROOT$WORK_PATH"',
        rootedPath("ETCD_DATA", ETCD_DATA_DIR),
        `readonly ETCD_PEER_URL="https://$NODE_ADDRESS:${ETCD_PEER_PORT}"`,
        `readonly REVISION_BUMP=${RESTORE_REVISION_BUMP} PREFLIGHT_EXCEPTION=${RESTORED_DATA_PREFLIGHT_EXCEPTION}`,
        "ETCD_IMAGE='' RESTORED='' RESTORE_TOOL=''",
    ];
}

const RESTORE_HELPERS = bash`
# Nothing of an earlier attempt is reused: its download or half-restored data may be torn.
start_restore_work() {
  rm -rf "$WORK"
  install -d -m 0700 "$WORK"
}

# kubeadm's etcd image for the Kubernetes version of the init config.
find_etcd_image() {
  ETCD_IMAGE=$(kubeadm config images list --config "$KUBEADM_INIT_CONFIG" 2>>"$LOG" |
    grep -E '^[A-Za-z0-9.:_-]+(/[A-Za-z0-9._-]+)*/etcd:[A-Za-z0-9._-]+$' | head -n 1 || true)
  [ -n "$ETCD_IMAGE" ] || die "$NODE_NAME: step 'find the etcd image' failed: kubeadm config images list named none (see \${LOG#"$ROOT"}); nothing changed"
}

# A data dir an earlier attempt left (restored but never started, or written by an init whose
# reset failed) is moved aside whole: the restored data is never mixed with anything.
set_aside_data_dir() {
  local kept
  [ -e "$ETCD_DATA" ] || return 0
  if [ -d "$ETCD_DATA" ] && [ -z "$(ls -A "$ETCD_DATA")" ]; then
    rmdir "$ETCD_DATA"
    return 0
  fi
  kept="$ETCD_DATA.before-restore-$(date -u +%Y%m%dT%H%M%SZ)-$$"
  mv -T "$ETCD_DATA" "$kept"
  log "$NODE_NAME: moved the data dir an earlier attempt left to \${kept#"$ROOT"}"
}

# The newest snapshot of this cluster into a fresh data dir: a one-member cluster of this node
# with the member name and peer URL kubeadm's etcd manifest will give it.
restore_etcd_data() {
  local object taken
  start_restore_work
  google_login "$WORK"
  object=$(latest_object) || die "$NODE_NAME: step 'list the snapshots' failed (gs://$BUCKET/$CLUSTER_NAME/); nothing changed"
  [ -n "$object" ] || die "$NODE_NAME: step 'find a snapshot' failed: gs://$BUCKET holds no snapshot of cluster $CLUSTER_NAME. Refusing to create an empty cluster in its place (its workers and every object would be lost); nothing changed"
  taken=$(snapshot_time "$object")
  log "$NODE_NAME: restoring etcd from gs://$BUCKET/$object (taken $taken, $(snapshot_age "$object") ago)"
  gcs_download "$object" "$WORK/snapshot.db"
  find_etcd_image
  ensure_etcd_image
  restore_snapshot_as_member "$NODE_NAME" "$ETCD_PEER_URL" "$object" "$NODE_NAME: "
  set_aside_data_dir
  install -d -m 0755 "$(dirname "$ETCD_DATA")"
  mv -T "$WORK/data" "$ETCD_DATA"
  chmod 0700 "$ETCD_DATA"
  RESTORED="gs://$BUCKET/$object (taken $taken)"
}

# For the refusal: what the bucket holds. Never fails; the refusal itself matters more.
newest_snapshot_note() {
  local object
  start_restore_work
  if ! object=$({ google_login "$WORK" && latest_object; } 2>"$WORK/list-error"); then
    echo "The bucket gs://$BUCKET could not be listed ($(sed -n 's/^.*error: //p' "$WORK/list-error" | tail -n 1))."
  elif [ -z "$object" ]; then
    echo "But gs://$BUCKET holds no snapshot of cluster $CLUSTER_NAME: there is nothing to restore from."
  else
    echo "The newest snapshot is gs://$BUCKET/$object, taken $(snapshot_time "$object") ($(snapshot_age "$object") ago)."
  fi
}

# No API server answers and this is the cluster's only control plane: nothing to join.
no_cluster_to_join() {
  if [ "$RESTORE_ENABLED" != 1 ]; then
    die "$NODE_NAME: step 'find the cluster' failed: no API server answered at $API_ENDPOINT for $(wait_limit "$CLUSTER_PROBE_SECONDS")s and $NODE_NAME is the cluster's only control plane, so there is none to join. To bring the cluster back from its newest etcd snapshot (writes made after it are lost), run: $ALLOW_RESTORE; then pulumi up. $(newest_snapshot_note) The workers keep running their pods meanwhile; they reconnect once the API server is back."
  fi
  start_log "$LOG"
  restore_etcd_data
  initialize_cluster --skip-token-print "--ignore-preflight-errors=$PREFLIGHT_EXCEPTION"
  log "$NODE_NAME: the cluster is back on etcd restored from $RESTORED"
  [ "$RESTORE_TOOL" = etcdutl ] || log "$NODE_NAME: $RESTORE_TOOL cannot bump etcd's revision: restart the kubelet on every worker (systemctl restart kubelet) so none relies on state newer than the snapshot"
  echo "restored etcd from $RESTORED"
}`;

/** Bash helpers of the restore: `no_cluster_to_join` and what it uses. They need the bring-up's helpers (initialize_cluster, start_log). */
export const CONTROL_PLANE_RESTORE_HELPERS: readonly string[] = [
    GOOGLE_HELPERS,
    SNAPSHOT_TOOL_HELPERS,
    ETCD_IMAGE_HELPERS,
    SNAPSHOT_RESTORE_HELPERS,
    SNAPSHOT_LISTING_HELPERS,
    RESTORE_HELPERS,
];
