import { GOOGLE_HELPERS, googleSettings } from "./node-scripts-google";
import { EtcdBackupScriptSettings } from "./node-scripts-etcd-backup";
import { ETCD_HELPERS, ETCD_IMAGE_HELPERS, etcdSettings, SNAPSHOT_LISTING_HELPERS, SNAPSHOT_RESTORE_HELPERS } from "./node-scripts-etcd-snapshot";
import { bash, HELPERS, renderScript, TEST_ROOT_SETTING } from "./node-scripts-shell";

export interface EtcdRestoreScriptSettings extends EtcdBackupScriptSettings {
    /** etcd members the cluster is built with (the control-plane count): the guess when etcd cannot be asked. */
    readonly expectedMembers: number;
}

/** How far a restore moves etcd's revision on (etcd's guidance for Kubernetes: a week of writes at <1500/s). */
export const RESTORE_REVISION_BUMP = 1_000_000_000;

/** The static pods a restore stops: etcd, its client, and the controllers whose caches would go stale. */
export const STOPPED_STATIC_PODS = ["etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler"] as const;

/**
 * `boutique-etcd-restore (--latest | --object NAME) [--as-single-member]`, on a control plane:
 * downloads a snapshot through the same keyless identity as the backup, verifies it, restores it
 * into a fresh data dir with etcd's own image (the node's member name and peer URL from the
 * manifest), stops the control plane's static pods, swaps the data dir (the old one kept
 * aside), starts them again and waits for etcd to answer. Nothing is touched until the
 * snapshot is downloaded, verified and restored; a run that stopped halfway can be run again.
 */
export function renderEtcdRestoreScript(settings: EtcdRestoreScriptSettings): string {
    if (!Number.isSafeInteger(settings.expectedMembers) || settings.expectedMembers < 1) {
        throw new Error(`expectedMembers must be a whole number, 1 or more, got ${settings.expectedMembers}`);
    }
    return renderScript({
        name: "boutique-etcd-restore",
        purpose: [
            "Usage: boutique-etcd-restore (--latest | --object NAME) [--as-single-member]",
            "Restores this control plane's etcd from a snapshot in the backup bucket (README: restoring",
            "etcd). Keyless like the backup: works while the API server is down. Runs as root.",
        ],
        settings: [
            "umask 077",
            TEST_ROOT_SETTING,
            ...etcdSettings(settings),
            ...googleSettings(settings.identity),
            `readonly EXPECTED_MEMBERS=${settings.expectedMembers}`,
            `readonly REVISION_BUMP=${RESTORE_REVISION_BUMP}`,
            `readonly STATIC_PODS=(${STOPPED_STATIC_PODS.join(" ")})`,
        ],
        helpers: [HELPERS.waits, ETCD_HELPERS, GOOGLE_HELPERS, ETCD_IMAGE_HELPERS, SNAPSHOT_RESTORE_HELPERS, SNAPSHOT_LISTING_HELPERS],
        body: bash`
usage() {
  cat >&2 <<'USAGE'
usage: boutique-etcd-restore (--latest | --object NAME) [--as-single-member]
  --latest             the newest snapshot any control plane of this cluster uploaded
  --object NAME        one object of the bucket, e.g. <cluster>/<node>/20250101T000000Z-scheduled.db
  --as-single-member   restore even though the cluster has more than one etcd member: this node
                       becomes a one-member cluster, the other control planes must be reset and
                       joined again (README: restoring etcd)
USAGE
  exit 2
}

member_count() {
  local container members
  container=$(etcd_container)
  if [ -n "$container" ] && members=$(etcdctl_in "$container" member list 2>/dev/null); then
    grep -c . <<<"$members"
  else
    # etcd cannot be asked (down, or without quorum): the cluster is built with this many.
    echo "$EXPECTED_MEMBERS"
  fi
}

static_pods_stopped() {
  local names
  names=$(IFS='|' && echo "\${STATIC_PODS[*]}")
  [ -z "$(crictl ps --name "^($names)$" -q 2>/dev/null)" ]
}

stop_static_pods() {
  local pod
  install -d -m 0700 "$MANIFESTS_ASIDE"
  for pod in "\${STATIC_PODS[@]}"; do
    [ -f "$MANIFESTS/$pod.yaml" ] || continue
    [ ! -e "$MANIFESTS_ASIDE/$pod.yaml" ] || die "$pod.yaml is both in \${MANIFESTS#"$ROOT"} and \${MANIFESTS_ASIDE#"$ROOT"}: keep the right one, remove the other, run again"
    mv "$MANIFESTS/$pod.yaml" "$MANIFESTS_ASIDE/$pod.yaml"
  done
  log "static pods stopping (manifests parked in \${MANIFESTS_ASIDE#"$ROOT"})"
  retry_for 180 static_pods_stopped || die "the control plane's containers did not stop within $(wait_limit 180)s; manifests stay parked"
}

start_static_pods() {
  local pod
  for pod in "\${STATIC_PODS[@]}"; do
    [ -f "$MANIFESTS_ASIDE/$pod.yaml" ] || continue
    [ ! -e "$MANIFESTS/$pod.yaml" ] || die "$pod.yaml is both in \${MANIFESTS#"$ROOT"} and \${MANIFESTS_ASIDE#"$ROOT"}"
    mv "$MANIFESTS_ASIDE/$pod.yaml" "$MANIFESTS/$pod.yaml"
  done
}

etcd_healthy() {
  local container
  container=$(etcd_container)
  [ -n "$container" ] && etcdctl_in "$container" endpoint health >/dev/null 2>&1
}

WORK=""
WORK_PATH=""
cleanup() { [ -z "$WORK" ] || rm -rf "$WORK"; }

main() {
  local object="" latest=0 single=0
  while [ $# -gt 0 ]; do
    case "$1" in
      --latest) latest=1 ;;
      --object)
        [ $# -ge 2 ] || usage
        object=$2
        shift
        ;;
      --as-single-member) single=1 ;;
      *) usage ;;
    esac
    shift
  done
  if [ "$latest" = 1 ]; then [ -z "$object" ] || usage; else [ -n "$object" ] || usage; fi
  [ -z "$object" ] || [[ $object =~ ^[A-Za-z0-9._/-]+\.db$ && $object != *..* ]] ||
    die "--object '$object' is not a snapshot name (<cluster>/<node>/<stamp>-<reason>.db)"
  [ "$(id -u)" -eq 0 ] || [ -n "$ROOT" ] || die "run as root (sudo)"

  take_lock
  read_etcd_manifest
  local stamp
  stamp=$(date -u +%Y%m%dT%H%M%SZ)
  WORK_PATH="$STATE_PATH/restore-$stamp"
  WORK="$ROOT$WORK_PATH"
  trap cleanup EXIT
  install -d -m 0700 "$WORK"

  google_login "$WORK"
  if [ "$latest" = 1 ]; then
    object=$(latest_object)
    [ -n "$object" ] || die "gs://$BUCKET holds no snapshot of cluster $CLUSTER_NAME"
  fi
  log "restoring etcd on $NODE_NAME: downloading gs://$BUCKET/$object"
  gcs_download "$object" "$WORK/snapshot.db"

  local members
  members=$(member_count)
  if [ "$members" -gt 1 ] && [ "$single" = 0 ]; then
    die "the cluster has $members etcd members: restoring one of them is a different procedure (README: restoring etcd); with --as-single-member this node becomes a one-member cluster and the other control planes must be reset and joined again"
  fi

  ensure_etcd_image
  restore_snapshot_as_member "$ETCD_NAME" "$ETCD_PEER_URL" "$object" ""

  stop_static_pods
  local data="$ROOT$ETCD_DATA_DIR" kept="$ROOT$ETCD_DATA_DIR.before-restore-$stamp"
  if [ -e "$data" ]; then
    mv -T "$data" "$kept"
    log "the previous data dir is kept at \${kept#"$ROOT"} (delete it once the cluster is fine)"
  fi
  mv -T "$WORK/data" "$data"
  chmod 0700 "$data"
  start_static_pods
  log "static pods started; waiting for etcd"
  retry_for 300 etcd_healthy || die "etcd did not become healthy within $(wait_limit 300)s after the restore (crictl logs of the etcd container say why)"
  log "etcd is healthy on the restored data"
  echo "restored gs://$BUCKET/$object into $ETCD_DATA_DIR"
}

main "$@"`,
    });
}
