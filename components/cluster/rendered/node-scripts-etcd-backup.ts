import { GOOGLE_HELPERS, googleSettings, HostIdentity } from "./node-scripts-google";
import { ETCD_HELPERS, EtcdBackupNames, etcdSettings } from "./node-scripts-etcd-snapshot";
import { bash, HELPERS, renderScript, TEST_ROOT_SETTING } from "./node-scripts-shell";

export { ETCD_BACKUP_COMMAND, ETCD_RESTORE_COMMAND } from "./node-scripts-etcd-snapshot";

/** What a control plane's backup and restore scripts are rendered with. */
export interface EtcdBackupScriptSettings extends EtcdBackupNames {
    readonly identity: HostIdentity;
}

/** The reason a scheduled run records in the object name. */
export const SCHEDULED_REASON = "scheduled";

/**
 * `boutique-etcd-backup [REASON]`: snapshots this control plane's etcd member and uploads it
 * to the backup bucket as `<cluster>/<node>/<UTC timestamp>-<reason>.db`. Prints the object's
 * gs:// URL on stdout.
 *
 * Every control plane backs itself up, not only the leader: a pre-upgrade backup must happen on
 * the node about to be upgraded whoever leads, and with no coordination between nodes one
 * lost node never stops the backups. A member must first answer a quorum read (`endpoint
 * health`), so a member cut off from the others never uploads its stale view.
 */
export function renderEtcdBackupScript(settings: EtcdBackupScriptSettings): string {
    return renderScript({
        name: "boutique-etcd-backup",
        purpose: [
            "Usage: boutique-etcd-backup [REASON]   (REASON: a-z, 0-9, '-'; default scheduled).",
            "Snapshots the local etcd member with etcdctl from the running etcd container, verifies the",
            "snapshot, and uploads it to GCS through Workload Identity Federation: this host signs a",
            "5-minute service-account token with the cluster's signing key and exchanges it at STS.",
            "No key file, no API server needed. Runs as root (the systemd timer, or an upgrade).",
        ],
        settings: [
            "umask 077",
            TEST_ROOT_SETTING,
            ...etcdSettings(settings),
            ...googleSettings(settings.identity),
            `readonly DEFAULT_REASON=${SCHEDULED_REASON}`,
        ],
        helpers: [HELPERS.waits, ETCD_HELPERS, GOOGLE_HELPERS],
        body: bash`
usage() {
  echo "usage: boutique-etcd-backup [REASON]   (REASON: 1-32 of a-z, 0-9, '-'; default $DEFAULT_REASON)" >&2
  exit 2
}

WORK=""
SNAPSHOT_HOST=""
cleanup() {
  [ -z "$WORK" ] || rm -rf "$WORK"
  # A snapshot left in etcd's data dir by a failed run would stay there for good.
  [ -z "$SNAPSHOT_HOST" ] || rm -f "$SNAPSHOT_HOST" "$SNAPSHOT_HOST.part"
}

main() {
  [ $# -le 1 ] || usage
  local reason=\${1:-$DEFAULT_REASON}
  [[ $reason =~ ^[a-z0-9][a-z0-9-]{0,31}$ ]] || usage
  take_lock
  trap cleanup EXIT
  WORK=$(mktemp -d "$STATE_DIR/backup.XXXXXX")
  read_etcd_manifest

  local container
  container=$(etcd_container)
  [ -n "$container" ] || die "etcd is not running on this node (crictl finds no running container named etcd); no snapshot taken"
  # A quorum read: a member cut off from the others would hand out a stale snapshot.
  etcdctl_in "$container" endpoint health >&2 || die "etcd at $ETCD_ENDPOINT is not healthy (no quorum?); no snapshot taken"

  local stamp object snapshot status summary
  stamp=$(date -u +%Y%m%dT%H%M%SZ)
  object="$CLUSTER_NAME/$NODE_NAME/$stamp-$reason.db"
  # Written inside etcd's data dir, the one host directory the etcd container mounts, then moved out.
  snapshot="$ETCD_DATA_DIR/boutique-snapshot-$stamp.db"
  SNAPSHOT_HOST="$ROOT$snapshot"
  log "snapshotting etcd member $ETCD_NAME ($ETCD_ENDPOINT)"
  etcdctl_in "$container" snapshot save "$snapshot" >&2 || die "etcdctl snapshot save failed"
  status=$(crictl exec "$container" "$(snapshot_tool crictl exec "$container")" snapshot status "$snapshot" -w json) ||
    die "the new snapshot does not pass 'snapshot status'; nothing uploaded"
  summary=$(snapshot_summary "$status") || die "'snapshot status' gave no revision and key count: $status"
  mv -f "$SNAPSHOT_HOST" "$WORK/snapshot.db"
  SNAPSHOT_HOST=""

  google_login "$WORK"
  gcs_upload "$WORK/snapshot.db" "$object"
  log "uploaded gs://$BUCKET/$object ($(stat -c %s "$WORK/snapshot.db") bytes, $summary)"
  echo "gs://$BUCKET/$object"
}

main "$@"`,
    });
}
